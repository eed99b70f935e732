//! Placing spotted cues on the picture and fitting each one's tempo to the hits inside it
//! and to its out-point.

use leitmotif_core::Score;
use leitmotif_core::score::Source;
use leitmotif_core::time::{TICKS_PER_BEAT, TempoMap};
use leitmotif_film::FrameRate;
use leitmotif_film::spotting::{Ending, SpottingList};

use crate::sample_of;

/// One spotted cue as fitted to the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Cue name (`name@bpm` for a variant of a generated cue at its fitted tempo).
    pub cue: String,
    /// Title for the cue sheet.
    pub title: String,
    /// The composer's spotting note, for the cue sheet and report.
    pub note: Option<String>,
    /// Start in timeline frames.
    pub start: i64,
    /// End in timeline frames: the spotted out-point, else the next cue's start or the end
    /// of the picture.
    pub end: i64,
    /// How the cue ends at [`Placed::end`] when it was spotted with an out-point
    /// (`until`); `None` when the next cue (or the end of the picture) takes over.
    pub ending: Option<Ending>,
    /// Frames of the fade of a [`Ending::Fade`] ending.
    pub fade_frames: i64,
    /// Tempo from bar 1 (the fitted tempo of the first stretch of the cue).
    pub bpm: f64,
    /// Tempo changes after bar 1, each a ramp into a hit or the out-point.
    pub ramps: Vec<Ramp>,
}

/// A tempo change the fitter makes inside a cue: from `at` (a sample frame on a beat, a hit
/// met by the stretch before) the tempo ramps linearly, in beats, to `bpm` over `beats`, so
/// that the next target lands on the beat after them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    /// Sample frame where the ramp starts.
    pub at: u64,
    /// Tempo reached.
    pub bpm: f64,
    /// Beats of the ramp.
    pub beats: u32,
}

/// A moment the fitter puts on a beat: a hit, or an out-point (which wants a bar line).
#[derive(Debug, Clone, Copy)]
struct Target {
    /// Sample frame.
    at: i64,
    importance: f64,
    /// Whether only a bar line will do (an ending on a downbeat).
    bar: bool,
}

/// Places spotted cues and fits each one's tempo to what it must meet, within `range` (a
/// fraction of the cue's written tempo, e.g. 0.08 for ±8 %): the hits inside the cue and,
/// for a cue ending on a downbeat (`Button` or `Tail`), its out-point on a bar line.
///
/// The first target is met by a constant tempo from bar 1 (a whole number of beats, a bar
/// line when the range allows it); each later one by a tempo ramp from the target before,
/// over a whole number of beats. Recorded stems are time-stretched to the fitted grid by the
/// conductor (tempo cues); a cue whose layers are all generated is played as a variant
/// composed at its bar-1 tempo. A target that no tempo in range can meet is left where the
/// grid falls (the report gives its residual).
pub(crate) fn place(
    sp: &SpottingList,
    score: &mut Score,
    rate: FrameRate,
    duration: i64,
    range: f64,
    sr: u32,
) -> Vec<Placed> {
    let mut cues: Vec<_> = sp.cues.clone();
    cues.sort_by_key(|c| c.start);
    let mut placed = Vec::new();
    for (i, s) in cues.iter().enumerate() {
        let start = s.start;
        let next = cues.get(i + 1).map_or(duration, |n| n.start).min(duration);
        // The spotted out-point holds when it comes before the next cue takes over.
        let out = s.end.filter(|&e| e < next);
        let end = out.unwrap_or(next);
        let Some(ci) = score.cue_index(&s.cue) else {
            continue;
        };
        let cue = &score.cues[ci];
        let tempo = score.cue_tempo(cue).clone();
        let generated = cue
            .layers
            .iter()
            .all(|l| matches!(l.source, Source::Generated(_) | Source::Silence));
        let ending = out.map(|_| s.ending);
        let mut targets: Vec<Target> = sp
            .hits
            .iter()
            .filter(|h| h.at >= start && h.at < end)
            .map(|h| Target {
                at: sample_of(rate, h.at, sr),
                importance: h.importance as f64,
                bar: false,
            })
            .collect();
        if let (Some(o), Some(Ending::Button | Ending::Tail)) = (out, ending) {
            targets.push(Target {
                at: sample_of(rate, o, sr),
                importance: 1.0,
                bar: true,
            });
        }
        targets.sort_by_key(|t| t.at);
        let fit = fit(
            sample_of(rate, start, sr),
            tempo.bpm,
            tempo.meter.0,
            &targets,
            range,
            sr,
        );
        let mut name = s.cue.clone();
        if generated && (fit.bpm - tempo.bpm).abs() > 1e-9 {
            name = format!("{}@{:.1}", s.cue, fit.bpm);
            add_variant(score, ci, &name, fit.bpm);
        }
        placed.push(Placed {
            cue: name,
            title: s.title.clone().unwrap_or_else(|| s.cue.clone()),
            note: s.note.clone(),
            start,
            end,
            ending,
            fade_frames: s.fade_frames,
            bpm: fit.bpm,
            ramps: fit.ramps,
        });
    }
    placed
}

