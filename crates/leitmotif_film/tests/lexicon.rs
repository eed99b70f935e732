//! The words-to-mood lexicon: 40 scene descriptions written for this test,
//! negation, intensifiers, inflections and the size of the lexicon.

use leitmotif_film::lexicon::{Lexicon, base_forms};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Quadrant {
    /// valence > 0, arousal < 0
    Calm,
    /// valence < 0, arousal > 0
    Tense,
    /// valence < 0, arousal < 0
    Sad,
    /// valence > 0, arousal > 0
    Triumphant,
}

fn quadrant((v, a): (f32, f32)) -> Quadrant {
    match (v > 0.0, a > 0.0) {
        (true, false) => Quadrant::Calm,
        (false, true) => Quadrant::Tense,
        (false, false) => Quadrant::Sad,
        (true, true) => Quadrant::Triumphant,
    }
}

use Quadrant::{Calm, Sad, Tense, Triumphant};

/// Scene descriptions as a screenwriter or a picture editor would write
/// them in a clip comment or a spotting note; (N) marks the ones with
/// negation.
const SCENES: &[(Quadrant, &str)] = &[
    // calm
    (
        Calm,
        "Morning light through the kitchen window. Anna pours coffee and watches the garden, content.",
    ),
    (
        Calm,
        "A slow pan across the lake at dawn. Mist on the water, a heron standing motionless.",
    ),
    (
        Calm,
        "Grandfather dozes in his armchair while the kettle hums softly.",
    ),
    (
        Calm,
        "They lie in the grass and talk about nothing in particular, smiling.",
    ),
    // (N)
    (
        Calm,
        "The storm has passed. Nobody is afraid anymore; the village sleeps.",
    ),
    (
        Calm,
        "Sunday afternoon in the park, children playing quietly, a gentle breeze.",
    ),
    (
        Calm,
        "She reads by the fire, wrapped in a warm blanket, at peace.",
    ),
    (
        Calm,
        "The boat drifts on a glassy sea, the crew resting after the long night.",
    ),
    // (N)
    (
        Calm,
        "Not a sound in the cabin, no rush, no worry. Snow falls outside.",
    ),
    (
        Calm,
        "EXT. VINEYARD - DAY. Old friends share bread and wine under the olive trees, relaxed.",
    ),
    // tense
    (
        Tense,
        "INT. SUBWAY PLATFORM - NIGHT. Footsteps echo behind her; she quickens her pace, glancing back.",
    ),
    (
        Tense,
        "The bomb's timer ticks down as Jack fumbles with the wires, sweat on his face.",
    ),
    (
        Tense,
        "Someone is inside the house. The floorboards creak upstairs and the lights go out.",
    ),
    (
        Tense,
        "Gunfire erupts in the market and the crowd scatters in panic.",
    ),
    // (N)
    (
        Tense,
        "Nobody is calm anymore; the hostages stare at the gunman's trembling hand.",
    ),
    (
        Tense,
        "The car skids around the corner with the police right behind it.",
    ),
    (
        Tense,
        "He hides in the closet, holding his breath, as the killer searches the room.",
    ),
    // (N)
    (
        Tense,
        "This is not a safe place to stop. The engine dies and wolves howl in the dark woods.",
    ),
    (
        Tense,
        "A frantic phone call: the kidnappers want the money by midnight or she dies.",
    ),
    (
        Tense,
        "The soldiers crawl through the trench under heavy fire, shells exploding around them.",
    ),
    // sad
    (
        Sad,
        "Rain on the cemetery. The family stands silent around the grave.",
    ),
    (
        Sad,
        "She packs his clothes into boxes, one shirt at a time, alone in the empty flat.",
    ),
    (
        Sad,
        "The old dog is too weak to stand; the vet kneels beside him.",
    ),
    // (N)
    (
        Sad,
        "Not a happy ending: the letter arrives years too late, and he never reads it.",
    ),
    // (N)
    (
        Sad,
        "A hospital corridor at dawn. The doctor says nothing, and the mother begins to weep.",
    ),
    (
        Sad,
        "He sits on the bed where she used to sleep, holding her photograph, lonely.",
    ),
    // (N)
    (
        Sad,
        "The children no longer laugh in this house; the rooms are cold and grey.",
    ),
    (
        Sad,
        "Snow falls on the abandoned farm as the last of the family drives away in grief.",
    ),
    (
        Sad,
        "She reads his final message again and cries quietly in the dark.",
    ),
    // (N)
    (
        Sad,
        "He can't remember his daughter's name. She holds his hand and tries not to cry.",
    ),
    // triumphant
    (
        Triumphant,
        "The crowd roars as the runner breaks the tape, arms raised in victory.",
    ),
    (
        Triumphant,
        "The rebels storm the palace and tear down the tyrant's flag, cheering.",
    ),
    (
        Triumphant,
        "Against all odds the team scores in the final second and the stadium erupts.",
    ),
    (
        Triumphant,
        "She stands on the summit at last, shouting with joy into the wind.",
    ),
    (
        Triumphant,
        "The rocket lifts off flawlessly and mission control bursts into applause.",
    ),
    // (N)
    (
        Triumphant,
        "Nobody thought he could win, but the underdog knocks out the champion.",
    ),
    (
        Triumphant,
        "The hero rides back into town, the villagers celebrating in the streets.",
    ),
    // (N)
    (
        Triumphant,
        "Not defeated after all: the army regroups and charges to a glorious win.",
    ),
    (
        Triumphant,
        "Fireworks over the harbour as the ship returns home, the whole city dancing.",
    ),
    (
        Triumphant,
        "The orchestra swells; the young pianist finishes and the audience leaps to its feet, ecstatic.",
    ),
];

