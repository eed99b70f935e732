//! Roman-numeral analysis.

use super::{Chord, ChordQuality, Key, Mode, PitchClass};

const NUMERALS: [&str; 7] = ["I", "II", "III", "IV", "V", "VI", "VII"];

impl Key {
    /// Roman-numeral analysis of `chord` in this key, e.g. `"V7"`, `"ii"`, `"bVI"`, `"vii°7"`,
    /// `"V7/V"` (secondary dominant), `"I6"` (first inversion: figured-bass suffix).
    ///
    /// Case follows the chord's third (upper = major), `°` = diminished, `ø7` = half-diminished,
    /// `+` = augmented. Roots outside the scale get `b`/`#` relative to the key's own scale; in
    /// minor keys the raised seventh (leading tone) takes no accidental.
    pub fn roman(&self, chord: &Chord) -> String {
        if let Some(secondary) = self.secondary_dominant(chord) {
            return secondary;
        }
        let base = self.numeral_of_root(chord.root);
        with_inversion(cased(&base, chord.quality), chord)
    }

    /// The accidental + upper-case numeral of a root.
    fn numeral_of_root(&self, root: PitchClass) -> String {
        if let Some(d) = self.degree_of(root) {
            return NUMERALS[d].to_string();
        }
        let minor = matches!(self.mode, Mode::NaturalMinor | Mode::HarmonicMinor);
        if minor && self.tonic.interval_to(root) == 11 {
            return "VII".into();
        }
        let above = self.degree_of(root.transpose(1));
        let below = self.degree_of(root.transpose(-1));
        match (below, above) {
            // Between IV and V: the raised fourth.
            (Some(3), _) => "#IV".into(),
            (_, Some(d)) => format!("b{}", NUMERALS[d]),
            (Some(d), None) => format!("#{}", NUMERALS[d]),
            (None, None) => "?".into(),
        }
    }

    /// `"V7/x"` when `chord` is a non-diatonic major or dominant chord a fifth above a
    /// diatonic major/minor triad other than the tonic.
    fn secondary_dominant(&self, chord: &Chord) -> Option<String> {
        if !matches!(chord.quality, ChordQuality::Major | ChordQuality::Dominant7)
            || self.is_diatonic(chord)
        {
            return None;
        }
        let target = chord.root.transpose(-7);
        let degree = self.degree_of(target)?;
        let triad = self.chord_on(degree, false);
        if degree == 0 || !matches!(triad.quality, ChordQuality::Major | ChordQuality::Minor) {
            return None;
        }
        let sev = if chord.quality == ChordQuality::Dominant7 {
            "V7"
        } else {
            "V"
        };
        let of = cased(NUMERALS[degree], triad.quality);
        Some(format!("{}/{of}", with_inversion(sev.to_string(), chord)))
    }
}

fn cased(numeral: &str, quality: ChordQuality) -> String {
    use ChordQuality as Q;
    let lower = quality.has_minor_third();
    let n = if lower {
        numeral.to_lowercase()
    } else {
        numeral.to_string()
    };
    let suffix = match quality {
        Q::Major | Q::Minor => "",
        Q::Sus2 => "sus2",
        Q::Sus4 => "sus4",
        Q::Diminished => "°",
        Q::Augmented => "+",
        Q::Major6 | Q::Minor6 => "add6",
        Q::Dominant7 | Q::Minor7 => "7",
        Q::Major7 | Q::MinorMajor7 => "maj7",
        Q::HalfDiminished7 => "ø7",
        Q::Diminished7 => "°7",
    };
    format!("{n}{suffix}")
}

/// Appends the inversion figure; a seventh chord's figure replaces its `7`.
fn with_inversion(mut numeral: String, chord: &Chord) -> String {
    let fig = inversion(chord);
    if !fig.is_empty() && chord.quality.is_four_note() && numeral.ends_with('7') {
        numeral.pop();
    }
    numeral.push_str(fig);
    numeral
}

/// Figured-bass inversion mark from the slash bass: triads 6 / 64, sevenths 65 / 43 / 42.
fn inversion(chord: &Chord) -> &'static str {
    let Some(bass) = chord.bass else {
        return "";
    };
    let position = chord.tones().iter().position(|&t| t == bass);
    match (chord.quality.is_four_note(), position) {
        (false, Some(1)) => "6",
        (false, Some(2)) => "64",
        (true, Some(1)) => "65",
        (true, Some(2)) => "43",
        (true, Some(3)) => "42",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roman_numeral_table() {
        let table = [
            ("C major", "C", "I"),
            ("C major", "Dm", "ii"),
            ("C major", "G7", "V7"),
            ("C major", "Bdim", "vii°"),
            ("C major", "Ab", "bVI"),
            ("C major", "Eb", "bIII"),
            ("C major", "Bb", "bVII"),
            ("C major", "Db", "bII"),
            ("C major", "F#dim", "#iv°"),
            ("C major", "D7", "V7/V"),
            ("C major", "E7", "V7/vi"),
            ("C major", "A", "V/ii"),
            ("C major", "C/E", "I6"),
            ("C major", "C/G", "I64"),
            ("C major", "G7/B", "V65"),
            ("C major", "Fmaj7", "IVmaj7"),
            ("C major", "Fm", "iv"),
            ("D minor", "Dm", "i"),
            ("D minor", "A7", "V7"),
            ("D minor", "Bb", "VI"),
            ("D minor", "C#dim7", "vii°7"),
            ("D minor", "Em7b5", "iiø7"),
            ("D minor", "F", "III"),
            ("D dorian", "G", "IV"),
            ("A minor", "E", "V"),
        ];
        for (key, chord, want) in table {
            let k = Key::parse(key).unwrap();
            let c = Chord::parse(chord).unwrap();
            assert_eq!(k.roman(&c), want, "{chord} in {key}");
        }
    }
}
