//! Frame rates as exact rationals.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::TimecodeError;

/// A frame rate as an exact rational `num / den` frames per second, plus the
/// drop-frame counting flag.
///
/// Only 29.97 (30000/1001) and 59.94 (60000/1001) may count drop-frame;
/// 23.976 (24000/1001) always counts non-drop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct FrameRate {
    num: u32,
    den: u32,
    drop_frame: bool,
}

impl FrameRate {
    /// 23.976 fps (24000/1001), always non-drop.
    pub const FPS_23_976: FrameRate = FrameRate::raw(24000, 1001, false);
    /// 24 fps.
    pub const FPS_24: FrameRate = FrameRate::raw(24, 1, false);
    /// 25 fps (PAL).
    pub const FPS_25: FrameRate = FrameRate::raw(25, 1, false);
    /// 29.97 fps (30000/1001) drop-frame.
    pub const FPS_29_97_DF: FrameRate = FrameRate::raw(30000, 1001, true);
    /// 29.97 fps (30000/1001) non-drop.
    pub const FPS_29_97_NDF: FrameRate = FrameRate::raw(30000, 1001, false);
    /// 30 fps.
    pub const FPS_30: FrameRate = FrameRate::raw(30, 1, false);
    /// 50 fps.
    pub const FPS_50: FrameRate = FrameRate::raw(50, 1, false);
    /// 59.94 fps (60000/1001) drop-frame.
    pub const FPS_59_94_DF: FrameRate = FrameRate::raw(60000, 1001, true);
    /// 59.94 fps (60000/1001) non-drop.
    pub const FPS_59_94_NDF: FrameRate = FrameRate::raw(60000, 1001, false);
    /// 60 fps.
    pub const FPS_60: FrameRate = FrameRate::raw(60, 1, false);

    const fn raw(num: u32, den: u32, drop_frame: bool) -> Self {
        FrameRate {
            num,
            den,
            drop_frame,
        }
    }

    /// A rate of `num / den` fps. Fails if either is zero, the nominal rate
    /// is zero, or drop-frame is asked for at a rate other than 29.97/59.94.
    pub fn new(num: u32, den: u32, drop_frame: bool) -> Result<Self, TimecodeError> {
        if num == 0 || den == 0 || num / den > 1000 || (num as u64 * 2) < den as u64 {
            return Err(TimecodeError::BadRate(format!("{num}/{den}")));
        }
        let g = gcd(num, den);
        let r = FrameRate::raw(num / g, den / g, drop_frame);
        if drop_frame && r.drop_frames_per_minute() == 0 {
            return Err(TimecodeError::DropFrameAtNonDropRate {
                rate: r.to_string(),
            });
        }
        Ok(r)
    }

    /// Integer `n` fps.
    pub fn integer(n: u32) -> Result<Self, TimecodeError> {
        FrameRate::new(n, 1, false)
    }

    /// Closest standard rate to a floating-point fps value (as found in OTIO
    /// files): integers map to `n/1`, values near `n·1000/1001` to that NTSC
    /// rate (non-drop). Returns `None` for non-finite or non-positive input.
    pub fn from_fps_f64(fps: f64) -> Option<Self> {
        if !fps.is_finite() || fps <= 0.0 || fps > 1000.0 {
            return None;
        }
        let n = fps.round();
        if (fps - n).abs() < 1e-6 {
            return FrameRate::new(n as u32, 1, false).ok();
        }
        let ntsc = (fps * 1001.0 / 1000.0).round();
        if (fps - ntsc * 1000.0 / 1001.0).abs() < 5e-3 {
            return FrameRate::new(ntsc as u32 * 1000, 1001, false).ok();
        }
        // Arbitrary rate: keep three decimals.
        FrameRate::new((fps * 1000.0).round() as u32, 1000, false).ok()
    }

    /// Numerator of the exact rate.
    pub fn num(&self) -> u32 {
        self.num
    }

    /// Denominator of the exact rate.
    pub fn den(&self) -> u32 {
        self.den
    }

