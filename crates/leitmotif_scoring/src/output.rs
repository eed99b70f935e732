//! Rendering into a folder, all or nothing: the mix and stems stream as broadcast WAV into a
//! temporary folder inside the output folder, the other deliverables follow, and only then is
//! everything renamed into place.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use leitmotif_core::Score;
use leitmotif_engine::wav::{Bext, WavFormat, WavWriter};
use leitmotif_film::CutList;
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::SpottingList;

use crate::export::preview::{self, PREVIEW};
use crate::{Credits, Deliverables, FilmOptions, ScoringError, Summary, sample_of, score_film};

/// The files [`render_to_dir`] always writes besides the `stems/` and `bridges/` folders
/// ([`PREVIEW`] too when given a picture).
pub const OUTPUTS: [&str; 6] = [
    "mix.wav",
    "cuesheet.csv",
    "timeline.png",
    "report.json",
    "music.edl",
    "music.otio",
];

/// The first of [`OUTPUTS`] (or [`PREVIEW`]) that exists in `dir`, if any (to refuse
/// replacing earlier outputs unless asked to).
pub fn existing_output(dir: &Path) -> Option<PathBuf> {
    OUTPUTS
        .iter()
        .chain([&PREVIEW])
        .map(|o| dir.join(o))
        .find(|p| p.exists())
}

/// Where [`render_to_dir`] writes, and what it writes besides the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOptions {
    /// The output folder (created if missing). Earlier outputs in it are replaced.
    pub out_dir: PathBuf,
    /// How `report.json` names the cut list (e.g. its path as the user gave it).
    pub cut_list_name: String,
    /// Composers, publishers and usage for `cuesheet.csv`; without them every cue's composer
    /// is "unknown" and its usage BI, and `report.json` says so.
    pub credits: Option<Credits>,
    /// The cut's picture: writes [`PREVIEW`], the mix under it with burnt-in timecode and
    /// cue names (needs ffmpeg). Without one, an earlier preview in the folder is removed
    /// with the other earlier outputs (it would not match the new mix).
    pub picture: Option<PathBuf>,
}

impl WriteOptions {
    /// Writing into `out_dir`, the cut list named `cut_list_name`, with no credits and no
    /// picture.
    pub fn new(out_dir: impl Into<PathBuf>, cut_list_name: impl Into<String>) -> Self {
        WriteOptions {
            out_dir: out_dir.into(),
            cut_list_name: cut_list_name.into(),
            credits: None,
            picture: None,
        }
    }
}

/// What [`render_to_dir`] is doing, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Rendering once to measure the mix's loudness (only with [`FilmOptions::loudness`]).
    Measuring,
    /// Fitting cues to the picture, rendering the audio and writing it.
    Rendering,
    /// Writing the other deliverables and moving everything into place.
    Writing,
}

/// How far [`render_to_dir`] has got, for progress display: heard as each [`Stage`] starts
/// and after each rendered block (a few hundred times a second of audio: keep the callback
/// cheap, or throttle it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// What it is doing.
    pub stage: Stage,
    /// Sample frames rendered so far, counting every pass: with a measuring pass the film
    /// is rendered twice, and `done` goes on from the first pass's `total / 2`.
    pub done: u64,
    /// Sample frames to render in all (picture plus tail, twice with a measuring pass);
    /// `done == total` once the audio is complete ([`Stage::Writing`]).
    pub total: u64,
}

impl Progress {
    /// `done` as a fraction of `total`, 0..=1.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        }
    }
}

/// The sample frames [`score_film`] renders: the picture plus the tail.
fn render_frames(cut: &CutList, opts: &FilmOptions) -> u64 {
    let sr = opts.sample_rate;
    sample_of(cut.rate, cut.duration_frames(), sr).max(0) as u64
        + (opts.tail_seconds * sr as f64) as u64
}

/// The WAV files being streamed: the mix, and one `stems/{i}.part` per stem.
struct Writers {
    mix: WavWriter,
    stems: Vec<WavWriter>,
}

