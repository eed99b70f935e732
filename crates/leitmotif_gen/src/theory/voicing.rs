//! Chord voicing and voice leading.

use super::{Chord, PitchClass};

/// A close-position voicing of `chord` with `voices` notes, the lowest at or above `floor`
/// (MIDI pitch). The chord's bass note (slash bass or root) is the lowest note.
pub fn voice_chord(chord: &Chord, floor: u8, voices: usize) -> Vec<u8> {
    let tones = chord.tones();
    let bass = chord.bass_note();
    let start = tones.iter().position(|&t| t == bass).unwrap_or(0);
    let mut out = Vec::with_capacity(voices);
    let mut pitch = first_at_or_above(bass, floor as i32);
    for i in 0..voices {
        if i > 0 {
            let pc = tones[(start + i) % tones.len()];
            pitch = first_at_or_above(pc, pitch + 1);
        }
        out.push(pitch.clamp(0, 127) as u8);
    }
    out
}

fn first_at_or_above(pc: PitchClass, floor: i32) -> i32 {
    floor + (pc.value() as i32 - floor).rem_euclid(12)
}

/// Voices `chord` so that each voice of `prev` moves as little as possible.
///
/// Returns one pitch per voice of `prev`, in the same order. Each voice chooses among the
/// nearest instances (above and below) of every chord tone; the combination with the smallest
/// total movement wins, with penalties for leaving out the root or third (or the seventh of a
/// seventh chord), for unisons and for crossing voices. When `prev` is empty a close voicing
/// from middle C with one voice per chord tone is returned.
pub fn voice_lead(prev: &[u8], chord: &Chord) -> Vec<u8> {
    if prev.is_empty() {
        return voice_chord(chord, 60, chord.tones().len());
    }
    let tones = chord.tones();
    // Candidates per voice: the nearest instance of each tone below and above.
    let candidates: Vec<Vec<i32>> = prev
        .iter()
        .map(|&p| {
            let mut c: Vec<i32> = Vec::with_capacity(tones.len() * 2);
            for &t in &tones {
                let near = t.nearest_midi(p as i32);
                c.push(near);
                c.push(if near <= p as i32 {
                    near + 12
                } else {
                    near - 12
                });
            }
            c.retain(|&x| (0..=127).contains(&x));
            c.sort_unstable();
            c.dedup();
            c.sort_by_key(|&x| (x - p as i32).abs());
            c.truncate(4);
            c
        })
        .collect();
    let n = prev.len();
    let mut best: Option<(i32, Vec<i32>)> = None;
    let mut idx = vec![0usize; n];
    let mut current = vec![0i32; n];
    loop {
        for v in 0..n {
            current[v] = candidates[v][idx[v]];
        }
        let cost = cost(prev, &current, chord);
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, current.clone()));
        }
        // Odometer increment.
        let mut v = 0;
        loop {
            if v == n {
                let (_, pitches) = best.expect("at least one combination");
                return pitches.into_iter().map(|p| p as u8).collect();
            }
            idx[v] += 1;
            if idx[v] < candidates[v].len() {
                break;
            }
            idx[v] = 0;
            v += 1;
        }
    }
}

fn cost(prev: &[u8], next: &[i32], chord: &Chord) -> i32 {
    let tones = chord.tones();
    let movement: i32 = prev
        .iter()
        .zip(next)
        .map(|(&p, &q)| (p as i32 - q).abs())
        .sum();
    let has = |pc: PitchClass| next.iter().any(|&q| PitchClass::new(q) == pc);
    let mut penalty = 0;
    if !has(tones[0]) {
        penalty += 8;
    }
    if !has(tones[1]) {
        penalty += 8;
    }
    if tones.len() > 3 && !has(tones[3]) && next.len() >= 4 {
        penalty += 4;
    }
    if tones.len() > 2 && !has(tones[2]) && next.len() >= tones.len() {
        penalty += 1;
    }
    for i in 0..next.len() {
        for j in i + 1..next.len() {
            if next[i] == next[j] {
                penalty += 6;
            }
            // Crossing: the order of voices should follow the order of the previous chord.
            if (prev[i] < prev[j]) != (next[i] < next[j]) && prev[i] != prev[j] {
                penalty += 5;
            }
        }
    }
    movement + penalty
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcs(v: &[u8]) -> Vec<u8> {
        let mut p: Vec<u8> = v.iter().map(|&x| x % 12).collect();
        p.sort_unstable();
        p.dedup();
        p
    }

    #[test]
    fn close_voicing_has_bass_lowest() {
        let c = Chord::parse("C/E").unwrap();
        assert_eq!(voice_chord(&c, 48, 3), vec![52, 55, 60]);
        let g7 = Chord::parse("G7").unwrap();
        assert_eq!(voice_chord(&g7, 50, 4), vec![55, 59, 62, 65]);
    }

    #[test]
    fn voice_leading_moves_minimally() {
        // C major (C4 E4 G4) to F major: C stays, E->F, G->A.
        let f = Chord::parse("F").unwrap();
        assert_eq!(voice_lead(&[60, 64, 67], &f), vec![60, 65, 69]);
        // G7 (G3 B3 D4 F4) to C: classic resolution keeps movement within 2 semitones.
        let c = Chord::parse("C").unwrap();
        let next = voice_lead(&[55, 59, 62, 65], &c);
        for (a, b) in [55u8, 59, 62, 65].iter().zip(&next) {
            assert!((*a as i32 - *b as i32).abs() <= 2, "{next:?}");
        }
        assert_eq!(pcs(&next), vec![0, 4, 7]);
    }

    #[test]
    fn voice_leading_covers_chord_and_is_small_over_a_progression() {
        let prog = ["Dm", "Bb", "Gm7", "A7", "Dm", "F#m7b5", "Ebmaj7", "Caug"];
        let mut voices = vec![57u8, 62, 65, 69];
        for sym in prog {
            let chord = Chord::parse(sym).unwrap();
            let next = voice_lead(&voices, &chord);
            let moved: i32 = voices
                .iter()
                .zip(&next)
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .sum();
            assert!(moved <= 12, "{sym}: {voices:?} -> {next:?}");
            for &p in &next {
                assert!(chord.contains(PitchClass::of_midi(p)), "{sym} {next:?}");
            }
            assert!(next.iter().any(|&p| PitchClass::of_midi(p) == chord.root));
            voices = next;
        }
    }
}
