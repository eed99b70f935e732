//! Built-in instruments: deterministic synthesis of note lists to stereo audio.
//!
//! Every instrument is written from scratch here (no samples, no downloads): detuned-saw pad,
//! saw/sub bass with a filter envelope, Karplus–Strong pluck, FM electric-piano keys, saw lead,
//! FM bell, saw-ensemble strings and a synthesised drum kit (General MIDI key numbers). The
//! inner loops do not allocate; only a Karplus–Strong delay line is allocated per note.
//! Identical inputs give bit-identical output.
//!
//! `SoundFont` presets (samples from a file the score names) play through `rustysynth`, see
//! [`render_soundfont`].

mod drums;
pub(crate) mod dsp;
mod fm;
mod pluck;
mod soundfont;
mod subtractive;

use leitmotif_core::score::Instrument;

use crate::rng::mix;

pub use soundfont::{load_soundfont, render_soundfont};

/// Planar stereo audio: `left[i]` and `right[i]` are frame `i`. Both have the same length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StereoBuffer {
    /// Left channel samples.
    pub left: Vec<f32>,
    /// Right channel samples.
    pub right: Vec<f32>,
}

impl StereoBuffer {
    /// `frames` frames of silence.
    pub fn new(frames: usize) -> Self {
        StereoBuffer {
            left: vec![0.0; frames],
            right: vec![0.0; frames],
        }
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.left.len()
    }

    /// Largest absolute sample value over both channels.
    pub fn peak(&self) -> f32 {
        self.left
            .iter()
            .chain(&self.right)
            .fold(0.0f32, |m, x| m.max(x.abs()))
    }

    /// Whether every sample is finite.
    pub fn is_finite(&self) -> bool {
        self.left.iter().chain(&self.right).all(|x| x.is_finite())
    }

    /// Multiplies every sample by `gain`.
    pub fn scale(&mut self, gain: f32) {
        for x in self.left.iter_mut().chain(self.right.iter_mut()) {
            *x *= gain;
        }
    }

    /// Scales so that the peak is `target` (no change when silent).
    pub fn normalize(&mut self, target: f32) {
        let peak = self.peak();
        if peak > 1e-9 {
            self.scale(target / peak);
        }
    }

    /// Adds `other × gain` starting at frame `offset`, clipped to this buffer's length.
    pub fn mix(&mut self, other: &StereoBuffer, offset: usize, gain: f32) {
        let n = other.frames().min(self.frames().saturating_sub(offset));
        for i in 0..n {
            self.left[offset + i] += other.left[i] * gain;
            self.right[offset + i] += other.right[i] * gain;
        }
    }

    /// Interleaved `[l0, r0, l1, r1, …]` samples.
    pub fn interleaved(&self) -> Vec<f32> {
        self.left
            .iter()
            .zip(&self.right)
            .flat_map(|(&l, &r)| [l, r])
            .collect()
    }

    /// Adds a stereo sample at `frame` if it is inside the buffer.
    #[inline]
    pub(crate) fn add(&mut self, frame: usize, l: f32, r: f32) {
        if let (Some(a), Some(b)) = (self.left.get_mut(frame), self.right.get_mut(frame)) {
            *a += l;
            *b += r;
        }
    }

    /// Soft-limits samples above 0.9 so the peak stays below 1.0 (a safety net only).
    pub(crate) fn soft_limit(&mut self) {
        for x in self.left.iter_mut().chain(self.right.iter_mut()) {
            let a = x.abs();
            if a > 0.9 {
                *x = x.signum() * (0.9 + 0.099 * ((a - 0.9) / 0.099).tanh());
            }
        }
    }
}

/// One note to render. Frames are at the render's sample rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteEvent {
    /// First frame of the note.
    pub start_frame: usize,
    /// Frames until note-off; the release follows (instrument-dependent, see
    /// [`release_seconds`]).
    pub len_frames: usize,
    /// MIDI pitch (for [`Instrument::Drums`], a General MIDI percussion key: 36 kick,
    /// 38 snare, 37 rim, 39 clap, 42 closed hat, 46 open hat, 41–50 toms, 49/57 crash, 51 ride).
    pub pitch: u8,
    /// Velocity 0..1.
    pub velocity: f32,
}

/// Seconds an instrument keeps sounding after note-off (its release reaches exactly zero).
pub fn release_seconds(instrument: &Instrument) -> f64 {
    match builtin(instrument) {
        Instrument::Pad => 0.6,
        Instrument::Strings => 0.4,
        Instrument::Bass => 0.06,
        Instrument::Lead => 0.12,
        Instrument::Keys => 0.15,
        Instrument::Bell => 0.3,
        Instrument::Pluck => 0.08,
        Instrument::Drums => 0.08,
        Instrument::Soundfont(..) => 0.3,
    }
}

