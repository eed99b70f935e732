//! Subtractive instruments: pad, bass, lead and strings (`PolyBLEP` saws into a state-variable
//! low-pass filter).

use std::f32::consts::TAU;

use super::dsp::{Adsr, Noise, Saw, Sine, Svf, midi_hz, pan_gains};
use super::{NoteCtx, StereoBuffer};

/// Coefficients are refreshed every this many samples.
const CONTROL: usize = 32;

/// Detuned saws spread across the stereo field through one low-pass per side.
struct Ensemble<const N: usize> {
    saws: [Saw; N],
    ratios: [f32; N],
    pans: [(f32, f32); N],
}

impl<const N: usize> Ensemble<N> {
    fn new(cents: [f32; N], noise: &mut Noise) -> Self {
        let saws = [(); N].map(|_| Saw {
            phase: noise.unit(),
        });
        let ratios = cents.map(|c| (c / 1200.0).exp2());
        let mut pans = [(0.0, 0.0); N];
        for (i, p) in pans.iter_mut().enumerate() {
            let pos = if N > 1 {
                i as f32 / (N - 1) as f32 * 2.0 - 1.0
            } else {
                0.0
            };
            *p = pan_gains(pos * 0.8);
        }
        Ensemble { saws, ratios, pans }
    }

    #[inline]
    fn next(&mut self, inc: f32) -> (f32, f32) {
        let (mut l, mut r) = (0.0, 0.0);
        for i in 0..N {
            let s = self.saws[i].next(inc * self.ratios[i]);
            l += s * self.pans[i].0;
            r += s * self.pans[i].1;
        }
        (l, r)
    }
}

/// Slow detuned-saw pad with a gently moving low-pass and a slow attack.
pub(super) fn pad(out: &mut StereoBuffer, c: &NoteCtx) {
    let env = Adsr {
        a: 0.35,
        d: 0.8,
        s: 0.8,
        r: 0.6,
    };
    let mut noise = Noise::new(c.seed);
    let mut ens = Ensemble::new([-11.0, -4.0, 3.0, 9.0], &mut noise);
    let mut sub = Sine::default();
    let base = midi_hz(c.note.pitch as f32) / c.sr;
    let cutoff = 700.0 + 1400.0 * c.amp;
    let mut fl = Svf::new(cutoff, 0.8, c.sr);
    let mut fr = fl;
    let lfo_phase = noise.unit() * TAU;
    let gain = 0.16 * c.amp;
    let n = c.frames(env.r, 60.0);
    for i in 0..n {
        let t = i as f32 / c.sr;
        if i % CONTROL == 0 {
            let wobble = 1.0 + 0.25 * (TAU * 0.15 * t + lfo_phase).sin();
            fl.set(cutoff * wobble, 0.8, c.sr);
            fr.set(cutoff * wobble * 1.07, 0.8, c.sr);
        }
        let (l, r) = ens.next(base);
        let s = 0.5 * sub.next(base * 0.5);
        let e = env.level(t, c.off) * gain;
        out.add(
            c.note.start_frame + i,
            (fl.process(l + s).low) * e,
            (fr.process(r + s).low) * e,
        );
    }
}

/// Saw plus sine sub with a plucky filter envelope.
pub(super) fn bass(out: &mut StereoBuffer, c: &NoteCtx) {
    let env = Adsr {
        a: 0.004,
        d: 0.35,
        s: 0.7,
        r: 0.06,
    };
    let mut noise = Noise::new(c.seed);
    let mut saw = Saw {
        phase: noise.unit(),
    };
    let mut sub = Sine::default();
    let inc = midi_hz(c.note.pitch as f32) / c.sr;
    let mut f = Svf::new(2000.0, 1.1, c.sr);
    let gain = 0.42 * c.amp;
    let n = c.frames(env.r, 30.0);
    for i in 0..n {
        let t = i as f32 / c.sr;
        if i % CONTROL == 0 {
            let fc = 120.0 + 2400.0 * c.amp * (-t / 0.09).exp() + 4.0 * inc * c.sr;
            f.set(fc, 1.1, c.sr);
        }
        let x = 0.6 * saw.next(inc) + 0.7 * sub.next(inc);
        let y = f.process(x).low * env.level(t, c.off) * gain;
        out.add(c.note.start_frame + i, y, y);
    }
}

/// Two detuned saws with delayed vibrato: a singing lead.
pub(super) fn lead(out: &mut StereoBuffer, c: &NoteCtx) {
    let env = Adsr {
        a: 0.015,
        d: 0.25,
        s: 0.75,
        r: 0.12,
    };
    let mut noise = Noise::new(c.seed);
    let mut ens = Ensemble::new([-6.0, 6.0], &mut noise);
    let mut vib = Sine::default();
    let base = midi_hz(c.note.pitch as f32) / c.sr;
    let cutoff = 1800.0 + 2500.0 * c.amp;
    let mut fl = Svf::new(cutoff, 0.9, c.sr);
    let mut fr = fl;
    let gain = 0.3 * c.amp;
    let n = c.frames(env.r, 30.0);
    let mut depth = 0.0;
    for i in 0..n {
        let t = i as f32 / c.sr;
        if i % CONTROL == 0 {
            depth = 0.004 * ((t - 0.25) / 0.4).clamp(0.0, 1.0);
            let bright = 1.0 + 0.6 * (-t / 0.2).exp();
            fl.set(cutoff * bright, 0.9, c.sr);
            fr.set(cutoff * bright, 0.9, c.sr);
        }
        let v = 1.0 + depth * vib.next(5.5 / c.sr);
        let (l, r) = ens.next(base * v);
        let e = env.level(t, c.off) * gain;
        out.add(
            c.note.start_frame + i,
            fl.process(l).low * e,
            fr.process(r).low * e,
        );
    }
}

/// Section strings: five detuned saws with independent vibrato, soft attack.
pub(super) fn strings(out: &mut StereoBuffer, c: &NoteCtx) {
    let env = Adsr {
        a: 0.18,
        d: 1.0,
        s: 0.85,
        r: 0.4,
    };
    let mut noise = Noise::new(c.seed);
    let mut ens = Ensemble::new([-12.0, -5.0, 0.0, 5.0, 12.0], &mut noise);
    let mut vib = Sine {
        phase: noise.unit(),
    };
    let base = midi_hz(c.note.pitch as f32) / c.sr;
    let cutoff = 1400.0 + 1800.0 * c.amp;
    let mut fl = Svf::new(cutoff, 0.7, c.sr);
    let mut fr = fl;
    let mut hl = Svf::new(180.0, 0.7, c.sr);
    let mut hr = hl;
    let gain = 0.14 * c.amp;
    let pan = pan_gains(c.pitch_pan(0.4));
    let n = c.frames(env.r, 60.0);
    for i in 0..n {
        let t = i as f32 / c.sr;
        let v = 1.0 + 0.0025 * vib.next(5.0 / c.sr);
        let (l, r) = ens.next(base * v);
        let e = env.level(t, c.off) * gain;
        let yl = hl.process(fl.process(l).low).high * e;
        let yr = hr.process(fr.process(r).low).high * e;
        out.add(c.note.start_frame + i, yl * pan.0 * 1.4, yr * pan.1 * 1.4);
    }
}
