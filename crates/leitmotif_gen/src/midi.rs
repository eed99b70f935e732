//! Standard MIDI File output and theme import (via `midly`).
//!
//! Files are type 1 (parallel tracks) at 480 ticks per quarter note. Track 0 is the conductor
//! track holding the time signature, key signature(s) and tempo map; every voice gets its own
//! track with a name, a program change and its notes. Drum voices play on channel 10.

use leitmotif_core::score::Instrument;
use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use crate::bridge::{BridgeScore, Note};
use crate::error::GenError;
use crate::theory::Key;

/// Ticks per quarter note in written files.
pub const PPQ: u16 = 480;

/// One track of a file to write.
#[derive(Debug, Clone, Copy)]
pub struct MidiTrack<'a> {
    /// Track name.
    pub name: &'a str,
    /// Instrument (sets the General MIDI program; drums use channel 10).
    pub instrument: &'a Instrument,
    /// Notes, in beats.
    pub notes: &'a [Note],
}

/// Conductor data of a file to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Conductor {
    /// Tempo changes: (beat, bpm), sorted; the first should be at beat 0.
    pub tempos: Vec<(f64, f64)>,
    /// Time signature (beats per bar, beat unit as a power of two: 4 = quarter).
    pub meter: (u8, u8),
    /// Key signatures: (beat, key), sorted.
    pub keys: Vec<(f64, Key)>,
}

/// The General MIDI program standing in for a built-in instrument.
pub fn gm_program(instrument: &Instrument) -> u8 {
    match instrument {
        Instrument::Pad => 89,
        Instrument::Bass => 38,
        Instrument::Pluck => 25,
        Instrument::Keys => 4,
        Instrument::Lead => 81,
        Instrument::Bell => 14,
        Instrument::Strings => 48,
        Instrument::Drums => 0,
        Instrument::Soundfont(_, p) => (*p).min(127) as u8,
    }
}

fn tick(beat: f64) -> u64 {
    (beat.max(0.0) * PPQ as f64).round() as u64
}

/// Sorts (tick, order, kind) events and converts them to delta-timed track events.
fn finish(mut events: Vec<(u64, u8, TrackEventKind<'_>)>) -> Vec<TrackEvent<'_>> {
    events.sort_by_key(|e| (e.0, e.1));
    let mut last = 0;
    let mut track: Vec<TrackEvent> = events
        .into_iter()
        .map(|(t, _, kind)| {
            let delta = u28::new((t - last).min(0x0FFF_FFFF) as u32);
            last = t;
            TrackEvent { delta, kind }
        })
        .collect();
    track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    track
}

/// Writes a type-1 Standard MIDI File: a conductor track, then one track per entry of
/// `tracks`.
pub fn write_smf(conductor: &Conductor, tracks: &[MidiTrack<'_>]) -> Vec<u8> {
    let (num, unit) = conductor.meter;
    let mut meta = vec![(
        0,
        0,
        TrackEventKind::Meta(MetaMessage::TimeSignature(
            num.max(1),
            unit.max(1).trailing_zeros() as u8,
            24,
            8,
        )),
    )];
    for (beat, key) in &conductor.keys {
        let minor = matches!(
            key.mode,
            crate::theory::Mode::NaturalMinor | crate::theory::Mode::HarmonicMinor
        );
        meta.push((
            tick(*beat),
            1,
            TrackEventKind::Meta(MetaMessage::KeySignature(key.sharps(), minor)),
        ));
    }
    for &(beat, bpm) in &conductor.tempos {
        let micros = (60_000_000.0 / bpm.max(1.0)).round() as u32;
        meta.push((
            tick(beat),
            2,
            TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros.min(0xFF_FFFF)))),
        ));
    }
    let mut smf_tracks = vec![finish(meta)];
    for (i, t) in tracks.iter().enumerate() {
        let drums = matches!(
            t.instrument,
            Instrument::Drums | Instrument::Soundfont(128, _)
        );
        // Melodic voices skip channel 10 (index 9), which is for drums.
        let melodic = (i % 15) as u8;
        let channel = u4::new(if drums {
            9
        } else if melodic >= 9 {
            melodic + 1
        } else {
            melodic
        });
        let mut ev = vec![
            (
                0,
                0,
                TrackEventKind::Meta(MetaMessage::TrackName(t.name.as_bytes())),
            ),
            (
                0,
                1,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::ProgramChange {
                        program: u7::new(gm_program(t.instrument) & 0x7F),
                    },
                },
            ),
        ];
        for n in t.notes {
            let key = u7::new(n.pitch.min(127));
            let vel = u7::new((1.0 + n.velocity.clamp(0.0, 1.0) * 126.0).round() as u8);
            let on = tick(n.start_beat);
            let off = tick(n.start_beat + n.beats).max(on + 1);
            ev.push((
                on,
                3,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOn { key, vel },
                },
            ));
            ev.push((
                off,
                2,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOff {
                        key,
                        vel: u7::new(0),
                    },
                },
            ));
        }
        smf_tracks.push(finish(ev));
    }
    let smf = Smf {
        header: Header::new(Format::Parallel, Timing::Metrical(u15::new(PPQ))),
        tracks: smf_tracks,
    };
    let mut out = Vec::new();
    smf.write_std(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

impl BridgeScore {
    /// The bridge as a Standard MIDI File: the tempo ramp as one tempo event per beat (each
    /// beat's tempo makes its duration exact), the meter as `beats_per_bar/4`, the source key's
    /// signature at beat 0 and the target key's at the last bar.
    pub fn to_smf(&self) -> Vec<u8> {
        let total = self.total_beats();
        let beats = total.ceil() as usize;
        let tempos = (0..beats.max(1))
            .map(|b| {
                let (b0, b1) = (b as f64, ((b + 1) as f64).min(total.max(1.0)));
                let secs = self.seconds_at(b1) - self.seconds_at(b0);
                (b0, 60.0 * (b1 - b0) / secs.max(1e-9))
            })
            .collect();
        let last_bar = (self.bars.saturating_sub(1) * self.beats_per_bar) as f64;
        let conductor = Conductor {
            tempos,
            meter: (self.beats_per_bar.min(255) as u8, 4),
            keys: vec![(0.0, self.from_key), (last_bar, self.to_key)],
        };
        let tracks: Vec<MidiTrack> = self
            .voices
            .iter()
            .map(|v| MidiTrack {
                name: &v.name,
                instrument: &v.instrument,
                notes: &v.notes,
            })
            .collect();
        write_smf(&conductor, &tracks)
    }
}

/// Parses a Standard MIDI File. A header whose division is SMPTE with a frame rate of −128 (the
/// byte 0x80) is refused here: midly 0.5 negates it as an `i8` and panics with overflow checks
/// on (found by `cargo fuzz`, target `midi`).
pub fn parse_smf(bytes: &[u8]) -> Result<Smf<'_>, GenError> {
    let bad_division = bytes
        .windows(14)
        .any(|w| &w[..4] == b"MThd" && w[12] == 0x80);
    if bad_division {
        return Err(GenError::Midi(
            "the header's SMPTE frame rate is -128, which no MIDI file uses".into(),
        ));
    }
    Smf::parse(bytes).map_err(|e| GenError::Midi(e.to_string()))
}

