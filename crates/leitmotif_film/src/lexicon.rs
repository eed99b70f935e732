//! Words to mood: the English valence/arousal lexicon auto-spotting reads
//! clip names, comments, scene headings, markers and spotting notes with.
//!
//! # The words
//!
//! Two layers, looked up in this order:
//!
//! 1. **Curated words** ([`Lexicon::words`]): `src/lexicon.ron`, about 150
//!    film and music-mood words set by hand ("chase", "funeral", "ominous",
//!    "triumphant"), plus the words of a user lexicon file, which override
//!    them ([`Lexicon::from_ron`], [`Lexicon::load`]).
//! 2. **The generated lexicon** (`src/lexicon/words.tsv`, ~10,700 words, built
//!    by `scripts/build-lexicon`; sources, licences and method in
//!    `src/lexicon/README.md`). **Valence** is rated: the mean of ten raters
//!    in VADER (Hutto & Gilbert 2014, MIT licence), mapped from -4..4 to
//!    -1..1. **Arousal is derived, not rated**: from the Empath categories
//!    (Fast et al. 2016, MIT licence) a word belongs to, each of which the
//!    script gives a hand-set (valence, arousal) — violence, rage, fear high;
//!    sleep, contentment, sadness low — averaged over the word's categories;
//!    failing that, from its inflectional relatives' categories; failing
//!    that, rising with |valence| (the U-shape of the affect norms). The 27
//!    affect terms of Russell's circumplex (1980) take their arousal from its
//!    angles. Words only Empath has take their valence from the categories too.
//!
//! A word is tried as written, then as common inflections of a base form
//! (see [`Lexicon::word`]): "worries" → worry, "chasing" → chase,
//! "running" → run, "panicked" → panic, "quietly" → quiet, "gently" →
//! gentle, "calmer" → calm, "bigger" → big, "sadness" → sad, "happily" →
//! happy, "mother's" → mother. Curated words (with their inflections) win
//! over the generated ones.
//!
//! # Reading text ([`Lexicon::evidence_in`])
//!
//! Text is split into words (letters, with inner apostrophes: "isn't",
//! "don't"; ’ counts as '), lower-cased; `. , ; : ! ? ( ) "` and a dash
//! between spaces end a clause.
//!
//! - **Negation.** A negator — not, no, never, nobody, nothing, none,
//!   nowhere, neither, nor, without, hardly, scarcely, rarely, seldom,
//!   cannot and any word ending in n't — negates the lexicon words up to
//!   [`NEGATION_WINDOW`] words after it in the same clause. A negated word's
//!   valence is multiplied by [`NEGATED_VALENCE`] (−0.74, VADER's factor) and
//!   its arousal by [`NEGATED_AROUSAL`] (−0.5): "not calm" reads restless
//!   rather than merely neutral, "not afraid" steadier, "not a happy ending"
//!   sad. "no longer", "anymore" need no rule: "no" already negates. A
//!   negator followed by "to" ("tries not to cry") holds the word back rather
//!   than undoing it: its valence stays, its arousal is multiplied by
//!   [`RESTRAINED_AROUSAL`].
//! - **Senses.** "lie", "lying", "lay" followed by in, on, down, back, awake,
//!   still, there, beside, under or together read as "rest" (lying in the
//!   grass), not as the lexicon's "lie" (deceit).
//! - **Intensifiers and dampeners** up to [`INTENSIFIER_WINDOW`] words before
//!   a lexicon word scale both its valence and its arousal away from or
//!   towards 0 (clamped to -1..1): very, really, so, too, deeply, truly,
//!   highly, terribly, awfully, incredibly ×1.3; extremely, utterly,
//!   absolutely, intensely ×1.5; completely, totally, wildly, desperately
//!   ×1.4; quite, pretty ×1.1; slightly, mildly, faintly, marginally ×0.6;
//!   somewhat, a bit, a little, kind of, sort of, partly ×0.7; fairly,
//!   rather ×0.8; barely ×0.4. Several multiply ("very, very tense").
//!   Negators and intensifiers are never evidence themselves.
//! - **Contrast.** After "but" (or "yet", "however", "though") the words
//!   count ×1.5 and the words before ×0.5, as in VADER: "quiet, but something
//!   is wrong" leans on the second half.
//! - **Scene headings.** A line starting (after an optional scene number)
//!   with INT., EXT., INT./EXT., I/E or EST. is a slug line: "INT. SUBWAY
//!   PLATFORM - NIGHT". Its prefix is skipped and its location words are
//!   read like any others. The standard time-of-day words after a dash —
//!   DAY, NIGHT, CONTINUOUS, LATER, SAME, MOMENTS — are skipped: every scene
//!   has one, and a film's night scenes are not all sad or tense, so they
//!   would only blur the scene's own words. DAWN, DUSK, SUNSET, MORNING and
//!   other deliberate choices are read as usual, as is "night" outside a
//!   heading's time of day ("a night of terror").
//!
//! A text's mood ([`Lexicon::mood`]) is the weighted mean of its evidence;
//! auto-spotting pools the evidence of everything in a scene the same way.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::error::Location;
use crate::spotting::SpotError;

