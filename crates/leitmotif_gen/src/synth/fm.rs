//! Two-operator FM instruments: electric-piano keys and bell.

use super::dsp::{Sine, midi_hz, pan_gains, release};
use super::{NoteCtx, StereoBuffer};
use std::f32::consts::TAU;

/// Electric piano: a 1:1 FM pair whose index decays, plus a short 14:1 "tine" transient and a
/// gentle stereo tremolo.
pub(super) fn keys(out: &mut StereoBuffer, c: &NoteCtx) {
    let f = midi_hz(c.note.pitch as f32);
    let inc = f / c.sr;
    let (mut car, mut md, mut tine_c, mut tine_m) = (
        Sine::default(),
        Sine::default(),
        Sine::default(),
        Sine::default(),
    );
    let mut trem = Sine::default();
    let decay = (2.2 * (220.0 / f).powf(0.5)).clamp(0.4, 4.0);
    let gain = 0.45 * c.amp;
    let rel = 0.15;
    let n = c.frames(rel, decay * 5.0);
    let base_pan = c.pitch_pan(0.5);
    for i in 0..n {
        let t = i as f32 / c.sr;
        let index = 0.3 + 1.6 * c.amp * (-t / 0.35).exp();
        let m = md.next(inc) * index;
        let body = (car.phase * TAU + m).sin();
        car.next(inc);
        let tm = tine_m.next(inc * 14.0) * 0.8;
        let tine = (tine_c.phase * TAU + tm).sin() * 0.35 * (-t / 0.02).exp();
        tine_c.next(inc);
        let attack = (t / 0.002).min(1.0);
        let amp = attack * (-t / decay).exp() * release(t, c.off, rel) * gain;
        let y = (body + tine) * amp;
        let (l, r) = pan_gains(base_pan + 0.25 * trem.next(4.0 / c.sr));
        out.add(c.note.start_frame + i, y * l, y * r);
    }
}

/// Bell / mallet: inharmonic FM (3.5:1) with a long decay and a brighter attack.
pub(super) fn bell(out: &mut StereoBuffer, c: &NoteCtx) {
    let f = midi_hz(c.note.pitch as f32);
    let inc = f / c.sr;
    let (mut car, mut md, mut car2, mut md2) = (
        Sine::default(),
        Sine::default(),
        Sine::default(),
        Sine::default(),
    );
    let decay = (2.5 * (440.0 / f).powf(0.4)).clamp(0.6, 5.0);
    let gain = 0.4 * c.amp;
    let rel = 0.3;
    let n = c.frames(rel, decay * 5.0);
    let (pl, pr) = pan_gains(c.pitch_pan(0.6));
    for i in 0..n {
        let t = i as f32 / c.sr;
        let index = 0.8 + 2.5 * c.amp * (-t / 0.6).exp();
        let m = md.next(inc * 3.5) * index;
        let a = (car.phase * TAU + m).sin();
        car.next(inc);
        let m2 = md2.next(inc * 2.0) * 0.5;
        let b = (car2.phase * TAU + m2).sin() * 0.4 * (-t / (decay * 0.4)).exp();
        car2.next(inc * 2.76);
        let attack = (t / 0.002).min(1.0);
        let y = (a * 0.7 + b) * attack * (-t / decay).exp() * release(t, c.off, rel) * gain;
        out.add(c.note.start_frame + i, y * pl, y * pr);
    }
}
