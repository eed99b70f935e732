//! Advancing the conductor: due items in frame order, grid events, gains.

mod inputs;
pub(super) mod live;
pub(super) mod mix;
mod tempo;
mod transitions;
pub(super) mod variation;
mod voices;

pub use tempo::STRETCH_RANGE;

use super::state::{Clock, Fade, InstanceKind, LayerOf, MadeOn, Owner};
use super::{Action, ActionKind, CONTROL_BLOCK, Conductor, EventKind, MusicEvent, SourceRef};
use crate::score::{CurveShape, Length};
use crate::time::{Position, TICKS_PER_BEAT, TempoMap};

/// Release applied when a voice is cut rather than faded (≈1.3 ms at 48 kHz).
pub const DECLICK_FRAMES: u32 = 64;

fn db(v: f32) -> f32 {
    10f32.powf(v / 20.0)
}

/// Output lists of one `advance` call.
struct Out<'a> {
    actions: &'a mut Vec<Action>,
    events: &'a mut Vec<MusicEvent>,
}

/// The next thing due, in the order it must be handled at equal frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Tempo,
    Opening,
    Stop(usize),
    Stinger(usize),
    IncomingVoices,
    Sync,
    Arrival,
    PassPickup,
    Finish,
}

impl Conductor {
    /// Makes the plan up to at least `to` (rounded up to a whole control block), appending
    /// actions and events in frame order.
    pub fn advance(&mut self, to: u64, actions: &mut Vec<Action>, events: &mut Vec<MusicEvent>) {
        let (a0, e0) = (actions.len(), events.len());
        let mut out = Out { actions, events };
        if !self.started {
            self.started = true;
            // Rules that hold at the start describe the initial state, not a request.
            let _ = self.evaluate_rules();
            self.open(&mut out);
        }
        while self.now < to {
            let b0 = self.now as i64;
            let b1 = b0 + CONTROL_BLOCK as i64;
            self.take_inputs(b0, b1, &mut out);
            self.seek_parameters();
            if let Some(cue) = self.evaluate_rules() {
                self.request(cue, b0, &mut out);
            }
            while let Some((frame, due)) = self.next_due(b1) {
                self.emit_grid(frame, &mut out);
                self.handle(due, frame.max(b0), &mut out);
            }
            self.emit_grid(b1, &mut out);
            self.sequence(b1, &mut out);
            self.update_gains(b0, b1, &mut out);
            self.update_rates(b0, b1, &mut out);
            self.update_mix(b0, &mut out);
            self.now = b1 as u64;
        }
        // Handlers may report an event at a frame the grid has already passed in this block.
        out.actions[a0..].sort_by_key(|a| a.frame);
        out.events[e0..].sort_by_key(|e| e.frame);
    }

    fn event(&self, out: &mut Out<'_>, frame: i64, kind: EventKind) {
        let local = self
            .current
            .map
            .position_at_frame(frame.max(self.current.start()));
        let mut position = local;
        position.bar += self.current.bar_offset;
        out.events.push(MusicEvent {
            frame: frame.max(0) as u64,
            position,
            cue_bar: self.current.body_bar(local.bar),
            kind,
        });
    }

    fn next_due(&self, b1: i64) -> Option<(i64, Due)> {
        let mut best: Option<(i64, Due)> = None;
        let mut consider = |f: i64, d: Due| {
            if f < b1 && best.is_none_or(|b| (f, d) < b) {
                best = Some((f, d));
            }
        };
        for (i, v) in self.voices.iter().enumerate() {
            if let Some((f, _)) = v.stop_at {
                consider(f, Due::Stop(i));
            }
        }
        if let Some(f) = self.opening {
            consider(f, Due::Opening);
        }
        if let Some(&(f, ..)) = self.tempo_due.first() {
            consider(f, Due::Tempo);
        }
        if let Some(&(f, ..)) = self.stingers_due.first() {
            consider(f, Due::Stinger(0));
        }
        if let Some(inc) = &self.incoming {
            if !inc.started {
                consider(
                    inc.at - self.lead_of(inc.to, inc.entry),
                    Due::IncomingVoices,
                );
            }
            consider(inc.at, Due::Arrival);
        }
        if let Some(p) = &self.pending {
            consider(p.sync, Due::Sync);
        }
        if let InstanceKind::Cue(c) = self.current.kind
            && self.current.looping
            && self.stopped.is_none()
            && self.incoming.as_ref().is_none_or(|i| !i.committed)
        {
            consider(self.current.pass_end - self.pass_lead(c), Due::PassPickup);
        }
        if let Some((f, _, _)) = self.finish_due {
            consider(f, Due::Finish);
        }
        best
    }

