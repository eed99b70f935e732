//! Variations (issue 14, item 5): a cue's passes pick their body among its layers'
//! `alternates` (`Sequence`, `Shuffle`, `Random` with weights and avoid-repeat), seeded; a
//! stinger never repeats its last variation. Checked on the conductor's plan (the voice
//! sources of each pass) and, for file alternates, in the rendered mix.

mod common;

use std::sync::Arc;

use common::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{
    Action, ActionKind, Conductor, EventKind, Input, MusicEvent, SourceRef, TimedInput,
};
use leitmotif_engine::{RenderOptions, render};

const SR: u32 = 48_000;
/// One 4/4 bar at 120 BPM.
const BAR: u64 = 96_000;

/// A one-bar cue whose layer "a" has `alts` alternates and layer "b" none.
fn score(variation: &str, alts: usize) -> Arc<Score> {
    let alternates = vec!["Silence"; alts].join(", ");
    let src = format!(
        r#"Score(name: "v", tempo: (bpm: 120.0), initial_cue: "c",
        cues: [(name: "c", bars: 1, variation: {variation},
            layers: [(name: "a", source: Silence, alternates: [{alternates}]),
                     (name: "b", source: Silence)])],
        stingers: [(name: "s", sync: Immediate, variations: [
            (source: Silence), (source: Silence), (source: Silence, weight: 3.0)]),
            (name: "one", sync: Immediate, variations: [(source: Silence)])],
        seed: 7)"#
    );
    Arc::new(
        Score::from_ron(&src, Some(std::path::Path::new("v.score.ron")))
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// The conductor's plan over `passes` passes: its actions and events.
fn plan(
    s: &Arc<Score>,
    seed: u64,
    passes: u64,
    inputs: &[TimedInput],
) -> (Vec<Action>, Vec<MusicEvent>) {
    let mut c = Conductor::new(s.clone(), SR, seed);
    for i in inputs {
        c.push(i.clone());
    }
    let (mut actions, mut events) = (Vec::new(), Vec::new());
    c.advance(passes * BAR - 1, &mut actions, &mut events);
    (actions, events)
}

/// The body each pass played: the source of layer "a"'s voice starts, in order.
fn bodies(s: &Arc<Score>, seed: u64, passes: u64) -> Vec<u16> {
    let (actions, _) = plan(s, seed, passes, &[]);
    let b: Vec<u16> = actions
        .iter()
        .filter_map(|a| match a.kind {
            ActionKind::Start { source, .. } => match source {
                SourceRef::Layer { layer: 0, .. } => Some(0),
                SourceRef::Alternate {
                    layer: 0,
                    alternate,
                    ..
                } => Some(alternate + 1),
                SourceRef::Alternate { layer, .. } => panic!("layer {layer} has no alternates"),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(b.len() as u64, passes, "one start of layer a per pass");
    b
}

#[test]
fn shuffle_never_repeats_covers_every_cycle_and_is_seeded() {
    let s = score("Shuffle", 3);
    let a = bodies(&s, 1, 100);
    eprintln!("Shuffle, 4 bodies, seed 1: {:?}", &a[..16]);
    for w in a.windows(2) {
        assert_ne!(w[0], w[1], "a body twice in a row: {a:?}");
    }
    for cycle in a.chunks(4).filter(|c| c.len() == 4) {
        let mut c = cycle.to_vec();
        c.sort();
        assert_eq!(c, [0, 1, 2, 3], "a cycle plays every body once: {a:?}");
    }
    assert_eq!(a, bodies(&s, 1, 100), "same seed, same order");
    assert_ne!(a, bodies(&s, 2, 100), "another seed, another order");
    // The second layer has no alternates: its source plays in every body.
    let (actions, _) = plan(&s, 1, 10, &[]);
    let b = actions
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ActionKind::Start {
                    source: SourceRef::Layer { layer: 1, .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(b, 10);
    // Two bodies: a shuffle alternates.
    let two = bodies(&score("Shuffle", 1), 3, 100);
    assert!(two.windows(2).all(|w| w[0] != w[1]), "{two:?}");
}

#[test]
fn sequence_plays_the_bodies_in_turn() {
    let a = bodies(&score("Sequence", 2), 5, 9);
    assert_eq!(a, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[test]
fn random_follows_the_weights_and_avoids_repeats() {
    // 3:1 without avoid-repeat: about 300 of 400 passes play body 0.
    let s = score("Random(weights: [3.0, 1.0], avoid_repeat: false)", 1);
    let a = bodies(&s, 11, 400);
    let zeros = a.iter().filter(|&&b| b == 0).count();
    eprintln!("Random 3:1, 400 passes: body 0 {zeros} times");
    assert!(
        (255..=345).contains(&zeros),
        "{zeros} of 400 passes on body 0, expected ~300"
    );
    assert!(
        a.windows(2).any(|w| w[0] == w[1]),
        "repeats are allowed here"
    );
    assert_eq!(a, bodies(&s, 11, 400), "same seed, same draws");
    // Avoid-repeat (the default): never twice in a row, weights still felt.
    let s = score("Random(weights: [1.0, 2.0, 0.0, 1.0])", 3);
    let a = bodies(&s, 4, 400);
    assert!(a.windows(2).all(|w| w[0] != w[1]), "{a:?}");
    assert!(!a.contains(&2), "a body of weight 0 never plays");
    let ones = a.iter().filter(|&&b| b == 1).count();
    eprintln!("Random 1:2:0:1 avoid-repeat, 400 passes: body 1 {ones} times");
    // With the repeat left out, body 1 (weight 2 of 4) plays 40 % of passes in the long run.
    assert!(
        (120..=200).contains(&ones),
        "body 1: {ones} of 400, expected ~160"
    );
    // No weights: all equal.
    let a = bodies(&score("Random()", 2), 4, 300);
    for b in 0..3 {
        let n = a.iter().filter(|&&x| x == b).count();
        assert!((70..=130).contains(&n), "body {b}: {n} of 300");
    }
}

#[test]
fn stingers_never_repeat_their_last_variation() {
    let s = score("Sequence", 1);
    let inputs: Vec<TimedInput> = (0..200)
        .flat_map(|i| {
            [0, 1].map(|st| TimedInput {
                frame: 1_000 + i * 4_800,
                input: Input::Stinger(st),
            })
        })
        .collect();
    let (_, events) = plan(&s, 9, 11, &inputs);
    let picks = |st: u16| -> Vec<u16> {
        events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Stinger { stinger, variation } if stinger == st => Some(variation),
                _ => None,
            })
            .collect()
    };
    let many = picks(0);
    assert!(many.len() >= 150, "{} stingers played", many.len());
    assert!(many.windows(2).all(|w| w[0] != w[1]), "{many:?}");
    let heavy = many.iter().filter(|&&v| v == 2).count();
    eprintln!("stinger 1:1:3: {} plays, weight-3 {heavy}", many.len());
    assert!(
        heavy > many.len() / 3,
        "the weight-3 variation plays most: {heavy} of {}",
        many.len()
    );
    // One variation: it plays every time.
    let one = picks(1);
    assert!(one.len() >= 150 && one.iter().all(|&v| v == 0));
}

#[test]
fn alternates_are_validated_with_their_place() {
    let bad = |variation: &str, alts: &str| {
        let src = format!(
            r#"Score(name: "v", tempo: (bpm: 120.0), initial_cue: "c",
            cues: [(name: "c", bars: 1, variation: {variation},
                layers: [(name: "a", source: Silence, alternates: [{alts}]),
                         (name: "b", source: Silence, alternates: [Silence])])])"#
        );
        Score::from_ron(&src, Some(std::path::Path::new("v.score.ron")))
            .unwrap_err()
            .to_string()
    };
    let e = bad("Random(weights: [1.0])", "Silence");
    assert!(
        e.contains("cue \"c\", variation") && e.contains("1 weights for 2 bodies"),
        "{e}"
    );
    let e = bad("Random(weights: [0.0, 0.0])", "Silence");
    assert!(e.contains("every weight is 0"), "{e}");
    let e = bad("Random(weights: [1.0, -1.0])", "Silence");
    assert!(e.contains("weight"), "{e}");
    let e = bad("None", "Silence");
    assert!(e.contains("no `variation`"), "{e}");
    let e = bad("Shuffle", "Silence, Silence");
    assert!(
        e.contains("layer \"b\"") && e.contains("1 alternates where another layer has 2"),
        "{e}"
    );
    let e = bad("Shuffle", r#"File("")"#);
    assert!(
        e.contains("layer \"a\", alternate 1") && e.contains("empty"),
        "{e}"
    );
    assert!(e.starts_with("v.score.ron:"), "located: {e}");
}

/// File alternates load like sources (length checks included) and are heard: click stems of
/// distinct level, one per body, each pass's downbeat tells which body played.
#[test]
fn file_alternates_are_heard_pass_by_pass() {
    let dir = temp_dir("variations");
    let len = BAR as usize;
    let levels = [0.1f32, 0.2, 0.3];
    for (i, l) in levels.iter().enumerate() {
        let mut v = vec![[0.0; 2]; len];
        v[0] = [*l, *l];
        write_stem(&dir, &format!("body{i}.wav"), &v, SR);
    }
    write_stem(&dir, "short.wav", &vec![[0.0; 2]; len / 2], SR);
    let src = r#"Score(name: "v", tempo: (bpm: 120.0), initial_cue: "c",
        cues: [(name: "c", bars: 1, variation: Shuffle,
            layers: [(name: "a", source: File("body0.wav"),
                      alternates: [File("body1.wav"), File("body2.wav")])])],
        seed: 3)"#;
    let (score, bank) = load(src, &dir, SR);
    assert!(
        bank.get(SourceRef::Alternate {
            cue: 0,
            layer: 0,
            alternate: 1
        })
        .is_some(),
        "the bank holds the alternates"
    );
    let passes = 12;
    let r = render(
        score.clone(),
        bank,
        &[],
        &RenderOptions {
            frames: passes * BAR,
            seed: 1,
            ..Default::default()
        },
    );
    let heard: Vec<u16> = (0..passes as usize)
        .map(|p| {
            let x = r.mix[p * len][0];
            levels
                .iter()
                .position(|l| (l - x).abs() < 0.02)
                .unwrap_or_else(|| panic!("pass {p}: {x} is no body's click")) as u16
        })
        .collect();
    assert!(heard.windows(2).all(|w| w[0] != w[1]), "{heard:?}");
    assert_eq!(
        heard,
        bodies(&score, 1, passes),
        "the mix plays the planned bodies"
    );
    // An alternate of the wrong length is refused, naming it.
    let path = dir.join("bad.score.ron");
    std::fs::write(&path, src.replace("body2.wav", "short.wav")).unwrap();
    let s = Score::load(&path).unwrap();
    let e = leitmotif_engine::SourceBank::load(
        &s,
        &leitmotif_engine::BankOptions::for_score(&path, SR),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("alternate 2") && e.contains("short.wav"), "{e}");
}