#[test]
fn forty_scene_descriptions_land_in_their_quadrant() {
    let lex = Lexicon::default();
    assert_eq!(SCENES.len(), 40);
    for q in [Calm, Tense, Sad, Triumphant] {
        assert_eq!(SCENES.iter().filter(|s| s.0 == q).count(), 10);
    }
    let negated = SCENES
        .iter()
        .filter(|s| lex.evidence_in(s.1).iter().any(|e| e.negated))
        .count();
    assert!(
        negated >= 8,
        "at least 8 descriptions use negation: {negated}"
    );
    let mut right = 0;
    for (want, text) in SCENES {
        let mood = lex.mood(text);
        let got = mood.map(quadrant);
        if got == Some(*want) {
            right += 1;
        } else {
            let ev: Vec<String> = lex
                .evidence_in(text)
                .iter()
                .map(|e| {
                    format!(
                        "{}{}({:+.2},{:+.2})",
                        if e.negated { "¬" } else { "" },
                        e.word,
                        e.valence,
                        e.arousal
                    )
                })
                .collect();
            eprintln!(
                "MISS want {want:?} got {got:?} mood {mood:?}: {text}\n     evidence: {}",
                ev.join(" ")
            );
        }
    }
    eprintln!("lexicon quadrant score: {right}/40 ({negated} descriptions with negation)");
    assert!(right >= 34, "only {right}/40 in the right quadrant");
}

#[test]
fn negation_moves_valence_and_arousal() {
    let lex = Lexicon::default();
    let calm = lex.mood("calm").unwrap();
    let not_calm = lex.mood("not calm").unwrap();
    assert!(calm.0 > 0.0 && calm.1 < 0.0, "{calm:?}");
    assert!(
        not_calm.0 < calm.0,
        "valence falls: {calm:?} → {not_calm:?}"
    );
    assert!(not_calm.0 < 0.0);
    assert!(
        not_calm.1 > calm.1,
        "arousal rises: {calm:?} → {not_calm:?}"
    );
    // Contractions and other negators, and the window.
    for t in [
        "isn't calm",
        "don't feel calm",
        "never calm",
        "nobody is calm",
        "without calm",
    ] {
        let m = lex.mood(t).unwrap();
        assert!(m.0 < 0.0 && m.1 > calm.1, "{t}: {m:?}");
    }
    assert_eq!(
        lex.mood("not, calm"),
        Some(calm),
        "a clause break ends negation"
    );
    assert_eq!(
        lex.mood("not one of us here is calm"),
        Some(calm),
        "out of window"
    );
    let tense = lex.mood("tense").unwrap();
    let not_tense = lex.mood("not tense").unwrap();
    assert!(tense.0 < 0.0 && tense.1 > 0.0);
    assert!(not_tense.0 > tense.0 && not_tense.1 < tense.1);
    let happy = lex.mood("a happy ending").unwrap();
    let unhappy = lex.mood("not a happy ending").unwrap();
    assert!(happy.0 > 0.0 && unhappy.0 < 0.0, "{happy:?} {unhappy:?}");
    assert!(lex.evidence_in("not a happy ending")[0].negated);
    // Negators and modifiers are not evidence themselves.
    assert!(lex.mood("not very").is_none());
    // "not to": held back, not undone — the valence stays, the arousal halves.
    let cry = lex.mood("she cries").unwrap();
    let held = lex.mood("she tries not to cry").unwrap();
    assert!(cry.0 < 0.0 && held.0 < 0.0, "{cry:?} {held:?}");
    assert!((held.1 - cry.1 * 0.5).abs() < 1e-6, "{cry:?} {held:?}");
    assert!(!lex.evidence_in("tries not to cry")[0].negated);
}

