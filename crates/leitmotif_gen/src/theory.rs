//! Music theory: pitch classes, keys and modes, chord symbols, roman-numeral analysis and
//! voice leading.
//!
//! ```
//! use leitmotif_gen::theory::{Chord, Key};
//! let key = Key::parse("C major").unwrap();
//! let chord = Chord::parse("G7").unwrap();
//! assert_eq!(key.roman(&chord), "V7");
//! ```

mod analysis;
mod chord;
mod key;
mod pitch;
mod voicing;

pub use chord::{Chord, ChordQuality};
pub use key::{Key, Mode};
pub use pitch::PitchClass;
pub use voicing::{voice_chord, voice_lead};

/// A symbol that could not be parsed, with the offending text and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TheoryError {
    /// A note name such as `"H#"`.
    #[error("bad note name {text:?}: {hint}")]
    BadNote {
        /// The text that failed.
        text: String,
        /// What would have been accepted.
        hint: String,
    },
    /// A chord symbol such as `"Cmaj13#11"`.
    #[error("bad chord symbol {text:?}: {hint}")]
    BadChord {
        /// The text that failed.
        text: String,
        /// What would have been accepted.
        hint: String,
    },
    /// A key such as `"D locrian"`.
    #[error("bad key {text:?}: {hint}")]
    BadKey {
        /// The text that failed.
        text: String,
        /// What would have been accepted.
        hint: String,
    },
}
