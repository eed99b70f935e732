//! Pitched parts: chords, bass, arpeggio, melody and ostinato.

use leitmotif_core::score::{Generated, Instrument};
use rand::Rng;

use super::{Frame, PartNote};
use crate::error::GenError;
use crate::rng::rng;
use crate::style::{QUANTUM, style_or_builtin};
use crate::theory::{Chord, Key, PitchClass, voice_chord, voice_lead};

/// MIDI pitch of C in the part's octave (octave 4 → 60).
fn base(g: &Generated) -> i32 {
    ((g.octave.clamp(0, 8) + 1) * 12).clamp(12, 108)
}

fn note(start: f64, beats: f64, pitch: i32, velocity: f32) -> PartNote {
    PartNote {
        start,
        beats,
        pitch: pitch.clamp(0, 127) as u8,
        velocity,
    }
}

/// Bars to generate in the pickup region (negative bar numbers).
fn pickup_bars(f: &Frame) -> i64 {
    (f.ctx.pickup_beats as f64 / f.bpb()).ceil() as i64
}

fn percussive(i: &Instrument) -> bool {
    matches!(
        crate::synth::builtin(i),
        Instrument::Keys | Instrument::Pluck | Instrument::Bell
    )
}

/// Comping rhythm inside a bar, (offset, length) in beats, denser with tension.
fn comp_rhythm(bpb: f64, tension: f32) -> Vec<(f64, f64)> {
    let onsets: Vec<f64> = if tension < 0.35 {
        vec![0.0]
    } else if tension < 0.7 {
        if bpb >= 4.0 {
            vec![0.0, 1.5, 3.0]
        } else {
            vec![0.0, (bpb / 2.0).floor().max(1.0)]
        }
    } else {
        (0..(bpb * 2.0) as usize)
            .map(|i| i as f64 * 0.5)
            .filter(|b| b.fract() == 0.0 || (b.floor() as i64) % 2 == 1)
            .collect()
    };
    let mut out = Vec::new();
    for (i, &o) in onsets.iter().enumerate() {
        let end = onsets.get(i + 1).copied().unwrap_or(bpb);
        if o < bpb {
            out.push((o, end - o));
        }
    }
    out
}

/// Voice-led chords, one per bar: sustained on pads/strings/leads, comped on keys/plucks/bells.
/// The last chord is held to the body end (its release rings on past the seam).
pub(super) fn chords(f: &Frame, g: &Generated) -> Vec<PartNote> {
    let mut r = rng(f.seed, 1);
    let floor = (base(g) - 5).clamp(0, 120) as u8;
    let mut voices = voice_chord(&f.chord(0), floor, 4);
    let bpb = f.bpb();
    let rhythm = if percussive(&g.instrument) {
        comp_rhythm(bpb, f.ctx.tension)
    } else {
        vec![(0.0, bpb)]
    };
    let mut out = Vec::new();
    for bar in 0..f.ctx.bars as i64 {
        voices = voice_lead(&voices, &f.chord(bar));
        for &(o, len) in &rhythm {
            let accent = if o == 0.0 { 1.0 } else { 0.85 };
            for &p in &voices {
                let v = g.velocity * accent * (0.92 + 0.08 * r.random::<f32>());
                out.push(note(bar as f64 * bpb + o, len, p as i32, v));
            }
        }
    }
    out
}

/// Roots, fifths and octaves, `n` notes a bar, with a stepwise approach into the next root.
pub(super) fn bass(f: &Frame, g: &Generated, n: u32) -> Vec<PartNote> {
    let n = n.clamp(1, 16) as usize;
    let mut r = rng(f.seed, 2);
    let lo = base(g) - 2;
    let fold = |mut p: i32| {
        while p < lo {
            p += 12;
        }
        while p > lo + 14 {
            p -= 12;
        }
        p
    };
    let bpb = f.bpb();
    let step = bpb / n as f64;
    let gate = if n == 1 { 1.0 } else { 0.85 };
    let mut out = Vec::new();
    if let Some(style) = f.ctx.style.filter(|s| s.has_bass()) {
        // The score's learned bass line, on this part's grid of `n` notes a bar.
        let first = -pickup_bars(f);
        let len = (f.ctx.bars as i64 - first) as f64 * bpb;
        let chords: Vec<(f64, Chord)> = (first..f.ctx.bars as i64)
            .map(|b| ((b - first) as f64 * bpb, f.chord(b)))
            .collect();
        let grid = ((step / QUANTUM as f64).round() as u8).max(1);
        if let Some(line) = style.generate_bass(len, &f.key, &chords, bpb, Some(grid), f.seed) {
            let mut t = first as f64 * bpb;
            for (i, (p, d)) in line.into_iter().enumerate() {
                if p >= 0 {
                    let accent = if i % n == 0 { 1.0 } else { 0.85 };
                    out.push(note(t, d as f64 * gate, fold(p), g.velocity * accent));
                }
                t += d as f64;
            }
            return out;
        }
    }
    let figure: [u8; 4] = if r.random_bool(0.5) {
        [0, 0, 7, 12]
    } else {
        [0, 7, 12, 7]
    };
    for bar in -pickup_bars(f)..f.ctx.bars as i64 {
        let chord = f.chord(bar);
        let root = fold(chord.bass_note().nearest_midi(lo + 5));
        let next = fold(f.chord(bar + 1).bass_note().nearest_midi(root));
        for i in 0..n {
            let mut pitch = root + figure[i % 4] as i32;
            if n >= 3 && i == n - 1 {
                // Approach the next root by a scale step.
                let dir = if next >= root { -1 } else { 1 };
                pitch = step_in_key(&f.key, next, dir);
            } else if pitch > lo + 19 {
                pitch -= 12;
            }
            let accent = if i == 0 { 1.0 } else { 0.85 };
            out.push(note(
                bar as f64 * bpb + i as f64 * step,
                step * gate,
                pitch,
                g.velocity * accent,
            ));
        }
    }
    out
}

