//! Credits for the cue sheet: who wrote and who publishes each cue, with their
//! performing-rights organisations (PROs), IPI numbers and shares, and how each cue is used in
//! the film. Read from a RON file (`leitmotif render --credits FILE`):
//!
//! ```ron
//! Credits(
//!     // Every cue, unless an entry of `cues` says otherwise.
//!     defaults: (
//!         composers: [(name: "Ada Quill", pro: "PRS", ipi: "00523879412", share: 100)],
//!         publishers: [(name: "Night Train Music", pro: "PRS", share: 100)],
//!         usage: BI,
//!     ),
//!     cues: [
//!         // By the cue's name (every cue of that name) or its number on the sheet (M03).
//!         (cue: "chase", usage: VI),
//!         (number: 4, composers: [
//!             (name: "Ada Quill", pro: "PRS", share: 50),
//!             (name: "Ben Ode", pro: "ASCAP", share: 50),
//!         ]),
//!     ],
//! )
//! ```
//!
//! An entry's `composers`, `publishers` or `usage` replaces the default's; an entry by number
//! wins over one by name. The shares of each list add up to 100 (±0.01); `publishers` may be
//! empty. Usage codes: BI, BV, VI, VV (background or visual, instrumental or vocal), MT (main
//! title), ET (end title). Every mistake is an error naming the file, line and column.

mod read;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use leitmotif_core::Score;
use leitmotif_film::Location;
use leitmotif_film::spotting::SpottingList;
use serde::Deserialize;

use crate::ScoringError;

/// How a cue is used in the film, as performing-rights organisations code it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Usage {
    /// Background instrumental.
    #[default]
    BI,
    /// Background vocal.
    BV,
    /// Visual instrumental (performed on screen).
    VI,
    /// Visual vocal.
    VV,
    /// Main title.
    MT,
    /// End title.
    ET,
}

impl Usage {
    /// The code as cue sheets write it ("BI").
    pub fn code(self) -> &'static str {
        match self {
            Usage::BI => "BI",
            Usage::BV => "BV",
            Usage::VI => "VI",
            Usage::VV => "VV",
            Usage::MT => "MT",
            Usage::ET => "ET",
        }
    }
}

/// A writer or publisher of a cue and their share of the role.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Party")]
pub struct Party {
    /// Name as registered with the PRO.
    pub name: String,
    /// The performing-rights organisation ("PRS", "ASCAP", "BMI", "SACEM", "GEMA", …).
    pub pro: String,
    /// The IPI name number (9 to 11 digits), if known.
    #[serde(default)]
    pub ipi: Option<String>,
    /// Percent of the role (composers' shares add up to 100, publishers' too).
    pub share: f64,
}

/// The credits of one cue.
#[derive(Debug, Clone, PartialEq)]
pub struct CueCredits {
    /// Composers (at least one).
    pub composers: Vec<Party>,
    /// Publishers (may be none).
    pub publishers: Vec<Party>,
    /// How the cue is used.
    pub usage: Usage,
}

impl CueCredits {
    /// What a cue sheet says without a credits file: composer "unknown" (no PRO), no
    /// publisher, background instrumental.
    pub fn unknown() -> Self {
        CueCredits {
            composers: vec![Party {
                name: "unknown".into(),
                pro: String::new(),
                ipi: None,
                share: 100.0,
            }],
            publishers: Vec::new(),
            usage: Usage::BI,
        }
    }
}

/// Which cues an entry of a credits file's `cues` is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CueRef {
    /// Every cue of this name (a tempo variant `chase@92.0` is cue `chase`).
    Name(String),
    /// The cue with this number on the sheet (1 is M01).
    Number(u32),
}

/// One entry of `cues`: what it replaces of the defaults.
#[derive(Debug, Clone, PartialEq)]
struct Override {
    target: CueRef,
    /// Where its `cue` or `number` is written.
    at: Location,
    composers: Option<Vec<Party>>,
    publishers: Option<Vec<Party>>,
    usage: Option<Usage>,
}

/// A credits file, read and checked (shares, PRO names, IPI numbers, usage codes).
#[derive(Debug, Clone, PartialEq)]
pub struct Credits {
    path: PathBuf,
    defaults: CueCredits,
    overrides: Vec<Override>,
}

