//! Small DSP building blocks: oscillators, filter, noise, envelopes. No allocation.

use std::f32::consts::{PI, TAU};

/// MIDI pitch to frequency in Hz (A4 = 440 Hz).
pub(crate) fn midi_hz(pitch: f32) -> f32 {
    440.0 * ((pitch - 69.0) / 12.0).exp2()
}

/// Band-limited sawtooth (`PolyBLEP`), phase in 0..1.
#[derive(Clone, Copy)]
pub(crate) struct Saw {
    pub phase: f32,
}

impl Saw {
    #[inline]
    pub fn next(&mut self, inc: f32) -> f32 {
        let t = self.phase;
        let mut y = 2.0 * t - 1.0;
        y -= poly_blep(t, inc);
        self.phase += inc;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
        y
    }
}

#[inline]
fn poly_blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

/// Sine oscillator by phase accumulation (phase in 0..1).
#[derive(Clone, Copy, Default)]
pub(crate) struct Sine {
    pub phase: f32,
}

impl Sine {
    #[inline]
    pub fn next(&mut self, inc: f32) -> f32 {
        let y = (self.phase * TAU).sin();
        self.phase += inc;
        self.phase -= self.phase.floor();
        y
    }
}

/// State-variable filter (Simper/Cytomic trapezoidal), low/band/high outputs.
#[derive(Clone, Copy)]
pub(crate) struct Svf {
    ic1: f32,
    ic2: f32,
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
}

/// The three outputs of one [`Svf`] step.
#[derive(Clone, Copy)]
pub(crate) struct SvfOut {
    pub low: f32,
    pub band: f32,
    pub high: f32,
}

impl Svf {
    pub fn new(cutoff: f32, q: f32, sr: f32) -> Self {
        let mut f = Svf {
            ic1: 0.0,
            ic2: 0.0,
            a1: 0.0,
            a2: 0.0,
            a3: 0.0,
            k: 1.0,
        };
        f.set(cutoff, q, sr);
        f
    }

    /// Sets cutoff (clamped below Nyquist) and resonance.
    pub fn set(&mut self, cutoff: f32, q: f32, sr: f32) {
        let fc = cutoff.clamp(10.0, sr * 0.45);
        let g = (PI * fc / sr).tan();
        self.k = 1.0 / q.max(0.1);
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    #[inline]
    pub fn process(&mut self, x: f32) -> SvfOut {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        SvfOut {
            low: v2,
            band: v1,
            high: x - self.k * v1 - v2,
        }
    }
}

/// Xorshift white noise in -1..1, seeded.
#[derive(Clone, Copy)]
pub(crate) struct Noise(u32);

impl Noise {
    pub fn new(seed: u64) -> Self {
        let s = (seed ^ (seed >> 32)) as u32;
        Noise(if s == 0 { 0x9E37_79B9 } else { s })
    }

    #[inline]
    pub fn next(&mut self) -> f32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }

    /// Uniform 0..1.
    pub fn unit(&mut self) -> f32 {
        0.5 * (self.next() + 1.0)
    }
}

/// An attack–decay–sustain envelope with a release that reaches exactly zero.
#[derive(Clone, Copy)]
pub(crate) struct Adsr {
    /// Attack seconds.
    pub a: f32,
    /// Decay time constant, seconds.
    pub d: f32,
    /// Sustain level.
    pub s: f32,
    /// Release seconds.
    pub r: f32,
}

impl Adsr {
    /// Level at `t` seconds after onset for a note released at `off` seconds.
    #[inline]
    pub fn level(&self, t: f32, off: f32) -> f32 {
        let held = if t < self.a {
            // Raised-cosine attack starts with zero slope.
            0.5 - 0.5 * (PI * t / self.a).cos()
        } else {
            self.s + (1.0 - self.s) * (-(t - self.a) / self.d).exp()
        };
        held * release(t, off, self.r)
    }
}

/// Release multiplier: 1 until `off`, then a curve reaching exactly 0 after `r` seconds.
#[inline]
pub(crate) fn release(t: f32, off: f32, r: f32) -> f32 {
    if t <= off {
        1.0
    } else if t >= off + r {
        0.0
    } else {
        let u = 1.0 - (t - off) / r;
        u * u
    }
}

/// Equal-power pan gains for `pan` in -1..1.
pub(crate) fn pan_gains(pan: f32) -> (f32, f32) {
    let a = (pan.clamp(-1.0, 1.0) + 1.0) * 0.25 * PI;
    (a.cos(), a.sin())
}