/// The scale tone one step from `pitch` in direction `dir` (±1).
fn step_in_key(key: &Key, pitch: i32, dir: i32) -> i32 {
    let mut p = pitch + dir;
    while !key.contains(PitchClass::new(p)) {
        p += dir;
    }
    p
}

/// Broken chords, `n` notes a beat, over a voice-led voicing plus the octave.
pub(super) fn arpeggio(f: &Frame, g: &Generated, n: u32) -> Vec<PartNote> {
    let n = n.clamp(1, 8) as usize;
    let mut r = rng(f.seed, 3);
    let shape = r.random_range(0..3);
    let bpb = f.bpb();
    let step = 1.0 / n as f64;
    let mut voices = voice_chord(&f.chord(0), base(g) as u8, 3);
    let mut out = Vec::new();
    for bar in -pickup_bars(f)..f.ctx.bars as i64 {
        voices = voice_lead(&voices, &f.chord(bar));
        let mut tones: Vec<i32> = voices.iter().map(|&p| p as i32).collect();
        tones.sort_unstable();
        tones.push(tones[0] + 12);
        let cycle: Vec<i32> = match shape {
            0 => tones.clone(),
            1 => tones.iter().rev().copied().collect(),
            _ => {
                let mut c = tones.clone();
                c.extend(tones[1..tones.len() - 1].iter().rev());
                c
            }
        };
        let count = (bpb * n as f64).round() as usize;
        for i in 0..count {
            let accent = if i % n == 0 { 1.0 } else { 0.8 };
            out.push(note(
                bar as f64 * bpb + i as f64 * step,
                step * 0.95,
                cycle[i % cycle.len()],
                g.velocity * accent,
            ));
        }
    }
    out
}

/// The cue's theme looped over the body (moved by octaves into the part's register), or a
/// melody generated over the chords in the score's style (the built-in one when it has none).
pub(super) fn melody(f: &Frame, g: &Generated) -> Vec<PartNote> {
    let body = f.ctx.body_beats();
    let bpb = f.bpb();
    let theme: Vec<(i32, f32)> = match f
        .ctx
        .theme
        .filter(|t| t.iter().any(|n| n.0 >= 0 && n.1 > 0.0))
    {
        Some(t) => t.to_vec(),
        None => {
            let chords: Vec<(f64, Chord)> = (0..f.ctx.bars)
                .map(|b| (b as f64 * bpb, f.chord(b as i64)))
                .collect();
            style_or_builtin(f.ctx.style).generate_in(body, &f.key, &chords, bpb, f.seed)
        }
    };
    let pitched: Vec<i32> = theme.iter().filter(|n| n.0 >= 0).map(|n| n.0).collect();
    let mean = pitched.iter().sum::<i32>() as f64 / pitched.len().max(1) as f64;
    let shift = (((base(g) + 7) as f64 - mean) / 12.0).round() as i32 * 12;
    let mut out = Vec::new();
    let mut t = 0.0;
    'fill: loop {
        for &(p, d) in &theme {
            if t >= body - 1e-9 {
                break 'fill;
            }
            let d = (d.max(0.0) as f64).min(body - t);
            if p >= 0 && d > 0.0 {
                out.push(note(t, d * 0.95, p + shift, g.velocity));
            }
            t += d;
        }
        if theme.iter().map(|n| n.1.max(0.0)).sum::<f32>() <= 0.0 {
            break;
        }
    }
    out
}

/// Scale degrees relative to each bar's chord root (0 = root, 2 = third, 4 = fifth, 7 = octave,
/// negatives below), one per eighth note.
pub(super) fn ostinato(
    f: &Frame,
    g: &Generated,
    degrees: &[i32],
) -> Result<Vec<PartNote>, GenError> {
    if degrees.is_empty() {
        return Err(GenError::UnsupportedPart(
            "an ostinato needs at least one degree".into(),
        ));
    }
    let bpb = f.bpb();
    let mut out = Vec::new();
    for bar in -pickup_bars(f)..f.ctx.bars as i64 {
        let chord = f.chord(bar);
        let scale = chord_scale(&f.key, &chord);
        let root = chord.root.nearest_midi(base(g) + 2);
        let count = (bpb * 2.0).round() as usize;
        for i in 0..count {
            let d = degrees[i % degrees.len()];
            let pitch = root + scale[d.rem_euclid(7) as usize] as i32 + 12 * d.div_euclid(7);
            let accent = if i % 2 == 0 { 1.0 } else { 0.8 };
            out.push(note(
                bar as f64 * bpb + i as f64 * 0.5,
                0.45,
                pitch,
                g.velocity * accent,
            ));
        }
    }
    Ok(out)
}

/// Semitone offsets of the seven steps of the scale starting on the chord's root: the key's
/// scale when the chord is diatonic, else major or minor by the chord's third.
fn chord_scale(key: &Key, chord: &Chord) -> [u8; 7] {
    if key.is_diatonic(chord) {
        let d = key.degree_of(chord.root).expect("diatonic root");
        let scale = key.scale();
        std::array::from_fn(|i| chord.root.interval_to(scale[(d + i) % 7]))
    } else {
        Key::from_chord(chord).mode.intervals()
    }
}
