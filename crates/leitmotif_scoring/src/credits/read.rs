//! Reading a credits file. `ron` parses it in stages: the file with each entry and field
//! value kept as a [`RawValue`] (a slice of the text), then each value on its own. A value's
//! place in the text is where its slice starts, so every error, `ron`'s own or a check of
//! ours, names the line and column of what it is about.

use std::path::Path;

use leitmotif_film::Location;
use ron::error::{Error as RonError, Position, SpannedError};
use ron::value::RawValue;
use serde::Deserialize;

use super::{CreditsError, CueCredits, CueRef, Override, Party, Usage};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Credits")]
struct File<'a> {
    #[serde(borrow)]
    defaults: &'a RawValue,
    #[serde(borrow, default)]
    cues: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Defaults")]
struct Defaults<'a> {
    #[serde(borrow, default)]
    composers: Option<&'a RawValue>,
    #[serde(borrow, default)]
    publishers: Option<&'a RawValue>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Cue")]
struct Entry<'a> {
    #[serde(borrow, default)]
    cue: Option<&'a RawValue>,
    #[serde(borrow, default)]
    number: Option<&'a RawValue>,
    #[serde(borrow, default)]
    composers: Option<&'a RawValue>,
    #[serde(borrow, default)]
    publishers: Option<&'a RawValue>,
    #[serde(default)]
    usage: Option<Usage>,
}

const FORM: &str = "the file is Credits(defaults: (composers: [(name: \"…\", pro: \"PRS\", share: 100)], publishers: [..], usage: BI), cues: [(cue: \"chase\", usage: VI), (number: 3, composers: [..])])";

/// The text being read, for locating its slices.
struct Doc<'a> {
    text: &'a str,
    path: &'a Path,
}

impl<'a> Doc<'a> {
    /// Line and column (1-based, in characters) of byte `offset`.
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = 1 + before.chars().rev().take_while(|&c| c != '\n').count();
        (line, col)
    }

    /// Byte offset of `part`, a slice of the text, in it.
    fn offset(&self, part: &str) -> usize {
        (part.as_ptr() as usize)
            .checked_sub(self.text.as_ptr() as usize)
            .filter(|&o| o <= self.text.len())
            .unwrap_or(0)
    }

    /// Where the value `raw` (a slice of the text) starts.
    fn at(&self, raw: &RawValue) -> Location {
        let (line, column) = self.position(self.offset(raw.trim().get_ron()));
        Location::new(Some(self.path.to_path_buf()), line, column)
    }

    /// An error at `raw`.
    fn err(&self, raw: &RawValue, message: String, hint: impl Into<String>) -> CreditsError {
        CreditsError {
            at: self.at(raw),
            message,
            hint: hint.into(),
        }
    }

    /// Parses the value `part` (a slice of the text) as `T`; errors are located in the file.
    /// `what` says what the value should be, for the hint.
    fn parse<T: Deserialize<'a>>(&self, part: &'a str, what: &str) -> Result<T, CreditsError> {
        let opts = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        opts.from_str(part)
            .map_err(|e| self.ron_error(part, e, what))
    }

    fn ron_error(&self, part: &str, e: SpannedError, what: &str) -> CreditsError {
        let (line0, col0) = self.position(self.offset(part));
        let Position { line, col } = e.position;
        let (line, column) = if line <= 1 {
            (line0, col0 + col.saturating_sub(1))
        } else {
            (line0 + line - 1, col)
        };
        let at = Location::new(Some(self.path.to_path_buf()), line, column);
        let (message, hint) = match e.code {
            RonError::NoSuchStructField {
                expected,
                found,
                outer,
            } => (
                format!(
                    "unknown field `{found}` in {}",
                    outer.as_deref().unwrap_or("Credits")
                ),
                format!("the fields are {}", expected.join(", ")),
            ),
            RonError::MissingStructField { field, outer } => (
                format!(
                    "{} is missing `{field}`",
                    outer.as_deref().unwrap_or("Credits")
                ),
                format!("add `{field}: …` to the entry ending here; {what}"),
            ),
            RonError::NoSuchEnumVariant {
                expected, found, ..
            } => (
                format!("unknown usage `{found}`"),
                format!("`usage` is one of {}", expected.join(", ")),
            ),
            code => (code.to_string(), what.to_string()),
        };
        CreditsError { at, message, hint }
    }

    /// A list of parties (`role` is "composers" or "publishers"), each checked, their shares
    /// adding up to 100.
    fn parties(&self, raw: &'a RawValue, role: &str) -> Result<Vec<Party>, CreditsError> {
        let what = format!(
            "`{role}` is a list such as [(name: \"Ada Quill\", pro: \"PRS\", ipi: \"00523879412\", share: 100)]"
        );
        let items: Vec<&'a RawValue> = self.parse(raw.get_ron(), &what)?;
        let mut out = Vec::new();
        for item in items {
            let p: Party = self.parse(item.get_ron(), &what)?;
            let who = format!("{} \"{}\"", &role[..role.len() - 1], p.name);
            if p.name.trim().is_empty() {
                return Err(self.err(
                    item,
                    format!("a {} without a name", &role[..role.len() - 1]),
                    "give `name` as registered with the PRO",
                ));
            }
            if p.pro.trim().is_empty() {
                return Err(self.err(
                    item,
                    format!("{who} has an empty `pro`"),
                    "`pro` names the performing-rights organisation, e.g. \"PRS\", \"ASCAP\", \"BMI\", \"SACEM\", \"GEMA\"",
                ));
            }
            if let Some(ipi) = &p.ipi
                && (!(9..=11).contains(&ipi.len()) || !ipi.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(self.err(
                    item,
                    format!("{who} has `ipi` \"{ipi}\", which is not an IPI name number"),
                    "`ipi` is 9 to 11 digits as the PRO gives it (e.g. \"00523879412\"); leave it out when unknown",
                ));
            }
            if !(p.share > 0.0 && p.share <= 100.0) {
                return Err(self.err(
                    item,
                    format!("{who} has `share` {}", p.share),
                    "`share` is the percent of the role, more than 0 and at most 100",
                ));
            }
            out.push(p);
        }
        if role == "composers" && out.is_empty() {
            return Err(self.err(
                raw,
                "no composers".into(),
                "a cue needs at least one composer in `composers`",
            ));
        }
        let sum: f64 = out.iter().map(|p| p.share).sum();
        if !out.is_empty() && (sum - 100.0).abs() > 0.01 {
            return Err(self.err(
                raw,
                format!("the {role}' shares add up to {}, not 100", round2(sum)),
                format!("each role's `share`s add up to 100, e.g. two {role} at 50 each"),
            ));
        }
        Ok(out)
    }
}

