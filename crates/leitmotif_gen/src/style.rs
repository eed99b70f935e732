//! A variable-order Markov style model, learned from a composer's MIDI files.
//!
//! **What it learns.** From each file ([`Song`]): the melody (the highest voice) as a sequence
//! of (interval, duration) tokens — contour and rhythm together — and as scale degrees relative
//! to the file's key (what the tune does *in* its key); where each duration falls in the beat
//! (metric position); how long its phrases are (a phrase ends on a rest or a long note); and,
//! where the file carries them, its bass line (the lowest voice, as its own token sequence) and
//! its chord progression (one chord per bar, recognised from the other voices, as chord
//! functions relative to the key).
//!
//! **Method.** Interpolated variable-order Markov chains (order ≤ 3 for melodic tokens, ≤ 2 for
//! degrees and chords) with Witten–Bell smoothing, the estimator of PPM-C: the probability of a
//! continuation after a context mixes that context's counts with the next shorter context's
//! probability, weighted by how many distinct continuations the context has seen, down to a
//! uniform distribution over the vocabulary. So every continuation has a probability (the
//! model can score held-out material, [`StyleModel::log_likelihood`]) and rare contexts lean on
//! shorter ones. A neural model would need far more data than a composer's folder of files
//! and could not be read or checked; counts train in milliseconds and are deterministic.
//!
//! **Generation.** Each next note is sampled from the product of the token model, the degree
//! model (pitch in the key) and the metric model (duration at this position in the beat),
//! weighted by the harmony (chord tones on strong beats), the register, and the phrase model
//! (a phrase-ending note grows likelier as the phrase reaches a length drawn from the learned
//! ones). A sampled note that would extend a run of notes copied verbatim from the training
//! material past [`MAX_COPY`] notes is refused, so the model writes in a style without quoting
//! its sources. All tables are ordered maps: generation is deterministic for a seed.

mod song;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rand::Rng;
use serde::{Deserialize, Serialize};

pub use song::Song;

use crate::error::GenError;
use crate::rng::rng;
use crate::theory::{Chord, ChordQuality, Key, PitchClass};

/// Marker interval of a rest token.
const REST: i8 = i8::MAX;
/// Durations are quantised to this fraction of a beat.
pub const QUANTUM: f32 = 0.25;
/// Longest melodic context.
const MAX_ORDER: usize = 3;
/// Longest degree and chord context.
const MAX_DEGREE_ORDER: usize = 2;
/// Longest run of consecutive (interval, duration) tokens a generated line may share with the
/// training material (the 12-note runs the style test checks are well above it).
pub const MAX_COPY: usize = 8;
/// Interval range of a token (larger leaps are clamped).
const MAX_LEAP: i8 = 12;
/// Longest duration token, in quanta (8 beats).
const MAX_QUANTA: u8 = 32;
/// Vocabulary sizes of the uniform base distributions.
const TOKEN_VOCAB: f64 = ((2 * MAX_LEAP as usize + 2) * MAX_QUANTA as usize) as f64;
const DEGREE_VOCAB: f64 = 12.0;
const CHORD_VOCAB: f64 = 48.0;
const QUANTA_VOCAB: f64 = MAX_QUANTA as f64;
/// Format version of `*.style.ron` files.
pub const STYLE_FORMAT: u32 = 1;

/// (interval in semitones or [`REST`], duration in quanta).
type Token = (i8, u8);
type Table<T> = BTreeMap<Vec<T>, BTreeMap<T, u32>>;

/// What a model was trained on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StyleStats {
    /// Files (or built-in tunes) trained on.
    pub files: u32,
    /// Melody notes learned.
    pub notes: u32,
    /// Bass notes learned (files whose lowest voice is clearly below the melody).
    pub bass_notes: u32,
    /// Bars of chords learned (files whose other voices carry harmony).
    pub chord_bars: u32,
}

/// Counts of melodic, metric, phrase, bass and harmonic continuations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StyleModel {
    /// What the model was trained on.
    pub stats: StyleStats,
    melody: Table<Token>,
    degrees: Table<u8>,
    /// Duration (quanta) after the context [position in the beat (quanta), downbeat (0/1)].
    rhythm: Table<u8>,
    /// Phrase lengths in beats.
    phrases: BTreeMap<u8, u32>,
    chords: Table<u8>,
    bass: Table<Token>,
    /// Hashes of every training run of [`MAX_COPY`] + 1 tokens (the copy guard).
    #[serde(default)]
    runs: BTreeSet<u64>,
}

