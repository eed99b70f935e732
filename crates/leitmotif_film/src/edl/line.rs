//! Parsing one CMX 3600 event line.

use crate::cutlist::Transition;
use crate::error::ParseError;
use crate::timecode::{FrameRate, Timecode};

use super::Ctx;

/// The fields of one event line.
pub(super) struct RawEvent {
    pub number: u32,
    pub number_text: String,
    pub reel: String,
    pub track: String,
    pub kind: Transition,
    /// source in, source out, record in, record out.
    pub tc: [i64; 4],
    /// Problems of the line that do not affect the music (the source side), as warnings.
    pub warnings: Vec<String>,
}

const EXPECTED: &str = "`NNN REEL CHANNEL TRANSITION [DURATION] SRC-IN SRC-OUT REC-IN REC-OUT`";
const FIELDS: [&str; 4] = ["source-in", "source-out", "record-in", "record-out"];

/// Whitespace-separated tokens with their 1-based character columns and byte spans.
fn tokens(line: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (col, (byte, ch)) in line.char_indices().enumerate() {
        if ch.is_whitespace() {
            if let Some((c, b)) = start.take() {
                out.push((c, b, &line[b..byte]));
            }
        } else if start.is_none() {
            start = Some((col + 1, byte));
        }
    }
    if let Some((c, b)) = start {
        out.push((c, b, &line[b..]));
    }
    out
}

