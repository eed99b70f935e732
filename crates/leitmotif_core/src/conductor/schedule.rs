//! Advancing the conductor: due items in frame order, grid events, gains.

use rand::Rng;

use super::state::{
    Between, Fade, Incoming, Instance, InstanceKind, LayerOf, Owner, Pending, Voice,
};
use super::{
    Action, ActionKind, BridgeJob, CONTROL_BLOCK, Conductor, EventKind, Input, Job, MusicEvent,
    SourceRef,
};
use crate::timing;
use crate::score::{Bridge, Condition, CurveShape, Layer, Length, Sync};
use crate::time::{TICKS_PER_BEAT, TempoMap};

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
            let cue = self.current.cue().unwrap_or(0);
            self.start_cue_voices(cue, 0, 0, Fade::hold(1.0), true, &mut out);
            self.event(&mut out, 0, EventKind::CueStarted { cue: cue as u16 });
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
            self.update_gains(b0, b1, &mut out);
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

    fn take_inputs(&mut self, b0: i64, b1: i64, out: &mut Out<'_>) {
        let n = self.inputs.partition_point(|i| (i.frame as i64) < b1);
        // Inputs are few per block; draining keeps the queue's allocation for later.
        for k in 0..n {
            let input = self.inputs[k].clone();
            self.apply(input.input, (input.frame as i64).max(b0), out);
        }
        self.inputs.drain(..n);
    }

    fn apply(&mut self, input: Input, frame: i64, out: &mut Out<'_>) {
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
                self.request_synced(c, frame, Some(Sync::Immediate), out)
            }
            Input::Stinger(s) if s < self.score.stingers.len() => self.trigger_stinger(s, frame),
            Input::RequestCue(_) | Input::StartCue(_) | Input::Stinger(_) => {
                self.event(out, frame, EventKind::InvalidRequest)
            }
            Input::TempoCue { bpm, sync: _ } => {
                let variant = self
                    .current
                    .cue()
                    .and_then(|c| {
                        self.score.cues[c]
                            .tempo_variants
                            .iter()
                            .find(|v| (v.bpm - bpm).abs() < 0.01)
                    })
                    .and_then(|v| self.score.cue_index(&v.cue));
                match variant {
                    Some(c) => self.request(c, frame, out),
                    None => self.event(out, frame, EventKind::TempoCueRefused),
                }
            }
            Input::SetDialogue(level) => {
                if !level.is_nan() {
                    self.dialogue = level.clamp(0.0, 1.0);
                }
            }
        }
    }

    fn seek_parameters(&mut self) {
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
    fn evaluate_rules(&mut self) -> Option<usize> {
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

    fn length_frames(&self, len: Length, map: &TempoMap, at: i64) -> i64 {
        match len {
            Length::Seconds(s) => (s * self.sample_rate as f64).round() as i64,
            Length::Beats(b) => timing::beats_frames(map, at, b),
        }
    }

    fn request(&mut self, to: usize, frame: i64, out: &mut Out<'_>) {
        self.request_synced(to, frame, None, out);
    }

    fn request_synced(&mut self, to: usize, frame: i64, force: Option<Sync>, _out: &mut Out<'_>) {
        if let Some(inc) = &self.incoming
            && inc.committed
        {
            // A transition is under way: make this request when its target has started.
            self.queued = (inc.to != to).then_some(to);
            return;
        }
        if self.pending.as_ref().is_some_and(|p| p.to == to) {
            return;
        }
        self.cancel_pending(frame);
        let from = self.current.cue().unwrap_or(0);
        if from == to && matches!(self.current.kind, InstanceKind::Cue(_)) {
            return;
        }
        let rule = self.rule_for(from, to);
        let tr = rule.map(|r| &self.score.transitions[r]);
        let sync = force.unwrap_or_else(|| tr.map_or(Sync::NextBar, |t| t.sync.clone()));
        let pickup = self.pickup_of(to);
        let between = tr.map_or(Bridge::None, |t| t.bridge.clone());
        let s = match between {
            Bridge::None => self.current.sync_frame(&self.score, &sync, frame + pickup),
            _ => self.current.sync_frame(&self.score, &sync, frame),
        };
        let between = match between {
            Bridge::None => Between::Nothing,
            Bridge::Segment(name) => Between::Segment(
                self.score
                    .segments
                    .iter()
                    .position(|x| x.name == name)
                    .unwrap_or(0),
            ),
            Bridge::Generated(bars) => {
                let map = self.bridge_map(to, s, bars);
                let frames = map.frame_at_bar(bars + 1) - s;
                let id = self.next_bridge;
                self.next_bridge += 1;
                let from_bar = self
                    .current
                    .body_bar(self.current.map.position_at_frame(s).bar);
                self.jobs.push(Job::ComposeBridge(BridgeJob {
                    id,
                    from: from as u16,
                    to: to as u16,
                    from_bar,
                    bars,
                    frames: frames as u64,
                    start: s as u64,
                    planned_at: frame.max(0) as u64,
                }));
                Between::Bridge(id, bars, frames)
            }
        };
        let at = s + match between {
            Between::Nothing => 0,
            Between::Segment(seg) => {
                timing::segment_frames(&self.current.map, s, self.score.segments[seg].bars)
            }
            Between::Bridge(_, _, frames) => frames,
        };
        self.pending = Some(Pending {
            to,
            rule,
            sync: s,
            between,
        });
        self.incoming = Some(Incoming {
            to,
            from,
            rule,
            at,
            started: false,
            committed: false,
        });
    }

    /// The grid of a generated bridge: a ramp from the outgoing tempo to the target's.
    fn bridge_map(&self, to: usize, start: i64, bars: u32) -> TempoMap {
        let map = &self.current.map;
        let tick = map.tick_at_frame(start);
        let bpb = map.beats_per_bar_at_tick(tick);
        let from_bpm = map.bpm_at_tick(tick);
        let to_bpm = self.score.cue_tempo(&self.score.cues[to]).bpm;
        timing::bridge_map(self.sample_rate, start, from_bpm, to_bpm, bars, bpb)
    }

    fn cancel_pending(&mut self, frame: i64) {
        if self.pending.take().is_none() {
            return;
        }
        if let Some(inc) = self.incoming.take()
            && inc.started
        {
            // The incoming cue's pickup already sounds: release it.
            for v in self
                .voices
                .iter_mut()
                .filter(|v| !v.current && v.stop_at.is_none())
            {
                v.stop_at = Some((frame, DECLICK_FRAMES));
            }
        }
    }

    /// Queues stinger `s` at its sync point after `frame`. A trigger landing on the frame where
    /// the same stinger is already due is the same hit: it is merged, so a burst of triggers
    /// cannot stack copies of one stinger (and fill the engine's voice pool).
    fn trigger_stinger(&mut self, s: usize, frame: i64) {
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
        let total: f32 = st.variations.iter().map(|v| v.weight).sum();
        let mut pick = self.rng.random::<f32>() * total;
        let mut variation = st.variations.len() - 1;
        for (i, v) in st.variations.iter().enumerate() {
            if pick < v.weight {
                variation = i;
                break;
            }
            pick -= v.weight;
        }
        self.stinger_last[s] = Some(at as u64);
        let pos = self.stingers_due.partition_point(|d| d.0 <= at);
        self.stingers_due.insert(pos, (at, s, variation));
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
        if let Some(&(f, _, _)) = self.stingers_due.first() {
            consider(f, Due::Stinger(0));
        }
        if let Some(inc) = &self.incoming {
            if !inc.started {
                consider(inc.at - self.pickup_of(inc.to), Due::IncomingVoices);
            }
            consider(inc.at, Due::Arrival);
        }
        if let Some(p) = &self.pending {
            consider(p.sync, Due::Sync);
        }
        if let InstanceKind::Cue(c) = self.current.kind
            && self.current.looping
            && self.incoming.as_ref().is_none_or(|i| !i.committed)
        {
            consider(self.current.pass_end - self.pickup_of(c), Due::PassPickup);
        }
        if let Some((f, _, _)) = self.finish_due {
            consider(f, Due::Finish);
        }
        best
    }

    fn pickup_of(&self, cue: usize) -> i64 {
        timing::pickup_frames(&self.score, &self.score.cues[cue], self.sample_rate)
    }

    fn handle(&mut self, due: Due, frame: i64, out: &mut Out<'_>) {
        match due {
            Due::Stop(i) => {
                let v = self.voices.remove(i);
                let (_, release) = v.stop_at.unwrap_or((frame, 0));
                out.actions.push(Action {
                    frame: frame as u64,
                    kind: ActionKind::Stop {
                        voice: v.id,
                        release,
                    },
                });
            }
            Due::Stinger(_) => {
                let (at, s, variation) = self.stingers_due.remove(0);
                let score = self.score.clone();
                let st = &score.stingers[s];
                let id = self.alloc_voice();
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
                let (to, at, rule) = (inc.to, inc.at, inc.rule);
                let fade_in =
                    rule.map_or(Length::Beats(0.0), |r| self.score.transitions[r].fade_in);
                let shape = rule.map_or(CurveShape::Linear, |r| self.score.transitions[r].shape);
                let map = TempoMap::from_tempo(
                    self.score.cue_tempo(&self.score.cues[to]),
                    self.sample_rate,
                    at,
                );
                let fi = self.length_frames(fade_in, &map, at);
                let fade = if fi > 0 {
                    Fade {
                        start: at,
                        len: fi,
                        from: 0.0,
                        to: 1.0,
                        shape,
                    }
                } else {
                    Fade::hold(1.0)
                };
                let pickup = self.pickup_of(to);
                // A late pickup starts part-way through its material, still aligned to bar 1.
                let skip = (frame - (at - pickup)).max(0) as u64;
                self.start_cue_voices(to, frame, skip, fade, false, out);
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

    fn alloc_voice(&mut self) -> u32 {
        let id = self.next_voice;
        self.next_voice = self.next_voice.wrapping_add(1);
        id
    }

    /// Starts the voices of a cue's pass at `frame`, `offset` frames into the stems.
    fn start_cue_voices(
        &mut self,
        cue: usize,
        frame: i64,
        offset: u64,
        fade: Fade,
        current: bool,
        out: &mut Out<'_>,
    ) {
        let score = self.score.clone();
        for (li, layer) in score.cues[cue].layers.iter().enumerate() {
            let source = SourceRef::Layer {
                cue: cue as u16,
                layer: li as u16,
            };
            self.start_voice(
                source,
                Owner::Music {
                    layer_of: LayerOf::Cue(cue, li),
                },
                layer,
                frame,
                offset,
                fade,
                current,
                out,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn start_voice(
        &mut self,
        source: SourceRef,
        owner: Owner,
        layer: &Layer,
        frame: i64,
        offset: u64,
        fade: Fade,
        current: bool,
        out: &mut Out<'_>,
    ) {
        let id = self.alloc_voice();
        let mut v = Voice {
            id,
            source,
            owner,
            fade,
            stop_at: None,
            started: frame,
            last_gain: 0.0,
            last_cutoff: None,
            current,
        };
        v.last_gain = self.voice_gain(&v, frame);
        v.last_cutoff = layer
            .cutoff_curve
            .as_ref()
            .map(|c| c.eval(self.param_value(&c.parameter)));
        out.actions.push(Action {
            frame: frame as u64,
            kind: ActionKind::Start {
                voice: id,
                source,
                offset,
                gain: v.last_gain,
                cutoff: v.last_cutoff,
                pan: layer.pan,
            },
        });
        self.voices.push(v);
    }

    fn param_value(&self, name: &str) -> f32 {
        self.score
            .parameter_index(name)
            .map_or(0.0, |i| self.params[i].heard)
    }

    fn layer(&self, of: LayerOf) -> &Layer {
        match of {
            LayerOf::Cue(c, l) => &self.score.cues[c].layers[l],
            LayerOf::Segment(s, l) => &self.score.segments[s].layers[l],
        }
    }

    fn voice_gain(&self, v: &Voice, frame: i64) -> f32 {
        let base = match v.owner {
            Owner::Music { layer_of } => {
                let layer = self.layer(layer_of);
                let curve = layer
                    .gain_curve
                    .as_ref()
                    .map_or(1.0, |c| c.eval(self.param_value(&c.parameter)));
                db(layer.gain_db) * curve
            }
            Owner::Bridge => 1.0,
        };
        base * v.fade.at(frame) * self.duck
    }

    /// The sync point: the outgoing cue fades (or rings out), a bridge or segment may start.
    fn leave_current(&mut self, frame: i64, out: &mut Out<'_>) {
        let Some(p) = self.pending.take() else { return };
        let from = self.current.cue().unwrap_or(0);
        if let Some(inc) = self.incoming.as_mut() {
            inc.committed = true;
        }
        let tr = p.rule.map(|r| self.score.transitions[r].clone());
        let fo = tr.as_ref().map_or(0, |t| {
            self.length_frames(t.fade_out, &self.current.map, frame)
        });
        let shape = tr.as_ref().map_or(CurveShape::Linear, |t| t.shape);
        let cue = &self.score.cues[from];
        let at_loop_end =
            matches!(self.current.kind, InstanceKind::Cue(_)) && frame == self.current.pass_end;
        let tail = if at_loop_end && fo == 0 && cue.tail_beats > 0 {
            self.length_frames(
                Length::Beats(cue.tail_beats as f64),
                &self.current.map,
                frame,
            )
        } else {
            0
        };
        for v in self.voices.iter_mut().filter(|v| v.current) {
            v.current = false;
            if tail > 0 {
                v.stop_at = Some((frame + tail, DECLICK_FRAMES));
            } else if fo > 0 {
                let now = v.fade.at(frame);
                v.fade = Fade {
                    start: frame,
                    len: fo,
                    from: now,
                    to: 0.0,
                    shape,
                };
                v.stop_at = Some((frame + fo, 0));
            } else {
                v.stop_at = Some((frame, DECLICK_FRAMES));
            }
        }
        self.event(
            out,
            frame,
            EventKind::TransitionStarted {
                from: from as u16,
                to: p.to as u16,
            },
        );
        let offset = self.bar_offset_at(frame);
        match p.between {
            Between::Nothing => {}
            Between::Segment(seg) => {
                let map = &self.current.map;
                let tick = map.tick_at_frame(frame);
                let bpm = map.bpm_at_tick(tick);
                let bpb = map.beats_per_bar_at_tick(tick);
                let bars = self.score.segments[seg].bars;
                let map = TempoMap::constant(self.sample_rate, frame, bpm, bpb);
                self.current = Instance {
                    kind: InstanceKind::Segment {
                        segment: seg,
                        from,
                        to: p.to,
                    },
                    pass_end: map.frame_at_bar(bars + 1),
                    map,
                    bar_offset: offset,
                    bars,
                    looping: false,
                    pass: 0,
                };
                let score = self.score.clone();
                for (li, layer) in score.segments[seg].layers.iter().enumerate() {
                    let source = SourceRef::SegmentLayer {
                        segment: seg as u16,
                        layer: li as u16,
                    };
                    let owner = Owner::Music {
                        layer_of: LayerOf::Segment(seg, li),
                    };
                    self.start_voice(source, owner, layer, frame, 0, Fade::hold(1.0), true, out);
                }
            }
            Between::Bridge(id, bars, _) => {
                let map = self.bridge_map(p.to, frame, bars);
                self.current = Instance {
                    kind: InstanceKind::Bridge { id, from, to: p.to },
                    pass_end: map.frame_at_bar(bars + 1),
                    map,
                    bar_offset: offset,
                    bars,
                    looping: false,
                    pass: 0,
                };
                let vid = self.alloc_voice();
                let mut v = Voice {
                    id: vid,
                    source: SourceRef::Bridge(id),
                    owner: Owner::Bridge,
                    fade: Fade::hold(1.0),
                    stop_at: None,
                    started: frame,
                    last_gain: 0.0,
                    last_cutoff: None,
                    current: true,
                };
                v.last_gain = self.voice_gain(&v, frame);
                out.actions.push(Action {
                    frame: frame as u64,
                    kind: ActionKind::Start {
                        voice: vid,
                        source: v.source,
                        offset: 0,
                        gain: v.last_gain,
                        cutoff: None,
                        pan: 0.0,
                    },
                });
                self.voices.push(v);
            }
        }
        let end = frame + fo;
        self.finish_due = Some((end, from as u16, p.to as u16));
    }

    /// Global bars before a new instance starting at `frame` (a partial bar counts as one).
    fn bar_offset_at(&self, frame: i64) -> u32 {
        let map = &self.current.map;
        let tick = map.tick_at_frame(frame);
        let pos = map.position_of_tick(tick);
        let on_bar = pos.beat == 1 && pos.tick == 0 && map.frame_at_tick(tick) == frame;
        self.current.bar_offset + if on_bar { pos.bar - 1 } else { pos.bar }
    }

    /// The target cue's bar 1.
    fn arrive(&mut self, frame: i64, out: &mut Out<'_>) {
        let Some(inc) = self.incoming.take() else {
            return;
        };
        if !inc.committed {
            // The sync point and bar 1 coincide: leave first.
            self.incoming = Some(inc.clone());
            self.leave_current(frame, out);
            self.incoming = None;
        }
        let offset = self.bar_offset_at(frame);
        // Bridge and segment voices end where the cue begins.
        for v in self.voices.iter_mut().filter(|v| v.current) {
            v.current = false;
            v.stop_at.get_or_insert((frame, DECLICK_FRAMES));
        }
        for v in self
            .voices
            .iter_mut()
            .filter(|v| !v.current && v.stop_at.is_none())
        {
            v.current = true;
        }
        self.current = Instance::new_cue(&self.score, inc.to, self.sample_rate, frame, offset);
        self.event(out, frame, EventKind::CueStarted { cue: inc.to as u16 });
        let fade_in = inc
            .rule
            .map_or(Length::Beats(0.0), |r| self.score.transitions[r].fade_in);
        let fi = self.length_frames(fade_in, &self.current.map.clone(), frame);
        let end = (frame + fi).max(self.finish_due.map_or(0, |f| f.0));
        self.finish_due = Some((end, inc.from as u16, inc.to as u16));
        if let Some(q) = self.queued.take() {
            self.request(q, frame, out);
        }
    }

    /// A loop seam: the next pass starts (with its pickup), the ending pass stops or rings out.
    fn next_pass(&mut self, frame: i64, out: &mut Out<'_>) {
        let InstanceKind::Cue(cue) = self.current.kind else {
            return;
        };
        let seam = self.current.pass_end;
        let c = &self.score.cues[cue];
        let tail = self.length_frames(Length::Beats(c.tail_beats as f64), &self.current.map, seam);
        let ending: Vec<usize> = (0..self.voices.len())
            .filter(|&i| self.voices[i].current && self.voices[i].stop_at.is_none())
            .collect();
        let fades: Vec<Fade> = ending.iter().map(|&i| self.voices[i].fade).collect();
        for &i in &ending {
            self.voices[i].current = false;
            self.voices[i].stop_at = Some((seam + tail, 0));
        }
        let fade = fades.first().copied().unwrap_or(Fade::hold(1.0));
        self.start_cue_voices(
            cue,
            frame,
            (frame - (seam - self.pickup_of(cue))).max(0) as u64,
            fade,
            true,
            out,
        );
        self.current.pass += 1;
        self.current.pass_end = self
            .current
            .map
            .frame_at_bar((self.current.pass + 1) * self.current.bars + 1);
    }

    /// Beat, bar and marker events of the current instance up to `until` (exclusive).
    fn emit_grid(&mut self, until: i64, out: &mut Out<'_>) {
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

    fn update_gains(&mut self, b0: i64, b1: i64, out: &mut Out<'_>) {
        let dialogue = db(self.score.ducking.dialogue_db * self.dialogue);
        let stinger = if (b1 as u64) < self.stinger_until {
            db(self.score.ducking.stinger_db)
        } else {
            1.0
        };
        let target = dialogue.min(stinger);
        let step = CONTROL_BLOCK as f32
            / (self.score.ducking.seconds.max(0.001) * self.sample_rate as f32);
        let d = target - self.duck;
        self.duck = if d.abs() <= step {
            target
        } else {
            self.duck + step * d.signum()
        };
        for i in 0..self.voices.len() {
            let g = self.voice_gain(&self.voices[i], b1);
            let v = &mut self.voices[i];
            let at = b0.max(v.started);
            if (g - v.last_gain).abs() > 1e-6 && at < b1 {
                out.actions.push(Action {
                    frame: at as u64,
                    kind: ActionKind::Gain {
                        voice: v.id,
                        target: g,
                        frames: (b1 - at) as u32,
                    },
                });
                v.last_gain = g;
            }
            if let Owner::Music { layer_of } = v.owner
                && let Some(c) = &self.layer(layer_of).cutoff_curve
            {
                let hz = c.eval(self.param_value(&c.parameter));
                let v = &mut self.voices[i];
                if v.last_cutoff.is_none_or(|old| (old - hz).abs() > 0.5) && at < b1 {
                    v.last_cutoff = Some(hz);
                    out.actions.push(Action {
                        frame: at as u64,
                        kind: ActionKind::Cutoff {
                            voice: v.id,
                            hz,
                            frames: (b1 - at) as u32,
                        },
                    });
                }
            }
        }
    }
}
