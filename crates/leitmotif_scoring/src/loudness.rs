//! Delivery loudness: the mix normalised to an integrated loudness (EBU R128 / ITU-R BS.1770,
//! measured with the ebur128 crate) under a true-peak ceiling.
//!
//! The render is deterministic, so it is rendered twice: once to measure, once to write with
//! the gain that reaches the target. Where the gain would push the mix over the ceiling, a
//! look-ahead peak limiter (1.5 ms, 100 ms release) holds it under the ceiling minus a margin
//! for inter-sample peaks; its delay is taken back, so every frame stays where it was. Stems
//! get the gain only (they are for the mixer, who will limit the sum again).

use ebur128::{EbuR128, Mode};

/// A delivery target (`--loudness -23 --true-peak -1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessTarget {
    /// Integrated loudness wanted, in LUFS (e.g. −23 EBU R128, −24 ATSC A/85, −27 Netflix
    /// dialogue-gated programmes use their own; any value −70..=0).
    pub lufs: f64,
    /// True-peak ceiling in dBTP (e.g. −1).
    pub true_peak_db: f64,
}

/// What normalising did, for the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReport {
    /// The target.
    pub target: LoudnessTarget,
    /// Integrated loudness of the mix as rendered, in LUFS.
    pub measured_lufs: f64,
    /// Gain applied to the mix and the stems, in dB.
    pub gain_db: f64,
    /// Integrated loudness of the written mix, in LUFS.
    pub integrated_lufs: f64,
    /// True peak of the written mix, in dBTP.
    pub true_peak_db: f64,
    /// Loudness range of the written mix, in LU.
    pub range_lu: f64,
}

/// A meter of integrated loudness, true peak and loudness range.
pub(crate) struct Meter(EbuR128, Vec<f32>);

impl Meter {
    pub(crate) fn new(sample_rate: u32) -> Meter {
        Meter(
            EbuR128::new(2, sample_rate, Mode::I | Mode::TRUE_PEAK | Mode::LRA)
                .expect("2 channels at a valid rate"),
            Vec::new(),
        )
    }

    pub(crate) fn add(&mut self, frames: &[[f32; 2]]) {
        self.1.clear();
        self.1.extend(frames.iter().flat_map(|f| [f[0], f[1]]));
        let _ = self.0.add_frames_f32(&self.1);
    }

    pub(crate) fn integrated(&self) -> f64 {
        self.0.loudness_global().unwrap_or(f64::NEG_INFINITY)
    }

    pub(crate) fn true_peak_db(&self) -> f64 {
        let p = (0..2)
            .filter_map(|c| self.0.true_peak(c).ok())
            .fold(0.0f64, f64::max);
        20.0 * p.max(1e-12).log10()
    }

    pub(crate) fn range(&self) -> f64 {
        self.0.loudness_range().unwrap_or(0.0)
    }
}

/// The mix's short-term loudness over time, as written (after normalisation when asked for),
/// for the timeline picture's loudness lane.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessCurve {
    /// Seconds between readings (0.1, to the nearest sample frame).
    pub interval_s: f64,
    /// Short-term loudness in LUFS (EBU R128: the last 3 s, K-weighted) read at `interval_s`,
    /// `2 × interval_s`, …, each of the 3 s up to its time; −∞ for silence.
    pub short_term_lufs: Vec<f64>,
    /// Integrated loudness of the whole mix, in LUFS (−∞ for silence).
    pub integrated_lufs: f64,
}

impl LoudnessCurve {
    /// The readings as (seconds, LUFS).
    pub fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.short_term_lufs
            .iter()
            .enumerate()
            .map(|(i, &l)| ((i + 1) as f64 * self.interval_s, l))
    }
}

/// Records a [`LoudnessCurve`] from the frames it is given, one short-term reading every
/// 100 ms.
pub(crate) struct CurveMeter {
    ebu: EbuR128,
    buf: Vec<f32>,
    every: usize,
    sample_rate: u32,
    /// Frames until the next reading.
    left: usize,
    readings: Vec<f64>,
}

