//! Karplus–Strong plucked string.

use super::dsp::{Noise, Svf, midi_hz, pan_gains, release};
use super::{NoteCtx, StereoBuffer};

/// Plucked string: a noise burst (brighter with velocity) circulating in a damped delay line
/// with a fractional-delay read for accurate tuning.
pub(super) fn pluck(out: &mut StereoBuffer, c: &NoteCtx) {
    let f = midi_hz(c.note.pitch as f32);
    // The two-tap average adds half a sample of delay.
    let period = (c.sr / f - 0.5).max(2.0);
    let len = period.floor() as usize + 2;
    let frac = period - period.floor();
    let mut line = vec![0.0f32; len];
    let mut noise = Noise::new(c.seed);
    let mut shaper = Svf::new(800.0 + 6000.0 * c.amp, 0.7, c.sr);
    for x in line.iter_mut() {
        *x = shaper.process(noise.next()).low;
    }
    // Remove DC from the excitation so the string rings symmetrically.
    let mean = line.iter().sum::<f32>() / len as f32;
    for x in line.iter_mut() {
        *x -= mean;
    }
    let decay_s = (3.0 * (220.0 / f).powf(0.6)).clamp(0.5, 6.0);
    // Per-period loss so the string decays by 60 dB in `decay_s`.
    let loss = 10f32.powf(-3.0 / (decay_s * f));
    let rel = 0.08;
    let n = c.frames(rel, decay_s * 1.5);
    let gain = 0.55 * c.amp;
    let (pl, pr) = pan_gains(c.pitch_pan(0.5));
    let mut write = 0usize;
    let mut prev = 0.0f32;
    let delay = period.floor() as usize;
    for i in 0..n {
        let t = i as f32 / c.sr;
        // Read `delay` and `delay + 1` samples back and interpolate.
        let r0 = line[(write + len - delay) % len];
        let r1 = line[(write + len - delay - 1) % len];
        let y = r0 + (r1 - r0) * frac;
        let fb = 0.5 * (y + prev) * loss;
        prev = y;
        line[write] = fb;
        write = (write + 1) % len;
        let attack = (t / 0.001).min(1.0);
        let s = y * gain * attack * release(t, c.off, rel);
        out.add(c.note.start_frame + i, s * pl, s * pr);
    }
}
