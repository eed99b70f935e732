//! Time fields: timecode, seconds (`12.5s`) and frames (`120f`), read at the
//! parser's rate and made relative to its origin.

use std::path::PathBuf;

use super::SpotError;
use crate::error::Location;
use crate::timecode::{FrameRate, Timecode, TimecodeError, format_frames};

/// (line, column) of a value, 1-based; column 0 if unknown.
pub(super) type Pos = (usize, usize);

/// Parsing context: file, format, rate, origin.
pub(super) struct Cx {
    pub(super) path: Option<PathBuf>,
    /// CSV rather than RON (for hints that name a field).
    pub(super) csv: bool,
    pub(super) rate: FrameRate,
    pub(super) origin: i64,
}

/// A time as written: absolute timecode, or an offset (seconds / frames).
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeValue {
    Timecode(i64),
    Offset(i64),
}

impl Cx {
    pub(super) fn at(&self, line: usize, column: usize) -> Location {
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
    pub(super) fn time(&self, text: &str, field: &str, pos: Pos) -> Result<i64, SpotError> {
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
    pub(super) fn length(&self, text: &str, pos: Pos) -> Result<i64, SpotError> {
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