    /// Whether timecode at this rate counts drop-frame.
    pub fn is_drop_frame(&self) -> bool {
        self.drop_frame
    }

    /// The nominal (timecode) frame count per second: 30 for 29.97, 24 for 23.976.
    pub fn nominal(&self) -> u32 {
        (self.num + self.den / 2) / self.den
    }

    /// Exact fps as a float.
    pub fn fps(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Frame labels dropped per minute in drop-frame counting at this rate
    /// (2 at 29.97, 4 at 59.94, 0 where drop-frame is not defined).
    pub fn drop_frames_per_minute(&self) -> u32 {
        match (self.num, self.den) {
            (30000, 1001) => 2,
            (60000, 1001) => 4,
            _ => 0,
        }
    }

    /// Whether drop-frame counting is defined at this rate.
    pub fn supports_drop_frame(&self) -> bool {
        self.drop_frames_per_minute() > 0
    }

    /// The same rate with drop-frame counting switched on or off. Fails when
    /// switching on at a rate where drop-frame is not defined.
    pub fn with_drop_frame(self, drop_frame: bool) -> Result<Self, TimecodeError> {
        FrameRate::new(self.num, self.den, drop_frame)
    }

    /// Seconds at which frame `frames` starts (exact rational, then `f64`).
    pub fn frames_to_seconds(&self, frames: i64) -> f64 {
        (frames as f64 * self.den as f64) / self.num as f64
    }

    /// Convert a frame count at `from` to the nearest frame at `self`.
    pub fn rescale_from(&self, frames: i64, from: FrameRate) -> i64 {
        if from.num == self.num && from.den == self.den {
            return frames;
        }
        let n = frames as i128 * from.den as i128 * self.num as i128;
        let d = from.num as i128 * self.den as i128;
        div_round(n, d) as i64
    }
}

/// Integer division rounding half away from zero.
pub(crate) fn div_round(n: i128, d: i128) -> i128 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Default for FrameRate {
    fn default() -> Self {
        FrameRate::FPS_24
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.num, self.den) {
            (24000, 1001) => write!(f, "23.976"),
            (30000, 1001) => write!(f, "29.97{}", if self.drop_frame { "df" } else { "ndf" }),
            (60000, 1001) => write!(f, "59.94{}", if self.drop_frame { "df" } else { "ndf" }),
            (n, 1) => write!(f, "{n}"),
            (n, d) => write!(f, "{n}/{d}"),
        }
    }
}

impl FromStr for FrameRate {
    type Err = TimecodeError;

    /// Parses "23.976", "23.98", "24", "25", "29.97" (non-drop until an EDL's
    /// `FCM: DROP FRAME` says otherwise), "29.97df", "29.97ndf", "30", "50",
    /// "59.94", "59.94df", "59.94ndf", "60", other integers, and "num/den".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || TimecodeError::BadRate(s.to_string());
        let (base, drop) = if let Some(b) = t.strip_suffix("ndf") {
            (b.trim_end_matches(['-', ' ']), Some(false))
        } else if let Some(b) = t.strip_suffix("df") {
            (b.trim_end_matches(['-', ' ']), Some(true))
        } else {
            (t.as_str(), None)
        };
        let rate = match base {
            "23.976" | "23.98" => FrameRate::FPS_23_976,
            "29.97" => FrameRate::FPS_29_97_NDF,
            "59.94" => FrameRate::FPS_59_94_NDF,
            _ => {
                if let Some((n, d)) = base.split_once('/') {
                    let n = n.trim().parse().map_err(|_| bad())?;
                    let d = d.trim().parse().map_err(|_| bad())?;
                    FrameRate::new(n, d, false)?
                } else if let Ok(n) = base.parse::<u32>() {
                    FrameRate::integer(n)?
                } else {
                    return Err(bad());
                }
            }
        };
        match drop {
            Some(d) => rate.with_drop_frame(d),
            None => Ok(rate),
        }
    }
}