/// A cue's fitted tempo: constant from bar 1, then ramps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fit {
    pub bpm: f64,
    pub ramps: Vec<Ramp>,
}

/// Fits a grid with bar 1 at sample `s0`, written at `bpm` in `bpb` beats a bar, to
/// `targets` (in sample order), every tempo within `bpm × (1 ± range)`.
fn fit(s0: i64, bpm: f64, bpb: u32, targets: &[Target], range: f64, sr: u32) -> Fit {
    let (lo, hi) = (bpm * (1.0 - range), bpm * (1.0 + range));
    let bpb = bpb.max(1) as i64;
    let mut first = bpm;
    let mut ramps = Vec::new();
    // The grid so far, and the last target met: its frame and beat.
    let mut map = TempoMap::constant(sr, s0, bpm, bpb as u32);
    let mut anchor: Option<(i64, i64)> = None;
    for t in targets.iter().filter(|t| t.at > s0) {
        let (a, beat) = anchor.unwrap_or((s0, 0));
        let secs = (t.at - a) as f64 / sr as f64;
        // Whole beats reachable at the slowest and fastest tempo.
        let (n_lo, n_hi) = match anchor {
            None => ((secs * lo / 60.0).ceil(), (secs * hi / 60.0).floor()),
            // A ramp from the tempo there: the beats it can fit lie between the extremes.
            Some(_) => {
                let now = map.bpm_at_tick(beat * TICKS_PER_BEAT);
                (
                    (secs * lo.min(now) / 60.0).ceil(),
                    (secs * hi.max(now) / 60.0).floor(),
                )
            }
        };
        let mut best: Option<(f64, i64, f64, TempoMap)> = None;
        for n in (n_lo.max(1.0) as i64)..=(n_hi as i64) {
            let (to, trial) = match anchor {
                None => {
                    let to = n as f64 * 60.0 / secs;
                    (to, TempoMap::constant(sr, s0, to, bpb as u32))
                }
                Some(_) => match ramp_to(&map, beat, n, t.at, lo, hi) {
                    Some(x) => x,
                    None => continue,
                },
            };
            if !(lo - 1e-9..=hi + 1e-9).contains(&to) {
                continue;
            }
            let on_bar = (beat + n) % bpb == 0;
            if t.bar && !on_bar {
                continue;
            }
            // A bar line is worth a beat's worth of tempo change; then the smallest change.
            let cost = if on_bar { 0.0 } else { t.importance * 0.1 } + (to / bpm - 1.0).abs();
            if best.as_ref().is_none_or(|b| cost < b.0 - 1e-12) {
                best = Some((cost, n, to, trial));
            }
        }
        let Some((_, n, to, trial)) = best else {
            continue;
        };
        match anchor {
            None => first = to,
            Some((a, _)) => ramps.push(Ramp {
                at: a as u64,
                bpm: to,
                beats: n as u32,
            }),
        }
        map = trial;
        anchor = Some((t.at, beat + n));
    }
    Fit { bpm: first, ramps }
}

/// The tempo a ramp of `n` beats from beat `beat` of `map` must reach so that the beat after
/// it lands on sample `at`, and the grid with it; `None` when no tempo in `lo..=hi` does.
fn ramp_to(
    map: &TempoMap,
    beat: i64,
    n: i64,
    at: i64,
    lo: f64,
    hi: f64,
) -> Option<(f64, TempoMap)> {
    let tick = beat * TICKS_PER_BEAT;
    let end = tick + n * TICKS_PER_BEAT;
    let grid = |to: f64| {
        let mut m = map.clone();
        m.change_tempo_at(tick, to, n * TICKS_PER_BEAT);
        (m.frame_at_tick_f64(end as f64), m)
    };
    // A faster tempo lands the beat earlier: bisect for the frame.
    let (mut a, mut b) = (lo, hi);
    if grid(a).0 < at as f64 || grid(b).0 > at as f64 {
        return None;
    }
    for _ in 0..60 {
        let mid = 0.5 * (a + b);
        if grid(mid).0 > at as f64 {
            a = mid;
        } else {
            b = mid;
        }
    }
    let to = 0.5 * (a + b);
    Some((to, grid(to).1))
}

