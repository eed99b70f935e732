//! A [`ControlMap`] checked against a score: the names resolved, the ranges known, ready to
//! turn messages into [`Action`]s (see `osc.rs` and `midi.rs` for the two decoders).

use std::collections::HashMap;
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::score::Sync;

use crate::action::Action;
use crate::error::{MapError, MapErrorKind};
use crate::map::{ControlMap, Target, line_col};
use crate::stats::Refusal;
use leitmotif_core::score::closest_name;

/// The tempo range the conductor follows, in BPM (a tempo binding's default `output`).
pub const TEMPO_RANGE: (f64, f64) = (10.0, 400.0);

/// What a binding drives, with its name shared.
#[derive(Debug, Clone)]
pub(crate) enum Drive {
    Parameter(Arc<str>),
    Cue(Arc<str>),
    Stinger(Arc<str>),
    Tempo { sync: Sync, ramp_beats: u32 },
}

/// A binding ready to use.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub drive: Drive,
    /// Incoming range and the range it maps onto (for targets that take a value).
    pub input: (f64, f64),
    pub output: (f64, f64),
    pub clamp: bool,
}

/// A mapping checked against a score. Built by [`Mapper::new`]; used by the listeners (or
/// directly: [`Mapper::osc_packet`], [`Mapper::midi_message`], [`MidiStream`](crate::MidiStream)).
#[derive(Debug, Clone)]
pub struct Mapper {
    pub(crate) osc: HashMap<String, Vec<Binding>>,
    /// (channel 0..16 or any, controller, binding).
    pub(crate) cc: Vec<(Option<u8>, u8, Binding)>,
    pub(crate) notes: Vec<(Option<u8>, u8, Binding)>,
    pub(crate) generic: bool,
    /// Every parameter of the score and its range (for `/param/<name>`).
    pub(crate) parameters: HashMap<String, (Arc<str>, (f64, f64))>,
    pub(crate) cues: HashMap<String, Arc<str>>,
    pub(crate) stingers: HashMap<String, Arc<str>>,
}