#[test]
fn lying_down_is_rest_not_deceit() {
    let lex = Lexicon::default();
    let lie = lex.mood("he tells a lie").unwrap();
    let rest = lex.mood("they lie in the grass").unwrap();
    assert!(lie.0 < 0.0, "{lie:?}");
    assert!(rest.0 > 0.0 && rest.1 < lie.1, "{rest:?} vs {lie:?}");
    assert_eq!(lex.mood("lying down"), lex.mood("rest"));
}

#[test]
fn intensifiers_and_dampeners_scale_magnitude() {
    let lex = Lexicon::default();
    let mag = |t: &str| {
        let (v, a) = lex.mood(t).unwrap();
        (v.abs(), a.abs())
    };
    let tense = mag("tense");
    let very = mag("very tense");
    assert!(very.0 > tense.0 && very.1 > tense.1, "{tense:?} {very:?}");
    assert!(mag("very, very tense").0 >= very.0);
    assert!(mag("extremely tense").0 > very.0);
    let slightly = mag("slightly tense");
    assert!(slightly.0 < tense.0 && slightly.1 < tense.1);
    assert!(mag("a bit tense").0 < tense.0);
    assert!(mag("barely tense").0 < slightly.0);
    // Signs are kept.
    let v = lex.mood("very sad").unwrap();
    assert!(v.0 < lex.mood("sad").unwrap().0);
    // Contrast: the clause after "but" weighs more.
    let m = lex.mood("calm, but terrified").unwrap();
    let n = lex.mood("terrified, but calm").unwrap();
    assert!(m.1 > n.1, "{m:?} {n:?}");
}

#[test]
fn inflections_find_the_base_word() {
    let lex = Lexicon::default();
    for (form, base) in [
        ("worries", "worry"),
        ("worried", "worry"),
        ("happily", "happy"),
        ("happiness", "happy"),
        ("chasing", "chase"),
        ("running", "run"),
        ("kisses", "kiss"),
        ("panicked", "panic"),
        ("quietly", "quiet"),
        ("gently", "gentle"),
        ("calmer", "calm"),
        ("calmest", "calm"),
        ("mourners", "mourner"),
        ("mother's", "mother"),
    ] {
        assert!(
            base_forms(form).iter().any(|f| f == base),
            "{form}: {:?}",
            base_forms(form)
        );
        assert!(lex.word(base).is_some(), "{base} is in the lexicon");
        if lex.words.contains_key(base) {
            assert_eq!(lex.word(form), lex.word(base), "{form} → {base}");
        } else {
            assert!(lex.word(form).is_some(), "{form}");
        }
    }
    assert_eq!(lex.word("CHASING"), lex.word("chase"));
    assert!(lex.word("zzqx").is_none());
}

