//! The bridge's voices: bass, inner harmony, top voice (with the foreshadowed theme) and drums.

use rand::Rng;

use super::Note;
use crate::rng::GenRng;
use crate::style::StyleModel;
use crate::theory::{Chord, Key, PitchClass, voice_chord, voice_lead};

/// Harmonic plan shared by the voice writers.
pub(super) struct Plan {
    pub from: Key,
    pub to: Key,
    pub from_chord: Chord,
    pub to_chord: Chord,
    /// (start beat, beats, chord) per slot.
    pub slots: Vec<(f64, f64, Chord)>,
    pub total: f64,
    pub beats_per_bar: u32,
    pub tension: (f32, f32),
}

impl Plan {
    pub fn tension_at(&self, beat: f64) -> f32 {
        let u = (beat / self.total).clamp(0.0, 1.0) as f32;
        self.tension.0 + (self.tension.1 - self.tension.0) * u
    }

    /// Index of the slot sounding at `beat`.
    pub fn slot_at(&self, beat: f64) -> usize {
        self.slots
            .iter()
            .rposition(|s| s.0 <= beat + 1e-9)
            .unwrap_or(0)
    }

    /// The key a slot is heard in: the source key for a first-slot pivot, else the target.
    pub fn local_key(&self, slot: usize) -> Key {
        if slot == 0 && self.from.is_diatonic(&self.slots[0].2) {
            self.from
        } else {
            self.to
        }
    }

    fn velocity(&self, beat: f64, base: f32) -> f32 {
        (base + 0.35 * self.tension_at(beat)).min(1.0)
    }
}

fn note(start: f64, beats: f64, pitch: i32, velocity: f32, passing: bool) -> Note {
    Note {
        start_beat: start,
        beats,
        pitch: pitch.clamp(0, 127) as u8,
        velocity,
        passing,
    }
}

/// A scale tone strictly between `a` and `b` that is not a chord tone and does not rub a
/// semitone against a chromatic chord tone; the one nearest the middle.
pub(super) fn passing_between(a: i32, b: i32, key: &Key, chord: &Chord) -> Option<i32> {
    let (lo, hi) = (a.min(b), a.max(b));
    let mid = (a + b) as f64 / 2.0;
    (lo + 1..hi)
        .filter(|&p| {
            let pc = PitchClass::new(p);
            key.contains(pc)
                && !chord.contains(pc)
                && chord.tones().iter().all(|t| {
                    key.contains(*t) || (t.interval_to(pc) != 1 && pc.interval_to(*t) != 1)
                })
        })
        .min_by(|x, y| (*x as f64 - mid).abs().total_cmp(&(*y as f64 - mid).abs()))
}

/// Fold `p` by octaves into `lo..=hi`.
fn fold(mut p: i32, lo: i32, hi: i32) -> i32 {
    while p < lo {
        p += 12;
    }
    while p > hi {
        p -= 12;
    }
    p
}

/// Roots (or slash basses) with stepwise passing tones, fifths or repeated roots on the last
/// beat of each chord; eighth-note pulses when the tension is high.
pub(super) fn bass(plan: &Plan) -> Vec<Note> {
    let mut out = Vec::new();
    let mut prev = fold(plan.from_chord.bass_note().nearest_midi(43), 33, 57);
    let targets: Vec<i32> = plan
        .slots
        .iter()
        .map(|s| {
            prev = fold(s.2.bass_note().nearest_midi(prev), 33, 57);
            prev
        })
        .collect();
    let after = fold(plan.to_chord.bass_note().nearest_midi(prev), 33, 57);
    for (i, &(start, len, chord)) in plan.slots.iter().enumerate() {
        let root = targets[i];
        let next = targets.get(i + 1).copied().unwrap_or(after);
        let t = plan.tension_at(start);
        let vel = plan.velocity(start, 0.55);
        let (main, last) = if len >= 2.0 {
            (len - 1.0, Some(len - 1.0))
        } else {
            (len, None)
        };
        if t > 0.6 && main >= 1.0 {
            let mut b = 0.0;
            while b < main - 1e-9 {
                out.push(note(start + b, 0.5f64.min(main - b), root, vel, false));
                b += 0.5;
            }
        } else {
            out.push(note(start, main, root, vel, false));
        }
        if let Some(off) = last {
            let gap = (next - root).abs();
            let key = plan.local_key(i);
            let (pitch, passing) = match passing_between(root, next, &key, &chord) {
                Some(p) if (3..=4).contains(&gap) => (p, true),
                _ if gap >= 5 => {
                    let fifth = chord.tones()[2].nearest_midi((root + next) / 2);
                    (fold(fifth, 31, 60), false)
                }
                _ => (root, false),
            };
            out.push(note(start + off, 1.0, pitch, vel * 0.9, passing));
        }
    }
    out
}