impl Mapper {
    /// Checks `map` against `score`: every parameter, cue and stinger it names must exist
    /// (else an error located in the mapping file, with the nearest real name as a hint).
    pub fn new(map: &ControlMap, score: &Score) -> Result<Mapper, MapError> {
        let parameters: HashMap<String, (Arc<str>, (f64, f64))> = score
            .parameters
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    (Arc::from(p.name.as_str()), (p.min as f64, p.max as f64)),
                )
            })
            .collect();
        let names = |it: &mut dyn Iterator<Item = &String>| -> HashMap<String, Arc<str>> {
            it.map(|n| (n.clone(), Arc::from(n.as_str()))).collect()
        };
        let cues = names(&mut score.cues.iter().map(|c| &c.name));
        let stingers = names(&mut score.stingers.iter().map(|s| &s.name));
        let mut mapper = Mapper {
            osc: HashMap::new(),
            cc: Vec::new(),
            notes: Vec::new(),
            generic: map.generic_osc,
            parameters,
            cues,
            stingers,
        };
        for b in &map.osc {
            let binding = mapper.bind(map, score, &b.to, b.input, b.output, b.clamp, None)?;
            mapper
                .osc
                .entry(b.address.clone())
                .or_default()
                .push(binding);
        }
        for b in &map.midi {
            let (n, list_cc) = match (b.cc, b.note) {
                (Some(cc), _) => (cc, true),
                (None, Some(note)) => (note, false),
                (None, None) => continue, // refused by the parser already
            };
            let default_in = if list_cc { (0.0, 127.0) } else { (1.0, 127.0) };
            let binding =
                mapper.bind(map, score, &b.to, b.input, b.output, true, Some(default_in))?;
            let channel = b.channel.map(|c| c.saturating_sub(1));
            if list_cc {
                mapper.cc.push((channel, n, binding));
            } else {
                mapper.notes.push((channel, n, binding));
            }
        }
        Ok(mapper)
    }

    #[allow(clippy::too_many_arguments)]
    fn bind(
        &self,
        map: &ControlMap,
        score: &Score,
        to: &Target,
        input: Option<(f64, f64)>,
        output: Option<(f64, f64)>,
        clamp: bool,
        default_input: Option<(f64, f64)>,
    ) -> Result<Binding, MapError> {
        let unknown = |what: &'static str, variant: &str, name: &str, names: Vec<&str>| {
            let src = &map.origin.src;
            let at = src
                .find(&format!("{variant}(\"{name}\")"))
                .map(|i| i + variant.len() + 1)
                .or_else(|| src.find(&format!("\"{name}\"")))
                .map(|i| line_col(src, i));
            let hint = match closest_name(name, names.iter().copied()) {
                Some(n) => format!("did you mean \"{n}\"? the score has: {}", names.join(", ")),
                None if names.is_empty() => format!("the score has no {what}s"),
                None => format!("the score has: {}", names.join(", ")),
            };
            MapError {
                path: map.origin.path.clone(),
                position: at,
                kind: MapErrorKind::UnknownName {
                    score: score.name.clone(),
                    what,
                    name: name.to_string(),
                },
                hint: Some(hint),
            }
        };
        let (drive, natural) = match to {
            Target::Parameter(name) => match self.parameters.get(name) {
                Some((n, range)) => (Drive::Parameter(n.clone()), *range),
                None => {
                    let names = score.parameters.iter().map(|p| p.name.as_str()).collect();
                    return Err(unknown("parameter", "Parameter", name, names));
                }
            },
            Target::Cue(name) => match self.cues.get(name) {
                Some(n) => (Drive::Cue(n.clone()), (0.0, 1.0)),
                None => {
                    let names = score.cues.iter().map(|c| c.name.as_str()).collect();
                    return Err(unknown("cue", "Cue", name, names));
                }
            },
            Target::Stinger(name) => match self.stingers.get(name) {
                Some(n) => (Drive::Stinger(n.clone()), (0.0, 1.0)),
                None => {
                    let names = score.stingers.iter().map(|s| s.name.as_str()).collect();
                    return Err(unknown("stinger", "Stinger", name, names));
                }
            },
            Target::Tempo { sync, ramp_beats } => (
                Drive::Tempo {
                    sync: sync.clone(),
                    ramp_beats: *ramp_beats,
                },
                TEMPO_RANGE,
            ),
        };
        let output = output.unwrap_or(natural);
        Ok(Binding {
            drive,
            input: input.or(default_input).unwrap_or(output),
            output,
            clamp,
        })
    }
}

impl Binding {
    /// The action for a message carrying `value` (a trigger fires unless `value` is 0: a
    /// button's release). `Ok(None)`: ignored on purpose.
    pub(crate) fn action(&self, value: Option<f64>) -> Result<Option<Action>, (Refusal, String)> {
        if let Some(v) = value
            && !v.is_finite()
        {
            return Err((Refusal::NotANumber, format!("{v} is not a number")));
        }
        let mapped = || -> Result<f64, (Refusal, String)> {
            let Some(v) = value else {
                return Err((Refusal::WrongType, "no value given".into()));
            };
            let (a, b) = self.input;
            let (lo, hi) = (a.min(b), a.max(b));
            let v = if (lo..=hi).contains(&v) {
                v
            } else if self.clamp {
                v.clamp(lo, hi)
            } else {
                return Err((Refusal::OutOfRange, format!("{v} is outside {lo}..={hi}")));
            };
            let (c, d) = self.output;
            Ok(c + (v - a) / (b - a) * (d - c))
        };
        Ok(Some(match &self.drive {
            Drive::Parameter(name) => Action::Parameter {
                name: name.clone(),
                value: mapped()? as f32,
            },
            Drive::Tempo { sync, ramp_beats } => Action::Tempo {
                bpm: mapped()?,
                ramp_beats: *ramp_beats,
                sync: sync.clone(),
            },
            Drive::Cue(_) | Drive::Stinger(_) if value == Some(0.0) => return Ok(None),
            Drive::Cue(name) => Action::Cue(name.clone()),
            Drive::Stinger(name) => Action::Stinger(name.clone()),
        }))
    }
}