#[test]
fn lexicon_has_thousands_of_words_in_range() {
    let lex = Lexicon::default();
    assert!(lex.len() > 5_000, "{} words", lex.len());
    let mut n = 0;
    let mut low = 0;
    let mut high = 0;
    for (w, (v, a)) in lex.generated_words() {
        n += 1;
        assert!(
            !w.is_empty() && w.chars().all(|c| c.is_alphabetic() || c == '\''),
            "{w:?}"
        );
        assert!(
            (-1.0..=1.0).contains(&v) && (-1.0..=1.0).contains(&a),
            "{w} {v} {a}"
        );
        low += usize::from(a < -0.2);
        high += usize::from(a > 0.4);
    }
    assert!(n > 5_000, "{n} generated words");
    // Arousal is spread, not constant.
    assert!(low > 300 && high > 300, "low {low} high {high}");
    for (w, (v, a)) in &lex.words {
        assert!((-1.0..=1.0).contains(v) && (-1.0..=1.0).contains(a), "{w}");
    }
    // Curated words win over generated ones.
    assert_eq!(lex.word("calm"), lex.words.get("calm").copied());
    // The generated file is the committed one the script writes.
    let tsv = include_str!("../src/lexicon/words.tsv");
    assert!(tsv.starts_with("# Leitmotif mood lexicon, generated by scripts/build-lexicon"));
}

#[test]
fn scene_headings_skip_prefix_and_time_of_day() {
    let lex = Lexicon::default();
    let words =
        |t: &str| -> Vec<String> { lex.evidence_in(t).into_iter().map(|e| e.word).collect() };
    assert!(
        words("INT. SUBWAY PLATFORM - NIGHT")
            .iter()
            .all(|w| w != "night")
    );
    assert!(words("EXT. CEMETERY - DAY").iter().any(|w| w == "cemetery"));
    assert!(
        words("12 EXT. CEMETERY - NIGHT")
            .iter()
            .all(|w| w != "night")
    );
    // A deliberate time of day is read; "night" outside a heading too.
    assert!(words("EXT. BEACH - SUNSET").iter().any(|w| w == "sunset"));
    assert!(words("A night of terror").iter().any(|w| w == "night"));
    assert!(
        words("INT. HOUSE - NIGHT. She weeps, alone.")
            .iter()
            .any(|w| w == "alone")
    );
}

#[test]
fn user_lexicon_overrides_and_bad_files_are_located() {
    let custom =
        Lexicon::from_ron("Lexicon(words: {\"Duel\": (-0.5, 0.9), \"calm\": (0.1, 0.1)})").unwrap();
    assert_eq!(custom.word("duel"), Some((-0.5, 0.9)));
    assert_eq!(custom.word("duels"), Some((-0.5, 0.9)));
    assert_eq!(
        custom.word("calm"),
        Some((0.1, 0.1)),
        "the user's word wins"
    );
    assert!(custom.word("funeral").is_some(), "built-in words stay");
    assert!(custom.len() > 5_000);
    let shipped = Lexicon::from_ron_only(include_str!("../src/lexicon.ron")).unwrap();
    assert!(shipped.words.len() > 100 && shipped.colours.len() >= 9);
    assert_eq!(shipped.words, Lexicon::default().words);
    let only = Lexicon::from_ron_only("Lexicon(words: {\"duel\": (-0.5, 0.9)})").unwrap();
    assert!(only.word("funeral").is_none());
    assert_eq!(only.colours, Lexicon::default().colours);
    let e = Lexicon::from_ron("Lexicon(words: {\"x\": 1})").unwrap_err();
    assert_eq!(e.line(), 1);
    let e = Lexicon::from_ron("Lexicon(\n  words: {\n    \"car chase\": (0.1, 0.2),\n  },\n)")
        .unwrap_err();
    assert_eq!((e.line(), e.column()), (3, 5), "{e}");
    assert!(e.to_string().contains("car chase"), "{e}");
    let e = Lexicon::from_ron("Lexicon(words: {\"calm\": (NaN, 0.2)})").unwrap_err();
    assert_eq!(e.line(), 1, "{e}");
    let e = Lexicon::from_ron("Lexicon(wordz: {})").unwrap_err();
    assert_eq!(e.line(), 1, "{e}");
    let dir = std::env::temp_dir().join(format!("leitmotif-lex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.ron");
    std::fs::write(&p, "Lexicon(words: {\"a\": (0.1,)})").unwrap();
    let e = Lexicon::load(&p).unwrap_err();
    assert!(e.to_string().contains("bad.ron:1:"), "{e}");
    assert!(Lexicon::load(&dir.join("missing.ron")).is_err());
    std::fs::remove_dir_all(&dir).ok();
}