const CURATED: &str = include_str!("lexicon.ron");
const GENERATED: &str = include_str!("lexicon/words.tsv");

/// Words after a negator that it negates (same clause).
pub const NEGATION_WINDOW: usize = 3;
/// Words before a lexicon word an intensifier may stand.
pub const INTENSIFIER_WINDOW: usize = 2;
/// Factor on a negated word's valence (VADER's `N_SCALAR`).
pub const NEGATED_VALENCE: f32 = -0.74;
/// Factor on a negated word's arousal: past neutral, by half.
pub const NEGATED_AROUSAL: f32 = -0.5;
/// Factor on the arousal of a word held back ("not to" before it): same valence, calmer.
pub const RESTRAINED_AROUSAL: f32 = 0.5;

/// The sense a word is read in, from the word after it: "lie in the grass", "lying down",
/// "lay back" are rest, not deceit (the lexicon's "lie").
fn sense<'a>(word: &'a str, next: Option<&str>) -> &'a str {
    const AT_REST: &[&str] = &[
        "in", "on", "down", "back", "awake", "still", "there", "beside", "under", "together",
    ];
    match (word, next) {
        ("lie" | "lies" | "lying" | "lay" | "lays" | "laying", Some(n)) if AT_REST.contains(&n) => {
            "rest"
        }
        _ => word,
    }
}
/// Weight of words after "but".
pub const CONTRAST_AFTER: f32 = 1.5;
/// Weight of words before "but".
pub const CONTRAST_BEFORE: f32 = 0.5;

/// Mood words and marker colours, each mapped to (valence, arousal) in -1..1,
/// on top of the generated lexicon (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// Curated lower-case word → (valence, arousal): the built-in
    /// `lexicon.ron` words with a user file's words on top. They override the
    /// generated lexicon.
    pub words: BTreeMap<String, (f32, f32)>,
    /// Upper-case marker colour → (valence, arousal). Defaults to the
    /// built-in colours when left out of a user lexicon.
    #[serde(default = "default_colours")]
    pub colours: BTreeMap<String, (f32, f32)>,
    /// The generated lexicon (`src/lexicon/words.tsv`); empty for
    /// [`Lexicon::from_ron_only`].
    #[serde(skip)]
    generated: Generated,
}

/// The generated word list, shared (parsed once per process).
#[derive(Clone, Default)]
struct Generated(Arc<HashMap<String, (f32, f32)>>);

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Generated({} words)", self.0.len())
    }
}

impl PartialEq for Generated {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

fn generated() -> Generated {
    static WORDS: OnceLock<Generated> = OnceLock::new();
    WORDS
        .get_or_init(|| {
            let mut m = HashMap::new();
            for line in GENERATED.lines() {
                if line.starts_with('#') || line.trim().is_empty() {
                    continue;
                }
                let mut f = line.split('\t');
                let (Some(w), Some(v), Some(a)) = (f.next(), f.next(), f.next()) else {
                    continue;
                };
                if let (Ok(v), Ok(a)) = (v.parse::<f32>(), a.parse::<f32>())
                    && v.is_finite()
                    && a.is_finite()
                {
                    m.insert(w.to_string(), (v.clamp(-1.0, 1.0), a.clamp(-1.0, 1.0)));
                }
            }
            Generated(Arc::new(m))
        })
        .clone()
}

fn default_colours() -> BTreeMap<String, (f32, f32)> {
    curated().colours
}

/// The built-in `lexicon.ron` alone.
fn curated() -> Lexicon {
    // The shipped file is checked by the tests; parsing cannot fail.
    Lexicon::parse(CURATED, None).unwrap_or_else(|_| Lexicon {
        words: BTreeMap::new(),
        colours: BTreeMap::new(),
        generated: Generated::default(),
    })
}

impl Default for Lexicon {
    /// The built-in English lexicon: `src/lexicon.ron` over the generated
    /// `src/lexicon/words.tsv`.
    fn default() -> Self {
        let mut l = curated();
        l.generated = generated();
        l
    }
}

/// One piece of mood evidence read from text.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The word as found (lower case).
    pub word: String,
    /// Valence after negation and intensifiers, -1..1.
    pub valence: f32,
    /// Arousal after negation and intensifiers, -1..1.
    pub arousal: f32,
    /// Weight in the mean (1, or the contrast weights around "but").
    pub weight: f32,
    /// Whether a negator negated it.
    pub negated: bool,
}

