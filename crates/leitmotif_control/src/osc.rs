//! OSC packets (messages and bundles, decoded by `rosc`) into actions.

use rosc::{OscMessage, OscPacket, OscType};

use crate::action::Action;
use crate::mapper::Mapper;
use crate::stats::{Counters, Refusal};

/// Bundles nested deeper than this are refused as malformed (before decoding, so a hostile
/// packet cannot make the decoder recurse thousands of levels).
pub const MAX_BUNDLE_DEPTH: usize = 8;

impl Mapper {
    /// Decodes one UDP datagram and hands every action it makes to `out`, counting each
    /// message in `counters`. Bundles are taken apart in order and applied at once (their
    /// time tags are not waited for). Never panics on any input.
    pub fn osc_packet(&self, bytes: &[u8], counters: &Counters, out: &mut dyn FnMut(Action)) {
        if bundle_depth(bytes, 0).is_none_or(|d| d > MAX_BUNDLE_DEPTH) {
            counters.received();
            counters.refused(Refusal::Malformed, || {
                format!("OSC bundles nested deeper than {MAX_BUNDLE_DEPTH}")
            });
            return;
        }
        match rosc::decoder::decode_udp(bytes) {
            Ok((_, packet)) => self.osc_decoded(&packet, counters, out),
            Err(e) => {
                counters.received();
                counters.refused(Refusal::Malformed, || {
                    format!("not an OSC packet ({} bytes): {e}", bytes.len())
                });
            }
        }
    }

    fn osc_decoded(&self, packet: &OscPacket, counters: &Counters, out: &mut dyn FnMut(Action)) {
        match packet {
            OscPacket::Bundle(b) => {
                for p in &b.content {
                    self.osc_decoded(p, counters, out);
                }
            }
            OscPacket::Message(m) => {
                counters.received();
                match self.osc_message(m) {
                    Ok(actions) if actions.is_empty() => counters.ignored(),
                    Ok(actions) => {
                        counters.applied();
                        actions.into_iter().for_each(&mut *out);
                    }
                    Err((reason, why)) => {
                        counters.refused(reason, || format!("OSC {}: {why}", m.addr))
                    }
                }
            }
        }
    }

    /// The actions of one message (empty: ignored on purpose), or why it was refused.
    fn osc_message(&self, m: &OscMessage) -> Result<Vec<Action>, (Refusal, String)> {
        let first = m.args.first();
        if let Some(bindings) = self.osc.get(&m.addr) {
            let value = match first {
                None => None,
                Some(arg) => match number(arg) {
                    Some(v) => Some(v),
                    None if bindings.iter().all(|b| !b.drive_takes_value()) => None,
                    None => return Err((Refusal::WrongType, format!("{arg:?} is not a number"))),
                },
            };
            let mut actions = Vec::with_capacity(bindings.len());
            for b in bindings {
                actions.extend(b.action(value)?);
            }
            return Ok(actions);
        }
        if !self.generic {
            return Err((Refusal::Unmapped, "no binding for this address".into()));
        }
        let unknown = |what: &str, name: &str| (Refusal::Unmapped, format!("no {what} \"{name}\""));
        let text = || match first {
            Some(OscType::String(s)) => Ok(s.as_str()),
            Some(arg) => Err((
                Refusal::WrongType,
                format!("{arg:?} is not a name (type s)"),
            )),
            None => Err((Refusal::WrongType, "needs a name (type s)".into())),
        };
        let value = || match first.map(number) {
            Some(Some(v)) if !v.is_finite() => Err((Refusal::NotANumber, format!("{v}"))),
            Some(Some(v)) => Ok(v),
            Some(None) | None => Err((Refusal::WrongType, "needs a number (type f or i)".into())),
        };
        let check = |v: f64, (lo, hi): (f64, f64)| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err((Refusal::OutOfRange, format!("{v} is outside {lo}..={hi}")))
            }
        };
        let action = match m.addr.as_str() {
            "/cue" => {
                let name = text()?;
                Action::Cue(
                    self.cues
                        .get(name)
                        .ok_or_else(|| unknown("cue", name))?
                        .clone(),
                )
            }
            "/stinger" => {
                let name = text()?;
                let s = self
                    .stingers
                    .get(name)
                    .ok_or_else(|| unknown("stinger", name))?;
                Action::Stinger(s.clone())
            }
            "/tempo" => Action::Tempo {
                bpm: check(value()?, crate::mapper::TEMPO_RANGE)?,
                ramp_beats: 0,
                sync: Default::default(),
            },
            addr => match addr.strip_prefix("/param/") {
                Some(name) => {
                    let (n, range) = self
                        .parameters
                        .get(name)
                        .ok_or_else(|| unknown("parameter", name))?;
                    Action::Parameter {
                        name: n.clone(),
                        value: check(value()?, *range)? as f32,
                    }
                }
                None => return Err((Refusal::Unmapped, "no binding for this address".into())),
            },
        };
        Ok(vec![action])
    }
}

impl crate::mapper::Binding {
    fn drive_takes_value(&self) -> bool {
        matches!(
            self.drive,
            crate::mapper::Drive::Parameter(_) | crate::mapper::Drive::Tempo { .. }
        )
    }
}

/// An OSC argument as a number (ints, floats, doubles, booleans).
fn number(arg: &OscType) -> Option<f64> {
    Some(match arg {
        OscType::Float(v) => *v as f64,
        OscType::Double(v) => *v,
        OscType::Int(v) => *v as f64,
        OscType::Long(v) => *v as f64,
        OscType::Bool(b) => f64::from(u8::from(*b)),
        _ => return None,
    })
}

/// How deeply `bytes` nests bundles (0: a message), without decoding them; `None` when the
/// bundle structure is broken (the decoder would refuse it anyway).
fn bundle_depth(bytes: &[u8], depth: usize) -> Option<usize> {
    if !bytes.starts_with(b"#bundle\0") {
        return Some(depth);
    }
    if depth > MAX_BUNDLE_DEPTH {
        return Some(depth);
    }
    let mut rest = bytes.get(16..)?;
    let mut deepest = depth + 1;
    while !rest.is_empty() {
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let element = rest.get(4..4usize.checked_add(size)?)?;
        deepest = deepest.max(bundle_depth(element, depth + 1)?);
        rest = &rest[4 + size..];
    }
    Some(deepest)
}
