//! Keys and modes.

use super::{Chord, ChordQuality, PitchClass, TheoryError};

/// A diatonic mode (or harmonic minor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Ionian.
    Major,
    /// Aeolian.
    NaturalMinor,
    /// Natural minor with a raised seventh.
    HarmonicMinor,
    /// Minor with a raised sixth.
    Dorian,
    /// Minor with a lowered second.
    Phrygian,
    /// Major with a raised fourth.
    Lydian,
    /// Major with a lowered seventh.
    Mixolydian,
}

impl Mode {
    /// Semitone offsets of the seven scale degrees from the tonic.
    pub fn intervals(self) -> [u8; 7] {
        match self {
            Mode::Major => [0, 2, 4, 5, 7, 9, 11],
            Mode::NaturalMinor => [0, 2, 3, 5, 7, 8, 10],
            Mode::HarmonicMinor => [0, 2, 3, 5, 7, 8, 11],
            Mode::Dorian => [0, 2, 3, 5, 7, 9, 10],
            Mode::Phrygian => [0, 1, 3, 5, 7, 8, 10],
            Mode::Lydian => [0, 2, 4, 6, 7, 9, 11],
            Mode::Mixolydian => [0, 2, 4, 5, 7, 9, 10],
        }
    }

    /// Whether the mode has a minor third.
    pub fn is_minor(self) -> bool {
        self.intervals()[2] == 3
    }

    /// Offset of this mode's tonic above its parent major scale's tonic (harmonic minor counts
    /// as minor).
    fn parent_offset(self) -> i32 {
        match self {
            Mode::Major => 0,
            Mode::Dorian => 2,
            Mode::Phrygian => 4,
            Mode::Lydian => 5,
            Mode::Mixolydian => 7,
            Mode::NaturalMinor | Mode::HarmonicMinor => 9,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Major => "major",
            Mode::NaturalMinor => "minor",
            Mode::HarmonicMinor => "harmonic minor",
            Mode::Dorian => "dorian",
            Mode::Phrygian => "phrygian",
            Mode::Lydian => "lydian",
            Mode::Mixolydian => "mixolydian",
        }
    }
}

/// A key: tonic and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The tonic.
    pub tonic: PitchClass,
    /// The mode.
    pub mode: Mode,
}

impl Key {
    /// A key.
    pub fn new(tonic: PitchClass, mode: Mode) -> Self {
        Key { tonic, mode }
    }

    /// Parses `"D minor"`, `"F# major"`, `"Bb dorian"`, `"A harmonic minor"`, `"Em"`, `"C"`.
    pub fn parse(text: &str) -> Result<Self, TheoryError> {
        let bad = || TheoryError::BadKey {
            text: text.to_string(),
            hint: "expected a tonic and a mode, e.g. \"D minor\", \"F# major\", \"Bb dorian\" \
                   (modes: major, minor, harmonic minor, dorian, phrygian, lydian, mixolydian)"
                .into(),
        };
        let trimmed = text.trim();
        let (tonic, rest) = PitchClass::parse_prefix(trimmed).ok_or_else(bad)?;
        let rest = rest.trim().to_ascii_lowercase();
        let mode = match rest.as_str() {
            "" | "major" | "maj" | "ionian" => Mode::Major,
            "m" | "minor" | "min" | "aeolian" | "natural minor" => Mode::NaturalMinor,
            "harmonic minor" => Mode::HarmonicMinor,
            "dorian" => Mode::Dorian,
            "phrygian" => Mode::Phrygian,
            "lydian" => Mode::Lydian,
            "mixolydian" => Mode::Mixolydian,
            _ => return Err(bad()),
        };
        Ok(Key { tonic, mode })
    }

    /// The key a lone chord suggests: its root, major or minor by its third.
    pub fn from_chord(chord: &Chord) -> Self {
        let mode = if chord.quality.has_minor_third() {
            Mode::NaturalMinor
        } else {
            Mode::Major
        };
        Key::new(chord.root, mode)
    }

    /// The seven scale pitch classes.
    pub fn scale(&self) -> [PitchClass; 7] {
        self.mode
            .intervals()
            .map(|i| self.tonic.transpose(i as i32))
    }

    /// Whether `pc` is in the scale.
    pub fn contains(&self, pc: PitchClass) -> bool {
        self.degree_of(pc).is_some()
    }

    /// 0-based scale degree of `pc`, if diatonic.
    pub fn degree_of(&self, pc: PitchClass) -> Option<usize> {
        self.scale().iter().position(|&p| p == pc)
    }

    /// Whether every tone of `chord` is in the scale.
    pub fn is_diatonic(&self, chord: &Chord) -> bool {
        chord.tones().iter().all(|&pc| self.contains(pc))
    }