impl Lexicon {
    /// The built-in lexicon with a user lexicon on top, in the format of
    /// `src/lexicon.ron`:
    /// `Lexicon(words: {"calm": (0.5, -0.7), …}, colours: {"RED": (-0.4, 0.9), …})`.
    /// Its words and colours override the built-in ones (a word's inflections
    /// included); `colours` may be left out. Keys are normalised (words to
    /// lower case, colours to upper case); values are clamped to -1..1.
    /// Errors are located (line and column): bad RON, a value that is not a
    /// finite number, a key that is not a single word.
    pub fn from_ron(text: &str) -> Result<Lexicon, SpotError> {
        Self::with_user(text, None)
    }

    /// A lexicon of the file's words and colours only (colours default to
    /// the built-in ones when left out), without the built-in words.
    pub fn from_ron_only(text: &str) -> Result<Lexicon, SpotError> {
        Self::parse(text, None)
    }

    /// [`Lexicon::from_ron`] on a file; errors name it.
    pub fn load(path: &Path) -> Result<Lexicon, SpotError> {
        let text = crate::spotting::read_text(path)?;
        Self::with_user(&text, Some(path))
    }

    fn with_user(text: &str, path: Option<&Path>) -> Result<Lexicon, SpotError> {
        let user = Self::parse(text, path)?;
        let mut l = Lexicon::default();
        l.words.extend(user.words);
        l.colours.extend(user.colours);
        Ok(l)
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Lexicon, SpotError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, rename = "Lexicon")]
        struct Raw {
            words: BTreeMap<String, (f64, f64)>,
            #[serde(default)]
            colours: Option<BTreeMap<String, (f64, f64)>>,
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let at = |line, col| Location::new(path.map(Path::to_path_buf), line, col);
        let opts = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let raw: Raw = opts.from_str(text).map_err(|e| SpotError::Syntax {
            at: at(e.position.line, e.position.col),
            message: e.code.to_string(),
            expected:
                "Lexicon(words: {\"calm\": (0.5, -0.7), …}, colours: {\"RED\": (-0.4, 0.9), …})"
                    .into(),
            hint: "values are (valence, arousal) pairs in -1..1".into(),
        })?;
        // Where a key is written, for the errors below.
        let key_at = |key: &str| {
            let quoted = format!("\"{key}\"");
            text.lines()
                .enumerate()
                .find_map(|(i, l)| {
                    l.find(&quoted)
                        .map(|c| at(i + 1, l[..c].chars().count() + 1))
                })
                .unwrap_or_else(|| at(0, 0))
        };
        let value = |key: &str, (v, a): (f64, f64)| -> Result<(f32, f32), SpotError> {
            if !v.is_finite() || !a.is_finite() {
                return Err(SpotError::BadValue {
                    at: key_at(key),
                    field: format!("mood of \"{key}\""),
                    text: format!("({v}, {a})"),
                    expected: "finite numbers (valence, arousal) in -1..1".into(),
                    hint: "write two plain decimals, e.g. (0.5, -0.7)".into(),
                });
            }
            Ok(((v as f32).clamp(-1.0, 1.0), (a as f32).clamp(-1.0, 1.0)))
        };
        let mut words = BTreeMap::new();
        for (k, v) in raw.words {
            let word = k.trim().to_lowercase();
            let single = !word.is_empty()
                && word.chars().all(|c| c.is_alphabetic() || c == '\'')
                && word.chars().next().is_some_and(char::is_alphabetic);
            if !single {
                return Err(SpotError::BadValue {
                    at: key_at(&k),
                    field: "word".into(),
                    text: k.clone(),
                    expected: "a single word of letters (an apostrophe allowed)".into(),
                    hint: "text is read word by word; enter each word of a phrase on its own"
                        .into(),
                });
            }
            words.insert(word, value(&k, v)?);
        }
        let colours = match raw.colours {
            Some(c) => {
                let mut out = BTreeMap::new();
                for (k, v) in c {
                    out.insert(k.trim().to_uppercase(), value(&k, v)?);
                }
                out
            }
            None => default_colours(),
        };
        Ok(Lexicon {
            words,
            colours,
            generated: Generated::default(),
        })
    }

    /// Number of distinct words known (curated and generated).
    pub fn len(&self) -> usize {
        self.generated.0.len()
            + self
                .words
                .keys()
                .filter(|w| !self.generated.0.contains_key(*w))
                .count()
    }

    /// Whether the lexicon knows no words.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every generated word with its mood (unordered).
    pub fn generated_words(&self) -> impl Iterator<Item = (&str, (f32, f32))> {
        self.generated.0.iter().map(|(w, m)| (w.as_str(), *m))
    }

    /// The mood of `word` (any case): the word itself, then the base forms
    /// of common English inflections ([`base_forms`]), first among the
    /// curated words, then the generated ones.
    pub fn word(&self, word: &str) -> Option<(f32, f32)> {
        let w = word.to_lowercase().replace('’', "'");
        let forms = base_forms(&w);
        let look = |m: &dyn Fn(&str) -> Option<(f32, f32)>| {
            m(&w).or_else(|| forms.iter().find_map(|f| m(f)))
        };
        look(&|k| self.words.get(k).copied())
            .or_else(|| look(&|k| self.generated.0.get(k).copied()))
    }

    /// The mood of a marker colour (any case).
    pub fn colour(&self, colour: &str) -> Option<(f32, f32)> {
        self.colours.get(&colour.trim().to_uppercase()).copied()
    }

    /// Moods of every lexicon word in `text`, after negation and
    /// intensifiers (see the module docs).
    pub fn moods_in(&self, text: &str) -> Vec<(f32, f32)> {
        self.evidence_in(text)
            .into_iter()
            .map(|e| (e.valence, e.arousal))
            .collect()
    }

    /// The mood of `text`: the weighted mean of its evidence, or `None`
    /// when it has no mood words.
    pub fn mood(&self, text: &str) -> Option<(f32, f32)> {
        combine(&self.evidence_in(text))
    }

    /// Every lexicon word in `text` with its mood after negation,
    /// intensifiers and contrast (see the module docs).
    pub fn evidence_in(&self, text: &str) -> Vec<Evidence> {
        let tokens = tokenize(text);
        let mut out: Vec<Evidence> = Vec::new();
        let mut contrast_at: Option<usize> = None; // index into `out`
        for (i, t) in tokens.iter().enumerate() {
            let Tok::Word(w) = t else { continue };
            if CONTRAST.contains(&w.as_str()) {
                contrast_at = Some(out.len());
                continue;
            }
            if is_negator(w) || intensity(w).is_some() {
                continue;
            }
            let next = match tokens.get(i + 1) {
                Some(Tok::Word(n)) => Some(n.as_str()),
                _ => None,
            };
            let Some((mut v, mut a)) = self.word(sense(w, next)) else {
                continue;
            };
            let mut scale = 1.0f32;
            let mut negated = false;
            let mut restrained = false;
            let mut k = 0;
            for (j, t) in tokens[..i].iter().enumerate().rev() {
                let Tok::Word(p) = t else { break };
                k += 1;
                if k > NEGATION_WINDOW {
                    break;
                }
                let to_follows = matches!(tokens.get(j + 1), Some(Tok::Word(n)) if n == "to");
                if is_negator(p) && to_follows {
                    // "tries not to cry": held back, not undone.
                    restrained = true;
                } else if is_negator(p) {
                    negated = !negated;
                } else if let Some(s) = intensity(p)
                    && k <= INTENSIFIER_WINDOW + usize::from(negated)
                {
                    scale *= s;
                }
            }
            if negated {
                v *= NEGATED_VALENCE;
                a *= NEGATED_AROUSAL;
            } else if restrained {
                a *= RESTRAINED_AROUSAL;
            }
            v = (v * scale).clamp(-1.0, 1.0);
            a = (a * scale).clamp(-1.0, 1.0);
            out.push(Evidence {
                word: w.clone(),
                valence: v,
                arousal: a,
                weight: salience(v, a),
                negated,
            });
        }
        if let Some(c) = contrast_at {
            for (j, e) in out.iter_mut().enumerate() {
                e.weight *= if j < c {
                    CONTRAST_BEFORE
                } else {
                    CONTRAST_AFTER
                };
            }
        }
        out
    }
}

