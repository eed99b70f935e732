//! Spotting notes read as moods: a cue entry that gives only a note gets the score cue
//! nearest the note's mood, by the rule auto-spotting uses.

use std::path::Path;

use leitmotif_core::Score;
use leitmotif_film::autospot::{Lexicon, nearest_mood_cue, pick_cue};
use leitmotif_film::spotting::{SpotError, assign_cues, parse_spotting_str_at};
use leitmotif_film::{FrameRate, SpottingList};

const NOIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scores/noir.score.ron");

/// Noir's cues and moods: calm (0.1, -0.6), unease (-0.5, 0.2), chase (-0.6, 0.9),
/// resolution (0.7, -0.3).
fn noir() -> Score {
    Score::load(Path::new(NOIR)).unwrap_or_else(|e| panic!("{e}"))
}

fn parse(text: &str, csv: bool, file: &str) -> SpottingList {
    parse_spotting_str_at(text, csv, FrameRate::FPS_24, Some(Path::new(file)), 0)
        .unwrap_or_else(|e| panic!("{e}"))
}

const NOTES: &str = r#"Spotting(
    cues: [
        (at: "0s", note: Some("night, the city asleep, quiet and still")),
        (at: "30s", note: Some("something is wrong, a stranger watches from the shadows")),
        (at: "60s", note: Some("he runs for the last train, gunshots, panic")),
        (at: "90s", title: Some("Dawn"), note: Some("dawn: she smiles, home at last, safe")),
        // The composer's cue stands; the note only goes to the cue sheet.
        (cue: "calm", at: "120s", note: Some("a frantic chase across the rooftops")),
    ],
)
"#;

#[test]
fn notes_choose_the_cues_a_human_would() {
    let score = noir();
    let moods: Vec<(&str, (f32, f32))> = score
        .cues
        .iter()
        .map(|c| (c.name.as_str(), c.mood.unwrap()))
        .collect();
    assert_eq!(
        moods,
        [
            ("calm", (0.1, -0.6)),
            ("unease", (-0.5, 0.2)),
            ("chase", (-0.6, 0.9)),
            ("resolution", (0.7, -0.3))
        ]
    );
    let mut list = parse(NOTES, false, "notes.ron");
    assert!(list.has_unassigned_cues());
    let chosen = assign_cues(&mut list, &score, &Lexicon::default(), None).unwrap();
    let cues: Vec<&str> = list.cues.iter().map(|c| c.cue.as_str()).collect();
    assert_eq!(cues, ["calm", "unease", "chase", "resolution", "calm"]);
    assert!(!list.has_unassigned_cues());
    // What was chosen, with the entry's line; the explicit cue is not among them.
    let lines: Vec<(usize, &str)> = chosen.iter().map(|c| (c.line, c.cue.as_str())).collect();
    assert_eq!(
        lines,
        [(3, "calm"), (4, "unease"), (5, "chase"), (6, "resolution")]
    );
    // Notes and titles are carried.
    assert_eq!(list.cues[3].title.as_deref(), Some("Dawn"));
    assert_eq!(
        list.cues[4].note.as_deref(),
        Some("a frantic chase across the rooftops")
    );
    // The same rule as auto-spotting, with the mood the lexicon reads.
    let lex = Lexicon::default();
    for c in &chosen {
        assert_eq!(lex.mood(&c.note), Some(c.mood));
        assert_eq!(pick_cue(&score, c.mood.0, c.mood.1), Some(c.cue.as_str()));
        assert_eq!(
            nearest_mood_cue(&score, c.mood.0, c.mood.1),
            Some(c.cue.as_str())
        );
        assert!(c.to_string().contains(&format!("cue \"{}\"", c.cue)), "{c}");
    }
    // A second pass has nothing left to choose.
    let again = list.clone();
    assert!(
        assign_cues(&mut list, &score, &Lexicon::default(), None)
            .unwrap()
            .is_empty()
    );
    assert_eq!(list, again);
}

