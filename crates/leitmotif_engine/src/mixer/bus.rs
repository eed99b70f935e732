//! The mixer's buses (the score's [`Mix`]): each voice plays into its bus; buses run their
//! insert effects (kira's filter, EQ, reverb, delay and compressor), their built-in
//! high-/low-pass, sidechain ducking and fader, and sum into their output bus and sends, in an
//! order where every bus comes after what feeds it. Bus 0 is the master.
//!
//! Audio thread only after [`Buses::new`]: every buffer and effect state is made there (kira's
//! effects allocate in `init`, which runs here, and not after). Parameters the plan moves
//! (snapshots: gains, send levels, the built-in filters' cutoffs) ramp per frame, so the
//! output does not depend on how it is cut into blocks (the plugin and the offline renderer
//! give the same samples); kira's effects keep the fixed settings the score gives them.

use std::time::Duration;

use kira::effect::compressor::CompressorBuilder;
use kira::effect::delay::DelayBuilder;
use kira::effect::eq_filter::{EqFilterBuilder, EqFilterKind};
use kira::effect::filter::{FilterBuilder, FilterMode};
use kira::effect::reverb::ReverbBuilder;
use kira::effect::{Effect as KiraEffect, EffectBuilder};
use kira::info::{Info, MockInfoBuilder};
use kira::{Decibels, Frame};
use leitmotif_core::score::mix::{BusParam, Effect, HIGHPASS_OPEN, LOWPASS_OPEN, Mix, db_to_gain};

/// Frames a bus processes at once (a longer span is processed in pieces).
pub const BUS_BLOCK: usize = 512;

/// A value ramping linearly per frame.
#[derive(Debug, Clone, Copy)]
struct Ramp {
    value: f32,
    target: f32,
    step: f32,
    left: u32,
}

impl Ramp {
    fn at(value: f32) -> Ramp {
        Ramp {
            value,
            target: value,
            step: 0.0,
            left: 0,
        }
    }

    fn to(&mut self, target: f32, frames: u32) {
        let frames = frames.max(1);
        self.target = target;
        self.left = frames;
        self.step = (target - self.value) / frames as f32;
    }

    #[inline]
    fn next(&mut self) -> f32 {
        if self.left > 0 {
            self.left -= 1;
            self.value = if self.left == 0 {
                self.target
            } else {
                self.value + self.step
            };
        }
        self.value
    }

    fn steady(&self) -> bool {
        self.left == 0
    }
}

/// The `Info` kira's effects are given: made by kira's `MockInfoBuilder` (no clocks,
/// modulators or listeners; our effects' parameters are fixed values and immediate tweens, so
/// they never look anything up in it).
struct MockInfo(Info<'static>);

// SAFETY: a mock `Info` owns its arenas of plain data (clock and listener info, `f64`s); only
// kira's real `Info` borrows the renderer's modulators, which are what make the type neither
// `Send` nor `Sync`. The mixer owns this one and uses it on one thread at a time. (The one
// `unsafe` of the workspace: kira offers no other way to run its effects outside its own
// renderer, and its renderer cannot host the conductor's frame-exact plan.)
#[allow(unsafe_code)]
unsafe impl Send for MockInfo {}

/// A built-in filter: a 12 dB/octave state-variable filter (the topology of kira's `Filter`,
/// Butterworth damping) whose cutoff ramps per frame, so a snapshot moving it gives the same
/// samples however the output is cut into blocks (kira's parameters interpolate per call).
struct Builtin {
    low: bool,
    hz: Ramp,
    /// The cutoff the coefficients were made for.
    made_for: f32,
    a: [f64; 3],
    ic1: [f64; 2],
    ic2: [f64; 2],
}

/// Damping of the built-in filters (Q = 1/√2).
const BUILTIN_K: f64 = std::f64::consts::SQRT_2;

impl Builtin {
    fn new(low: bool, hz: f32) -> Builtin {
        Builtin {
            low,
            hz: Ramp::at(hz),
            made_for: f32::NAN,
            a: [0.0; 3],
            ic1: [0.0; 2],
            ic2: [0.0; 2],
        }
    }

    fn process(&mut self, buf: &mut [[f32; 2]], sample_rate: f32) {
        for x in buf.iter_mut() {
            let hz = self.hz.next();
            if hz != self.made_for {
                self.made_for = hz;
                let g = (std::f64::consts::PI * (hz / sample_rate) as f64)
                    .clamp(1e-6, 0.499 * std::f64::consts::PI)
                    .tan();
                let a1 = 1.0 / (1.0 + g * (g + BUILTIN_K));
                let a2 = g * a1;
                self.a = [a1, a2, g * a2];
            }
            let [a1, a2, a3] = self.a;
            for (ch, v) in x.iter_mut().enumerate() {
                let v0 = *v as f64;
                let v3 = v0 - self.ic2[ch];
                let v1 = a1 * self.ic1[ch] + a2 * v3;
                let v2 = self.ic2[ch] + a2 * self.ic1[ch] + a3 * v3;
                self.ic1[ch] = 2.0 * v1 - self.ic1[ch];
                self.ic2[ch] = 2.0 * v2 - self.ic2[ch];
                *v = if self.low {
                    v2 as f32
                } else {
                    (v0 - BUILTIN_K * v1 - v2) as f32
                };
            }
        }
    }
}

/// Sidechain ducking state (see [`leitmotif_core::score::Sidechain`]).
struct Duck {
    key: usize,
    depth_db: f32,
    threshold: f32,
    attack_step: f32,
    release_step: f32,
    hold: u32,
    hold_left: u32,
    env: f32,
    env_decay: f32,
    reduction_db: f32,
}

/// Peak and mean square of what a bus put out since the meters were last read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Meter {
    /// Peak sample magnitude.
    pub peak: f32,
    /// Sum of squares (both channels).
    pub sum_sq: f64,
    /// Frames summed.
    pub frames: u64,
    /// The sidechain's current attenuation in dB (0 without one).
    pub duck_db: f32,
}

