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
//!         (cue: "chase", at: "40s", until: "01:01:12:00", end: Fade, fade: "3s"),
//!         (at: "01:01:20:00", note: Some("she realises he is not coming back")),
//!     ],
//!     hits: [(at: "01:00:12:05", name: "door slam", importance: 1.0)],
//!     params: [(at: "10s", param: "tension", value: 0.8, ramp: Some("4s"))],
//!     tempo: [(at: "0s", bpm: 96.0)],
//! )
//! ```
//!
//! Unknown fields are errors. `until`, `end`, `fade`, `title`, `note`, `ramp` are optional
//! (and `Some(..)` may be left out); `cue` may be left out when a `note` is
//! given (see "Notes" below); `importance` defaults to 1.0; every list may be
//! left out.
//!
//! # CSV
//!
//! Header `kind,at,until,name,value,ramp,importance` (any order; only `kind`
//! and `at` are required; optional `title` and `note` columns title cues and
//! carry their spotting notes; `#` starts a comment line). One row per entry,
//! `kind` one of:
//!
//! | kind    | uses                                             |
//! |---------|--------------------------------------------------|
//! | `cue`   | `at`, `name` (the cue; may be empty with a `note`), optional `until`, `end`, `ramp` (the fade of a `Fade` ending), `title`, `note` |
//! | `hit`   | `at`, `name`, optional `importance` (0..1)       |
//! | `param` | `at`, `name` (the parameter), `value`, optional `ramp` |
//! | `tempo` | `at`, `value` (bpm)                              |
//!
//! A column that does not apply to the row's kind must be empty.
//!
//! # Notes
//!
//! A cue entry's `note` is the composer's spotting note, free text such as
//! "she realises he is not coming back". It is carried to the outputs (the
//! `note` column of the film runner's cue sheet and the cue's `note` in its
//! report). A cue entry that names no cue but has a note gets the score cue
//! whose `mood` is nearest the note's mood, read with the mood lexicon
//! ([`crate::lexicon`]: negation and intensifiers understood) — the rule
//! auto-spotting uses ([`crate::autospot::nearest_mood_cue`]). The parsers
//! leave such an entry's [`Spot::cue`] empty; [`assign_cues`] chooses it
//! against a score (the film runner does this before it checks the list
//! against the score). A named cue always wins over its note. An entry with
//! neither a cue nor a note, a note without a mood word, and a score none of
//! whose cues has a `mood` are located errors.
//!
//! # Endings
//!
//! A cue with an out-point (`until`, before the next cue starts) ends there, as its `end`
//! says ([`Ending`]): `Button` (the default) fits the music so a downbeat lands on the
//! out-point and stops it there, the downbeat sounding and releasing over one beat; `Tail`
//! fits the downbeat the same way and lets the music ring on over the cue's tail (its
//! `tail_beats`, two beats without); `Fade` fades to silence over `fade` (CSV: the `ramp`
//! column; 2 s unless given), silent on the out-point. Silence follows until the next cue,
//! which then starts at its bar 1 with no transition. `end` without `until` is an error.
//!
//! A `tempo` entry changes the tempo of the music playing at its time, on that frame: its grid
//! (beats, bars, later sync points) follows and its stems are time-stretched to the new tempo
//! (see "Tempo cues" in `docs/score-format.md`).
//!
//! Cue and parameter names are not checked against a score here; every entry
//! keeps its 1-based source `line` so the caller can report one that is not.
//! Entries come back sorted by time (stable, so equal times keep file order).

mod csv_reader;
mod entry;
mod error;
mod model;
mod notes;
mod ron_reader;
mod ron_scan;
#[cfg(test)]
mod tests;
mod time;

use std::path::Path;

use crate::error::{Location, MAX_INPUT_BYTES};
use crate::timecode::FrameRate;

pub use error::SpotError;
pub use model::{Ending, Hit, ParamPoint, Spot, SpottingList, TempoPoint};
pub use notes::{CueFromNote, assign_cues};

use csv_reader::parse_csv;
use ron_reader::parse_ron;
use time::Cx;

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
    let text = read_text(path)?;
    parse_spotting_str_at(&text, is_csv, rate, Some(path), origin)
}

/// The text of a spotting list or lexicon file, refused beyond [`MAX_INPUT_BYTES`]; errors name
/// the file.
pub(crate) fn read_text(path: &Path) -> Result<String, SpotError> {
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
    std::fs::read_to_string(path).map_err(io)
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
        csv: is_csv,
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
