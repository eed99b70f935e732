//! Parsing a score from RON, with located errors.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Score;
use super::validate::did_you_mean;

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
        let score: Score =
            ron::Options::default()
                .from_str(src)
                .map_err(|e: ron::error::SpannedError| {
                    let mut err = ScoreError::new(ScoreErrorKind::Syntax(e.code.to_string()));
                    err.position = Some(ron_error_position(src, &e));
                    err.hint = ron_syntax_hint(&e.code);
                    with_path(err)
                })?;
        score.validate().map_err(|mut e| {
            if e.position.is_none() {
                e.position = e
                    .item
                    .as_deref()
                    .and_then(|item| locate_error(src, item, &e.kind));
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
        let src = String::from_utf8(bytes).map_err(|e| {
            err(format!(
                "not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Score::from_ron(&src, Some(path))
    }
}

/// Where a RON error is (1-based line and column). RON reports an unknown field or variant just
/// after its name; point at the start of the name instead. For every RON format of the project.
pub fn ron_error_position(src: &str, e: &ron::error::SpannedError) -> (usize, usize) {
    use ron::Error as E;
    let (line, col) = (e.position.line, e.position.col);
    let found = match &e.code {
        E::NoSuchStructField { found, .. } | E::NoSuchEnumVariant { found, .. } => found,
        _ => return (line, col),
    };
    let Some(text) = src.split('\n').nth(line.wrapping_sub(1)) else {
        return (line, col);
    };
    let before: String = text.chars().take(col.saturating_sub(1)).collect();
    if before.ends_with(found.as_str()) {
        (line, col - found.chars().count())
    } else {
        (line, col)
    }
}

/// `did you mean "x"? ` when one of `names` is close to `found`, else nothing.
fn suggest(found: &str, names: &[&str]) -> String {
    let s = did_you_mean(found, names.iter().copied());
    if s.starts_with("did you mean") {
        format!("{s} ")
    } else {
        String::new()
    }
}

/// A hint for a RON syntax or shape error (unknown field or variant, with the closest name;
/// a missing field; a wrong struct name; an unclosed bracket), for every RON format of the
/// project.
pub fn ron_syntax_hint(code: &ron::Error) -> Option<String> {
    use ron::Error as E;
    Some(match code {
        E::NoSuchStructField {
            expected, found, ..
        } => format!(
            "{}the fields allowed here are: {}",
            suggest(found, expected),
            expected.join(", ")
        ),
        E::NoSuchEnumVariant {
            expected, found, ..
        } => format!(
            "{}use one of: {}",
            suggest(found, expected),
            expected.join(", ")
        ),
        E::MissingStructField { field, .. } => format!("add `{field}: …`"),
        E::ExpectedDifferentStructName { expected, .. } => format!("write `{expected}(…)`"),
        E::Eof => "the file ends early: a bracket or parenthesis is not closed".into(),
        _ => return None,
    })
}

/// Finds where a semantic error is, so it points at the text the composer wrote: the item
/// (see [`locate_item`]), then for an unknown name the place that name is used, and for a
/// number out of range the field holding it (when that field follows inside the same item).
fn locate_error(src: &str, item: &str, kind: &ScoreErrorKind) -> Option<(usize, usize)> {
    let duplicate = matches!(kind, ScoreErrorKind::Duplicate { .. });
    // An unknown name that is part of the item (`transition from "x" to …`) is where to point.
    let item = match kind {
        ScoreErrorKind::UnknownName { name, .. } => match item.find(&format!("\"{name}\"")) {
            Some(i) => &item[..i + name.len() + 2],
            None => item,
        },
        _ => item,
    };
    let mut at = locate_item(src, item, duplicate)?;
    match kind {
        ScoreErrorKind::UnknownName { name, .. } => {
            let needle = format!("\"{name}\"");
            // The item's own last name may be the unknown one (`initial_cue "x"`).
            if !src[at..].starts_with(&needle)
                && let Some(i) = src[at..].find(&needle)
            {
                at += i;
            }
        }
        ScoreErrorKind::OutOfRange { what, .. }
            if !what.is_empty() && what.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            // Only inside the item: stop at the next declaration (`name: …`).
            let end = find_keyed(src, at + 1, None, "name").unwrap_or(src.len());
            if let Some(i) = find_keyed(src, at, None, what).filter(|&i| i < end) {
                at = i;
            }
        }
        _ => {}
    }
    Some(line_col(src, at))
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[..offset].matches('\n').count() + 1;
    (line, src[line_start..offset].chars().count() + 1)
}

/// Byte offset of the item named by `item`, e.g. `cue "combat", layer "drums"` or
/// `transition from "*" to "combat"`: each quoted name is searched for in order, after the
/// previous one, as the value of the field that declares it (`name: "combat"`, then the next
/// `name: "drums"`), falling back to any quoted occurrence. A `duplicate` points at the second
/// declaration of the last name. Items without a quoted name (`score tempo`, `ducking`) are
/// top-level fields of the score.
fn locate_item(src: &str, item: &str, duplicate: bool) -> Option<usize> {
    let mut parts = Vec::new();
    let mut rest = item;
    while let Some(open) = rest.find('"') {
        let close = open + 1 + rest[open + 1..].find('"')?;
        parts.push((rest[..open].trim(), &rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    if let [("transition from", from), ("to", to)] = parts[..] {
        // Both names must belong to the same rule: the `to` before the next `from`.
        let (from, to) = (format!("\"{from}\""), format!("\"{to}\""));
        let mut rules = Vec::new();
        let mut pos = 0;
        while let Some(f) = find_keyed(src, pos, Some(&from), "from") {
            let next_rule = find_keyed(src, f + 1, None, "from").unwrap_or(src.len());
            if find_keyed(src, f + 1, Some(&to), "to").is_some_and(|t| t < next_rule) {
                rules.push(f);
            }
            pos = f + 1;
        }
        let rule = if duplicate {
            rules.get(1).or(rules.first())
        } else {
            rules.first()
        };
        if let Some(&f) = rule {
            return Some(f);
        }
    }
    if parts.is_empty() {
        let field = match item.rsplit(' ').next()? {
            "score" => "cues",
            f => f,
        };
        return find_top_level_field(src, field);
    }
    let mut from = 0;
    let mut found = None;
    let last = parts.len() - 1;
    for (i, (label, name)) in parts.into_iter().enumerate() {
        let key = if label.starts_with("rule") {
            "cue"
        } else {
            match label.rsplit([' ', ',']).next().unwrap_or("") {
                k @ ("from" | "to" | "initial_cue") => k,
                _ => "name",
            }
        };
        let needle = format!("\"{name}\"");
        let mut at = find_keyed(src, from, Some(&needle), key)
            .or_else(|| src.get(from..)?.find(&needle).map(|o| from + o));
        if duplicate
            && i == last
            && let Some(a) = at
        {
            at = find_keyed(src, a + 1, Some(&needle), key).or(at);
        }
        match at {
            Some(a) => {
                found = Some(a);
                from = a + 1;
            }
            None => break,
        }
    }
    found
}

/// Offset of the first `key: <value>` at or after `from`: of `value` when given (a quoted
/// name), else of `key` itself. `key` must be a whole identifier.
fn find_keyed(src: &str, from: usize, value: Option<&str>, key: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut pos = from;
    loop {
        let hay = src.get(pos..)?;
        match value {
            Some(v) => {
                let at = pos + hay.find(v)?;
                let before = src[..at].trim_end();
                if let Some(b) = before.strip_suffix(':') {
                    let b = b.trim_end();
                    if b.ends_with(key) && !b[..b.len() - key.len()].ends_with(is_ident) {
                        return Some(at);
                    }
                }
                pos = at + 1;
            }
            None => {
                let at = pos + hay.find(key)?;
                let after = src[at + key.len()..].trim_start();
                if after.starts_with(':')
                    && !src[..at].ends_with(is_ident)
                    && !src[at + key.len()..].starts_with(is_ident)
                {
                    return Some(at);
                }
                pos = at + 1;
            }
        }
    }
}

/// Offset of field `field` of the outermost struct (depth 1), skipping strings and comments.
fn find_top_level_field(src: &str, field: &str) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += src[i + 2..].find("*/").map_or(src.len(), |e| e + 4);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ if depth == 1
                && src.get(i..).is_some_and(|r| r.starts_with(field))
                && find_keyed(src, i, None, field) == Some(i) =>
            {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}
