//! Leitmotif's core: the score format, musical time and the deterministic conductor.
//!
//! Nothing here touches an audio device or a file other than the score itself. The data path is
//! `Score` → [`conductor::Conductor`] → a plan of [`conductor::Action`]s at exact frames → the
//! engine (`leitmotif_engine`), live or offline.
#![allow(
    clippy::result_large_err,
    reason = "a score error carries file, position, item and hint; it is built only on the failure path"
)]

pub mod conductor;
pub mod score;
pub mod time;
pub mod timing;

pub use score::{Score, ScoreError};