/// The built-in instrument standing in for `instrument`. `SoundFont` presets are approximated by
/// their General MIDI family (bank 128 = drums) when no `SoundFont` is loaded (with one, layers
/// play them through [`render_soundfont`]).
pub fn builtin(instrument: &Instrument) -> Instrument {
    match *instrument {
        Instrument::Soundfont(128, _) => Instrument::Drums,
        Instrument::Soundfont(_, preset) => match preset {
            0..=7 => Instrument::Keys,
            8..=15 | 112..=119 => Instrument::Bell,
            16..=23 | 52..=55 | 88..=103 => Instrument::Pad,
            24..=31 | 104..=111 => Instrument::Pluck,
            32..=39 => Instrument::Bass,
            40..=51 => Instrument::Strings,
            _ => Instrument::Lead,
        },
        ref other => other.clone(),
    }
}

/// Renders `notes` on `instrument` into exactly `total_frames` frames at `sample_rate`.
///
/// Notes (and their releases) running past the end are cut. Output is deterministic for a
/// given `seed`; a single note peaks around −6 dBFS at full velocity and the result is
/// soft-limited below 1.0.
pub fn render_notes(
    instrument: &Instrument,
    notes: &[NoteEvent],
    total_frames: usize,
    sample_rate: u32,
    seed: u64,
) -> StereoBuffer {
    let mut out = StereoBuffer::new(total_frames);
    let sr = sample_rate as f32;
    let inst = builtin(instrument);
    for (i, note) in notes.iter().enumerate() {
        if note.start_frame >= total_frames || note.velocity <= 0.0 {
            continue;
        }
        let note_seed = mix(seed, i as u64 ^ ((note.pitch as u64) << 32));
        let ctx = NoteCtx {
            note,
            sr,
            seed: note_seed,
            off: note.len_frames as f32 / sr,
            amp: note.velocity.clamp(0.0, 1.0).powf(1.3),
        };
        match inst {
            Instrument::Pad => subtractive::pad(&mut out, &ctx),
            Instrument::Bass => subtractive::bass(&mut out, &ctx),
            Instrument::Lead => subtractive::lead(&mut out, &ctx),
            Instrument::Strings => subtractive::strings(&mut out, &ctx),
            Instrument::Keys => fm::keys(&mut out, &ctx),
            Instrument::Bell => fm::bell(&mut out, &ctx),
            Instrument::Pluck => pluck::pluck(&mut out, &ctx),
            Instrument::Drums => drums::hit(&mut out, &ctx),
            Instrument::Soundfont(..) => unreachable!("mapped to a built-in instrument"),
        }
    }
    out.soft_limit();
    out
}

/// What an instrument needs to render one note.
pub(crate) struct NoteCtx<'a> {
    pub note: &'a NoteEvent,
    pub sr: f32,
    pub seed: u64,
    /// Note-off time in seconds after onset.
    pub off: f32,
    /// Amplitude from velocity.
    pub amp: f32,
}

impl NoteCtx<'_> {
    /// Frames to render: until `off + release`, at most `max_seconds`.
    pub fn frames(&self, release: f32, max_seconds: f32) -> usize {
        ((self.off + release).min(max_seconds) * self.sr).ceil() as usize
    }

    /// Pan for the pitch: low notes slightly left, high notes slightly right.
    pub fn pitch_pan(&self, width: f32) -> f32 {
        ((self.note.pitch as f32 - 60.0) / 36.0).clamp(-1.0, 1.0) * width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Instrument; 8] = [
        Instrument::Pad,
        Instrument::Bass,
        Instrument::Pluck,
        Instrument::Keys,
        Instrument::Lead,
        Instrument::Bell,
        Instrument::Strings,
        Instrument::Drums,
    ];

    fn note(start: usize, len: usize, pitch: u8) -> NoteEvent {
        NoteEvent {
            start_frame: start,
            len_frames: len,
            pitch,
            velocity: 1.0,
        }
    }

    #[test]
    fn every_instrument_sounds_finite_and_at_a_sane_level() {
        for inst in ALL {
            for pitch in [36u8, 38, 42, 49, 60, 72] {
                let buf = render_notes(&inst, &[note(100, 20_000, pitch)], 48_000, 48_000, 1);
                assert!(buf.is_finite(), "{inst:?} {pitch}");
                let peak = buf.peak();
                assert!(peak > 0.05 && peak < 0.95, "{inst:?} {pitch}: peak {peak}");
                assert_eq!(buf.left[..100].iter().map(|x| x.abs()).sum::<f32>(), 0.0);
            }
        }
    }

    #[test]
    fn release_ends_in_silence_and_output_is_deterministic() {
        let sr = 48_000;
        for inst in ALL {
            let n = [note(0, 9_600, 60)];
            let a = render_notes(&inst, &n, sr as usize, sr, 7);
            let b = render_notes(&inst, &n, sr as usize, sr, 7);
            assert_eq!(a, b);
            let end = 9_600 + (release_seconds(&inst) * sr as f64).ceil() as usize + 1;
            assert!(a.left[end..].iter().all(|&x| x == 0.0), "{inst:?}");
        }
    }

    #[test]
    fn pitch_follows_the_note() {
        // Count zero crossings of a sustained bass note: about 2 × f per second.
        let buf = render_notes(&Instrument::Bass, &[note(0, 48_000, 45)], 48_000, 48_000, 3);
        let seg = &buf.left[4_800..43_200];
        let crossings = seg
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count() as f32;
        let hz = crossings / 2.0 / 0.8;
        assert!((hz - 110.0).abs() < 12.0, "estimated {hz} Hz");
    }
}