fn is_transition_code(t: &str) -> bool {
    let u = t.to_ascii_uppercase();
    matches!(u.as_str(), "C" | "D" | "K" | "KB" | "KO")
        || (u.len() > 1 && u.starts_with('W') && u[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// Parse an event line. The last four fields are the timecodes; the
/// transition (and its duration) and the channel are read from the right, so
/// reels of any length (even with spaces) and any column widths work.
pub(super) fn parse_event_line(
    line: &str,
    lineno: usize,
    ctx: &Ctx,
    rate: FrameRate,
    strict: bool,
) -> Result<RawEvent, ParseError> {
    let toks = tokens(line);
    let first = toks.first().map_or("", |t| t.2);
    let event = Some(first.to_string());
    if !first.bytes().all(|b| b.is_ascii_digit()) || first.len() > 9 {
        return Err(ParseError::Malformed {
            at: ctx.at(lineno, 1),
            event: None,
            found: format!("event number {first:?}"),
            expected: "a 3-6 digit event number".into(),
            hint: "event lines start with digits only".into(),
        });
    }
    let number: u32 = first.parse().unwrap_or(0);
    if toks.len() < 8 {
        return Err(ParseError::Malformed {
            at: ctx.at(lineno, line.chars().count().max(1)),
            event,
            found: format!("truncated event line with {} fields", toks.len()),
            expected: EXPECTED.into(),
            hint: "the line may have been cut short or wrapped".into(),
        });
    }
    let n = toks.len();
    let mut tc = [0i64; 4];
    let mut warnings = Vec::new();
    let mut source_ok = true;
    for (k, &(col, _, text)) in toks[n - 4..].iter().enumerate() {
        let parsed = Timecode::parse(text, rate).map_err(|reason| ParseError::BadTimecode {
            at: ctx.at(lineno, col),
            event: event.clone(),
            field: FIELDS[k].into(),
            text: text.to_string(),
            hint: timecode_hint(&reason, rate),
            reason,
        });
        match parsed {
            Ok(t) => tc[k] = t.to_frames(rate) as i64,
            // The source side does not affect the music: a warning, unless strict.
            Err(e) if k < 2 && !strict => {
                if text.bytes().all(|b| b.is_ascii_digit()) && text.len() <= 9 {
                    tc[k] = text.parse().unwrap_or(0);
                    warnings.push(format!(
                        "{}: event {first}: {} {text:?} is a bare frame count, not a timecode: read as frame {} (the source side does not affect the music; --strict refuses it)",
                        ctx.at(lineno, col),
                        FIELDS[k],
                        tc[k]
                    ));
                } else {
                    source_ok = false;
                    warnings.push(format!(
                        "{e}; the source side is ignored (it does not affect the music; --strict refuses it)"
                    ));
                }
            }
            Err(e) => return Err(e),
        }
    }
    if !source_ok {
        // Zero-length source: the record duration is used (see `finish`).
        tc[0] = 0;
        tc[1] = 0;
    }
    // Transition code, optionally followed by a duration; or a duration with no code (some
    // systems leave the transition field empty on cuts: `V      008 …`), read as a cut.
    let t5 = toks[n - 5].2;
    let digits = t5.bytes().all(|b| b.is_ascii_digit());
    let (trans_idx, dur, no_code) = if digits && n >= 9 && is_transition_code(toks[n - 6].2) {
        (n - 6, Some((toks[n - 5].0, t5)), false)
    } else if digits && n >= 8 && !is_transition_code(toks[n - 6].2) {
        (n - 5, None, true)
    } else {
        (n - 5, None, false)
    };
    if no_code {
        warnings.push(format!(
            "{}: event {first}: no transition code before the duration {t5:?}: read as a cut",
            ctx.at(lineno, toks[n - 5].0)
        ));
    }
    let (tcol, _, tcode) = toks[trans_idx];
    if !no_code && !is_transition_code(tcode) {
        return Err(ParseError::Malformed {
            at: ctx.at(lineno, tcol),
            event,
            found: format!("transition code {tcode:?}"),
            expected: "C, D, Wnnn, K, KB or KO".into(),
            hint: "check the column layout of this line".into(),
        });
    }
    if trans_idx < 3 {
        return Err(ParseError::Malformed {
            at: ctx.at(lineno, tcol),
            event,
            found: "event line without reel or channel".into(),
            expected: EXPECTED.into(),
            hint: "the reel or channel column is missing".into(),
        });
    }
    let frames: u32 = match dur {
        Some((_, d)) => d.parse().unwrap_or(u32::MAX),
        None => 0,
    };
    let code = if no_code {
        "C".to_string()
    } else {
        tcode.to_ascii_uppercase()
    };
    let kind = match code.as_str() {
        "C" => Transition::Cut,
        "D" => Transition::Dissolve { frames },
        c if c.starts_with('K') => Transition::Key {
            code: code.clone(),
            frames,
        },
        _ => Transition::Wipe {
            code: code.clone(),
            frames,
        },
    };
    if matches!(kind, Transition::Dissolve { .. } | Transition::Wipe { .. }) && dur.is_none() {
        return Err(ParseError::Malformed {
            at: ctx.at(lineno, tcol),
            event,
            found: format!("transition {code} without a duration"),
            expected: "a frame count after D or Wnnn, e.g. `D    030`".into(),
            hint: "dissolves and wipes need their length in frames".into(),
        });
    }
    let channel = toks[trans_idx - 1];
    let reel_start = toks[1].1;
    let reel_end = toks[trans_idx - 2].1 + toks[trans_idx - 2].2.len();
    Ok(RawEvent {
        number,
        number_text: first.to_string(),
        reel: line[reel_start..reel_end].trim().to_string(),
        track: channel.2.to_ascii_uppercase(),
        kind,
        tc,
        warnings,
    })
}

/// A hint for a timecode error.
pub(super) fn timecode_hint(reason: &crate::timecode::TimecodeError, rate: FrameRate) -> String {
    use crate::timecode::TimecodeError as E;
    match reason {
        E::FrameOutOfRange { .. } => format!(
            "the list is being read at {rate} fps; EDLs do not state their rate, so pass the right one (e.g. 25)"
        ),
        E::DropFrameAtNonDropRate { .. } => {
            "';' marks drop-frame, which exists only at 29.97 and 59.94 fps; read the list at 29.97df (e.g. --fps 29.97df)"
                .into()
        }
        E::SkippedDropFrameLabel(_) => {
            "drop-frame counting skips this label; the list may be non-drop".into()
        }
        _ => "timecodes have four two-digit fields, e.g. 01:00:00:00".into(),
    }
}