impl CurveMeter {
    pub(crate) fn new(sample_rate: u32) -> CurveMeter {
        let every = (sample_rate as usize / 10).max(1);
        CurveMeter {
            ebu: EbuR128::new(2, sample_rate, Mode::S | Mode::I)
                .expect("2 channels at a valid rate"),
            buf: Vec::new(),
            every,
            sample_rate,
            left: every,
            readings: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, mut frames: &[[f32; 2]]) {
        while !frames.is_empty() {
            let n = self.left.min(frames.len());
            self.buf.clear();
            self.buf
                .extend(frames[..n].iter().flat_map(|f| [f[0], f[1]]));
            let _ = self.ebu.add_frames_f32(&self.buf);
            frames = &frames[n..];
            self.left -= n;
            if self.left == 0 {
                self.left = self.every;
                let l = self.ebu.loudness_shortterm().unwrap_or(f64::NEG_INFINITY);
                self.readings.push(l);
            }
        }
    }

    pub(crate) fn finish(self) -> LoudnessCurve {
        LoudnessCurve {
            interval_s: self.every as f64 / f64::from(self.sample_rate),
            short_term_lufs: self.readings,
            integrated_lufs: self.ebu.loudness_global().unwrap_or(f64::NEG_INFINITY),
        }
    }
}

/// Inter-sample peaks of music rarely pass the sample peak by more than this (dB); the
/// limiter aims this far under the ceiling.
const TRUE_PEAK_MARGIN_DB: f64 = 1.0;

/// The gain and limiter applied to the mix while it is written.
pub(crate) struct Normaliser {
    gain: f32,
    ceiling: f32,
    /// Look-ahead, in frames.
    look: usize,
    /// Delayed input (already gained), a ring of `look + 1` frames.
    delay: Vec<[f32; 2]>,
    /// The gain each delayed frame needs alone, same ring.
    need: Vec<f32>,
    head: usize,
    /// Frames of output still to drop (the look-ahead's delay, taken back).
    skip: usize,
    g: f32,
    release: f32,
    pub(crate) after: Meter,
}

impl Normaliser {
    pub(crate) fn new(target: LoudnessTarget, measured: f64, sample_rate: u32) -> Normaliser {
        let gain_db = if measured.is_finite() {
            target.lufs - measured
        } else {
            0.0
        };
        let look = (0.0015 * sample_rate as f64).round() as usize;
        Normaliser {
            gain: 10f64.powf(gain_db / 20.0) as f32,
            ceiling: 10f64.powf((target.true_peak_db - TRUE_PEAK_MARGIN_DB) / 20.0) as f32,
            look,
            delay: vec![[0.0; 2]; look + 1],
            need: vec![1.0; look + 1],
            head: 0,
            skip: look,
            g: 1.0,
            release: 1.0 - (-1.0 / (0.1 * sample_rate as f32)).exp(),
            after: Meter::new(sample_rate),
        }
    }

    /// The gain applied, in dB.
    pub(crate) fn gain_db(&self) -> f64 {
        20.0 * (self.gain as f64).log10()
    }

    /// The stems' copy: the gain only.
    pub(crate) fn gain_only(&self, frames: &[[f32; 2]], out: &mut Vec<[f32; 2]>) {
        out.clear();
        out.extend(frames.iter().map(|f| [f[0] * self.gain, f[1] * self.gain]));
    }

    /// Gains and limits `frames` into `out` (the same number of frames, minus the look-ahead
    /// at the very start).
    pub(crate) fn process(&mut self, frames: &[[f32; 2]], out: &mut Vec<[f32; 2]>) {
        out.clear();
        for f in frames {
            self.push([f[0] * self.gain, f[1] * self.gain], out);
        }
        self.after.add(out);
    }

    /// The look-ahead's last frames (at the end of the render).
    pub(crate) fn flush(&mut self, out: &mut Vec<[f32; 2]>) {
        out.clear();
        for _ in 0..self.look {
            self.push([0.0; 2], out);
        }
        self.after.add(out);
    }

    fn push(&mut self, x: [f32; 2], out: &mut Vec<[f32; 2]>) {
        let n = self.delay.len();
        let peak = x[0].abs().max(x[1].abs());
        self.delay[self.head] = x;
        self.need[self.head] = if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        };
        self.head = (self.head + 1) % n;
        // The oldest frame leaves now; the gain must already be down for every frame up to
        // `look` ahead of it (the whole ring).
        let want = self.need.iter().copied().fold(1.0f32, f32::min);
        self.g = if want < self.g {
            want
        } else {
            self.g + (want - self.g) * self.release
        };
        let y = self.delay[self.head];
        let g = self.g.min(self.need[self.head]);
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            out.push([y[0] * g, y[1] * g]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CurveMeter;

    /// `seconds` of a 1 kHz sine at `amp` (both channels) at 48 kHz.
    fn sine(amp: f32, seconds: f32) -> Vec<[f32; 2]> {
        (0..(seconds * 48_000.0) as usize)
            .map(|i| {
                let s = amp * (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / 48_000.0).sin();
                [s, s]
            })
            .collect()
    }

    #[test]
    fn the_curve_reads_short_term_loudness_every_100_ms() {
        let mut m = CurveMeter::new(48_000);
        // Silence, then a quiet tone, then one 5× (≈ 14 dB) louder, in odd-sized blocks.
        let audio: Vec<[f32; 2]> = [sine(0.0, 1.0), sine(0.1, 4.0), sine(0.5, 4.0)].concat();
        for block in audio.chunks(777) {
            m.add(block);
        }
        let c = m.finish();
        assert!((c.interval_s - 0.1).abs() < 1e-12);
        assert_eq!(c.short_term_lufs.len(), 90);
        let at = |t: f64| c.short_term_lufs[(t / c.interval_s).round() as usize - 1];
        assert_eq!(at(0.5), f64::NEG_INFINITY, "silence");
        let (quiet, loud) = (at(4.9), at(8.9));
        assert!(quiet.is_finite() && quiet < -10.0, "{quiet}");
        assert!(
            ((loud - quiet) - 20.0 * 5f64.log10()).abs() < 0.3,
            "{quiet} → {loud}"
        );
        // Rising while the 3 s window fills with the louder tone.
        assert!(
            at(5.5) < at(6.5) && at(6.5) < at(7.5),
            "{} {} {}",
            at(5.5),
            at(6.5),
            at(7.5)
        );
        let points: Vec<(f64, f64)> = c.points().collect();
        assert!((points[88].0 - 8.9).abs() < 1e-9 && points[88].1 == loud);
        assert!(c.integrated_lufs > quiet && c.integrated_lufs < loud);
    }
}
