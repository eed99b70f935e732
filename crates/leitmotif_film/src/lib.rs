//! Cut lists for scoring to picture: SMPTE timecode and parsers for CMX 3600
//! EDLs, `OpenTimelineIO` JSON, Final Cut Pro 7 xmeml and FCPXML, all read
//! into one normalised model ([`CutList`]).
//!
//! ```
//! use leitmotif_film::{parse_str, Format, ParseOptions};
//! let edl = "TITLE: demo\n001  AX  V  C  01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00\n";
//! let list = parse_str(edl, Format::Edl, &ParseOptions::default()).unwrap();
//! assert_eq!(list.events.len(), 1);
//! assert_eq!(list.events[0].record_duration(), 48);
//! ```
//!
//! All times in the model are frame counts at [`CutList::rate`]; helpers
//! give timecode strings and seconds. Errors ([`ParseError`]) carry the file,
//! the 1-based line and column and, for EDLs, the event number.

// Errors carry file, line, column, event and hint for good messages; they are
// built only on the (cold) failure path, so their size is accepted.
#![allow(clippy::result_large_err)]

pub mod autospot;
pub mod cutlist;
mod edl;
pub mod error;
mod fcp;
pub mod lexicon;
mod otio;
pub mod spotting;
pub mod timecode;
pub mod timeline;

use std::path::Path;

pub use autospot::{Lexicon, Scene, auto_spot, merge};
pub use cutlist::{CutList, Event, Format, Marker, Shot, TrackItem, Transition};
pub use error::{Location, MAX_INPUT_BYTES, ParseError};
pub use spotting::{
    CueFromNote, Ending, Hit, ParamPoint, Spot, SpotError, SpottingList, TempoPoint, assign_cues,
    parse_spotting, parse_spotting_at, parse_spotting_str, parse_spotting_str_at,
};
pub use timecode::{FrameRate, Timecode, TimecodeError};
pub use timeline::{PictureHit, PictureLoudness, PictureSpan, TimelinePicture, render_png};

/// Options for the parsers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParseOptions {
    /// Refuse what does not affect the music: EDL source-side problems (source timecodes
    /// that are not timecodes at the list's rate, bare frame counts, source out before
    /// source in) and record/source duration mismatches without an `M2` line. By default
    /// they are warnings (`CutList::warnings`, naming the file, line and event): music
    /// depends on the record side only. Record-side problems are errors either way.
    pub strict: bool,
    /// The rate to read at and to express all frame counts in. EDLs do not
    /// state their rate and default to 24 fps (an `FCM: DROP FRAME` line
    /// switches 29.97/59.94 to drop-frame); OTIO and FCP files default to
    /// the rate stated in the file.
    pub rate: Option<FrameRate>,
}

impl ParseOptions {
    /// Options reading at `rate`.
    pub fn with_rate(rate: FrameRate) -> Self {
        ParseOptions {
            strict: false,
            rate: Some(rate),
        }
    }
}

/// Read and parse a cut list file, detecting its format from the extension
/// (`.edl`, `.otio`, `.xml`, `.fcpxml`) or, failing that, its content.
pub fn parse_cut_list(path: &Path, opts: &ParseOptions) -> Result<CutList, ParseError> {
    let io = |source| ParseError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    check_size(size, Some(path))?;
    let bytes = std::fs::read(path).map_err(io)?;
    parse_bytes(&bytes, None, Some(path), opts)
}

/// Parse cut-list text of a known format.
pub fn parse_str(text: &str, format: Format, opts: &ParseOptions) -> Result<CutList, ParseError> {
    parse_bytes(text.as_bytes(), Some(format), None, opts)
}

/// Parse cut-list bytes. `format` `None` detects it from `path`'s extension
/// or the content; `path` is used for detection and error messages only.
pub fn parse_bytes(
    bytes: &[u8],
    format: Option<Format>,
    path: Option<&Path>,
    opts: &ParseOptions,
) -> Result<CutList, ParseError> {
    check_size(bytes.len() as u64, path)?;
    let format = match format {
        Some(f) => f,
        None => detect_format(path, bytes).ok_or_else(|| ParseError::UnknownFormat {
            at: Location::new(path.map(Path::to_path_buf), 0, 0),
            hint: "name the file .edl, .otio, .xml or .fcpxml".into(),
        })?,
    };
    match format {
        Format::Edl => edl::parse(bytes, path, opts),
        Format::Otio => otio::parse(bytes, path, opts),
        Format::Fcp7Xml | Format::FcpXml => fcp::parse(bytes, path, opts),
    }
}

fn check_size(size: u64, path: Option<&Path>) -> Result<(), ParseError> {
    if size > MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            at: Location::new(path.map(Path::to_path_buf), 0, 0),
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

/// Guess the format from the file extension, then from the content.
pub fn detect_format(path: Option<&Path>, bytes: &[u8]) -> Option<Format> {
    let ext = path
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
    let sniff = || {
        let t = head.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('{') {
            Some(Format::Otio)
        } else if head.contains("<fcpxml") {
            Some(Format::FcpXml)
        } else if head.contains("<xmeml") {
            Some(Format::Fcp7Xml)
        } else if t.starts_with('<') {
            None
        } else {
            Some(Format::Edl)
        }
    };
    match ext.as_deref() {
        Some("edl") => Some(Format::Edl),
        Some("otio") | Some("json") => Some(Format::Otio),
        Some("fcpxml") => Some(Format::FcpXml),
        Some("xml") => {
            if head.contains("<fcpxml") {
                Some(Format::FcpXml)
            } else {
                Some(Format::Fcp7Xml)
            }
        }
        _ => sniff(),
    }
}
