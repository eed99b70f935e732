//! Leitmotif's core: the score format, musical time and the deterministic conductor.
//!
//! Nothing here touches an audio device or a file other than the score itself. The data path is
//! `Score` → [`conductor::Conductor`] → a plan of [`conductor::Action`]s at exact frames → the
//! engine (`leitmotif_engine`), live or offline.

pub mod conductor;
pub mod score;
pub mod time;

pub use score::{Score, ScoreError};
