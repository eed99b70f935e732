//! Generative music for Leitmotif.
//!
//! * [`theory`]: pitch classes, keys, chord symbols, roman-numeral analysis and voice leading.
//! * [`synth`]: deterministic built-in instruments (pad, bass, pluck, keys, lead, bell, strings,
//!   drum kit) rendering note lists to a [`StereoBuffer`], and `SoundFont` presets through
//!   `rustysynth`.
//! * [`layer`]: generated cue layers ([`leitmotif_core::score::Generated`]) rendered to audio of an
//!   exact frame count with a seamless loop body.
//! * [`bridge`]: run-time composed transitions between two cues, plus [`bridge::stem_effects`]
//!   that make transition material from recorded audio.
//! * [`style`]: a variable-order Markov style model for melodies and chord functions.
//! * [`midi`]: Standard MIDI File output and theme import.
//!
//! Everything is deterministic: the same inputs and seed give bit-identical results.

pub mod bridge;
mod error;
pub mod layer;
pub mod midi;
mod rng;
pub mod style;
pub mod synth;
pub mod theory;

pub use bridge::{
    BridgeRequest, BridgeScore, Note, Voice, bridge_request, compose_bridge, render_bridge,
    stem_effects,
};
pub use error::GenError;
pub use layer::{
    LayerContext, LiveComposition, compose_live, render_layer, render_layer_with, render_live_note,
};
/// A loaded `SoundFont` (from `rustysynth`), for [`render_layer_with`].
pub use rustysynth::SoundFont;
pub use synth::{NoteEvent, StereoBuffer, load_soundfont, render_notes, render_soundfont};
pub use theory::{Chord, ChordQuality, Key, Mode, PitchClass, TheoryError, voice_lead};