/// Four voice-led inner voices, sustained through each chord.
pub(super) fn harmony(plan: &Plan) -> Vec<Note> {
    let mut out = Vec::new();
    let mut voices = voice_chord(&plan.from_chord, 53, 4);
    for &(start, len, chord) in &plan.slots {
        voices = voice_lead(&voices, &chord);
        let vel = plan.velocity(start, 0.45);
        for &p in &voices {
            out.push(note(start, len, p as i32, vel, false));
        }
    }
    out
}

/// The top voice: a chord tone per chord chosen for small motion, with passing tones or
/// arpeggiated chord tones leading into the next chord.
pub(super) fn top(plan: &Plan, r: &mut GenRng) -> Vec<Note> {
    let mut prev = plan.from_chord.root.nearest_midi(72);
    let mut targets = Vec::new();
    for &(_, _, chord) in &plan.slots {
        let mut best = (f64::MAX, prev);
        for pc in chord.tones() {
            for p in [
                pc.nearest_midi(prev) - 12,
                pc.nearest_midi(prev),
                pc.nearest_midi(prev) + 12,
            ] {
                if !(62..=86).contains(&p) {
                    continue;
                }
                let d = (p - prev).abs() as f64;
                let cost = d + if d == 0.0 { 1.5 } else { 0.0 } + r.random::<f64>() * 2.0;
                if cost < best.0 {
                    best = (cost, p);
                }
            }
        }
        prev = best.1;
        targets.push(prev);
    }
    let after = plan.to.tonic.nearest_midi(prev);
    let mut out = Vec::new();
    for (i, &(start, len, chord)) in plan.slots.iter().enumerate() {
        let a = targets[i];
        let b = targets.get(i + 1).copied().unwrap_or(after);
        let vel = plan.velocity(start, 0.5);
        let step = if plan.tension_at(start) > 0.65 {
            0.5
        } else {
            1.0
        };
        if len < 2.0 {
            out.push(note(start, len, a, vel, false));
            continue;
        }
        out.push(note(start, len - step, a, vel, false));
        let key = plan.local_key(i);
        let gap = (b - a).abs();
        let (p, passing) = match passing_between(a, b, &key, &chord) {
            Some(p) if gap <= 4 => (p, true),
            _ => {
                // Another chord tone between (or at) the two targets.
                let mid = (a + b) / 2;
                let ct = chord
                    .tones()
                    .iter()
                    .map(|pc| pc.nearest_midi(mid))
                    .min_by_key(|&p| (p - mid).abs())
                    .unwrap_or(a);
                (ct, false)
            }
        };
        out.push(note(start + len - step, step, p, vel * 0.9, passing));
    }
    out
}

/// A voice written in the score's style over the bridge's chords in the target key: the top
/// voice (moved by octaves to centre on C5), or the bass when `bass` (`None` when the style
/// learned no bass line).
pub(super) fn styled(plan: &Plan, style: &StyleModel, bass: bool, seed: u64) -> Option<Vec<Note>> {
    let chords: Vec<(f64, Chord)> = plan.slots.iter().map(|s| (s.0, s.2)).collect();
    let bpb = plan.beats_per_bar as f64;
    let line = if bass {
        style.generate_bass(plan.total, &plan.to, &chords, bpb, None, seed)?
    } else {
        style.generate_in(plan.total, &plan.to, &chords, bpb, seed)
    };
    let pitched: Vec<i32> = line.iter().filter(|n| n.0 >= 0).map(|n| n.0).collect();
    let mean = pitched.iter().sum::<i32>() as f64 / pitched.len().max(1) as f64;
    let centre = if bass { 43.0 } else { 74.0 };
    let shift = ((centre - mean) / 12.0).round() as i32 * 12;
    let mut out = Vec::new();
    let mut t = 0.0;
    for (p, d) in line {
        if p >= 0 {
            let vel = plan.velocity(t, if bass { 0.55 } else { 0.5 });
            out.push(note(t, d as f64, p + shift, vel, false));
        }
        t += d as f64;
    }
    Some(out)
}

