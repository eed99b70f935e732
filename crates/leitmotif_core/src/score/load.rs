//! Parsing a score from RON, with located errors.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Score;

/// A score that could not be read, parsed or validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreError {
    /// The file, when the score came from one.
    pub path: Option<PathBuf>,
    /// 1-based line and column of the offending text, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub kind: ScoreErrorKind,
    /// The item concerned, e.g. `cue "combat", layer "drums"`.
    pub item: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
}

/// The kinds of score errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreErrorKind {
    /// The file could not be read.
    #[error("cannot read the score: {0}")]
    Io(String),
    /// RON syntax or type error.
    #[error("{0}")]
    Syntax(String),
    /// A name that does not exist was referenced.
    #[error("unknown {what} \"{name}\"")]
    UnknownName {
        /// Kind of thing (cue, parameter, segment, marker, theme).
        what: &'static str,
        /// The name used.
        name: String,
    },
    /// The same name twice.
    #[error("duplicate {what} \"{name}\"")]
    Duplicate {
        /// Kind of thing.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A number outside what is allowed.
    #[error("{what} is {value}, expected {expected}")]
    OutOfRange {
        /// The field.
        what: String,
        /// The value given.
        value: f64,
        /// The allowed range in words.
        expected: String,
    },
    /// A structural problem (empty cue, overlapping rules, cycles, …).
    #[error("{0}")]
    Invalid(String),
    /// An input larger than allowed.
    #[error("the score is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size in bytes.
        size: u64,
        /// Limit in bytes.
        limit: u64,
    },
}

impl ScoreError {
    pub(crate) fn new(kind: ScoreErrorKind) -> Self {
        ScoreError {
            path: None,
            position: None,
            kind,
            item: None,
            hint: None,
        }
    }

    pub(crate) fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "<score>")?,
        }
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScoreError {}

/// Largest score file accepted (a score is text; anything bigger is a mistake).
pub const MAX_SCORE_BYTES: u64 = 4 * 1024 * 1024;

impl Score {
    /// Parses and validates a score from RON text. `path` is used in error messages only.
    pub fn from_ron(src: &str, path: Option<&Path>) -> Result<Score, ScoreError> {
        let with_path = |mut e: ScoreError| {
            e.path = path.map(Path::to_path_buf);
            e
        };
        if src.len() as u64 > MAX_SCORE_BYTES {
            return Err(with_path(ScoreError::new(ScoreErrorKind::TooLarge {
                size: src.len() as u64,
                limit: MAX_SCORE_BYTES,
            })));
        }
        let score: Score = ron::Options::default()
            .from_str(src)
            .map_err(|e: ron::error::SpannedError| {
                let mut err = ScoreError::new(ScoreErrorKind::Syntax(e.code.to_string()));
                err.position = Some((e.position.line, e.position.col));
                err.hint = syntax_hint(&e.code);
                with_path(err)
            })?;
        score.validate().map_err(|mut e| {
            if e.position.is_none() {
                e.position = e.item.as_deref().and_then(|item| locate(src, item));
            }
            with_path(e)
        })?;
        Ok(score)
    }

    /// Reads, parses and validates a score file.
    pub fn load(path: &Path) -> Result<Score, ScoreError> {
        let err = |msg: String| {
            let mut e = ScoreError::new(ScoreErrorKind::Io(msg));
            e.path = Some(path.to_path_buf());
            e
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > MAX_SCORE_BYTES {
            let mut e = ScoreError::new(ScoreErrorKind::TooLarge {
                size: meta.len(),
                limit: MAX_SCORE_BYTES,
            });
            e.path = Some(path.to_path_buf());
            return Err(e);
        }
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let src = String::from_utf8(bytes)
            .map_err(|e| err(format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to())))?;
        Score::from_ron(&src, Some(path))
    }
}

fn syntax_hint(code: &ron::Error) -> Option<String> {
    use ron::Error as E;
    Some(match code {
        E::NoSuchStructField { expected, .. } => {
            format!("the fields allowed here are: {}", expected.join(", "))
        }
        E::NoSuchEnumVariant { expected, .. } => {
            format!("use one of: {}", expected.join(", "))
        }
        E::MissingStructField { field, .. } => format!("add `{field}: …`"),
        E::ExpectedDifferentStructName { expected, .. } => format!("write `{expected}(…)`"),
        E::Eof => "the file ends early: a bracket or parenthesis is not closed".into(),
        _ => return None,
    })
}

/// Finds the line and column of the first quoted name in `item` (e.g. `cue "combat"`), so
/// semantic errors point at the text the composer wrote.
fn locate(src: &str, item: &str) -> Option<(usize, usize)> {
    let start = item.rfind('"')?;
    let before = &item[..start];
    let open = before.rfind('"')?;
    let needle = &item[open..=start];
    let offset = src.find(needle)?;
    let line = src[..offset].matches('\n').count() + 1;
    let col = offset - src[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, col))
}
