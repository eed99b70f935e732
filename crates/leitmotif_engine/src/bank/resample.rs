//! Decoded and resampled audio, one segment (about half a second) of output at a time (never
//! on the audio thread).
//!
//! Resampling is rubato's synchronous FFT resampler (fixed rational ratio, Blackman-Harris
//! anti-aliasing window; well kept, fast, and its quality is measured in the tests below).
//! Each output segment `s` is computed from the input span it maps to (segments are whole
//! periods of the rate ratio, so both ends fall on input frames) plus a margin on both sides,
//! from a fresh resampler state, so a segment is a pure function of the file: a stream that
//! starts at segment `s` yields exactly the samples a whole-file decode has there. Memory
//! and streamed stems are both made by [`Segments`], so they are bit-identical by construction.

use std::path::Path;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::decode::FileDecoder;

/// Input frames of context on each side of a resampled segment (at least this many).
const MARGIN: usize = 2048;
/// Output length of a segment, in seconds (rounded down to whole periods of the ratio).
pub const SEGMENT_SECONDS: f64 = 0.5;

/// Why a file could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// A sample rate outside 8–192 kHz.
    Rate(u32),
    /// Anything else (I/O, container, codec), as the decoder says it.
    Other(String),
}

/// A file read as consecutive output segments at the output rate.
pub struct Segments {
    decoder: FileDecoder,
    from: usize,
    to: usize,
    /// Input and output frames of a segment.
    seg_in: usize,
    seg_out: usize,
    /// Output frames in the stem.
    len: u64,
    /// Input frames the header announced.
    in_frames: u64,
    /// Input frames of context on each side.
    margin: usize,
    fft: Option<Fft<f32>>,
    /// Decoded input; `input[0]` is input frame `base` (negative: zeros before the file).
    input: Vec<[f32; 2]>,
    base: i64,
    eof: bool,
    /// The next segment to produce.
    next: u64,
}

thread_local! {
    /// The resampler's input window and output of the segment being made.
    static SCRATCH: std::cell::RefCell<(Vec<[f32; 2]>, Vec<f32>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new()))
    };
}

impl Segments {
    /// Opens `path` for output at `rate`. The stem's length is the header's frame count
    /// converted to the output rate (or, without one, the decoded length: the whole file is
    /// read once to count it).
    pub fn open(path: &Path, rate: u32) -> Result<Segments, String> {
        Self::open_checked(path, rate).map_err(|e| match e {
            OpenError::Rate(r) => format!("sample rate {r} Hz"),
            OpenError::Other(s) => s,
        })
    }

    /// Like [`open`](Self::open), telling a refused sample rate apart.
    pub fn open_checked(path: &Path, rate: u32) -> Result<Segments, OpenError> {
        let decoder = FileDecoder::open(path).map_err(OpenError::Other)?;
        if !(8_000..=192_000).contains(&decoder.rate) {
            return Err(OpenError::Rate(decoder.rate));
        }
        let from = decoder.rate as usize;
        let to = rate as usize;
        let in_frames = match decoder.frames {
            Some(n) => n,
            None => count_frames(path).map_err(OpenError::Other)?,
        };
        let len = (in_frames as f64 * to as f64 / from as f64).round() as u64;
        let g = gcd(from, to);
        let (step_in, step_out) = (from / g, to / g);
        let periods = ((SEGMENT_SECONDS * to as f64) as usize / step_out).max(1);
        let (seg_in, seg_out) = (periods * step_in, periods * step_out);
        let (margin, fft) = if from == to {
            (0, None)
        } else {
            let margin = MARGIN.div_ceil(step_in) * step_in;
            let fft = Fft::<f32>::new(from, to, 1024, 2, FixedSync::Input)
                .map_err(|e| OpenError::Other(format!("resampler: {e}")))?;
            (margin, Some(fft))
        };
        Ok(Segments {
            decoder,
            from,
            to,
            seg_in,
            seg_out,
            len,
            in_frames,
            margin,
            fft,
            input: vec![[0.0; 2]; margin],
            base: -(margin as i64),
            eof: false,
            next: 0,
        })
    }

    /// Output frames in the stem.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the stem has no frames.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The output sample rate.
    pub fn rate(&self) -> u32 {
        self.to as u32
    }

    /// Output frames of a segment (every segment but the last).
    pub fn segment(&self) -> u64 {
        self.seg_out as u64
    }

