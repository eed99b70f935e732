//! The composer's spotting notes: which cue plays where, the hits the music
//! must catch, parameter moves and tempo changes, read from RON or CSV.
//!
//! # Times
//!
//! Every time is written either as SMPTE timecode (`"01:00:05:12"`, `;`
//! before the frames for drop-frame) or as seconds with an `s` suffix
//! (`"12.5s"`, handy for auditioning a scripted game playthrough); a bare
//! frame count with an `f` suffix (`"120f"`) is accepted too. All are
//! converted to frames at the [`FrameRate`] given to the parser.
//!
//! **Origin.** Timecode is absolute record time, while seconds and frame
//! counts are offsets from the start of the timeline. The parsers take the
//! timeline's first record frame as `origin` ([`parse_spotting_at`],
//! [`parse_spotting_str_at`]) and return every time **relative to the
//! timeline's frame 0**: timecode minus `origin`, seconds as they are. With a
//! cut list, pass `origin` = the cut's first record frame and do not subtract
//! again. [`parse_spotting`] and [`parse_spotting_str`] use `origin` 0, so
//! timecode comes back as absolute frames; [`SpottingList::to_frames_relative`]
//! shifts such a list (only correct when it is written in timecode).
//!
//! Lengths (`until` is a time, `ramp` is a length) follow the same rules,
//! except that a timecode `ramp` is read as a duration (`"00:00:04:00"` = 4 s).
//!
//! # RON
//!
//! ```ron
//! Spotting(
//!     cues: [
//!         (cue: "calm", at: "01:00:00:00", until: Some("01:00:40:00"), title: Some("Opening")),
//!         (cue: "chase", at: "40s"),
//!     ],
//!     hits: [(at: "01:00:12:05", name: "door slam", importance: 1.0)],
//!     params: [(at: "10s", param: "tension", value: 0.8, ramp: Some("4s"))],
//!     tempo: [(at: "0s", bpm: 96.0)],
//! )
//! ```
//!
//! Unknown fields are errors. `until`, `title`, `ramp` are optional (and
//! `Some(..)` may be left out); `importance` defaults to 1.0; every list may
//! be left out.
//!
//! # CSV
//!
//! Header `kind,at,until,name,value,ramp,importance` (any order; only `kind`
//! and `at` are required; an optional `title` column titles cues; `#` starts
//! a comment line). One row per entry, `kind` one of:
//!
//! | kind    | uses                                             |
//! |---------|--------------------------------------------------|
//! | `cue`   | `at`, `name` (the cue), optional `until`, `title`|
//! | `hit`   | `at`, `name`, optional `importance` (0..1)       |
//! | `param` | `at`, `name` (the parameter), `value`, optional `ramp` |
//! | `tempo` | `at`, `value` (bpm)                              |
//!
//! A column that does not apply to the row's kind must be empty.
//!
//! Cue and parameter names are not checked against a score here; every entry
//! keeps its 1-based source `line` so the caller can report one that is not.
//! Entries come back sorted by time (stable, so equal times keep file order).

mod ron_scan;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Location, MAX_INPUT_BYTES};
use crate::timecode::{FrameRate, Timecode, TimecodeError, format_frames};

/// A spotting list: cues, hits, parameter moves and tempo changes, all in
/// frames relative to the timeline's frame 0 (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpottingList {
    /// Cues in start order.
    pub cues: Vec<Spot>,
    /// Hits in time order.
    pub hits: Vec<Hit>,
    /// Parameter moves in time order.
    pub params: Vec<ParamPoint>,
    /// Tempo changes in time order.
    pub tempo: Vec<TempoPoint>,
}

/// A cue placed on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spot {
    /// Name of the score cue (not validated here).
    pub cue: String,
    /// First frame.
    pub start: i64,
    /// Frame after the last one; `None` plays until the next cue (or the end).
    pub end: Option<i64>,
    /// Title for cue sheets, e.g. "1M1 Opening".
    pub title: Option<String>,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

/// A moment the music should catch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Frame.
    pub at: i64,
    /// How much it matters, 0..1.
    pub importance: f32,
    /// Name, e.g. "door slam".
    pub name: String,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

