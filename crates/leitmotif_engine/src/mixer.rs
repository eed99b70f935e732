//! The realtime mixer: voices started, ramped and stopped on exact frames.
//!
//! Everything here runs on the audio thread: no allocation, deallocation, lock or I/O after
//! [`Mixer::new`]. Bridge audio and stream rings arrive as messages and are handed back
//! through the retire queue, so the last reference is never dropped here. A streamed voice
//! reads its preload, then its ring; frames the ring does not have yet are played as silence
//! and counted ([`Overloads::underruns`]), and the voice stays on the grid.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use leitmotif_core::conductor::{Action, ActionKind, SourceRef, VoiceId};

use crate::bank::{Clip, SourceBank, Stem};
use crate::stream::{StreamClip, StreamReader};

mod bus;
mod voice;

use bus::Buses;
pub use bus::{BUS_BLOCK, Meter};
pub(crate) use voice::{Audio, copy_source};
use voice::{Voice, mix, read_stream, skip_to};

/// Voices the mixer can play at once unless told otherwise ([`Mixer::with_voices`],
/// `RenderOptions::voices`, the plugin's `voices`).
pub const MAX_VOICES: usize = 256;
/// The most voices a mixer may be given.
pub const VOICES_LIMIT: usize = 4096;
/// Actions the mixer holds before their frame; more in one go are dropped and counted
/// ([`Overloads::queue_full`]).
pub const QUEUE_CAPACITY: usize = 4096;
/// Generated bridges that can be held at once.
pub const MAX_BRIDGES: usize = 8;
/// Stretched sounds (voices following a changed tempo) that can wait for their voice's first
/// warp at once.
pub const MAX_STRETCHERS: usize = 64;
/// Output ceiling of the bus limiter (−0.3 dBFS).
pub const CEILING: f32 = 0.966;

/// A message from the control side.
#[derive(Debug)]
pub enum Msg {
    /// A plan step.
    Action(Action),
    /// The audio of a generated bridge.
    Bridge(u32, Arc<Stem>),
    /// The ring of a streamed voice, sent before the action that starts it.
    Stream(StreamReader),
    /// The ring of a voice's time-stretched sound (written by a stretch worker, by output
    /// frame), sent before its first `Warp`.
    Stretch(StreamReader),
    /// A voice's own audio, played instead of the bank's (a generated stinger rendered for the
    /// chord and tempo it lands in), sent before its `Start`.
    Voice(VoiceId, Arc<Stem>),
}

/// What the audio thread is done with, handed back to the control side to drop there.
#[derive(Debug)]
pub enum Retired {
    /// A bridge's audio (or a memory stem whose bank was replaced).
    Stem(Arc<Stem>),
    /// A streamed clip whose bank was replaced.
    Clip(Arc<StreamClip>),
    /// A stream's (or a stretched sound's) ring: its worker stops once this is dropped.
    Reader(StreamReader),
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
    /// Starts naming audio the mixer does not have (an unknown source or a bridge not sent),
    /// and warps of a voice whose stretched sound was not sent (it keeps its own speed).
    pub missing_source: u64,
    /// Actions applied after their frame (the plan ran behind the audio).
    pub late_actions: u64,
    /// Times a streamed voice's ring ran dry while its stream was still reading (the disk
    /// fell behind), or a stretched voice's while its worker was behind: silence was played
    /// for the missing frames.
    pub underruns: u64,
    /// Frames of silence played in place of streamed audio that was not there in time.
    pub underrun_frames: u64,
    /// Streamed voices whose file could not be read to the end (unreadable, truncated).
    pub stream_errors: u64,
}

