//! Transitions: a request becomes a pending transition at its sync point, the outgoing cue leaves
//! (fades, bridges, segments), the target arrives, loops start their next pass.

use super::super::state::{
    Between, Clock, Fade, Incoming, Instance, InstanceKind, LayerOf, MadeOn, Owner, Pending, Voice,
};
use super::super::{Action, ActionKind, BridgeJob, Conductor, EventKind, Job, SourceRef};
use super::{DECLICK_FRAMES, Out};
use crate::score::{Bridge, CurveShape, Enter, Length, Source, Sync};
use crate::time::{Position, TempoMap};
use crate::timing;

impl Conductor {
    pub(super) fn length_frames(&self, len: Length, map: &TempoMap, at: i64) -> i64 {
        match len {
            Length::Seconds(s) => (s * self.sample_rate as f64).round() as i64,
            Length::Beats(b) => timing::beats_frames(map, at, b),
        }
    }

    pub(super) fn request(&mut self, to: usize, frame: i64, out: &mut Out<'_>) {
        self.request_synced(to, frame, None, None, out);
    }

    /// A move to cue `to` requested at `frame`, by its rule unless `force` gives the sync point
    /// or `force_enter` the entry (which then has no bridge: a tempo variant).
    pub(super) fn request_synced(
        &mut self,
        to: usize,
        frame: i64,
        force: Option<Sync>,
        force_enter: Option<Enter>,
        _out: &mut Out<'_>,
    ) {
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
        let stopped = self.stopped.is_some();
        if from == to && matches!(self.current.kind, InstanceKind::Cue(_)) && !stopped {
            return;
        }
        // After a stop nothing plays to transition from: the cue starts at once, plainly.
        let rule = if stopped {
            None
        } else {
            self.rule_for(from, to)
        };
        let force = if stopped {
            Some(Sync::Immediate)
        } else {
            force
        };
        let tr = rule.map(|r| &self.score.transitions[r]);
        let sync = force
            .clone()
            .unwrap_or_else(|| tr.map_or(Sync::NextBar, |t| t.sync.clone()));
        let enter = force_enter
            .clone()
            .unwrap_or_else(|| tr.map_or(Enter::Start, |t| t.enter.clone()));
        let pickup = self.pickup_of(to);
        let between = match (&force_enter, tr) {
            (None, Some(t)) => t.bridge.clone(),
            _ => Bridge::None,
        };
        let s = match (&between, &enter) {
            (Bridge::None, Enter::Start) => {
                self.current.sync_frame(&self.score, &sync, frame + pickup)
            }
            _ => self.current.sync_frame(&self.score, &sync, frame),
        };
        let entry = self.entry_position(to, &enter, s);
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
            requested: frame,
            force,
            force_enter,
            sync: s,
            between,
        });
        self.incoming = Some(Incoming {
            to,
            from,
            rule,
            at,
            entry,
            started: false,
            committed: false,
        });
    }

    /// Where an entry other than bar 1 enters cue `to` when the outgoing cue leaves at `s`.
    fn entry_position(&self, to: usize, enter: &Enter, s: i64) -> Option<Position> {
        let target = &self.score.cues[to];
        let bpb = self.score.cue_tempo(target).meter.0;
        match enter {
            Enter::Start => None,
            Enter::SamePosition => {
                let map = &self.current.map;
                let pos = map.position_of_tick(map.tick_at_frame(s));
                let bar = (self.current.body_bar(pos.bar) - 1) % target.bars.max(1) + 1;
                let at_bar = Position {
                    bar,
                    beat: pos.beat.min(bpb),
                    tick: pos.tick,
                };
                Some(at_bar)
            }
            Enter::Marker(name) => {
                target
                    .markers
                    .iter()
                    .find(|m| &m.name == name)
                    .map(|m| Position {
                        bar: m.bar,
                        beat: m.beat,
                        tick: 0,
                    })
            }
        }
    }

    /// The grid of a generated bridge: a ramp from the outgoing tempo to the target's.
    pub(super) fn bridge_map(&self, to: usize, start: i64, bars: u32) -> TempoMap {
        let map = &self.current.map;
        let tick = map.tick_at_frame(start);
        let bpb = map.beats_per_bar_at_tick(tick);
        let from_bpm = map.bpm_at_tick(tick);
        let to_bpm = self.score.cue_tempo(&self.score.cues[to]).bpm;
        timing::bridge_map(self.sample_rate, start, from_bpm, to_bpm, bars, bpb)
    }

    pub(super) fn cancel_pending(&mut self, frame: i64) {
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

    /// The sync point: the outgoing cue fades (or rings out), a bridge or segment may start.
    pub(super) fn leave_current(&mut self, frame: i64, out: &mut Out<'_>) {
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
        self.ring_out(from, frame, fo, shape, out);
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
                let id = self.new_instance();
                self.current = Instance {
                    kind: InstanceKind::Segment {
                        segment: seg,
                        from,
                        to: p.to,
                    },
                    id,
                    retimed: (bpm - self.score.tempo.bpm).abs() > 1e-9,
                    pass_end: map.frame_at_bar(bars + 1),
                    map,
                    bar_offset: offset,
                    bars,
                    looping: false,
                    pass: 0,
                };
                let score = self.score.clone();
                let segment = &score.segments[seg];
                for (li, layer) in segment.layers.iter().enumerate() {
                    let source = SourceRef::SegmentLayer {
                        segment: seg as u16,
                        layer: li as u16,
                    };
                    let owner = Owner::Music {
                        layer_of: LayerOf::Segment(seg, li),
                    };
                    // Generated material always fits the tempo it is entered at; recorded
                    // material when the segment asks for it.
                    let fits = segment.stretch || matches!(layer.source, Source::Generated(_));
                    let clock = fits.then_some(Clock {
                        instance: id,
                        bar1_tick: 0,
                        made_on: MadeOn::Score,
                    });
                    let fade = Fade::hold(1.0);
                    self.start_voice(source, owner, layer, frame, 0, fade, true, clock, out);
                }
            }
            Between::Bridge(id, bars, _) => {
                let map = self.bridge_map(p.to, frame, bars);
                let instance = self.new_instance();
                self.current = Instance {
                    kind: InstanceKind::Bridge { id, from, to: p.to },
                    id: instance,
                    retimed: false,
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
                    attack_until: frame,
                    last_gain: 0.0,
                    last_cutoff: None,
                    current: true,
                    clock: None,
                    rate: 1.0,
                    warped: false,
                    seq: None,
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

    /// The outgoing cue's voices leave at `frame`: they fade over `fo` frames (or are cut with
    /// a declick), and its **tail rings out under every exit**, fading with the fade-out:
    ///
    /// * leaving on the end of a pass, the ending voices play on into their own tail (fading
    ///   with the fade-out, if any);
    /// * leaving on a loop seam after the next pass has started its pickup, the ending pass
    ///   already rings its tail; it, like any earlier pass still ringing, fades with the
    ///   fade-out;
    /// * leaving anywhere else, each layer starts a tail voice from the tail of its stem
    ///   (`pickup + body` frames in) at `frame`, under the same fade as the body.
    ///
    /// A tail voice stops where its material ends or where the fade-out reaches silence. Live
    /// parts ring through their notes' release, and a time-stretched voice (after a tempo cue)
    /// fades or is cut as before: it has no tail voice of its own.
    fn ring_out(&mut self, from: usize, frame: i64, fo: i64, shape: CurveShape, out: &mut Out<'_>) {
        let is_cue = matches!(self.current.kind, InstanceKind::Cue(c) if c == from);
        let cue = &self.score.cues[from];
        let tail = if is_cue && cue.tail_beats > 0 {
            timing::tail_frames(&self.score, cue, self.sample_rate)
        } else {
            0
        };
        let map = &self.current.map;
        let at_pass_end = is_cue && frame == self.current.pass_end;
        let pass_start = map.frame_at_bar(self.current.pass * self.current.bars.max(1) + 1);
        let at_seam = is_cue && self.current.pass > 0 && frame == pass_start;
        let instance = self.current.id;
        let fade_from = |v: &Voice| Fade {
            start: frame,
            len: fo,
            from: v.fade.at(frame),
            to: 0.0,
            shape,
        };
        // (layer, level) of the voices that need a tail voice.
        let mut tails: Vec<(usize, Fade, SourceRef)> = Vec::new();
        for v in self.voices.iter_mut() {
            let own = v.clock.is_some_and(|c| c.instance == instance);
            if !v.current {
                // An ended pass still ringing its tail: the fade-out applies to it too.
                if own && tail > 0 && fo > 0 && v.stop_at.is_some_and(|s| s.0 > frame) {
                    v.fade = fade_from(v);
                    let end = v.stop_at.map_or(frame + fo, |s| s.0).min(frame + fo);
                    v.stop_at = Some((end, 0));
                }
                continue;
            }
            v.current = false;
            let layer = match v.owner {
                Owner::Music {
                    layer_of: LayerOf::Cue(c, li),
                } if c == from && own && v.seq.is_none() && !v.warped => Some(li),
                _ => None,
            };
            if at_pass_end && tail > 0 && fo == 0 {
                // Its own stem goes on into the tail (a live part's notes ring as long), as
                // at a loop seam; with a fade-out it fades there as below.
                v.stop_at = Some((frame + tail, DECLICK_FRAMES));
                continue;
            }
            if tail > 0
                && !at_seam
                && !at_pass_end
                && let Some(li) = layer
            {
                let fade = if fo > 0 {
                    fade_from(v)
                } else {
                    Fade::hold(v.fade.at(frame))
                };
                // The tail of the body this pass plays (its alternate, if any).
                tails.push((li, fade, v.source));
            }
            if fo > 0 {
                v.fade = fade_from(v);
                v.stop_at = Some((frame + fo, 0));
            } else {
                v.stop_at = Some((frame, DECLICK_FRAMES));
            }
        }
        if tails.is_empty() {
            return;
        }
        let offset = (self.pickup_of(from) + self.cue_maps[from].frame_at_bar(cue.bars + 1)) as u64;
        let end = frame + if fo > 0 { fo.min(tail) } else { tail };
        let score = self.score.clone();
        for (li, fade, source) in tails {
            let owner = Owner::Music {
                layer_of: LayerOf::Cue(from, li),
            };
            let layer = &score.cues[from].layers[li];
            self.start_voice(source, owner, layer, frame, offset, fade, false, None, out);
            let Some(v) = self.voices.last_mut() else {
                continue;
            };
            v.stop_at = Some((end, 0));
            // The tail starts mid-waveform: it fades in over a declick from silence.
            v.attack_until = frame + DECLICK_FRAMES as i64;
            let (id, level) = (v.id, v.last_gain);
            if let Some(Action {
                kind: ActionKind::Start { voice, gain, .. },
                ..
            }) = out.actions.last_mut()
                && *voice == id
            {
                *gain = 0.0;
            }
            out.actions.push(Action {
                frame: frame as u64,
                kind: ActionKind::Gain {
                    voice: id,
                    target: level,
                    frames: DECLICK_FRAMES,
                },
            });
        }
    }

    /// Global bars before a new instance starting at `frame` (a partial bar counts as one).
    pub(super) fn bar_offset_at(&self, frame: i64) -> u32 {
        let map = &self.current.map;
        let tick = map.tick_at_frame(frame);
        let pos = map.position_of_tick(tick);
        let on_bar = pos.beat == 1 && pos.tick == 0 && map.frame_at_tick(tick) == frame;
        self.current.bar_offset + if on_bar { pos.bar - 1 } else { pos.bar }
    }

    /// The target cue's bar 1.
    pub(super) fn arrive(&mut self, frame: i64, out: &mut Out<'_>) {
        let Some(inc) = self.incoming.take() else {
            return;
        };
        if !inc.committed {
            // The sync point and bar 1 coincide: leave first.
            self.incoming = Some(inc.clone());
            self.leave_current(frame, out);
            self.incoming = None;
        }
        let (start, offset) = match inc.entry {
            None => (frame, self.bar_offset_at(frame)),
            // Entered at a position: bar 1 lies before, and the bar count carries on.
            Some(pos) => (
                frame - self.cue_maps[inc.to].frame_at(pos),
                self.current
                    .global_position(frame)
                    .bar
                    .saturating_sub(pos.bar),
            ),
        };
        let id = self.new_instance();
        self.stopped = None;
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
            if let Some(c) = v.clock.as_mut().filter(|c| c.instance == u32::MAX) {
                c.instance = id;
            }
        }
        self.current = Instance::new_cue(&self.score, inc.to, self.sample_rate, start, offset, id);
        self.refresh_seq_maps();
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
        self.apply_queued_tempo(frame, out);
    }

    /// A fresh instance id.
    fn new_instance(&mut self) -> u32 {
        let id = self.next_instance;
        self.next_instance = self.next_instance.wrapping_add(1) % u32::MAX;
        id
    }

    /// A loop seam: the next pass starts (with its pickup), the ending pass stops or rings out.
    pub(super) fn next_pass(&mut self, frame: i64, out: &mut Out<'_>) {
        let InstanceKind::Cue(cue) = self.current.kind else {
            return;
        };
        let seam = self.current.pass_end;
        let c = &self.score.cues[cue];
        let tail = self.length_frames(Length::Beats(c.tail_beats as f64), &self.current.map, seam);
        // A stretched voice plays the loop on by itself (the engine overlaps its passes the
        // way separate voices would): it keeps playing, and its layer gets no new voice.
        let id = self.current.id;
        let goes_on = |v: &Voice| {
            v.warped
                && v.clock
                    .is_some_and(|c| c.instance == id && c.made_on == MadeOn::Cue(cue))
        };
        let mut kept = vec![false; c.layers.len()];
        for v in self
            .voices
            .iter()
            .filter(|v| v.current && v.stop_at.is_none())
        {
            if let (
                true,
                Owner::Music {
                    layer_of: LayerOf::Cue(_, li),
                },
            ) = (goes_on(v), v.owner)
            {
                kept[li] = true;
            }
        }
        let ending: Vec<usize> = (0..self.voices.len())
            .filter(|&i| {
                let v = &self.voices[i];
                v.current && v.stop_at.is_none() && !goes_on(v)
            })
            .collect();
        let fades: Vec<Fade> = ending.iter().map(|&i| self.voices[i].fade).collect();
        for &i in &ending {
            self.voices[i].current = false;
            self.voices[i].stop_at = Some((seam + tail, 0));
        }
        let fade = fades.first().copied().unwrap_or(Fade::hold(1.0));
        let map = &self.current.map;
        let bar1_tick = map.tick_at_frame(seam);
        let clock = Clock {
            instance: id,
            bar1_tick,
            made_on: MadeOn::Cue(cue),
        };
        let offset = if self.current.retimed {
            self.source_at(&clock, map, frame).round().max(0.0) as u64
        } else {
            (frame - (seam - self.pickup_of(cue))).max(0) as u64
        };
        self.start_cue_voices(cue, frame, offset, fade, true, Some(clock), &kept, out);
        self.current.pass += 1;
        self.current.pass_end = self
            .current
            .map
            .frame_at_bar((self.current.pass + 1) * self.current.bars + 1);
    }
}
