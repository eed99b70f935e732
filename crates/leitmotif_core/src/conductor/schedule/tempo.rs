//! Tempo cues: the playing cue's grid changes at a sync point (a jump or a ramp), everything
//! planned on it is re-planned, and its voices are time-stretched to follow (`Warp` actions).

use super::super::state::{Clock, InstanceKind, MadeOn, Voice};
use super::super::{Action, ActionKind, Conductor, EventKind};
use super::Out;
use crate::score::{Enter, Sync};
use crate::time::{TICKS_PER_BEAT, TempoMap};

/// How far a stem is stretched at most: half to twice its own speed.
pub const STRETCH_RANGE: (f64, f64) = (0.5, 2.0);

/// Seconds before a tempo change at which the voices it moves start playing through their
/// stretchers (still at their own speed), so the change itself is seamless.
pub const PREWARP_SECONDS: f64 = 0.25;

impl Conductor {
    /// A tempo cue at `frame` (see [`Input::TempoCue`](super::super::Input::TempoCue)).
    pub(super) fn tempo_cue(
        &mut self,
        bpm: f64,
        ramp_beats: u32,
        sync: Sync,
        frame: i64,
        out: &mut Out<'_>,
    ) {
        if !(bpm.is_finite() && (10.0..=400.0).contains(&bpm)) {
            self.event(out, frame, EventKind::TempoCueRefused);
            return;
        }
        // A cue arriving by this frame takes the tempo cue (the film runner sets a cue's
        // fitted tempo on its bar 1).
        let committed = self
            .incoming
            .as_ref()
            .is_some_and(|i| i.committed || i.at <= frame);
        let (InstanceKind::Cue(cue), false, None) = (self.current.kind, committed, self.stopped)
        else {
            self.tempo_queued = Some((bpm, ramp_beats, sync));
            return;
        };
        let score = self.score.clone();
        let variant = score.cues[cue]
            .tempo_variants
            .iter()
            .find(|v| (v.bpm - bpm).abs() < 0.01)
            .and_then(|v| score.cue_index(&v.cue));
        if let Some(v) = variant {
            self.request_synced(v, frame, Some(sync), Some(Enter::SamePosition), out);
            return;
        }
        let own = score.cue_tempo(&score.cues[cue]).bpm;
        let ratio = bpm / own;
        if !(STRETCH_RANGE.0..=STRETCH_RANGE.1).contains(&ratio) {
            self.event(out, frame, EventKind::TempoCueRefused);
            return;
        }
        let at = self.current.sync_frame(&score, &sync, frame);
        let tick = self.current.map.tick_at_frame(at);
        let now = self.current.map.bpm_at_tick(tick);
        if (now - bpm).abs() < 1e-9 && self.current.map.bpm_at_tick(tick + 1) == now {
            // Already that tempo there: nothing changes (and nothing is stretched for it).
            return;
        }
        let old = self.current.map.clone();
        self.current
            .map
            .change_tempo_at(tick, bpm, ramp_beats as i64 * TICKS_PER_BEAT);
        self.current.retimed = true;
        self.refresh_seq_maps();
        // Stops planned on the old grid after the change (a pass ringing out its tail) move
        // with the music they end.
        let (id, map) = (self.current.id, &self.current.map);
        for v in self
            .voices
            .iter_mut()
            .filter(|v| v.clock.is_some_and(|c| c.instance == id))
        {
            // (Not a voice fading out: its fade runs in frames, and its stop ends it.)
            let fading = v.fade.len > 0 && v.fade.start + v.fade.len > at;
            if let Some((f, _)) = v.stop_at.as_mut().filter(|s| s.0 > at && !fading) {
                *f = map
                    .frame_at_tick_f64(old.tick_at_frame_f64(*f as f64))
                    .round() as i64;
            }
        }
        // Reported when it is reached, if this cue is still playing then.
        let kind = EventKind::TempoChanged {
            millibpm: (bpm * 1000.0).round() as u32,
            ramp_beats,
        };
        // A change replaces the ones it comes before (their grid is gone).
        self.tempo_due
            .retain(|d| d.0 < at || d.1 != self.current.id);
        self.tempo_due.push((at, self.current.id, kind));
        self.tempo_due.sort_by_key(|d| d.0);
        let lead = (PREWARP_SECONDS * self.sample_rate as f64) as i64;
        let from = (at - lead).max(frame);
        self.prewarp = Some((
            self.current.id,
            self.prewarp
                .filter(|p| p.0 == self.current.id)
                .map_or(from, |p| p.1.min(from)),
        ));
        self.replan_after_tempo(frame, at);
    }

    /// The tempo change is reached: reported when it still belongs to what plays.
    pub(super) fn reach_tempo_change(&mut self, frame: i64, out: &mut Out<'_>) {
        // Not when the cue is left on this very frame: the change never sounds.
        let leaving = self.pending.as_ref().is_some_and(|p| p.sync <= frame)
            || self.incoming.as_ref().is_some_and(|i| i.at <= frame);
        if self.tempo_due.is_empty() {
            return;
        }
        let (_, id, kind) = self.tempo_due.remove(0);
        if id == self.current.id && !leaving {
            self.event(out, frame, kind);
        }
    }