/// Adds cue `name`, a variant of cue `ci` at `bpm` synthesised like the original, unless the
/// score has it already. The variant follows the transition rules that name its cue.
fn add_variant(score: &mut Score, ci: usize, name: &str, bpm: f64) {
    if score.cue(name).is_some() {
        return;
    }
    let base = score.cues[ci].name.clone();
    let mut variant = score.cues[ci].clone();
    variant.name = name.to_string();
    let mut t = score.cue_tempo(&score.cues[ci]).clone();
    t.bpm = bpm;
    variant.tempo = Some(t);
    variant.tempo_variants.clear();
    score.cues.push(variant);
    let named: Vec<_> = score
        .transitions
        .iter()
        .filter(|t| t.from == base || t.to == base)
        .cloned()
        .collect();
    for mut t in named {
        if t.from == base {
            t.from = name.to_string();
        }
        if t.to == base {
            t.to = name.to_string();
        }
        if !score
            .transitions
            .iter()
            .any(|x| x.from == t.from && x.to == t.to)
        {
            score.transitions.push(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Target, fit};
    use leitmotif_core::time::{TICKS_PER_BEAT, TempoMap};

    const SR: u32 = 48_000;

    /// The grid of a fit: bar 1 at `s0`, then the ramps as the conductor makes them.
    fn grid(s0: i64, bpb: u32, f: &super::Fit) -> TempoMap {
        let mut m = TempoMap::constant(SR, s0, f.bpm, bpb);
        for r in &f.ramps {
            let tick = m.tick_at_frame(r.at as i64);
            // The ramp starts on a beat: the tick there, to the nearest beat.
            let tick = (tick as f64 / TICKS_PER_BEAT as f64).round() as i64 * TICKS_PER_BEAT;
            m.change_tempo_at(tick, r.bpm, r.beats as i64 * TICKS_PER_BEAT);
        }
        m
    }

    fn nearest_beat(m: &TempoMap, at: i64) -> (i64, i64) {
        let tick = m.tick_at_frame(at);
        let beat = (tick as f64 / TICKS_PER_BEAT as f64).round() as i64;
        (m.frame_at_tick(beat * TICKS_PER_BEAT) - at, beat)
    }

    #[test]
    fn hits_land_on_beats_and_an_out_point_on_a_bar_line() {
        // 120 bpm in 4/4; hits at irregular times, an out-point at 29.3 s.
        let s0 = 10_000;
        let at = |s: f64| s0 + (s * SR as f64) as i64;
        let targets = [
            Target {
                at: at(7.77),
                importance: 1.0,
                bar: false,
            },
            Target {
                at: at(13.1),
                importance: 0.5,
                bar: false,
            },
            Target {
                at: at(21.93),
                importance: 1.0,
                bar: false,
            },
            Target {
                at: at(29.3),
                importance: 1.0,
                bar: true,
            },
        ];
        let f = fit(s0, 120.0, 4, &targets, 0.08, SR);
        assert_eq!(f.ramps.len(), 3, "{f:?}");
        let m = grid(s0, 4, &f);
        for t in &targets {
            let (off, beat) = nearest_beat(&m, t.at);
            assert!(
                off.abs() <= 2,
                "target at {} is {off} samples off its beat",
                t.at
            );
            if t.bar {
                assert_eq!(
                    beat % 4,
                    0,
                    "the out-point is on beat {beat}, not a bar line"
                );
            }
        }
        for r in &f.ramps {
            assert!((r.bpm / 120.0 - 1.0).abs() <= 0.08 + 1e-9, "{r:?}");
        }
        assert!((f.bpm / 120.0 - 1.0).abs() <= 0.08 + 1e-9);
    }

    #[test]
    fn a_target_no_tempo_in_range_can_meet_is_left_alone() {
        // Half a beat after bar 1 at 120 bpm: no whole beat within ±8 %.
        let targets = [Target {
            at: 12_000,
            importance: 1.0,
            bar: false,
        }];
        let f = fit(0, 120.0, 4, &targets, 0.08, SR);
        assert_eq!(f.bpm, 120.0);
        assert!(f.ramps.is_empty());
        // With a wide range it is met (a beat at 240 bpm is out; at ±100 % it is in).
        let f = fit(0, 120.0, 4, &targets, 1.0, SR);
        assert!((f.bpm - 240.0).abs() < 1e-6, "{f:?}");
    }
}
