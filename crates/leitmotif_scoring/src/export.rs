//! Post-production exports of a render: the music-cue EDL and the OpenTimelineIO timeline
//! (for the editor's and the dubbing stage's timelines), the PRO cue sheet, and the preview
//! of the mix under the picture.

pub(crate) mod cuesheet;
pub(crate) mod edl;
pub(crate) mod otio;
pub(crate) mod preview;

use std::path::Path;

use leitmotif_engine::wav::write_atomic;
use leitmotif_film::autospot::timeline_start;
use serde_json::{Value, json};

use crate::credits::CueCredits;
use crate::{Deliverables, Placed, ScoringError};

/// The mix as [`crate::render_to_dir`] writes it, which the EDL and OTIO timeline point at.
pub(crate) const MIX: &str = "mix.wav";

/// One placed cue, as the exports see it. Frames count from the timeline's first frame (the
/// mix's first sample).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cue<'a> {
    /// Its number on the cue sheet, "M01" for the first.
    pub number: String,
    /// The cue as placed (`chase@92.0` for a tempo variant).
    pub name: &'a str,
    /// Title for the cue sheet.
    pub title: &'a str,
    /// First frame.
    pub start: i64,
    /// Frame after the last.
    pub end: i64,
    /// Tempo from bar 1.
    pub bpm: f64,
    /// The composer's spotting note.
    pub note: Option<&'a str>,
}

/// The placed cues in cue-sheet order.
pub(crate) fn cues(placed: &[Placed]) -> Vec<Cue<'_>> {
    placed
        .iter()
        .enumerate()
        .map(|(i, p)| Cue {
            number: format!("M{:02}", i + 1),
            name: &p.cue,
            title: &p.title,
            start: p.start,
            end: p.end,
            bpm: p.bpm,
            note: p.note.as_deref(),
        })
        .collect()
}

/// Text on one line, as EDL comments and burnt-in titles need it.
pub(crate) fn one_line(t: &str) -> String {
    t.split(['\r', '\n']).collect::<Vec<_>>().join(" ")
}

/// Writes `cuesheet.csv`, `music.edl` and `music.otio` into `dir` (each atomically) and
/// returns what `report.json` says of the credits and the exports.
pub(crate) fn write(d: &Deliverables, dir: &Path) -> Result<Value, ScoringError> {
    let (cut, film) = (d.cut, d.film);
    let (rate, origin) = (cut.rate, timeline_start(cut));
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        write_atomic(&path, bytes).map_err(ScoringError::io(path))
    };
    let cues = cues(&film.placed);
    let credits = match d.credits {
        Some(c) => c.resolve(&cues.iter().map(|c| c.name).collect::<Vec<_>>())?,
        None => vec![CueCredits::unknown(); cues.len()],
    };
    write(
        "cuesheet.csv",
        &cuesheet::cue_sheet(&cues, &credits, rate, origin),
    )?;
    let title = format!(
        "{} - {} (music)",
        cut.title.as_deref().unwrap_or("untitled"),
        film.score.name
    );
    write(
        "music.edl",
        edl::music_edl(&title, rate, origin, &cues).as_bytes(),
    )?;
    // The files' length in whole picture frames.
    let media_frames = (film.frames as u128 * rate.num() as u128
        / (film.sample_rate as u128 * rate.den() as u128)) as i64;
    let timeline = otio::music_otio(&title, rate, origin, media_frames, &cues, d.stems);
    write("music.otio", timeline.as_bytes())?;
    let names = |p: &[crate::credits::Party]| p.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    Ok(json!({
        "credits": {
            "file": d.credits.map(|c| c.path().display().to_string()),
            "note": match d.credits {
                Some(_) => Value::Null,
                None => json!("no credits file: every cue's composer is \"unknown\" and its usage BI (pass --credits FILE)"),
            },
            "cues": cues.iter().zip(&credits).map(|(c, k)| json!({
                "number": c.number,
                "usage": k.usage.code(),
                "composers": names(&k.composers),
                "publishers": names(&k.publishers),
            })).collect::<Vec<_>>(),
        },
        "exports": {
            "edl": "music.edl",
            "otio": "music.otio",
            "stems": d.stems,
            "picture": d.picture.map(|p| p.display().to_string()),
            "preview": d.picture.map(|_| preview::PREVIEW),
        },
    }))
}
