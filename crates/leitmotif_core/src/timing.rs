//! One home for musical timing: every length the conductor plans, the bank renders and the
//! film fitter places is derived here, so none of them can disagree.
//!
//! * [`cue_map`], [`pickup_frames`], [`tail_frames`], [`cue_frames`]: a cue's own grid and the
//!   frames of its stems (pickup + body + tail).
//! * [`segment_frames`]: how long an authored segment lasts on the grid it is entered from.
//! * [`bridge_map`]: the grid of a generated bridge (a ramp from the outgoing tempo to the
//!   target's).
//! * [`rule_for`]: the transition rule that governs a move between two cues.
//! * [`mood_tension`]: a cue's mood (valence, arousal) as a tension in 0..1.
//! * [`seed`]: every seed derived from the score's or the session's seed.

use crate::score::{Cue, Score};
use crate::time::{TICKS_PER_BEAT, TempoMap};

/// A cue's own grid, bar 1 at frame 0.
pub fn cue_map(score: &Score, cue: &Cue, sample_rate: u32) -> TempoMap {
    TempoMap::from_tempo(score.cue_tempo(cue), sample_rate, 0)
}

/// Frames of a cue's pickup (the anacrusis before bar 1) at its tempo.
pub fn pickup_frames(score: &Score, cue: &Cue, sample_rate: u32) -> i64 {
    let map = cue_map(score, cue, sample_rate);
    -map.frame_at_tick(-(cue.pickup_beats as i64) * TICKS_PER_BEAT)
}

/// Frames of a cue's tail (what rings after the body's end) at its tempo.
pub fn tail_frames(score: &Score, cue: &Cue, sample_rate: u32) -> i64 {
    let map = cue_map(score, cue, sample_rate);
    let body_end = map.frame_at_bar(cue.bars + 1);
    map.frame_at_tick(map.tick_at_frame(body_end) + cue.tail_beats as i64 * TICKS_PER_BEAT)
        - body_end
}

/// Frames of a cue's stems: pickup + body + tail at its tempo.
pub fn cue_frames(score: &Score, cue: &Cue, sample_rate: u32) -> usize {
    let map = cue_map(score, cue, sample_rate);
    let body = map.frame_at_bar(cue.bars + 1);
    (pickup_frames(score, cue, sample_rate) + body + tail_frames(score, cue, sample_rate)) as usize
}

/// Frames of `beats` beats on `map` from frame `at`.
pub fn beats_frames(map: &TempoMap, at: i64, beats: f64) -> i64 {
    let t = map.tick_at_frame(at);
    map.frame_at_tick(t + (beats * TICKS_PER_BEAT as f64).round() as i64) - map.frame_at_tick(t)
}

/// Frames an authored segment of `bars` bars lasts when entered at frame `at` of `map` (the
/// grid of the cue it is entered from): the segment keeps the outgoing meter and tempo.
pub fn segment_frames(map: &TempoMap, at: i64, bars: u32) -> i64 {
    let bpb = map.beats_per_bar_at_tick(map.tick_at_frame(at));
    beats_frames(map, at, (bars * bpb) as f64)
}

/// Frames of an authored segment's audio, rendered at the score's tempo (its own material).
pub fn segment_audio_frames(score: &Score, bars: u32, sample_rate: u32) -> usize {
    let tempo = &score.tempo;
    (bars as f64 * tempo.meter.0 as f64 * 60.0 / tempo.bpm * sample_rate as f64).round() as usize
}

/// Frames of a stinger variation of `beats` beats at the score's tempo.
pub fn stinger_frames(score: &Score, beats: u32, sample_rate: u32) -> usize {
    (beats as f64 * 60.0 / score.tempo.bpm * sample_rate as f64).round() as usize
}

/// The grid of a generated bridge of `bars` bars starting at frame `start`: a ramp from
/// `from_bpm` to `to_bpm` over its beats, in the outgoing meter.
pub fn bridge_map(
    sample_rate: u32,
    start: i64,
    from_bpm: f64,
    to_bpm: f64,
    bars: u32,
    beats_per_bar: u32,
) -> TempoMap {
    TempoMap::ramp(
        sample_rate,
        start,
        from_bpm,
        to_bpm,
        bars * beats_per_bar,
        beats_per_bar,
    )
}

