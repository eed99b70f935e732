//! Every score in `scores/` validates, synthesises its stems and renders music.

use std::path::Path;
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, Input, TimedInput};
use leitmotif_engine::{BankOptions, RenderOptions, SourceBank, render};

#[test]
fn every_score_validates_and_renders() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scores");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".score.ron") {
            continue;
        }
        seen += 1;
        let score = Arc::new(Score::load(&path).unwrap_or_else(|e| panic!("{e}")));
        assert!(
            (3..=6).contains(&score.cues.len()),
            "{}: {} cues",
            path.display(),
            score.cues.len()
        );
        let bank = Arc::new(
            SourceBank::load(&score, &BankOptions::for_score(&path, 48_000))
                .unwrap_or_else(|e| panic!("{e}")),
        );
        // Visit every cue, 6 seconds apart, and fire every stinger.
        let mut inputs = Vec::new();
        for (i, _) in score.cues.iter().enumerate().skip(1) {
            inputs.push(TimedInput {
                frame: i as u64 * 6 * 48_000,
                input: Input::RequestCue(i),
            });
        }
        for s in 0..score.stingers.len() {
            inputs.push(TimedInput {
                frame: 3 * 48_000 + s as u64 * 48_000,
                input: Input::Stinger(s),
            });
        }
        let frames = (score.cues.len() as u64 * 6 + 8) * 48_000;
        let r = render(
            score.clone(),
            bank,
            &inputs,
            &RenderOptions {
                frames,
                seed: 5,
                ..Default::default()
            },
        );
        let started: Vec<u16> = r
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::CueStarted { cue } => Some(cue),
                _ => None,
            })
            .collect();
        for i in 0..score.cues.len() as u16 {
            assert!(
                started.contains(&i),
                "{}: cue {} never started ({started:?})",
                path.display(),
                score.cues[i as usize].name
            );
        }
        let peak = r
            .mix
            .iter()
            .fold(0.0f32, |m, f| m.max(f[0].abs()).max(f[1].abs()));
        assert!(
            peak <= 1.0 && peak > 0.05,
            "{}: peak {peak}",
            path.display()
        );
        assert!(r.mix.iter().all(|f| f[0].is_finite() && f[1].is_finite()));
        // No silence longer than two seconds while a looping cue plays (a cue that does not
        // loop ends in a rest, by design).
        let starts: Vec<(usize, u16)> = r
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::CueStarted { cue } => Some((e.frame as usize, cue)),
                _ => None,
            })
            .collect();
        let mut longest = 0usize;
        for (k, &(start, cue)) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(frames as usize, |s| s.0);
            if !score.cues[cue as usize].looping {
                continue;
            }
            let mut quiet = 0usize;
            for f in &r.mix[start..end] {
                quiet = if f[0].abs().max(f[1].abs()) < 1e-4 {
                    quiet + 1
                } else {
                    0
                };
                longest = longest.max(quiet);
            }
        }
        assert!(
            longest < 2 * 48_000,
            "{}: {longest} silent frames in a row",
            path.display()
        );
    }
    assert!(seen >= 3, "expected at least three scores, found {seen}");
}

/// The largest sample step (either channel) from frame `i` to `i + 1`.
fn step(mix: &[[f32; 2]], i: usize) -> f32 {
    (mix[i + 1][0] - mix[i][0])
        .abs()
        .max((mix[i + 1][1] - mix[i][1]).abs())
}

