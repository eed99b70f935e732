//! The mapping file (`*.control.ron`): which OSC address or MIDI message drives which
//! parameter, cue, stinger or tempo cue, parsed with located errors.

use std::path::Path;

use leitmotif_core::score::Sync;
use serde::Deserialize;

use crate::error::{MapError, MapErrorKind};

/// Largest mapping file accepted (it is text; anything bigger is a mistake).
pub const MAX_MAP_BYTES: u64 = 1024 * 1024;

/// A mapping file. See `docs/live-control.md` for the format field by field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Control", deny_unknown_fields)]
pub struct ControlMap {
    /// OSC addresses and what they drive.
    #[serde(default)]
    pub osc: Vec<OscBinding>,
    /// MIDI messages and what they drive.
    #[serde(default)]
    pub midi: Vec<MidiBinding>,
    /// Also accept the built-in OSC addresses: `/param/<name> f`, `/cue s`, `/stinger s` and
    /// `/tempo f` (on by default).
    #[serde(default = "yes")]
    pub generic_osc: bool,
    /// The text and file it was parsed from, to locate errors found against a score.
    #[serde(skip)]
    pub(crate) origin: Origin,
}

/// Where a [`ControlMap`] came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Origin {
    pub src: String,
    pub path: Option<std::path::PathBuf>,
}

fn yes() -> bool {
    true
}

impl Default for ControlMap {
    /// No bindings; the built-in OSC addresses only.
    fn default() -> Self {
        ControlMap {
            osc: Vec::new(),
            midi: Vec::new(),
            generic_osc: true,
            origin: Origin::default(),
        }
    }
}

/// What a binding drives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum Target {
    /// Sets the named parameter of the score to the message's value.
    Parameter(String),
    /// Requests the named cue (it starts at its transition rule's sync point).
    Cue(String),
    /// Triggers the named stinger.
    Stinger(String),
    /// A tempo cue: the playing cue's tempo becomes the message's value in BPM.
    Tempo {
        /// Where the new tempo applies.
        #[serde(default)]
        sync: Sync,
        /// Beats over which the tempo ramps there (0: a jump).
        #[serde(default)]
        ramp_beats: u32,
    },
}

impl Target {
    /// Whether the target takes a value (a parameter, a tempo) rather than being triggered.
    pub fn takes_value(&self) -> bool {
        matches!(self, Target::Parameter(_) | Target::Tempo { .. })
    }
}

/// An OSC address and what it drives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OscBinding {
    /// The OSC address, exactly (`/crowd/level`).
    pub address: String,
    /// What it drives.
    pub to: Target,
    /// The range of the incoming value, mapped linearly onto `output` (default: `output`
    /// itself, so values arrive in the target's own units).
    #[serde(default)]
    pub input: Option<(f64, f64)>,
    /// The range the value is mapped onto (default: the parameter's range in the score; a
    /// tempo in BPM, 10..=400).
    #[serde(default)]
    pub output: Option<(f64, f64)>,
    /// Clamp values outside `input` to it instead of ignoring them (counted as out of range).
    #[serde(default)]
    pub clamp: bool,
}

/// A MIDI message and what it drives: a control change (`cc`) or a note (`note`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MidiBinding {
    /// Control change number 0..=127; its value (0..=127) is the message's value.
    #[serde(default)]
    pub cc: Option<u8>,
    /// Note number 0..=127; a note-on's velocity (1..=127) is the message's value, and
    /// note-offs are ignored.
    #[serde(default)]
    pub note: Option<u8>,
    /// MIDI channel 1..=16 (default: any).
    #[serde(default)]
    pub channel: Option<u8>,
    /// What it drives.
    pub to: Target,
    /// The range of the incoming value (default: 0..=127 for a control change, 1..=127 for
    /// a velocity), mapped linearly onto `output`.
    #[serde(default)]
    pub input: Option<(f64, f64)>,
    /// The range the value is mapped onto (default: the parameter's range in the score; a
    /// tempo needs it, in BPM).
    #[serde(default)]
    pub output: Option<(f64, f64)>,
}

impl ControlMap {
    /// Parses a mapping from RON text (not yet checked against a score: see
    /// [`Mapper::new`](crate::Mapper::new)). `path` is used in error messages only.
    pub fn from_ron(src: &str, path: Option<&Path>) -> Result<ControlMap, MapError> {
        let located = |kind, position, hint| MapError {
            path: path.map(Path::to_path_buf),
            position,
            kind,
            hint,
        };
        if src.len() as u64 > MAX_MAP_BYTES {
            return Err(located(
                MapErrorKind::Invalid(format!(
                    "the mapping is {} bytes, more than the limit of {MAX_MAP_BYTES}",
                    src.len()
                )),
                None,
                None,
            ));
        }
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let mut map: ControlMap =
            options
                .from_str(src)
                .map_err(|e: ron::error::SpannedError| {
                    located(
                        MapErrorKind::Syntax(e.code.to_string()),
                        Some(leitmotif_core::score::ron_error_position(src, &e)),
                        leitmotif_core::score::ron_syntax_hint(&e.code),
                    )
                })?;
        map.check_shape(src)
            .map_err(|(kind, at, hint)| located(kind, at.map(|a| line_col(src, a)), hint))?;
        map.origin = Origin {
            src: src.to_string(),
            path: path.map(Path::to_path_buf),
        };
        Ok(map)
    }