/// A trained model as written by `leitmotif style train` (`*.style.ron`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleFile {
    /// [`STYLE_FORMAT`].
    pub format: u32,
    /// The files it was trained on (as given).
    pub sources: Vec<String>,
    /// The model.
    pub model: StyleModel,
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

/// Where a score's style comes from (the score's `style` field): a trained model file, MIDI
/// files to train on (paths or globs), or both (the model, trained further on the files).
/// Paths are relative to `base`.
pub fn load_style(
    base: &Path,
    model: Option<&str>,
    midi: &[String],
) -> Result<StyleModel, GenError> {
    let mut m = match model {
        Some(p) => {
            let path = base.join(p);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| GenError::Style(format!("{}: {e}", path.display())))?;
            StyleModel::from_ron(&text)
                .map_err(|e| GenError::Style(format!("{}:{e}", path.display())))?
        }
        None => StyleModel::new(),
    };
    for file in expand(base, midi)? {
        let bytes = std::fs::read(&file)
            .map_err(|e| GenError::Style(format!("{}: {e}", file.display())))?;
        m.train_midi(&bytes)
            .map_err(|e| GenError::Style(format!("{}: {e}", file.display())))?;
    }
    Ok(m)
}

/// The files `patterns` name (globs expanded, sorted), relative to `base`. A pattern that
/// matches nothing is an error.
pub fn expand(base: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, GenError> {
    let mut out = Vec::new();
    for p in patterns {
        let full = base.join(p);
        let text = full.to_string_lossy().into_owned();
        if !text.contains(['*', '?', '[']) {
            out.push(full);
            continue;
        }
        let mut found: Vec<PathBuf> = glob::glob(&text)
            .map_err(|e| GenError::Style(format!("bad glob {p:?}: {e}")))?
            .filter_map(Result::ok)
            .filter(|f| f.is_file())
            .collect();
        if found.is_empty() {
            return Err(GenError::Style(format!(
                "{p:?} matches no file (looked in {})",
                base.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

impl StyleModel {
    /// An empty model (generation then falls back to stepwise motion).
    pub fn new() -> Self {
        Self::default()
    }

    /// A model trained on a small built-in corpus of public-domain tunes and common
    /// progressions.
    pub fn builtin() -> Self {
        builtin().clone()
    }

    /// Adds a melody: (MIDI pitch or −1 for a rest, beats), in `key` (estimated from the notes
    /// when `None`), `bar_beats` beats to the bar.
    pub fn train_theme_in(&mut self, notes: &[(i32, f32)], key: Option<&Key>, bar_beats: f64) {
        let key = key
            .copied()
            .unwrap_or_else(|| song::estimate_key(notes.iter().map(|&(p, d)| (p, d as f64))));
        let tokens = tokenize(notes);
        count(&mut self.melody, &tokens, MAX_ORDER);
        self.remember_runs(&tokens);
        let degrees: Vec<u8> = notes
            .iter()
            .filter(|n| n.0 >= 0 && n.1 > 0.0)
            .map(|n| key.tonic.interval_to(PitchClass::new(n.0)))
            .collect();
        count(&mut self.degrees, &degrees, MAX_DEGREE_ORDER);
        let phase = metric_phase(notes, bar_beats);
        let mut t = phase;
        for &(p, d) in notes.iter().filter(|n| n.1 > 0.0) {
            if p >= 0 {
                let ctx = metric_context(t, bar_beats);
                let q = quantize(d);
                for k in 0..=2 {
                    *self
                        .rhythm
                        .entry(ctx[2 - k..].to_vec())
                        .or_default()
                        .entry(q)
                        .or_default() += 1;
                }
            }
            t += d as f64;
        }
        for len in phrase_lengths(notes) {
            *self.phrases.entry(len).or_default() += 1;
        }
        self.stats.notes += degrees.len() as u32;
    }

    /// Adds a melody in 4/4 whose key is estimated from its notes.
    pub fn train_theme(&mut self, notes: &[(i32, f32)]) {
        self.train_theme_in(notes, None, 4.0);
    }

    /// Adds what a Standard MIDI File holds (see [`Song`]): its melody, its bass line and its
    /// chords when it carries them.
    pub fn train_midi(&mut self, smf: &[u8]) -> Result<(), GenError> {
        let song = Song::from_smf(smf)?;
        self.train_song(&song);
        Ok(())
    }

    /// Adds a song.
    pub fn train_song(&mut self, song: &Song) {
        self.train_theme_in(&song.melody, Some(&song.key), song.bar_beats);
        if let Some(bass) = &song.bass {
            let tokens = tokenize(bass);
            count(&mut self.bass, &tokens, MAX_ORDER);
            self.stats.bass_notes += tokens.iter().filter(|t| t.0 != REST).count() as u32;
        }
        if let Some(chords) = &song.chords {
            self.train_progression(&song.key, chords);
        }
        self.stats.files += 1;
    }

    /// Adds a chord progression in `key`.
    pub fn train_progression(&mut self, key: &Key, chords: &[Chord]) {
        let funcs: Vec<u8> = chords.iter().map(|c| function_of(key, c)).collect();
        count(&mut self.chords, &funcs, MAX_DEGREE_ORDER);
        self.stats.chord_bars += funcs.len() as u32;
    }

    /// Number of distinct melodic contexts learned (all orders).
    pub fn contexts(&self) -> usize {
        self.melody.len()
    }

    /// Whether the model learned a bass line.
    pub fn has_bass(&self) -> bool {
        total(self.bass.get(&[][..])) >= 16
    }

    /// Whether the model learned chord progressions.
    pub fn has_chords(&self) -> bool {
        total(self.chords.get(&[][..])) >= 4
    }

    /// The model as a `*.style.ron` file.
    pub fn to_ron(&self, sources: &[String]) -> String {
        let file = StyleFile {
            format: STYLE_FORMAT,
            sources: sources.to_vec(),
            model: self.clone(),
        };
        ron::ser::to_string(&file).expect("a style model serialises")
    }

    /// Reads a `*.style.ron` file; errors give `line:column: message`.
    pub fn from_ron(text: &str) -> Result<StyleModel, GenError> {
        let file: StyleFile = ron::from_str(text).map_err(|e| {
            GenError::Style(format!(
                "{}:{}: {} (write style files with `leitmotif style train`)",
                e.position.line, e.position.col, e.code
            ))
        })?;
        if file.format != STYLE_FORMAT {
            return Err(GenError::Style(format!(
                "1:1: style format {} is not {STYLE_FORMAT}; train it again with `leitmotif style train`",
                file.format
            )));
        }
        Ok(file.model)
    }

    /// Natural-log likelihood of a melody in `key` under the model (token and degree models),
    /// and the number of notes and rests scored.
    pub fn log_likelihood(&self, notes: &[(i32, f32)], key: &Key) -> (f64, usize) {
        let tokens = tokenize(notes);
        let mut sum = 0.0;
        let mut degrees: Vec<u8> = Vec::new();
        let mut pitched = notes.iter().filter(|n| n.1 > 0.0).map(|n| n.0);
        for (i, &tok) in tokens.iter().enumerate() {
            let ctx = &tokens[i.saturating_sub(MAX_ORDER)..i];
            sum += wb_prob(&self.melody, ctx, tok, TOKEN_VOCAB).ln();
            let p = pitched.next().unwrap_or(-1);
            if tok.0 != REST && p >= 0 {
                let d = key.tonic.interval_to(PitchClass::new(p));
                let dctx = &degrees[degrees.len().saturating_sub(MAX_DEGREE_ORDER)..];
                sum += wb_prob(&self.degrees, dctx, d, DEGREE_VOCAB).ln();
                degrees.push(d);
            }
        }
        (sum, tokens.len())
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
        self.line(Line::Melody, len_beats, key, chords, 4.0, seed)
    }

    /// [`generate`](Self::generate) with `bar_beats` beats to the bar (for the metric model).
    pub fn generate_in(
        &self,
        len_beats: f64,
        key: &Key,
        chords: &[(f64, Chord)],
        bar_beats: f64,
        seed: u64,
    ) -> Vec<(i32, f32)> {
        self.line(Line::Melody, len_beats, key, chords, bar_beats, seed)
    }

    /// A bass line in the learned bass style (`None` when the model learned none): roots and
    /// chord tones on strong beats, around G1–A3. With `grid` (quanta), every note is that long
    /// where the learned durations allow it.
    pub fn generate_bass(
        &self,
        len_beats: f64,
        key: &Key,
        chords: &[(f64, Chord)],
        bar_beats: f64,
        grid: Option<u8>,
        seed: u64,
    ) -> Option<Vec<(i32, f32)>> {
        self.has_bass()
            .then(|| self.line(Line::Bass(grid), len_beats, key, chords, bar_beats, seed))
    }

    fn line(
        &self,
        kind: Line,
        len_beats: f64,
        key: &Key,
        chords: &[(f64, Chord)],
        bar_beats: f64,
        seed: u64,
    ) -> Vec<(i32, f32)> {
        let mut r = rng(
            seed,
            match kind {
                Line::Melody => 0x0005_711E,
                Line::Bass(_) => 0x0005_7BA5,
            },
        );
        let chord_at = |beat: f64| -> Chord {
            chords
                .iter()
                .rev()
                .find(|(b, _)| *b <= beat + 1e-9)
                .or(chords.first())
                .map(|(_, c)| *c)
                .unwrap_or_else(|| key.tonic_chord())
        };
        let (table, register, centre) = match kind {
            Line::Melody => (&self.melody, 57..=86, 69),
            Line::Bass(_) => (&self.bass, 31..=57, 43),
        };
        let use_degrees = kind == Line::Melody && total(self.degrees.get(&[][..])) >= 50;
        let use_rhythm = kind == Line::Melody && total(self.rhythm.get(&[][..])) >= 50;
        let candidates: Vec<Token> = table
            .get(&[][..])
            .map(|d| d.keys().copied().collect())
            .unwrap_or_default();
        let long_q = self.long_quanta();
        let mut phrase_target = self.phrase_target(&mut r);
        let mut phrase_len = 0.0f64;
        let mut out = Vec::new();
        let mut history: Vec<Token> = Vec::new();
        let mut degrees: Vec<u8> = Vec::new();
        let mut pitch = chord_at(0.0).root.nearest_midi(centre);
        let mut t = 0.0f64;
        let mut started = false;
        let mut probs = vec![0.0f64; candidates.len()];
        while t < len_beats - 1e-6 {
            let remaining = len_beats - t;
            let chord = chord_at(t);
            let on_beat = (t - t.round()).abs() < 1e-6;
            let downbeat = on_beat && (t / bar_beats - (t / bar_beats).round()).abs() < 1e-6;
            let ctx = &history[history.len().saturating_sub(MAX_ORDER)..];
            wb_dist(table, ctx, &candidates, TOKEN_VOCAB, &mut probs);
            let dctx = &degrees[degrees.len().saturating_sub(MAX_DEGREE_ORDER)..];
            let mctx = metric_context(t, bar_beats);
            let mut weighted: Vec<(Token, f64)> = Vec::with_capacity(candidates.len());
            for (&tok, &prob) in candidates.iter().zip(&probs) {
                let (iv, q) = tok;
                let dur = q as f64 * QUANTUM as f64;
                let mut w = prob;
                if use_rhythm {
                    w *= wb_prob(&self.rhythm, &mctx, q, QUANTA_VOCAB).sqrt();
                }
                if dur > remaining + 1e-6 {
                    w *= 0.3;
                }
                if let Line::Bass(Some(grid)) = kind
                    && q != grid
                {
                    w *= 1e-6;
                }
                let ends_phrase = iv == REST || q >= long_q;
                if let (Some(target), Line::Melody) = (phrase_target, kind) {
                    let due = phrase_len + dur >= target - 1e-6;
                    w *= match (ends_phrase, due) {
                        (true, true) => 4.0,
                        (true, false) if phrase_len + dur < target * 0.5 => 0.3,
                        _ => 1.0,
                    };
                }
                if self.would_copy(&history, tok) {
                    continue;
                }
                if iv == REST {
                    if !started {
                        continue;
                    }
                    weighted.push((tok, w * 0.5));
                    continue;
                }
                if !started && iv != 0 {
                    // Lines start with an interval-free token, as every trained line does.
                    continue;
                }
                let p = pitch + if started { iv as i32 } else { 0 };
                let pc = PitchClass::new(p);
                if use_degrees {
                    w *= wb_prob(&self.degrees, dctx, key.tonic.interval_to(pc), DEGREE_VOCAB);
                } else if !key.contains(pc) && !chord.contains(pc) {
                    w *= 0.02;
                }
                match kind {
                    Line::Melody if on_beat && dur >= 1.0 => {
                        w *= if chord.contains(pc) { 3.0 } else { 0.3 };
                    }
                    Line::Bass(_) if downbeat => {
                        w *= if pc == chord.bass_note() { 8.0 } else { 0.1 };
                    }
                    Line::Bass(_) if on_beat => {
                        w *= if chord.contains(pc) { 3.0 } else { 0.3 };
                    }
                    _ => {}
                }
                if !register.contains(&p) {
                    w *= 0.01;
                }
                weighted.push((tok, w));
            }
            let total_w: f64 = weighted.iter().map(|(_, w)| w).sum();
            let (iv, q) = if total_w <= 0.0 {
                // No training data: a step towards the chord.
                (if pitch > centre + 3 { -2 } else { 2 }, 4)
            } else {
                let mut x = r.random::<f64>() * total_w;
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
                if !use_degrees && !key.contains(pc) && !chord.contains(pc) {
                    pitch += 1;
                }
                if matches!(kind, Line::Bass(_)) && downbeat && pc != chord.bass_note() {
                    // A bass line states the bar's bass note on the downbeat.
                    pitch = chord.bass_note().nearest_midi(pitch);
                }
                // Leaps out of the register come back by octaves.
                while pitch > *register.end() {
                    pitch -= 12;
                }
                while pitch < *register.start() {
                    pitch += 12;
                }
                degrees.push(key.tonic.interval_to(PitchClass::new(pitch)));
                out.push((pitch, dur as f32));
            }
            phrase_len += dur;
            if iv == REST || q >= long_q {
                phrase_len = 0.0;
                phrase_target = self.phrase_target(&mut r);
            }
            let heard = match (out.len(), out.iter().rev().filter(|n| n.0 >= 0).nth(1)) {
                (_, Some(prev)) if iv != REST => ((pitch - prev.0).clamp(-12, 12) as i8, q),
                _ if iv == REST => (REST, q),
                _ => (0, q),
            };
            history.push(heard);
            t += dur;
        }
        // End on a chord tone of the last chord (the root, for a bass line).
        if let Some(last) = out.iter_mut().rev().find(|(p, _)| *p >= 0) {
            let chord = chord_at(len_beats - 1e-3);
            let fits = match kind {
                Line::Melody => chord.contains(PitchClass::new(last.0)),
                Line::Bass(_) => PitchClass::new(last.0) == chord.bass_note(),
            };
            if !fits {
                last.0 = chord.bass_note().nearest_midi(last.0);
                if kind == Line::Melody {
                    last.0 = chord.root.nearest_midi(last.0);
                }
            }
        }
        out
    }

    /// A phrase length drawn from the learned ones (beats), or `None` when none were learned.
    fn phrase_target(&self, r: &mut crate::rng::GenRng) -> Option<f64> {
        let n: u32 = self.phrases.values().sum();
        if n < 4 {
            return None;
        }
        let mut x = r.random_range(0..n);
        for (&len, &c) in &self.phrases {
            if x < c {
                return Some(len as f64);
            }
            x -= c;
        }
        None
    }

    /// Quanta from which a note counts as long (ends a phrase): twice the median learned
    /// duration, at least a beat.
    fn long_quanta(&self) -> u8 {
        let Some(d) = self.rhythm.get(&[][..]) else {
            return 8;
        };
        let n: u32 = d.values().sum();
        let mut acc = 0;
        for (&q, &c) in d {
            acc += c;
            if acc * 2 >= n {
                return (q * 2).max((1.0 / QUANTUM) as u8);
            }
        }
        8
    }

    fn remember_runs(&mut self, tokens: &[Token]) {
        for w in tokens.windows(MAX_COPY + 1) {
            self.runs.insert(run_hash(w));
        }
    }

    /// Whether appending `tok` to `history` would repeat a training run longer than
    /// [`MAX_COPY`] tokens.
    fn would_copy(&self, history: &[Token], tok: Token) -> bool {
        if self.runs.is_empty() || history.len() < MAX_COPY {
            return false;
        }
        let mut w = history[history.len() - MAX_COPY..].to_vec();
        w.push(tok);
        self.runs.contains(&run_hash(&w))
    }

    /// Generates `bars` chords (one per bar) in `key` from the learned chord functions,
    /// starting on the tonic.
    pub fn generate_progression(&self, bars: usize, key: &Key, seed: u64) -> Vec<Chord> {
        let mut r = rng(seed, 0x000C_402D);
        let mut funcs: Vec<u8> = vec![function_of(key, &key.tonic_chord())];
        let candidates: Vec<u8> = self
            .chords
            .get(&[][..])
            .map(|d| d.keys().copied().collect())
            .unwrap_or_default();
        let mut probs = vec![0.0; candidates.len()];
        while funcs.len() < bars {
            let ctx = &funcs[funcs.len().saturating_sub(MAX_DEGREE_ORDER)..];
            let next = if candidates.is_empty() {
                function_of(key, &key.chord_on(funcs.len() * 3 % 7, false))
            } else {
                wb_dist(&self.chords, ctx, &candidates, CHORD_VOCAB, &mut probs);
                let sum: f64 = probs.iter().sum();
                let mut x = r.random::<f64>() * sum;
                let mut pick = candidates[candidates.len() - 1];
                for (&f, &p) in candidates.iter().zip(&probs) {
                    if x < p {
                        pick = f;
                        break;
                    }
                    x -= p;
                }
                pick
            };
            funcs.push(next);
        }
        funcs.truncate(bars);
        funcs.iter().map(|&f| chord_of(key, f)).collect()
    }
}

/// Which line [`StyleModel::line`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Melody,
    /// A bass line, on a grid of notes this many quanta long when given.
    Bass(Option<u8>),
}

/// The built-in model, trained once.
fn builtin() -> &'static StyleModel {
    static BUILTIN: OnceLock<StyleModel> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let mut m = StyleModel::new();
        for theme in CORPUS {
            m.train_theme(theme);
            m.stats.files += 1;
        }
        for (key, chords) in PROGRESSIONS {
            let key = Key::parse(key).expect("built-in key");
            let chords: Vec<Chord> = chords
                .iter()
                .map(|c| Chord::parse(c).expect("chord"))
                .collect();
            m.train_progression(&key, &chords);
        }
        // The built-in tunes are too few to guard against quoting them.
        m.runs.clear();
        m
    })
}

/// The score's style, or the built-in one.
pub fn style_or_builtin(style: Option<&StyleModel>) -> &StyleModel {
    style.unwrap_or_else(|| builtin())
}

fn run_hash(tokens: &[Token]) -> u64 {
    // FNV-1a: stable across runs and platforms (the set is written to style files).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &(iv, q) in tokens {
        for b in [iv as u8, q] {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn total<T>(d: Option<&BTreeMap<T, u32>>) -> u32 {
    d.map_or(0, |d| d.values().sum())
}

/// Witten–Bell probability of `t` after `history` (its last entries are the context).
fn wb_prob<T: Ord + Copy>(table: &Table<T>, history: &[T], t: T, vocab: f64) -> f64 {
    let mut p = 1.0 / vocab;
    for k in 0..=history.len() {
        let Some(d) = table.get(&history[history.len() - k..]) else {
            break;
        };
        let c: u32 = d.values().sum();
        let types = d.len() as f64;
        p = (d.get(&t).copied().unwrap_or(0) as f64 + types * p) / (c as f64 + types);
    }
    p
}

/// [`wb_prob`] for every candidate at once, into `out`.
fn wb_dist<T: Ord + Copy>(
    table: &Table<T>,
    history: &[T],
    cands: &[T],
    vocab: f64,
    out: &mut [f64],
) {
    out.iter_mut().for_each(|p| *p = 1.0 / vocab);
    for k in 0..=history.len() {
        let Some(d) = table.get(&history[history.len() - k..]) else {
            break;
        };
        let c: u32 = d.values().sum();
        let types = d.len() as f64;
        for (p, t) in out.iter_mut().zip(cands) {
            *p = (d.get(t).copied().unwrap_or(0) as f64 + types * *p) / (c as f64 + types);
        }
    }
}

fn count<T: Ord + Copy>(table: &mut Table<T>, seq: &[T], max_order: usize) {
    for i in 0..seq.len() {
        for order in 0..=max_order.min(i) {
            let ctx = seq[i - order..i].to_vec();
            *table.entry(ctx).or_default().entry(seq[i]).or_default() += 1;
        }
    }
}

fn quantize(beats: f32) -> u8 {
    ((beats / QUANTUM).round() as i64).clamp(1, MAX_QUANTA as i64) as u8
}

fn tokenize(notes: &[(i32, f32)]) -> Vec<Token> {
    let mut prev: Option<i32> = None;
    notes
        .iter()
        .filter(|(_, d)| *d > 0.0)
        .map(|&(p, d)| {
            let q = quantize(d);
            if p < 0 {
                return (REST, q);
            }
            let iv = prev.map_or(0, |pp| (p - pp).clamp(-(MAX_LEAP as i32), MAX_LEAP as i32)) as i8;
            prev = Some(p);
            (iv, q)
        })
        .collect()
}

/// [position in the beat in quanta, downbeat (1) or not (0)] of onset `t` (beats).
fn metric_context(t: f64, bar_beats: f64) -> [u8; 2] {
    let q = (t / QUANTUM as f64).round() as i64;
    let per_beat = (1.0 / QUANTUM) as i64;
    let per_bar = ((bar_beats / QUANTUM as f64).round() as i64).max(1);
    [
        q.rem_euclid(per_beat) as u8,
        u8::from(q.rem_euclid(per_bar) == 0),
    ]
}

/// The offset (beats) that puts a tune's bar lines where its notes say: files converted from
/// notation start with their pickup, so bar 1 is not always at beat 0. The phase that puts
/// the most note length on downbeats and beats wins (ties: the earliest).
fn metric_phase(notes: &[(i32, f32)], bar_beats: f64) -> f64 {
    let per_bar = ((bar_beats / QUANTUM as f64).round() as i64).clamp(1, 64);
    let per_beat = (1.0 / QUANTUM) as i64;
    let mut best = (f64::MIN, 0);
    for shift in 0..per_bar {
        let mut t = shift;
        let mut s = 0.0;
        for &(p, d) in notes.iter().filter(|n| n.1 > 0.0) {
            if p >= 0 {
                let w = d as f64;
                if t.rem_euclid(per_bar) == 0 {
                    s += 2.0 * w;
                } else if t.rem_euclid(per_beat) == 0 {
                    s += w;
                }
            }
            t += (d / QUANTUM).round() as i64;
        }
        if s > best.0 + 1e-9 {
            best = (s, shift);
        }
    }
    best.1 as f64 * QUANTUM as f64
}

/// Lengths (beats, 1..=64) of the phrases of a tune: a phrase ends on a rest or on a note at
/// least twice the tune's median duration and at least a beat long.
fn phrase_lengths(notes: &[(i32, f32)]) -> Vec<u8> {
    let mut ds: Vec<f32> = notes
        .iter()
        .filter(|n| n.0 >= 0 && n.1 > 0.0)
        .map(|n| n.1)
        .collect();
    if ds.len() < 4 {
        return Vec::new();
    }
    ds.sort_by(f32::total_cmp);
    let long = (ds[ds.len() / 2] * 2.0).max(1.0) - 1e-3;
    let mut out = Vec::new();
    let mut len = 0.0f32;
    for &(p, d) in notes.iter().filter(|n| n.1 > 0.0) {
        if p < 0 {
            if len > 0.0 {
                out.push(len.round().clamp(1.0, 64.0) as u8);
            }
            len = 0.0;
            continue;
        }
        len += d;
        if d >= long {
            out.push(len.round().clamp(1.0, 64.0) as u8);
            len = 0.0;
        }
    }
    out
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
