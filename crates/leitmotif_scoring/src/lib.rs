//! Film scoring as a library: fit a score to a cut list and a spotting list, render it offline
//! and write the deliverables (mix and stems as broadcast WAV, cue sheet, timeline picture,
//! report, bridges as MIDI, the music-cue EDL and OpenTimelineIO timeline, and with a
//! picture the preview of the mix under it).
//!
//! - [`score_film`] places the spotted cues on the picture, solves their tempos for the hits
//!   and renders, streaming the audio to a sink (or into memory without one).
//! - [`render_to_dir`] does the same and writes every deliverable into a folder, all or
//!   nothing: a failed run leaves no output and no temporary file behind.
//! - [`Deliverables`] writes the non-audio deliverables of a render into a folder.
//! - [`Credits`] reads the composers, publishers and usage of the cues for the cue sheet.
//! - [`check_spotting`] refuses a spotting list that names cues or parameters the score
//!   lacks ([`score_film`] skips them), or whose note-only cue entries cannot be given a
//!   cue; [`resolve_spotting`] chooses those cues from the notes' moods.
//!
//! Spotting frames count from the timeline's first frame
//! ([`leitmotif_film::autospot::timeline_start`]).

pub mod credits;
mod deliver;
mod error;
mod export;
mod inputs;
pub mod loudness;
mod output;
mod picture;
mod place;
mod render;
mod residual;

use leitmotif_core::Score;
use leitmotif_film::FrameRate;

pub use credits::Credits;
pub use deliver::{Deliverables, Summary};
pub use error::ScoringError;
pub use export::preview::PREVIEW;
pub use inputs::{check_spotting, resolve_spotting};
pub use output::{OUTPUTS, Progress, Stage, WriteOptions, existing_output, render_to_dir};
pub use place::Placed;
pub use render::{FilmRender, score_film};
pub use residual::HitResidual;

/// Sample rate of film renders unless [`FilmOptions::sample_rate`] says otherwise.
pub const DEFAULT_SAMPLE_RATE: u32 = 48_000;

/// How a film is rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct FilmOptions {
    /// Output sample rate (stems are resampled to it).
    pub sample_rate: u32,
    /// Seed for everything random.
    pub seed: u64,
    /// Seconds of music after the last picture frame (ring-out, faded to silence).
    pub tail_seconds: f64,
    /// Accept stem paths outside the score's folder (absolute or with `..`). Off by default,
    /// for scores from elsewhere; a command line run on the user's own files turns it on.
    pub allow_outside_stems: bool,
    /// Normalise the written mix to a delivery loudness under a true-peak ceiling (see
    /// [`loudness`]); `None` writes it as rendered.
    pub loudness: Option<loudness::LoudnessTarget>,
    /// How far the fitter may move a cue's tempo to meet hits and out-points, as a fraction
    /// of its written tempo (0.08: ±8 %). Recorded stems are time-stretched that much.
    pub tempo_range: f64,
}

impl Default for FilmOptions {
    fn default() -> Self {
        FilmOptions {
            sample_rate: DEFAULT_SAMPLE_RATE,
            seed: 1,
            tail_seconds: 3.0,
            allow_outside_stems: false,
            loudness: None,
            tempo_range: 0.08,
        }
    }
}

/// Composes a bridge of `bars` bars from cue `from` to cue `to` (what a generated bridge
/// between them would play, in the score's `style` when given — see
/// [`leitmotif_engine::bank::load_style`]), e.g. to write it as MIDI.
pub fn compose_bridge(
    score: &Score,
    style: Option<std::sync::Arc<leitmotif_gen::style::StyleModel>>,
    from: usize,
    to: usize,
    bars: u32,
    seed: u64,
) -> Result<leitmotif_gen::BridgeScore, leitmotif_gen::GenError> {
    let mut req = leitmotif_gen::bridge_request(score, from, to, score.cues[from].bars, bars);
    req.style = style;
    leitmotif_gen::compose_bridge(&req, seed)
}

/// Seconds of a timeline frame.
pub(crate) fn secs(rate: FrameRate, frames: i64) -> f64 {
    rate.frames_to_seconds(frames)
}

/// Output sample frame of a timeline frame at `sample_rate` (exact for integer rates).
pub(crate) fn sample_of(rate: FrameRate, frames: i64, sample_rate: u32) -> i64 {
    (frames as i128 * sample_rate as i128 * rate.den() as i128 / rate.num() as i128) as i64
}
