//! Voices: starting a cue's layers (with their pickups), gains from parameter curves and fades.

use super::super::state::{Clock, Fade, LayerOf, MadeOn, Owner, Voice};
use super::super::{Action, ActionKind, CONTROL_BLOCK, Conductor, SourceRef};
use super::{Out, db};
use crate::score::Layer;
use crate::timing;

impl Conductor {
    pub(super) fn pickup_of(&self, cue: usize) -> i64 {
        timing::pickup_frames(&self.score, &self.score.cues[cue], self.sample_rate)
    }

    /// Frames before its bar 1 (or entry) at which an incoming cue's voices start: its pickup,
    /// none when it is entered at a position.
    pub(super) fn lead_of(&self, to: usize, entry: Option<crate::time::Position>) -> i64 {
        if entry.is_some() {
            0
        } else {
            self.pickup_of(to)
        }
    }

    pub(super) fn alloc_voice(&mut self) -> u32 {
        let id = self.next_voice;
        self.next_voice = self.next_voice.wrapping_add(1);
        id
    }

    /// Starts the voices of a cue's pass at `frame`, `offset` frames into the stems, on
    /// `clock` (its bar 1 on the instance grid; `None`: the cue being brought in), but not those
    /// of the layers marked in `skip` (a layer whose stretched voice plays the loop on).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_cue_voices(
        &mut self,
        cue: usize,
        frame: i64,
        offset: u64,
        fade: Fade,
        current: bool,
        clock: Option<Clock>,
        skip: &[bool],
        out: &mut Out<'_>,
    ) {
        let clock = clock.unwrap_or(Clock {
            instance: u32::MAX,
            bar1_tick: 0,
            made_on: MadeOn::Cue(cue),
        });
        let score = self.score.clone();
        // Every call starts a pass of the cue: it plays the body its variation picks.
        let body = self.next_body(cue);
        for (li, layer) in score.cues[cue].layers.iter().enumerate() {
            if skip.get(li).copied().unwrap_or(false) {
                continue;
            }
            let source = super::variation::body_source(&score, cue, li, body);
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
                Some(clock),
                out,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_voice(
        &mut self,
        source: SourceRef,
        owner: Owner,
        layer: &Layer,
        frame: i64,
        offset: u64,
        fade: Fade,
        current: bool,
        clock: Option<Clock>,
        out: &mut Out<'_>,
    ) {
        let seq = match (owner, clock) {
            (
                Owner::Music {
                    layer_of: LayerOf::Cue(c, l),
                },
                Some(clock),
            ) => self.new_seq(c, l, frame, offset, clock),
            _ => None,
        };
        let id = self.alloc_voice();
        let mut v = Voice {
            id,
            source,
            owner,
            fade,
            stop_at: None,
            started: frame,
            attack_until: frame,
            last_gain: 0.0,
            last_cutoff: None,
            current,
            clock,
            rate: 1.0,
            warped: false,
            seq,
        };
        v.last_gain = self.voice_gain(&v, frame);
        v.last_cutoff = layer
            .cutoff_curve
            .as_ref()
            .map(|c| c.eval(self.param_value(&c.parameter)));
        if v.seq.is_some() {
            // A live part: its notes start as they are due (see `live.rs`).
            self.voices.push(v);
            return;
        }
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

    pub(super) fn param_value(&self, name: &str) -> f32 {
        self.score
            .parameter_index(name)
            .map_or(0.0, |i| self.params[i].heard)
    }

    pub(super) fn layer(&self, of: LayerOf) -> &Layer {
        match of {
            LayerOf::Cue(c, l) => &self.score.cues[c].layers[l],
            LayerOf::Segment(s, l) => &self.score.segments[s].layers[l],
        }
    }

    pub(super) fn voice_gain(&self, v: &Voice, frame: i64) -> f32 {
        let (base, cue) = match v.owner {
            Owner::Music { layer_of } => {
                let layer = self.layer(layer_of);
                let curve = layer
                    .gain_curve
                    .as_ref()
                    .map_or(1.0, |c| c.eval(self.param_value(&c.parameter)));
                let cue = match layer_of {
                    LayerOf::Cue(c, _) => Some(c),
                    LayerOf::Segment(..) => None,
                };
                (db(layer.gain_db) * curve, cue)
            }
            Owner::Bridge => (1.0, None),
        };
        base * self.dynamics_gain(cue) * v.fade.at(frame) * self.duck
    }

    /// The level the dynamics give the music of `cue` (its own, else the score's; segments
    /// and bridges the score's): `range_db` below at the parameter's minimum, 0 dB at its
    /// maximum.
    fn dynamics_gain(&self, cue: Option<usize>) -> f32 {
        let d = cue
            .and_then(|c| self.score.cues[c].dynamics.as_ref())
            .or(self.score.dynamics.as_ref());
        let Some(d) = d else { return 1.0 };
        let Some(p) = self.score.parameter_index(&d.parameter) else {
            return 1.0;
        };
        let spec = &self.score.parameters[p];
        let span = (spec.max - spec.min).max(f32::EPSILON);
        let x = ((self.params[p].heard - spec.min) / span).clamp(0.0, 1.0);
        db(d.range_db * (x - 1.0))
    }

    pub(super) fn update_gains(&mut self, b0: i64, b1: i64, out: &mut Out<'_>) {
        let dialogue = db(self.score.ducking.dialogue_db * self.dialogue);
        // With a sidechain in the mix the stingers' own signal ducks the music instead.
        let stinger = if (b1 as u64) < self.stinger_until && !self.mix.sidechained {
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
            let at = b0.max(v.started).max(v.attack_until);
            if let Some(seq) = v.seq.as_mut() {
                seq.sounding.retain(|n| n.2 > b0);
            }
            if (g - v.last_gain).abs() > 1e-6 && at < b1 {
                ramp(v, at, b1, out, |voice, frames| ActionKind::Gain {
                    voice,
                    target: g,
                    frames,
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
                    ramp(v, at, b1, out, |voice, frames| ActionKind::Cutoff {
                        voice,
                        hz,
                        frames,
                    });
                }
            }
        }
    }
}

/// A ramp from `at` to `b1` of a voice's gain or cutoff, sent to the engine voices it goes to:
/// the voice itself, or a live part's sounding notes (each from when it started).
fn ramp(v: &Voice, at: i64, b1: i64, out: &mut Out<'_>, kind: impl Fn(u32, u32) -> ActionKind) {
    let mut send = |voice: u32, started: i64| {
        let from = started.max(at);
        if from < b1 {
            out.actions.push(Action {
                frame: from as u64,
                kind: kind(voice, (b1 - from) as u32),
            });
        }
    };
    match &v.seq {
        Some(seq) => seq.sounding.iter().for_each(|n| send(n.0, n.1)),
        None => send(v.id, v.started),
    }
}
