use std::sync::Arc;

use super::*;
use crate::score::Score;
use crate::time::TempoMap;

const SCORE: &str = r#"
Score(
    name: "test",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [
        (name: "tension", min: 0.0, max: 1.0, default: 0.0, seek_speed: 0.5),
    ],
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 4, markers: [(name: "out", bar: 3, beat: 1)],
         layers: [
            (name: "pad", source: Silence),
            (name: "drums", source: Silence,
             gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
         ]),
        (name: "combat", bars: 2, tempo: Some((bpm: 97.0, meter: (3, 4))),
         layers: [(name: "drums", source: Silence)]),
        (name: "combat_alt", bars: 2, layers: [(name: "drums", source: Silence)]),
        (name: "victory", bars: 1, pickup_beats: 1, layers: [(name: "brass", source: Silence)]),
    ],
    rules: [
        (cue: "combat", when: [AtLeast("tension", 0.7)], hysteresis: 0.1),
        (cue: "calm", when: [Below("tension", 0.3)], hysteresis: 0.1),
    ],
    transitions: [
        (from: "*", to: "*", sync: NextBar),
        (from: "*", to: "combat", sync: NextBeat, fade_out: Beats(1.0)),
        (from: "calm", to: "combat", sync: Marker("out")),
        (from: "combat", to: "*", sync: EndOfLoop),
        (from: "combat*", to: "victory", sync: Immediate),
    ],
)
"#;

fn score() -> Arc<Score> {
    Arc::new(Score::from_ron(SCORE, None).expect("test score parses"))
}

fn run(c: &mut Conductor, to: u64) -> (Vec<Action>, Vec<MusicEvent>) {
    let (mut a, mut e) = (Vec::new(), Vec::new());
    c.advance(to, &mut a, &mut e);
    (a, e)
}

fn started(events: &[MusicEvent], cue: usize) -> Option<u64> {
    events
        .iter()
        .find(|e| e.kind == EventKind::CueStarted { cue: cue as u16 })
        .map(|e| e.frame)
}

#[test]
fn most_specific_rule_wins() {
    let s = score();
    let c = Conductor::new(s.clone(), 48_000, 1);
    // calm -> combat: the exact pair beats "* -> combat" and "* -> *".
    assert_eq!(c.rule_for(0, 1), Some(2));
    // combat_alt -> victory: "combat*" beats "*" on the from side; "combat -> *" does not match.
    assert_eq!(c.rule_for(2, 3), Some(4));
    // combat -> calm: "combat -> *" (exact from) beats "* -> *".
    assert_eq!(c.rule_for(1, 0), Some(3));
    assert_eq!(c.rule_for(3, 0), Some(0));
}

#[test]
fn transitions_land_on_their_grid_at_both_rates() {
    for sr in [44_100u32, 48_000] {
        let s = score();
        let mut c = Conductor::new(s.clone(), sr, 7);
        // Request combat mid-bar 1: the rule syncs on marker "out" (bar 3, beat 1 of calm).
        let req = sr as u64 / 3 + 17;
        c.push(TimedInput {
            frame: req,
            input: Input::RequestCue(1),
        });
        let (_, ev) = run(&mut c, sr as u64 * 12);
        let calm = TempoMap::constant(sr, 0, 120.0, 4);
        let t = started(&ev, 1).expect("combat starts");
        assert_eq!(t as i64, calm.frame_at_bar(3), "sr {sr}");
        // Bars inside combat follow its own tempo (97 BPM, 3/4) exactly.
        let combat = TempoMap::constant(sr, t as i64, 97.0, 3);
        let bars: Vec<u64> = ev
            .iter()
            .filter(|e| e.kind == EventKind::Bar && e.frame >= t)
            .map(|e| e.frame)
            .take(5)
            .collect();
        for (k, f) in bars.iter().enumerate() {
            assert_eq!(
                *f as i64,
                combat.frame_at_bar(k as u32 + 1),
                "sr {sr} bar {k}"
            );
        }
        // Global bar numbering continues: combat's bar 1 is global bar 3.
        let first = ev
            .iter()
            .find(|e| e.kind == EventKind::Bar && e.frame == t)
            .unwrap();
        assert_eq!((first.position.bar, first.cue_bar), (3, 1));
        // Leaving combat waits for the end of its 2-bar loop (bars 5-6 here, so bar 7).
        c.push(TimedInput {
            frame: combat.frame_at_bar(5) as u64 + 1_000,
            input: Input::RequestCue(0),
        });
        let (_, ev) = run(&mut c, sr as u64 * 40);
        let back = started(&ev, 0).expect("calm again");
        assert_eq!(back as i64, combat.frame_at_bar(7), "sr {sr}");
    }
}

