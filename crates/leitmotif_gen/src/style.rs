//! A variable-order Markov style model.
//!
//! Melodies are modelled as sequences of (interval, duration) tokens, chord progressions as
//! sequences of chord functions (root offset from the tonic and chord class). Contexts of order
//! 3, 2 and 1 are counted during training; generation uses the longest context seen in training
//! and backs off to shorter ones (down to the unconditioned distribution). Candidate tokens are
//! weighted by how well they fit the key and the current chord, so the output follows the given
//! harmony while keeping the trained style. All tables are ordered maps: generation is
//! deterministic for a seed.

use std::collections::BTreeMap;

use rand::Rng;

use crate::error::GenError;
use crate::rng::rng;
use crate::theory::{Chord, ChordQuality, Key, PitchClass};

/// Marker interval of a rest token.
const REST: i8 = i8::MAX;
/// Durations are quantised to this fraction of a beat.
const QUANTUM: f32 = 0.25;
/// Longest melodic context.
const MAX_ORDER: usize = 3;

/// (interval in semitones or [`REST`], duration in quarter beats).
type Token = (i8, u8);
type Table<T> = BTreeMap<Vec<T>, BTreeMap<T, u32>>;

/// Counts of melodic and harmonic continuations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StyleModel {
    melody: Table<Token>,
    chords: Table<u8>,
}

/// Built-in public-domain training melodies as (MIDI pitch, beats).
const CORPUS: &[&[(i32, f32)]] = &[
    // Ode to Joy.
    &[
        (64, 1.),
        (64, 1.),
        (65, 1.),
        (67, 1.),
        (67, 1.),
        (65, 1.),
        (64, 1.),
        (62, 1.),
        (60, 1.),
        (60, 1.),
        (62, 1.),
        (64, 1.),
        (64, 1.5),
        (62, 0.5),
        (62, 2.),
        (64, 1.),
        (64, 1.),
        (65, 1.),
        (67, 1.),
        (67, 1.),
        (65, 1.),
        (64, 1.),
        (62, 1.),
        (60, 1.),
        (60, 1.),
        (62, 1.),
        (64, 1.),
        (62, 1.5),
        (60, 0.5),
        (60, 2.),
    ],
    // Frère Jacques.
    &[
        (60, 1.),
        (62, 1.),
        (64, 1.),
        (60, 1.),
        (60, 1.),
        (62, 1.),
        (64, 1.),
        (60, 1.),
        (64, 1.),
        (65, 1.),
        (67, 2.),
        (64, 1.),
        (65, 1.),
        (67, 2.),
        (67, 0.5),
        (69, 0.5),
        (67, 0.5),
        (65, 0.5),
        (64, 1.),
        (60, 1.),
        (67, 0.5),
        (69, 0.5),
        (67, 0.5),
        (65, 0.5),
        (64, 1.),
        (60, 1.),
        (60, 1.),
        (55, 1.),
        (60, 2.),
        (60, 1.),
        (55, 1.),
        (60, 2.),
    ],
    // Greensleeves.
    &[
        (69, 1.),
        (72, 2.),
        (74, 1.),
        (76, 1.5),
        (77, 0.5),
        (76, 1.),
        (74, 2.),
        (71, 1.),
        (67, 1.5),
        (69, 0.5),
        (71, 1.),
        (72, 2.),
        (69, 1.),
        (69, 1.5),
        (68, 0.5),
        (69, 1.),
        (71, 2.),
        (68, 1.),
        (64, 2.),
        (-1, 1.),
    ],
    // Amazing Grace.
    &[
        (62, 1.),
        (67, 2.),
        (71, 0.5),
        (67, 0.5),
        (71, 2.),
        (69, 1.),
        (67, 2.),
        (64, 1.),
        (62, 2.),
        (62, 1.),
        (67, 2.),
        (71, 0.5),
        (67, 0.5),
        (71, 2.),
        (69, 1.),
        (74, 3.),
    ],
    // Twinkle, Twinkle.
    &[
        (60, 1.),
        (60, 1.),
        (67, 1.),
        (67, 1.),
        (69, 1.),
        (69, 1.),
        (67, 2.),
        (65, 1.),
        (65, 1.),
        (64, 1.),
        (64, 1.),
        (62, 1.),
        (62, 1.),
        (60, 2.),
        (67, 1.),
        (67, 1.),
        (65, 1.),
        (65, 1.),
        (64, 1.),
        (64, 1.),
        (62, 2.),
    ],
];

