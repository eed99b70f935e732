//! Finds where each entry of a spotting RON file starts (and where each of
//! its fields' values starts), so validation errors and entries can carry
//! source lines. Run only after `ron` accepted the text, so it can be
//! forgiving: anything it cannot place gets line 0.

use std::collections::HashMap;

/// Where one entry and its field values start.
#[derive(Debug, Clone, Default)]
pub(super) struct EntryPos {
    /// 1-based line of the entry's first token.
    pub line: usize,
    /// 1-based column of the entry's first token (0 if unknown).
    pub column: usize,
    /// (field name, line, column) of each field value.
    fields: Vec<(String, usize, usize)>,
}

impl EntryPos {
    /// (line, column) of the value of `field`; the entry's line and column
    /// 0 if unknown.
    pub fn field(&self, name: &str) -> (usize, usize) {
        self.fields
            .iter()
            .find(|f| f.0 == name)
            .map_or((self.line, 0), |f| (f.1, f.2))
    }
}

/// Entry positions per section (`cues`, `hits`, `params`, `tempo`).
#[derive(Debug, Default)]
pub(super) struct Positions(HashMap<String, Vec<EntryPos>>);

impl Positions {
    /// The `i`th entry of `section` (default if unknown).
    pub fn entry(&self, section: &str, i: usize) -> EntryPos {
        self.0
            .get(section)
            .and_then(|v| v.get(i))
            .cloned()
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Open(char),
    Close,
    Comma,
    Colon,
    Other,
}

struct T {
    tok: Tok,
    line: usize,
    col: usize,
}

fn tokenize(text: &str) -> Vec<T> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    // Advance one char, keeping line/col.
    let step = |i: &mut usize, line: &mut usize, col: &mut usize| {
        if c[*i] == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
        *i += 1;
    };
    // `r#` followed by a name is a raw identifier, not a raw string.
    let raw_ident = |i: usize| {
        c[i] == 'r'
            && c.get(i + 1) == Some(&'#')
            && c.get(i + 2).is_some_and(|n| n.is_alphabetic() || *n == '_')
    };
    while i < c.len() {
        let ch = c[i];
        let (l0, c0) = (line, col);
        if ch.is_whitespace() {
            step(&mut i, &mut line, &mut col);
        } else if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                step(&mut i, &mut line, &mut col);
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    step(&mut i, &mut line, &mut col);
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    step(&mut i, &mut line, &mut col);
                    if depth == 0 {
                        step(&mut i, &mut line, &mut col);
                        break;
                    }
                }
                step(&mut i, &mut line, &mut col);
            }
        } else if ch == '"' {
            step(&mut i, &mut line, &mut col);
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    step(&mut i, &mut line, &mut col);
                }
                if i < c.len() {
                    step(&mut i, &mut line, &mut col);
                }
            }
            if i < c.len() {
                step(&mut i, &mut line, &mut col);
            }
            out.push(T {
                tok: Tok::Other,
                line: l0,
                col: c0,
            });
        } else if ch == 'r' && matches!(c.get(i + 1), Some('#') | Some('"')) && !raw_ident(i) {
            // Raw string r#"..."#.
            step(&mut i, &mut line, &mut col);
            let mut hashes = 0;
            while i < c.len() && c[i] == '#' {
                hashes += 1;
                step(&mut i, &mut line, &mut col);
            }
            if i < c.len() {
                step(&mut i, &mut line, &mut col); // opening quote
            }
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        step(&mut i, &mut line, &mut col);
                    }
                    break;
                }
                step(&mut i, &mut line, &mut col);
            }
            out.push(T {
                tok: Tok::Other,
                line: l0,
                col: c0,
            });
        } else if ch == '\'' {
            step(&mut i, &mut line, &mut col);
            if i < c.len() && c[i] == '\\' {
                step(&mut i, &mut line, &mut col);
            }
            while i < c.len() && c[i] != '\'' {
                step(&mut i, &mut line, &mut col);
            }
            if i < c.len() {
                step(&mut i, &mut line, &mut col);
            }
            out.push(T {
                tok: Tok::Other,
                line: l0,
                col: c0,
            });
        } else if ch.is_alphabetic() || ch == '_' {
            if raw_ident(i) {
                // A raw identifier `r#name` (RON accepts it where a name goes): the name.
                step(&mut i, &mut line, &mut col);
                step(&mut i, &mut line, &mut col);
            }
            let mut s = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                s.push(c[i]);
                step(&mut i, &mut line, &mut col);
            }
            out.push(T {
                tok: Tok::Ident(s),
                line: l0,
                col: c0,
            });
        } else {
            let tok = match ch {
                '(' | '[' | '{' => Tok::Open(ch),
                ')' | ']' | '}' => Tok::Close,
                ',' => Tok::Comma,
                ':' => Tok::Colon,
                _ => Tok::Other,
            };
            step(&mut i, &mut line, &mut col);
            // Numbers and other runs: one token per char is fine.
            out.push(T {
                tok,
                line: l0,
                col: c0,
            });
        }
    }
    out
}

const SECTIONS: &[&str] = &["cues", "hits", "params", "tempo"];

/// Positions of the entries of each section list and of their fields.
pub(super) fn entry_positions(text: &str) -> Positions {
    let toks = tokenize(text);
    let mut out: HashMap<String, Vec<EntryPos>> = HashMap::new();
    let mut depth = 0usize;
    // (section name, depth of the list's contents)
    let mut section: Option<(String, usize)> = None;
    let mut expecting = false;
    for k in 0..toks.len() {
        let t = &toks[k];
        if let Some((name, list_depth)) = &section {
            let list_depth = *list_depth;
            if depth == list_depth && expecting && !matches!(t.tok, Tok::Comma | Tok::Close) {
                out.entry(name.clone()).or_default().push(EntryPos {
                    line: t.line,
                    column: t.col,
                    fields: Vec::new(),
                });
                expecting = false;
            }
            if depth == list_depth + 1
                && let Tok::Ident(field) = &t.tok
                && toks.get(k + 1).map(|n| &n.tok) == Some(&Tok::Colon)
                && let Some(v) = toks.get(k + 2)
                && let Some(e) = out.get_mut(name).and_then(|v| v.last_mut())
            {
                e.fields.push((field.clone(), v.line, v.col));
            }
        }
        match &t.tok {
            Tok::Open(ch) => {
                if depth == 1
                    && *ch == '['
                    && k >= 2
                    && toks[k - 1].tok == Tok::Colon
                    && let Tok::Ident(name) = &toks[k - 2].tok
                    && SECTIONS.contains(&name.as_str())
                {
                    section = Some((name.clone(), depth + 1));
                    expecting = true;
                }
                depth += 1;
            }
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if section.as_ref().is_some_and(|(_, d)| depth < *d) {
                    section = None;
                }
            }
            Tok::Comma if section.as_ref().is_some_and(|(_, d)| depth == *d) => {
                expecting = true;
            }
            _ => {}
        }
    }
    Positions(out)
}
