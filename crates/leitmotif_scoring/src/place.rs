//! Placing spotted cues on the picture and solving each one's tempo for the hits inside it.

use leitmotif_core::Score;
use leitmotif_core::score::Source;
use leitmotif_film::FrameRate;
use leitmotif_film::spotting::SpottingList;

use crate::secs;

/// One spotted cue as fitted to the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Cue name (`name@bpm` for a variant at a solved tempo).
    pub cue: String,
    /// Title for the cue sheet.
    pub title: String,
    /// The composer's spotting note, for the cue sheet and report.
    pub note: Option<String>,
    /// Start in timeline frames.
    pub start: i64,
    /// End in timeline frames.
    pub end: i64,
    /// Tempo chosen by the solver.
    pub bpm: f64,
}

/// Places spotted cues and solves each one's tempo for the hits inside it: candidate tempos
/// within ±8 % of the written tempo (only for cues whose layers are all generated, which can
/// be re-synthesised at any tempo) are ranked by importance-weighted frames between each hit
/// and the nearest strong beat (bar lines count fully, other beats half). A solved tempo adds
/// a variant of the cue to `score`, with copies of the transition rules naming the cue.
pub(crate) fn place(
    sp: &SpottingList,
    score: &mut Score,
    rate: FrameRate,
    duration: i64,
) -> Vec<Placed> {
    let mut cues: Vec<_> = sp.cues.clone();
    cues.sort_by_key(|c| c.start);
    let mut placed = Vec::new();
    for (i, s) in cues.iter().enumerate() {
        let start = s.start;
        let end = cues
            .get(i + 1)
            .map_or(duration, |n| n.start)
            .min(s.end.unwrap_or(i64::MAX))
            .min(duration);
        let Some(ci) = score.cue_index(&s.cue) else {
            continue;
        };
        let cue = &score.cues[ci];
        let tempo = score.cue_tempo(cue).clone();
        let flexible = cue
            .layers
            .iter()
            .all(|l| matches!(l.source, Source::Generated(_) | Source::Silence));
        let hits: Vec<(i64, f32)> = sp
            .hits
            .iter()
            .map(|h| (h.at, h.importance))
            .filter(|h| h.0 >= start && h.0 < end)
            .collect();
        let mut best = (tempo.bpm, f64::MAX);
        if flexible && !hits.is_empty() {
            for k in -80..=80 {
                let bpm = tempo.bpm * (1.0 + k as f64 / 1000.0);
                let cost = hit_cost(bpm, tempo.meter.0, start, &hits, rate);
                if cost < best.1 - 1e-9 {
                    best = (bpm, cost);
                }
            }
        }
        let mut name = s.cue.clone();
        if (best.0 - tempo.bpm).abs() > 1e-9 {
            name = format!("{}@{:.1}", s.cue, best.0);
            add_variant(score, ci, &name, best.0);
        }
        placed.push(Placed {
            cue: name,
            title: s.title.clone().unwrap_or_else(|| s.cue.clone()),
            note: s.note.clone(),
            start,
            end,
            bpm: best.0,
        });
    }
    placed
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

/// Importance-weighted frames between each hit and the nearest strong beat of a cue starting
/// at `start` at `bpm`: bar lines count fully, other beats half.
fn hit_cost(bpm: f64, beats_per_bar: u32, start: i64, hits: &[(i64, f32)], rate: FrameRate) -> f64 {
    hits.iter()
        .map(|&(at, importance)| {
            let beats = secs(rate, at - start) * bpm / 60.0;
            let frames_per_beat = 60.0 / bpm * rate.fps();
            let to_beat = (beats - beats.round()).abs() * frames_per_beat;
            let bars = beats / beats_per_bar as f64;
            let to_bar = (bars - bars.round()).abs() * frames_per_beat * beats_per_bar as f64;
            importance as f64 * to_bar.min(2.0 * to_beat)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::hit_cost;
    use leitmotif_film::FrameRate;

    #[test]
    fn hits_on_beats_cost_nothing_and_hits_off_them_cost_frames() {
        let rate = FrameRate::FPS_24;
        // 120 bpm in 4/4 at 24 fps: a beat is 12 frames, a bar 48.
        assert!(hit_cost(120.0, 4, 0, &[(48, 1.0)], rate).abs() < 1e-9);
        assert!(hit_cost(120.0, 4, 0, &[(12, 1.0)], rate).abs() < 1e-9);
        // Half a beat after the downbeat: 6 frames from the bar line (beats count double).
        assert!((hit_cost(120.0, 4, 0, &[(6, 1.0)], rate) - 6.0).abs() < 1e-9);
        // Weighted by importance, summed over hits.
        assert!((hit_cost(120.0, 4, 0, &[(6, 0.5), (54, 1.0)], rate) - 9.0).abs() < 1e-9);
        // Half a beat after beat 2: 6 frames from that beat, counted double (18 from the bar).
        assert!((hit_cost(120.0, 4, 0, &[(18, 1.0)], rate) - 12.0).abs() < 1e-9);
    }
}
