//! Synthesised drum kit addressed by General MIDI percussion keys.

use std::f32::consts::TAU;

use super::dsp::{Noise, Svf, pan_gains, release};
use super::{NoteCtx, StereoBuffer};

/// Inharmonic square partials of a metallic cymbal (the classic six-oscillator recipe).
const METAL: [f32; 6] = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0];

/// One drum hit; the key selects the drum.
pub(super) fn hit(out: &mut StereoBuffer, c: &NoteCtx) {
    match c.note.pitch {
        35 | 36 => kick(out, c),
        37 => rim(out, c),
        38 | 40 => snare(out, c),
        39 => clap(out, c),
        42 | 44 => hat(out, c, 0.045, 0.3),
        46 => hat(out, c, 0.35, 0.3),
        41 | 43 | 45 | 47 | 48 | 50 => tom(out, c),
        51 | 53 | 59 => cymbal(out, c, 0.9, 0.25, 0.3),
        _ => cymbal(out, c, 1.6, 0.4, -0.35),
    }
}

/// Kick: a sine whose pitch sweeps from ~160 Hz down to 50 Hz, plus a short click.
fn kick(out: &mut StereoBuffer, c: &NoteCtx) {
    let mut noise = Noise::new(c.seed);
    let mut phase = 0.0f32;
    let n = c.frames(0.08, 0.6);
    let gain = 0.6 * c.amp;
    for i in 0..n {
        let t = i as f32 / c.sr;
        let f = 48.0 + 115.0 * (-t / 0.035).exp();
        let body = (phase * TAU).sin() * (-t / 0.32).exp();
        phase += f / c.sr;
        phase -= phase.floor();
        let click = noise.next() * 0.25 * (-t / 0.0015).exp();
        let y = (body + click) * gain * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y, y);
    }
}

/// Snare: two damped tones plus band-passed noise for the wires.
fn snare(out: &mut StereoBuffer, c: &NoteCtx) {
    let mut noise = Noise::new(c.seed);
    let mut bp = Svf::new(3200.0, 0.6, c.sr);
    let (mut p1, mut p2) = (0.0f32, 0.0f32);
    let n = c.frames(0.08, 0.45);
    let gain = 0.55 * c.amp;
    let (pl, pr) = pan_gains(0.05);
    for i in 0..n {
        let t = i as f32 / c.sr;
        let tone = ((p1 * TAU).sin() * 0.6 + (p2 * TAU).sin() * 0.35) * (-t / 0.06).exp();
        p1 = (p1 + 185.0 / c.sr).fract();
        p2 = (p2 + 332.0 / c.sr).fract();
        let wires = bp.process(noise.next()).band * 1.4 * (-t / 0.13).exp();
        let attack = (t / 0.0005).min(1.0);
        let y = (tone + wires) * gain * attack * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y * pl, y * pr);
    }
}

/// Side stick: a very short resonant click.
fn rim(out: &mut StereoBuffer, c: &NoteCtx) {
    let mut noise = Noise::new(c.seed);
    let mut bp = Svf::new(1700.0, 6.0, c.sr);
    let n = c.frames(0.08, 0.08);
    let gain = 0.9 * c.amp;
    for i in 0..n {
        let t = i as f32 / c.sr;
        let exc = noise.next() * (-t / 0.002).exp();
        let y = bp.process(exc).band * gain * (-t / 0.025).exp() * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y * 0.8, y * 0.6);
    }
}

/// Hand clap: three quick noise bursts and a short tail.
fn clap(out: &mut StereoBuffer, c: &NoteCtx) {
    let mut noise = Noise::new(c.seed);
    let mut bp = Svf::new(1200.0, 1.2, c.sr);
    let n = c.frames(0.08, 0.3);
    let gain = 0.9 * c.amp;
    for i in 0..n {
        let t = i as f32 / c.sr;
        let bursts = [0.0f32, 0.011, 0.022]
            .iter()
            .map(|&o| {
                if t >= o {
                    (-(t - o) / 0.004).exp()
                } else {
                    0.0
                }
            })
            .sum::<f32>();
        let env = bursts * 0.6
            + if t > 0.022 {
                (-(t - 0.022) / 0.08).exp()
            } else {
                0.0
            };
        let y = bp.process(noise.next()).band * env * gain * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y * 0.6, y * 0.8);
    }
}

/// Metallic square partials mixed with noise.
struct Metal {
    phases: [f32; 6],
    noise: Noise,
}

impl Metal {
    fn next(&mut self, sr: f32) -> f32 {
        let mut s = 0.0;
        for (p, f) in self.phases.iter_mut().zip(METAL) {
            *p = (*p + f * 1.7 / sr).fract();
            s += if *p < 0.5 { 1.0 } else { -1.0 };
        }
        s / 6.0 * 0.6 + self.noise.next() * 0.6
    }
}

/// Hi-hat: high-passed metal, `decay` seconds.
fn hat(out: &mut StereoBuffer, c: &NoteCtx, decay: f32, pan: f32) {
    let mut metal = Metal {
        phases: [0.0; 6],
        noise: Noise::new(c.seed),
    };
    let mut hp = Svf::new(7500.0, 0.7, c.sr);
    let mut bp = Svf::new(10_000.0, 0.8, c.sr);
    let n = c.frames(0.08, decay * 6.0);
    let gain = 0.5 * c.amp;
    let (pl, pr) = pan_gains(pan);
    for i in 0..n {
        let t = i as f32 / c.sr;
        let x = hp.process(metal.next(c.sr)).high;
        let y = (x + bp.process(x).band) * gain * (-t / decay).exp() * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y * pl, y * pr);
    }
}

/// Crash / ride: long band-limited metal, choked by note-off.
fn cymbal(out: &mut StereoBuffer, c: &NoteCtx, decay: f32, level: f32, pan: f32) {
    let mut metal = Metal {
        phases: [0.11, 0.37, 0.53, 0.71, 0.29, 0.83],
        noise: Noise::new(c.seed),
    };
    let mut hp = Svf::new(4000.0, 0.7, c.sr);
    let mut lp = Svf::new(12_000.0, 0.7, c.sr);
    let n = c.frames(0.08, decay * 5.0);
    let gain = level * c.amp;
    let (pl, pr) = pan_gains(pan);
    for i in 0..n {
        let t = i as f32 / c.sr;
        let x = lp.process(hp.process(metal.next(c.sr)).high).low;
        let attack = (t / 0.002).min(1.0);
        let y = x * gain * attack * (-t / decay).exp() * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y * pl, y * pr);
    }
}

/// Tom: a pitch-swept sine tuned by the key, with a little noise.
fn tom(out: &mut StereoBuffer, c: &NoteCtx) {
    let key = c.note.pitch as f32;
    let base = 70.0 * ((key - 41.0) / 12.0 * 1.3).exp2();
    let mut noise = Noise::new(c.seed);
    let mut phase = 0.0f32;
    let n = c.frames(0.08, 0.7);
    let gain = 0.55 * c.amp;
    let (pl, pr) = pan_gains((key - 45.5) / 6.0 * 0.6);
    for i in 0..n {
        let t = i as f32 / c.sr;
        let f = base * (1.0 + 0.6 * (-t / 0.05).exp());
        let body = (phase * TAU).sin() * (-t / 0.25).exp();
        phase = (phase + f / c.sr).fract();
        let y = (body + noise.next() * 0.12 * (-t / 0.01).exp()) * gain * release(t, c.off, 0.08);
        out.add(c.note.start_frame + i, y * pl, y * pr);
    }
}
