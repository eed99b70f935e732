//! The realtime mixer: voices started, ramped and stopped on exact frames.
//!
//! Everything here runs on the audio thread: no allocation, deallocation, lock or I/O after
//! [`Mixer::new`]. Bridge audio arrives as `Arc<Stem>` messages and is handed back through the
//! retire queue, so the last reference is never dropped here.

use std::sync::Arc;

use leitmotif_core::conductor::{Action, ActionKind, SourceRef, VoiceId};

use crate::bank::{SourceBank, Stem};

/// Voices the mixer can play at once.
pub const MAX_VOICES: usize = 256;
/// Generated bridges that can be held at once.
pub const MAX_BRIDGES: usize = 8;
/// Output ceiling of the bus limiter (−0.3 dBFS).
pub const CEILING: f32 = 0.966;

/// A message from the control side.
#[derive(Debug)]
pub enum Msg {
    /// A plan step.
    Action(Action),
    /// The audio of a generated bridge.
    Bridge(u32, Arc<Stem>),
}

/// What the mixer could not do, counted since it was made (published through
/// [`Shared`](crate::Shared); never a silent drop).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overloads {
    /// Starts refused because every voice of the pool was playing.
    pub voice_pool_full: u64,
    /// Actions refused because the mixer's action queue was full.
    pub queue_full: u64,
    /// Starts that arrived so late (or with an offset so large) that their source had already
    /// ended: nothing to play.
    pub started_past_end: u64,
    /// Starts naming audio the mixer does not have (an unknown source or a bridge not sent).
    pub missing_source: u64,
    /// Actions applied after their frame (the plan ran behind the audio).
    pub late_actions: u64,
}

#[derive(Debug, Clone)]
struct Voice {
    id: VoiceId,
    stem: Option<Arc<Stem>>,
    pos: usize,
    gain: f32,
    target: f32,
    step: f32,
    ramp: u32,
    /// Stop when the release ramp ends.
    stopping: bool,
    pan: (f32, f32),
    cutoff: Option<f32>,
    cutoff_target: f32,
    cutoff_step: f32,
    cutoff_ramp: u32,
    lp: [[f32; 2]; 2],
    tap: u16,
}

/// The mixer. See the [module docs](self).
pub struct Mixer {
    bank: Arc<SourceBank>,
    sample_rate: u32,
    frame: u64,
    voices: Vec<Voice>,
    active: usize,
    bridges: Vec<(u32, Option<Arc<Stem>>)>,
    queue: Vec<Action>,
    retired: Vec<Arc<Stem>>,
    overloads: Overloads,
    limiter_gain: f32,
    release_coeff: f32,
}

