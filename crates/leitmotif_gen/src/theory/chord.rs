//! Chord symbols.

use std::fmt;

use super::{PitchClass, TheoryError};

/// Chord qualities understood by [`Chord::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChordQuality {
    /// `C`
    Major,
    /// `Cm`
    Minor,
    /// `Cdim`
    Diminished,
    /// `Caug`, `C+`
    Augmented,
    /// `Csus2`
    Sus2,
    /// `Csus4`, `Csus`
    Sus4,
    /// `C6`
    Major6,
    /// `Cm6`
    Minor6,
    /// `C7`
    Dominant7,
    /// `Cmaj7`
    Major7,
    /// `Cm7`
    Minor7,
    /// `CmMaj7`
    MinorMajor7,
    /// `Cm7b5`, `Cø`
    HalfDiminished7,
    /// `Cdim7`
    Diminished7,
}

use ChordQuality as Q;

/// Suffixes, longest first within each family so that prefix matching is unambiguous.
const SUFFIXES: &[(&str, ChordQuality)] = &[
    ("", Q::Major),
    ("maj", Q::Major),
    ("M", Q::Major),
    ("m", Q::Minor),
    ("min", Q::Minor),
    ("-", Q::Minor),
    ("dim", Q::Diminished),
    ("°", Q::Diminished),
    ("o", Q::Diminished),
    ("aug", Q::Augmented),
    ("+", Q::Augmented),
    ("sus2", Q::Sus2),
    ("sus4", Q::Sus4),
    ("sus", Q::Sus4),
    ("6", Q::Major6),
    ("m6", Q::Minor6),
    ("7", Q::Dominant7),
    ("maj7", Q::Major7),
    ("M7", Q::Major7),
    ("Δ", Q::Major7),
    ("Δ7", Q::Major7),
    ("m7", Q::Minor7),
    ("min7", Q::Minor7),
    ("-7", Q::Minor7),
    ("mMaj7", Q::MinorMajor7),
    ("mM7", Q::MinorMajor7),
    ("m(maj7)", Q::MinorMajor7),
    ("m7b5", Q::HalfDiminished7),
    ("min7b5", Q::HalfDiminished7),
    ("ø", Q::HalfDiminished7),
    ("ø7", Q::HalfDiminished7),
    ("dim7", Q::Diminished7),
    ("°7", Q::Diminished7),
    ("o7", Q::Diminished7),
];

impl ChordQuality {
    /// Semitone offsets of the chord tones from the root, root first.
    pub fn intervals(self) -> &'static [u8] {
        match self {
            Q::Major => &[0, 4, 7],
            Q::Minor => &[0, 3, 7],
            Q::Diminished => &[0, 3, 6],
            Q::Augmented => &[0, 4, 8],
            Q::Sus2 => &[0, 2, 7],
            Q::Sus4 => &[0, 5, 7],
            Q::Major6 => &[0, 4, 7, 9],
            Q::Minor6 => &[0, 3, 7, 9],
            Q::Dominant7 => &[0, 4, 7, 10],
            Q::Major7 => &[0, 4, 7, 11],
            Q::Minor7 => &[0, 3, 7, 10],
            Q::MinorMajor7 => &[0, 3, 7, 11],
            Q::HalfDiminished7 => &[0, 3, 6, 10],
            Q::Diminished7 => &[0, 3, 6, 9],
        }
    }

    /// Canonical suffix used by `Display`.
    pub fn suffix(self) -> &'static str {
        match self {
            Q::Major => "",
            Q::Minor => "m",
            Q::Diminished => "dim",
            Q::Augmented => "aug",
            Q::Sus2 => "sus2",
            Q::Sus4 => "sus4",
            Q::Major6 => "6",
            Q::Minor6 => "m6",
            Q::Dominant7 => "7",
            Q::Major7 => "maj7",
            Q::Minor7 => "m7",
            Q::MinorMajor7 => "mMaj7",
            Q::HalfDiminished7 => "m7b5",
            Q::Diminished7 => "dim7",
        }
    }

    /// Whether the chord's third is minor (minor, diminished and their sevenths).
    pub fn has_minor_third(self) -> bool {
        self.intervals()[1] == 3
    }

    /// Whether the chord is a seventh (or sixth) chord.
    pub fn is_four_note(self) -> bool {
        self.intervals().len() == 4
    }
}

/// A chord: root, quality and an optional different bass note (slash chord / inversion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    /// The root.
    pub root: PitchClass,
    /// The quality.
    pub quality: ChordQuality,
    /// The bass note when it is not the root (`C/E`).
    pub bass: Option<PitchClass>,
    /// Spell with flats when displayed.
    pub flats: bool,
}

impl Chord {
    /// A root-position chord.
    pub fn new(root: PitchClass, quality: ChordQuality) -> Self {
        let flats = matches!(root.value(), 1 | 3 | 5 | 8 | 10);
        Chord {
            root,
            quality,
            bass: None,
            flats,
        }
    }

