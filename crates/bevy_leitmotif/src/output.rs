//! What renders the music: the [`Deck`] (on kira's audio thread, the silent clock's thread, or
//! inside `App::update` offline) and the device it plays on.
//!
//! Every backend renders the same [`Deck`]: it holds the playing [`MusicSound`] and, during a
//! hot reload, the next one with the global frame at which it takes over, and publishes the
//! global frame it has rendered up to (the music clock).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use kira::Frame;
use kira::info::Info;
use kira::sound::{Sound, SoundData};
use leitmotif_engine::MusicSound;

/// Frames the deck renders at a time.
const CHUNK: usize = 1024;

/// Frames over which a hot reload crossfades from the outgoing score to the incoming one
/// (≈5 ms at 48 kHz): long enough not to click, short enough to sound like a cut on the bar
/// line.
const SWITCH_FADE: usize = 256;

/// State the deck publishes to the control side.
#[derive(Debug, Default)]
pub(crate) struct DeckShared {
    /// The next global frame to be rendered.
    pub clock: AtomicU64,
    /// Master volume as `f32` bits.
    pub volume: AtomicU32,
}

/// The rendering side: one sound playing, the next waiting for its start frame.
pub(crate) struct Deck {
    frame: u64,
    current: Option<MusicSound>,
    next: Option<(MusicSound, u64)>,
    /// The sound replaced at a switch, fading out, and how far into the fade it is.
    fading: Option<(MusicSound, usize)>,
    fade_buf: Vec<[f32; 2]>,
    inbox: rtrb::Consumer<(MusicSound, u64)>,
    retired: rtrb::Producer<MusicSound>,
    shared: Arc<DeckShared>,
    scratch: Vec<[f32; 2]>,
}

/// The control side of a [`Deck`].
pub(crate) struct DeckControl {
    outbox: rtrb::Producer<(MusicSound, u64)>,
    retired: rtrb::Consumer<MusicSound>,
    pub shared: Arc<DeckShared>,
}

/// A deck and its control, connected.
pub(crate) fn deck(volume: f32) -> (Deck, DeckControl) {
    let (tx, rx) = rtrb::RingBuffer::new(4);
    let (ret_tx, ret_rx) = rtrb::RingBuffer::new(8);
    let shared = Arc::new(DeckShared {
        clock: AtomicU64::new(0),
        volume: AtomicU32::new(volume.to_bits()),
    });
    let deck = Deck {
        frame: 0,
        current: None,
        next: None,
        fading: None,
        fade_buf: vec![[0.0; 2]; SWITCH_FADE],
        inbox: rx,
        retired: ret_tx,
        shared: shared.clone(),
        scratch: vec![[0.0; 2]; CHUNK],
    };
    (
        deck,
        DeckControl {
            outbox: tx,
            retired: ret_rx,
            shared,
        },
    )
}

impl DeckControl {
    /// The next global frame the deck will render.
    pub fn clock(&self) -> u64 {
        self.shared.clock.load(Ordering::Acquire)
    }

    /// Hands `sound` to the deck, to play from global frame `start`.
    pub fn send(&mut self, sound: MusicSound, start: u64) -> bool {
        while self.retired.pop().is_ok() {}
        self.outbox.push((sound, start)).is_ok()
    }

    /// Drops sounds the deck is done with (here, not on the audio thread).
    pub fn collect(&mut self) {
        while self.retired.pop().is_ok() {}
    }

    /// Sets the master volume.
    pub fn set_volume(&self, volume: f32) {
        self.shared
            .volume
            .store(volume.to_bits(), Ordering::Relaxed);
    }
}