/// How strongly a mood speaks: its distance from neutral on the circumplex
/// (at least [`MIN_SALIENCE`]), the weight of a word in the mean.
pub fn salience(valence: f32, arousal: f32) -> f32 {
    valence.hypot(arousal).max(MIN_SALIENCE)
}

/// The least weight of a mood word (so that neutral ones still count).
pub const MIN_SALIENCE: f32 = 0.1;

/// The weighted mean of evidence, `None` for none.
pub fn combine(evidence: &[Evidence]) -> Option<(f32, f32)> {
    let w: f32 = evidence.iter().map(|e| e.weight).sum();
    if evidence.is_empty() || w <= 0.0 {
        return None;
    }
    let v = evidence.iter().map(|e| e.valence * e.weight).sum::<f32>() / w;
    let a = evidence.iter().map(|e| e.arousal * e.weight).sum::<f32>() / w;
    Some((v.clamp(-1.0, 1.0), a.clamp(-1.0, 1.0)))
}

const CONTRAST: &[&str] = &["but", "yet", "however", "though", "although"];

const NEGATORS: &[&str] = &[
    "not", "no", "never", "nobody", "nothing", "none", "nowhere", "neither", "nor", "without",
    "hardly", "scarcely", "rarely", "seldom", "cannot", "noone", "nope",
];

