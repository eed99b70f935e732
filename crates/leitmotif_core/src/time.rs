//! Musical time: exact conversion between bars, beats, ticks and sample frames.
//!
//! A [`TempoMap`] is a list of segments, each anchored at an integer frame. Inside a segment the
//! frame of a tick is computed directly from the anchor (one rounding), never by accumulating
//! per-beat floats, so bar 10,000 is as exact as bar 2. Constant tempos and linear ramps (tempo
//! linear in beats) are supported; meters may change at bar lines, tempos anywhere (a tempo
//! cue on a beat starts a segment in the middle of a bar; bars are counted through it).

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
    /// Frame of `start_tick`, rounded, and what the rounding took off (in −0.5..0.5): a
    /// segment after a ramp or a tempo cue is anchored at the exact time, so every later frame
    /// is one rounding from the closed form.
    start_frame: i64,
    start_frac: f64,
    start_tick: i64,
    /// Tick of the bar line at or before `start_tick` (equal when the segment starts on a bar
    /// line): bars and the beat grid are counted from here.
    origin_tick: i64,
    /// 0-based bar index of the bar starting at `origin_tick`.
    start_bar: i64,
    bpm0: f64,
    bpm1: f64,
    /// Length of the ramp in ticks; 0 for a constant tempo.
    ramp_ticks: i64,
    beats_per_bar: u32,
}

impl Segment {
    fn seconds_at(&self, dt: i64) -> f64 {
        self.seconds_at_f64(dt as f64)
    }