    /// Moves to output segment `s` (the next [`next`](Self::next) returns it).
    pub fn seek_segment(&mut self, s: u64) -> Result<(), String> {
        if s == self.next {
            return Ok(());
        }
        let want = s as i64 * self.seg_in as i64 - self.margin as i64;
        self.decoder.seek(want.max(0) as u64)?;
        self.input.clear();
        self.eof = false;
        self.base = want;
        // Zeros before the file; then each packet placed by its timestamp, dropping frames
        // before `want`, until the frames reach it (then reading goes on in order).
        self.input.resize((-want).max(0) as usize, [0.0; 2]);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let Some(start) = self.decoder.read_placed(&mut buf)? else {
                self.eof = true;
                break;
            };
            let have = want + self.input.len() as i64;
            let end = start + buf.len() as i64;
            if end <= have {
                continue;
            }
            if start > have {
                self.input
                    .resize(self.input.len() + (start - have) as usize, [0.0; 2]);
            }
            let from = (have - start).max(0) as usize;
            self.input.extend_from_slice(&buf[from..]);
            if self.input.len() > 4096 {
                break;
            }
        }
        self.next = s;
        Ok(())
    }

    /// Produces the next output segment into `out` (cleared first); `false` past the end.
    pub fn next(&mut self, out: &mut Vec<[f32; 2]>) -> Result<bool, String> {
        out.clear();
        let s = self.next;
        let start = s * self.seg_out as u64;
        if start >= self.len {
            return Ok(false);
        }
        let n = (self.len - start).min(self.seg_out as u64) as usize;
        // Input needed: [s·seg_in − margin, (s+1)·seg_in + margin).
        let lo = s as i64 * self.seg_in as i64 - self.margin as i64;
        let hi = lo + (self.seg_in + 2 * self.margin) as i64;
        while !self.eof && self.base + (self.input.len() as i64) < hi {
            self.eof = !self.decoder.read(&mut self.input)?;
        }
        // A file that ends a whole segment before its header says was cut short (truncated
        // while playing, or a broken export): an error, not silently padded silence.
        let decoded_end = self.base + self.input.len() as i64;
        let core = s as i64 * self.seg_in as i64;
        if self.eof && decoded_end <= core && (core as u64) + (self.seg_in as u64) < self.in_frames
        {
            return Err(format!(
                "the file ends at {:.1} s but its header says {:.1} s (truncated?)",
                decoded_end.max(0) as f64 / self.from as f64,
                self.in_frames as f64 / self.from as f64
            ));
        }
        let from_idx = (lo - self.base).max(0) as usize;
        let width = (hi - lo) as usize;
        let avail = self.input.get(from_idx..).unwrap_or(&[]);
        let avail = &avail[..avail.len().min(width)];
        match self.fft.as_mut() {
            None => {
                out.extend_from_slice(&avail[..avail.len().min(n)]);
                out.resize(n, [0.0; 2]);
            }
            Some(fft) => SCRATCH.with_borrow_mut(|(window, res)| {
                // One scratch per thread (the stream worker serves every stream with it).
                window.clear();
                window.extend_from_slice(avail);
                window.resize(width, [0.0; 2]);
                let adapter = InterleavedSlice::new(window.as_flattened(), 2, width)
                    .map_err(|e| format!("resampler: {e}"))?;
                let need = fft.process_all_needed_output_len(width);
                res.clear();
                res.resize(need * 2, 0.0);
                let mut dst = InterleavedSlice::new_mut(&mut res[..], 2, need)
                    .map_err(|e| format!("resampler: {e}"))?;
                fft.reset();
                let (_, produced) = fft
                    .process_all_into_buffer(&adapter, &mut dst, width, None)
                    .map_err(|e| format!("resampler: {e}"))?;
                let skip = self.margin * self.to / self.from;
                let frames = res[..produced * 2].chunks_exact(2).skip(skip).take(n);
                out.extend(frames.map(|c| [c[0], c[1]]));
                out.resize(n, [0.0; 2]);
                Ok::<(), String>(())
            })?,
        }
        // Keep the context the next segment needs.
        let keep_from = (hi - 2 * self.margin as i64 - self.base).max(0) as usize;
        let keep_from = keep_from.min(self.input.len());
        self.input.drain(..keep_from);
        self.base += keep_from as i64;
        self.next = s + 1;
        Ok(true)
    }

    /// The whole stem.
    pub fn read_all(&mut self) -> Result<Vec<[f32; 2]>, String> {
        let mut all = Vec::with_capacity(self.len as usize);
        let mut seg = Vec::new();
        while self.next(&mut seg)? {
            all.extend_from_slice(&seg);
        }
        Ok(all)
    }
}

