//! CMX 3600 edit decision lists.
//!
//! Accepts the common variants: `TITLE:`/`FCM:` anywhere or missing, 3–6
//! digit event numbers, long reels and free column widths, two-line
//! dissolves and wipes, keys, `M2` speed lines, `* LOC:` and `DaVinci` Resolve
//! marker lines, clip-name and source-file remarks with or without `*`,
//! CRLF, LF or CR line ends (mixed too), a UTF-8 BOM, UTF-8 or Latin-1 text, ^Z/NUL padding,
//! `FCM:` lines (or `* FCM:` remarks) before or between events, cuts with an empty transition
//! field. Problems of the source side (timecodes that are not timecodes at the list's rate,
//! bare frame counts, source out before source in, durations that disagree with the record's
//! without `M2`) are warnings naming the line and event; `ParseOptions::strict` refuses them.
//! Record-side problems are always located errors.

mod line;
mod notes;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::ParseOptions;
use crate::cutlist::{CutList, Event, Format, Transition};
use crate::error::{Location, ParseError};
use crate::timecode::FrameRate;

/// Error context: the file being read.
pub(crate) struct Ctx {
    pub path: Option<PathBuf>,
}

impl Ctx {
    pub fn at(&self, line: usize, column: usize) -> Location {
        Location::new(self.path.clone(), line, column)
    }
}

/// Decode bytes as UTF-8, or Latin-1 byte-for-char if not valid UTF-8.
/// Control bytes other than tab, CR, LF, form feed and DOS EOF are refused.
pub(crate) fn decode_text(bytes: &[u8], ctx: &Ctx) -> Result<String, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(pos) = bytes
        .iter()
        .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x0c | 0x1a)) || b == 0x7f)
    {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        let col = pos
            - bytes[..pos]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        return Err(ParseError::Binary {
            at: ctx.at(line, col),
            byte: bytes[pos],
        });
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    })
}

/// Padding old systems write after the last line (to fill a disk block): DOS end-of-file
/// (^Z, 0x1A) and NUL bytes. Returns the bytes without it and how many bytes it was.
fn strip_padding(bytes: &[u8]) -> (&[u8], usize) {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && b != 0x1a)
        .map_or(0, |p| p + 1);
    (&bytes[..end], bytes.len() - end)
}

/// Split into lines on LF, CRLF or lone CR — each is one line break, also when a file mixes
/// them (lists edited on several systems). Returns the lines and whether endings were mixed.
fn split_lines(text: &str) -> (Vec<&str>, bool) {
    let mut lines = Vec::new();
    let (mut start, mut kinds) = (0, [false; 3]);
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let (len, kind) = match (b[i], b.get(i + 1)) {
            (b'\r', Some(b'\n')) => (2, 0),
            (b'\r', _) => (1, 1),
            (b'\n', _) => (1, 2),
            _ => {
                i += 1;
                continue;
            }
        };
        kinds[kind] = true;
        lines.push(&text[start..i]);
        i += len;
        start = i;
    }
    lines.push(&text[start..]);
    (lines, kinds.iter().filter(|&&k| k).count() > 1)
}

/// The text after `FCM:` of a frame-code-mode line (also written as a remark, `* FCM: …`),
/// given the line in upper case.
fn fcm_line(upper: &str) -> Option<&str> {
    upper
        .trim_start_matches(|c: char| c == '*' || c.is_whitespace())
        .strip_prefix("FCM:")
}

/// The list's rate switched to the drop-frame counting an `FCM:` line names (where the rate
/// has one).
fn fcm_rate(fcm: &str, rate: FrameRate) -> FrameRate {
    let drop = !fcm.contains("NON") && fcm.contains("DROP");
    rate.with_drop_frame(drop).unwrap_or(rate)
}

/// The rate in force: the option (default 24) adjusted by the first `FCM:` line.
fn effective_rate(lines: &[&str], opts: &ParseOptions, warnings: &mut Vec<String>) -> FrameRate {
    let base = opts.rate.unwrap_or(FrameRate::FPS_24);
    let Some(fcm) = lines
        .iter()
        .map(|l| l.trim().to_ascii_uppercase())
        .find_map(|l| fcm_line(&l).map(|f| format!("FCM:{f}")))
    else {
        return base;
    };
    let drop = !fcm.contains("NON") && fcm.contains("DROP");
    if drop && !base.is_drop_frame() {
        if let Ok(r) = base.with_drop_frame(true) {
            return r;
        }
        if opts.rate.is_none() {
            warnings.push("FCM: DROP FRAME and no rate given: reading at 29.97 drop-frame".into());
            return FrameRate::FPS_29_97_DF;
        }
        warnings.push(format!(
            "FCM: DROP FRAME ignored: drop-frame is not defined at {base} fps"
        ));
    } else if !drop && base.is_drop_frame() && fcm.contains("NON") {
        warnings.push(format!(
            "FCM: NON-DROP FRAME: reading at {base} as non-drop"
        ));
        return base.with_drop_frame(false).unwrap_or(base);
    }
    base
}

/// Per-event clip names gathered from remarks.
#[derive(Default, Clone)]
struct Names {
    from: Option<String>,
    to: Option<String>,
}