fn pan_gains(pan: f32) -> (f32, f32) {
    let a = (pan.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    (
        a.cos() * std::f32::consts::SQRT_2,
        a.sin() * std::f32::consts::SQRT_2,
    )
}

impl Mixer {
    /// A mixer over `bank`; all memory it will use is allocated here.
    pub fn new(bank: Arc<SourceBank>) -> Self {
        let sample_rate = bank.sample_rate;
        let idle = Voice {
            id: 0,
            stem: None,
            pos: 0,
            gain: 0.0,
            target: 0.0,
            step: 0.0,
            ramp: 0,
            stopping: false,
            pan: (1.0, 1.0),
            cutoff: None,
            cutoff_target: 0.0,
            cutoff_step: 0.0,
            cutoff_ramp: 0,
            lp: [[0.0; 2]; 2],
            tap: 0,
        };
        Mixer {
            bank,
            sample_rate,
            frame: 0,
            voices: vec![idle; MAX_VOICES],
            active: 0,
            bridges: vec![(u32::MAX, None); MAX_BRIDGES],
            queue: Vec::with_capacity(4096),
            retired: Vec::with_capacity(MAX_BRIDGES * 2),
            overloads: Overloads::default(),
            limiter_gain: 1.0,
            release_coeff: 1.0 - (-1.0 / (0.25 * sample_rate as f32)).exp(),
        }
    }

    /// The next frame to be rendered.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Number of voices playing.
    pub fn active_voices(&self) -> usize {
        self.active
    }

    /// What the mixer could not do so far.
    pub fn overloads(&self) -> Overloads {
        self.overloads
    }

    /// Called on the audio thread: takes a message from the control side. Actions are kept
    /// in frame order (an insertion within the preallocated queue; a full queue is counted).
    pub fn receive(&mut self, msg: Msg) {
        match msg {
            Msg::Action(a) => {
                if self.queue.len() < self.queue.capacity() {
                    let at = self.queue.partition_point(|q| q.frame <= a.frame);
                    self.queue.insert(at, a);
                } else {
                    self.overloads.queue_full += 1;
                }
            }
            Msg::Bridge(id, stem) => {
                let slot = self
                    .bridges
                    .iter()
                    .position(|b| b.1.is_none())
                    .unwrap_or(id as usize % MAX_BRIDGES);
                if let Some(old) = self.bridges[slot].1.take() {
                    self.retire(old);
                }
                self.bridges[slot] = (id, Some(stem));
            }
        }
    }

    /// Called on the control side: stems the audio thread is done with, to drop there.
    pub fn take_retired(&mut self) -> impl Iterator<Item = Arc<Stem>> + '_ {
        self.retired.drain(..)
    }

    fn retire(&mut self, stem: Arc<Stem>) {
        if self.retired.len() < self.retired.capacity() {
            self.retired.push(stem);
        } else {
            // Never expected: the control side drains this every block. Keep it alive rather
            // than free on the audio thread.
            std::mem::forget(stem);
        }
    }

    fn apply(&mut self, a: Action) {
        let late = self.frame.saturating_sub(a.frame) as usize;
        if late > 0 {
            self.overloads.late_actions += 1;
        }
        match a.kind {
            ActionKind::Start {
                voice,
                source,
                offset,
                gain,
                cutoff,
                pan,
            } => {
                let stem = match source {
                    SourceRef::Bridge(id) => self
                        .bridges
                        .iter()
                        .find(|b| b.0 == id)
                        .and_then(|b| b.1.clone()),
                    other => self.bank.get(other).cloned(),
                };
                let Some(stem) = stem else {
                    self.overloads.missing_source += 1;
                    return;
                };
                if self.active >= MAX_VOICES {
                    self.overloads.voice_pool_full += 1;
                    return;
                }
                let pos = (offset as usize).saturating_add(late);
                if pos >= stem.frames.len() {
                    self.overloads.started_past_end += 1;
                    return;
                }
                let tap = self.bank.tap_of(source);
                let v = &mut self.voices[self.active];
                v.id = voice;
                v.stem = Some(stem);
                v.pos = pos;
                v.gain = gain;
                v.target = gain;
                v.ramp = 0;
                v.stopping = false;
                v.pan = pan_gains(pan);
                v.cutoff = cutoff;
                v.cutoff_ramp = 0;
                v.lp = [[0.0; 2]; 2];
                v.tap = tap;
                self.active += 1;
            }
            ActionKind::Gain {
                voice,
                target,
                frames,
            } => {
                if let Some(v) = self.find(voice)
                    && !v.stopping
                {
                    v.target = target;
                    v.ramp = frames.max(1);
                    v.step = (target - v.gain) / v.ramp as f32;
                }
            }
            ActionKind::Cutoff { voice, hz, frames } => {
                if let Some(v) = self.find(voice) {
                    let from = v.cutoff.unwrap_or(hz);
                    v.cutoff = Some(from);
                    v.cutoff_target = hz;
                    v.cutoff_ramp = frames.max(1);
                    v.cutoff_step = (hz - from) / v.cutoff_ramp as f32;
                }
            }
            ActionKind::Stop { voice, release } => {
                if let Some(i) = self.voices[..self.active]
                    .iter()
                    .position(|v| v.id == voice)
                {
                    if release == 0 {
                        self.remove(i);
                    } else {
                        let v = &mut self.voices[i];
                        v.stopping = true;
                        v.target = 0.0;
                        v.ramp = release;
                        v.step = -v.gain / release as f32;
                    }
                }
            }
        }
    }

    fn find(&mut self, id: VoiceId) -> Option<&mut Voice> {
        self.voices[..self.active].iter_mut().find(|v| v.id == id)
    }

    fn remove(&mut self, i: usize) {
        let last = self.active - 1;
        self.voices.swap(i, last);
        if let Some(stem) = self.voices[last].stem.take() {
            // Bank stems are also held by the bank, so this is never the last reference;
            // bridge stems may be, so they go back to the control side.
            if Arc::strong_count(&stem) == 1 {
                self.retire(stem);
            }
        }
        self.active = last;
    }

    /// Called on the audio thread: renders the next `out.len()` frames, applying every queued
    /// action on its exact frame. When `taps` is given, each voice is also summed into
    /// `taps[tap][tap_offset..]` (pre-limiter), for stem outputs.
    pub fn process(
        &mut self,
        out: &mut [[f32; 2]],
        mut taps: Option<&mut [Vec<[f32; 2]>]>,
        tap_offset: usize,
    ) {
        out.fill([0.0; 2]);
        let end = self.frame + out.len() as u64;
        let mut at = 0usize;
        loop {
            // Apply everything due by the current frame, in order.
            let mut n = 0;
            while n < self.queue.len() && self.queue[n].frame <= self.frame {
                n += 1;
            }
            for k in 0..n {
                let a = self.queue[k];
                self.apply(a);
            }
            self.queue.drain(..n);
            let next = self.queue.first().map_or(end, |a| a.frame.min(end));
            let len = (next - self.frame) as usize;
            if len > 0 {
                self.render_span(&mut out[at..at + len], taps.as_deref_mut(), tap_offset + at);
                at += len;
                self.frame = next;
            }
            if self.frame >= end {
                break;
            }
        }
        self.limit(out);
    }

    fn render_span(
        &mut self,
        out: &mut [[f32; 2]],
        mut taps: Option<&mut [Vec<[f32; 2]>]>,
        at: usize,
    ) {
        let sr = self.sample_rate as f32;
        let mut i = 0;
        while i < self.active {
            let v = &mut self.voices[i];
            let Some(stem) = v.stem.as_ref() else {
                i += 1;
                continue;
            };
            // Every index below is within `src` and `out`: a voice past its source's end
            // plays nothing and is removed.
            let src = stem.frames.get(v.pos..).unwrap_or(&[]);
            let n = out.len().min(src.len());
            let src = &src[..n];
            let tap = taps.as_deref_mut().and_then(|t| t.get_mut(v.tap as usize));
            let mut tap = tap.and_then(|t| t.get_mut(at..at + n));
            if v.cutoff.is_none() && v.ramp == 0 {
                // The common case: constant gain, no filter.
                let (gl, gr) = (v.gain * v.pan.0, v.gain * v.pan.1);
                for (k, (o, s)) in out.iter_mut().zip(src).enumerate() {
                    let (l, r) = (s[0] * gl, s[1] * gr);
                    o[0] += l;
                    o[1] += r;
                    if let Some(t) = tap.as_deref_mut().and_then(|t| t.get_mut(k)) {
                        t[0] += l;
                        t[1] += r;
                    }
                }
            } else {
                for (k, (o, &x)) in out.iter_mut().zip(src).enumerate() {
                    if v.ramp > 0 {
                        v.gain += v.step;
                        v.ramp -= 1;
                        if v.ramp == 0 {
                            v.gain = v.target;
                        }
                    }
                    let mut s = x;
                    if let Some(c) = v.cutoff.as_mut() {
                        if v.cutoff_ramp > 0 {
                            *c += v.cutoff_step;
                            v.cutoff_ramp -= 1;
                        }
                        // Two cascaded one-pole low-passes (12 dB/oct), coefficient per frame.
                        let g =
                            1.0 - (-std::f32::consts::TAU * c.clamp(20.0, sr * 0.45) / sr).exp();
                        let [a, b] = &mut v.lp;
                        for ((x, a), b) in s.iter().zip(a.iter_mut()).zip(b.iter_mut()) {
                            *a += g * (x - *a);
                            *b += g * (*a - *b);
                        }
                        s = v.lp[1];
                    }
                    // The same arithmetic as the constant-gain path (s·(g·pan)), so where a ramp
                    // ends relative to a block boundary never changes a bit of the output.
                    let (l, r) = (s[0] * (v.gain * v.pan.0), s[1] * (v.gain * v.pan.1));
                    o[0] += l;
                    o[1] += r;
                    if let Some(t) = tap.as_deref_mut().and_then(|t| t.get_mut(k)) {
                        t[0] += l;
                        t[1] += r;
                    }
                    if v.stopping && v.ramp == 0 {
                        break;
                    }
                }
            }
            v.pos += n;
            let done = v.pos >= stem.frames.len() || (v.stopping && v.ramp == 0);
            if done {
                self.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// Peak limiter on the music bus: instant attack (no overshoot), 250 ms release.
    fn limit(&mut self, out: &mut [[f32; 2]]) {
        for o in out.iter_mut() {
            let peak = o[0].abs().max(o[1].abs());
            let mut g = self.limiter_gain + (1.0 - self.limiter_gain) * self.release_coeff;
            if peak * g > CEILING {
                g = CEILING / peak;
            }
            self.limiter_gain = g;
            o[0] = if o[0].is_finite() { o[0] * g } else { 0.0 };
            o[1] = if o[1].is_finite() { o[1] * g } else { 0.0 };
        }
    }
}
