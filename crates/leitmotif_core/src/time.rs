//! Musical time: exact conversion between bars, beats, ticks and sample frames.
//!
//! A [`TempoMap`] is a list of segments, each anchored at an integer frame. Inside a segment the
//! frame of a tick is computed directly from the anchor (one rounding), never by accumulating
//! per-beat floats, so bar 10,000 is as exact as bar 2. Constant tempos and linear ramps (tempo
//! linear in beats) are supported; meters may change at segment boundaries.

use crate::score::Tempo;

/// Ticks per beat (pulses per quarter note when the beat unit is a quarter).
pub const TICKS_PER_BEAT: i64 = 960;

/// A musical position: 1-based bar and beat, plus ticks into the beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// 1-based bar.
    pub bar: u32,
    /// 1-based beat within the bar.
    pub beat: u32,
    /// Ticks into the beat (0..[`TICKS_PER_BEAT`]).
    pub tick: u32,
}

impl Position {
    /// The downbeat of `bar`.
    pub fn bar(bar: u32) -> Self {
        Position {
            bar,
            beat: 1,
            tick: 0,
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{:03}", self.bar, self.beat, self.tick)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start_frame: i64,
    start_tick: i64,
    /// 0-based bar index at `start_tick` (segments start on bar lines).
    start_bar: i64,
    bpm0: f64,
    bpm1: f64,
    /// Length of the ramp in ticks; 0 for a constant tempo.
    ramp_ticks: i64,
    beats_per_bar: u32,
}

impl Segment {
    fn seconds_at(&self, dt: i64) -> f64 {
        let beats = dt as f64 / TICKS_PER_BEAT as f64;
        if self.ramp_ticks == 0 || self.bpm0 == self.bpm1 {
            beats * 60.0 / self.bpm0
        } else {
            let len = self.ramp_ticks as f64 / TICKS_PER_BEAT as f64;
            let k = (self.bpm1 - self.bpm0) / len;
            60.0 / k * (1.0 + k * beats / self.bpm0).ln()
        }
    }

    fn frame_at(&self, tick: i64, sr: f64) -> i64 {
        let dt = tick - self.start_tick;
        if self.ramp_ticks == 0 || self.bpm0 == self.bpm1 {
            // Exact: dt·60·sr fits a f64 mantissa for any realistic length; one rounding.
            let num = dt as f64 * 60.0 * sr;
            self.start_frame + (num / (self.bpm0 * TICKS_PER_BEAT as f64)).round() as i64
        } else {
            self.start_frame + (self.seconds_at(dt) * sr).round() as i64
        }
    }

    /// The tempo at `tick` (inside the segment).
    fn bpm_at(&self, tick: i64) -> f64 {
        if self.ramp_ticks == 0 {
            self.bpm0
        } else {
            let t = ((tick - self.start_tick) as f64 / self.ramp_ticks as f64).clamp(0.0, 1.0);
            self.bpm0 + (self.bpm1 - self.bpm0) * t
        }
    }

    fn ticks_per_bar(&self) -> i64 {
        self.beats_per_bar as i64 * TICKS_PER_BEAT
    }
}

/// A tempo map at one sample rate, anchored at a start frame (tick 0 = bar 1, beat 1).
#[derive(Debug, Clone, PartialEq)]
pub struct TempoMap {
    sample_rate: u32,
    segments: Vec<Segment>,
}

impl TempoMap {
    /// A constant tempo from `start_frame`.
    pub fn constant(sample_rate: u32, start_frame: i64, bpm: f64, beats_per_bar: u32) -> Self {
        TempoMap {
            sample_rate,
            segments: vec![Segment {
                start_frame,
                start_tick: 0,
                start_bar: 0,
                bpm0: bpm,
                bpm1: bpm,
                ramp_ticks: 0,
                beats_per_bar: beats_per_bar.max(1),
            }],
        }
    }

    /// A tempo ramping linearly (in beats) from `bpm0` to `bpm1` over `ramp_beats`, then
    /// holding `bpm1`.
    pub fn ramp(
        sample_rate: u32,
        start_frame: i64,
        bpm0: f64,
        bpm1: f64,
        ramp_beats: u32,
        beats_per_bar: u32,
    ) -> Self {
        let mut map = TempoMap::constant(sample_rate, start_frame, bpm0, beats_per_bar);
        if ramp_beats > 0 && bpm0 != bpm1 {
            map.segments[0].bpm1 = bpm1;
            map.segments[0].ramp_ticks = ramp_beats as i64 * TICKS_PER_BEAT;
            map.push_constant_at(ramp_beats as i64 * TICKS_PER_BEAT, bpm1, beats_per_bar);
        }
        map
    }

    /// The map of a score tempo (with its changes at bars), from `start_frame`.
    pub fn from_tempo(tempo: &Tempo, sample_rate: u32, start_frame: i64) -> Self {
        let bpb = tempo.meter.0;
        let mut map = TempoMap::constant(sample_rate, start_frame, tempo.bpm, bpb);
        for change in &tempo.changes {
            let at = (change.bar as i64 - 1) * bpb as i64 * TICKS_PER_BEAT;
            match change.ramp_beats {
                Some(beats) if beats > 0 => {
                    let ramp_start = (at - beats as i64 * TICKS_PER_BEAT).max(0);
                    let from = map.bpm_at_tick(ramp_start);
                    map.push_segment_at(ramp_start, from, change.bpm, at - ramp_start, bpb);
                    map.push_constant_at(at, change.bpm, bpb);
                }
                _ => map.push_constant_at(at, change.bpm, bpb),
            }
        }
        map
    }

    /// The sample rate the frames are counted at.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Frame of bar 1, beat 1.
    pub fn start_frame(&self) -> i64 {
        self.segments[0].start_frame
    }

    /// Replaces everything from `tick` on by a constant tempo (a tempo cue).
    pub fn push_constant_at(&mut self, tick: i64, bpm: f64, beats_per_bar: u32) {
        self.push_segment_at(tick, bpm, bpm, 0, beats_per_bar);
    }

    /// Replaces everything from `tick` on by a ramp from `bpm0` to `bpm1` over `ramp_ticks`
    /// followed by `bpm1`. `tick` should be on a bar line of the current meter.
    pub fn push_segment_at(
        &mut self,
        tick: i64,
        bpm0: f64,
        bpm1: f64,
        ramp_ticks: i64,
        beats_per_bar: u32,
    ) {
        let frame = self.frame_at_tick(tick);
        let start_bar = self.bar_index_at_tick(tick);
        self.segments.retain(|s| s.start_tick < tick);
        if self.segments.is_empty() {
            // `tick` was at or before the origin: re-anchor there.
        }
        self.segments.push(Segment {
            start_frame: frame,
            start_tick: tick,
            start_bar,
            bpm0,
            bpm1,
            ramp_ticks,
            beats_per_bar: beats_per_bar.max(1),
        });
        if ramp_ticks > 0 && bpm0 != bpm1 {
            let end = tick + ramp_ticks;
            let frame = self.frame_at_tick(end);
            let bar = self.bar_index_at_tick(end);
            self.segments.push(Segment {
                start_frame: frame,
                start_tick: end,
                start_bar: bar,
                bpm0: bpm1,
                bpm1,
                ramp_ticks: 0,
                beats_per_bar: beats_per_bar.max(1),
            });
        }
    }

    fn segment_for_tick(&self, tick: i64) -> &Segment {
        let i = self.segments.partition_point(|s| s.start_tick <= tick);
        &self.segments[i.saturating_sub(1)]
    }

    fn segment_for_frame(&self, frame: i64) -> &Segment {
        let i = self.segments.partition_point(|s| s.start_frame <= frame);
        &self.segments[i.saturating_sub(1)]
    }

    /// 0-based bar index containing `tick`.
    fn bar_index_at_tick(&self, tick: i64) -> i64 {
        let s = self.segment_for_tick(tick);
        s.start_bar + (tick - s.start_tick).div_euclid(s.ticks_per_bar())
    }

    /// Frame of a tick (ticks counted from bar 1, beat 1).
    pub fn frame_at_tick(&self, tick: i64) -> i64 {
        self.segment_for_tick(tick)
            .frame_at(tick, self.sample_rate as f64)
    }

    /// Frame of a musical position.
    pub fn frame_at(&self, pos: Position) -> i64 {
        self.frame_at_tick(self.tick_of(pos))
    }

    /// Tick of a musical position.
    pub fn tick_of(&self, pos: Position) -> i64 {
        let bar = pos.bar as i64 - 1;
        let i = self.segments.partition_point(|s| s.start_bar <= bar);
        let s = &self.segments[i.saturating_sub(1)];
        s.start_tick
            + (bar - s.start_bar) * s.ticks_per_bar()
            + (pos.beat as i64 - 1) * TICKS_PER_BEAT
            + pos.tick as i64
    }

    /// Frame of the downbeat of a 1-based bar.
    pub fn frame_at_bar(&self, bar: u32) -> i64 {
        self.frame_at(Position::bar(bar))
    }

    /// The last tick whose frame is at or before `frame` (the tick sounding at `frame`).
    pub fn tick_at_frame(&self, frame: i64) -> i64 {
        let s = self.segment_for_frame(frame);
        let sr = self.sample_rate as f64;
        let secs = (frame - s.start_frame) as f64 / sr;
        let beats = if s.ramp_ticks == 0 || s.bpm0 == s.bpm1 {
            secs * s.bpm0 / 60.0
        } else {
            let len = s.ramp_ticks as f64 / TICKS_PER_BEAT as f64;
            let k = (s.bpm1 - s.bpm0) / len;
            s.bpm0 / k * ((secs * k / 60.0).exp() - 1.0)
        };
        let mut tick = s.start_tick + (beats * TICKS_PER_BEAT as f64).floor() as i64;
        // Settle the float estimate against the exact forward mapping.
        while self.frame_at_tick(tick) > frame {
            tick -= 1;
        }
        while self.frame_at_tick(tick + 1) <= frame {
            tick += 1;
        }
        tick
    }

    /// The position sounding at `frame`.
    pub fn position_at_frame(&self, frame: i64) -> Position {
        self.position_of_tick(self.tick_at_frame(frame))
    }

    /// The position of a tick.
    pub fn position_of_tick(&self, tick: i64) -> Position {
        let s = self.segment_for_tick(tick);
        let dt = tick - s.start_tick;
        let bar = s.start_bar + dt.div_euclid(s.ticks_per_bar());
        let in_bar = dt.rem_euclid(s.ticks_per_bar());
        Position {
            bar: (bar + 1).max(0) as u32,
            beat: (in_bar / TICKS_PER_BEAT + 1) as u32,
            tick: (in_bar % TICKS_PER_BEAT) as u32,
        }
    }

    /// Tempo at a tick.
    pub fn bpm_at_tick(&self, tick: i64) -> f64 {
        self.segment_for_tick(tick).bpm_at(tick)
    }

    /// Beats per bar at a tick.
    pub fn beats_per_bar_at_tick(&self, tick: i64) -> u32 {
        self.segment_for_tick(tick).beats_per_bar
    }

    /// The first tick on a grid of `unit` ticks (counted from the segment's bar lines) whose
    /// frame is at or after `frame`.
    fn next_on_grid(&self, frame: i64, unit: impl Fn(&Segment) -> i64) -> i64 {
        let tick = self.tick_at_frame(frame);
        let s = self.segment_for_tick(tick);
        let u = unit(s).max(1);
        let rel = tick - s.start_tick;
        let mut t = s.start_tick + rel.div_euclid(u) * u;
        while self.frame_at_tick(t) < frame {
            t += u;
            // Crossing into the next segment: its start is a bar line, hence on every grid.
            let next = self.segment_for_tick(t);
            if next.start_tick > s.start_tick && t > next.start_tick {
                t = next.start_tick;
            }
        }
        t
    }

    /// Tick of the first beat at or after `frame`.
    pub fn next_beat_tick(&self, frame: i64) -> i64 {
        self.next_on_grid(frame, |_| TICKS_PER_BEAT)
    }

    /// Tick of the first bar line at or after `frame`.
    pub fn next_bar_tick(&self, frame: i64) -> i64 {
        self.next_on_grid(frame, Segment::ticks_per_bar)
    }

    /// Tick of the first bar line at or after `frame` whose 1-based bar number is 1 + k·`n`.
    pub fn next_bar_multiple_tick(&self, frame: i64, n: u32) -> i64 {
        let mut t = self.next_bar_tick(frame);
        for _ in 0..100_000 {
            let bar = self.position_of_tick(t).bar;
            if (bar - 1).is_multiple_of(n.max(1)) {
                return t;
            }
            t += self.segment_for_tick(t).ticks_per_bar();
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_tempo_is_exact_far_out() {
        for sr in [44_100u32, 48_000, 96_000] {
            let map = TempoMap::constant(sr, 0, 90.0, 4);
            // 90 BPM: a beat is 2/3 s, a bar 8/3 s; bar 10,000 starts after 9,999 bars.
            let exact = 9_999.0 * 4.0 * 60.0 / 90.0 * sr as f64;
            assert_eq!(map.frame_at_bar(10_000), exact.round() as i64, "sr {sr}");
            assert_eq!(
                map.position_at_frame(map.frame_at_bar(10_000)),
                Position::bar(10_000)
            );
        }
    }

    #[test]
    fn awkward_tempo_does_not_drift() {
        let sr = 48_000;
        let map = TempoMap::constant(sr, 1_000, 93.7, 3);
        for bar in [2u32, 17, 999, 10_000] {
            let exact = 1_000.0 + (bar - 1) as f64 * 3.0 * 60.0 / 93.7 * sr as f64;
            assert!(
                (map.frame_at_bar(bar) as f64 - exact).abs() <= 0.5,
                "bar {bar}"
            );
        }
    }

    #[test]
    fn ramp_matches_integral() {
        let sr = 48_000;
        // 100 -> 140 BPM over 8 beats: t = 60·L/Δ · ln(bpm1/bpm0).
        let map = TempoMap::ramp(sr, 0, 100.0, 140.0, 8, 4);
        let secs = 60.0 * 8.0 / 40.0 * (140.0f64 / 100.0).ln();
        assert_eq!(map.frame_at_bar(3), (secs * sr as f64).round() as i64);
        // After the ramp, 140 BPM exactly.
        let d = map.frame_at_bar(4) - map.frame_at_bar(3);
        assert_eq!(d, (4.0 * 60.0 / 140.0 * sr as f64).round() as i64);
        assert!((map.bpm_at_tick(4 * TICKS_PER_BEAT) - 120.0).abs() < 1e-9);
    }

    #[test]
    fn tick_frame_round_trip() {
        let map = TempoMap::ramp(44_100, 0, 80.0, 160.0, 16, 4);
        for tick in (0..40 * TICKS_PER_BEAT).step_by(37) {
            let f = map.frame_at_tick(tick);
            let back = map.tick_at_frame(f);
            assert!(map.frame_at_tick(back) == f && back >= tick - 1 && back <= tick + 50);
        }
    }

    #[test]
    fn grid_points_are_on_the_grid_and_not_before() {
        for sr in [44_100u32, 48_000] {
            let mut map = TempoMap::constant(sr, 0, 120.0, 4);
            map.push_constant_at(8 * 4 * TICKS_PER_BEAT, 97.0, 3);
            for frame in (0..sr as i64 * 40).step_by(7_919) {
                let bar = map.next_bar_tick(frame);
                let pos = map.position_of_tick(bar);
                assert_eq!((pos.beat, pos.tick), (1, 0), "frame {frame}");
                assert!(map.frame_at_tick(bar) >= frame);
                let beat = map.next_beat_tick(frame);
                assert_eq!(map.position_of_tick(beat).tick, 0);
                assert!(map.frame_at_tick(beat) >= frame);
                assert!(map.frame_at_tick(beat) - frame < sr as i64);
            }
        }
    }

    #[test]
    fn meter_change_counts_bars() {
        let mut map = TempoMap::constant(48_000, 0, 120.0, 4);
        map.push_constant_at(2 * 4 * TICKS_PER_BEAT, 120.0, 3);
        // Bars 1-2 are 4/4 (2 s each), then 3/4 (1.5 s each).
        assert_eq!(map.frame_at_bar(3), 4 * 48_000);
        assert_eq!(map.frame_at_bar(5), 4 * 48_000 + 3 * 48_000);
        assert_eq!(map.position_at_frame(4 * 48_000 + 36_000).beat, 2);
    }
}