    /// Applies a tempo cue made during a transition, now that its target plays.
    pub(super) fn apply_queued_tempo(&mut self, frame: i64, out: &mut Out<'_>) {
        if let Some((bpm, ramp, sync)) = self.tempo_queued.take() {
            self.tempo_cue(bpm, ramp, sync, frame, out);
        }
    }

    /// What was planned on the old grid after `at`: the loop seam, a pending transition's sync
    /// point, stingers waiting for theirs.
    fn replan_after_tempo(&mut self, now: i64, at: i64) {
        let c = &mut self.current;
        c.pass_end = c.map.frame_at_bar((c.pass + 1) * c.bars + 1);
        if let Some(p) = self.pending.clone()
            && p.sync >= at
        {
            self.cancel_pending(now);
            let mut sink = (Vec::new(), Vec::new());
            let mut out = Out {
                actions: &mut sink.0,
                events: &mut sink.1,
            };
            self.request_synced(p.to, p.requested, p.force, p.force_enter, &mut out);
        }
        let score = self.score.clone();
        let mut due = std::mem::take(&mut self.stingers_due);
        for d in due.iter_mut().filter(|d| d.0 > at) {
            d.0 = self
                .current
                .sync_frame(&score, &score.stingers[d.1].sync, d.3);
        }
        due.sort_by_key(|d| d.0);
        self.stingers_due = due;
    }

    /// The lead of the next pass's pickup before the loop seam, on the (possibly changed) grid.
    pub(super) fn pass_lead(&self, cue: usize) -> i64 {
        if !self.current.retimed {
            return self.pickup_of(cue);
        }
        let map = &self.current.map;
        let seam = self.current.pass_end;
        let pickup = self.score.cues[cue].pickup_beats as i64 * TICKS_PER_BEAT;
        seam - map.frame_at_tick(map.tick_at_frame(seam) - pickup)
    }

    /// The material's own grid of a clock.
    fn made_on(&self, m: MadeOn) -> &TempoMap {
        match m {
            MadeOn::Cue(c) => &self.cue_maps[c],
            MadeOn::Score => &self.score_map,
        }
    }

    /// Where in its material (fractional source frames) a voice on `clock` is at `frame` of the
    /// instance grid `map`.
    pub(super) fn source_at(&self, clock: &Clock, map: &TempoMap, frame: i64) -> f64 {
        let own = self.made_on(clock.made_on);
        let tick = map.tick_at_frame_f64(frame as f64) - clock.bar1_tick as f64;
        let MadeOn::Cue(c) = clock.made_on else {
            return own.frame_at_tick_f64(tick) - own.start_frame() as f64;
        };
        let pickup = self.pickup_of(c) as f64;
        let cue = &self.score.cues[c];
        if !cue.looping {
            return pickup + own.frame_at_tick_f64(tick) - own.start_frame() as f64;
        }
        // A looped stem: pass m starts m whole bodies (in stem frames, as the engine lays the
        // passes out) after the first, so the position never drifts from the stem's own.
        let bpb = self.score.cue_tempo(cue).meter.0 as f64;
        let body_ticks = (cue.bars as f64 * bpb * TICKS_PER_BEAT as f64).max(1.0);
        let m = (tick / body_ticks).floor().max(0.0);
        let body = own.frame_at_bar(cue.bars + 1) as f64;
        pickup + own.frame_at_tick_f64(tick - m * body_ticks) - own.start_frame() as f64 + m * body
    }

    /// One control block of warps: every voice on the current grid, when that grid differs
    /// from its material's, is told where it is and how fast it goes (only when that changed).
    pub(super) fn update_rates(&mut self, b0: i64, b1: i64, out: &mut Out<'_>) {
        if !self.current.retimed {
            return;
        }
        let id = self.current.id;
        let prewarp = self.prewarp.filter(|p| p.0 == id).map_or(i64::MAX, |p| p.1);
        for i in 0..self.voices.len() {
            let v: &Voice = &self.voices[i];
            let Some(clock) = v.clock.filter(|c| c.instance == id && v.seq.is_none()) else {
                // (A live part's notes are placed on the live map: nothing to stretch.)
                continue;
            };
            let at = b0.max(v.started);
            if at >= b1 {
                continue;
            }
            let first = !v.warped && b1 > prewarp;
            let at = if first { at.max(prewarp) } else { at };
            let map = &self.current.map;
            let s0 = self.source_at(&clock, map, at);
            let s1 = self.source_at(&clock, map, b1);
            let rate = ((s1 - s0) / (b1 - at) as f64).clamp(STRETCH_RANGE.0, STRETCH_RANGE.1);
            if (rate - v.rate).abs() > 1e-9 || first {
                let voice = v.id;
                self.voices[i].rate = rate;
                self.voices[i].warped = true;
                out.actions.push(Action {
                    frame: at as u64,
                    kind: ActionKind::Warp {
                        voice,
                        source: s0.max(0.0),
                        rate,
                    },
                });
            }
        }
    }
}