    /// The diatonic triad (or seventh chord) on 0-based `degree`.
    pub fn chord_on(&self, degree: usize, seventh: bool) -> Chord {
        let scale = self.scale();
        let root = scale[degree % 7];
        let third = root.interval_to(scale[(degree + 2) % 7]);
        let fifth = root.interval_to(scale[(degree + 4) % 7]);
        let sev = root.interval_to(scale[(degree + 6) % 7]);
        let quality = match (third, fifth, seventh, sev) {
            (4, 7, false, _) => ChordQuality::Major,
            (3, 7, false, _) => ChordQuality::Minor,
            (3, 6, false, _) => ChordQuality::Diminished,
            (4, 8, false, _) => ChordQuality::Augmented,
            (4, 7, true, 10) => ChordQuality::Dominant7,
            (4, 7, true, _) => ChordQuality::Major7,
            (3, 7, true, 10) => ChordQuality::Minor7,
            (3, 7, true, _) => ChordQuality::MinorMajor7,
            (3, 6, true, 10) => ChordQuality::HalfDiminished7,
            (3, 6, true, _) => ChordQuality::Diminished7,
            _ => ChordQuality::Augmented,
        };
        Chord::new(root, quality)
    }

    /// The tonic triad.
    pub fn tonic_chord(&self) -> Chord {
        self.chord_on(0, false)
    }

    /// The dominant seventh (V7; major even in minor keys, as in harmonic minor).
    pub fn dominant7(&self) -> Chord {
        Chord::new(self.tonic.transpose(7), ChordQuality::Dominant7)
    }

    /// Number of sharps (positive) or flats (negative) of the key signature, -7..=7.
    pub fn sharps(&self) -> i8 {
        let parent = self.tonic.transpose(-self.mode.parent_offset()).value() as i32;
        // Position on the circle of fifths of the parent major key: C=0, G=1, … F=-1.
        let fifths = (parent * 7).rem_euclid(12);
        // F#/Gb (6) is written with six sharps.
        (if fifths > 6 { fifths - 12 } else { fifths }) as i8
    }

    /// Whether names in this key are usually spelled with flats.
    pub fn prefers_flats(&self) -> bool {
        self.sharps() < 0
    }

    /// Distance on the circle of fifths between the parent major keys (0..=6).
    pub fn fifths_distance(&self, other: &Key) -> u8 {
        let d = (self.sharps() as i32 - other.sharps() as i32).rem_euclid(12);
        d.min(12 - d) as u8
    }

    /// Human-readable name, e.g. `"D minor"`.
    pub fn name(&self) -> String {
        format!(
            "{} {}",
            self.tonic.name(self.prefers_flats()),
            self.mode.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        let table = [
            ("D minor", 2, Mode::NaturalMinor),
            ("F# major", 6, Mode::Major),
            ("Bb dorian", 10, Mode::Dorian),
            ("A harmonic minor", 9, Mode::HarmonicMinor),
            ("Em", 4, Mode::NaturalMinor),
            ("C", 0, Mode::Major),
            ("e phrygian", 4, Mode::Phrygian),
            ("F Lydian", 5, Mode::Lydian),
            ("G mixolydian", 7, Mode::Mixolydian),
        ];
        for (text, tonic, mode) in table {
            let key = Key::parse(text).unwrap();
            assert_eq!((key.tonic.value(), key.mode), (tonic, mode), "{text}");
        }
        let err = Key::parse("D locrian").unwrap_err();
        assert!(err.to_string().contains("D locrian") && err.to_string().contains("dorian"));
        assert!(Key::parse("X major").is_err());
    }

    #[test]
    fn signatures_and_scales() {
        let sig = |t: &str| Key::parse(t).unwrap().sharps();
        assert_eq!(sig("C major"), 0);
        assert_eq!(sig("D minor"), -1);
        assert_eq!(sig("E major"), 4);
        assert_eq!(sig("Bb major"), -2);
        assert_eq!(sig("D dorian"), 0);
        assert_eq!(sig("C minor"), -3);
        let dm = Key::parse("D minor").unwrap();
        assert!(dm.contains(PitchClass::new(10)));
        assert!(!dm.contains(PitchClass::new(11)));
        assert_eq!(dm.chord_on(5, false).to_string(), "Bb");
        assert_eq!(dm.chord_on(1, true).to_string(), "Em7b5");
        assert_eq!(dm.dominant7().to_string(), "A7");
        let c = Key::parse("C major").unwrap();
        assert_eq!(c.chord_on(4, true).to_string(), "G7");
        assert_eq!(c.chord_on(6, false).to_string(), "Bdim");
        assert_eq!(c.fifths_distance(&Key::parse("E major").unwrap()), 4);
        assert_eq!(c.fifths_distance(&Key::parse("A minor").unwrap()), 0);
    }
}
