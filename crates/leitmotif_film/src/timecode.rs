//! SMPTE timecode and frame rates.
//!
//! Drop-frame counting follows SMPTE 12M: at 29.97 fps the frame labels
//! `;00` and `;01` are skipped at the start of every minute except minutes
//! divisible by ten (four labels at 59.94), so
//! `frames = ((M·60 + s)·nominal + f) − drop·(M − ⌊M/10⌋)` with `M` the total
//! minutes.

mod rate;
#[cfg(test)]
mod tests;

use std::fmt;

pub use rate::FrameRate;
pub(crate) use rate::div_round;

/// Why a timecode or frame rate could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimecodeError {
    /// Not of the form `HH:MM:SS:FF`.
    #[error("not of the form HH:MM:SS:FF")]
    Syntax,
    /// Hours field of 24 or more.
    #[error("hours field {0} is 24 or more")]
    HoursOutOfRange(u32),
    /// Minutes field of 60 or more.
    #[error("minutes field {0} is 60 or more")]
    MinutesOutOfRange(u32),
    /// Seconds field of 60 or more.
    #[error("seconds field {0} is 60 or more")]
    SecondsOutOfRange(u32),
    /// Frames field not below the nominal rate.
    #[error("frame field {frames} is not below the nominal rate {nominal}")]
    FrameOutOfRange {
        /// The frames field.
        frames: u32,
        /// The nominal frames per second.
        nominal: u32,
    },
    /// A drop-frame separator at a rate where drop-frame is not defined.
    #[error("drop-frame timecode at {rate} fps, where drop-frame is not defined")]
    DropFrameAtNonDropRate {
        /// The rate in force.
        rate: String,
    },
    /// A drop-frame label that does not exist (e.g. `00:01:00;00`).
    #[error("{0} is skipped in drop-frame counting and does not exist")]
    SkippedDropFrameLabel(String),
    /// An unusable frame-rate description.
    #[error("unusable frame rate {0:?}")]
    BadRate(String),
}

/// A timecode label `HH:MM:SS:FF` (or `HH:MM:SS;FF` for drop-frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timecode {
    /// Hours, 0–23.
    pub hours: u32,
    /// Minutes, 0–59.
    pub minutes: u32,
    /// Seconds, 0–59.
    pub seconds: u32,
    /// Frames, below the nominal rate.
    pub frames: u32,
    /// Drop-frame label (printed with `;`).
    pub drop_frame: bool,
}

impl Timecode {
    /// Parse `HH:MM:SS:FF` at `rate`. A `;`, `.` or `,` before the frames
    /// marks drop-frame; at a drop-frame rate every timecode counts
    /// drop-frame whatever its separator.
    pub fn parse(text: &str, rate: FrameRate) -> Result<Timecode, TimecodeError> {
        let b = text.trim().as_bytes();
        let mut fields = [0u32; 4];
        let mut idx = 0;
        let mut digits = 0;
        let mut last_sep = b':';
        for &c in b {
            match c {
                b'0'..=b'9' => {
                    if digits >= 3 {
                        return Err(TimecodeError::Syntax);
                    }
                    fields[idx] = fields[idx] * 10 + u32::from(c - b'0');
                    digits += 1;
                }
                b':' | b';' | b'.' | b',' if digits > 0 && idx < 3 => {
                    if c != b':' && idx != 2 {
                        return Err(TimecodeError::Syntax);
                    }
                    last_sep = c;
                    idx += 1;
                    digits = 0;
                }
                _ => return Err(TimecodeError::Syntax),
            }
        }
        if idx != 3 || digits == 0 {
            return Err(TimecodeError::Syntax);
        }
        let marked_drop = last_sep != b':';
        if marked_drop && !rate.supports_drop_frame() {
            return Err(TimecodeError::DropFrameAtNonDropRate {
                rate: rate.to_string(),
            });
        }
        let tc = Timecode {
            hours: fields[0],
            minutes: fields[1],
            seconds: fields[2],
            frames: fields[3],
            drop_frame: marked_drop || rate.is_drop_frame(),
        };
        tc.validate(rate)?;
        Ok(tc)
    }

    fn validate(&self, rate: FrameRate) -> Result<(), TimecodeError> {
        if self.hours >= 24 {
            return Err(TimecodeError::HoursOutOfRange(self.hours));
        }
        if self.minutes >= 60 {
            return Err(TimecodeError::MinutesOutOfRange(self.minutes));
        }
        if self.seconds >= 60 {
            return Err(TimecodeError::SecondsOutOfRange(self.seconds));
        }
        let nominal = rate.nominal();
        if self.frames >= nominal {
            return Err(TimecodeError::FrameOutOfRange {
                frames: self.frames,
                nominal,
            });
        }
        let drop = rate.drop_frames_per_minute();
        if self.drop_frame
            && self.seconds == 0
            && !self.minutes.is_multiple_of(10)
            && self.frames < drop
        {
            return Err(TimecodeError::SkippedDropFrameLabel(self.to_string()));
        }
        Ok(())
    }

    /// Frame count since `00:00:00:00` at `rate`.
    pub fn to_frames(&self, rate: FrameRate) -> u64 {
        let nominal = u64::from(rate.nominal());
        let total_minutes = u64::from(self.hours) * 60 + u64::from(self.minutes);
        let base =
            (total_minutes * 60 + u64::from(self.seconds)) * nominal + u64::from(self.frames);
        if self.drop_frame && rate.supports_drop_frame() {
            let drop = u64::from(rate.drop_frames_per_minute());
            base - drop * (total_minutes - total_minutes / 10)
        } else {
            base
        }
    }

    /// The label of frame `frames` at `rate` (drop-frame if the rate is).
    /// Counts wrap at 24 hours.
    pub fn from_frames(frames: u64, rate: FrameRate) -> Timecode {
        let nominal = u64::from(rate.nominal());
        let drop = u64::from(rate.drop_frames_per_minute());
        let df = rate.is_drop_frame() && drop > 0;
        let mut n = frames;
        if df {
            let per_10min = nominal * 600 - drop * 9;
            let per_min = nominal * 60 - drop;
            n %= per_10min * 6 * 24;
            let tens = n / per_10min;
            let rem = n % per_10min;
            let mut adj = 9 * drop * tens;
            if rem >= drop {
                adj += drop * ((rem - drop) / per_min);
            }
            n += adj;
        } else {
            n %= nominal * 86_400;
        }
        Timecode {
            hours: (n / (nominal * 3600)) as u32,
            minutes: (n / (nominal * 60) % 60) as u32,
            seconds: (n / nominal % 60) as u32,
            frames: (n % nominal) as u32,
            drop_frame: df,
        }
    }
}

/// Parse a timecode string straight to a frame count.
pub fn parse_frames(text: &str, rate: FrameRate) -> Result<u64, TimecodeError> {
    Ok(Timecode::parse(text, rate)?.to_frames(rate))
}

/// Format a (possibly negative) frame count as a timecode string.
pub fn format_frames(frames: i64, rate: FrameRate) -> String {
    let tc = Timecode::from_frames(frames.unsigned_abs(), rate);
    if frames < 0 {
        format!("-{tc}")
    } else {
        tc.to_string()
    }
}

impl fmt::Display for Timecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.drop_frame { ';' } else { ':' };
        write!(
            f,
            "{:02}:{:02}:{:02}{sep}{:02}",
            self.hours, self.minutes, self.seconds, self.frames
        )
    }
}