fn is_negator(w: &str) -> bool {
    NEGATORS.contains(&w) || w.ends_with("n't") || w == "dont" || w == "cant" || w == "wont"
}

/// The factor of an intensifier or dampener; multi-word ones ("a bit") are
/// joined with `_` by the tokenizer.
fn intensity(w: &str) -> Option<f32> {
    Some(match w {
        "very" | "really" | "so" | "too" | "deeply" | "truly" | "highly" | "terribly"
        | "awfully" | "incredibly" | "especially" | "increasingly" | "hugely" => 1.3,
        "extremely" | "utterly" | "absolutely" | "intensely" => 1.5,
        "completely" | "totally" | "wildly" | "desperately" => 1.4,
        "quite" | "pretty" => 1.1,
        "slightly" | "mildly" | "faintly" | "marginally" => 0.6,
        "somewhat" | "a_bit" | "a_little" | "kind_of" | "sort_of" | "partly" => 0.7,
        "fairly" | "rather" => 0.8,
        "barely" => 0.4,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// End of a clause.
    Break,
}

/// Time-of-day words of a slug line that carry no mood.
const HEADING_TIMES: &[&str] = &["day", "night", "continuous", "later", "same", "moments"];

/// Words, clause breaks, multi-word modifiers joined (`a_bit`), scene
/// heading prefixes and times of day dropped (see the module docs).
fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.replace('’', "'");
        match heading(&line) {
            Some((location, time, rest)) => {
                out.extend(words_of(location));
                out.push(Tok::Break);
                out.extend(
                    words_of(time).into_iter().filter(
                        |t| !matches!(t, Tok::Word(w) if HEADING_TIMES.contains(&w.as_str())),
                    ),
                );
                out.push(Tok::Break);
                out.extend(words_of(rest));
            }
            None => out.extend(words_of(&line)),
        }
        out.push(Tok::Break);
    }
    // Join two-word modifiers.
    let mut joined: Vec<Tok> = Vec::with_capacity(out.len());
    for t in out {
        if let (Some(Tok::Word(prev)), Tok::Word(w)) = (joined.last_mut(), &t) {
            let pair = match (prev.as_str(), w.as_str()) {
                ("a", "bit") => Some("a_bit"),
                ("a", "little") => Some("a_little"),
                ("kind", "of") => Some("kind_of"),
                ("sort", "of") => Some("sort_of"),
                _ => None,
            };
            if let Some(p) = pair {
                *prev = p.to_string();
                continue;
            }
        }
        joined.push(t);
    }
    joined
}

/// A slug line split into (location, time of day, rest of the line): the
/// prefix (after an optional scene number) is INT., EXT., INT./EXT., I/E or
/// EST.; the location runs to the first " - ", the time of day from there to
/// the first ". " or the line's end. `None` for other lines.
fn heading(line: &str) -> Option<(&str, &str, &str)> {
    let t = line.trim_start();
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '.');
    let upper = t.to_ascii_uppercase();
    let prefix = [
        "INT./EXT.",
        "EXT./INT.",
        "INT/EXT.",
        "INT/EXT",
        "I/E.",
        "I/E",
        "INT.",
        "EXT.",
        "EST.",
    ]
    .into_iter()
    .find(|p| upper.starts_with(p) && t[p.len()..].starts_with([' ', '\t']))?;
    let body = &t[prefix.len()..];
    let sentence_end = |s: &str| s.find(". ").map_or(s.len(), |e| e + 1);
    match body.find(" - ") {
        Some(d) => {
            let after = &body[d + 3..];
            let e = sentence_end(after);
            Some((&body[..d], &after[..e], &after[e..]))
        }
        None => {
            let e = sentence_end(body);
            Some((&body[..e], "", &body[e..]))
        }
    }
}

