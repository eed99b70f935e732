//! The RON reader: `Spotting(cues: [..], hits: [..], params: [..], tempo: [..])`.

use serde::Deserialize;

use super::entry::{Kind, RawEntry, ValueText, add_entry};
use super::ron_scan;
use super::time::Cx;
use super::{SpotError, SpottingList};

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
    /// May be left out when `note` is given: the cue is then chosen from it.
    #[serde(default)]
    cue: Option<String>,
    at: String,
    #[serde(default)]
    until: Option<String>,
    /// `Button`, `Tail` or `Fade`.
    #[serde(default)]
    end: Option<RonEnding>,
    /// Length of a `Fade` ending.
    #[serde(default)]
    fade: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// How a cue ends at its `until` (see [`super::Ending`]).
#[derive(Deserialize, Clone, Copy)]
enum RonEnding {
    Button,
    Tail,
    Fade,
}

impl RonEnding {
    fn name(self) -> &'static str {
        match self {
            RonEnding::Button => "Button",
            RonEnding::Tail => "Tail",
            RonEnding::Fade => "Fade",
        }
    }
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
    ("Cue", "cue, at, until, end, fade, title, note"),
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

pub(super) fn parse_ron(text: &str, cx: &Cx) -> Result<SpottingList, SpotError> {
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
                column: p.column,
                at: (&c.at, p.field("at")),
                until: c.until.as_deref().map(|u| (u, p.field("until"))),
                end: c.end.map(|e| (e.name(), p.field("end"))),
                name: c.cue.as_deref().map(|n| (n, p.field("cue"))),
                title: c.title.as_deref(),
                note: c.note.as_deref().map(|n| (n, p.field("note"))),
                value: None,
                ramp: c.fade.as_deref().map(|f| (f, p.field("fade"))),
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
                column: p.column,
                at: (&h.at, p.field("at")),
                until: None,
                end: None,
                name: Some((&h.name, p.field("name"))),
                title: None,
                note: None,
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
                column: p.column,
                at: (&q.at, p.field("at")),
                until: None,
                end: None,
                name: Some((&q.param, p.field("param"))),
                title: None,
                note: None,
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
                column: p.column,
                at: (&t.at, p.field("at")),
                until: None,
                end: None,
                name: None,
                title: None,
                note: None,
                value: Some((ValueText::Number(t.bpm), p.field("bpm"))),
                ramp: None,
                importance: None,
            },
            cx,
        )?;
    }
    Ok(list)
}
