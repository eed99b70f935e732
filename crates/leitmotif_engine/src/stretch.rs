//! Pitch-preserving time-stretch for voices that follow a changed tempo.
//!
//! Built on Signalsmith Stretch (the `signalsmith-stretch` crate, MIT): a phase-vocoder with
//! multi-band peak tracking that keeps transients and pitch over the range a tempo cue asks
//! for (documented: half to twice a stem's speed, best within ±15 %). It is a header-only C++
//! library, so it builds with the C++ compiler and `libclang` (bindgen) and needs no system
//! library at run time. Rubber Band (GPL) and `SoundTouch` (LGPL, weaker on polyphonic material)
//! were the alternatives.
//!
//! A [`Stretcher`] is made (and its buffers allocated) on the control side, warmed up there, and
//! sent to the audio thread with the first `Warp` of its voice; it comes back through the
//! retire queue and is reused.

use signalsmith_stretch::Stretch;

use crate::bank::Loop;

/// Frames over which a voice started by a pre-roll fades from its plain source into the
/// stretched sound.
pub const CROSSFADE: usize = 512;

/// One stereo stretcher and its latencies.
pub struct Stretcher {
    inner: Stretch,
    /// Input frames the stretcher holds before they are heard.
    pub input_latency: usize,
    /// Output frames between input and its output.
    pub output_latency: usize,
    /// Input frames worth giving it as pre-roll (a block and an interval).
    pub preroll: usize,
    /// Set by [`prime`](Self::prime): the source frame it has been fed up to.
    pub primed_to: Option<usize>,
    /// The plain source heard while a stretcher started by a pre-roll fills its output (see
    /// [`crossfade`](Self::crossfade)): frames, how many are set, how many have been used.
    plain: Vec<[f32; 2]>,
    plain_len: usize,
    plain_used: usize,
}

impl std::fmt::Debug for Stretcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stretcher")
            .field("input_latency", &self.input_latency)
            .field("output_latency", &self.output_latency)
            .finish()
    }
}

impl Stretcher {
    /// A stretcher for stereo audio at `sample_rate`, warmed up so that processing allocates
    /// nothing afterwards.
    ///
    /// The library's "cheaper" preset: 100 ms blocks, 40 ms interval, and the spectral work of
    /// each interval **split over the calls** of that interval. The default preset (120 ms,
    /// 30 ms) does all of it in one call: with several voices started together, every one of
    /// them did its FFTs in the same audio block, and 8 stretched voices took 69 % of a
    /// 512-frame block at p99 (`benches/tempo.rs`).
    pub fn new(sample_rate: u32) -> Self {
        let inner = Stretch::preset_cheaper(2, sample_rate);
        let (input_latency, output_latency) = (inner.input_latency(), inner.output_latency());
        let mut s = Stretcher {
            inner,
            input_latency,
            output_latency,
            preroll: (sample_rate as f64 * 0.15).round() as usize,
            primed_to: None,
            // The source the crossfade's output frames need, at up to twice the speed.
            plain: vec![[0.0; 2]; 2 * (output_latency + CROSSFADE) + 2],
            plain_len: 0,
            plain_used: 0,
        };
        s.warm_up(sample_rate);
        s
    }