impl Deck {
    /// Called on the audio thread: renders the next `out.len()` global frames. Allocates
    /// nothing, locks nothing, and cannot panic (every index is bounded by `out`).
    pub fn render(&mut self, out: &mut [[f32; 2]]) {
        let mut at = 0;
        while at < out.len() {
            if self.next.is_none() {
                self.next = self.inbox.pop().ok();
            }
            let mut n = out.len() - at;
            if let Some((_, start)) = &self.next {
                if *start <= self.frame {
                    let Some((sound, _)) = self.next.take() else {
                        continue;
                    };
                    if let Some(old) = self.current.replace(sound) {
                        self.retire_fading();
                        self.fading = Some((old, 0));
                    }
                    continue;
                }
                n = n.min((*start - self.frame) as usize);
            }
            let Some(chunk) = out.get_mut(at..at + n) else {
                break;
            };
            match self.current.as_mut() {
                Some(sound) => sound.render(chunk),
                None => chunk.fill([0.0; 2]),
            }
            if let Some((old, pos)) = self.fading.as_mut() {
                let m = n.min(SWITCH_FADE - *pos);
                let buf = &mut self.fade_buf[..m.min(SWITCH_FADE)];
                old.render(buf);
                // A linear crossfade: a hot reload continues the same material at the same
                // position, which then sums to its own level (no bump).
                for (k, (o, s)) in chunk.iter_mut().zip(buf.iter()).enumerate() {
                    let g = 1.0 - (*pos + k) as f32 / SWITCH_FADE as f32;
                    o[0] = o[0] * (1.0 - g) + s[0] * g;
                    o[1] = o[1] * (1.0 - g) + s[1] * g;
                }
                *pos += m;
                if *pos >= SWITCH_FADE {
                    self.retire_fading();
                }
            }
            at += n;
            self.frame += n as u64;
        }
        let volume = f32::from_bits(self.shared.volume.load(Ordering::Relaxed));
        if volume != 1.0 {
            for f in out.iter_mut() {
                f[0] *= volume;
                f[1] *= volume;
            }
        }
        self.shared.clock.store(self.frame, Ordering::Release);
    }

    /// Hands the faded-out sound back to the control side to be dropped there.
    fn retire_fading(&mut self) {
        if let Some((old, _)) = self.fading.take()
            && let Err(rtrb::PushError::Full(old)) = self.retired.push(old)
        {
            // The control side is not draining; never free on the audio thread.
            std::mem::forget(old);
        }
    }

    /// Renders `frames` frames and appends them to `out` (the offline backend's capture).
    pub fn render_into(&mut self, frames: u64, out: &mut Vec<[f32; 2]>) {
        let at = out.len();
        out.resize(at + frames as usize, [0.0; 2]);
        self.render(&mut out[at..]);
    }

    /// Renders `frames` frames into the deck's own scratch buffer (silent backends).
    pub fn render_silently(&mut self, mut frames: u64) {
        let mut scratch = std::mem::take(&mut self.scratch);
        while frames > 0 {
            let n = (frames as usize).min(scratch.len());
            self.render(&mut scratch[..n]);
            frames -= n as u64;
        }
        self.scratch = scratch;
    }
}

impl Sound for Deck {
    fn process(&mut self, out: &mut [Frame], _dt: f64, _info: &Info) {
        let mut scratch = std::mem::take(&mut self.scratch);
        leitmotif_engine::render_into_frames(out, &mut scratch, |buf| self.render(buf));
        self.scratch = scratch;
    }

    fn finished(&self) -> bool {
        false
    }
}

/// A [`Deck`] to hand to kira.
pub(crate) struct DeckData(pub Deck);

impl SoundData for DeckData {
    type Error = std::convert::Infallible;
    type Handle = ();

    fn into_sound(self) -> Result<(Box<dyn Sound>, ()), Self::Error> {
        Ok((Box::new(self.0), ()))
    }
}

/// The open audio device, kept alive for the app's lifetime.
pub(crate) struct LiveOutput {
    #[allow(dead_code)]
    pub manager: leitmotif_engine::device::DeviceOutput,
}

/// Opens the default output device and plays `deck` on it; returns the device's sample rate.
///
/// Asks for `preferred_rate` when the device supports it, else uses the device's default.
/// On failure the deck is dropped; the caller makes a new one for a silent backend.
pub(crate) fn open_device(
    deck: Deck,
    preferred_rate: u32,
    period_frames: u32,
) -> Result<(LiveOutput, u32), String> {
    let mut device = leitmotif_engine::device::DeviceOutput::open(preferred_rate, period_frames)?;
    let rate = device.sample_rate();
    device.play(DeckData(deck))?;
    Ok((LiveOutput { manager: device }, rate))
}