    fn frame_at(&self, tick: i64, sr: f64) -> i64 {
        let dt = tick - self.start_tick;
        if dt == 0 {
            // The anchor itself (a fraction of exactly −0.5 must not round it away).
            return self.start_frame;
        }
        if self.ramp_ticks == 0 || self.bpm0 == self.bpm1 {
            // Exact: dt·60·sr fits a f64 mantissa for any realistic length; one rounding.
            let num = dt as f64 * 60.0 * sr;
            self.start_frame
                + (self.start_frac + num / (self.bpm0 * TICKS_PER_BEAT as f64)).round() as i64
        } else {
            self.start_frame + (self.start_frac + self.seconds_at(dt) * sr).round() as i64
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

    /// Seconds from the segment start to a fractional tick (no rounding).
    fn seconds_at_f64(&self, dt: f64) -> f64 {
        let beats = dt / TICKS_PER_BEAT as f64;
        if self.ramp_ticks == 0 || self.bpm0 == self.bpm1 {
            beats * 60.0 / self.bpm0
        } else {
            let len = self.ramp_ticks as f64 / TICKS_PER_BEAT as f64;
            let k = (self.bpm1 - self.bpm0) / len;
            60.0 / k * (1.0 + k * beats / self.bpm0).ln()
        }
    }

    /// Beats from the segment start after `secs` seconds (the inverse of `seconds_at_f64`).
    fn beats_after(&self, secs: f64) -> f64 {
        if self.ramp_ticks == 0 || self.bpm0 == self.bpm1 {
            secs * self.bpm0 / 60.0
        } else {
            let len = self.ramp_ticks as f64 / TICKS_PER_BEAT as f64;
            let k = (self.bpm1 - self.bpm0) / len;
            self.bpm0 / k * ((secs * k / 60.0).exp() - 1.0)
        }
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
                start_frac: 0.0,
                start_tick: 0,
                origin_tick: 0,
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
    /// followed by `bpm1`, in `beats_per_bar`. `tick` may fall inside a bar when the meter does
    /// not change (a tempo cue on a beat); a meter change inside a bar starts a new bar there.
    pub fn push_segment_at(
        &mut self,
        tick: i64,
        bpm0: f64,
        bpm1: f64,
        ramp_ticks: i64,
        beats_per_bar: u32,
    ) {
        let bpb = beats_per_bar.max(1);
        self.push_one(tick, bpm0, bpm1, ramp_ticks, bpb);
        if ramp_ticks > 0 && bpm0 != bpm1 {
            self.push_one(tick + ramp_ticks, bpm1, bpm1, 0, bpb);
        }
    }

    /// A tempo cue: from `tick` on, the tempo goes from what it is there to `bpm`, at once
    /// (`ramp_ticks` 0) or linearly in beats over `ramp_ticks`. The meter and the bar count
    /// carry on; every frame before `tick` is unchanged.
    pub fn change_tempo_at(&mut self, tick: i64, bpm: f64, ramp_ticks: i64) {
        let s = *self.segment_for_tick(tick);
        // The tempo arriving at `tick` (a change already made at `tick` is replaced).
        let before = *self.segment_for_tick(tick - 1);
        let from = if ramp_ticks > 0 {
            before.bpm_at(tick)
        } else {
            bpm
        };
        self.push_segment_at(tick, from, bpm, ramp_ticks.max(0), s.beats_per_bar);
    }

    fn push_one(&mut self, tick: i64, bpm0: f64, bpm1: f64, ramp_ticks: i64, bpb: u32) {
        let exact = self.frame_at_tick_f64(tick as f64);
        let frame = self.frame_at_tick(tick);
        let prev = *self.segment_for_tick(tick);
        let rel = tick - prev.origin_tick;
        let bar = prev.start_bar + rel.div_euclid(prev.ticks_per_bar());
        let phase = rel.rem_euclid(prev.ticks_per_bar());
        let (origin_tick, start_bar) = if phase == 0 {
            (tick, bar)
        } else if bpb == prev.beats_per_bar {
            (tick - phase, bar)
        } else {
            (tick, bar + 1)
        };
        self.segments.retain(|s| s.start_tick < tick);
        self.segments.push(Segment {
            start_frame: frame,
            start_frac: (exact - frame as f64).clamp(-0.5, 0.5),
            start_tick: tick,
            origin_tick,
            start_bar,
            bpm0,
            bpm1,
            ramp_ticks,
            beats_per_bar: bpb,
        });
    }

    fn segment_for_tick(&self, tick: i64) -> &Segment {
        let i = self.segments.partition_point(|s| s.start_tick <= tick);
        &self.segments[i.saturating_sub(1)]
    }

    fn segment_for_frame(&self, frame: i64) -> &Segment {
        let i = self.segments.partition_point(|s| s.start_frame <= frame);
        &self.segments[i.saturating_sub(1)]
    }

    /// The exact (unrounded) frame of a fractional tick.
    pub fn frame_at_tick_f64(&self, tick: f64) -> f64 {
        let s = self.segment_for_tick(tick.floor() as i64);
        s.start_frame as f64
            + s.start_frac
            + s.seconds_at_f64(tick - s.start_tick as f64) * self.sample_rate as f64
    }

    /// The exact (fractional) tick sounding at a fractional frame: the inverse of
    /// [`frame_at_tick_f64`](Self::frame_at_tick_f64).
    pub fn tick_at_frame_f64(&self, frame: f64) -> f64 {
        let s = self.segment_for_frame(frame.floor() as i64);
        let secs = (frame - s.start_frame as f64 - s.start_frac) / self.sample_rate as f64;
        s.start_tick as f64 + s.beats_after(secs) * TICKS_PER_BEAT as f64
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
        s.origin_tick
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
        let secs = ((frame - s.start_frame) as f64 - s.start_frac) / sr;
        let beats = s.beats_after(secs);
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
        let dt = tick - s.origin_tick;
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
        let mut s = *self.segment_for_tick(tick);
        let mut u = unit(&s).max(1);
        let rel = tick - s.origin_tick;
        let mut t = s.origin_tick + rel.div_euclid(u) * u;
        while self.frame_at_tick(t) < frame {
            let next = t + u;
            let n = *self.segment_for_tick(next);
            if n.start_tick > s.start_tick && n.beats_per_bar != s.beats_per_bar {
                // A meter change (always on a bar line, which is on every grid): the grid
                // restarts there.
                t = n.origin_tick;
                u = unit(&n).max(1);
                s = n;
            } else {
                t = next;
                s = n;
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

    #[test]
    fn tempo_cue_inside_a_bar_keeps_the_bar_count() {
        let sr = 48_000;
        let mut map = TempoMap::constant(sr, 0, 120.0, 4);
        // At bar 3 beat 2 (tick 9·960), ramp to 150 over 4 beats.
        let at = 9 * TICKS_PER_BEAT;
        let before = map.frame_at_tick(at);
        map.change_tempo_at(at, 150.0, 4 * TICKS_PER_BEAT);
        assert_eq!(map.frame_at_tick(at), before);
        assert_eq!(
            map.frame_at_tick(at - 1),
            (at - 1) as f64 as i64 * 48_000 / 1_920
        );
        assert_eq!(
            map.position_of_tick(at),
            Position {
                bar: 3,
                beat: 2,
                tick: 0
            }
        );
        assert_eq!(map.tick_of(Position::bar(5)), 16 * TICKS_PER_BEAT);
        // Beat k of the ramp (k ≤ 4) lands at t = 60·L/Δ·ln(1 + Δ·k/(L·120)).
        for k in 0..=8i64 {
            let secs = if k <= 4 {
                60.0 * 4.0 / 30.0 * (1.0 + 30.0 * k as f64 / (4.0 * 120.0)).ln()
            } else {
                60.0 * 4.0 / 30.0 * (150.0f64 / 120.0).ln() + (k - 4) as f64 * 0.4
            };
            let exact = (before as f64 + secs * sr as f64).round() as i64;
            let tick = at + k * TICKS_PER_BEAT;
            assert_eq!(map.frame_at_tick(tick), exact, "beat {k}");
            let f = map.frame_at_tick(tick);
            assert_eq!(map.frame_at_tick(map.next_beat_tick(f)), f);
            assert!(
                (map.tick_at_frame_f64(map.frame_at_tick_f64(tick as f64)) - tick as f64).abs()
                    < 1e-6
            );
        }
        assert_eq!(
            map.position_of_tick(at + 7 * TICKS_PER_BEAT),
            Position::bar(5)
        );
        let bar5 = map.next_bar_tick(map.frame_at_tick(at + 1));
        assert_eq!(map.position_of_tick(bar5), Position::bar(4));
    }
}