/// `x` to two decimals, without trailing zeros.
fn round2(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads a credits file.
pub(super) fn parse(text: &str, path: &Path) -> Result<super::Credits, CreditsError> {
    let doc = Doc { text, path };
    let file: File = doc.parse(text, FORM)?;
    let d: Defaults = doc.parse(file.defaults.get_ron(), FORM)?;
    let Some(composers) = d.composers else {
        return Err(doc.err(
            file.defaults,
            "`defaults` has no `composers`".into(),
            "add `composers: [(name: \"…\", pro: \"…\", share: 100)]` to `defaults`",
        ));
    };
    let defaults = CueCredits {
        composers: doc.parties(composers, "composers")?,
        publishers: match d.publishers {
            Some(p) => doc.parties(p, "publishers")?,
            None => Vec::new(),
        },
        usage: d.usage.unwrap_or_default(),
    };
    let mut overrides: Vec<Override> = Vec::new();
    for raw in file.cues {
        let e: Entry = doc.parse(raw.get_ron(), FORM)?;
        let (target, at) = match (e.cue, e.number) {
            (Some(c), None) => {
                let name: String =
                    doc.parse(c.get_ron(), "`cue` is a cue name in quotes, e.g. \"chase\"")?;
                (CueRef::Name(name), doc.at(c))
            }
            (None, Some(n)) => {
                let k: u32 = doc.parse(
                    n.get_ron(),
                    "`number` is the cue's number on the sheet, e.g. 3 for M03",
                )?;
                if k == 0 {
                    return Err(doc.err(n, "cue number 0".into(), "`number` counts from 1 (M01)"));
                }
                (CueRef::Number(k), doc.at(n))
            }
            (Some(_), Some(n)) => {
                return Err(doc.err(
                    n,
                    "an entry with both `cue` and `number`".into(),
                    "give one: `cue: \"chase\"` or `number: 3`",
                ));
            }
            (None, None) => {
                return Err(doc.err(
                    raw,
                    "an entry with neither `cue` nor `number`".into(),
                    "say which cue it is for: `cue: \"chase\"` or `number: 3`",
                ));
            }
        };
        if let Some(o) = overrides.iter().find(|o| o.target == target) {
            return Err(CreditsError {
                at,
                message: "a second entry for the same cue".into(),
                hint: format!("merge it into the entry at line {}", o.at.line),
            });
        }
        if e.composers.is_none() && e.publishers.is_none() && e.usage.is_none() {
            return Err(doc.err(
                raw,
                "an entry that changes nothing".into(),
                "give it `composers`, `publishers` or `usage`",
            ));
        }
        overrides.push(Override {
            target,
            at,
            composers: e
                .composers
                .map(|c| doc.parties(c, "composers"))
                .transpose()?,
            publishers: e
                .publishers
                .map(|p| doc.parties(p, "publishers"))
                .transpose()?,
            usage: e.usage,
        });
    }
    Ok(super::Credits {
        path: path.to_path_buf(),
        defaults,
        overrides,
    })
}