/// Words (letters with inner apostrophes, lower case) and clause breaks. A
/// run of letters touching a digit ("LAY3", "ZZ100", "AVX2") is a clip,
/// take or layer code, not a word, and is skipped.
fn words_of(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut coded = false;
    let chars: Vec<char> = text.chars().collect();
    let flush = |cur: &mut String, coded: &mut bool, out: &mut Vec<Tok>| {
        let w = cur.trim_matches('\'');
        if !w.is_empty() && !*coded {
            out.push(Tok::Word(w.to_lowercase()));
        }
        cur.clear();
        *coded = false;
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphabetic() {
            if cur.is_empty() && i > 0 && chars[i - 1].is_ascii_digit() {
                coded = true;
            }
            cur.push(c);
        } else if c == '\'' && !cur.is_empty() {
            cur.push(c);
        } else {
            if c.is_ascii_digit() && !cur.is_empty() {
                coded = true;
            }
            flush(&mut cur, &mut coded, &mut out);
            let spaced = |j: Option<&char>| j.is_none_or(|n| n.is_whitespace());
            let dash = matches!(c, '–' | '—')
                || (c == '-'
                    && (i == 0 || chars[i - 1].is_whitespace())
                    && spaced(chars.get(i + 1)));
            if (".,;:!?()\"".contains(c) || dash)
                && !out.is_empty()
                && out.last() != Some(&Tok::Break)
            {
                out.push(Tok::Break);
            }
        }
    }
    flush(&mut cur, &mut coded, &mut out);
    out
}

/// Candidate base forms of an inflected English word, most likely first:
/// possessive 's; -ies/-ied/-ier/-iest/-ily/-iness → -y; -ing and -ed → the
/// stem, the stem + e, the stem with a doubled final consonant undone
/// ("running" → run) or with a "k" after "c" dropped ("panicked" → panic);
/// -ly → the stem or -le ("gently" → gentle); -er/-est like -ed; -ness;
/// -es and -s.
pub fn base_forms(word: &str) -> Vec<String> {
    let w = word.strip_suffix("'s").unwrap_or(word);
    let mut out: Vec<String> = Vec::new();
    if w != word {
        out.push(w.to_string());
    }
    let n = w.chars().count();
    let stem_of = |suf: &str| w.strip_suffix(suf).filter(|s| s.chars().count() >= 2);
    let mut push = |s: String| {
        if s != word && !out.contains(&s) {
            out.push(s);
        }
    };
    for suf in ["iness", "ies", "ied", "ier", "iest", "ily"] {
        if let Some(s) = stem_of(suf) {
            push(format!("{s}y"));
        }
    }
    let verbal = |s: &str, push: &mut dyn FnMut(String)| {
        push(s.to_string());
        push(format!("{s}e"));
        let mut ch = s.chars().rev();
        if let (Some(a), Some(b)) = (ch.next(), ch.next())
            && a == b
            && !"aeiou".contains(a)
        {
            push(s[..s.len() - a.len_utf8()].to_string());
        }
        if let Some(c) = s.strip_suffix("ck") {
            push(format!("{c}c"));
        }
    };
    for suf in ["ing", "ed", "est", "er"] {
        if let Some(s) = stem_of(suf) {
            verbal(s, &mut push);
        }
    }
    if let Some(s) = stem_of("ly") {
        push(s.to_string());
        if let Some(b) = w.strip_suffix('y') {
            push(format!("{b}e"));
        }
        // "fully" → "ful"
        push(format!("{s}l"));
    }
    if let Some(s) = stem_of("ness") {
        push(s.to_string());
    }
    if let Some(s) = stem_of("es") {
        push(s.to_string());
    }
    if n >= 3
        && let Some(s) = w.strip_suffix('s').filter(|s| !s.ends_with('s'))
    {
        push(s.to_string());
    }
    if let Some(s) = stem_of("d") {
        push(s.to_string());
    }
    out
}
