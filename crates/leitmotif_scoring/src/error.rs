//! What can go wrong scoring a film.

use std::path::PathBuf;

use leitmotif_engine::LoadError;
use leitmotif_film::SpotError;

/// An error of the film pipeline. Each message names the file it is about and carries the
/// cause's text, so the cause is not repeated as [`std::error::Error::source`];
/// [`ScoringError::is_input_error`] tells mistakes in the inputs from failures to write.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScoringError {
    /// A stem or other source of the score could not be loaded or made.
    #[error("{}: {error}", score.display())]
    Bank {
        /// The score file.
        score: PathBuf,
        /// Why.
        error: LoadError,
    },
    /// The spotting list names a cue the score does not have.
    #[error("{}:{line}: unknown cue \"{cue}\" (hint: the score has {})", file.display(), known.join(", "))]
    UnknownCue {
        /// The spotting list (or the cut list it was spotted from).
        file: PathBuf,
        /// 1-based line of the entry.
        line: usize,
        /// The name it gave.
        cue: String,
        /// The score's cues.
        known: Vec<String>,
    },
    /// The spotting list names a parameter the score does not have.
    #[error("{}:{line}: unknown parameter \"{param}\" (hint: {})", file.display(), parameter_hint(known))]
    UnknownParameter {
        /// The spotting list.
        file: PathBuf,
        /// 1-based line of the entry.
        line: usize,
        /// The name it gave.
        param: String,
        /// The score's parameters.
        known: Vec<String>,
    },
    /// The spotting list cannot be fitted to the score: a cue to be chosen from a note whose
    /// note has no mood word, or a score none of whose cues has a `mood` (the error is
    /// located in the spotting list).
    #[error("{error}")]
    Spotting {
        /// What is wrong, where (boxed: it is large, and errors are the cold path).
        error: Box<SpotError>,
    },
    /// Reading or writing a file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The credits file (`--credits`) cannot be read or is wrong (the error is located in it).
    #[error("{error}")]
    Credits {
        /// What is wrong, where.
        error: Box<crate::credits::CreditsError>,
    },
    /// The preview under the picture (`--picture`) cannot be made: the picture is missing or
    /// unreadable, or ffmpeg (or its font) is not installed.
    #[error("{}: {message} (hint: {hint})", path.display())]
    Preview {
        /// The picture, or the tool that is missing.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// A stem broke while it streamed into the render (deleted, unreadable or truncated):
    /// the render is not what the score says, so nothing is written.
    #[error(
        "{fault} (hint: restore or re-export the file; with `load: Memory` on its layer, `leitmotif check --stems` decodes it whole and finds this before a render)"
    )]
    Stream {
        /// The file, where reading stopped, and why.
        fault: leitmotif_engine::StreamFault,
    },
    /// The render produced no audio at all: the picture is 0 frames long and there is no tail.
    #[error("nothing was rendered: the picture is 0 frames long and the tail is 0 s")]
    NothingRendered,
}

impl ScoringError {
    /// Whether this is a mistake in the inputs (score, stems, spotting list, credits, picture
    /// or a missing ffmpeg for it) the user can fix, rather than a failure to write the
    /// outputs.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            ScoringError::Bank { .. }
                | ScoringError::UnknownCue { .. }
                | ScoringError::UnknownParameter { .. }
                | ScoringError::Spotting { .. }
                | ScoringError::Credits { .. }
                | ScoringError::Preview { .. }
                | ScoringError::Stream { .. }
        )
    }

    /// An [`ScoringError::Io`] error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ScoringError {
        let path = path.into();
        move |error| ScoringError::Io { path, error }
    }
}

fn parameter_hint(known: &[String]) -> String {
    if known.is_empty() {
        "the score has no parameters".to_string()
    } else {
        format!("the score has {}", known.join(", "))
    }
}
