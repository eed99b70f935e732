//! Inputs into the plan: requests and parameters taken at their frame, rules latched, stingers queued.

use super::super::state::InstanceKind;
use super::super::{CONTROL_BLOCK, Conductor, EventKind, Input, Job, StingerJob};
use super::Out;
use crate::score::{Condition, Sync};
use crate::timing;

impl Conductor {
    pub(super) fn take_inputs(&mut self, b0: i64, b1: i64, out: &mut Out<'_>) {
        let n = self.inputs.partition_point(|i| (i.frame as i64) < b1);
        // Inputs are few per block; draining keeps the queue's allocation for later.
        for k in 0..n {
            let input = self.inputs[k].clone();
            self.apply(input.input, (input.frame as i64).max(b0), out);
        }
        self.inputs.drain(..n);
    }

    pub(super) fn apply(&mut self, input: Input, frame: i64, out: &mut Out<'_>) {
        match input {
            Input::SetParameter(i, v) => {
                match (self.params.get_mut(i), self.score.parameters.get(i)) {
                    (Some(state), Some(p)) => {
                        if !v.is_nan() {
                            state.set = v.clamp(p.min, p.max);
                            if p.seek_speed == 0.0 {
                                state.heard = state.set;
                            }
                        }
                    }
                    _ => self.event(out, frame, EventKind::InvalidRequest),
                }
            }
            Input::RequestCue(c) if c < self.score.cues.len() => self.request(c, frame, out),
            Input::StartCue(c) if c < self.score.cues.len() => {
                self.request_synced(c, frame, Some(Sync::Immediate), None, out)
            }
            Input::Stinger(s) if s < self.score.stingers.len() => self.trigger_stinger(s, frame),
            Input::RequestCue(_) | Input::StartCue(_) | Input::Stinger(_) => {
                self.event(out, frame, EventKind::InvalidRequest)
            }
            Input::TempoCue {
                bpm,
                ramp_beats,
                sync,
            } => self.tempo_cue(bpm, ramp_beats, sync, frame, out),
            Input::Stop { release } => self.stop_music(frame, release, out),
            Input::SetDialogue(level) => {
                if !level.is_nan() {
                    self.dialogue = level.clamp(0.0, 1.0);
                }
            }
            Input::Snapshot {
                snapshot,
                intensity,
                seconds,
            } => {
                if !self.set_snapshot(snapshot, intensity, seconds) {
                    self.event(out, frame, EventKind::InvalidRequest)
                }
            }
        }
    }

    /// [`Input::Stop`]: every voice releases over `release` frames from `frame`, what was
    /// pending is dropped, and the grid stops there.
    fn stop_music(&mut self, frame: i64, release: u32, out: &mut Out<'_>) {
        self.cancel_pending(frame);
        self.incoming = None;
        self.queued = None;
        self.tempo_queued = None;
        self.stingers_due.clear();
        self.opening = None;
        for v in &mut self.voices {
            // A voice not heard yet is cut outright; the others release.
            let release = if v.started >= frame {
                0
            } else {
                release.max(super::DECLICK_FRAMES)
            };
            let end = (frame, release);
            v.stop_at = Some(
                v.stop_at
                    .map_or(end, |s| if s.0 <= frame { s } else { end }),
            );
        }
        if self.stopped.is_none() {
            self.stopped = Some(frame);
            self.event(out, frame, EventKind::Stopped);
        }
    }

    pub(super) fn seek_parameters(&mut self) {
        let dt = CONTROL_BLOCK as f32 / self.sample_rate as f32;
        for (state, p) in self.params.iter_mut().zip(&self.score.parameters) {
            let step = p.seek_speed * dt;
            let d = state.set - state.heard;
            state.heard = if p.seek_speed == 0.0 || d.abs() <= step {
                state.set
            } else {
                state.heard + step * d.signum()
            };
        }
    }

    /// Updates the rules' latches; returns the cue of the first rule that became active.
    pub(super) fn evaluate_rules(&mut self) -> Option<usize> {
        let score = self.score.clone();
        let mut newly_active = None;
        for (ri, rule) in score.rules.iter().enumerate() {
            let state = &mut self.rules[ri];
            for (ci, cond) in rule.when.iter().enumerate() {
                let (Condition::AtLeast(p, t) | Condition::Below(p, t)) = cond;
                let x = score
                    .parameter_index(p)
                    .map_or(0.0, |i| self.params[i].heard);
                let h = rule.hysteresis;
                let latch = &mut state.latched[ci];
                *latch = match cond {
                    Condition::AtLeast(..) => {
                        if *latch {
                            x >= t - h
                        } else {
                            x >= *t
                        }
                    }
                    Condition::Below(..) => {
                        if *latch {
                            x < t + h
                        } else {
                            x < *t
                        }
                    }
                };
            }
            let active = state.latched.iter().all(|&l| l);
            if active && !state.active && newly_active.is_none() {
                newly_active = score.cue_index(&rule.cue);
            }
            state.active = active;
        }
        newly_active
    }

    /// The transition rule for `from` → `to` (see [`timing::rule_for`]).
    pub fn rule_for(&self, from: usize, to: usize) -> Option<usize> {
        timing::rule_for(&self.score, from, to)
    }

    /// Queues stinger `s` at its sync point after `frame`. A trigger landing on the frame where
    /// the same stinger is already due is the same hit: it is merged, so a burst of triggers
    /// cannot stack copies of one stinger (and fill the engine's voice pool).
    pub(super) fn trigger_stinger(&mut self, s: usize, frame: i64) {
        let st = &self.score.stingers[s];
        if let Some(last) = self.stinger_last[s]
            && ((frame as u64).saturating_sub(last) as f32)
                < st.no_repeat_seconds * self.sample_rate as f32
        {
            return;
        }
        let at = self.current.sync_frame(&self.score, &st.sync, frame);
        if self.stingers_due.iter().any(|d| d.0 == at && d.1 == s) {
            return;
        }
        let variation = self.pick_stinger_variation(s);
        self.stinger_last[s] = Some(at as u64);
        let voice = self.alloc_voice();
        let pos = self.stingers_due.partition_point(|d| d.0 <= at);
        self.stingers_due
            .insert(pos, (at, s, variation, frame, voice));
        // The music under it where it lands: the chord of that bar, the tempo there.
        let map = &self.current.map;
        let tick = map.tick_at_frame(at.max(self.current.start()));
        let cue_bar = self.current.body_bar(map.position_of_tick(tick).bar);
        self.jobs.push(Job::RenderStinger(StingerJob {
            voice,
            stinger: s as u16,
            variation: variation as u16,
            cue: self.current.cue().unwrap_or(0) as u16,
            segment: match self.current.kind {
                InstanceKind::Segment { segment, .. } => Some(segment as u16),
                _ => None,
            },
            cue_bar,
            bpm: map.bpm_at_tick(tick),
            frame: at.max(0) as u64,
        }));
    }
}