/// A mistake in a credits file, located.
#[derive(Debug, thiserror::Error)]
#[error("{at}: {message} (hint: {hint})")]
pub struct CreditsError {
    /// File, line and column.
    pub at: Location,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl From<CreditsError> for ScoringError {
    fn from(error: CreditsError) -> Self {
        ScoringError::Credits {
            error: Box::new(error),
        }
    }
}

impl Credits {
    /// Reads and checks a credits file (it is only read).
    pub fn load(path: &Path) -> Result<Credits, ScoringError> {
        let text = std::fs::read_to_string(path).map_err(|e| CreditsError {
            at: Location::new(Some(path.to_path_buf()), 0, 0),
            message: format!("cannot read the credits file: {e}"),
            hint: "--credits takes a RON file such as scores/demo/last_train.credits.ron".into(),
        })?;
        Credits::parse_str(&text, path)
    }

    /// Reads and checks credits from `text`; `path` names the file in errors.
    pub fn parse_str(text: &str, path: &Path) -> Result<Credits, ScoringError> {
        Ok(read::parse(text, path)?)
    }

    /// The file the credits were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credits of each cue of a film whose cues, in cue-sheet order (M01 first), are
    /// `cues` (names as placed; `chase@92.0` is cue `chase`). Refuses an entry naming a cue
    /// the film does not have or a number past its last cue.
    pub fn resolve<S: AsRef<str>>(&self, cues: &[S]) -> Result<Vec<CueCredits>, ScoringError> {
        let is = |cue: &str, name: &str| {
            cue == name || cue.strip_prefix(name).is_some_and(|r| r.starts_with('@'))
        };
        let mut out = vec![self.defaults.clone(); cues.len()];
        // By name first, then by number, so that a number wins.
        let mut ordered: Vec<&Override> = self.overrides.iter().collect();
        ordered.sort_by_key(|o| matches!(o.target, CueRef::Number(_)));
        for o in ordered {
            let hits: Vec<usize> = match &o.target {
                CueRef::Name(n) => (0..cues.len())
                    .filter(|&i| is(cues[i].as_ref(), n))
                    .collect(),
                CueRef::Number(k) => (*k as usize)
                    .checked_sub(1)
                    .filter(|&i| i < cues.len())
                    .into_iter()
                    .collect(),
            };
            if hits.is_empty() {
                return Err(self.no_such_cue(o, cues).into());
            }
            for i in hits {
                let c = &mut out[i];
                if let Some(v) = &o.composers {
                    c.composers = v.clone();
                }
                if let Some(v) = &o.publishers {
                    c.publishers = v.clone();
                }
                if let Some(u) = o.usage {
                    c.usage = u;
                }
            }
        }
        Ok(out)
    }

    /// Refuses, before a render, what [`Credits::resolve`] would refuse after it: entries for
    /// cues the film will not play, the film being `spotting` scored with `score` (its cues
    /// in the order [`crate::score_film`] places them).
    pub fn check(&self, spotting: &SpottingList, score: &Score) -> Result<(), ScoringError> {
        let (mut sp, _) = crate::resolve_spotting(spotting, score, None)?;
        sp.cues.retain(|c| score.cue(&c.cue).is_some());
        sp.cues.sort_by_key(|c| c.start);
        let names: Vec<&str> = sp.cues.iter().map(|c| c.cue.as_str()).collect();
        self.resolve(&names).map(|_| ())
    }

    fn no_such_cue<S: AsRef<str>>(&self, o: &Override, cues: &[S]) -> CreditsError {
        let mut names: Vec<&str> = Vec::new();
        for c in cues {
            let base = c.as_ref().split('@').next().unwrap_or_default();
            if !names.contains(&base) {
                names.push(base);
            }
        }
        let (message, hint) = match &o.target {
            CueRef::Name(n) => (
                format!("credits for cue \"{n}\", which the film does not play"),
                format!(
                    "`cue` names a cue of the spotting list: {}; or give `number: 1` to `number: {}`",
                    names.join(", "),
                    cues.len()
                ),
            ),
            CueRef::Number(k) => (
                format!(
                    "credits for cue number {k}, but the film has {} cues",
                    cues.len()
                ),
                format!(
                    "`number` counts the cue sheet's cues from 1 (M01) to {}",
                    cues.len()
                ),
            ),
        };
        CreditsError {
            at: o.at.clone(),
            message,
            hint,
        }
    }
}