/// Built-in progressions: (key, chords).
const PROGRESSIONS: &[(&str, &[&str])] = &[
    ("C major", &["C", "G", "Am", "F", "C", "G", "F", "C"]),
    ("C major", &["Am", "F", "C", "G", "Am", "F", "G", "C"]),
    ("C major", &["C", "Am", "Dm", "G", "C", "F", "G", "C"]),
    ("A minor", &["Am", "F", "C", "G", "Am", "Dm", "E", "Am"]),
    ("A minor", &["Am", "Dm", "G", "C", "F", "Dm", "E", "Am"]),
];

impl StyleModel {
    /// An empty model (generation then falls back to stepwise motion).
    pub fn new() -> Self {
        Self::default()
    }

    /// A model trained on a small built-in corpus of public-domain tunes and common
    /// progressions.
    pub fn builtin() -> Self {
        let mut m = Self::new();
        for theme in CORPUS {
            m.train_theme(theme);
        }
        for (key, chords) in PROGRESSIONS {
            let key = Key::parse(key).expect("built-in key");
            let chords: Vec<Chord> = chords
                .iter()
                .map(|c| Chord::parse(c).expect("chord"))
                .collect();
            m.train_progression(&key, &chords);
        }
        m
    }

    /// Adds a melody: (MIDI pitch or −1 for a rest, beats).
    pub fn train_theme(&mut self, notes: &[(i32, f32)]) {
        let tokens = tokenize(notes);
        count(&mut self.melody, &tokens);
    }

    /// Adds the first melodic track of a Standard MIDI File.
    pub fn train_midi(&mut self, smf: &[u8]) -> Result<(), GenError> {
        let theme = crate::midi::read_theme(smf)?;
        self.train_theme(&theme);
        Ok(())
    }

    /// Adds a chord progression in `key`.
    pub fn train_progression(&mut self, key: &Key, chords: &[Chord]) {
        let funcs: Vec<u8> = chords.iter().map(|c| function_of(key, c)).collect();
        count(&mut self.chords, &funcs);
    }

    /// Number of distinct melodic contexts learned (all orders).
    pub fn contexts(&self) -> usize {
        self.melody.len()
    }

    /// Generates a melody of exactly `len_beats` beats over `chords` (start beat, chord; sorted)
    /// in `key`. Returns (MIDI pitch or −1 for a rest, beats), pitches around G4–G5.
    pub fn generate(
        &self,
        len_beats: f64,
        key: &Key,
        chords: &[(f64, Chord)],
        seed: u64,
    ) -> Vec<(i32, f32)> {
        let mut r = rng(seed, 0x0005_711E);
        let chord_at = |beat: f64| -> Chord {
            chords
                .iter()
                .rev()
                .find(|(b, _)| *b <= beat + 1e-9)
                .or(chords.first())
                .map(|(_, c)| *c)
                .unwrap_or_else(|| key.tonic_chord())
        };
        let mut out = Vec::new();
        let mut history: Vec<Token> = Vec::new();
        let first = chord_at(0.0);
        let mut pitch = first.root.nearest_midi(69);
        let mut t = 0.0f64;
        let mut started = false;
        while t < len_beats - 1e-6 {
            let remaining = len_beats - t;
            let chord = chord_at(t);
            let dist = self.distribution(&history);
            let on_beat = (t - t.round()).abs() < 1e-6;
            let mut weighted: Vec<(Token, f64)> = Vec::new();
            for (&tok, &n) in &dist {
                let (iv, q) = tok;
                let dur = q as f64 * QUANTUM as f64;
                let mut w = n as f64;
                if iv == REST {
                    if !started {
                        continue;
                    }
                    weighted.push((tok, w * 0.5));
                    continue;
                }
                let p = pitch + if started { iv as i32 } else { 0 };
                let pc = PitchClass::new(p);
                if !key.contains(pc) && !chord.contains(pc) {
                    w *= 0.02;
                }
                if on_beat && dur >= 1.0 {
                    w *= if chord.contains(pc) { 3.0 } else { 0.2 };
                }
                if !(57..=86).contains(&p) {
                    w *= 0.01;
                }
                if dur > remaining + 1e-6 {
                    w *= 0.3;
                }
                weighted.push((tok, w));
            }
            let total: f64 = weighted.iter().map(|(_, w)| w).sum();
            let (iv, q) = if total <= 0.0 {
                // No training data: a step towards the chord.
                (if pitch > 72 { -2 } else { 2 }, 4)
            } else {
                let mut x = r.random::<f64>() * total;
                let mut pick = weighted[weighted.len() - 1].0;
                for &(tok, w) in &weighted {
                    if x < w {
                        pick = tok;
                        break;
                    }
                    x -= w;
                }
                pick
            };
            let dur = (q.max(1) as f64 * QUANTUM as f64).min(remaining);
            if iv == REST {
                out.push((-1, dur as f32));
            } else {
                if started {
                    pitch += iv as i32;
                }
                started = true;
                let pc = PitchClass::new(pitch);
                if !key.contains(pc) && !chord.contains(pc) {
                    pitch += 1;
                }
                out.push((pitch, dur as f32));
            }
            history.push((iv, q));
            t += dur;
        }
        // End on a chord tone of the last chord.
        if let Some(last) = out.iter_mut().rev().find(|(p, _)| *p >= 0) {
            let chord = chord_at(len_beats - 1e-3);
            if !chord.contains(PitchClass::new(last.0)) {
                last.0 = chord.root.nearest_midi(last.0);
            }
        }
        out
    }