#[test]
fn csv_notes_choose_cues_too() {
    let text = "kind,at,name,note\n\
                cue,0s,,\"quiet, the city asleep\"\n\
                cue,10s,,a frantic chase across the rooftops\n\
                cue,20s,unease,sunrise\n";
    let mut list = parse(text, true, "notes.csv");
    assign_cues(&mut list, &noir(), &Lexicon::default(), None).unwrap();
    let cues: Vec<&str> = list.cues.iter().map(|c| c.cue.as_str()).collect();
    assert_eq!(cues, ["calm", "chase", "unease"]);
}

#[test]
fn negation_in_a_note_moves_the_choice() {
    let text = r#"(cues: [(at: "0s", note: "calm"), (at: "9s", note: "not calm at all")])"#;
    let mut list = parse(text, false, "n.ron");
    assign_cues(&mut list, &noir(), &Lexicon::default(), None).unwrap();
    assert_eq!(list.cues[0].cue, "calm");
    assert_eq!(list.cues[1].cue, "unease");
}

#[test]
fn a_note_without_mood_words_is_located_and_asks_for_the_cue() {
    let text = "Spotting(\n  cues: [\n    (at: \"0s\", note: \"night, the city asleep\"),\n    (at: \"9s\",\n     note: Some(\"INT. CAR - NIGHT\")),\n  ],\n)\n";
    let file = Path::new("reel2.ron");
    let mut list = parse(text, false, "reel2.ron");
    let before = list.clone();
    let e = assign_cues(&mut list, &noir(), &Lexicon::default(), Some(file)).unwrap_err();
    eprintln!("{e}");
    assert!(
        matches!(&e, SpotError::NoMoodInNote { note, .. } if note == "INT. CAR - NIGHT"),
        "{e:?}"
    );
    assert_eq!((e.line(), e.column()), (5, 12));
    let msg = e.to_string();
    assert!(msg.starts_with("reel2.ron:5:12: "), "{msg}");
    assert!(
        msg.contains("no mood words in the note — name the cue, e.g. `cue: \"calm\"`"),
        "{msg}"
    );
    // Nothing was assigned, not even the entry before it.
    assert_eq!(list, before);
    // In CSV the hint names the column.
    let mut list = parse("kind,at,name,note\ncue,0s,,reel 2\n", true, "r.csv");
    let e = assign_cues(
        &mut list,
        &noir(),
        &Lexicon::default(),
        Some(Path::new("r.csv")),
    )
    .unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 4));
    assert!(
        e.to_string().starts_with("r.csv:2:4: ") && e.to_string().contains("the `name` column"),
        "{e}"
    );
}

#[test]
fn a_score_without_moods_is_located_at_the_note_and_asks_for_moods() {
    let score = Score::from_ron(
        r#"Score(name: "flat", tempo: (bpm: 120.0), initial_cue: "a",
            cues: [(name: "a", bars: 4, layers: [(name: "pad", source: Silence)]),
                   (name: "b", bars: 4, layers: [(name: "pad", source: Silence)])])"#,
        None,
    )
    .unwrap();
    let text = "(cues: [\n  (cue: \"a\", at: \"0s\", note: \"tense\"),\n  (at: \"5s\", note: \"tense\"),\n])";
    let mut list = parse(text, false, "flat.ron");
    // A list that names its cues needs no moods.
    let mut named = parse(
        "(cues: [(cue: \"a\", at: \"0s\", note: \"tense\")])",
        false,
        "x.ron",
    );
    assert!(
        assign_cues(&mut named, &score, &Lexicon::default(), None)
            .unwrap()
            .is_empty()
    );
    let e = assign_cues(
        &mut list,
        &score,
        &Lexicon::default(),
        Some(Path::new("flat.ron")),
    )
    .unwrap_err();
    eprintln!("{e}");
    assert!(
        matches!(&e, SpotError::NoCueMoods { cues, .. } if cues == "a, b"),
        "{e:?}"
    );
    assert_eq!((e.line(), e.column()), (3, 20));
    let msg = e.to_string();
    assert!(msg.starts_with("flat.ron:3:20: "), "{msg}");
    assert!(
        msg.contains("give the score's cues a `mood: Some((valence, arousal))`"),
        "{msg}"
    );
    assert_eq!(list.cues[1].cue, "");
}
