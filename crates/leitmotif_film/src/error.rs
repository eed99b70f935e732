//! Parse errors with file, line, column and EDL event context.

use std::fmt;
use std::path::PathBuf;

use crate::timecode::TimecodeError;

/// Largest input accepted by the parsers (64 MiB).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Where in an input something was found. `line` and `column` are 1-based;
/// 0 means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, if parsing from a file.
    pub path: Option<PathBuf>,
    /// 1-based line, 0 if unknown.
    pub line: usize,
    /// 1-based column (in characters), 0 if unknown.
    pub column: usize,
}

impl Location {
    /// A location in `path` at `line`:`column`.
    pub fn new(path: Option<PathBuf>, line: usize, column: usize) -> Self {
        Location { path, line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "<input>")?,
        }
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

fn ev(event: &Option<String>) -> String {
    match event {
        Some(e) => format!("event {e}: "),
        None => String::new(),
    }
}

/// Everything that can go wrong reading a cut list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The input exceeds [`MAX_INPUT_BYTES`].
    #[error(
        "{at}: input of {size} bytes exceeds the {limit}-byte limit (hint: is this really a cut list?)"
    )]
    TooLarge {
        /// The input.
        at: Location,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The format could not be recognised.
    #[error(
        "{at}: unrecognised cut-list format: expected a CMX 3600 EDL, OTIO JSON, FCP7 xmeml or FCPXML (hint: {hint})"
    )]
    UnknownFormat {
        /// The input.
        at: Location,
        /// What to try.
        hint: String,
    },
    /// The input contains control bytes: it is not a text cut list.
    #[error(
        "{at}: binary data (byte 0x{byte:02x}): expected a text cut list (hint: is this the right file?)"
    )]
    Binary {
        /// Where the first control byte is.
        at: Location,
        /// The offending byte.
        byte: u8,
    },
    /// A timecode field that does not parse or is out of range.
    #[error(
        "{at}: {}bad {field} timecode \"{text}\": expected HH:MM:SS:FF ({reason}; hint: {hint})",
        ev(event)
    )]
    BadTimecode {
        /// Where the timecode is.
        at: Location,
        /// The EDL event number, if known.
        event: Option<String>,
        /// Which field ("source-in", "record-out", "LOC", …).
        field: String,
        /// The text found.
        text: String,
        /// Why it failed.
        reason: TimecodeError,
        /// What to try.
        hint: String,
    },
    /// A line or element that does not have the expected shape.
    #[error("{at}: {}{found}: expected {expected} (hint: {hint})", ev(event))]
    Malformed {
        /// Where.
        at: Location,
        /// The EDL event number, if known.
        event: Option<String>,
        /// What was found.
        found: String,
        /// What was expected.
        expected: String,
        /// What to try.
        hint: String,
    },
    /// Record duration differs from source duration without a speed change.
    #[error(
        "{at}: event {event}: record duration {record_frames} frames differs from source duration {source_frames} frames: expected equal durations for an event without M2 speed change (hint: check the frame rate; without --strict this is a warning)"
    )]
    DurationMismatch {
        /// Where the event starts.
        at: Location,
        /// The EDL event number.
        event: String,
        /// Record-out minus record-in.
        record_frames: i64,
        /// Source-out minus source-in.
        source_frames: i64,
    },
    /// An out point before its in point.
    #[error(
        "{at}: event {event}: {field}-out {out_tc} is before {field}-in {in_tc}: expected out >= in (hint: are the source and record columns swapped?)"
    )]
    InvertedRange {
        /// Where the event starts.
        at: Location,
        /// The EDL event number.
        event: String,
        /// "source" or "record".
        field: String,
        /// The in timecode.
        in_tc: String,
        /// The out timecode.
        out_tc: String,
    },
    /// Invalid JSON (OTIO).
    #[error(
        "{at}: invalid JSON: {message}: expected an OpenTimelineIO document (hint: is the file truncated?)"
    )]
    Json {
        /// Where `serde_json` stopped.
        at: Location,
        /// The `serde_json` message.
        message: String,
    },
    /// Invalid XML (FCP7 or FCPXML).
    #[error(
        "{at}: invalid XML: {message}: expected well-formed xmeml or fcpxml (hint: is the file truncated?)"
    )]
    Xml {
        /// Where roxmltree stopped.
        at: Location,
        /// roxmltree's message.
        message: String,
    },
}

impl ParseError {
    /// The location of the error, if it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ParseError::Io { .. } => None,
            ParseError::TooLarge { at, .. }
            | ParseError::UnknownFormat { at, .. }
            | ParseError::Binary { at, .. }
            | ParseError::BadTimecode { at, .. }
            | ParseError::Malformed { at, .. }
            | ParseError::DurationMismatch { at, .. }
            | ParseError::InvertedRange { at, .. }
            | ParseError::Json { at, .. }
            | ParseError::Xml { at, .. } => Some(at),
        }
    }

    /// The 1-based line of the error, 0 if unknown.
    pub fn line(&self) -> usize {
        self.location().map_or(0, |l| l.line)
    }

    /// The EDL event number the error concerns, if known.
    pub fn event(&self) -> Option<&str> {
        match self {
            ParseError::BadTimecode { event, .. } | ParseError::Malformed { event, .. } => {
                event.as_deref()
            }
            ParseError::DurationMismatch { event, .. }
            | ParseError::InvertedRange { event, .. } => Some(event),
            _ => None,
        }
    }
}