    /// Generates `bars` chords (one per bar) in `key` from the learned chord functions,
    /// starting on the tonic.
    pub fn generate_progression(&self, bars: usize, key: &Key, seed: u64) -> Vec<Chord> {
        let mut r = rng(seed, 0x000C_402D);
        let mut funcs: Vec<u8> = vec![function_of(key, &key.tonic_chord())];
        while funcs.len() < bars {
            let dist = backoff(&self.chords, &funcs);
            let total: u32 = dist.values().sum();
            let next = if total == 0 {
                function_of(key, &key.chord_on(funcs.len() * 3 % 7, false))
            } else {
                let mut x = r.random_range(0..total);
                let mut pick = 0;
                for (&f, &n) in &dist {
                    if x < n {
                        pick = f;
                        break;
                    }
                    x -= n;
                }
                pick
            };
            funcs.push(next);
        }
        funcs.truncate(bars);
        funcs.iter().map(|&f| chord_of(key, f)).collect()
    }

    fn distribution(&self, history: &[Token]) -> BTreeMap<Token, u32> {
        backoff(&self.melody, history)
    }
}

/// The continuation counts of the longest seen suffix of `history` (orders 3..1, then 0).
fn backoff<T: Ord + Copy>(table: &Table<T>, history: &[T]) -> BTreeMap<T, u32> {
    for order in (0..=MAX_ORDER.min(history.len())).rev() {
        let ctx = history[history.len() - order..].to_vec();
        if let Some(d) = table.get(&ctx) {
            return d.clone();
        }
    }
    BTreeMap::new()
}

fn count<T: Ord + Copy>(table: &mut Table<T>, seq: &[T]) {
    for i in 0..seq.len() {
        for order in 0..=MAX_ORDER.min(i) {
            let ctx = seq[i - order..i].to_vec();
            *table.entry(ctx).or_default().entry(seq[i]).or_default() += 1;
        }
    }
}

fn tokenize(notes: &[(i32, f32)]) -> Vec<Token> {
    let mut prev: Option<i32> = None;
    notes
        .iter()
        .filter(|(_, d)| *d > 0.0)
        .map(|&(p, d)| {
            let q = ((d / QUANTUM).round() as i64).clamp(1, 32) as u8;
            if p < 0 {
                return (REST, q);
            }
            let iv = prev.map_or(0, |pp| (p - pp).clamp(-12, 12)) as i8;
            prev = Some(p);
            (iv, q)
        })
        .collect()
}

/// Chord function: root offset above the tonic × 4 + class (0 major, 1 minor, 2 diminished,
/// 3 dominant seventh).
fn function_of(key: &Key, chord: &Chord) -> u8 {
    let class = match chord.quality {
        ChordQuality::Dominant7 => 3,
        ChordQuality::Diminished | ChordQuality::HalfDiminished7 | ChordQuality::Diminished7 => 2,
        q if q.has_minor_third() => 1,
        _ => 0,
    };
    key.tonic.interval_to(chord.root) * 4 + class
}