/// Scores a film like [`score_film`] and writes `mix.wav` and `stems/*.wav` (24-bit broadcast
/// WAV, silent stems left out), `bridges/*.mid`, `cuesheet.csv`, `timeline.png`,
/// `report.json`, `music.edl`, `music.otio` and, given a picture, [`PREVIEW`] into
/// [`WriteOptions::out_dir`], replacing earlier outputs there. A picture is checked (and
/// ffmpeg looked for) before anything is rendered.
///
/// All or nothing: everything is written into a temporary folder inside the output folder
/// (created when the first audio arrives, so a failure before that writes nothing) and renamed
/// into place once complete; after a failure the temporary folder is removed, and so is the
/// output folder if this call created it. `progress` hears how far it has got
/// ([`Progress`]).
///
/// `timeline.png` gets a loudness lane: the short-term loudness of the mix as written (after
/// normalisation when asked for), measured while it streams.
pub fn render_to_dir(
    cut: &CutList,
    score: Score,
    spotting: &SpottingList,
    score_path: &Path,
    opts: &FilmOptions,
    out: &WriteOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, ScoringError> {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let frames = render_frames(cut, opts);
    let passes = if opts.loudness.is_some() { 2 } else { 1 };
    let total = frames * passes;
    let first = if passes == 2 {
        Stage::Measuring
    } else {
        Stage::Rendering
    };
    progress(Progress {
        stage: first,
        done: 0,
        total,
    });
    let dir = &out.out_dir;
    let picture = match &out.picture {
        Some(p) => Some((p, preview::probe(p)?)),
        None => None,
    };
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".leitmotif-tmp-{}-{run}", std::process::id()));
    let out_existed = dir.exists();
    let sr = opts.sample_rate;
    let bext = Bext {
        description: format!(
            "Leitmotif score \"{}\" for {}",
            score.name,
            cut.title.as_deref().unwrap_or("untitled")
        ),
        originator: "Leitmotif".into(),
        time_reference: sample_of(cut.rate, timeline_start(cut), sr).max(0) as u64,
        // No origination date or time: the same inputs and seed give the same bytes. The
        // writers measure the loudness fields of each file.
        ..Bext::default()
    };
    // A delivery loudness: a first render measures the mix (the render is deterministic, so
    // the second one, written with the gain, is the same music).
    let mut norm = match opts.loudness {
        Some(target) => {
            let mut meter = crate::loudness::Meter::new(sr);
            let mut sink = |pos: u64, m: &[[f32; 2]], _: &[Vec<[f32; 2]>]| {
                meter.add(m);
                progress(Progress {
                    stage: Stage::Measuring,
                    done: pos + m.len() as u64,
                    total,
                });
            };
            score_film(
                cut,
                score.clone(),
                spotting,
                score_path,
                opts,
                Some(&mut sink),
            )?;
            let measured = meter.integrated();
            Some((
                crate::loudness::Normaliser::new(target, measured, sr),
                measured,
                target,
            ))
        }
        None => None,
    };
    let mut writers: Option<Writers> = None;
    let mut io_error: Option<ScoringError> = None;
    // The written mix's short-term loudness, for the timeline picture.
    let mut curve = crate::loudness::CurveMeter::new(sr);
    let done_before = total - frames;
    if passes == 2 {
        progress(Progress {
            stage: Stage::Rendering,
            done: done_before,
            total,
        });
    }
    let film = {
        let (mut mix_buf, mut stem_bufs) = (Vec::new(), Vec::<Vec<[f32; 2]>>::new());
        let mut sink = |pos: u64, m: &[[f32; 2]], s: &[Vec<[f32; 2]>]| {
            progress(Progress {
                stage: Stage::Rendering,
                done: done_before + pos + m.len() as u64,
                total,
            });
            let (m, s) = match norm.as_mut() {
                Some((n, ..)) => {
                    n.process(m, &mut mix_buf);
                    stem_bufs.resize_with(s.len(), Vec::new);
                    for (b, x) in stem_bufs.iter_mut().zip(s) {
                        n.gain_only(x, b);
                    }
                    (&mix_buf[..], &stem_bufs[..])
                }
                None => (m, s),
            };
            curve.add(m);
            if io_error.is_none()
                && let Err(e) = stream(&tmp, &bext, sr, &mut writers, m, s)
            {
                io_error = Some(e);
            }
        };
        score_film(cut, score, spotting, score_path, opts, Some(&mut sink))
    };
    // The limiter's look-ahead: its last frames.
    if let (Some((n, ..)), Some(w), None) = (norm.as_mut(), writers.as_mut(), &io_error) {
        let mut rest = Vec::new();
        n.flush(&mut rest);
        curve.add(&rest);
        if let Err(e) = w.mix.write(&rest) {
            io_error = Some(ScoringError::io(tmp.join("mix.wav"))(e));
        }
    }
    let loudness = norm
        .as_ref()
        .map(|(n, measured, target)| crate::loudness::LoudnessReport {
            target: *target,
            measured_lufs: *measured,
            gain_db: n.gain_db(),
            integrated_lufs: n.after.integrated(),
            true_peak_db: n.after.true_peak_db(),
            range_lu: n.after.range(),
        });
    let cleanup = || {
        let _ = std::fs::remove_dir_all(&tmp);
        if !out_existed {
            let _ = std::fs::remove_dir(dir);
        }
    };
    let film = match (film, io_error) {
        (Ok(film), None) => film,
        (Err(e), _) | (Ok(_), Some(e)) => {
            drop(writers);
            cleanup();
            return Err(relocated(e, &tmp, dir));
        }
    };
    progress(Progress {
        stage: Stage::Writing,
        done: total,
        total,
    });
    let curve = curve.finish();
    let stems = match finish(&tmp, writers, &film.render.stem_names) {
        Ok(stems) => stems,
        Err(e) => {
            cleanup();
            return Err(relocated(e, &tmp, dir));
        }
    };
    let deliverables = Deliverables {
        cut,
        spotting,
        film: &film,
        cut_list_name: &out.cut_list_name,
        loudness,
        loudness_curve: Some(&curve),
        credits: out.credits.as_ref(),
        stems: &stems,
        picture: picture.map(|(p, _)| p.as_path()),
    };
    let result = deliverables.write(&tmp).and_then(|summary| {
        if let Some((p, pic)) = picture {
            let cues = crate::export::cues(&film.placed);
            let seconds = film.frames as f64 / sr as f64;
            preview::write(&tmp, p, pic, cut.rate, timeline_start(cut), &cues, seconds)?;
        }
        // Replace earlier outputs only now that every new one is complete.
        for entry in ["stems", "bridges"] {
            let dst = dir.join(entry);
            if dst.exists() {
                std::fs::remove_dir_all(&dst).map_err(ScoringError::io(&dst))?;
            }
            std::fs::rename(tmp.join(entry), &dst).map_err(ScoringError::io(&dst))?;
        }
        for o in OUTPUTS {
            let dst = dir.join(o);
            std::fs::rename(tmp.join(o), &dst).map_err(ScoringError::io(&dst))?;
        }
        // The new preview, or none: an earlier one would not match the new mix.
        let dst = dir.join(PREVIEW);
        if picture.is_some() {
            std::fs::rename(tmp.join(PREVIEW), &dst).map_err(ScoringError::io(&dst))?;
        } else if dst.exists() {
            std::fs::remove_file(&dst).map_err(ScoringError::io(&dst))?;
        }
        Ok(summary)
    });
    if result.is_err() {
        cleanup();
    }
    let _ = std::fs::remove_dir_all(&tmp);
    result.map_err(|e| relocated(e, &tmp, dir))
}

