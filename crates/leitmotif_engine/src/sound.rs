//! The mixer as a kira [`Sound`], fed through lock-free ring buffers, with what it publishes
//! for the control side ([`Shared`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use kira::Frame;
use kira::info::Info;
use kira::sound::Sound;

use crate::meter::{Level, LevelCell, Loudness};
use crate::mixer::{Meter, Mixer, Msg, Overloads, Retired};

/// State the audio thread publishes, read by the control side without locks.
#[derive(Debug, Default)]
pub struct Shared {
    /// The next frame the mixer will render.
    pub frame: AtomicU64,
    /// Voices playing.
    pub voices: AtomicU32,
    /// Peak of the last block, as `f32` bits.
    pub peak: AtomicU32,
    /// Mean square of the last block (both channels), as `f32` bits.
    pub mean_square: AtomicU32,
    /// Starts refused because the voice pool was full.
    pub voice_pool_full: AtomicU64,
    /// Actions refused because the action queue was full.
    pub queue_full: AtomicU64,
    /// Starts whose source had already ended when they arrived.
    pub started_past_end: AtomicU64,
    /// Starts naming audio the mixer does not have.
    pub missing_source: AtomicU64,
    /// Actions applied after their frame.
    pub late_actions: AtomicU64,
    /// Times a streamed voice's ring ran dry.
    pub underruns: AtomicU64,
    /// Frames of silence played for streamed audio that was late.
    pub underrun_frames: AtomicU64,
    /// Streamed voices whose file could not be read to the end.
    pub stream_errors: AtomicU64,
    /// A bug on the audio thread was caught: the sound outputs silence from then on.
    pub failed: AtomicBool,
    /// Each layer's level (by stem output, [`SourceBank::tap_names`](crate::SourceBank)),
    /// published while metering is on ([`MusicSound::set_metering`]).
    pub layers: Box<[LevelCell]>,
    /// The names of `layers` (layer names; layers of the same name share a meter).
    pub layer_names: Box<[String]>,
    /// The names of `buses`, in the mixer's numbering (`"master"` first).
    pub bus_names: Box<[String]>,
    /// Each bus's level, in the mixer's numbering (bus 0, the master, is the output before
    /// the limiter; with no mix, the output).
    pub buses: Box<[LevelCell]>,
    /// The output's short-term loudness (3 s, LUFS, `f32` bits; −∞ for silence), while
    /// metering is on.
    pub short_term: AtomicU32,
    /// The output's momentary loudness (400 ms, LUFS, `f32` bits), while metering is on.
    pub momentary: AtomicU32,
}

impl Shared {
    /// Shared state for a mixer with these stem outputs (layer names) and buses.
    pub fn with_meters(layers: &[String], buses: &[String]) -> Shared {
        let buses: Vec<String> = if buses.is_empty() {
            vec!["master".into()]
        } else {
            buses.to_vec()
        };
        Shared {
            layers: layers.iter().map(|_| LevelCell::default()).collect(),
            buses: buses.iter().map(|_| LevelCell::default()).collect(),
            layer_names: layers.into(),
            bus_names: buses.into(),
            short_term: AtomicU32::new(f32::NEG_INFINITY.to_bits()),
            momentary: AtomicU32::new(f32::NEG_INFINITY.to_bits()),
            ..Default::default()
        }
    }

    /// Each layer's level (see [`layers`](Self::layers)), by name; peaks since the last read.
    pub fn layer_levels(&self) -> Vec<(&str, Level)> {
        self.layer_names
            .iter()
            .zip(self.layers.iter())
            .map(|(n, c)| (n.as_str(), c.read()))
            .collect()
    }

    /// Each bus's level, by name (the master first); peaks since the last read.
    pub fn bus_levels(&self) -> Vec<(&str, Level)> {
        self.bus_names
            .iter()
            .zip(self.buses.iter())
            .map(|(n, c)| (n.as_str(), c.read()))
            .collect()
    }

    /// The output's short-term loudness (LUFS) while metering is on.
    pub fn short_term_lufs(&self) -> f32 {
        f32::from_bits(self.short_term.load(Ordering::Relaxed))
    }

    /// The output's momentary loudness (LUFS) while metering is on.
    pub fn momentary_lufs(&self) -> f32 {
        f32::from_bits(self.momentary.load(Ordering::Relaxed))
    }

    /// The next frame the mixer will render.
    pub fn frame(&self) -> u64 {
        self.frame.load(Ordering::Acquire)
    }

    /// Peak level of the last rendered block.
    pub fn peak(&self) -> f32 {
        f32::from_bits(self.peak.load(Ordering::Relaxed))
    }

