//! What a control message becomes: a plain request for the music, by name.

use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::Input;
use leitmotif_core::score::Sync;

/// A control action, resolved from one OSC or MIDI message by a [`Mapper`](crate::Mapper).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Set a parameter (in the score's units, already in its range).
    Parameter {
        /// The parameter's name.
        name: Arc<str>,
        /// Its new value.
        value: f32,
    },
    /// Request a cue.
    Cue(Arc<str>),
    /// Trigger a stinger.
    Stinger(Arc<str>),
    /// A tempo cue.
    Tempo {
        /// The new tempo.
        bpm: f64,
        /// Beats over which it ramps (0: a jump).
        ramp_beats: u32,
        /// Where it applies.
        sync: Sync,
    },
}

impl Action {
    /// The conductor input for `score` (names resolved to indices); `None` when the score has
    /// no such name (a score that changed since the mapper was made).
    pub fn to_input(&self, score: &Score) -> Option<Input> {
        Some(match self {
            Action::Parameter { name, value } => {
                Input::SetParameter(score.parameter_index(name)?, *value)
            }
            Action::Cue(name) => Input::RequestCue(score.cue_index(name)?),
            Action::Stinger(name) => {
                Input::Stinger(score.stingers.iter().position(|s| *s.name == **name)?)
            }
            Action::Tempo {
                bpm,
                ramp_beats,
                sync,
            } => Input::TempoCue {
                bpm: *bpm,
                ramp_beats: *ramp_beats,
                sync: sync.clone(),
            },
        })
    }
}
