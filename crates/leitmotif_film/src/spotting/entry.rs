//! One entry as read from either format ([`RawEntry`]) and its validation
//! into the [`SpottingList`].

use std::fmt;

use super::SpotError;
use super::model::{Ending, Hit, ParamPoint, Spot, SpottingList, TempoPoint};
use super::time::{Cx, Pos};

/// One entry as read from either format, before validation.
pub(super) struct RawEntry<'a> {
    pub(super) kind: Kind,
    pub(super) line: usize,
    /// Where a cue entry's missing cue belongs (RON: the entry's opening
    /// bracket; CSV: the `name` column), for the message when it has neither
    /// a cue nor a note.
    pub(super) column: usize,
    pub(super) at: (&'a str, Pos),
    pub(super) until: Option<(&'a str, Pos)>,
    /// A cue's ending at its `until` (`Button`, `Tail`, `Fade`).
    pub(super) end: Option<(&'a str, Pos)>,
    pub(super) name: Option<(&'a str, Pos)>,
    pub(super) title: Option<&'a str>,
    pub(super) note: Option<(&'a str, Pos)>,
    pub(super) value: Option<(ValueText<'a>, Pos)>,
    /// A parameter's ramp; a cue's `fade` (the length of a `Fade` ending).
    pub(super) ramp: Option<(&'a str, Pos)>,
    pub(super) importance: Option<(ValueText<'a>, Pos)>,
}

#[derive(Clone, Copy)]
pub(super) enum ValueText<'a> {
    Text(&'a str),
    Number(f64),
}

impl fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueText::Text(t) => write!(f, "{t}"),
            ValueText::Number(n) => write!(f, "{n}"),
        }
    }
}

impl ValueText<'_> {
    fn number(&self) -> Option<f64> {
        match self {
            ValueText::Text(t) => t.trim().parse().ok(),
            ValueText::Number(n) => Some(*n),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Cue,
    Hit,
    Param,
    Tempo,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Cue => "cue",
            Kind::Hit => "hit",
            Kind::Param => "param",
            Kind::Tempo => "tempo",
        }
    }
}

pub(super) fn add_entry(
    list: &mut SpottingList,
    e: RawEntry<'_>,
    cx: &Cx,
) -> Result<(), SpotError> {
    let line = e.line;
    let kind = e.kind.name();
    let at = cx.time(e.at.0, "at", e.at.1)?;
    let name = |what: &str, expected: &str| -> Result<String, SpotError> {
        match e.name {
            Some((n, _)) if !n.trim().is_empty() => Ok(n.trim().to_string()),
            _ => Err(SpotError::MissingField {
                at: cx.at(line, 0),
                entry: kind.into(),
                field: what.into(),
                expected: expected.into(),
                hint: format!("give the {kind} a {what}"),
            }),
        }
    };
    let number = |field: &str,
                  v: Option<(ValueText<'_>, Pos)>,
                  expected: &str,
                  ok: &dyn Fn(f64) -> bool|
     -> Result<Option<f64>, SpotError> {
        let Some((v, pos)) = v else { return Ok(None) };
        match v.number() {
            Some(n) if n.is_finite() && ok(n) => Ok(Some(n)),
            _ => Err(SpotError::BadValue {
                at: cx.at(pos.0, pos.1),
                field: field.into(),
                text: v.to_string(),
                expected: expected.into(),
                hint: format!("write the {field} as a plain decimal number"),
            }),
        }
    };
    match e.kind {
        Kind::Cue => {
            let note = e
                .note
                .map(|(n, pos)| (n.trim(), pos))
                .filter(|(n, _)| !n.is_empty());
            let cue = match (e.name, note) {
                (Some((n, _)), _) if !n.trim().is_empty() => n.trim().to_string(),
                // Chosen from the note's mood by `assign_cues`.
                (_, Some(_)) => String::new(),
                _ => {
                    let (field, hint) = if cx.csv {
                        (
                            "name",
                            "fill in the `name` column with a cue, or the `note` column",
                        )
                    } else {
                        ("cue", "give `cue: \"name\"` or a `note`")
                    };
                    return Err(SpotError::MissingField {
                        at: cx.at(line, e.column),
                        entry: kind.into(),
                        field: field.into(),
                        expected:
                            "the name of a score cue, or a spotting note to choose one by its mood"
                                .into(),
                        hint: hint.into(),
                    });
                }
            };
            let end = match e.until {
                Some((u, pos)) => {
                    let end = cx.time(u, "until", pos)?;
                    if end <= at {
                        return Err(SpotError::EndBeforeStart {
                            at: cx.at(pos.0, pos.1),
                            cue: if cue.is_empty() {
                                "(to be chosen from its note)".into()
                            } else {
                                cue
                            },
                            start: e.at.0.trim().into(),
                            end: u.trim().into(),
                        });
                    }
                    Some(end)
                }
                None => None,
            };
            let ending = match e.end.filter(|(t, _)| !t.trim().is_empty()) {
                None => Ending::default(),
                Some((t, pos)) => {
                    let bad = |expected: &str, hint: &str| SpotError::BadValue {
                        at: cx.at(pos.0, pos.1),
                        field: "end".into(),
                        text: t.trim().into(),
                        expected: expected.into(),
                        hint: hint.into(),
                    };
                    if end.is_none() {
                        return Err(bad(
                            "an ending for a cue with an out-point",
                            "give the cue an `until` out-point, or remove `end`",
                        ));
                    }
                    Ending::parse(t).ok_or_else(|| {
                        bad(
                            "Button, Tail or Fade",
                            "write `end` as Button, Tail or Fade",
                        )
                    })?
                }
            };
            let fade_frames = match e.ramp {
                Some((r, pos)) if !r.trim().is_empty() => cx.length(r, pos)?,
                _ => (2.0 * cx.rate.fps()).round() as i64,
            };
            list.cues.push(Spot {
                cue,
                start: at,
                end,
                ending,
                fade_frames,
                title: e
                    .title
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
                note: note.map(|(n, _)| n.to_string()),
                note_at: note.map_or((0, 0), |(_, pos)| pos),
                line,
            });
        }
        Kind::Hit => {
            let name = name("name", "a name for the hit, e.g. \"door slam\"")?;
            let importance = number("importance", e.importance, "a number from 0 to 1", &|n| {
                (0.0..=1.0).contains(&n)
            })?
            .unwrap_or(1.0);
            list.hits.push(Hit {
                at,
                importance: importance as f32,
                name,
                line,
            });
        }
        Kind::Param => {
            let param = name("name", "the name of a score parameter")?;
            let Some(value) = number("value", e.value, "a number", &|_| true)? else {
                return Err(SpotError::MissingField {
                    at: cx.at(line, 0),
                    entry: kind.into(),
                    field: "value".into(),
                    expected: "the value the parameter moves to".into(),
                    hint: "add a value, e.g. 0.8".into(),
                });
            };
            let ramp_frames = match e.ramp {
                Some((r, pos)) if !r.trim().is_empty() => cx.length(r, pos)?,
                _ => 0,
            };
            list.params.push(ParamPoint {
                at,
                param,
                value: value as f32,
                ramp_frames,
                line,
            });
        }
        Kind::Tempo => {
            let Some(bpm) = number("bpm", e.value, "a tempo above 0 and up to 1000 bpm", &|n| {
                n > 0.0 && n <= 1000.0
            })?
            else {
                return Err(SpotError::MissingField {
                    at: cx.at(line, 0),
                    entry: kind.into(),
                    field: "value".into(),
                    expected: "the tempo in bpm".into(),
                    hint: "put the bpm in the value column, e.g. 120".into(),
                });
            };
            list.tempo.push(TempoPoint { at, bpm, line });
        }
    }
    Ok(())
}