/// The stealth score (the game example's and the tuning desk's) uses the whole game-side
/// model — a pickup, tails, a shuffled variation, buses with effects, sends and a sidechain,
/// snapshots — and renders clean: at every start, stop and bar line the largest sample step
/// within 1 ms is at most twice the larger of the median and the 95th percentile step of the
/// 20 ms around it.
#[test]
fn stealth_uses_the_mix_model_and_renders_clean() {
    use leitmotif_core::conductor::ActionKind;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scores/stealth.score.ron");
    let score = Arc::new(Score::load(&path).unwrap_or_else(|e| panic!("{e}")));
    assert!(score.cues.iter().any(|c| c.pickup_beats > 0), "a pickup");
    assert!(score.cues.iter().any(|c| c.tail_beats > 0), "a tail");
    assert!(
        score
            .cues
            .iter()
            .any(|c| c.layers.iter().any(|l| !l.alternates.is_empty())),
        "a variation"
    );
    assert!(score.mix.buses.len() >= 3 && !score.mix.snapshots.is_empty());
    assert!(score.mix.buses.iter().any(|b| b.sidechain.is_some()));
    let bank = Arc::new(
        SourceBank::load(&score, &BankOptions::for_score(&path, 48_000))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let s = 48_000u64;
    let at = |sec: f64, input: Input| TimedInput {
        frame: (sec * s as f64) as u64,
        input,
    };
    let tension = score.parameter_index("tension").unwrap();
    let combat = score.cue_index("combat").unwrap();
    let victory = score.cue_index("victory").unwrap();
    let explore = score.cue_index("explore").unwrap();
    let under = score.mix.snapshot_index("underwater").unwrap();
    let inputs = vec![
        at(4.0, Input::SetParameter(tension, 0.7)),
        at(14.0, Input::RequestCue(combat)),
        at(17.0, Input::Stinger(0)),
        at(21.0, Input::Stinger(1)),
        at(
            22.0,
            Input::Snapshot {
                snapshot: under,
                intensity: 1.0,
                seconds: None,
            },
        ),
        at(
            27.0,
            Input::Snapshot {
                snapshot: under,
                intensity: 0.0,
                seconds: Some(0.5),
            },
        ),
        at(30.0, Input::SetParameter(tension, 0.0)),
        at(31.0, Input::RequestCue(victory)),
        at(38.0, Input::RequestCue(explore)),
    ];
    let r = render(
        score.clone(),
        bank,
        &inputs,
        &RenderOptions {
            frames: 46 * s,
            seed: 5,
            ..Default::default()
        },
    );
    let started: Vec<u16> = r
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CueStarted { cue } => Some(cue),
            _ => None,
        })
        .collect();
    assert!(
        started.contains(&(combat as u16)) && started.contains(&(victory as u16)),
        "the render visits combat and victory: {started:?}"
    );
    let mix = &r.mix;
    assert!(mix.iter().all(|f| f[0].is_finite() && f[1].is_finite()));
    let seams: Vec<usize> = r
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Start { .. } | ActionKind::Stop { .. }))
        .map(|a| a.frame as usize)
        .chain(
            r.events
                .iter()
                .filter(|e| e.kind == EventKind::Bar)
                .map(|e| e.frame as usize),
        )
        .filter(|&f| f >= 480 && f + 481 < mix.len())
        .collect();
    let mut worst = (0.0f32, 0usize);
    for &f in &seams {
        let mut local: Vec<f32> = (f - 480..f + 480).map(|i| step(mix, i)).collect();
        local.sort_by(f32::total_cmp);
        let ceiling = 2.0 * local[local.len() / 2].max(local[local.len() * 95 / 100]);
        let at_seam = (f - 48..f + 48)
            .map(|i| step(mix, i))
            .fold(0.0f32, f32::max);
        if at_seam / ceiling.max(1e-9) > worst.0 {
            worst = (at_seam / ceiling.max(1e-9), f);
        }
        assert!(
            at_seam <= ceiling.max(1e-4),
            "click at {:.3} s: step {at_seam} vs ceiling {ceiling}",
            f as f64 / s as f64
        );
    }
    println!(
        "stealth: {} seams checked, worst step/ceiling {:.2} at {:.3} s",
        seams.len(),
        worst.0,
        worst.1 as f64 / s as f64
    );
    assert!(seams.len() > 50, "{} seams", seams.len());
}