#[test]
fn next_beat_sync_mid_chunk() {
    let sr = 44_100;
    let s = score();
    let mut c = Conductor::new(s.clone(), sr, 0);
    // combat_alt uses "* -> *" (NextBar); combat from combat_alt uses "* -> combat" (NextBeat).
    c.push(TimedInput {
        frame: 1000,
        input: Input::RequestCue(2),
    });
    let (_, ev) = run(&mut c, 2 * sr as u64 + 1_000);
    let alt = started(&ev, 2).unwrap();
    assert_eq!(alt, 2 * sr as u64, "next bar of calm at 120 BPM is 2 s");
    let req = alt + 12_345;
    c.push(TimedInput {
        frame: req,
        input: Input::RequestCue(1),
    });
    let (acts, ev) = run(&mut c, sr as u64 * 6);
    let t = started(&ev, 1).unwrap();
    let beat = 22_050; // 120 BPM at 44.1 kHz
    assert_eq!(t, alt + (12_345 / beat + 1) * beat);
    assert_ne!(
        t % CONTROL_BLOCK,
        0,
        "this case lands inside a control block"
    );
    // The incoming voice starts on that very frame.
    assert!(acts.iter().any(|a| a.frame == t
        && matches!(
            a.kind,
            ActionKind::Start {
                source: SourceRef::Layer { cue: 1, .. },
                ..
            }
        )));
}

#[test]
fn last_request_wins_while_pending() {
    let sr = 48_000;
    let s = score();
    let mut c = Conductor::new(s.clone(), sr, 0);
    c.push(TimedInput {
        frame: 100,
        input: Input::RequestCue(2),
    });
    c.push(TimedInput {
        frame: 200,
        input: Input::RequestCue(3),
    });
    let (_, ev) = run(&mut c, sr as u64 * 8);
    assert_eq!(started(&ev, 2), None, "the first request was replaced");
    assert_eq!(started(&ev, 3), Some(2 * sr as u64));
}