fn chord_of(key: &Key, f: u8) -> Chord {
    let quality = match f % 4 {
        0 => ChordQuality::Major,
        1 => ChordQuality::Minor,
        2 => ChordQuality::Diminished,
        _ => ChordQuality::Dominant7,
    };
    let mut c = Chord::new(key.tonic.transpose((f / 4) as i32), quality);
    c.flats = key.prefers_flats();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histograms(themes: &[Vec<(i32, f32)>]) -> (Vec<f64>, Vec<f64>) {
        let mut iv = vec![0.0; 25];
        let mut du = vec![0.0; 33];
        for theme in themes {
            for (i, tok) in tokenize(theme).iter().enumerate() {
                if tok.0 != REST && i > 0 {
                    iv[(tok.0 + 12) as usize] += 1.0;
                }
                du[tok.1 as usize] += 1.0;
            }
        }
        let norm = |v: &mut Vec<f64>| {
            let s: f64 = v.iter().sum();
            v.iter_mut().for_each(|x| *x /= s.max(1.0));
        };
        norm(&mut iv);
        norm(&mut du);
        (iv, du)
    }

    fn l1(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
    }

    #[test]
    fn generated_material_is_closer_to_training_than_uniform_random() {
        let model = StyleModel::builtin();
        let key = Key::parse("C major").unwrap();
        let chords: Vec<(f64, Chord)> = ["C", "Am", "F", "G"]
            .iter()
            .enumerate()
            .map(|(i, c)| (i as f64 * 4.0, Chord::parse(c).unwrap()))
            .collect();
        let training: Vec<Vec<(i32, f32)>> = CORPUS.iter().map(|t| t.to_vec()).collect();
        let generated: Vec<Vec<(i32, f32)>> = (0..20)
            .map(|s| model.generate(16.0, &key, &chords, s))
            .collect();
        for g in &generated {
            let total: f32 = g.iter().map(|n| n.1).sum();
            assert!((total - 16.0).abs() < 1e-4, "length {total}");
        }
        let mut r = rng(99, 1);
        let uniform: Vec<Vec<(i32, f32)>> = (0..20)
            .map(|_| {
                let mut p = 67;
                (0..24)
                    .map(|_| {
                        p = (p + r.random_range(-12..=12)).clamp(48, 90);
                        (p, r.random_range(1..=16) as f32 * QUANTUM)
                    })
                    .collect()
            })
            .collect();
        let (ti, td) = histograms(&training);
        let (gi, gd) = histograms(&generated);
        let (ui, ud) = histograms(&uniform);
        assert!(
            l1(&gi, &ti) < l1(&ui, &ti) * 0.7,
            "{} vs {}",
            l1(&gi, &ti),
            l1(&ui, &ti)
        );
        assert!(
            l1(&gd, &td) < l1(&ud, &td) * 0.7,
            "{} vs {}",
            l1(&gd, &td),
            l1(&ud, &td)
        );
    }

    #[test]
    fn backoff_uses_longest_seen_context() {
        let mut m = StyleModel::new();
        m.train_theme(&[(60, 1.0), (62, 1.0), (64, 1.0), (60, 2.0)]);
        // Context (+2,+2) was followed by (-4, 2 beats) only.
        let d = m.distribution(&[(0, 4), (2, 4), (2, 4)]);
        assert_eq!(d.into_iter().collect::<Vec<_>>(), vec![((-4, 8), 1)]);
        // An unseen context backs off to the unconditioned counts.
        let d = m.distribution(&[(7, 1)]);
        assert_eq!(d.values().sum::<u32>(), 4);
    }

    #[test]
    fn generation_is_deterministic_and_varied() {
        let model = StyleModel::builtin();
        let key = Key::parse("D minor").unwrap();
        let chords = [
            (0.0, Chord::parse("Dm").unwrap()),
            (4.0, Chord::parse("A7").unwrap()),
        ];
        let a = model.generate(8.0, &key, &chords, 5);
        assert_eq!(a, model.generate(8.0, &key, &chords, 5));
        let distinct: std::collections::BTreeSet<String> = (0..10)
            .map(|s| format!("{:?}", model.generate(8.0, &key, &chords, s)))
            .collect();
        assert!(distinct.len() >= 5);
        let prog = model.generate_progression(8, &key, 3);
        assert_eq!(prog.len(), 8);
        assert_eq!(prog[0].to_string(), "Dm");
    }
}
