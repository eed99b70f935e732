//! Pitch classes and note names.

use super::TheoryError;

/// One of the twelve pitch classes, 0 = C … 11 = B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PitchClass(u8);

const SHARP_NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];
const FLAT_NAMES: [&str; 12] = [
    "C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B",
];

impl PitchClass {
    /// C.
    pub const C: PitchClass = PitchClass(0);

    /// The pitch class of any integer semitone (wraps modulo 12, negatives included).
    pub fn new(semitones: i32) -> Self {
        PitchClass(semitones.rem_euclid(12) as u8)
    }

    /// The pitch class of a MIDI note.
    pub fn of_midi(pitch: u8) -> Self {
        PitchClass(pitch % 12)
    }

    /// 0..12.
    pub fn value(self) -> u8 {
        self.0
    }

    /// This pitch class moved by `semitones`.
    pub fn transpose(self, semitones: i32) -> Self {
        PitchClass::new(self.0 as i32 + semitones)
    }

    /// Upward interval from `self` to `other`, 0..12.
    pub fn interval_to(self, other: PitchClass) -> u8 {
        (other.0 + 12 - self.0) % 12
    }

    /// Name with sharps or flats.
    pub fn name(self, flats: bool) -> &'static str {
        if flats {
            FLAT_NAMES[self.0 as usize]
        } else {
            SHARP_NAMES[self.0 as usize]
        }
    }

    /// Parses a whole note name such as `"F#"`, `"Bb"`, `"E♭"`.
    pub fn parse(text: &str) -> Result<Self, TheoryError> {
        match Self::parse_prefix(text) {
            Some((pc, "")) => Ok(pc),
            _ => Err(TheoryError::BadNote {
                text: text.to_string(),
                hint: "expected a letter A–G followed by optional # or b, e.g. \"F#\" or \"Bb\""
                    .into(),
            }),
        }
    }

    /// Parses a note name at the start of `text`, returning the rest.
    pub(crate) fn parse_prefix(text: &str) -> Option<(Self, &str)> {
        let mut chars = text.char_indices();
        let (_, letter) = chars.next()?;
        let base = match letter.to_ascii_uppercase() {
            'C' => 0,
            'D' => 2,
            'E' => 4,
            'F' => 5,
            'G' => 7,
            'A' => 9,
            'B' => 11,
            _ => return None,
        };
        let mut acc = 0i32;
        let mut end = letter.len_utf8();
        for (i, c) in chars {
            match c {
                '#' | '♯' => acc += 1,
                'b' | '♭' => acc -= 1,
                _ => {
                    end = i;
                    return Some((PitchClass::new(base + acc), &text[end..]));
                }
            }
            end = i + c.len_utf8();
        }
        Some((PitchClass::new(base + acc), &text[end..]))
    }

    /// The MIDI pitch of this class nearest to `target` (ties go down).
    pub fn nearest_midi(self, target: i32) -> i32 {
        let diff = (self.0 as i32 - target).rem_euclid(12);
        if diff <= 6 {
            target + diff - if diff == 6 { 12 } else { 0 }
        } else {
            target + diff - 12
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_note_names() {
        let table = [
            ("C", 0),
            ("C#", 1),
            ("Db", 1),
            ("E♭", 3),
            ("Fb", 4),
            ("B#", 0),
            ("bb", 10),
            ("G##", 9),
        ];
        for (text, pc) in table {
            assert_eq!(PitchClass::parse(text).unwrap().value(), pc, "{text}");
        }
        assert!(PitchClass::parse("H").is_err());
        assert!(PitchClass::parse("C-").is_err());
        assert!(PitchClass::parse("").is_err());
    }

    #[test]
    fn nearest_midi_is_nearest() {
        assert_eq!(PitchClass::new(0).nearest_midi(62), 60);
        assert_eq!(PitchClass::new(11).nearest_midi(60), 59);
        assert_eq!(PitchClass::new(6).nearest_midi(60), 54);
        assert_eq!(PitchClass::new(7).nearest_midi(60), 67 - 12);
    }
}