impl Meter {
    /// RMS of both channels.
    pub fn rms(&self) -> f32 {
        if self.frames == 0 {
            0.0
        } else {
            (self.sum_sq / (2 * self.frames) as f64).sqrt() as f32
        }
    }
}

struct Bus {
    output: usize,
    gain: Ramp,
    sends: Vec<(usize, Ramp)>,
    effects: Vec<Box<dyn KiraEffect>>,
    highpass: Option<Builtin>,
    lowpass: Option<Builtin>,
    duck: Option<Duck>,
    meter: Meter,
}

/// The buses of a mixer. See the [module docs](self).
pub(crate) struct Buses {
    order: Vec<usize>,
    buses: Vec<Bus>,
    /// One buffer per bus, [`BUS_BLOCK`] frames.
    pub(super) bufs: Vec<Vec<[f32; 2]>>,
    frames: Vec<Frame>,
    duck_gain: Vec<f32>,
    info: MockInfo,
    dt: f64,
    sample_rate: f32,
}

fn effect(e: &Effect, sample_rate: u32) -> Box<dyn KiraEffect> {
    let mut fx: Box<dyn KiraEffect> = match *e {
        Effect::LowPass { hz, resonance } => {
            FilterBuilder::new()
                .mode(FilterMode::LowPass)
                .cutoff(hz as f64)
                .resonance(resonance as f64)
                .build()
                .0
        }
        Effect::HighPass { hz, resonance } => {
            FilterBuilder::new()
                .mode(FilterMode::HighPass)
                .cutoff(hz as f64)
                .resonance(resonance as f64)
                .build()
                .0
        }
        Effect::Bell { hz, gain_db, q } => {
            EqFilterBuilder::new(EqFilterKind::Bell, hz as f64, gain_db, q as f64)
                .build()
                .0
        }
        Effect::LowShelf { hz, gain_db } => {
            EqFilterBuilder::new(EqFilterKind::LowShelf, hz as f64, gain_db, 0.707)
                .build()
                .0
        }
        Effect::HighShelf { hz, gain_db } => {
            EqFilterBuilder::new(EqFilterKind::HighShelf, hz as f64, gain_db, 0.707)
                .build()
                .0
        }
        Effect::Reverb {
            room,
            damping,
            width,
            mix,
        } => {
            ReverbBuilder::new()
                .feedback(room as f64)
                .damping(damping as f64)
                .stereo_width(width as f64)
                .mix(kira::Mix(mix))
                .build()
                .0
        }
        Effect::Delay {
            seconds,
            feedback_db,
            mix,
        } => {
            DelayBuilder::new()
                .delay_time(Duration::from_secs_f32(seconds.max(0.001)))
                .feedback(Decibels(feedback_db))
                .mix(kira::Mix(mix))
                .build()
                .0
        }
        Effect::Compressor {
            threshold_db,
            ratio,
            attack,
            release,
            makeup_db,
        } => {
            CompressorBuilder::new()
                .threshold(threshold_db as f64)
                .ratio(ratio as f64)
                .attack_duration(Duration::from_secs_f32(attack))
                .release_duration(Duration::from_secs_f32(release))
                .makeup_gain(Decibels(makeup_db))
                .build()
                .0
        }
    };
    fx.init(sample_rate, BUS_BLOCK);
    fx
}