/// Overlays the start of `theme`, augmented and transposed to the harmony, on the end of the
/// top voice so that it leads into the target where the theme itself enters.
pub(super) fn foreshadow(plan: &Plan, top: &mut Vec<Note>, theme: &[(i32, f32)]) {
    // The fragment: up to five notes (rests kept), at least three pitched notes if present.
    let mut frag: Vec<(i32, f64)> = Vec::new();
    let mut pitched = 0;
    for &(p, d) in theme.iter().skip_while(|n| n.0 < 0) {
        if pitched >= 3 && (pitched >= 5 || frag.iter().map(|n| n.1).sum::<f64>() >= 2.0) {
            break;
        }
        if p >= 0 {
            pitched += 1;
        }
        frag.push((p, d.max(0.125) as f64));
    }
    while frag.last().is_some_and(|n| n.0 < 0) {
        frag.pop();
    }
    if frag.is_empty() {
        return;
    }
    let raw: f64 = frag.iter().map(|n| n.1).sum();
    let room = plan.total * 0.75;
    let aug = [2.0, 1.5, 1.0]
        .into_iter()
        .find(|a| raw * a <= room)
        .unwrap_or(1.0);
    while frag.len() > 1 && frag.iter().map(|n| n.1).sum::<f64>() * aug > room {
        frag.pop();
    }
    let len: f64 = frag.iter().map(|n| n.1 * aug).sum::<f64>().min(plan.total);
    let start = (plan.total - len).max(0.0).floor();
    let scale = (plan.total - start) / len.max(1e-9);
    // Notes as (start, beats, raw pitch), stretched so the fragment ends with the bridge.
    let mut t = start;
    let placed: Vec<(f64, f64, i32)> = frag
        .iter()
        .map(|&(p, d)| {
            let n = (t, d * aug * scale, p);
            t += n.1;
            n
        })
        .collect();
    let prev_top = top
        .iter()
        .rev()
        .find(|n| n.start_beat < start)
        .map_or(72, |n| n.pitch as i32);
    let first = placed.iter().find(|n| n.2 >= 0).expect("pitched").2;
    let chord0 = plan.slots[plan.slot_at(start)].2;
    let mut best = (f64::MIN, 0);
    for shift in -30..=30 {
        let p0 = first + shift;
        if !chord0.contains(PitchClass::new(p0)) || !(62..=86).contains(&p0) {
            continue;
        }
        let mut s = -((p0 - prev_top).abs() as f64) / 6.0;
        for &(b, _, p) in placed.iter().filter(|n| n.2 >= 0) {
            let slot = plan.slot_at(b);
            let pc = PitchClass::new(p + shift);
            if plan.slots[slot].2.contains(pc) {
                s += 1.0;
            } else if plan.local_key(slot).contains(pc) {
                s += 0.5;
            }
        }
        if s > best.0 {
            best = (s, shift);
        }
    }
    let shift = best.1;
    top.retain(|n| n.start_beat < start - 1e-9);
    for n in top.iter_mut() {
        n.beats = n.beats.min(start - n.start_beat);
    }
    for (b, d, p) in placed {
        if p < 0 {
            continue;
        }
        let end = b + d;
        // Split at chord changes so each piece has one active chord.
        let mut s = b;
        while s < end - 1e-9 {
            let slot = plan.slot_at(s);
            let (cs, cl, chord) = plan.slots[slot];
            let piece_end = end.min(cs + cl);
            let pitch = p + shift;
            let pc = PitchClass::new(pitch);
            let vel = plan.velocity(s, 0.6);
            let (pitch, passing) = if chord.contains(pc) {
                (pitch, false)
            } else if plan.local_key(slot).contains(pc)
                && piece_end - s <= 1.0 + 1e-9
                && passing_between(pitch - 1, pitch + 1, &plan.local_key(slot), &chord).is_some()
            {
                (pitch, true)
            } else {
                let near = chord
                    .tones()
                    .iter()
                    .map(|t| t.nearest_midi(pitch))
                    .min_by_key(|&q| ((q - pitch).abs(), q))
                    .unwrap_or(pitch);
                (near, false)
            };
            top.push(note(s, piece_end - s, pitch, vel, passing));
            s = piece_end;
        }
    }
}

