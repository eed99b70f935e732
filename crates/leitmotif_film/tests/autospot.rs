//! Auto-spotting against the real corpus (/work/shared/corpus/edl).

use std::path::{Path, PathBuf};

use leitmotif_core::Score;
use leitmotif_film::autospot::{self, Lexicon, scenes, timeline_start};
use leitmotif_film::{
    CutList, FrameRate, ParseOptions, SpottingList, auto_spot, merge, parse_cut_list,
    parse_spotting_str_at,
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/edl");

fn corpus(name: &str) -> Option<CutList> {
    let p: PathBuf = Path::new(CORPUS).join(name);
    if !p.exists() {
        eprintln!(
            "!!!!! SKIPPED: corpus file {} not found; auto-spotting corpus test did not run !!!!!",
            p.display()
        );
        return None;
    }
    Some(parse_cut_list(&p, &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn score(moods: &[(&str, Option<(f32, f32)>)], tension: bool) -> Score {
    let cues: String = moods
        .iter()
        .map(|(n, m)| {
            let mood = m.map_or(String::new(), |(v, a)| {
                format!("mood: Some(({v:?}, {a:?})),")
            });
            format!("(name: \"{n}\", bars: 4, layers: [(name: \"pad\", source: Silence)], {mood}),")
        })
        .collect();
    let params = if tension {
        "parameters: [(name: \"tension\", min: 0.0, max: 1.0)],"
    } else {
        ""
    };
    let src = format!(
        "Score(name: \"test\", tempo: (bpm: 120.0), {params} cues: [{cues}], initial_cue: \"{}\")",
        moods[0].0
    );
    Score::from_ron(&src, None).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

fn mood_score() -> Score {
    score(
        &[
            ("calm", Some((0.5, -0.6))),
            ("suspense", Some((-0.3, 0.3))),
            ("chase", Some((-0.2, 0.9))),
            ("no_mood", None),
        ],
        true,
    )
}

#[test]
fn screening_example_auto_spot() {
    let Some(cut) = corpus("otiocmx_screening_example.edl") else {
        return;
    };
    let origin = timeline_start(&cut);
    let lex = Lexicon::default();
    let sc = scenes(&cut, &lex);
    for s in &sc {
        eprintln!(
            "scene {:>5}..{:<5} shots {:?} asl {:.2}s v {:+.2} a {:+.2} ({})",
            s.start, s.end, s.shots, s.average_shot_s, s.valence, s.arousal, s.reason
        );
    }
    assert!(sc.len() >= 2, "the 44 s reel has marker and rhythm breaks");
    let shots = cut.shots();
    let boundaries: Vec<i64> = shots
        .iter()
        .flat_map(|s| [s.start - origin, s.end - origin])
        .collect();
    // Scenes tile the timeline from 0 to its end.
    assert_eq!(sc[0].start, 0);
    assert_eq!(sc.last().unwrap().end, cut.duration_frames());
    for w in sc.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }

    let score = mood_score();
    let list = auto_spot(&cut, &score, &lex);
    eprintln!("{list:#?}");
    // Every scene is covered by exactly one cue; cues lie on shot boundaries.
    for s in &sc {
        let n = list
            .cues
            .iter()
            .filter(|c| c.start <= s.start && c.end.unwrap() >= s.end)
            .count();
        assert_eq!(n, 1, "scene {s:?}");
    }
    for c in &list.cues {
        assert!(
            boundaries.contains(&c.start),
            "cue start {} off a cut",
            c.start
        );
        assert!(boundaries.contains(&c.end.unwrap()), "cue end off a cut");
        assert_ne!(c.cue, "no_mood", "cues without mood are skipped");
    }
    for w in list.cues.windows(2) {
        assert_eq!(w[0].end, Some(w[1].start), "cues tile the timeline");
        assert_ne!(w[0].cue, w[1].cue, "adjacent equal cues are merged");
    }
    // The busy opening (1-2 s shots) is the most tense; the RED marker makes
    // its scene tense too; the GREEN one calms the long last shots.
    assert_eq!(list.cues[0].cue, "chase");
    assert_eq!(list.cues.last().unwrap().cue, "calm");
    // Hits are the markers.
    assert_eq!(list.hits.len(), cut.markers.len());
    assert_eq!(list.hits.len(), 3);
    for (h, m) in list.hits.iter().zip(&cut.markers) {
        assert_eq!(h.at, m.frame - origin);
        assert_eq!(h.line, m.line);
        let red = m.colour.as_deref() == Some("RED");
        assert_eq!(h.importance, if red { 1.0 } else { 0.6 });
    }
    assert_eq!(list.hits[0].name, "ANIM FIX NEEDED");
    // One tension point per scene, ramped over 2 s, in 0..1.
    assert_eq!(list.params.len(), sc.len());
    for (p, s) in list.params.iter().zip(&sc) {
        assert_eq!(p.param, "tension");
        assert_eq!(p.at, s.start);
        assert_eq!(p.ramp_frames, 48);
        assert!((0.0..=1.0).contains(&p.value));
    }
    assert!(list.params[0].value > list.params.last().unwrap().value);
}

#[test]
fn no_moods_map_cue_order_to_tension_and_no_tension_param() {
    let Some(cut) = corpus("otiocmx_screening_example.edl") else {
        return;
    };
    let score = score(&[("low", None), ("mid", None), ("high", None)], false);
    let list = auto_spot(&cut, &score, &Lexicon::default());
    assert!(list.params.is_empty());
    assert_eq!(list.cues[0].cue, "high");
    assert_eq!(list.cues.last().unwrap().cue, "low");
}

#[test]
fn manual_cues_override_auto() {
    let Some(cut) = corpus("otiocmx_screening_example.edl") else {
        return;
    };
    let auto = auto_spot(&cut, &mood_score(), &Lexicon::default());
    let origin = timeline_start(&cut);
    let manual = parse_spotting_str_at(
        "kind,at,until,name,value,ramp,importance\n\
         cue,10s,20s,suspense,,,\n\
         hit,12s,,door slam,,,1\n",
        true,
        FrameRate::FPS_24,
        None,
        origin,
    )
    .unwrap();
    let m = merge(auto.clone(), manual);
    let at = |f: i64| {
        m.cues
            .iter()
            .filter(|c| c.start <= f && c.end.is_none_or(|e| f < e))
            .map(|c| c.cue.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(at(15 * 24), vec!["suspense"]);
    assert_eq!(at(0), vec!["chase"]);
    assert_eq!(at(cut.duration_frames() - 1), vec!["calm"]);
    // No overlaps.
    for w in m.cues.windows(2) {
        assert!(w[0].end.unwrap() <= w[1].start);
    }
    assert_eq!(m.hits.len(), auto.hits.len() + 1);
    assert!(m.cues.iter().any(|c| c.line == 2));
}

#[test]
fn manual_cue_without_end_takes_over_until_next_manual() {
    use leitmotif_film::Spot;
    let spot = |cue: &str, start, end| Spot {
        cue: cue.into(),
        start,
        end,
        ending: Default::default(),
        fade_frames: 0,
        title: None,
        note: None,
        note_at: (0, 0),
        line: 0,
    };
    let auto = SpottingList {
        cues: vec![spot("a", 0, Some(100)), spot("b", 100, Some(200))],
        ..Default::default()
    };
    let manual = SpottingList {
        cues: vec![spot("m", 50, None)],
        ..Default::default()
    };
    let m = merge(auto, manual);
    assert_eq!(m.cues, vec![spot("a", 0, Some(50)), spot("m", 50, None)]);
}

#[test]
fn lexicon_default_and_custom() {
    let lex = Lexicon::default();
    assert!(lex.words.len() >= 60, "{}", lex.words.len());
    assert_eq!(lex.word("CHASING"), lex.word("chase"));
    assert_eq!(lex.word("running"), lex.word("run"));
    assert_eq!(lex.word("kisses"), lex.word("kiss"));
    assert!(lex.word("zz").is_none());
    assert!(lex.colour("red").unwrap().1 > 0.5);
    assert!(lex.colour("GREEN").unwrap().1 < 0.0);
    assert_eq!(lex.moods_in("EXT. NIGHT - CAR CHASE").len(), 2);
    let custom = Lexicon::from_ron("Lexicon(words: {\"Duel\": (-0.5, 0.9)})").unwrap();
    assert_eq!(custom.word("duel"), Some((-0.5, 0.9)));
    assert_eq!(custom.colours, lex.colours, "colours default to built-ins");
    let e = Lexicon::from_ron("Lexicon(words: {\"x\": 1})").unwrap_err();
    assert_eq!(e.line(), 1);
}

#[test]
fn mood_words_in_clip_names_steer_the_cue() {
    let edl = "TITLE: words\n\
        001  AX V C 01:00:00:00 01:00:10:00 01:00:00:00 01:00:10:00\n\
        * FROM CLIP NAME: wedding kiss\n\
        002  AX V C 01:00:00:00 01:00:10:00 01:00:10:00 01:00:20:00\n\
        * FROM CLIP NAME: funeral\n\
        * LOC: 01:00:10:00 BLUE graveside\n";
    let cut = leitmotif_film::parse_str(edl, leitmotif_film::Format::Edl, &ParseOptions::default())
        .unwrap();
    let score = score(
        &[
            ("love", Some((0.8, 0.2))),
            ("grief", Some((-0.8, -0.5))),
            ("action", Some((-0.3, 0.9))),
        ],
        true,
    );
    let list = auto_spot(&cut, &score, &Lexicon::default());
    let names: Vec<_> = list.cues.iter().map(|c| c.cue.as_str()).collect();
    assert_eq!(names, ["love", "grief"]);
    assert_eq!(list.cues[1].start, 240);
    assert_eq!(list.hits[0].name, "graveside");
    assert_eq!(list.hits[0].importance, 0.6);
    let _ = autospot::MIN_SCENE_S;
}