impl Buses {
    /// The buses of `mix` at `sample_rate`, or `None` when it is a plain master (voices then
    /// sum straight into the output, as before buses existed).
    pub(crate) fn new(mix: &Mix, sample_rate: u32) -> Option<Buses> {
        if mix.is_plain() {
            return None;
        }
        let order: Vec<usize> = mix
            .processing_order()
            .unwrap_or_else(|| {
                (1..mix.numbered().len())
                    .chain([0])
                    .map(|b| b as u16)
                    .collect()
            })
            .into_iter()
            .map(usize::from)
            .collect();
        let numbered = mix.numbered();
        let index = |name: &str| mix.bus_index(name).map_or(0, usize::from);
        let sr = sample_rate as f32;
        let buses = numbered
            .iter()
            .map(|b| Bus {
                output: b.output.as_deref().map_or(0, index),
                gain: Ramp::at(db_to_gain(b.gain_db)),
                sends: b
                    .sends
                    .iter()
                    .map(|s| (index(&s.to), Ramp::at(db_to_gain(s.gain_db))))
                    .collect(),
                effects: b.effects.iter().map(|e| effect(e, sample_rate)).collect(),
                highpass: mix
                    .uses_filter(b, false)
                    .then(|| Builtin::new(false, b.highpass_hz.unwrap_or(HIGHPASS_OPEN))),
                lowpass: mix.uses_filter(b, true).then(|| {
                    let open = LOWPASS_OPEN * sr;
                    Builtin::new(true, b.lowpass_hz.unwrap_or(open).min(open))
                }),
                duck: b.sidechain.as_ref().map(|s| Duck {
                    key: index(&s.key),
                    depth_db: s.depth_db,
                    threshold: db_to_gain(s.threshold_db),
                    attack_step: s.depth_db.abs() / (s.attack.max(0.001) * sr),
                    release_step: s.depth_db.abs() / (s.release.max(0.001) * sr),
                    hold: (s.hold.max(0.0) * sr) as u32,
                    hold_left: 0,
                    env: 0.0,
                    // The key's envelope falls 60 dB in 50 ms: it bridges the troughs of a
                    // waveform, so the duck does not chatter.
                    env_decay: (-6.9 / (0.05 * sr)).exp(),
                    reduction_db: 0.0,
                }),
                meter: Meter::default(),
            })
            .collect::<Vec<_>>();
        let n = buses.len();
        Some(Buses {
            order,
            buses,
            bufs: vec![vec![[0.0; 2]; BUS_BLOCK]; n],
            frames: vec![Frame::ZERO; BUS_BLOCK],
            duck_gain: vec![1.0; BUS_BLOCK],
            info: MockInfo(MockInfoBuilder::new().build()),
            dt: 1.0 / sample_rate as f64,
            sample_rate: sr,
        })
    }

    /// The bus a voice plays into, made valid (an unknown bus is the master).
    pub(super) fn valid(&self, bus: u16) -> usize {
        let b = bus as usize;
        if b < self.bufs.len() { b } else { 0 }
    }

    /// Clears the first `n` frames of every bus.
    pub(super) fn clear(&mut self, n: usize) {
        for b in &mut self.bufs {
            b[..n].fill([0.0; 2]);
        }
    }

    /// A plan step for a bus (a snapshot moving).
    pub(super) fn set(&mut self, bus: u16, param: BusParam, value: f32, frames: u32) {
        let sr = self.sample_rate;
        let Some(b) = self.buses.get_mut(bus as usize) else {
            return;
        };
        if !value.is_finite() {
            return;
        }
        match param {
            BusParam::Gain => b.gain.to(value.max(0.0), frames),
            BusParam::Send(k) => {
                if let Some((_, r)) = b.sends.get_mut(k as usize) {
                    r.to(value.max(0.0), frames);
                }
            }
            BusParam::LowPass => {
                if let Some(f) = &mut b.lowpass {
                    f.hz.to(value.clamp(10.0, LOWPASS_OPEN * sr), frames);
                }
            }
            BusParam::HighPass => {
                if let Some(f) = &mut b.highpass {
                    f.hz.to(value.clamp(1.0, LOWPASS_OPEN * sr), frames);
                }
            }
        }
    }

