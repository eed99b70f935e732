//! Transition material made from recorded audio (stems) and noise.

use crate::synth::StereoBuffer;

/// Frames of the short fades that keep slice edges click-free.
const EDGE: usize = 96;

/// A reversed swell: the first `frames` frames of `downbeat` (e.g. the target's first beat),
/// reversed and faded in with a rising curve, so that it swells *into* the downbeat. The result
/// has exactly `frames` frames (zero-padded when `downbeat` is shorter); it peaks at its end.
pub fn reverse_swell(downbeat: &StereoBuffer, frames: usize) -> StereoBuffer {
    let mut out = StereoBuffer::new(frames);
    let n = frames.min(downbeat.frames());
    for i in 0..n {
        // Frame i of the output is frame (n - 1 - i) of the source, placed at the end.
        let src = n - 1 - i;
        let dst = frames - n + i;
        let u = (dst + 1) as f32 / frames as f32;
        let g = u * u * u;
        out.left[dst] = downbeat.left[src] * g;
        out.right[dst] = downbeat.right[src] * g;
    }
    out
}

/// A beat-repeat of the outgoing `bar`: the bar's first `1/slices` repeated to fill the bar,
/// with the last quarter of the bar repeating at twice the rate (a stutter build). Each repeat
/// has short fades at its edges. The result has as many frames as `bar`.
pub fn stutter(bar: &StereoBuffer, slices: usize) -> StereoBuffer {
    let frames = bar.frames();
    let mut out = StereoBuffer::new(frames);
    let slices = slices.max(1);
    let slice = (frames / slices).max(1);
    let fast_from = frames - frames / 4;
    let mut pos = 0;
    while pos < frames {
        let len = if pos >= fast_from {
            (slice / 2).max(1)
        } else {
            slice
        };
        let len = len.min(frames - pos);
        let edge = EDGE.min(len / 4).max(1);
        for i in 0..len {
            let fade = ((i + 1) as f32 / edge as f32)
                .min((len - i) as f32 / edge as f32)
                .min(1.0);
            out.left[pos + i] = bar.left[i] * fade;
            out.right[pos + i] = bar.right[i] * fade;
        }
        pos += len;
    }
    out
}

/// A noise riser: stereo white noise through a band-pass sweeping from 200 Hz to 8 kHz, growing
/// from silence to about −6 dBFS, with a 5 ms fade at the very end. `frames` frames.
pub fn riser(frames: usize, sample_rate: u32, seed: u64) -> StereoBuffer {
    use crate::synth::dsp::{Noise, Svf};
    let sr = sample_rate as f32;
    let mut out = StereoBuffer::new(frames);
    let mut nl = Noise::new(crate::rng::mix(seed, 1));
    let mut nr = Noise::new(crate::rng::mix(seed, 2));
    let mut fl = Svf::new(200.0, 1.5, sr);
    let mut fr = fl;
    let tail = ((0.005 * sr) as usize).max(1);
    for i in 0..frames {
        let u = i as f32 / frames.max(1) as f32;
        if i % 32 == 0 {
            let fc = 200.0 * 40f32.powf(u * u);
            fl.set(fc, 1.5 + 3.0 * u, sr);
            fr.set(fc * 1.03, 1.5 + 3.0 * u, sr);
        }
        let end_fade = ((frames - i) as f32 / tail as f32).min(1.0);
        let g = 0.9 * u * u * end_fade;
        out.left[i] = fl.process(nl.next()).band * g;
        out.right[i] = fr.process(nr.next()).band * g;
    }
    let peak = out.peak();
    if peak > 0.5 {
        out.scale(0.5 / peak);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(frames: usize) -> StereoBuffer {
        let mut b = StereoBuffer::new(frames);
        for i in 0..frames {
            b.left[i] = (i as f32 * 0.01).sin() * 0.5;
            b.right[i] = (i as f32 * 0.013).sin() * 0.5;
        }
        b
    }

    #[test]
    fn reverse_swell_is_reversed_and_rises() {
        let src = ramp(1000);
        let out = reverse_swell(&src, 1000);
        assert_eq!(out.frames(), 1000);
        assert!((out.left[999] - src.left[0]).abs() < 1e-6);
        assert!((out.left[900] - src.left[99] * (901.0f32 / 1000.0).powi(3)).abs() < 1e-6);
        let first: f32 = out.left[..500].iter().map(|x| x.abs()).sum();
        let last: f32 = out.left[500..].iter().map(|x| x.abs()).sum();
        assert!(last > first * 3.0);
        // Longer than the source: silence first.
        let long = reverse_swell(&src, 1500);
        assert!(long.left[..500].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn stutter_repeats_the_first_slice() {
        let src = ramp(4000);
        let out = stutter(&src, 8);
        assert_eq!(out.frames(), 4000);
        // Middle of the second slice equals the middle of the first.
        assert_eq!(out.left[500 + 250], src.left[250]);
        assert_eq!(out.left[250], src.left[250]);
        // Edges are faded.
        assert!(out.left[500].abs() < 0.02);
    }

    #[test]
    fn riser_rises_and_is_deterministic() {
        let a = riser(48_000, 48_000, 3);
        assert_eq!(a, riser(48_000, 48_000, 3));
        let energy = |s: &[f32]| s.iter().map(|x| x * x).sum::<f32>();
        assert!(energy(&a.left[36_000..47_000]) > 10.0 * energy(&a.left[..12_000]));
        assert!(a.peak() <= 0.5 + 1e-6 && a.is_finite());
        assert!(a.left[47_999].abs() < 0.01);
    }
}