/// Parse a CMX 3600 EDL.
pub(crate) fn parse(
    bytes: &[u8],
    path: Option<&Path>,
    opts: &ParseOptions,
) -> Result<CutList, ParseError> {
    let ctx = Ctx {
        path: path.map(Path::to_path_buf),
    };
    let (bytes, padding) = strip_padding(bytes);
    let text = decode_text(bytes, &ctx)?;
    let (lines, mixed) = split_lines(&text);
    let mut warnings = Vec::new();
    if padding > 0 {
        warnings.push(format!(
            "{padding} bytes of padding (^Z/NUL) after the last line ignored"
        ));
    }
    if mixed {
        warnings.push("mixed line endings (CR, LF, CRLF): each read as one line break".into());
    }
    let rate = effective_rate(&lines, opts, &mut warnings);
    let mut list = CutList::new(Format::Edl, rate);
    list.warnings = warnings;
    // The rate events are read at: an `FCM:` line between events switches drop-frame
    // counting for the events after it (the frames they name stay on one timeline).
    let mut now = rate;
    let mut names: Vec<Names> = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let lineno = i + 1;
        let l = raw.trim_end();
        let t = l.trim_start();
        if t.is_empty() {
            continue;
        }
        let upper = t.to_ascii_uppercase();
        if upper.starts_with("TITLE:") {
            if list.title.is_none() {
                list.title = Some(t[6..].trim().to_string());
            }
        } else if let Some(fcm) = fcm_line(&upper) {
            let r = fcm_rate(fcm, rate);
            if r != now {
                list.warnings.push(format!(
                    "{}: the FCM changes to {}: the events after it are read at {r}",
                    ctx.at(lineno, 1),
                    if r.is_drop_frame() {
                        "DROP FRAME"
                    } else {
                        "NON-DROP FRAME"
                    },
                ));
                now = r;
            }
        } else if t.as_bytes()[0].is_ascii_digit() {
            let mut ev = line::parse_event_line(l, lineno, &ctx, now, opts.strict)?;
            list.warnings.append(&mut ev.warnings);
            push_event(&mut list, &mut names, ev, lineno);
        } else {
            notes::parse_note(t, &upper, lineno, &ctx, &mut list, &mut names)?;
        }
    }
    finish(&mut list, &names, &ctx, opts)?;
    Ok(list)
}

fn push_event(list: &mut CutList, names: &mut Vec<Names>, ev: line::RawEvent, lineno: usize) {
    let [source_in, source_out, record_in, record_out] = ev.tc;
    if ev.kind != Transition::Cut
        && let Some(prev) = list.events.last_mut()
    {
        {
            let zero = prev.record_in == prev.record_out && prev.source_in == prev.source_out;
            if prev.number == ev.number && prev.kind == Transition::Cut && zero {
                // The "from" half of a two-line transition.
                prev.from_reel = Some(std::mem::take(&mut prev.reel));
                prev.reel = ev.reel;
                prev.track = ev.track;
                prev.kind = ev.kind;
                prev.source_in = source_in;
                prev.source_out = source_out;
                prev.record_in = record_in;
                prev.record_out = record_out;
                return;
            }
        }
    }
    list.events.push(Event {
        number: ev.number,
        number_text: ev.number_text,
        reel: ev.reel,
        track: ev.track,
        kind: ev.kind,
        source_in,
        source_out,
        record_in,
        record_out,
        clip_name: None,
        from_clip_name: None,
        from_reel: None,
        source_file: None,
        comments: Vec::new(),
        speed: None,
        m2_fps: None,
        extra_audio: Vec::new(),
        line: lineno,
    });
    names.push(Names::default());
}

/// Generated black (`BL`, `BLK`, `BLACK`): source timecode is meaningless.
fn is_black(reel: &str) -> bool {
    matches!(reel.to_ascii_uppercase().as_str(), "BL" | "BLK" | "BLACK")
}

/// Resolve clip names, check durations, sort markers.
fn finish(
    list: &mut CutList,
    names: &[Names],
    ctx: &Ctx,
    opts: &ParseOptions,
) -> Result<(), ParseError> {
    let rate = list.rate;
    let mut untimed = 0usize;
    for (e, n) in list.events.iter_mut().zip(names) {
        if e.kind == Transition::Cut {
            e.clip_name = n.from.clone().or_else(|| n.to.clone());
        } else {
            e.from_clip_name = n.from.clone();
            e.clip_name = n.to.clone().or_else(|| n.from.clone());
        }
        for (field, a, b) in [
            ("source", e.source_in, e.source_out),
            ("record", e.record_in, e.record_out),
        ] {
            if b < a {
                let err = ParseError::InvertedRange {
                    at: ctx.at(e.line, 1),
                    event: e.number_text.clone(),
                    field: field.into(),
                    in_tc: crate::timecode::format_frames(a, rate),
                    out_tc: crate::timecode::format_frames(b, rate),
                };
                if field == "record" || opts.strict {
                    return Err(err);
                }
                // Placeholder source values: the record side is what the music follows.
                list.warnings.push(format!(
                    "{err}; the source side is ignored (it does not affect the music; --strict refuses it)"
                ));
                e.source_in = 0;
                e.source_out = 0;
            }
        }
        if e.speed.is_some() || e.record_duration() == e.source_duration() {
            continue;
        }
        if is_black(&e.reel) {
            continue;
        }
        if e.source_duration() == 0 {
            untimed += 1;
            continue;
        }
        let err = ParseError::DurationMismatch {
            at: ctx.at(e.line, 1),
            event: e.number_text.clone(),
            record_frames: e.record_duration(),
            source_frames: e.source_duration(),
        };
        if opts.strict {
            return Err(err);
        }
        list.warnings.push(err.to_string());
    }
    if untimed > 0 {
        list.warnings.push(format!(
            "{untimed} event(s) have zero-length source ranges (source timecode not tracked); record durations used"
        ));
    }
    list.markers.sort_by_key(|m| m.frame);
    Ok(())
}
