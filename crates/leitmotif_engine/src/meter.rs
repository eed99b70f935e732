//! Meters the audio side publishes: per layer and per bus peak/RMS (atomics, read by the game
//! at any time) and the output's EBU R128 loudness (momentary 400 ms and short-term 3 s, K-weighted,
//! ITU-R BS.1770), computed on the audio thread without allocation.

use std::sync::atomic::{AtomicU32, Ordering};

/// One level, published by the audio side: peak since the last read, RMS of the last block,
/// and a sidechain's attenuation (buses).
#[derive(Debug, Default)]
pub struct LevelCell {
    peak: AtomicU32,
    rms: AtomicU32,
    duck_db: AtomicU32,
}

/// A level as read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Level {
    /// Peak sample magnitude since the last read.
    pub peak: f32,
    /// RMS of the last block rendered.
    pub rms: f32,
    /// A sidechain's attenuation in dB (0 without one).
    pub duck_db: f32,
}

impl LevelCell {
    /// Audio side: what a block measured (peaks accumulate until read).
    pub fn publish(&self, peak: f32, rms: f32, duck_db: f32) {
        // Non-negative floats order like their bits.
        self.peak
            .fetch_max(peak.max(0.0).to_bits(), Ordering::Relaxed);
        self.rms.store(rms.to_bits(), Ordering::Relaxed);
        self.duck_db.store(duck_db.to_bits(), Ordering::Relaxed);
    }

    /// Control side: the level, resetting the peak.
    pub fn read(&self) -> Level {
        Level {
            peak: f32::from_bits(self.peak.swap(0, Ordering::Relaxed)),
            rms: f32::from_bits(self.rms.load(Ordering::Relaxed)),
            duck_db: f32::from_bits(self.duck_db.load(Ordering::Relaxed)),
        }
    }
}

/// A biquad (transposed direct form II), per channel.
#[derive(Debug, Clone, Copy, Default)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [[f64; 2]; 2],
}

impl Biquad {
    #[inline]
    fn run(&mut self, ch: usize, x: f64) -> f64 {
        let z = &mut self.z[ch];
        let y = self.b[0] * x + z[0];
        z[0] = self.b[1] * x - self.a[0] * y + z[1];
        z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}

/// Blocks of 100 ms kept: 3 s, the short-term window.
const BLOCKS: usize = 30;

/// EBU R128 momentary and short-term loudness of a stereo signal (see the module docs).
#[derive(Debug, Clone)]
pub struct Loudness {
    shelf: Biquad,
    highpass: Biquad,
    /// Frames per 100 ms block.
    block: usize,
    acc: f64,
    filled: usize,
    /// Mean square (summed over channels) of the last blocks, a ring.
    ring: [f64; BLOCKS],
    head: usize,
    blocks: usize,
}

impl Loudness {
    /// A meter for `sample_rate` (the K-weighting filters are derived for it, as libebur128
    /// does).
    pub fn new(sample_rate: u32) -> Loudness {
        let fs = sample_rate as f64;
        // Stage 1: high shelf (+4 dB at high frequencies).
        let (f0, g, q) = (
            1_681.974_450_955_533,
            3.999_843_853_973_347,
            0.707_175_236_955_419_6,
        );
        let k = (std::f64::consts::PI * f0 / fs).tan();
        let vh = 10f64.powf(g / 20.0);
        let vb = vh.powf(0.499_666_774_154_541_6);
        let a0 = 1.0 + k / q + k * k;
        let shelf = Biquad {
            b: [
                (vh + vb * k / q + k * k) / a0,
                2.0 * (k * k - vh) / a0,
                (vh - vb * k / q + k * k) / a0,
            ],
            a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
            z: [[0.0; 2]; 2],
        };
        // Stage 2: high-pass (RLB weighting).
        let (f0, q) = (38.135_470_876_024_44, 0.500_327_037_323_877_3);
        let k = (std::f64::consts::PI * f0 / fs).tan();
        let a0 = 1.0 + k / q + k * k;
        let highpass = Biquad {
            b: [1.0, -2.0, 1.0],
            a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
            z: [[0.0; 2]; 2],
        };
        Loudness {
            shelf,
            highpass,
            block: (sample_rate as usize / 10).max(1),
            acc: 0.0,
            filled: 0,
            ring: [0.0; BLOCKS],
            head: 0,
            blocks: 0,
        }
    }

    /// Audio side: measures `frames`.
    pub fn push(&mut self, frames: &[[f32; 2]]) {
        for f in frames {
            for (ch, &x) in f.iter().enumerate() {
                let y = self.highpass.run(ch, self.shelf.run(ch, x as f64));
                self.acc += y * y;
            }
            self.filled += 1;
            if self.filled == self.block {
                self.ring[self.head] = self.acc / self.block as f64;
                self.head = (self.head + 1) % BLOCKS;
                self.blocks = (self.blocks + 1).min(BLOCKS);
                self.acc = 0.0;
                self.filled = 0;
            }
        }
    }

    fn over(&self, n: usize) -> f64 {
        let n = n.min(self.blocks);
        if n == 0 {
            return f64::NEG_INFINITY;
        }
        let sum: f64 = (1..=n)
            .map(|k| self.ring[(self.head + BLOCKS - k) % BLOCKS])
            .sum();
        let ms = sum / n as f64;
        if ms <= 0.0 {
            f64::NEG_INFINITY
        } else {
            -0.691 + 10.0 * ms.log10()
        }
    }

    /// Momentary loudness (last 400 ms) in LUFS (−∞ for silence).
    pub fn momentary(&self) -> f64 {
        self.over(4)
    }

    /// Short-term loudness (last 3 s) in LUFS (−∞ for silence).
    pub fn short_term(&self) -> f64 {
        self.over(BLOCKS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agrees with the ebur128 crate (libebur128's algorithm) on music-like noise and tones.
    #[test]
    fn short_term_matches_ebur128() {
        for sr in [44_100u32, 48_000] {
            let mut m = Loudness::new(sr);
            let mut r = ebur128::EbuR128::new(2, sr, ebur128::Mode::S | ebur128::Mode::M).unwrap();
            let mut seed = 1u32;
            let frames: Vec<[f32; 2]> = (0..sr as usize * 4)
                .map(|i| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let noise = (seed >> 9) as f32 / (1u32 << 23) as f32 - 0.5;
                    let t = i as f32 / sr as f32;
                    let tone = (std::f32::consts::TAU * 997.0 * t).sin() * 0.2;
                    [tone + noise * 0.1, tone * 0.5 + noise * 0.2]
                })
                .collect();
            m.push(&frames);
            let inter: Vec<f32> = frames.iter().flat_map(|f| [f[0], f[1]]).collect();
            r.add_frames_f32(&inter).unwrap();
            let (ours, theirs) = (m.short_term(), r.loudness_shortterm().unwrap());
            assert!((ours - theirs).abs() < 0.1, "{sr}: {ours} vs {theirs}");
            let (ours, theirs) = (m.momentary(), r.loudness_momentary().unwrap());
            assert!((ours - theirs).abs() < 0.1, "{sr}: {ours} vs {theirs}");
        }
    }
}