    /// Processes the first `n` frames (at most [`BUS_BLOCK`]) of every bus into its outputs
    /// and sends, and adds the master's into `out`.
    pub(super) fn process(&mut self, out: &mut [[f32; 2]]) {
        let n = out.len().min(BUS_BLOCK);
        for oi in 0..self.order.len() {
            let b = self.order[oi];
            self.process_bus(b, n);
            if b == 0 {
                continue;
            }
            let (output, sends) = (self.buses[b].output, self.buses[b].sends.len());
            // Sends (post-fader), then the output.
            for s in 0..sends {
                let (to, mut ramp) = self.buses[b].sends[s];
                if to == b {
                    continue;
                }
                let (src, dst) = pair(&mut self.bufs, b, to);
                for (d, x) in dst[..n].iter_mut().zip(&src[..n]) {
                    let g = ramp.next();
                    d[0] += x[0] * g;
                    d[1] += x[1] * g;
                }
                self.buses[b].sends[s].1 = ramp;
            }
            if output != b {
                let (src, dst) = pair(&mut self.bufs, b, output);
                for (d, x) in dst[..n].iter_mut().zip(&src[..n]) {
                    d[0] += x[0];
                    d[1] += x[1];
                }
            }
        }
        for (o, x) in out[..n].iter_mut().zip(&self.bufs[0][..n]) {
            o[0] += x[0];
            o[1] += x[1];
        }
    }

    fn process_bus(&mut self, b: usize, n: usize) {
        let dt = self.dt;
        let bus = &mut self.buses[b];
        if !bus.effects.is_empty() {
            let buf = &mut self.bufs[b];
            let frames = &mut self.frames[..n];
            for (f, x) in frames.iter_mut().zip(&buf[..n]) {
                *f = Frame::new(x[0], x[1]);
            }
            for fx in &mut bus.effects {
                fx.on_start_processing();
                fx.process(frames, dt, &self.info.0);
            }
            for (x, f) in buf[..n].iter_mut().zip(frames.iter()) {
                *x = [sane(f.left), sane(f.right)];
            }
        }
        for f in [&mut bus.highpass, &mut bus.lowpass].into_iter().flatten() {
            f.process(&mut self.bufs[b][..n], self.sample_rate);
        }
        // The sidechain's gain, from the key bus's output (processed before this one).
        if let Some(d) = &mut bus.duck {
            let key: &[[f32; 2]] = if d.key != b {
                &self.bufs[d.key][..n]
            } else {
                &[]
            };
            let gains = &mut self.duck_gain[..n];
            for (k, g) in gains.iter_mut().enumerate() {
                let x = key.get(k).map_or(0.0, |x| x[0].abs().max(x[1].abs()));
                d.env = x.max(d.env * d.env_decay);
                let engaged = if d.env > d.threshold {
                    d.hold_left = d.hold;
                    true
                } else if d.hold_left > 0 {
                    d.hold_left -= 1;
                    true
                } else {
                    false
                };
                d.reduction_db = if engaged {
                    (d.reduction_db - d.attack_step).max(d.depth_db)
                } else {
                    (d.reduction_db + d.release_step).min(0.0)
                };
                *g = if d.reduction_db == 0.0 {
                    1.0
                } else {
                    10f32.powf(d.reduction_db / 20.0)
                };
            }
            for (x, g) in self.bufs[b][..n].iter_mut().zip(gains.iter()) {
                x[0] *= g;
                x[1] *= g;
            }
            bus.meter.duck_db = d.reduction_db;
        }
        let buf = &mut self.bufs[b];
        if !(bus.gain.steady() && bus.gain.value == 1.0) {
            for x in buf[..n].iter_mut() {
                let g = bus.gain.next();
                x[0] *= g;
                x[1] *= g;
            }
        }
        let m = &mut bus.meter;
        let mut acc = 0.0f64;
        for x in &buf[..n] {
            m.peak = m.peak.max(x[0].abs()).max(x[1].abs());
            acc += (x[0] * x[0] + x[1] * x[1]) as f64;
        }
        m.sum_sq += acc;
        m.frames += n as u64;
    }

    /// Each bus's meter since the last call (then reset), in the mixer's numbering.
    pub(super) fn take_meters(&mut self, into: &mut [Meter]) {
        for (m, b) in into.iter_mut().zip(&mut self.buses) {
            *m = b.meter;
            b.meter = Meter {
                duck_db: b.meter.duck_db,
                ..Meter::default()
            };
        }
    }

    /// Number of buses (the master included).
    pub(super) fn len(&self) -> usize {
        self.buses.len()
    }
}

/// A non-finite sample (an effect gone unstable) is silence.
#[inline]
fn sane(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// Two different buffers of `bufs`: `a` to read, `b` to write.
fn pair(bufs: &mut [Vec<[f32; 2]>], a: usize, b: usize) -> (&[[f32; 2]], &mut [[f32; 2]]) {
    debug_assert_ne!(a, b);
    if a < b {
        let (lo, hi) = bufs.split_at_mut(b);
        (&lo[a], &mut hi[0])
    } else {
        let (lo, hi) = bufs.split_at_mut(a);
        (&hi[0], &mut lo[b])
    }
}