    /// Runs noise through it (at a range of speeds), so that every buffer the library grows
    /// while processing — its list of spectral peaks — has grown to its largest here.
    fn warm_up(&mut self, sample_rate: u32) {
        // A few analysis intervals of noise (the most peaks a spectrum has) are enough, and
        // keep making a stretcher cheap (`tests/no_alloc.rs` checks the audio side after it).
        let n = (sample_rate as usize / 6).max(1024);
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let noise: Vec<f32> = (0..2 * n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let mut out = vec![0.0f32; 2 * 256];
        for (i, chunk) in noise.chunks(2 * 320).enumerate() {
            let frames = 128 + (i % 3) * 64;
            self.inner.process(chunk, &mut out[..2 * frames]);
        }
        self.reset();
    }

    /// Forgets all audio (before reuse).
    pub fn reset(&mut self) {
        self.inner.reset();
        self.primed_to = None;
        self.plain_len = 0;
        self.plain_used = 0;
    }

    /// Audio side, after a pre-roll by [`seek`](Self::seek): `plain` (the source from where the
    /// voice is heard on) is played while the stretcher's output fills, then crossfaded into
    /// it (over [`CROSSFADE`] frames ending an output latency and a half-fade in).
    pub fn start_crossfade(&mut self, plain: &[[f32; 2]]) {
        let n = plain.len().min(self.plain.len());
        self.plain[..n].copy_from_slice(&plain[..n]);
        self.plain_len = n;
        self.plain_used = 0;
    }

    /// Output frames the crossfade lasts: until the stretcher's output has filled, and then
    /// [`CROSSFADE`] more.
    pub fn crossfade_frames(&self) -> usize {
        self.output_latency + CROSSFADE
    }

    /// Audio side: blends the plain source into `out` (just stretched) while a crossfade runs:
    /// output frame k of the crossfade plays source frame k·`rate` of `plain`.
    pub fn crossfade(&mut self, out: &mut [[f32; 2]], rate: f64) {
        let end = self.crossfade_frames();
        if self.plain_len == 0 || self.plain_used >= end {
            return;
        }
        let fade_from = end - CROSSFADE;
        for o in out.iter_mut() {
            let k = self.plain_used;
            if k >= end {
                break;
            }
            // The plain source at this speed, linearly interpolated.
            let at = k as f64 * rate;
            let i = (at as usize).min(self.plain_len - 1);
            let j = (i + 1).min(self.plain_len - 1);
            let t = (at - i as f64).clamp(0.0, 1.0) as f32;
            let (a, b) = (self.plain[i], self.plain[j]);
            let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            let x = if k < fade_from {
                0.0
            } else {
                (k - fade_from) as f32 / CROSSFADE as f32
            };
            o[0] = p[0] * (1.0 - x) + o[0] * x;
            o[1] = p[1] * (1.0 - x) + o[1] * x;
            self.plain_used += 1;
        }
    }

    /// Control side: runs the material leading up to where a voice is `heard` (at `rate`)
    /// through the stretcher, output discarded, so that its very next output is that
    /// position at full level (a pre-roll by `seek` leaves its output buffer empty: the first
    /// 60 ms would fade in). Past the end, a looped stem (`wrap`) goes on into its next pass;
    /// other frames outside `frames` count as silence.
    pub fn prime(&mut self, frames: &[[f32; 2]], wrap: Option<Loop>, heard: f64, rate: f64) {
        let read_to = (heard + self.lead(rate)).floor().max(0.0) as usize;
        let n = self.preroll + self.output_latency;
        let input: Vec<[f32; 2]> = (read_to as i64 - n as i64..read_to as i64)
            .map(|i| match (usize::try_from(i), wrap) {
                (Err(_), _) => [0.0; 2],
                (Ok(i), Some(l)) => l.sample(frames, i),
                (Ok(i), None) => frames.get(i).copied().unwrap_or([0.0; 2]),
            })
            .collect();
        // Fed at `rate` (input per output), so its state is that of a voice playing at it.
        let per = (512.0 * rate).round().max(1.0) as usize;
        let mut out = vec![[0.0f32; 2]; 512];
        for chunk in input.chunks(per) {
            let m = ((chunk.len() as f64 / rate).round() as usize).clamp(1, 512);
            self.process(chunk, &mut out[..m]);
        }
        self.primed_to = Some(read_to);
    }

    /// Gives previous input (`frames` as interleaved stereo) without producing output.
    pub fn seek(&mut self, input: &[[f32; 2]], rate: f64) {
        self.inner.seek(input.as_flattened(), rate);
    }

    /// Consumes `input` and produces `output` (its own length): the ratio is the speed.
    pub fn process(&mut self, input: &[[f32; 2]], output: &mut [[f32; 2]]) {
        self.inner
            .process(input.as_flattened(), output.as_flattened_mut());
    }

    /// Source frames the read position leads what is heard by, at `rate`.
    pub fn lead(&self, rate: f64) -> f64 {
        self.input_latency as f64 + self.output_latency as f64 * rate
    }
}