/// Frames the bridge or segment of transition rule `rule` plays before the target's bar 1,
/// when cue `from` is left on one of its bar lines (its own constant-tempo grid): what a fitter
/// starts early so that the target's bar 1 still lands on its frame.
pub fn between_frames(
    score: &Score,
    rule: Option<usize>,
    from: usize,
    to: usize,
    sample_rate: u32,
) -> i64 {
    let bpm = score.cue_tempo(&score.cues[from]).bpm;
    between_frames_at(score, rule, from, to, bpm, sample_rate)
}

/// [`between_frames`] when cue `from` plays at `from_bpm` when it is left (a tempo cue
/// moved it), on a constant grid: a segment keeps that tempo, a generated bridge ramps from
/// it.
pub fn between_frames_at(
    score: &Score,
    rule: Option<usize>,
    from: usize,
    to: usize,
    from_bpm: f64,
    sample_rate: u32,
) -> i64 {
    use crate::score::Bridge;
    let Some(rule) = rule.and_then(|r| score.transitions.get(r)) else {
        return 0;
    };
    let from_cue = &score.cues[from];
    let from_tempo = score.cue_tempo(from_cue);
    let bpb = from_tempo.meter.0;
    let map = TempoMap::constant(sample_rate, 0, from_bpm, bpb);
    match &rule.bridge {
        Bridge::None => 0,
        Bridge::Segment(name) => {
            let bars = score
                .segments
                .iter()
                .find(|s| &s.name == name)
                .map_or(0, |s| s.bars);
            segment_frames(&map, 0, bars)
        }
        Bridge::Generated(bars) => {
            let to_bpm = score.cue_tempo(&score.cues[to]).bpm;
            bridge_map(sample_rate, 0, from_bpm, to_bpm, *bars, bpb).frame_at_bar(bars + 1)
        }
    }
}

/// Whether a transition pattern (`*`, `battle_*`, `*_loop`, `calm`) matches a cue name.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => {
            name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post)
        }
    }
}

/// How specific a pattern is: exact names beat partial wildcards beat `*`.
pub fn pattern_specificity(pattern: &str) -> u32 {
    if !pattern.contains('*') {
        2
    } else if pattern == "*" {
        0
    } else {
        1
    }
}

/// The transition rule (index into `score.transitions`) for `from` → `to`: most specific first
/// (the `from` side weighs four times the `to` side), then first declared.
pub fn rule_for(score: &Score, from: usize, to: usize) -> Option<usize> {
    let (f, t) = (&score.cues[from].name, &score.cues[to].name);
    let mut best: Option<(u32, usize)> = None;
    for (i, r) in score.transitions.iter().enumerate() {
        if pattern_matches(&r.from, f) && pattern_matches(&r.to, t) {
            let s = pattern_specificity(&r.from) * 4 + pattern_specificity(&r.to);
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, i));
            }
        }
    }
    best.map(|(_, i)| i)
}

/// A mood (valence, arousal in -1..1) as a tension in 0..1: arousal mapped linearly; no mood
/// is 0.5.
pub fn mood_tension(mood: Option<(f32, f32)>) -> f32 {
    mood.map_or(0.5, |(_, arousal)| ((arousal + 1.0) / 2.0).clamp(0.0, 1.0))
}

/// Every seed derived from another, in one place.
pub mod seed {
    /// The golden-ratio increment of `SplitMix64`.
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

    /// `SplitMix64` finaliser: spreads a seed (and a stream tag) over all bits.
    pub fn mix(seed: u64, tag: u64) -> u64 {
        let mut z = seed ^ tag.wrapping_mul(GOLDEN);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Seed of a generated layer: the score's seed and the layer's own.
    pub fn layer(score_seed: u64, layer_seed: u64) -> u64 {
        score_seed ^ layer_seed.wrapping_mul(GOLDEN)
    }

    /// Seed of the conductor's own choices (stinger variations) in a session.
    pub fn conductor(session_seed: u64, score_seed: u64) -> u64 {
        session_seed ^ score_seed
    }

    /// Seed of the body choices (`CueVariation`) of cue `cue`, from the conductor's seed;
    /// each `Shuffle` cycle or `Random` pass mixes its number in.
    pub fn variation(conductor_seed: u64, cue: u64) -> u64 {
        mix(conductor_seed ^ 0x5641_5249_4154_494F, cue)
    }

    /// Seed of generated bridge `id` in a session seeded `session_seed`.
    pub fn bridge(session_seed: u64, id: u32) -> u64 {
        session_seed ^ (id as u64).wrapping_mul(0x9E37_79B9)
    }
}