    /// RMS level of the last rendered block.
    pub fn rms(&self) -> f32 {
        f32::from_bits(self.mean_square.load(Ordering::Relaxed)).sqrt()
    }

    /// What the mixer could not do so far.
    pub fn overloads(&self) -> Overloads {
        Overloads {
            voice_pool_full: self.voice_pool_full.load(Ordering::Relaxed),
            queue_full: self.queue_full.load(Ordering::Relaxed),
            started_past_end: self.started_past_end.load(Ordering::Relaxed),
            missing_source: self.missing_source.load(Ordering::Relaxed),
            late_actions: self.late_actions.load(Ordering::Relaxed),
            underruns: self.underruns.load(Ordering::Relaxed),
            underrun_frames: self.underrun_frames.load(Ordering::Relaxed),
            stream_errors: self.stream_errors.load(Ordering::Relaxed),
        }
    }

    /// Whether a bug on the audio thread silenced the sound.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    fn publish(&self, o: Overloads) {
        self.voice_pool_full
            .store(o.voice_pool_full, Ordering::Relaxed);
        self.queue_full.store(o.queue_full, Ordering::Relaxed);
        self.started_past_end
            .store(o.started_past_end, Ordering::Relaxed);
        self.missing_source
            .store(o.missing_source, Ordering::Relaxed);
        self.late_actions.store(o.late_actions, Ordering::Relaxed);
        self.underruns.store(o.underruns, Ordering::Relaxed);
        self.underrun_frames
            .store(o.underrun_frames, Ordering::Relaxed);
        self.stream_errors.store(o.stream_errors, Ordering::Relaxed);
    }
}

/// Scratch frames the sound renders at a time (kira asks for at most its internal buffer).
const SCRATCH: usize = 1024;

/// The playing music: a [`Mixer`] inside kira.
pub struct MusicSound {
    mixer: Mixer,
    inbox: rtrb::Consumer<Msg>,
    retired: rtrb::Producer<Retired>,
    shared: Arc<Shared>,
    scratch: Vec<[f32; 2]>,
    /// Set when a bug was caught on the audio thread; the sound stays silent.
    failed: bool,
    /// Per-layer and loudness metering, when on.
    meters: Option<Box<Metering>>,
    /// The buses' levels of the last block.
    bus_meters: Vec<Meter>,
}

/// What metering needs on the audio side, made when it is turned on.
struct Metering {
    /// One stem output per layer name, [`SCRATCH`] frames each.
    taps: Vec<Vec<[f32; 2]>>,
    loudness: Loudness,
}

/// Called on the audio thread: fills kira's `out` by calling `render` on `scratch`-sized
/// pieces of stereo pairs (no allocation). Shared by every kira `Sound` wrapping a mixer.
pub fn render_into_frames(
    out: &mut [Frame],
    scratch: &mut [[f32; 2]],
    mut render: impl FnMut(&mut [[f32; 2]]),
) {
    for chunk in out.chunks_mut(scratch.len().max(1)) {
        let buf = &mut scratch[..chunk.len()];
        render(buf);
        for (o, s) in chunk.iter_mut().zip(buf.iter()) {
            *o = Frame {
                left: s[0],
                right: s[1],
            };
        }
    }
}

impl MusicSound {
    /// Wraps a mixer with its message queues.
    pub fn new(
        mixer: Mixer,
        inbox: rtrb::Consumer<Msg>,
        retired: rtrb::Producer<Retired>,
        shared: Arc<Shared>,
    ) -> Self {
        MusicSound {
            inbox,
            retired,
            shared,
            scratch: vec![[0.0; 2]; SCRATCH],
            failed: false,
            meters: None,
            bus_meters: vec![Meter::default(); mixer.bus_count()],
            mixer,
        }
    }

    /// Publish each layer's level and the output's loudness in [`Shared`] (bus levels are
    /// always published). Costs a copy of every voice's output; the tuning desk turns it on.
    /// Call before the sound goes to the audio thread (it allocates).
    pub fn set_metering(&mut self, on: bool) {
        self.meters = on.then(|| {
            Box::new(Metering {
                taps: vec![vec![[0.0; 2]; SCRATCH]; self.shared.layers.len()],
                loudness: Loudness::new(self.mixer.sample_rate()),
            })
        });
    }

    /// Offline: wait for streamed stems instead of playing silence when the disk is behind
    /// (see [`Mixer::set_wait_for_streams`]). Never on a real-time audio thread.
    pub fn set_wait_for_streams(&mut self, wait: bool) {
        self.mixer.set_wait_for_streams(wait);
    }