    /// Reads and parses a mapping file.
    pub fn load(path: &Path) -> Result<ControlMap, MapError> {
        let io = |msg: String| MapError {
            path: Some(path.to_path_buf()),
            position: None,
            kind: MapErrorKind::Io(msg),
            hint: None,
        };
        let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
        if meta.len() > MAX_MAP_BYTES {
            return Err(io(format!(
                "{} bytes, more than the limit of {MAX_MAP_BYTES}",
                meta.len()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| io(e.to_string()))?;
        let src = String::from_utf8(bytes).map_err(|e| {
            io(format!(
                "not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        ControlMap::from_ron(&src, Some(path))
    }

    /// Checks what the types alone do not: one of `cc`/`note` per MIDI binding, numbers in
    /// range, addresses that are OSC addresses, ranges that are not empty.
    #[allow(clippy::type_complexity)]
    fn check_shape(&self, src: &str) -> Result<(), (MapErrorKind, Option<usize>, Option<String>)> {
        let invalid = |msg: String, at: Option<usize>, hint: &str| {
            Err((MapErrorKind::Invalid(msg), at, Some(hint.to_string())))
        };
        for (i, b) in self.osc.iter().enumerate() {
            let at = nth_key(src, "address", i);
            if !b.address.starts_with('/') || b.address.contains([' ', '#', '*', '?', ',']) {
                return invalid(
                    format!(
                        "osc binding {}: \"{}\" is not an OSC address",
                        i + 1,
                        b.address
                    ),
                    at,
                    "an address starts with `/` and has no spaces or `# * ? ,`, e.g. \"/crowd/level\"",
                );
            }
            check_range("input", b.input, at)?;
            check_range("output", b.output, at)?;
            if !b.to.takes_value() && (b.input.is_some() || b.output.is_some()) {
                return invalid(
                    format!(
                        "osc binding \"{}\": a cue or stinger takes no range",
                        b.address
                    ),
                    at,
                    "remove `input`/`output`: a message at this address triggers it",
                );
            }
        }
        for (i, b) in self.midi.iter().enumerate() {
            let at = nth_key(src, "to", self.osc.len() + i);
            let what = match (b.cc, b.note) {
                (Some(n), None) => ("cc", n),
                (None, Some(n)) => ("note", n),
                _ => {
                    return invalid(
                        format!(
                            "midi binding {}: needs exactly one of `cc` and `note`",
                            i + 1
                        ),
                        at,
                        "write `(cc: 1, to: Parameter(\"tension\"))` or `(note: 36, to: Stinger(\"hit\"))`",
                    );
                }
            };
            if what.1 > 127 {
                return invalid(
                    format!(
                        "midi binding {}: {} {} is not a MIDI number",
                        i + 1,
                        what.0,
                        what.1
                    ),
                    at,
                    "MIDI numbers are 0..=127",
                );
            }
            if let Some(c) = b.channel
                && !(1..=16).contains(&c)
            {
                return invalid(
                    format!("midi binding {}: channel {c} does not exist", i + 1),
                    at,
                    "channels are counted 1..=16, as on the controller",
                );
            }
            check_range("input", b.input, at)?;
            check_range("output", b.output, at)?;
            if !b.to.takes_value() && (b.input.is_some() || b.output.is_some()) {
                return invalid(
                    format!("midi binding {}: a cue or stinger takes no range", i + 1),
                    at,
                    "remove `input`/`output`: the control triggers it",
                );
            }
            if matches!(b.to, Target::Tempo { .. }) && b.output.is_none() {
                return invalid(
                    format!(
                        "midi binding {}: a MIDI tempo needs `output: (lo, hi)` in BPM",
                        i + 1
                    ),
                    at,
                    "e.g. `output: (60.0, 180.0)` maps 0..127 onto 60..180 BPM",
                );
            }
        }
        Ok(())
    }
}

fn check_range(
    what: &str,
    range: Option<(f64, f64)>,
    at: Option<usize>,
) -> Result<(), (MapErrorKind, Option<usize>, Option<String>)> {
    match range {
        Some((lo, hi)) if !(lo.is_finite() && hi.is_finite()) || lo == hi => Err((
            MapErrorKind::Invalid(format!("`{what}: ({lo}, {hi})` is not a range")),
            at,
            Some("give two different finite numbers, e.g. `(0.0, 1.0)`".into()),
        )),
        _ => Ok(()),
    }
}

/// Byte offset of the `n`-th (from 0) occurrence of `key:` as a field name in `src`.
pub(crate) fn nth_key(src: &str, key: &str, n: usize) -> Option<usize> {
    let mut found = 0;
    let mut from = 0;
    while let Some(i) = src[from..].find(key) {
        let at = from + i;
        let before_ok = src[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = src[at + key.len()..].trim_start();
        if before_ok && after.starts_with(':') {
            if found == n {
                return Some(at);
            }
            found += 1;
        }
        from = at + key.len();
    }
    None
}

/// 1-based line and column (in characters) of byte `offset`.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[..offset].matches('\n').count() + 1;
    (line, src[line_start..offset].chars().count() + 1)
}
