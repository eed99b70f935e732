//! What game code reads about the music: a snapshot the planner publishes after every plan,
//! and the levels the audio side publishes through atomics.

use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::SourceRef;
use leitmotif_core::time::Position;
use leitmotif_engine::meter::Level;
use leitmotif_engine::{Overloads, Shared};

/// A transition waiting for its sync point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pending {
    /// The cue it goes to (index into the score's cues).
    pub cue: usize,
    /// The musical position of the sync point.
    pub at: Position,
    /// The global frame of the sync point.
    pub frame: u64,
}

/// The state of the music as last planned (read-only; see [`Music::snapshot`](crate::Music::snapshot)).
#[derive(Debug, Clone, Default)]
pub struct MusicSnapshot {
    /// The next frame the output will render when this was taken.
    pub clock: u64,
    /// How far the plan reached (global frame).
    pub horizon: u64,
    /// The output sample rate.
    pub sample_rate: u32,
    /// The score playing.
    pub score: Option<Arc<Score>>,
    /// The cue playing (or being bridged from).
    pub current_cue: Option<usize>,
    /// Each parameter's heard value (after its seek speed), in score order.
    pub heard: Vec<f32>,
    /// The planned gain of every playing voice.
    pub voice_gains: Vec<(SourceRef, f32)>,
    /// The transition waiting for its sync point.
    pub pending: Option<Pending>,
    /// Each snapshot of the score and its intensity in force (the game's request plus the
    /// playing cue's, at most 1), in score order.
    pub snapshots: Vec<(String, f32)>,
    pub(crate) shared: Option<Arc<Shared>>,
}

impl MusicSnapshot {
    /// Peak level of the last block the output rendered (before the master volume).
    pub fn peak(&self) -> f32 {
        self.shared.as_ref().map_or(0.0, |s| s.peak())
    }

    /// RMS level of the last block the output rendered.
    pub fn rms(&self) -> f32 {
        self.shared.as_ref().map_or(0.0, |s| s.rms())
    }

    /// Each layer's measured level (peak since the last read, RMS of the last block), by
    /// layer name, while the plugin's `meters` is on (zeros otherwise). Reading resets the
    /// peaks: read once per frame in one system (a meter), and share what it read.
    pub fn layer_levels(&self) -> Vec<(String, Level)> {
        self.shared.as_ref().map_or_else(Vec::new, |s| {
            s.layer_levels()
                .into_iter()
                .map(|(n, l)| (n.to_string(), l))
                .collect()
        })
    }

    /// Each bus's measured level (the master first; with no `mix`, the master is the
    /// output), with its sidechain's attenuation at the end of the last block. Reading resets
    /// the peaks, as for [`layer_levels`](Self::layer_levels).
    pub fn bus_levels(&self) -> Vec<(String, Level)> {
        self.shared.as_ref().map_or_else(Vec::new, |s| {
            s.bus_levels()
                .into_iter()
                .map(|(n, l)| (n.to_string(), l))
                .collect()
        })
    }

    /// The output's short-term (3 s) loudness in LUFS, while the plugin's `meters` is on
    /// (−∞ for silence or with meters off).
    pub fn short_term_lufs(&self) -> f32 {
        self.shared
            .as_ref()
            .map_or(f32::NEG_INFINITY, |s| s.short_term_lufs())
    }

    /// The output's momentary (400 ms) loudness in LUFS, while `meters` is on.
    pub fn momentary_lufs(&self) -> f32 {
        self.shared
            .as_ref()
            .map_or(f32::NEG_INFINITY, |s| s.momentary_lufs())
    }

    /// What the mixer could not do so far (a full voice pool, late actions, …).
    pub fn overloads(&self) -> Overloads {
        self.shared
            .as_ref()
            .map_or_else(Overloads::default, |s| s.overloads())
    }

    /// Whether a bug on the audio thread silenced the music (reported, never a dead stream).
    pub fn failed(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.failed())
    }
}
