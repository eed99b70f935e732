//! Every generated transition of the bundled scores, rendered offline: the bridge is composed,
//! lands the target's bar 1 exactly after its bars, and its loudness sits between the cues it
//! joins (EBU R128 integrated loudness on both sides and across).

mod common;

use std::path::Path;
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, Input, TimedInput};
use leitmotif_core::score::Bridge;
use leitmotif_core::time::TempoMap;
use leitmotif_engine::{BankOptions, RenderOptions, SourceBank, render};

#[test]
fn generated_transitions_are_in_time_and_level() {
    let sr = 48_000u64;
    let mut rendered = 0;
    for name in ["noir", "stealth", "arcade"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scores/{name}.score.ron"));
        let score = Arc::new(Score::load(&path).unwrap());
        let bank =
            Arc::new(SourceBank::load(&score, &BankOptions::for_score(&path, sr as u32)).unwrap());
        for rule in score
            .transitions
            .iter()
            .filter(|t| matches!(t.bridge, Bridge::Generated(_)))
        {
            let Bridge::Generated(bars) = rule.bridge else {
                continue;
            };
            // An exact pair for the rule (wildcards: the first cue that matches and differs).
            let pick = |pat: &str, not: Option<usize>| {
                score
                    .cues
                    .iter()
                    .position(|c| {
                        (pat == "*" || c.name == pat)
                            && Some(score.cue_index(&c.name).unwrap()) != not
                    })
                    .unwrap()
            };
            let to = pick(&rule.to, None);
            let from = pick(&rule.from, Some(to));
            let inputs = [
                TimedInput {
                    frame: 0,
                    input: Input::StartCue(from),
                },
                TimedInput {
                    frame: 8 * sr,
                    input: Input::RequestCue(to),
                },
            ];
            let r = render(
                score.clone(),
                bank.clone(),
                &inputs,
                &RenderOptions {
                    frames: 30 * sr,
                    seed: 11,
                    ..Default::default()
                },
            );
            let start = r.events.iter().find(|e| matches!(e.kind, EventKind::TransitionStarted { to: t, .. } if t as usize == to)).expect("transition").frame;
            let arrive = r
                .events
                .iter()
                .find(|e| e.kind == EventKind::CueStarted { cue: to as u16 })
                .expect("target")
                .frame;
            // The bridge lasts exactly its bars under the tempo ramp between the two cues.
            let (a, b) = (
                score.cue_tempo(&score.cues[from]),
                score.cue_tempo(&score.cues[to]),
            );
            let map = TempoMap::ramp(
                sr as u32,
                start as i64,
                a.bpm,
                b.bpm,
                bars * a.meter.0,
                a.meter.0,
            );
            assert_eq!(
                arrive as i64,
                map.frame_at_bar(bars + 1),
                "{name}: {} -> {}",
                score.cues[from].name,
                score.cues[to].name
            );
            assert!(
                r.bridges
                    .iter()
                    .any(|b| b.to as usize == to && b.start == start),
                "a bridge was composed for it"
            );
            let before = common::lufs(&r.mix[(start - 4 * sr) as usize..start as usize]);
            let across = common::lufs(&r.mix[start as usize..arrive as usize]);
            let after = common::lufs(&r.mix[arrive as usize..(arrive + 4 * sr) as usize]);
            println!(
                "{name}: {} -> {} ({bars} bar{}, {:.2} s): before {before:.1} LUFS, bridge {across:.1}, after {after:.1}",
                score.cues[from].name,
                score.cues[to].name,
                if bars > 1 { "s" } else { "" },
                (arrive - start) as f64 / sr as f64
            );
            let lo = before.min(after) - 6.0;
            let hi = before.max(after) + 6.0;
            assert!(
                (lo..=hi).contains(&across),
                "{name}: bridge at {across:.1} LUFS outside {lo:.1}..{hi:.1}"
            );
            rendered += 1;
        }
    }
    assert!(rendered >= 4, "{rendered} generated transitions rendered");
}