    fn handle(&mut self, due: Due, frame: i64, out: &mut Out<'_>) {
        match due {
            Due::Tempo => self.reach_tempo_change(frame, out),
            Due::Opening => {
                if self.opening.take().is_some()
                    && let Some(cue) = self.current.cue()
                {
                    self.event(out, frame, EventKind::CueStarted { cue: cue as u16 });
                }
            }
            Due::Stop(i) => {
                let (_, release) = self.voices[i].stop_at.unwrap_or((frame, 0));
                if self.voices[i].seq.is_some() {
                    self.stop_seq(i, frame, release, out);
                    self.voices.remove(i);
                    return;
                }
                let v = self.voices.remove(i);
                out.actions.push(Action {
                    frame: frame as u64,
                    kind: ActionKind::Stop {
                        voice: v.id,
                        release,
                    },
                });
            }
            Due::Stinger(_) => {
                let (at, s, variation, _, id) = self.stingers_due.remove(0);
                let score = self.score.clone();
                let st = &score.stingers[s];
                out.actions.push(Action {
                    frame: at.max(frame) as u64,
                    kind: ActionKind::Start {
                        voice: id,
                        source: SourceRef::Stinger {
                            stinger: s as u16,
                            variation: variation as u16,
                        },
                        offset: 0,
                        gain: db(st.gain_db),
                        cutoff: None,
                        pan: 0.0,
                    },
                });
                let beats = st.variations[variation].beats as f64;
                let len =
                    self.length_frames(Length::Beats(beats), &self.current.map.clone(), frame);
                self.stinger_until = self.stinger_until.max((frame + len) as u64);
                self.event(
                    out,
                    frame,
                    EventKind::Stinger {
                        stinger: s as u16,
                        variation: variation as u16,
                    },
                );
            }
            Due::IncomingVoices => {
                let Some(inc) = self.incoming.as_mut() else {
                    return;
                };
                inc.started = true;
                let (to, at, rule, entry) = (inc.to, inc.at, inc.rule, inc.entry);
                let lead = self.lead_of(to, entry);
                let fade_in =
                    rule.map_or(Length::Beats(0.0), |r| self.score.transitions[r].fade_in);
                let shape = rule.map_or(CurveShape::Linear, |r| self.score.transitions[r].shape);
                let map = TempoMap::from_tempo(
                    self.score.cue_tempo(&self.score.cues[to]),
                    self.sample_rate,
                    at,
                );
                let fi = self.length_frames(fade_in, &map, at);
                // The fade-in starts where the cue starts to sound: the first frame of its
                // pickup (its entry point when entered at a position), so a pickup is heard.
                let fade = if fi > 0 {
                    Fade {
                        start: at - lead,
                        len: fi,
                        from: 0.0,
                        to: 1.0,
                        shape,
                    }
                } else {
                    Fade::hold(1.0)
                };
                // A late pickup starts part-way through its material, still aligned to bar 1;
                // an entry at a position starts that far into the stems.
                let skip = (frame - (at - lead)).max(0);
                let into = entry.map_or(0, |pos| {
                    self.pickup_of(to) + self.cue_maps[to].frame_at(pos)
                });
                self.start_cue_voices(to, frame, (into + skip) as u64, fade, false, None, &[], out);
            }
            Due::Sync => self.leave_current(frame, out),
            Due::Arrival => self.arrive(frame, out),
            Due::PassPickup => self.next_pass(frame, out),
            Due::Finish => {
                if let Some((_, from, to)) = self.finish_due.take() {
                    self.event(out, frame, EventKind::TransitionFinished { from, to });
                }
            }
        }
    }

