//! Errors of the mapping file: located like the score's (`file:line:column: message (hint: …)`).

use std::fmt;
use std::path::PathBuf;

/// A mapping file that could not be read, parsed, or checked against a score.
#[derive(Debug, Clone, PartialEq)]
pub struct MapError {
    /// The file, when the mapping came from one.
    pub path: Option<PathBuf>,
    /// 1-based line and column of the offending text, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub kind: MapErrorKind,
    /// How to fix it.
    pub hint: Option<String>,
}

/// The kinds of mapping errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MapErrorKind {
    /// The file could not be read.
    #[error("cannot read the control map: {0}")]
    Io(String),
    /// RON syntax or type error.
    #[error("{0}")]
    Syntax(String),
    /// A parameter, cue or stinger the score does not have.
    #[error("score \"{score}\" has no {what} \"{name}\"")]
    UnknownName {
        /// The score checked against.
        score: String,
        /// `parameter`, `cue` or `stinger`.
        what: &'static str,
        /// The name used.
        name: String,
    },
    /// A value or combination the format does not allow.
    #[error("{0}")]
    Invalid(String),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "<control map>")?,
        }
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.kind)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for MapError {}
