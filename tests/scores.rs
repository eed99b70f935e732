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
