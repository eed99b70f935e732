//! Non-event EDL lines: remarks, clip names, markers, `M2`, `AUD`.

use crate::cutlist::{CutList, Marker};
use crate::error::ParseError;
use crate::timecode::Timecode;

use super::line::timecode_hint;
use super::{Ctx, Names};

const COLOURS: [&str; 12] = [
    "RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "BLACK", "WHITE", "PINK", "ORANGE",
    "PURPLE", "CREAM",
];

/// Strip a case-insensitive prefix.
fn after<'a>(t: &'a str, upper: &str, prefix: &str) -> Option<&'a str> {
    upper.starts_with(prefix).then(|| t[prefix.len()..].trim())
}

/// Handle one non-event, non-header line.
pub(super) fn parse_note(
    t: &str,
    upper: &str,
    lineno: usize,
    ctx: &Ctx,
    list: &mut CutList,
    names: &mut [Names],
) -> Result<(), ParseError> {
    let (body, body_upper) = match t.strip_prefix('*') {
        Some(b) => {
            let b = b.trim_start();
            (b, b.to_ascii_uppercase())
        }
        None => (t, upper.to_string()),
    };
    let current = list.events.len().checked_sub(1);
    let event_no = current.map(|i| list.events[i].number_text.clone());
    if let Some(v) = after(body, &body_upper, "FROM CLIP NAME:") {
        if let Some(n) = current.map(|i| &mut names[i]) {
            n.from = Some(v.to_string());
        }
    } else if let Some(v) = after(body, &body_upper, "TO CLIP NAME:") {
        if let Some(n) = current.map(|i| &mut names[i]) {
            n.to = Some(v.to_string());
        }
    } else if let Some(v) = after(body, &body_upper, "SOURCE FILE:") {
        if let Some(i) = current {
            list.events[i].source_file = Some(v.to_string());
        }
    } else if let Some(v) = after(body, &body_upper, "LOC:") {
        let mut parts = v.splitn(2, char::is_whitespace);
        let tc_text = parts.next().unwrap_or("");
        let rest = parts.next().unwrap_or("").trim();
        let col = t.find(tc_text).map_or(1, |b| t[..b].chars().count() + 1);
        let rate = list.rate;
        let frame = Timecode::parse(tc_text, rate)
            .map_err(|reason| ParseError::BadTimecode {
                at: ctx.at(lineno, col),
                event: event_no.clone(),
                field: "LOC".into(),
                text: tc_text.to_string(),
                hint: timecode_hint(&reason, rate),
                reason,
            })?
            .to_frames(rate) as i64;
        let (colour, name) = match rest.split_once(char::is_whitespace) {
            Some((c, n)) if COLOURS.contains(&c.to_ascii_uppercase().as_str()) => {
                (Some(c.to_ascii_uppercase()), n.trim())
            }
            _ if COLOURS.contains(&rest.to_ascii_uppercase().as_str()) => {
                (Some(rest.to_ascii_uppercase()), "")
            }
            _ => (None, rest),
        };
        let mut m = Marker::new(frame, rate, name);
        m.colour = colour;
        m.event = current.map(|i| list.events[i].number);
        m.line = lineno;
        list.markers.push(m);
    } else if t.starts_with('|') || body.contains("|M:") || body.contains("|C:") {
        resolve_marker(t, lineno, list, current);
    } else if upper.starts_with("M2 ") || upper.starts_with("M2\t") {
        speed_line(t, lineno, ctx, list, current, event_no)?;
    } else if upper.starts_with("AUD") {
        if let Some(i) = current {
            let chans = t[3..]
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok());
            list.events[i].extra_audio.extend(chans);
        }
    } else if let Some(i) = current {
        list.events[i].comments.push(body.to_string());
    } else {
        list.warnings
            .push(format!("line {lineno}: remark before the first event: {t}"));
    }
    Ok(())
}

/// ` |C:ResolveColorBlue |M:name |D:1` — a `DaVinci` Resolve marker on the current event.
fn resolve_marker(t: &str, lineno: usize, list: &mut CutList, current: Option<usize>) {
    let Some(i) = current else {
        list.warnings.push(format!(
            "line {lineno}: Resolve marker before the first event ignored"
        ));
        return;
    };
    let mut m = Marker::new(list.events[i].record_in, list.rate, "");
    for field in t.split('|').map(str::trim) {
        if let Some(c) = field.strip_prefix("C:") {
            let c = c.trim();
            let c = c.strip_prefix("ResolveColor").unwrap_or(c);
            m.colour = (!c.is_empty()).then(|| c.to_ascii_uppercase());
        } else if let Some(n) = field.strip_prefix("M:") {
            m.name = n.trim().to_string();
        } else if let Some(d) = field.strip_prefix("D:") {
            m.duration_frames = d.trim().parse().unwrap_or(0);
        } else if !field.is_empty() {
            m.comment = Some(field.to_string());
        }
    }
    m.event = Some(list.events[i].number);
    m.line = lineno;
    list.markers.push(m);
}

/// `M2   REEL       047.6                01:00:06:00`
fn speed_line(
    t: &str,
    lineno: usize,
    ctx: &Ctx,
    list: &mut CutList,
    current: Option<usize>,
    event_no: Option<String>,
) -> Result<(), ParseError> {
    let toks: Vec<&str> = t.split_whitespace().collect();
    let malformed = |found: String| ParseError::Malformed {
        at: ctx.at(lineno, 1),
        event: event_no.clone(),
        found,
        expected: "`M2   REEL   FPS   SOURCE-TC`".into(),
        hint: "M2 lines give the playback rate in frames per second, e.g. 047.6 or -25.0".into(),
    };
    if toks.len() < 4 {
        return Err(malformed(format!(
            "truncated M2 line with {} fields",
            toks.len()
        )));
    }
    let speed_text = toks[toks.len() - 2];
    let fps: f64 = speed_text
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite())
        .ok_or_else(|| malformed(format!("M2 speed {speed_text:?}")))?;
    let tc_text = toks[toks.len() - 1];
    let rate = list.rate;
    Timecode::parse(tc_text, rate).map_err(|reason| ParseError::BadTimecode {
        at: ctx.at(
            lineno,
            t.rfind(tc_text).map_or(1, |b| t[..b].chars().count() + 1),
        ),
        event: event_no.clone(),
        field: "M2 source".into(),
        text: tc_text.to_string(),
        hint: timecode_hint(&reason, rate),
        reason,
    })?;
    let Some(cur) = current else {
        list.warnings.push(format!(
            "line {lineno}: M2 line before the first event ignored"
        ));
        return Ok(());
    };
    // Prefer the event of this number whose reel matches.
    let reel = toks[1..toks.len() - 2].join(" ");
    let number = list.events[cur].number;
    let idx = (0..=cur)
        .rev()
        .take_while(|&i| list.events[i].number == number)
        .find(|&i| list.events[i].reel == reel)
        .unwrap_or(cur);
    let e = &mut list.events[idx];
    e.m2_fps = Some(fps);
    e.speed = Some(fps / rate.fps());
    Ok(())
}
