//! The bridge's chord path.
//!
//! The path is built backwards from its goal, the dominant of the target (V7 of the target key
//! when the target starts on its tonic, else the applied dominant of the target's first chord):
//! a pre-dominant (ii, ii7, iiø7, IV/iv or V7/V) precedes it, and earlier slots are filled with
//! chords a fifth above (descending-fifth motion), a third above (mediant motion) or applied
//! dominants of the following chord. The first slot may also be a pivot chord (diatonic in both
//! keys) or, for distant keys, a chromatic mediant of the source chord. Many candidate paths are
//! drawn from the seed and the best by a voice-leading/modulation score wins.

use rand::Rng;

use crate::rng::GenRng;
use crate::theory::{Chord, ChordQuality, Key};

/// Where the chords change: (start beat, length in beats) per slot.
pub(super) fn slots(bars: u32, beats_per_bar: u32, split_last: bool) -> Vec<(f64, f64)> {
    let bpb = beats_per_bar as f64;
    let mut out: Vec<(f64, f64)> = (0..bars).map(|b| (b as f64 * bpb, bpb)).collect();
    if (bars == 1 || split_last) && beats_per_bar >= 2 {
        let (start, len) = out.pop().expect("bars >= 1");
        let first = (len / 2.0).ceil();
        out.push((start, first));
        out.push((start + first, len - first));
    }
    out
}

/// The chord the bridge ends on: it resolves to `to_chord` on the next downbeat.
pub(super) fn goal(to_key: &Key, to_chord: &Chord, triad: bool) -> Chord {
    let root = if to_chord.root == to_key.tonic {
        to_key.tonic.transpose(7)
    } else {
        to_chord.root.transpose(7)
    };
    let q = if triad {
        ChordQuality::Major
    } else {
        ChordQuality::Dominant7
    };
    Chord::new(root, q)
}

/// Applied dominant (V7) of `c`.
fn applied_dominant(c: &Chord) -> Chord {
    Chord::new(c.root.transpose(7), ChordQuality::Dominant7)
}

/// Chords that lead well into `next`, with weights.
fn predecessors(next: &Chord, key: &Key, is_goal: bool) -> Vec<(Chord, f64)> {
    let mut out = Vec::new();
    if is_goal {
        out.push((key.chord_on(1, false), 2.0));
        out.push((key.chord_on(1, true), 2.0));
        out.push((key.chord_on(3, false), 2.0));
        out.push((applied_dominant(next), 1.0));
        return out;
    }
    if let Some(d) = key.degree_of(next.root) {
        out.push((key.chord_on(d + 4, false), 3.0)); // a fifth above
        out.push((key.chord_on(d + 2, false), 1.0)); // a third above
        out.push((key.chord_on(d + 6, false), 0.7)); // a step below... (IV→V style)
    }
    let stable = matches!(
        next.quality,
        ChordQuality::Major | ChordQuality::Minor | ChordQuality::Minor7 | ChordQuality::Major7
    );
    if stable && next.root != key.tonic {
        out.push((applied_dominant(next), 1.2));
    }
    if out.is_empty() {
        // Chromatic chord: any diatonic chord sharing two tones.
        for d in 0..7 {
            let c = key.chord_on(d, false);
            if c.common_tones(next) >= 2 {
                out.push((c, 1.0));
            }
        }
        out.push((key.tonic_chord(), 0.5));
    }
    out.retain(|(c, _)| c.quality != ChordQuality::Augmented && c != next);
    out
}

fn pick(r: &mut GenRng, options: &[(Chord, f64)]) -> Chord {
    let total: f64 = options.iter().map(|o| o.1).sum();
    let mut x = r.random::<f64>() * total;
    for (c, w) in options {
        if x < *w {
            return *c;
        }
        x -= w;
    }
    options[options.len() - 1].0
}

/// Whether `a` is a chromatic mediant of `b`: roots a third apart, same quality family, at
/// least one common tone, not both diatonic to one major scale.
fn chromatic_mediant(a: &Chord, b: &Chord) -> bool {
    let iv = a.root.interval_to(b.root);
    matches!(iv, 3 | 4 | 8 | 9)
        && a.quality.has_minor_third() == b.quality.has_minor_third()
        && a.common_tones(b) >= 1
}

/// Candidate chords for the first slot, besides the backward walk.
fn openers(from: &Key, from_chord: &Chord, to: &Key) -> Vec<Chord> {
    let mut out = Vec::new();
    for d in 0..7 {
        let c = to.chord_on(d, false);
        if from.is_diatonic(&c) && c.quality != ChordQuality::Diminished {
            out.push(c); // pivot
        }
    }
    for off in [3, 4, 8, 9] {
        for q in [ChordQuality::Major, ChordQuality::Minor] {
            let c = Chord::new(from_chord.root.transpose(off), q);
            if chromatic_mediant(&c, from_chord) && to.is_diatonic(&c) {
                out.push(c);
            }
        }
    }
    out
}

fn score(path: &[Chord], from: &Key, from_chord: &Chord, to: &Key) -> f64 {
    let first = &path[0];
    let far = from.fifths_distance(to) >= 3
        || (from.mode.is_minor() != to.mode.is_minor()
            && from.tonic != to.tonic
            && from.fifths_distance(to) >= 2);
    let mut s = 0.7 * first.common_tones(from_chord) as f64;
    let pivot = from.is_diatonic(first) && to.is_diatonic(first);
    if pivot {
        s += 4.0;
    }
    if far && chromatic_mediant(first, from_chord) {
        s += 4.5;
    }
    if path.len() > 1 && first == from_chord {
        s -= 3.0;
    }
    for w in path.windows(2) {
        if w[0] == w[1] {
            s -= 5.0;
        }
        if w[0].root.transpose(-7) == w[1].root {
            s += 0.6; // falling fifth
        }
    }
    s
}

/// Composes the chord path: one chord per slot, the last being [`goal`].
pub(super) fn chord_path(
    r: &mut GenRng,
    from: &Key,
    from_chord: &Chord,
    to: &Key,
    goal_chord: Chord,
    n: usize,
) -> Vec<Chord> {
    let openers = openers(from, from_chord, to);
    let mut best: Option<(f64, Vec<Chord>)> = None;
    for _ in 0..48 {
        let mut path = vec![goal_chord];
        while path.len() < n {
            let options = predecessors(&path[0], to, path.len() == 1);
            let first_slot = path.len() + 1 == n;
            let c = if first_slot && !openers.is_empty() && r.random_bool(0.5) {
                openers[r.random_range(0..openers.len())]
            } else {
                pick(r, &options)
            };
            path.insert(0, c);
        }
        let mut s = score(&path, from, from_chord, to) + r.random::<f64>() * 1.5;
        if n >= 3 && path.iter().any(|c| !to.is_diatonic(c) && *c != goal_chord) {
            s += 0.5;
        }
        if best.as_ref().is_none_or(|(b, _)| s > *b) {
            best = Some((s, path));
        }
    }
    let mut path = best.expect("at least one candidate").1;
    for c in &mut path {
        c.flats = to.prefers_flats() || (c.flats && to.sharps() == 0);
    }
    path
}