/// The mixer. See the [module docs](self).
pub struct Mixer {
    bank: Arc<SourceBank>,
    sample_rate: u32,
    frame: u64,
    voices: Vec<Voice>,
    active: usize,
    bridges: Vec<(u32, Option<Arc<Stem>>)>,
    /// Rings sent ahead of the starts that use them.
    streams: Vec<Option<StreamReader>>,
    /// Stretched sounds sent ahead of the warps that use them.
    stretchers: Vec<Option<StreamReader>>,
    /// Voices' own audio, sent ahead of their starts.
    voice_audio: Vec<Option<(VoiceId, Arc<Stem>)>>,
    queue: Vec<Action>,
    retired: Vec<Retired>,
    overloads: Overloads,
    limiter_gain: f32,
    release_coeff: f32,
    wait_for_streams: bool,
    /// The score's buses (`None`: a plain master, voices sum straight into the output).
    buses: Option<Buses>,
}

fn pan_gains(pan: f32) -> (f32, f32) {
    let a = (pan.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    (
        a.cos() * std::f32::consts::SQRT_2,
        a.sin() * std::f32::consts::SQRT_2,
    )
}

impl Mixer {
    /// A mixer over `bank` with a pool of [`MAX_VOICES`] voices; all memory it will use is
    /// allocated here.
    pub fn new(bank: Arc<SourceBank>) -> Self {
        Self::with_voices(bank, MAX_VOICES)
    }

    /// A mixer over `bank` with a pool of `voices` voices (1 to [`VOICES_LIMIT`]; clamped):
    /// a start while all of them play is refused and counted
    /// ([`Overloads::voice_pool_full`]). All memory it will use is allocated here.
    pub fn with_voices(bank: Arc<SourceBank>, voices: usize) -> Self {
        let n = voices.clamp(1, VOICES_LIMIT);
        let sample_rate = bank.sample_rate;
        Mixer {
            sample_rate,
            frame: 0,
            voices: (0..n).map(|_| Voice::idle()).collect(),
            active: 0,
            bridges: vec![(u32::MAX, None); MAX_BRIDGES],
            streams: (0..n).map(|_| None).collect(),
            stretchers: (0..MAX_STRETCHERS).map(|_| None).collect(),
            // Stingers and live notes, sent a plan ahead of their starts.
            voice_audio: (0..n).map(|_| None).collect(),
            queue: Vec::with_capacity(QUEUE_CAPACITY),
            retired: Vec::with_capacity(MAX_BRIDGES + 3 * n + 2 * MAX_STRETCHERS),
            overloads: Overloads::default(),
            limiter_gain: 1.0,
            release_coeff: 1.0 - (-1.0 / (0.25 * sample_rate as f32)).exp(),
            wait_for_streams: false,
            buses: Buses::new(&bank.mix, sample_rate),
            bank,
        }
    }

    /// Offline: wait for the stream worker instead of playing silence when a ring is short,
    /// so a render never depends on disk speed. Never set this on a real-time audio thread.
    pub fn set_wait_for_streams(&mut self, wait: bool) {
        self.wait_for_streams = wait;
    }

    /// The next frame to be rendered.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Number of voices playing.
    pub fn active_voices(&self) -> usize {
        self.active
    }

    /// Size of the voice pool.
    pub fn voice_pool(&self) -> usize {
        self.voices.len()
    }

    /// The output sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Number of buses (the master included; 1 when the score has no mix).
    pub fn bus_count(&self) -> usize {
        self.buses.as_ref().map_or(1, |b| b.len())
    }

    /// Each bus's level since the last call (then reset), in the mixer's numbering (see
    /// [`Mix::bus_index`](leitmotif_core::score::Mix::bus_index)); nothing is written when the
    /// score has no mix (the output's level is the master's then).
    pub fn take_bus_meters(&mut self, into: &mut [Meter]) {
        if let Some(b) = self.buses.as_mut() {
            b.take_meters(into);
        }
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
                    if let ActionKind::Start { voice, .. } = a.kind {
                        self.drop_stream(voice);
                        self.drop_voice_audio(voice);
                    }
                }
            }
            Msg::Bridge(id, stem) => {
                let slot = self
                    .bridges
                    .iter()
                    .position(|b| b.1.is_none())
                    .unwrap_or(id as usize % MAX_BRIDGES);
                if let Some(old) = self.bridges[slot].1.take() {
                    self.retire(Retired::Stem(old));
                }
                self.bridges[slot] = (id, Some(stem));
            }
            Msg::Stream(reader) => match self.streams.iter().position(Option::is_none) {
                Some(slot) => self.streams[slot] = Some(reader),
                None => {
                    self.overloads.voice_pool_full += 1;
                    self.retire(Retired::Reader(reader));
                }
            },
            Msg::Stretch(reader) => match self.stretchers.iter().position(Option::is_none) {
                Some(slot) => self.stretchers[slot] = Some(reader),
                None => self.retire(Retired::Reader(reader)),
            },
            Msg::Voice(voice, stem) => match self.voice_audio.iter().position(Option::is_none) {
                Some(slot) => self.voice_audio[slot] = Some((voice, stem)),
                // The bank's audio plays instead.
                None => self.retire(Retired::Stem(stem)),
            },
        }
    }

    fn take_stretch(&mut self, voice: VoiceId) -> Option<StreamReader> {
        let slot = self
            .stretchers
            .iter()
            .position(|s| s.as_ref().is_some_and(|r| r.voice == voice))?;
        self.stretchers[slot].take()
    }

    /// A warp: the voice follows a changed tempo from this frame (see [`ActionKind::Warp`]).
    /// The first one hands it its stretched sound (sent ahead, by output frame: played from
    /// the first block its ring has ready, skipping what was missed); the later ones were
    /// sent to its stretch worker and only say whether playing on plainly is still exact.
    fn warp(&mut self, voice: VoiceId, rate: f64) {
        let Some(i) = self.voices[..self.active]
            .iter()
            .position(|v| v.id == voice)
        else {
            if let Some(r) = self.take_stretch(voice) {
                self.retire(Retired::Reader(r));
            }
            return;
        };
        let own_speed = (rate - 1.0).abs() < 1e-9;
        if self.voices[i].warp.is_some() {
            self.voices[i].plain_ok &= own_speed;
            return;
        }
        let Some(r) = self.take_stretch(voice) else {
            self.overloads.missing_source += 1;
            return;
        };
        let v = &mut self.voices[i];
        v.warp = Some(r);
        v.stretched = false;
        v.plain_ok = own_speed;
    }

    /// A stretched voice's ring is ready for the span `frame..frame + n` (or the mixer waits
    /// for it): the voice switches to it, and lets go of its own stream.
    fn switch_to_stretched(&mut self, i: usize, n: usize) -> bool {
        let v = &mut self.voices[i];
        if v.stretched {
            return true;
        }
        let Some(r) = v.warp.as_mut() else {
            return false;
        };
        // What it wrote for frames already played plainly is of no use now.
        skip_to(r, self.frame);
        let ready = r.pos <= self.frame && r.pos + r.ring.slots() as u64 >= self.frame + n as u64;
        if !(ready || self.wait_for_streams || r.state.done.load(Ordering::Acquire)) {
            return false;
        }
        v.stretched = true;
        if let Audio::Stream { reader, .. } = &mut v.audio
            && let Some(own) = reader.take()
        {
            self.retire(Retired::Reader(own));
        }
        true
    }

    /// Called on the control side: what the audio thread is done with, to drop there.
    pub fn take_retired(&mut self) -> impl Iterator<Item = Retired> + '_ {
        self.retired.drain(..)
    }

    fn retire(&mut self, r: Retired) {
        if self.retired.len() < self.retired.capacity() {
            self.retired.push(r);
        } else {
            // Never expected: the control side drains this every block. Keep it alive rather
            // than free on the audio thread.
            std::mem::forget(r);
        }
    }

    fn take_stream(&mut self, voice: VoiceId) -> Option<StreamReader> {
        let slot = self
            .streams
            .iter()
            .position(|s| s.as_ref().is_some_and(|r| r.voice == voice))?;
        self.streams[slot].take()
    }

    /// Lets go of the audio sent for a voice whose start will never be applied (its slot is
    /// free again).
    fn drop_voice_audio(&mut self, voice: VoiceId) {
        if let Some(slot) = self
            .voice_audio
            .iter()
            .position(|a| a.as_ref().is_some_and(|(v, _)| *v == voice))
            && let Some((_, stem)) = self.voice_audio[slot].take()
        {
            self.release(Audio::Memory(stem));
        }
    }

    fn drop_stream(&mut self, voice: VoiceId) {
        if let Some(r) = self.take_stream(voice) {
            self.retire(Retired::Reader(r));
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
                let own = self
                    .voice_audio
                    .iter()
                    .position(|a| a.as_ref().is_some_and(|(v, _)| *v == voice))
                    .and_then(|slot| self.voice_audio[slot].take())
                    .map(|(_, stem)| Audio::Memory(stem));
                let audio = match source {
                    _ if own.is_some() => own,
                    SourceRef::Bridge(id) => self
                        .bridges
                        .iter()
                        .find(|b| b.0 == id)
                        .and_then(|b| b.1.clone())
                        .map(Audio::Memory),
                    other => match self.bank.get(other) {
                        Some(Clip::Memory(s)) => Some(Audio::Memory(s.clone())),
                        Some(Clip::Stream(c)) => Some(Audio::Stream {
                            clip: c.clone(),
                            reader: None,
                        }),
                        None => None,
                    },
                };
                let Some(mut audio) = audio else {
                    self.overloads.missing_source += 1;
                    self.drop_stream(voice);
                    return;
                };
                let len = match &audio {
                    Audio::None => 0,
                    Audio::Memory(s) => s.len(),
                    Audio::Stream { clip, .. } => clip.len as usize,
                };
                let pos = (offset as usize).saturating_add(late);
                let refused = if self.active >= self.voices.len() {
                    self.overloads.voice_pool_full += 1;
                    true
                } else if pos >= len {
                    self.overloads.started_past_end += 1;
                    true
                } else {
                    false
                };
                if refused {
                    self.drop_stream(voice);
                    self.release(audio);
                    return;
                }
                if let Audio::Stream { reader, .. } = &mut audio {
                    *reader = self.take_stream(voice);
                }
                let tap = self.bank.tap_of(source);
                let wrap = self.bank.loop_of(source);
                let bus = self
                    .buses
                    .as_ref()
                    .map_or(0, |b| b.valid(self.bank.bus_of(source)) as u16);
                let v = &mut self.voices[self.active];
                v.bus = bus;
                v.wrap = wrap;
                v.id = voice;
                v.audio = audio;
                v.pos = pos;
                v.tap = tap;
                v.ctl.gain = gain;
                v.ctl.target = gain;
                v.ctl.ramp = 0;
                v.ctl.stopping = false;
                v.ctl.pan = pan_gains(pan);
                v.ctl.cutoff = cutoff;
                v.ctl.cutoff_ramp = 0;
                v.ctl.lp = [[0.0; 2]; 2];
                self.active += 1;
            }
            ActionKind::Gain {
                voice,
                target,
                frames,
            } => {
                if let Some(v) = self.find(voice)
                    && !v.ctl.stopping
                {
                    v.ctl.target = target;
                    v.ctl.ramp = frames.max(1);
                    v.ctl.step = (target - v.ctl.gain) / v.ctl.ramp as f32;
                }
            }
            ActionKind::Cutoff { voice, hz, frames } => {
                if let Some(v) = self.find(voice) {
                    let from = v.ctl.cutoff.unwrap_or(hz);
                    v.ctl.cutoff = Some(from);
                    v.ctl.cutoff_target = hz;
                    v.ctl.cutoff_ramp = frames.max(1);
                    v.ctl.cutoff_step = (hz - from) / v.ctl.cutoff_ramp as f32;
                }
            }
            ActionKind::Warp { voice, rate, .. } => self.warp(voice, rate),
            ActionKind::Bus {
                bus,
                param,
                value,
                frames,
            } => {
                if let Some(b) = self.buses.as_mut() {
                    b.set(bus, param, value, frames);
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
                        let c = &mut self.voices[i].ctl;
                        c.stopping = true;
                        c.target = 0.0;
                        c.ramp = release;
                        c.step = -c.gain / release as f32;
                    }
                }
            }
        }
    }

    fn find(&mut self, id: VoiceId) -> Option<&mut Voice> {
        self.voices[..self.active].iter_mut().find(|v| v.id == id)
    }

    /// Lets go of a voice's audio: bank audio is also held by the bank, so this is never the
    /// last reference unless the bank was replaced; bridges and rings go back to the control
    /// side.
    fn release(&mut self, audio: Audio) {
        match audio {
            Audio::None => {}
            Audio::Memory(s) => {
                if Arc::strong_count(&s) == 1 {
                    self.retire(Retired::Stem(s));
                }
            }
            Audio::Stream { clip, reader } => {
                if let Some(r) = reader {
                    if r.state.failed.load(Ordering::Acquire) && !r.reported {
                        self.overloads.stream_errors += 1;
                    }
                    self.retire(Retired::Reader(r));
                }
                if Arc::strong_count(&clip) == 1 {
                    self.retire(Retired::Clip(clip));
                }
            }
        }
    }

    fn remove(&mut self, i: usize) {
        let last = self.active - 1;
        self.voices.swap(i, last);
        let audio = std::mem::replace(&mut self.voices[last].audio, Audio::None);
        self.release(audio);
        if let Some(r) = self.voices[last].warp.take() {
            self.retire(Retired::Reader(r));
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
            let next = if self.buses.is_some() {
                next.min(self.frame + BUS_BLOCK as u64)
            } else {
                next
            };
            let len = (next - self.frame) as usize;
            if len > 0 {
                match self.buses.take() {
                    None => self.render_span(
                        &mut out[at..at + len],
                        None,
                        taps.as_deref_mut(),
                        tap_offset + at,
                    ),
                    Some(mut buses) => {
                        // Voices into their buses, then the buses into the output.
                        buses.clear(len);
                        let mut bufs = std::mem::take(&mut buses.bufs);
                        self.render_span(
                            &mut out[at..at + len],
                            Some(&mut bufs),
                            taps.as_deref_mut(),
                            tap_offset + at,
                        );
                        buses.bufs = bufs;
                        buses.process(&mut out[at..at + len]);
                        self.buses = Some(buses);
                    }
                }
                at += len;
                self.frame = next;
            }
            if self.frame >= end {
                break;
            }
        }
        self.limit(out);
    }

    /// Mixes every voice over the span `out` covers: into `out`, or into the first
    /// `out.len()` frames of its bus's buffer when there are buses.
    fn render_span(
        &mut self,
        out: &mut [[f32; 2]],
        mut bufs: Option<&mut Vec<Vec<[f32; 2]>>>,
        mut taps: Option<&mut [Vec<[f32; 2]>]>,
        at: usize,
    ) {
        let span = out.len();
        let sr = self.sample_rate as f32;
        let wait = self.wait_for_streams;
        let mut i = 0;
        while i < self.active {
            if self.voices[i].warp.is_some() && self.switch_to_stretched(i, span) {
                let v = &mut self.voices[i];
                let Some(r) = v.warp.as_mut() else {
                    i += 1;
                    continue;
                };
                let tap = taps
                    .as_deref_mut()
                    .and_then(|t| t.get_mut(v.tap as usize))
                    .and_then(|t| t.get_mut(at..at + span));
                let dest = match bufs.as_deref_mut() {
                    Some(b) => &mut b[v.bus as usize][..span],
                    None => &mut *out,
                };
                let (done, missing) = mix_stretched(r, &mut v.ctl, self.frame, dest, tap, sr, wait);
                if missing > 0 {
                    self.overloads.underrun_frames += missing as u64;
                    self.overloads.underruns += 1;
                }
                if done {
                    self.remove(i);
                } else {
                    i += 1;
                }
                continue;
            }
            let v = &mut self.voices[i];
            if v.warp.is_some() && !v.plain_ok {
                // Its stretched sound is late: it plays on at its own speed (counted).
                self.overloads.underruns += 1;
                self.overloads.underrun_frames += span as u64;
            }
            let len = v.len();
            let dest = match bufs.as_deref_mut() {
                Some(b) => &mut b[v.bus as usize][..span],
                None => &mut *out,
            };
            // Every index below is within its slice: a voice past its source's end plays
            // nothing and is removed.
            let want = span.min(len.saturating_sub(v.pos));
            let mut tap = taps
                .as_deref_mut()
                .and_then(|t| t.get_mut(v.tap as usize))
                .and_then(|t| t.get_mut(at..at + want));
            let mut k = 0usize;
            let mut stopped = false;
            while k < want && !stopped {
                let dst = &mut dest[k..want];
                let dst_tap = tap.as_deref_mut().map(|t| &mut t[k..]);
                let (used, stop) = match &mut v.audio {
                    Audio::None => (want - k, false),
                    Audio::Memory(s) => {
                        let src = s.frames.get(v.pos..).unwrap_or(&[]);
                        mix(&mut v.ctl, dst, src, dst_tap, sr)
                    }
                    Audio::Stream { clip, reader } => {
                        let pre = clip.preload();
                        if v.pos < pre.len() {
                            mix(&mut v.ctl, dst, &pre[v.pos..], dst_tap, sr)
                        } else {
                            let (used, stop, missing) = read_stream(
                                reader.as_mut(),
                                v.pos,
                                &mut v.ctl,
                                dst,
                                dst_tap,
                                sr,
                                wait,
                            );
                            if missing > 0 {
                                self.overloads.underrun_frames += missing as u64;
                                if let Some(r) = reader.as_mut() {
                                    let failed = r.state.failed.load(Ordering::Acquire);
                                    if failed && !r.reported {
                                        r.reported = true;
                                        self.overloads.stream_errors += 1;
                                    } else if !r.state.done.load(Ordering::Acquire) {
                                        self.overloads.underruns += 1;
                                    }
                                }
                            }
                            (used, stop)
                        }
                    }
                };
                if used == 0 && !stop {
                    break;
                }
                k += used;
                v.pos += used;
                stopped = stop;
            }
            let done = v.pos >= len || stopped;
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

/// Mixes a stretched voice's ring for output frames `frame..frame + out.len()`. Returns
/// whether the voice is over (its release ended, or its material did) and the frames its
/// worker had not written in time (played as silence).
fn mix_stretched(
    r: &mut StreamReader,
    c: &mut voice::Ctl,
    frame: u64,
    out: &mut [[f32; 2]],
    mut tap: Option<&mut [[f32; 2]]>,
    sr: f32,
    wait: bool,
) -> (bool, usize) {
    let mut k = 0;
    let mut missing = 0;
    while k < out.len() {
        let t = tap.as_deref_mut().map(|t| &mut t[k..]);
        let pos = (frame + k as u64) as usize;
        // Over: its material ended, or its session (the stretch workers) is gone.
        if r.ring.slots() == 0 && (r.state.done.load(Ordering::Acquire) || r.ring.is_abandoned()) {
            return (true, missing);
        }
        let (used, stop, miss) = read_stream(Some(r), pos, c, &mut out[k..], t, sr, wait);
        if stop {
            return (true, missing);
        }
        if used == 0 {
            break;
        }
        missing += miss;
        k += used;
    }
    (false, missing)
}