/// Keeps every melodic interval within an octave by moving notes by octaves.
pub(super) fn limit_leaps(notes: &mut [Note]) {
    for i in 1..notes.len() {
        let prev = notes[i - 1].pitch as i32;
        let mut p = notes[i].pitch as i32;
        while p - prev > 12 {
            p -= 12;
        }
        while prev - p > 12 {
            p += 12;
        }
        notes[i].pitch = p.clamp(0, 127) as u8;
    }
}

/// GM drum keys used by the fill, high tom to floor tom.
const TOMS: [u8; 6] = [50, 48, 47, 45, 43, 41];

/// A groove that follows the tension, ending in a fill over the last bar whose density rises
/// (more, louder hits, 8ths then 16ths) when the tension rises and thins out when it falls.
pub(super) fn drums(plan: &Plan, r: &mut GenRng) -> Vec<Note> {
    let bpb = plan.beats_per_bar as f64;
    let fill_len = if plan.total > bpb {
        bpb.min(4.0)
    } else {
        (plan.total / 2.0).max(1.0)
    };
    let fill_start = plan.total - fill_len;
    let rising = plan.tension.1 >= plan.tension.0;
    let mut out = Vec::new();
    let steps = (plan.total * 4.0).round() as usize;
    let mut hit = |b: f64, key: u8, len: f64, vel: f32| {
        out.push(note(b, len, key as i32, vel.clamp(0.05, 1.0), false));
    };
    if plan.tension.0 >= 0.5 {
        hit(0.0, 49, 2.0, 0.8);
    }
    for s in 0..steps {
        let b = s as f64 / 4.0;
        let sub = s % 4;
        let pos = b % bpb;
        let beat = pos.floor() as u32;
        let t = plan.tension_at(b);
        let level = 0.35 + 0.6 * t;
        if b >= fill_start - 1e-9 {
            let u = ((b - fill_start) / fill_len) as f32;
            let grid = if rising {
                if u >= 0.5 && plan.tension.1 > 0.45 {
                    1
                } else {
                    2
                }
            } else if u < 0.5 {
                4
            } else {
                8
            };
            if s % grid != 0 || (!rising && u >= 0.75) {
                continue;
            }
            let vel = if rising { 0.5 + 0.5 * u } else { 0.7 - 0.5 * u };
            let key = if r.random_bool(0.4) {
                38
            } else {
                TOMS[((u * TOMS.len() as f32) as usize).min(TOMS.len() - 1)]
            };
            hit(b, key, 0.25, vel * level.max(0.5));
            if sub == 0 && rising && beat == 0 {
                hit(b, 36, 0.5, vel);
            }
            continue;
        }
        if sub == 0 && (beat == 0 || (t > 0.5 && beat as f64 == (bpb / 2.0).floor() && beat > 0)) {
            hit(b, 36, 0.5, level);
        }
        if sub == 0 && beat % 2 == 1 {
            hit(b, if t > 0.35 { 38 } else { 37 }, 0.5, level * 0.9);
        }
        let hat_grid = if t > 0.7 {
            1
        } else if t > 0.3 {
            2
        } else {
            4
        };
        if s % hat_grid == 0 {
            let accent = if sub == 0 { 1.0 } else { 0.6 };
            hit(b, 42, 0.25, level * accent * 0.7);
        }
    }
    out
}
