//! [`SpotError`], everything that can go wrong reading a spotting list, and
//! its messages.

use std::path::PathBuf;

use crate::error::Location;

/// Everything that can go wrong reading a spotting list. Every variant with
/// a location says what was expected and gives a hint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpotError {
    /// The file could not be read.
    #[error("{}: cannot read spotting list: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The extension is neither `.ron` nor `.csv`.
    #[error(
        "{}: unknown spotting-list format: expected a .ron or .csv file (hint: rename the file, e.g. spotting.ron)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The input exceeds [`MAX_INPUT_BYTES`](crate::error::MAX_INPUT_BYTES).
    #[error(
        "{at}: input of {size} bytes exceeds the {limit}-byte limit: expected a text spotting list (hint: is this the right file?)"
    )]
    TooLarge {
        /// The input.
        at: Location,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// RON or CSV that does not parse.
    #[error("{at}: {message}: expected {expected} (hint: {hint})")]
    Syntax {
        /// Where the parser stopped (RON: line and column).
        at: Location,
        /// The parser's message.
        message: String,
        /// What was expected.
        expected: String,
        /// What to try.
        hint: String,
    },
    /// A field or column that does not exist or does not apply.
    #[error("{at}: unknown field `{field}` in {entry}: expected one of {expected} (hint: {hint})")]
    UnknownField {
        /// Where.
        at: Location,
        /// The field or column name.
        field: String,
        /// The entry kind ("cue", "hit", "CSV header", …).
        entry: String,
        /// The fields that are allowed.
        expected: String,
        /// What to try.
        hint: String,
    },
    /// A required field or column that is missing or empty.
    #[error("{at}: {entry} is missing `{field}`: expected {expected} (hint: {hint})")]
    MissingField {
        /// Where.
        at: Location,
        /// The entry kind.
        entry: String,
        /// The missing field.
        field: String,
        /// What was expected.
        expected: String,
        /// What to try.
        hint: String,
    },
    /// A time that is neither timecode nor seconds, or out of range.
    #[error(
        "{at}: bad time \"{text}\" in `{field}`: {reason}: expected timecode HH:MM:SS:FF or seconds like 12.5s (hint: {hint})"
    )]
    BadTime {
        /// Where.
        at: Location,
        /// Which field ("at", "until", "ramp").
        field: String,
        /// The text found.
        text: String,
        /// Why it failed.
        reason: String,
        /// What to try.
        hint: String,
    },
    /// A CSV `kind` other than cue, hit, param, tempo.
    #[error("{at}: unknown kind \"{kind}\": expected cue, hit, param or tempo (hint: {hint})")]
    UnknownKind {
        /// Where.
        at: Location,
        /// The kind found.
        kind: String,
        /// What to try.
        hint: String,
    },
    /// A number that does not parse or is out of range.
    #[error("{at}: bad {field} \"{text}\": expected {expected} (hint: {hint})")]
    BadValue {
        /// Where.
        at: Location,
        /// Which field.
        field: String,
        /// The text found.
        text: String,
        /// What was expected.
        expected: String,
        /// What to try.
        hint: String,
    },
    /// A negative ramp length.
    #[error(
        "{at}: negative ramp \"{text}\": expected a length of 0 or more (hint: a ramp runs forward from `at`; move `at` earlier instead)"
    )]
    NegativeRamp {
        /// Where.
        at: Location,
        /// The text found.
        text: String,
    },
    /// A cue whose `until` is not after its `at`.
    #[error(
        "{at}: cue \"{cue}\" ends at {end} before it starts at {start}: expected `until` after `at` (hint: are `at` and `until` swapped?)"
    )]
    EndBeforeStart {
        /// Where.
        at: Location,
        /// The cue.
        cue: String,
        /// The start as written.
        start: String,
        /// The end as written.
        end: String,
    },
    /// A cue entry that names no cue and whose note has no mood word to choose one by.
    #[error(
        "{at}: no mood words in the note \"{note}\": expected a cue name, or a note with words for how the scene feels, e.g. \"tense\", \"grief\", \"tender\" (hint: no mood words in the note — name the cue{how})"
    )]
    NoMoodInNote {
        /// Where the note is.
        at: Location,
        /// The note.
        note: String,
        /// How to name the cue in this format, e.g. `: cue: "calm"`.
        how: String,
    },
    /// A cue entry that names no cue, for a score none of whose cues has a `mood` to
    /// match its note against.
    #[error(
        "{at}: the cue is to be chosen from the note \"{note}\" but no cue of the score has a mood: expected cues with a `mood` to choose from (score cues: {cues}) (hint: give the score's cues a `mood: Some((valence, arousal))`, or name the cue here)"
    )]
    NoCueMoods {
        /// Where the note is.
        at: Location,
        /// The note.
        note: String,
        /// The score's cues, comma-separated ("none" for none).
        cues: String,
    },
}

impl SpotError {
    /// The location of the error, if it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            SpotError::Io { .. } | SpotError::UnknownFormat { .. } => None,
            SpotError::TooLarge { at, .. }
            | SpotError::Syntax { at, .. }
            | SpotError::UnknownField { at, .. }
            | SpotError::MissingField { at, .. }
            | SpotError::BadTime { at, .. }
            | SpotError::UnknownKind { at, .. }
            | SpotError::BadValue { at, .. }
            | SpotError::NegativeRamp { at, .. }
            | SpotError::EndBeforeStart { at, .. }
            | SpotError::NoMoodInNote { at, .. }
            | SpotError::NoCueMoods { at, .. } => Some(at),
        }
    }

    /// The 1-based line of the error, 0 if unknown.
    pub fn line(&self) -> usize {
        self.location().map_or(0, |l| l.line)
    }

    /// The 1-based column of the error, 0 if unknown.
    pub fn column(&self) -> usize {
        self.location().map_or(0, |l| l.column)
    }
}
