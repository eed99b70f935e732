//! The mixer as a kira [`Sound`], fed through lock-free ring buffers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use kira::Frame;
use kira::info::Info;
use kira::sound::{Sound, SoundData};

use crate::bank::Stem;
use crate::mixer::{Mixer, Msg};

/// State the audio thread publishes, read by the control side without locks.
#[derive(Debug, Default)]
pub struct Shared {
    /// The next frame the mixer will render.
    pub frame: AtomicU64,
    /// Voices playing.
    pub voices: AtomicU32,
    /// Peak of the last block, as `f32` bits.
    pub peak: AtomicU32,
}

impl Shared {
    /// The next frame the mixer will render.
    pub fn frame(&self) -> u64 {
        self.frame.load(Ordering::Acquire)
    }

    /// Peak level of the last rendered block.
    pub fn peak(&self) -> f32 {
        f32::from_bits(self.peak.load(Ordering::Relaxed))
    }
}

/// Scratch frames the sound renders at a time (kira asks for at most its internal buffer).
const SCRATCH: usize = 1024;

/// The playing music: a [`Mixer`] inside kira.
pub struct MusicSound {
    mixer: Mixer,
    inbox: rtrb::Consumer<Msg>,
    retired: rtrb::Producer<Arc<Stem>>,
    shared: Arc<Shared>,
    scratch: Vec<[f32; 2]>,
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

/// A [`MusicSound`] ready to be played with `AudioManager::play`.
pub struct MusicSoundData {
    /// The sound.
    pub sound: MusicSound,
}

impl MusicSound {
    /// Wraps a mixer with its message queues.
    pub fn new(
        mixer: Mixer,
        inbox: rtrb::Consumer<Msg>,
        retired: rtrb::Producer<Arc<Stem>>,
        shared: Arc<Shared>,
    ) -> Self {
        MusicSound {
            mixer,
            inbox,
            retired,
            shared,
            scratch: vec![[0.0; 2]; SCRATCH],
        }
    }

    /// Called on the audio thread: renders `out.len()` frames into interleaved-by-frame
    /// pairs. Takes every waiting message first; allocates nothing.
    pub fn render(&mut self, out: &mut [[f32; 2]]) {
        self.render_with_taps(out, None, 0);
    }

    /// Like [`render`](Self::render), also summing each voice into `taps[tap][at..]`
    /// (offline stem outputs).
    pub fn render_with_taps(
        &mut self,
        out: &mut [[f32; 2]],
        taps: Option<&mut [Vec<[f32; 2]>]>,
        at: usize,
    ) {
        while let Ok(msg) = self.inbox.pop() {
            self.mixer.receive(msg);
        }
        self.mixer.process(out, taps, at);
        for stem in self.mixer.take_retired() {
            if let Err(rtrb::PushError::Full(stem)) = self.retired.push(stem) {
                // The control side is not draining; keep the memory rather than free it here.
                std::mem::forget(stem);
            }
        }
        let peak = out
            .iter()
            .fold(0.0f32, |m, f| m.max(f[0].abs()).max(f[1].abs()));
        self.shared.peak.store(peak.to_bits(), Ordering::Relaxed);
        self.shared
            .voices
            .store(self.mixer.active_voices() as u32, Ordering::Relaxed);
        self.shared
            .frame
            .store(self.mixer.frame(), Ordering::Release);
    }
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

impl SoundData for MusicSoundData {
    type Error = std::convert::Infallible;
    type Handle = ();

    fn into_sound(self) -> Result<(Box<dyn Sound>, Self::Handle), Self::Error> {
        Ok((Box::new(self.sound), ()))
    }
}