/// A parameter move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamPoint {
    /// Frame at which the move starts.
    pub at: i64,
    /// Parameter name (not validated here).
    pub param: String,
    /// Target value.
    pub value: f32,
    /// Length of the ramp to `value` in frames; 0 is a step.
    pub ramp_frames: i64,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

/// A tempo change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TempoPoint {
    /// Frame.
    pub at: i64,
    /// New tempo in beats per minute.
    pub bpm: f64,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

impl SpottingList {
    /// Shift every time by `-start_frame`, e.g. to make a list parsed with
    /// origin 0 and written in absolute timecode relative to a cut starting
    /// at `start_frame`. Do not use it on lists parsed with
    /// [`parse_spotting_at`] (already relative) or written in seconds.
    pub fn to_frames_relative(mut self, start_frame: i64) -> SpottingList {
        for c in &mut self.cues {
            c.start -= start_frame;
            c.end = c.end.map(|e| e - start_frame);
        }
        for h in &mut self.hits {
            h.at -= start_frame;
        }
        for p in &mut self.params {
            p.at -= start_frame;
        }
        for t in &mut self.tempo {
            t.at -= start_frame;
        }
        self
    }

    /// Whether the list has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.cues.is_empty()
            && self.hits.is_empty()
            && self.params.is_empty()
            && self.tempo.is_empty()
    }

    /// Sort every list by time (stable).
    pub fn sort(&mut self) {
        self.cues.sort_by_key(|c| c.start);
        self.hits.sort_by_key(|h| h.at);
        self.params.sort_by_key(|p| p.at);
        self.tempo.sort_by_key(|t| t.at);
    }
}

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
    /// The input exceeds [`MAX_INPUT_BYTES`].
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
            | SpotError::EndBeforeStart { at, .. } => Some(at),
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

/// Read a spotting list file (`.ron` or `.csv`) with origin 0: timecode
/// comes back as absolute frames. See [`parse_spotting_at`].
pub fn parse_spotting(path: &Path, rate: FrameRate) -> Result<SpottingList, SpotError> {
    parse_spotting_at(path, rate, 0)
}

