//! Drum patterns with phrase-end fills.

use leitmotif_core::score::{DrumStyle, Generated};
use rand::Rng;

use super::{Frame, PartNote};
use crate::rng::rng;

const KICK: u8 = 36;
const RIM: u8 = 37;
const SNARE: u8 = 38;
const CLAP: u8 = 39;
const HAT: u8 = 42;
const OPEN_HAT: u8 = 46;
const CRASH: u8 = 49;
const TOMS: [u8; 4] = [50, 47, 45, 41];

/// Hits of one step (a sixteenth) of a groove bar: (key, velocity).
fn groove(style: DrumStyle, step: usize, bpb: usize, tension: f32) -> Vec<(u8, f32)> {
    let beat = step / 4;
    let sub = step % 4;
    let on_beat = sub == 0;
    let backbeat = on_beat && beat % 2 == 1;
    let mut hits = Vec::new();
    match style {
        DrumStyle::Sparse => {
            if step == 0 {
                hits.push((KICK, 0.9));
            }
            if on_beat && beat == bpb / 2 && beat > 0 {
                hits.push((RIM, 0.7));
            }
            if on_beat && tension > 0.3 {
                hits.push((HAT, 0.35));
            }
        }
        DrumStyle::Backbeat => {
            if on_beat && beat.is_multiple_of(2) || (tension > 0.5 && step == 10 && bpb >= 4) {
                hits.push((KICK, 0.9));
            }
            if backbeat {
                hits.push((SNARE, 0.85));
            }
            if sub.is_multiple_of(2) {
                hits.push((HAT, if on_beat { 0.55 } else { 0.35 }));
            }
        }
        DrumStyle::Driving => {
            if on_beat && beat.is_multiple_of(2) || step == 6 || (tension > 0.6 && step == 11) {
                hits.push((KICK, 0.95));
            }
            if backbeat {
                hits.push((SNARE, 0.95));
            }
            if step == bpb * 4 - 2 {
                hits.push((OPEN_HAT, 0.5));
            } else {
                hits.push((
                    HAT,
                    if on_beat {
                        0.6
                    } else if sub == 2 {
                        0.45
                    } else {
                        0.3
                    },
                ));
            }
        }
        DrumStyle::HalfTime => {
            if step == 0 || step == 7 || (tension > 0.5 && step == 10) {
                hits.push((KICK, 0.9));
            }
            if on_beat && beat == bpb / 2 && beat > 0 {
                hits.push((SNARE, 0.95));
            }
            if sub.is_multiple_of(2) {
                hits.push((HAT, if on_beat { 0.5 } else { 0.3 }));
            }
        }
        DrumStyle::FourOnFloor => {
            if on_beat {
                hits.push((KICK, 0.95));
            }
            if backbeat {
                hits.push((CLAP, 0.8));
            }
            if sub == 2 {
                hits.push((OPEN_HAT, 0.45));
            } else if tension > 0.5 {
                hits.push((HAT, 0.25));
            }
        }
    }
    hits
}

fn hit_len(key: u8) -> f64 {
    match key {
        CRASH => 4.0,
        OPEN_HAT => 0.5,
        HAT => 0.25,
        _ => 0.5,
    }
}

/// The style's groove every bar; a one-beat fill at the end of every 4-bar phrase (and of the
/// loop), a two-beat fill at the end of every 8 bars, a crash after each fill. The pickup holds
/// a snare lead-in; the tail only the ring of the last hits (the engine plays each pass's tail
/// over the next pass's bar 1, so nothing is struck there).
pub(super) fn pattern(f: &Frame, g: &Generated, style: DrumStyle) -> Vec<PartNote> {
    let mut r = rng(f.seed, 4);
    let bpb = f.ctx.beats_per_bar as usize;
    let bars = f.ctx.bars as usize;
    let tension = f.ctx.tension;
    let level = g.velocity * (0.75 + 0.25 * tension);
    let mut out = Vec::new();
    let mut push = |start: f64, key: u8, vel: f32, r: &mut rand_pcg::Pcg64| {
        let v = (vel * level * (0.92 + 0.08 * r.random::<f32>())).clamp(0.05, 1.0);
        out.push(PartNote {
            start,
            beats: hit_len(key),
            pitch: key,
            velocity: v,
        });
    };
    for bar in 0..bars {
        let phrase_end = bar % 4 == 3 || bar + 1 == bars;
        let fill_beats = if bar % 8 == 7 {
            2.min(bpb)
        } else if phrase_end && bars > 1 {
            1
        } else {
            0
        };
        let fill_from = (bpb - fill_beats) * 4;
        if bar % 4 == 0 && bars >= 4 {
            push((bar * bpb) as f64, CRASH, 0.7, &mut r);
        }
        for step in 0..bpb * 4 {
            let start = (bar * bpb) as f64 + step as f64 / 4.0;
            if step >= fill_from {
                let i = step - fill_from;
                let grid = if tension > 0.6 { 1 } else { 2 };
                if i.is_multiple_of(grid) {
                    let u = i as f32 / (fill_beats * 4) as f32;
                    let key = if r.random_bool(0.5) {
                        SNARE
                    } else {
                        TOMS[((u * 4.0) as usize).min(3)]
                    };
                    push(start, key, 0.6 + 0.4 * u, &mut r);
                }
                if step == fill_from {
                    push(start, KICK, 0.8, &mut r);
                }
                continue;
            }
            for (key, vel) in groove(style, step, bpb, tension) {
                push(start, key, vel, &mut r);
            }
        }
    }
    // Pickup: snare eighths growing into bar 1.
    let pickup = f.ctx.pickup_beats as usize;
    for i in 0..pickup * 2 {
        let u = (i + 1) as f32 / (pickup * 2) as f32;
        push(
            -(pickup as f64) + i as f64 * 0.5,
            SNARE,
            0.3 + 0.6 * u,
            &mut r,
        );
    }
    out
}