/// An I/O error about a file in the temporary folder names the output it was to become
/// (`out/mix.wav: No space left on device`), not the folder that is gone by now.
fn relocated(e: ScoringError, tmp: &Path, dir: &Path) -> ScoringError {
    match e {
        ScoringError::Io { path, error } => match path.strip_prefix(tmp) {
            Ok(inside) => ScoringError::Io {
                path: dir.join(inside),
                error,
            },
            Err(_) => ScoringError::Io { path, error },
        },
        e => e,
    }
}

/// Appends one block to the WAV files, creating the temporary folder and the files on the
/// first block.
fn stream(
    tmp: &Path,
    bext: &Bext,
    sr: u32,
    writers: &mut Option<Writers>,
    m: &[[f32; 2]],
    s: &[Vec<[f32; 2]>],
) -> Result<(), ScoringError> {
    let create = |path: PathBuf| {
        WavWriter::create(&path, sr, WavFormat::Int24, Some(bext)).map_err(ScoringError::io(path))
    };
    let w = match writers {
        Some(w) => w,
        None => {
            for sub in ["stems", "bridges"] {
                let d = tmp.join(sub);
                std::fs::create_dir_all(&d).map_err(ScoringError::io(d))?;
            }
            let mix = create(tmp.join("mix.wav"))?;
            let stems = (0..s.len())
                .map(|i| create(part(tmp, i)))
                .collect::<Result<Vec<_>, _>>()?;
            writers.insert(Writers { mix, stems })
        }
    };
    w.mix
        .write(m)
        .map_err(ScoringError::io(tmp.join("mix.wav")))?;
    for (i, (w, x)) in w.stems.iter_mut().zip(s).enumerate() {
        w.write(x).map_err(ScoringError::io(part(tmp, i)))?;
    }
    Ok(())
}

/// Completes the WAV files: audible stems are renamed after their layer, silent ones removed.
/// Returns the names of the stems written (`stems/<name>.wav`).
fn finish(
    tmp: &Path,
    writers: Option<Writers>,
    names: &[String],
) -> Result<Vec<String>, ScoringError> {
    let Some(Writers { mix, stems }) = writers else {
        return Err(ScoringError::NothingRendered);
    };
    mix.finish()
        .map_err(ScoringError::io(tmp.join("mix.wav")))?;
    let mut written = Vec::new();
    for ((i, w), name) in stems.into_iter().enumerate().zip(names) {
        let part = part(tmp, i);
        if w.audible {
            w.finish().map_err(ScoringError::io(&part))?;
            let wav = tmp.join("stems").join(format!("{name}.wav"));
            std::fs::rename(&part, &wav).map_err(ScoringError::io(wav))?;
            written.push(name.clone());
        } else {
            drop(w);
            std::fs::remove_file(&part).map_err(ScoringError::io(&part))?;
        }
    }
    Ok(written)
}

/// The temporary file of stem `i`.
fn part(tmp: &Path, i: usize) -> PathBuf {
    tmp.join("stems").join(format!("{i}.part"))
}