/// Read a spotting list file (`.ron` or `.csv`), returning times relative to
/// `origin`, the timeline's first record frame (see the module docs).
pub fn parse_spotting_at(
    path: &Path,
    rate: FrameRate,
    origin: i64,
) -> Result<SpottingList, SpotError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let is_csv = match ext.as_deref() {
        Some("csv") => true,
        Some("ron") => false,
        _ => {
            return Err(SpotError::UnknownFormat {
                path: path.to_path_buf(),
            });
        }
    };
    let io = |source| SpotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_INPUT_BYTES {
        return Err(SpotError::TooLarge {
            at: Location::new(Some(path.to_path_buf()), 0, 0),
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse_spotting_str_at(&text, is_csv, rate, Some(path), origin)
}

/// Parse spotting text with origin 0 (timecode as absolute frames). `path`
/// is used in error messages only.
pub fn parse_spotting_str(
    text: &str,
    is_csv: bool,
    rate: FrameRate,
    path: Option<&Path>,
) -> Result<SpottingList, SpotError> {
    parse_spotting_str_at(text, is_csv, rate, path, 0)
}

/// Parse spotting text, returning times relative to `origin` (see the module
/// docs). `path` is used in error messages only.
pub fn parse_spotting_str_at(
    text: &str,
    is_csv: bool,
    rate: FrameRate,
    path: Option<&Path>,
    origin: i64,
) -> Result<SpottingList, SpotError> {
    let cx = Cx {
        path: path.map(Path::to_path_buf),
        rate,
        origin,
    };
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(SpotError::TooLarge {
            at: cx.at(0, 0),
            size: text.len() as u64,
            limit: MAX_INPUT_BYTES,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut list = if is_csv {
        parse_csv(text, &cx)?
    } else {
        parse_ron(text, &cx)?
    };
    list.sort();
    Ok(list)
}

/// Parsing context: file, rate, origin.
struct Cx {
    path: Option<PathBuf>,
    rate: FrameRate,
    origin: i64,
}

/// A time as written: absolute timecode, or an offset (seconds / frames).
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeValue {
    Timecode(i64),
    Offset(i64),
}

impl Cx {
    fn at(&self, line: usize, column: usize) -> Location {
        Location::new(self.path.clone(), line, column)
    }

    fn parse_raw(&self, text: &str) -> Result<TimeValue, (String, String)> {
        let t = text.trim();
        if t.is_empty() {
            return Err((
                "it is empty".into(),
                "write e.g. 01:00:05:12 or 12.5s".into(),
            ));
        }
        if let Some(num) = t.strip_suffix("s").or_else(|| t.strip_suffix("sec")) {
            let secs: f64 = num.trim().parse().map_err(|_| {
                (
                    format!("\"{}\" is not a number of seconds", num.trim()),
                    "write seconds as a decimal number with an s suffix, e.g. 12.5s".to_string(),
                )
            })?;
            if !secs.is_finite() {
                return Err(("it is not finite".into(), "write e.g. 12.5s".into()));
            }
            let frames = secs * f64::from(self.rate.num()) / f64::from(self.rate.den());
            if frames.abs() > 1e12 {
                return Err(("it is far too large".into(), "write e.g. 12.5s".into()));
            }
            return Ok(TimeValue::Offset(frames.round() as i64));
        }
        if let Some(num) = t.strip_suffix('f') {
            let frames: i64 = num.trim().parse().map_err(|_| {
                (
                    format!("\"{}\" is not a whole number of frames", num.trim()),
                    "write frames as an integer with an f suffix, e.g. 120f".to_string(),
                )
            })?;
            return Ok(TimeValue::Offset(frames));
        }
        match Timecode::parse(t, self.rate) {
            Ok(tc) => Ok(TimeValue::Timecode(tc.to_frames(self.rate) as i64)),
            Err(e) => {
                let hint = match &e {
                    TimecodeError::Syntax => {
                        "write HH:MM:SS:FF (e.g. 01:00:05:12) or seconds with an s suffix (e.g. 12.5s)"
                            .to_string()
                    }
                    TimecodeError::FrameOutOfRange { nominal, .. } => format!(
                        "frames run 00..{:02} at {} fps; is the spotting list for another rate?",
                        nominal - 1,
                        self.rate
                    ),
                    TimecodeError::DropFrameAtNonDropRate { .. } => {
                        "use ':' before the frames, or read the cut list at 29.97 drop-frame"
                            .to_string()
                    }
                    TimecodeError::SkippedDropFrameLabel(_) => {
                        "that label does not exist in drop-frame; use the next frame (;02)"
                            .to_string()
                    }
                    _ => "each field must be in range: hours < 24, minutes and seconds < 60"
                        .to_string(),
                };
                Err((e.to_string(), hint))
            }
        }
    }

    /// A time on the timeline, relative to the origin.
    fn time(&self, text: &str, field: &str, pos: Pos) -> Result<i64, SpotError> {
        let bad = |reason: String, hint: String| SpotError::BadTime {
            at: self.at(pos.0, pos.1),
            field: field.into(),
            text: text.trim().into(),
            reason,
            hint,
        };
        if text.trim().starts_with('-') {
            return Err(bad(
                "it is negative".into(),
                "times count from the start of the timeline; use 0s or later".into(),
            ));
        }
        match self.parse_raw(text).map_err(|(r, h)| bad(r, h))? {
            TimeValue::Offset(f) => Ok(f),
            TimeValue::Timecode(f) => {
                if f < self.origin {
                    let start = format_frames(self.origin, self.rate);
                    // Same minutes:seconds:frames in the timeline's hour.
                    let mut tc = Timecode::from_frames(f as u64, self.rate);
                    tc.hours = Timecode::from_frames(self.origin.max(0) as u64, self.rate).hours;
                    let guess = tc.to_frames(self.rate) as i64;
                    let hint = if guess >= self.origin {
                        format!(
                            "timecode is absolute record time; did you mean {}? (or write seconds from the start, e.g. 12.5s)",
                            format_frames(guess, self.rate)
                        )
                    } else {
                        "timecode is absolute record time; or write seconds from the start, e.g. 12.5s".into()
                    };
                    return Err(bad(
                        format!("it is before the timeline start {start}"),
                        hint,
                    ));
                }
                Ok(f - self.origin)
            }
        }
    }

    /// A length (ramp): seconds, frames, or a timecode read as a duration.
    fn length(&self, text: &str, pos: Pos) -> Result<i64, SpotError> {
        let (line, col) = pos;
        let t = text.trim();
        if t.starts_with('-') {
            return Err(SpotError::NegativeRamp {
                at: self.at(line, col),
                text: t.into(),
            });
        }
        let v = self
            .parse_raw(t)
            .map_err(|(reason, hint)| SpotError::BadTime {
                at: self.at(line, col),
                field: "ramp".into(),
                text: t.into(),
                reason,
                hint,
            })?;
        Ok(match v {
            TimeValue::Offset(f) | TimeValue::Timecode(f) => f,
        })
    }
}

// ---------------------------------------------------------------- validation

/// (line, column) of a value, 1-based; column 0 if unknown.
type Pos = (usize, usize);

/// One entry as read from either format, before validation.
struct RawEntry<'a> {
    kind: Kind,
    line: usize,
    at: (&'a str, Pos),
    until: Option<(&'a str, Pos)>,
    name: Option<(&'a str, Pos)>,
    title: Option<&'a str>,
    value: Option<(ValueText<'a>, Pos)>,
    ramp: Option<(&'a str, Pos)>,
    importance: Option<(ValueText<'a>, Pos)>,
}

#[derive(Clone, Copy)]
enum ValueText<'a> {
    Text(&'a str),
    Number(f64),
}

impl fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueText::Text(t) => write!(f, "{t}"),
            ValueText::Number(n) => write!(f, "{n}"),
        }
    }
}

impl ValueText<'_> {
    fn number(&self) -> Option<f64> {
        match self {
            ValueText::Text(t) => t.trim().parse().ok(),
            ValueText::Number(n) => Some(*n),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Cue,
    Hit,
    Param,
    Tempo,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Cue => "cue",
            Kind::Hit => "hit",
            Kind::Param => "param",
            Kind::Tempo => "tempo",
        }
    }
}

fn add_entry(list: &mut SpottingList, e: RawEntry<'_>, cx: &Cx) -> Result<(), SpotError> {
    let line = e.line;
    let kind = e.kind.name();
    let at = cx.time(e.at.0, "at", e.at.1)?;
    let name = |what: &str, expected: &str| -> Result<String, SpotError> {
        match e.name {
            Some((n, _)) if !n.trim().is_empty() => Ok(n.trim().to_string()),
            _ => Err(SpotError::MissingField {
                at: cx.at(line, 0),
                entry: kind.into(),
                field: what.into(),
                expected: expected.into(),
                hint: format!("give the {kind} a {what}"),
            }),
        }
    };
    let number = |field: &str,
                  v: Option<(ValueText<'_>, Pos)>,
                  expected: &str,
                  ok: &dyn Fn(f64) -> bool|
     -> Result<Option<f64>, SpotError> {
        let Some((v, pos)) = v else { return Ok(None) };
        match v.number() {
            Some(n) if n.is_finite() && ok(n) => Ok(Some(n)),
            _ => Err(SpotError::BadValue {
                at: cx.at(pos.0, pos.1),
                field: field.into(),
                text: v.to_string(),
                expected: expected.into(),
                hint: format!("write the {field} as a plain decimal number"),
            }),
        }
    };
    match e.kind {
        Kind::Cue => {
            let cue = name("name", "the name of a score cue")?;
            let end = match e.until {
                Some((u, pos)) => {
                    let end = cx.time(u, "until", pos)?;
                    if end <= at {
                        return Err(SpotError::EndBeforeStart {
                            at: cx.at(pos.0, pos.1),
                            cue,
                            start: e.at.0.trim().into(),
                            end: u.trim().into(),
                        });
                    }
                    Some(end)
                }
                None => None,
            };
            list.cues.push(Spot {
                cue,
                start: at,
                end,
                title: e
                    .title
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
                line,
            });
        }
        Kind::Hit => {
            let name = name("name", "a name for the hit, e.g. \"door slam\"")?;
            let importance = number("importance", e.importance, "a number from 0 to 1", &|n| {
                (0.0..=1.0).contains(&n)
            })?
            .unwrap_or(1.0);
            list.hits.push(Hit {
                at,
                importance: importance as f32,
                name,
                line,
            });
        }
        Kind::Param => {
            let param = name("name", "the name of a score parameter")?;
            let Some(value) = number("value", e.value, "a number", &|_| true)? else {
                return Err(SpotError::MissingField {
                    at: cx.at(line, 0),
                    entry: kind.into(),
                    field: "value".into(),
                    expected: "the value the parameter moves to".into(),
                    hint: "add a value, e.g. 0.8".into(),
                });
            };
            let ramp_frames = match e.ramp {
                Some((r, pos)) if !r.trim().is_empty() => cx.length(r, pos)?,
                _ => 0,
            };
            list.params.push(ParamPoint {
                at,
                param,
                value: value as f32,
                ramp_frames,
                line,
            });
        }
        Kind::Tempo => {
            let Some(bpm) = number("bpm", e.value, "a tempo above 0 and up to 1000 bpm", &|n| {
                n > 0.0 && n <= 1000.0
            })?
            else {
                return Err(SpotError::MissingField {
                    at: cx.at(line, 0),
                    entry: kind.into(),
                    field: "value".into(),
                    expected: "the tempo in bpm".into(),
                    hint: "put the bpm in the value column, e.g. 120".into(),
                });
            };
            list.tempo.push(TempoPoint { at, bpm, line });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- RON

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Spotting")]
struct RonSpotting {
    #[serde(default)]
    cues: Vec<RonCue>,
    #[serde(default)]
    hits: Vec<RonHit>,
    #[serde(default)]
    params: Vec<RonParam>,
    #[serde(default)]
    tempo: Vec<RonTempo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Cue")]
struct RonCue {
    cue: String,
    at: String,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Hit")]
struct RonHit {
    at: String,
    name: String,
    #[serde(default)]
    importance: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Param")]
struct RonParam {
    at: String,
    param: String,
    value: f64,
    #[serde(default)]
    ramp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Tempo")]
struct RonTempo {
    at: String,
    bpm: f64,
}

const RON_FIELDS: &[(&str, &str)] = &[
    ("Spotting", "cues, hits, params, tempo"),
    ("Cue", "cue, at, until, title"),
    ("Hit", "at, name, importance"),
    ("Param", "at, param, value, ramp"),
    ("Tempo", "at, bpm"),
];

fn ron_error(e: ron::error::SpannedError, cx: &Cx) -> SpotError {
    use ron::error::Error as E;
    let at = cx.at(e.position.line, e.position.col);
    let fields_of = |outer: &Option<String>| {
        let o = outer.as_deref().unwrap_or("Spotting");
        RON_FIELDS
            .iter()
            .find(|(n, _)| *n == o)
            .map_or(String::new(), |(_, f)| f.to_string())
    };
    match e.code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => SpotError::UnknownField {
            at,
            entry: outer.unwrap_or_else(|| "Spotting".into()),
            expected: expected.join(", "),
            hint: format!("check the spelling of `{found}`"),
            field: found,
        },
        E::MissingStructField { field, outer } => SpotError::MissingField {
            at,
            entry: outer.clone().unwrap_or_else(|| "Spotting".into()),
            expected: format!("the fields {}", fields_of(&outer)),
            hint: format!("add `{field}: …` to the entry ending here"),
            field: field.to_string(),
        },
        E::ExpectedDifferentStructName { expected, found } => SpotError::Syntax {
            at,
            message: format!("struct named `{found}`"),
            expected: format!("`{expected}`"),
            hint: "the file is Spotting(cues: [..], hits: [..], params: [..], tempo: [..]); entries may be written as plain (..)".into(),
        },
        code => SpotError::Syntax {
            at,
            message: code.to_string(),
            expected: "RON of the form Spotting(cues: [(cue: \"calm\", at: \"01:00:00:00\")], …)".into(),
            hint: "check brackets, commas and quotes at or just before this position; times are strings (\"10s\")".into(),
        },
    }
}

fn parse_ron(text: &str, cx: &Cx) -> Result<SpottingList, SpotError> {
    let opts =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let doc: RonSpotting = opts.from_str(text).map_err(|e| ron_error(e, cx))?;
    let pos = ron_scan::entry_positions(text);
    let entry = |section: &str, i: usize| pos.entry(section, i);
    let mut list = SpottingList::default();
    for (i, c) in doc.cues.iter().enumerate() {
        let p = entry("cues", i);
        add_entry(
            &mut list,
            RawEntry {
                kind: Kind::Cue,
                line: p.line,
                at: (&c.at, p.field("at")),
                until: c.until.as_deref().map(|u| (u, p.field("until"))),
                name: Some((&c.cue, p.field("cue"))),
                title: c.title.as_deref(),
                value: None,
                ramp: None,
                importance: None,
            },
            cx,
        )?;
    }
    for (i, h) in doc.hits.iter().enumerate() {
        let p = entry("hits", i);
        add_entry(
            &mut list,
            RawEntry {
                kind: Kind::Hit,
                line: p.line,
                at: (&h.at, p.field("at")),
                until: None,
                name: Some((&h.name, p.field("name"))),
                title: None,
                value: None,
                ramp: None,
                importance: h
                    .importance
                    .map(|n| (ValueText::Number(n), p.field("importance"))),
            },
            cx,
        )?;
    }
    for (i, q) in doc.params.iter().enumerate() {
        let p = entry("params", i);
        add_entry(
            &mut list,
            RawEntry {
                kind: Kind::Param,
                line: p.line,
                at: (&q.at, p.field("at")),
                until: None,
                name: Some((&q.param, p.field("param"))),
                title: None,
                value: Some((ValueText::Number(q.value), p.field("value"))),
                ramp: q.ramp.as_deref().map(|r| (r, p.field("ramp"))),
                importance: None,
            },
            cx,
        )?;
    }
    for (i, t) in doc.tempo.iter().enumerate() {
        let p = entry("tempo", i);
        add_entry(
            &mut list,
            RawEntry {
                kind: Kind::Tempo,
                line: p.line,
                at: (&t.at, p.field("at")),
                until: None,
                name: None,
                title: None,
                value: Some((ValueText::Number(t.bpm), p.field("bpm"))),
                ramp: None,
                importance: None,
            },
            cx,
        )?;
    }
    Ok(list)
}

// ---------------------------------------------------------------- CSV

const CSV_COLUMNS: &[&str] = &[
    "kind",
    "at",
    "until",
    "name",
    "value",
    "ramp",
    "importance",
    "title",
];

/// Which columns each kind may fill.
fn csv_allowed(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Cue => &["kind", "at", "until", "name", "title"],
        Kind::Hit => &["kind", "at", "name", "importance"],
        Kind::Param => &["kind", "at", "name", "value", "ramp"],
        Kind::Tempo => &["kind", "at", "value"],
    }
}

/// 1-based line of the record the csv crate says starts at `byte`. Its
/// positions (and line counts) include the blank and comment lines skipped
/// before a record, so step over those first.
fn line_of_byte(text: &str, byte: usize) -> usize {
    let b = text.as_bytes();
    let mut pos = byte.min(b.len());
    loop {
        let end = b[pos..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |i| pos + i);
        let line = &b[pos..end];
        let skipped = line.iter().all(u8::is_ascii_whitespace) || line.first() == Some(&b'#');
        if !skipped || end >= b.len() {
            break;
        }
        pos = end + 1;
    }
    1 + b[..pos].iter().filter(|&&c| c == b'\n').count()
}

fn csv_error(e: &csv::Error, text: &str, cx: &Cx) -> SpotError {
    let line = e
        .position()
        .map_or(0, |p| line_of_byte(text, p.byte() as usize));
    let (message, hint) = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => (
            "invalid UTF-8".to_string(),
            "save the file as UTF-8".to_string(),
        ),
        _ => (e.to_string(), "check the quoting on this line".to_string()),
    };
    SpotError::Syntax {
        at: cx.at(line, 0),
        message,
        expected: "CSV with header kind,at,until,name,value,ramp,importance".into(),
        hint,
    }
}

fn parse_csv(text: &str, cx: &Cx) -> Result<SpottingList, SpotError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| csv_error(&e, text, cx))?.clone();
    let header_line = headers
        .position()
        .map_or(1, |p| line_of_byte(text, p.byte() as usize));
    let mut cols: Vec<&'static str> = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let lower = h.trim().to_ascii_lowercase();
        let Some(&known) = CSV_COLUMNS.iter().find(|c| **c == lower) else {
            return Err(SpotError::UnknownField {
                at: cx.at(header_line, i + 1),
                field: h.into(),
                entry: "CSV header".into(),
                expected: CSV_COLUMNS.join(", "),
                hint: "the first line must be the header kind,at,until,name,value,ramp,importance"
                    .into(),
            });
        };
        if cols.contains(&known) {
            return Err(SpotError::Syntax {
                at: cx.at(header_line, i + 1),
                message: format!("column `{known}` appears twice"),
                expected: "each column once".into(),
                hint: "remove the duplicate column".into(),
            });
        }
        cols.push(known);
    }
    for required in ["kind", "at"] {
        if !cols.contains(&required) {
            return Err(SpotError::MissingField {
                at: cx.at(header_line, 0),
                entry: "CSV header".into(),
                field: required.into(),
                expected: "a header with at least the columns kind and at".into(),
                hint: "the first line must be the header kind,at,until,name,value,ramp,importance"
                    .into(),
            });
        }
    }
    let mut list = SpottingList::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&e, text, cx))?;
        let line = rec
            .position()
            .map_or(0, |p| line_of_byte(text, p.byte() as usize));
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if rec.len() > cols.len() {
            return Err(SpotError::Syntax {
                at: cx.at(line, 0),
                message: format!("{} fields but the header has {}", rec.len(), cols.len()),
                expected: format!("at most {} fields", cols.len()),
                hint: "quote fields that contain commas, e.g. \"door slam, left\"".into(),
            });
        }
        let get = |c: &str| -> Option<(&str, Pos)> {
            let i = cols.iter().position(|x| *x == c)?;
            rec.get(i)
                .filter(|s| !s.is_empty())
                .map(|s| (s, (line, i + 1)))
        };
        let Some((kind_text, (_, kind_col))) = get("kind") else {
            return Err(SpotError::MissingField {
                at: cx.at(line, 0),
                entry: "row".into(),
                field: "kind".into(),
                expected: "cue, hit, param or tempo".into(),
                hint: "fill in the kind column".into(),
            });
        };
        let kind = match kind_text.to_ascii_lowercase().as_str() {
            "cue" => Kind::Cue,
            "hit" => Kind::Hit,
            "param" | "parameter" => Kind::Param,
            "tempo" => Kind::Tempo,
            _ => {
                return Err(SpotError::UnknownKind {
                    at: cx.at(line, kind_col),
                    kind: kind_text.into(),
                    hint: "use one of the four kinds; a hit is a moment to catch, a param a parameter move".into(),
                });
            }
        };
        let allowed = csv_allowed(kind);
        for (i, c) in cols.iter().enumerate() {
            if !allowed.contains(c) && rec.get(i).is_some_and(|s| !s.is_empty()) {
                return Err(SpotError::UnknownField {
                    at: cx.at(line, i + 1),
                    field: (*c).into(),
                    entry: kind.name().into(),
                    expected: allowed[1..].join(", "),
                    hint: format!("leave `{c}` empty on {} rows", kind.name()),
                });
            }
        }
        let Some(at) = get("at") else {
            return Err(SpotError::MissingField {
                at: cx.at(line, 0),
                entry: kind.name().into(),
                field: "at".into(),
                expected: "a time such as 01:00:05:12 or 12.5s".into(),
                hint: "fill in the at column".into(),
            });
        };
        add_entry(
            &mut list,
            RawEntry {
                kind,
                line,
                at,
                until: get("until"),
                name: get("name"),
                title: get("title").map(|t| t.0),
                value: get("value").map(|(v, c)| (ValueText::Text(v), c)),
                ramp: get("ramp"),
                importance: get("importance").map(|(v, c)| (ValueText::Text(v), c)),
            },
            cx,
        )?;
    }
    Ok(list)
}
