//! MIDI into actions: one message at a time (what a MIDI port delivers, decoded by
//! `midly::live::LiveEvent`), or a raw byte stream cut into messages by [`MidiStream`]
//! (running status, interleaved real-time bytes, system exclusive, truncated messages).

use midly::MidiMessage;
use midly::live::LiveEvent;

use crate::action::Action;
use crate::mapper::Mapper;
use crate::stats::{Counters, Refusal};

impl Mapper {
    /// Maps one complete MIDI message (status byte first) and hands its action to `out`,
    /// counting it in `counters`. Never panics on any input.
    pub fn midi_message(&self, bytes: &[u8], counters: &Counters, out: &mut dyn FnMut(Action)) {
        counters.received();
        let event = match LiveEvent::parse(bytes) {
            Ok(e) => e,
            Err(e) => {
                return counters.refused(Refusal::Malformed, || {
                    format!("MIDI {bytes:02x?}: not a MIDI message ({e})")
                });
            }
        };
        let LiveEvent::Midi { channel, message } = event else {
            // Clock, active sensing, song position, system exclusive: nothing to drive.
            return counters.ignored();
        };
        let ch = channel.as_int();
        let (list, n, value, what) = match message {
            MidiMessage::Controller { controller, value } => {
                (&self.cc, controller.as_int(), Some(value.as_int()), "cc")
            }
            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                (&self.notes, key.as_int(), Some(vel.as_int()), "note")
            }
            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                (&self.notes, key.as_int(), None, "note")
            }
            other => {
                return counters.refused(Refusal::Unmapped, || {
                    format!("MIDI channel {}: nothing is bound to {other:?}", ch + 1)
                });
            }
        };
        let mut applied = false;
        let mut bound = false;
        for (_, _, b) in list
            .iter()
            .filter(|(c, k, _)| *k == n && c.is_none_or(|c| c == ch))
        {
            bound = true;
            let Some(v) = value else { continue }; // a note-off
            match b.action(Some(v as f64)) {
                Ok(Some(a)) => {
                    applied = true;
                    out(a);
                }
                Ok(None) => {}
                Err((reason, why)) => {
                    return counters.refused(reason, || format!("MIDI {what} {n}: {why}"));
                }
            }
        }
        if applied {
            counters.applied();
        } else if bound {
            counters.ignored();
        } else {
            counters.refused(Refusal::Unmapped, || {
                format!("MIDI channel {}: nothing is bound to {what} {n}", ch + 1)
            });
        }
    }
}

/// One piece of a MIDI byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A complete message, status byte first (running status filled in).
    Message(&'a [u8]),
    /// A system exclusive message ended (its bytes are skipped, not kept).
    SysEx,
    /// Bytes that do not form a message: why.
    Malformed(&'static str),
}

/// Cuts a MIDI byte stream (a serial port, a recording) into messages. Keeps nothing but
/// the message being assembled: system exclusive data is skipped, not buffered.
#[derive(Debug, Clone, Default)]
pub struct MidiStream {
    buf: [u8; 3],
    len: usize,
    need: usize,
    /// The status byte came and no data yet (a new status now truncates it).
    fresh: bool,
    /// A channel status byte that running status repeats.
    running: bool,
    in_sysex: bool,
}

/// Data bytes after a status byte (`None`: not a status that starts a message here).
fn data_len(status: u8) -> Option<usize> {
    match status {
        0x80..=0xBF | 0xE0..=0xEF => Some(2),
        0xC0..=0xDF => Some(1),
        0xF1 | 0xF3 => Some(1),
        0xF2 => Some(2),
        0xF6 => Some(0),
        _ => None,
    }
}

impl MidiStream {
    /// A stream with nothing pending.
    pub fn new() -> Self {
        MidiStream::default()
    }

    /// Feeds `bytes`, calling `each` for every piece they complete, in order.
    pub fn feed(&mut self, bytes: &[u8], mut each: impl FnMut(Piece<'_>)) {
        for &b in bytes {
            self.byte(b, &mut each);
        }
    }

    fn pending(&self) -> bool {
        self.len > 1 || (self.len == 1 && self.fresh)
    }

    fn byte(&mut self, b: u8, each: &mut impl FnMut(Piece<'_>)) {
        if b >= 0xF8 {
            // Real-time bytes may come anywhere, even inside another message.
            each(Piece::Message(&[b]));
            return;
        }
        if b >= 0x80 {
            if self.in_sysex {
                self.in_sysex = false;
                if b == 0xF7 {
                    each(Piece::SysEx);
                    return;
                }
                each(Piece::Malformed("system exclusive not ended by F7"));
            } else if self.pending() {
                each(Piece::Malformed(
                    "truncated message: a status byte came before its data",
                ));
            }
            self.len = 0;
            self.running = false;
            self.fresh = false;
            match (b, data_len(b)) {
                (0xF0, _) => self.in_sysex = true,
                (0xF7, _) => each(Piece::Malformed("F7 outside a system exclusive message")),
                (_, Some(0)) => each(Piece::Message(&[b])),
                (_, Some(n)) => {
                    self.buf[0] = b;
                    self.len = 1;
                    self.need = n;
                    self.fresh = true;
                    self.running = b < 0xF0;
                }
                (_, None) => each(Piece::Malformed("undefined status byte (F4/F5)")),
            }
            return;
        }
        if self.in_sysex {
            return;
        }
        if self.len == 0 {
            each(Piece::Malformed("data byte with no status byte before it"));
            return;
        }
        self.fresh = false;
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
        }
        self.len += 1;
        if self.len > self.need {
            each(Piece::Message(&self.buf[..self.len.min(3)]));
            // Running status: the next data bytes reuse the status byte.
            self.len = usize::from(self.running);
        }
    }
}

impl Mapper {
    /// Feeds a raw MIDI byte stream through `stream` and maps every message it completes
    /// (malformed bytes are counted as malformed messages, system exclusive as ignored).
    pub fn midi_bytes(
        &self,
        stream: &mut MidiStream,
        bytes: &[u8],
        counters: &Counters,
        out: &mut dyn FnMut(Action),
    ) {
        stream.feed(bytes, |piece| match piece {
            Piece::Message(m) => self.midi_message(m, counters, out),
            Piece::SysEx => {
                counters.received();
                counters.ignored();
            }
            Piece::Malformed(why) => {
                counters.received();
                counters.refused(Refusal::Malformed, || format!("MIDI: {why}"));
            }
        });
    }
}
