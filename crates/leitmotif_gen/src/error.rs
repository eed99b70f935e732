//! The crate's error type.

use crate::theory::TheoryError;

/// Everything that can go wrong while generating music.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// A chord, key or note symbol could not be parsed (the error names the text).
    #[error(transparent)]
    Theory(#[from] TheoryError),
    /// The part cannot be played by this instrument or in this context.
    #[error("unsupported part: {0}")]
    UnsupportedPart(String),
    /// A `SoundFont` instrument was requested but no `SoundFont` is loaded.
    #[error("SoundFont missing: {0}")]
    SoundfontMissing(String),
    /// A layer context or bridge request has out-of-range values.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A MIDI file could not be read or holds no usable notes.
    #[error("MIDI: {0}")]
    Midi(String),
    /// A style model or the MIDI files it is trained on could not be read (the error names the
    /// file).
    #[error("style: {0}")]
    Style(String),
}