fn count_frames(path: &Path) -> Result<u64, String> {
    let mut d = FileDecoder::open(path)?;
    let mut buf = Vec::new();
    let mut n = 0u64;
    while d.read(&mut buf)? {
        n += buf.len() as u64;
        buf.clear();
    }
    Ok(n)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Resamples frames in memory through the same per-second pipeline (tests and generated
/// material at another rate).
#[cfg(test)]
fn resample_frames(input: &[[f32; 2]], from: u32, to: u32) -> Vec<[f32; 2]> {
    let dir = std::env::temp_dir().join(format!("leitmotif-resample-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("in-{from}-{to}-{}.wav", input.len()));
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: from,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for f in input {
        w.write_sample(f[0]).unwrap();
        w.write_sample(f[1]).unwrap();
    }
    w.finalize().unwrap();
    let out = Segments::open(&path, to).unwrap().read_all().unwrap();
    let _ = std::fs::remove_file(&path);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f64, rate: u32, len: usize, amp: f64) -> Vec<[f32; 2]> {
        (0..len)
            .map(|i| {
                let s = (std::f64::consts::TAU * f * i as f64 / rate as f64).sin() * amp;
                [s as f32, -s as f32]
            })
            .collect()
    }

    /// Amplitude of frequency `f` in `x` (single-bin DFT over whole periods).
    fn level(x: &[[f32; 2]], f: f64, rate: u32) -> f64 {
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (i, s) in x.iter().enumerate() {
            let ph = std::f64::consts::TAU * f * i as f64 / rate as f64;
            re += s[0] as f64 * ph.cos();
            im += s[0] as f64 * ph.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    #[test]
    fn sine_survives_44k1_to_48k_across_second_seams() {
        let f = 441.0;
        let input = tone(f, 44_100, 3 * 44_100, 0.5);
        let out = resample_frames(&input, 44_100, 48_000);
        assert_eq!(out.len(), 3 * 48_000);
        let mut err = 0.0f64;
        for (i, s) in out.iter().enumerate().skip(100).take(3 * 48_000 - 200) {
            let want = (std::f64::consts::TAU * f * i as f64 / 48_000.0).sin() * 0.5;
            err = err.max((s[0] as f64 - want).abs());
            assert!((s[0] + s[1]).abs() < 1e-6);
        }
        // Seams at 48 000 and 96 000 are inside this range: no step there either.
        assert!(err < 1e-3, "max error {err}");
    }

    #[test]
    fn same_rate_is_an_exact_copy() {
        let input = tone(1000.0, 48_000, 100_000, 0.25);
        assert_eq!(resample_frames(&input, 48_000, 48_000), input);
    }

    /// Passband ripple of 44.1 → 48 kHz up to 18 kHz and aliasing of 48 → 44.1 kHz for tones
    /// above the new Nyquist (the figures the bank's quality is stated by).
    #[test]
    fn passband_flat_and_aliases_rejected() {
        let mut worst_ripple = 0.0f64;
        for f in [100.0, 1_000.0, 5_000.0, 10_000.0, 15_000.0, 18_000.0] {
            let out = resample_frames(&tone(f, 44_100, 44_100, 0.5), 44_100, 48_000);
            let db = 20.0 * (level(&out[4_800..43_200], f, 48_000) / 0.5).log10();
            worst_ripple = worst_ripple.max(db.abs());
        }
        assert!(worst_ripple < 0.05, "passband ripple {worst_ripple:.4} dB");
        let mut worst_alias = f64::NEG_INFINITY;
        for f in [22_500.0, 23_000.0, 23_500.0] {
            let out = resample_frames(&tone(f, 48_000, 48_000, 0.5), 48_000, 44_100);
            // A tone at f folds to 44 100 − f.
            let alias = level(&out[4_410..39_690], 44_100.0 - f, 44_100);
            worst_alias = worst_alias.max(20.0 * (alias / 0.5).log10());
        }
        assert!(worst_alias < -80.0, "alias {worst_alias:.1} dB");
        eprintln!("resampler: ripple ±{worst_ripple:.4} dB to 18 kHz, aliases {worst_alias:.1} dB");
    }
}