    /// What this sound publishes.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Called on the audio thread: renders `out.len()` frames into interleaved-by-frame
    /// pairs. Takes every waiting message first; allocates nothing.
    pub fn render(&mut self, out: &mut [[f32; 2]]) {
        self.render_with_taps(out, None, 0);
    }

    /// Called on the audio thread: like [`render`](Self::render), also summing each voice into
    /// `taps[tap][at..]` (offline stem outputs).
    ///
    /// The last guard of the audio thread: a panic inside the mixer (a bug: every index on
    /// the render path is checked) is caught here, the sound goes silent for good and
    /// [`Shared::failed`] reports it, instead of unwinding into the device callback and
    /// ending the stream.
    pub fn render_with_taps(
        &mut self,
        out: &mut [[f32; 2]],
        taps: Option<&mut [Vec<[f32; 2]>]>,
        at: usize,
    ) {
        if self.failed {
            out.fill([0.0; 2]);
            return;
        }
        let caught = catch_unwind(AssertUnwindSafe(|| self.render_inner(out, taps, at)));
        if caught.is_err() {
            self.failed = true;
            self.shared.failed.store(true, Ordering::Relaxed);
            out.fill([0.0; 2]);
        }
    }

    fn render_inner(
        &mut self,
        out: &mut [[f32; 2]],
        taps: Option<&mut [Vec<[f32; 2]>]>,
        at: usize,
    ) {
        while let Ok(msg) = self.inbox.pop() {
            self.mixer.receive(msg);
        }
        match (taps, self.meters.as_deref_mut()) {
            (None, Some(m)) => {
                // Each layer through its own stem output, measured.
                for chunk in out.chunks_mut(SCRATCH) {
                    let n = chunk.len();
                    for t in &mut m.taps {
                        t[..n].fill([0.0; 2]);
                    }
                    self.mixer.process(chunk, Some(&mut m.taps), 0);
                    for (t, cell) in m.taps.iter().zip(self.shared.layers.iter()) {
                        let (peak, rms) = peak_rms(&t[..n]);
                        cell.publish(peak, rms, 0.0);
                    }
                    m.loudness.push(chunk);
                }
                self.shared.short_term.store(
                    (m.loudness.short_term() as f32).to_bits(),
                    Ordering::Relaxed,
                );
                self.shared
                    .momentary
                    .store((m.loudness.momentary() as f32).to_bits(), Ordering::Relaxed);
            }
            (taps, _) => self.mixer.process(out, taps, at),
        }
        if self.mixer.bus_count() > 1 {
            self.mixer.take_bus_meters(&mut self.bus_meters);
            for (b, cell) in self.bus_meters.iter().zip(self.shared.buses.iter()) {
                cell.publish(b.peak, b.rms(), b.duck_db);
            }
        }
        for r in self.mixer.take_retired() {
            if let Err(rtrb::PushError::Full(r)) = self.retired.push(r) {
                // The control side is not draining; keep the memory rather than free it here.
                std::mem::forget(r);
            }
        }
        let (peak, rms) = peak_rms(out);
        self.shared.peak.store(peak.to_bits(), Ordering::Relaxed);
        self.shared
            .mean_square
            .store((rms * rms).to_bits(), Ordering::Relaxed);
        if self.mixer.bus_count() <= 1
            && let Some(master) = self.shared.buses.first()
        {
            master.publish(peak, rms, 0.0);
        }
        self.shared
            .voices
            .store(self.mixer.active_voices() as u32, Ordering::Relaxed);
        self.shared.publish(self.mixer.overloads());
        self.shared
            .frame
            .store(self.mixer.frame(), Ordering::Release);
    }
}

/// Peak and RMS (both channels) of `frames`.
fn peak_rms(frames: &[[f32; 2]]) -> (f32, f32) {
    let (peak, sum) = frames.iter().fold((0.0f32, 0.0f32), |(m, s), f| {
        (
            m.max(f[0].abs()).max(f[1].abs()),
            s + f[0] * f[0] + f[1] * f[1],
        )
    });
    (peak, (sum / (2 * frames.len().max(1)) as f32).sqrt())
}

impl Sound for MusicSound {
    /// Called on the audio thread: renders through the mixer into kira's frames.
    fn process(&mut self, out: &mut [Frame], _dt: f64, _info: &Info) {
        let mut scratch = std::mem::take(&mut self.scratch);
        render_into_frames(out, &mut scratch, |buf| self.render(buf));
        self.scratch = scratch;
    }

    fn finished(&self) -> bool {
        false
    }
}
