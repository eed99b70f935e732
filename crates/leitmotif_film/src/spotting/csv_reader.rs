//! The CSV reader: a `kind,at,until,name,value,ramp,importance` header, then
//! one row per entry.

use super::entry::{Kind, RawEntry, ValueText, add_entry};
use super::time::{Cx, Pos};
use super::{SpotError, SpottingList};

const CSV_COLUMNS: &[&str] = &[
    "kind",
    "at",
    "until",
    "name",
    "value",
    "ramp",
    "importance",
    "title",
    "note",
    "end",
];

/// Which columns each kind may fill.
fn csv_allowed(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Cue => &[
            "kind", "at", "until", "name", "title", "note", "end", "ramp",
        ],
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

pub(super) fn parse_csv(text: &str, cx: &Cx) -> Result<SpottingList, SpotError> {
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
                column: cols.iter().position(|c| *c == "name").map_or(1, |i| i + 1),
                at,
                until: get("until"),
                end: get("end"),
                name: get("name"),
                title: get("title").map(|t| t.0),
                note: get("note"),
                value: get("value").map(|(v, c)| (ValueText::Text(v), c)),
                ramp: get("ramp"),
                importance: get("importance").map(|(v, c)| (ValueText::Text(v), c)),
            },
            cx,
        )?;
    }
    Ok(list)
}
