//! Generative music for Leitmotif (work in progress: theory and synth so far).
mod error;
mod rng;
pub mod synth;
pub mod theory;
pub use error::GenError;