/// Reads a theme from a Standard MIDI File: the first track with notes, made monophonic (the
/// highest of simultaneous notes wins; a note is cut by the next onset), gaps as rests (−1).
pub fn read_theme(smf: &[u8]) -> Result<Vec<(i32, f32)>, GenError> {
    let smf = parse_smf(smf)?;
    let ppq = match smf.header.timing {
        Timing::Metrical(t) => t.as_int() as f64,
        Timing::Timecode(..) => {
            return Err(GenError::Midi(
                "SMPTE timecode timing is not supported".into(),
            ));
        }
    };
    for track in &smf.tracks {
        let mut t = 0u64;
        let mut open: Vec<(u8, u8, u64)> = Vec::new();
        let mut notes: Vec<(u64, u64, u8)> = Vec::new();
        for ev in track {
            t += ev.delta.as_int() as u64;
            if let TrackEventKind::Midi { channel, message } = ev.kind {
                let ch = channel.as_int();
                match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        open.push((ch, key.as_int(), t));
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        if let Some(i) = open.iter().position(|o| o.0 == ch && o.1 == key.as_int())
                        {
                            let (_, k, start) = open.remove(i);
                            notes.push((start, t, k));
                        }
                    }
                    _ => {}
                }
            }
        }
        if notes.is_empty() {
            continue;
        }
        // Earliest first; at equal onsets the highest pitch first.
        notes.sort_by_key(|&(s, _, k)| (s, std::cmp::Reverse(k)));
        notes.dedup_by_key(|n| n.0);
        let mut theme = Vec::new();
        let mut cursor = notes[0].0;
        for (i, &(start, end, key)) in notes.iter().enumerate() {
            if start > cursor {
                theme.push((-1, ((start - cursor) as f64 / ppq) as f32));
            }
            let stop = notes.get(i + 1).map_or(end, |n| end.min(n.0));
            theme.push((key as i32, ((stop - start) as f64 / ppq) as f32));
            cursor = stop;
        }
        return Ok(theme);
    }
    Err(GenError::Midi("no track holds notes".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smpte_division_of_minus_128_is_an_error_not_a_panic() {
        // Found by `cargo fuzz` (target `midi`): midly negates the byte as an i8.
        let smf = b"MThd\0\0\0\x06\0\0\0\x01\x80\x00";
        assert!(matches!(read_theme(smf), Err(GenError::Midi(_))));
        let minimised = [0x4d, 0x54, 0x68, 0x64, 0, 3, 0, 6, 0, 1, 0, 2, 0x80, 0xff];
        assert!(read_theme(&minimised).is_err());
    }

    #[test]
    fn theme_round_trips_through_a_written_file() {
        let notes: Vec<Note> = [(62, 1.0), (65, 0.5), (69, 0.5), (67, 2.0)]
            .iter()
            .scan(0.0, |t, &(p, b)| {
                let n = Note {
                    start_beat: *t,
                    beats: b,
                    pitch: p,
                    velocity: 0.8,
                    passing: false,
                };
                *t += b + if p == 65 { 0.5 } else { 0.0 };
                Some(n)
            })
            .collect();
        let conductor = Conductor {
            tempos: vec![(0.0, 120.0)],
            meter: (3, 4),
            keys: vec![(0.0, Key::parse("D minor").unwrap())],
        };
        let bytes = write_smf(
            &conductor,
            &[MidiTrack {
                name: "theme",
                instrument: &Instrument::Lead,
                notes: &notes,
            }],
        );
        let theme = read_theme(&bytes).unwrap();
        assert_eq!(
            theme,
            vec![(62, 1.0), (65, 0.5), (-1, 0.5), (69, 0.5), (67, 2.0)]
        );
        let smf = Smf::parse(&bytes).unwrap();
        assert_eq!(smf.tracks.len(), 2);
        let has = |m: MetaMessage| {
            smf.tracks[0]
                .iter()
                .any(|e| e.kind == TrackEventKind::Meta(m))
        };
        assert!(has(MetaMessage::KeySignature(-1, true)));
        assert!(has(MetaMessage::TimeSignature(3, 2, 24, 8)));
        assert!(has(MetaMessage::Tempo(u24::new(500_000))));
        assert!(read_theme(b"not midi").is_err());
    }
}