    /// Beat, bar and marker events of the current instance up to `until` (exclusive).
    fn emit_grid(&mut self, until: i64, out: &mut Out<'_>) {
        // Stopped: the grid ends with the beat on the stop's frame (a button's downbeat).
        let until = self.stopped.map_or(until, |s| until.min(s + 1));
        let from = self.grid_until.max(self.current.start());
        if until <= from {
            return;
        }
        let map = &self.current.map;
        let mut tick = map.next_beat_tick(from);
        loop {
            let f = map.frame_at_tick(tick);
            if f >= until {
                break;
            }
            let local = map.position_of_tick(tick);
            let mut position = local;
            position.bar += self.current.bar_offset;
            let cue_bar = self.current.body_bar(local.bar);
            if local.beat == 1 {
                out.events.push(MusicEvent {
                    frame: f as u64,
                    position,
                    cue_bar,
                    kind: EventKind::Bar,
                });
            }
            out.events.push(MusicEvent {
                frame: f as u64,
                position,
                cue_bar,
                kind: EventKind::Beat,
            });
            if let InstanceKind::Cue(c) = self.current.kind
                && (self.current.looping || local.bar <= self.current.bars)
            {
                for (mi, m) in self.score.cues[c].markers.iter().enumerate() {
                    if m.bar == cue_bar && m.beat == local.beat {
                        out.events.push(MusicEvent {
                            frame: f as u64,
                            position,
                            cue_bar,
                            kind: EventKind::Marker {
                                cue: c as u16,
                                marker: mi as u16,
                            },
                        });
                    }
                }
            }
            tick += TICKS_PER_BEAT;
        }
        self.grid_until = until;
    }

    /// The first voices, on frame 0: the current cue's pass. From the top, the stems start on
    /// frame 0, the pickup sounds first and bar 1 (the instance's start) lands a pickup later,
    /// on the grid. Started part-way ([`start_at`](Conductor::start_at)), they start where the
    /// pass is at frame 0, the passes before pick their bodies in turn and the previous one's
    /// tail rings on when it is not over.
    fn open(&mut self, out: &mut Out<'_>) {
        let cue = self.current.cue().unwrap_or(0);
        let (pass, bars) = (self.current.pass, self.current.bars.max(1));
        let first_bar = Position::bar(pass * bars + 1);
        let bar1 = self.current.map.frame_at(first_bar);
        let mut previous = None;
        for _ in 0..pass {
            previous = Some(self.next_body(cue));
        }
        if let Some(body) = previous {
            self.ring_previous_pass(cue, body, bar1, out);
        }
        let clock = Clock {
            instance: self.current.id,
            bar1_tick: self.current.map.tick_of(first_bar),
            made_on: MadeOn::Cue(cue),
        };
        let offset = (self.pickup_of(cue) - bar1).max(0) as u64;
        self.start_cue_voices(cue, 0, offset, Fade::hold(1.0), true, Some(clock), &[], out);
        // Reported where the cue starts, not when it was started past its bar 1.
        if pass == 0 && bar1 >= 0 {
            self.opening = Some(bar1);
        }
    }

    /// Started at a pass whose bar 1 (`seam`, at or before frame 0) is less than a tail ago:
    /// the recorded layers of the pass before (body `body`) ring on from frame 0 into their
    /// tail, as the ending pass does at a loop seam.
    fn ring_previous_pass(&mut self, cue: usize, body: u16, seam: i64, out: &mut Out<'_>) {
        let score = self.score.clone();
        let c = &score.cues[cue];
        let map = self.current.map.clone();
        let tail = self.length_frames(Length::Beats(c.tail_beats as f64), &map, seam);
        if seam + tail <= 0 {
            return;
        }
        let offset =
            (self.pickup_of(cue) + self.cue_maps[cue].frame_at_bar(c.bars + 1) - seam) as u64;
        let clock = Clock {
            instance: self.current.id,
            bar1_tick: map.tick_of(Position::bar(
                self.current.pass.saturating_sub(1) * c.bars + 1,
            )),
            made_on: MadeOn::Cue(cue),
        };
        for (li, layer) in c.layers.iter().enumerate() {
            if self.live_part(cue, li).is_some() {
                continue;
            }
            let source = variation::body_source(&score, cue, li, body);
            let owner = Owner::Music {
                layer_of: LayerOf::Cue(cue, li),
            };
            let fade = Fade::hold(1.0);
            self.start_voice(
                source,
                owner,
                layer,
                0,
                offset,
                fade,
                false,
                Some(clock),
                out,
            );
            if let Some(v) = self.voices.last_mut() {
                v.stop_at = Some((seam + tail, 0));
            }
        }
    }
}
