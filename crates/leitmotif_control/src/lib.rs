//! Live control for Leitmotif: OSC (UDP) and MIDI input mapped to parameters, cue requests,
//! stingers and tempo cues by a mapping file (`*.control.ron`, see `docs/live-control.md`).
//!
//! * [`ControlMap`] is the file: parsed with located errors (`file:line:column`, a hint).
//! * [`Mapper`] is a map checked against a score (every name it uses exists): it turns OSC
//!   packets ([`Mapper::osc_packet`], decoded by `rosc`) and MIDI messages
//!   ([`Mapper::midi_message`], decoded by `midly`; raw streams through [`MidiStream`]) into
//!   [`Action`]s, and counts what it received, applied and refused in [`Counters`]. Bad input
//!   is counted and ignored, never a panic.
//! * [`OscListener`] (a UDP thread) and [`MidiListener`] (a `midir` input port) run a mapper
//!   on what arrives and hand the actions to a sink closure on their own thread. Nothing here
//!   runs on the audio thread: the Bevy plugin and `leitmotif live` forward the actions to
//!   their planner, which applies them at the first control block it has not planned yet.
//!
//! ```
//! use leitmotif_control::{Action, ControlMap, Counters, Mapper};
//! let score = leitmotif_core::Score::from_ron(r#"Score(name: "S", tempo: (bpm: 120.0, meter: (4, 4)),
//!     parameters: [(name: "tension")], initial_cue: "a",
//!     cues: [(name: "a", bars: 1, layers: [(name: "l", source: Generated((instrument: Pad, part: Chords)))])])"#, None).unwrap();
//! let map = ControlMap::from_ron(r#"Control(midi: [(cc: 1, to: Parameter("tension"))])"#, None).unwrap();
//! let mapper = Mapper::new(&map, &score).unwrap();
//! let (counters, mut got) = (Counters::default(), Vec::new());
//! mapper.midi_message(&[0xB0, 1, 127], &counters, &mut |a| got.push(a));
//! assert!(matches!(&got[..], [Action::Parameter { value, .. }] if *value == 1.0));
//! ```

#![expect(
    clippy::result_large_err,
    reason = "a mapping error is made once, at load, and carries its location and hint"
)]

mod action;
mod error;
mod listen;
mod map;
mod mapper;
mod midi;
mod osc;
mod stats;

pub use action::Action;
pub use error::{MapError, MapErrorKind};
pub use listen::{MidiError, MidiListener, OscListener, Sink, midi_ports};
pub use map::{ControlMap, MAX_MAP_BYTES, MidiBinding, OscBinding, Target};
pub use mapper::{Mapper, TEMPO_RANGE};
pub use midi::{MidiStream, Piece};
pub use osc::MAX_BUNDLE_DEPTH;
pub use stats::{Counters, Refusal, Stats};