#[test]
fn pickup_starts_before_bar_one() {
    let sr = 48_000;
    let s = score();
    let mut c = Conductor::new(s.clone(), sr, 0);
    c.push(TimedInput {
        frame: 10,
        input: Input::RequestCue(3),
    });
    let (acts, ev) = run(&mut c, sr as u64 * 4);
    let t = started(&ev, 3).unwrap();
    let pickup_start = acts
        .iter()
        .find_map(|a| match a.kind {
            ActionKind::Start {
                source: SourceRef::Layer { cue: 3, .. },
                offset,
                ..
            } => Some((a.frame, offset)),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        pickup_start,
        (t - sr as u64 / 2, 0),
        "one beat of pickup at 120 BPM"
    );
}

#[test]
fn gains_follow_curve_at_seek_speed() {
    let sr = 48_000;
    let s = score();
    let mut c = Conductor::new(s.clone(), sr, 0);
    run(&mut c, 1024);
    c.push(TimedInput {
        frame: 1024,
        input: Input::SetParameter(0, 0.5),
    });
    // seek 0.5/s: after 0.5 s the heard value is 0.25, after 1 s 0.5 and stays there.
    run(&mut c, 1024 + sr as u64 / 2);
    let drums = |c: &Conductor| {
        c.voice_gains()
            .find(|(s, _)| *s == SourceRef::Layer { cue: 0, layer: 1 })
            .unwrap()
            .1
    };
    assert!((c.parameter(0).unwrap() - 0.25).abs() < 0.01);
    assert!((drums(&c) - 0.25).abs() < 0.01, "gain {}", drums(&c));
    run(&mut c, 1024 + 2 * sr as u64);
    assert!((drums(&c) - 0.5).abs() < 1e-4);
}

#[test]
fn hysteresis_stops_flapping() {
    let sr = 48_000;
    let s = score();
    let mut c = Conductor::new(s.clone(), sr, 0);
    let mut frame = 0u64;
    let mut all = Vec::new();
    // Hover around the 0.7 threshold, inside the 0.1 dead band, after crossing once.
    for (i, v) in [0.75f32, 0.66, 0.72, 0.65, 0.71, 0.64, 0.7]
        .iter()
        .enumerate()
    {
        c.push(TimedInput {
            frame,
            input: Input::SetParameter(0, *v),
        });
        frame += sr as u64 * 2;
        let (_, ev) = run(&mut c, frame);
        all.extend(ev);
        let _ = i;
    }
    let starts = all
        .iter()
        .filter(|e| matches!(e.kind, EventKind::CueStarted { .. }))
        .count();
    assert_eq!(
        starts, 2,
        "calm at 0, then combat once; no flapping back: {starts}"
    );
}

#[test]
fn same_input_same_plan() {
    let s = score();
    let make = || {
        let mut c = Conductor::new(s.clone(), 48_000, 42);
        for k in 0..40u64 {
            let input = match k % 4 {
                0 => Input::SetParameter(0, (k as f32 * 0.37) % 1.0),
                1 => Input::RequestCue((k % 4) as usize),
                _ => Input::RequestCue((k % 3) as usize),
            };
            c.push(TimedInput {
                frame: k * 9_001,
                input,
            });
        }
        run(&mut c, 48_000 * 12)
    };
    assert_eq!(make(), make());
}

#[test]
fn events_are_in_frame_order_and_bad_requests_are_reported() {
    let s = score();
    let mut c = Conductor::new(s.clone(), 48_000, 0);
    c.push(TimedInput {
        frame: 5,
        input: Input::RequestCue(99),
    });
    c.push(TimedInput {
        frame: 6,
        input: Input::SetParameter(0, f32::NAN),
    });
    let (acts, ev) = run(&mut c, 48_000 * 4);
    assert!(ev.windows(2).all(|w| w[0].frame <= w[1].frame));
    assert!(acts.windows(2).all(|w| w[0].frame <= w[1].frame));
    assert!(ev.iter().any(|e| e.kind == EventKind::InvalidRequest));
    assert_eq!(c.parameter(0), Some(0.0), "NaN is ignored");
}

/// Property: over many random requests, every transition starts exactly on the grid point its
/// rule asks for, on the outgoing cue's own grid, at 44.1 and 48 kHz, across cue tempo changes.
#[test]
fn every_transition_lands_on_its_sync_grid() {
    use rand::{Rng, SeedableRng};
    for sr in [44_100u32, 48_000] {
        for seed in 0..12u64 {
            let s = score();
            let mut c = Conductor::new(s.clone(), sr, seed);
            let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
            let mut frame = 0u64;
            for _ in 0..25 {
                frame += rng.random_range(1_000..(3 * sr as u64));
                let cue = rng.random_range(0..s.cues.len());
                c.push(TimedInput {
                    frame,
                    input: Input::RequestCue(cue),
                });
            }
            let (_, ev) = run(&mut c, frame + 20 * sr as u64);
            // Walk the events: remember each cue instance's start, check each departure.
            let mut current: Option<(usize, u64)> = None;
            let mut checked = 0;
            for e in &ev {
                match e.kind {
                    EventKind::TransitionStarted { from, to } => {
                        let (cue, start) = current.expect("a cue is playing");
                        assert_eq!(cue, from as usize);
                        let rule = c
                            .rule_for(from as usize, to as usize)
                            .map(|r| s.transitions[r].sync.clone())
                            .unwrap_or_default();
                        let c_ = &s.cues[cue];
                        let tempo = s.cue_tempo(c_);
                        let map = TempoMap::constant(sr, start as i64, tempo.bpm, tempo.meter.0);
                        let tick = map.tick_at_frame(e.frame as i64);
                        let on_tick = map.frame_at_tick(tick) == e.frame as i64;
                        let pos = map.position_of_tick(tick);
                        let body_bar = (pos.bar - 1) % c_.bars + 1;
                        let ok = match &rule {
                            Sync::Immediate => true,
                            Sync::NextBeat => on_tick && pos.tick == 0,
                            Sync::NextBar => on_tick && pos.tick == 0 && pos.beat == 1,
                            Sync::EveryBars(n) => {
                                on_tick
                                    && pos.tick == 0
                                    && pos.beat == 1
                                    && (body_bar - 1).is_multiple_of(*n)
                            }
                            Sync::EndOfLoop => {
                                on_tick && pos.tick == 0 && pos.beat == 1 && body_bar == 1
                            }
                            Sync::Marker(name) => {
                                let m = c_.markers.iter().find(|m| &m.name == name).unwrap();
                                on_tick && pos.tick == 0 && pos.beat == m.beat && body_bar == m.bar
                            }
                        };
                        assert!(
                            ok,
                            "sr {sr} seed {seed}: {} -> {} at frame {} is not on {rule:?} (position {pos}, tick {tick})",
                            c_.name, s.cues[to as usize].name, e.frame
                        );
                        checked += 1;
                    }
                    EventKind::CueStarted { cue } => current = Some((cue as usize, e.frame)),
                    _ => {}
                }
            }
            assert!(checked >= 3, "seed {seed}: only {checked} transitions");
        }
    }
}

/// A stop releases every voice over its release, drops a pending request and silences the
/// grid; the next cue then starts at once, plainly (no rule's sync point, no transition), with
/// its bar 1 a pickup after the request — even when it is the cue that was stopped.
#[test]
fn a_stop_silences_everything_until_the_next_cue_starts_at_once() {
    let sr = 48_000u64;
    let mut c = Conductor::new(score(), sr as u32, 3);
    // Combat requested (its rule waits for calm's marker at bar 3), then a stop at 1.5 s.
    c.push(TimedInput {
        frame: sr / 2,
        input: Input::RequestCue(1),
    });
    let stop = sr * 3 / 2 + 5;
    c.push(TimedInput {
        frame: stop,
        input: Input::Stop { release: 4800 },
    });
    let (actions, events) = run(&mut c, sr * 6);
    let stopped: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Stopped)
        .map(|e| e.frame)
        .collect();
    assert_eq!(stopped, [stop]);
    // Every calm voice started before the stop is stopped on its frame with the release.
    let starts: Vec<VoiceId> = actions
        .iter()
        .filter_map(|a| match a.kind {
            ActionKind::Start { voice, .. } => Some(voice),
            _ => None,
        })
        .collect();
    assert!(!starts.is_empty());
    for v in &starts {
        assert!(
            actions.iter().any(|a| a.frame == stop
                && matches!(a.kind, ActionKind::Stop { voice, release: 4800 } if voice == *v)),
            "voice {v:?} not released at the stop"
        );
    }
    // Nothing after it: no beats, no starts, no transition to combat.
    assert!(events.iter().all(|e| e.frame <= stop));
    assert!(
        actions
            .iter()
            .all(|a| a.frame <= stop || !matches!(a.kind, ActionKind::Start { .. }))
    );
    assert_eq!(started(&events, 1), None);
    // Victory (pickup one beat) started at 7 s: bar 1 a beat later, at once.
    let at = sr * 7;
    c.push(TimedInput {
        frame: at,
        input: Input::StartCue(3),
    });
    let (_, events) = run(&mut c, sr * 9);
    assert_eq!(started(&events, 3), Some(at + sr / 2));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::TransitionStarted { .. })
                && e.frame < at + sr / 2)
    );
    // Stopped again, the same cue starts again when asked.
    c.push(TimedInput {
        frame: sr * 10,
        input: Input::Stop { release: 0 },
    });
    c.push(TimedInput {
        frame: sr * 11,
        input: Input::StartCue(3),
    });
    let (_, events) = run(&mut c, sr * 13);
    assert_eq!(started(&events, 3), Some(sr * 11 + sr / 2));
    let beats: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Beat)
        .map(|e| e.frame)
        .collect();
    assert!(
        beats.iter().all(|&b| b <= sr * 10 || b >= sr * 11),
        "{beats:?}"
    );
}