    /// Parses a chord symbol: `C`, `Cm`, `C7`, `Cmaj7`, `Cm7`, `Cdim`, `Caug`, `Csus4`, `C/E`,
    /// `Bb`, `F#m7b5`, …
    pub fn parse(text: &str) -> Result<Self, TheoryError> {
        let bad = |hint: &str| TheoryError::BadChord {
            text: text.to_string(),
            hint: hint.to_string(),
        };
        let trimmed = text.trim();
        let (main, slash) = match trimmed.split_once('/') {
            Some((m, b)) => (m, Some(b)),
            None => (trimmed, None),
        };
        let (root, suffix) = PitchClass::parse_prefix(main)
            .ok_or_else(|| bad("a chord starts with a root A–G, e.g. \"Bb\" or \"F#m7b5\""))?;
        let quality = SUFFIXES
            .iter()
            .find(|(s, _)| *s == suffix)
            .map(|&(_, q)| q)
            .ok_or_else(|| {
                bad(
                    "unknown chord quality; use one of m, 7, maj7, m7, dim, dim7, aug, sus2, \
                     sus4, 6, m6, mMaj7, m7b5, optionally followed by /bass",
                )
            })?;
        let bass = match slash {
            Some(b) => Some(
                PitchClass::parse(b.trim())
                    .map_err(|_| bad("the bass after '/' must be a note name, e.g. \"C/E\""))?,
            ),
            None => None,
        };
        let root_text = &main[..main.len() - suffix.len()];
        let mut chord = Chord::new(root, quality);
        chord.bass = bass.filter(|&b| b != root);
        if root_text.contains(['#', '♯']) {
            chord.flats = false;
        } else if root_text[1..].contains(['b', '♭']) {
            chord.flats = true;
        }
        Ok(chord)
    }

    /// The chord tones, root first.
    pub fn tones(&self) -> Vec<PitchClass> {
        self.quality
            .intervals()
            .iter()
            .map(|&i| self.root.transpose(i as i32))
            .collect()
    }

    /// Whether `pc` is a chord tone (a slash bass not in the chord counts too).
    pub fn contains(&self, pc: PitchClass) -> bool {
        self.tones().contains(&pc) || self.bass == Some(pc)
    }

    /// The lowest note: the slash bass, else the root.
    pub fn bass_note(&self) -> PitchClass {
        self.bass.unwrap_or(self.root)
    }

    /// The same chord moved by `semitones`.
    pub fn transpose(&self, semitones: i32) -> Chord {
        Chord {
            root: self.root.transpose(semitones),
            bass: self.bass.map(|b| b.transpose(semitones)),
            ..*self
        }
    }

    /// Number of pitch classes shared with `other`.
    pub fn common_tones(&self, other: &Chord) -> usize {
        let theirs = other.tones();
        self.tones().iter().filter(|t| theirs.contains(t)).count()
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.root.name(self.flats), self.quality.suffix())?;
        if let Some(b) = self.bass {
            write!(f, "/{}", b.name(self.flats))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(s: &str) -> Vec<u8> {
        Chord::parse(s)
            .unwrap()
            .tones()
            .iter()
            .map(|p| p.value())
            .collect()
    }

    #[test]
    fn parses_symbol_table() {
        assert_eq!(tones("C"), [0, 4, 7]);
        assert_eq!(tones("Cm"), [0, 3, 7]);
        assert_eq!(tones("C7"), [0, 4, 7, 10]);
        assert_eq!(tones("Cmaj7"), [0, 4, 7, 11]);
        assert_eq!(tones("Cm7"), [0, 3, 7, 10]);
        assert_eq!(tones("Cdim"), [0, 3, 6]);
        assert_eq!(tones("Caug"), [0, 4, 8]);
        assert_eq!(tones("Csus4"), [0, 5, 7]);
        assert_eq!(tones("Bb"), [10, 2, 5]);
        assert_eq!(tones("F#m7b5"), [6, 9, 0, 4]);
        assert_eq!(tones("Ebdim7"), [3, 6, 9, 0]);
        let slash = Chord::parse("C/E").unwrap();
        assert_eq!(slash.bass_note().value(), 4);
        assert_eq!(slash.to_string(), "C/E");
        assert_eq!(Chord::parse("C/C").unwrap().bass, None);
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "Bb", "F#m7b5", "Ebmaj7", "Am", "G7", "Dsus2", "Abaug", "C#dim7", "D/F#",
        ] {
            let c = Chord::parse(s).unwrap();
            assert_eq!(c.to_string(), s);
            assert_eq!(Chord::parse(&c.to_string()).unwrap(), c);
        }
    }

    #[test]
    fn rejects_bad_symbols_with_text_and_hint() {
        for s in ["H7", "Cmaj13#11", "C/X", "", "m7"] {
            let err = Chord::parse(s).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("{s:?}")), "{msg}");
            assert!(msg.len() > s.len() + 30, "hint missing: {msg}");
        }
    }
}

/// The score validator (`leitmotif_core`, which cannot depend on this crate) keeps its own copy
/// of the chord grammar: both must accept exactly the same symbols.
#[cfg(test)]
mod agrees_with_the_score_validator {
    use super::*;

    fn validates(symbol: &str) -> bool {
        let src = format!(
            "Score(name: \"c\", tempo: (bpm: 120.0), initial_cue: \"a\", cues: [(name: \"a\", \
             bars: 1, chords: [{symbol:?}], layers: [(name: \"l\", source: Silence)])])"
        );
        leitmotif_core::Score::from_ron(&src, None).is_ok()
    }

    #[test]
    fn every_suffix_and_a_list_of_mistakes() {
        let mut symbols: Vec<String> = Vec::new();
        for root in ["C", "c", "F#", "Bb", "Eb", "G♯", "A♭", "Cb", "B##"] {
            for (suffix, _) in SUFFIXES {
                symbols.push(format!("{root}{suffix}"));
            }
        }
        for s in [
            "Hm7b13", "", " ", "m7", "C9", "Cmaj9", "C/E", "C/", "C/H", "Am/G", "Dm7/C", " Dm ",
            "Cmaj7/B", "X", "C7#9", "Csus", "C6/9", "Cadd9", "C/Eb", "c/e", "Dm /C",
        ] {
            symbols.push(s.to_string());
        }
        for s in &symbols {
            assert_eq!(
                Chord::parse(s).is_ok(),
                validates(s),
                "{s:?}: the generator and the score validator disagree"
            );
        }
    }
}
