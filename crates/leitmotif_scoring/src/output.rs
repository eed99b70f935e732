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

use crate::{Deliverables, FilmOptions, ScoringError, Summary, sample_of, score_film};

/// The files [`render_to_dir`] writes besides the `stems/` and `bridges/` folders.
pub const OUTPUTS: [&str; 4] = ["mix.wav", "cuesheet.csv", "timeline.png", "report.json"];

/// The first of [`OUTPUTS`] that exists in `dir`, if any (to refuse replacing earlier
/// outputs unless asked to).
pub fn existing_output(dir: &Path) -> Option<PathBuf> {
    OUTPUTS.iter().map(|o| dir.join(o)).find(|p| p.exists())
}

/// Where [`render_to_dir`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// The output folder (created if missing). Earlier outputs in it are replaced.
    pub out_dir: PathBuf,
    /// How `report.json` names the cut list (e.g. its path as the user gave it).
    pub cut_list_name: String,
}

/// What [`render_to_dir`] is doing, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Fitting cues to the picture and rendering the audio.
    Rendering,
    /// Writing the other deliverables and moving everything into place.
    Writing,
}

/// The WAV files being streamed: the mix, and one `stems/{i}.part` per stem.
struct Writers {
    mix: WavWriter,
    stems: Vec<WavWriter>,
}

/// Scores a film like [`score_film`] and writes `mix.wav` and `stems/*.wav` (24-bit broadcast
/// WAV, silent stems left out), `bridges/*.mid`, `cuesheet.csv`, `timeline.png` and
/// `report.json` into [`WriteOptions::out_dir`], replacing earlier outputs there.
///
/// All or nothing: everything is written into a temporary folder inside the output folder
/// (created when the first audio arrives, so a failure before that writes nothing) and renamed
/// into place once complete; after a failure the temporary folder is removed, and so is the
/// output folder if this call created it. `progress` hears each [`Stage`] as it starts.
pub fn render_to_dir(
    cut: &CutList,
    score: Score,
    spotting: &SpottingList,
    score_path: &Path,
    opts: &FilmOptions,
    out: &WriteOptions,
    progress: &mut dyn FnMut(Stage),
) -> Result<Summary, ScoringError> {
    static RUN: AtomicU64 = AtomicU64::new(0);
    progress(Stage::Rendering);
    let dir = &out.out_dir;
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
    };
    // A delivery loudness: a first render measures the mix (the render is deterministic, so
    // the second one, written with the gain, is the same music).
    let mut norm = match opts.loudness {
        Some(target) => {
            let mut meter = crate::loudness::Meter::new(sr);
            let mut sink = |_: u64, m: &[[f32; 2]], _: &[Vec<[f32; 2]>]| meter.add(m);
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
    let film = {
        let (mut mix_buf, mut stem_bufs) = (Vec::new(), Vec::<Vec<[f32; 2]>>::new());
        let mut sink = |_: u64, m: &[[f32; 2]], s: &[Vec<[f32; 2]>]| {
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
            return Err(e);
        }
    };
    progress(Stage::Writing);
    if let Err(e) = finish(&tmp, writers, &film.render.stem_names) {
        cleanup();
        return Err(e);
    }
    let deliverables = Deliverables {
        cut,
        spotting,
        film: &film,
        cut_list_name: &out.cut_list_name,
        loudness,
    };
    let result = deliverables.write(&tmp).and_then(|summary| {
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
        Ok(summary)
    });
    if result.is_err() {
        cleanup();
    }
    let _ = std::fs::remove_dir_all(&tmp);
    result
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
fn finish(tmp: &Path, writers: Option<Writers>, names: &[String]) -> Result<(), ScoringError> {
    let Some(Writers { mix, stems }) = writers else {
        return Err(ScoringError::NothingRendered);
    };
    mix.finish()
        .map_err(ScoringError::io(tmp.join("mix.wav")))?;
    for ((i, w), name) in stems.into_iter().enumerate().zip(names) {
        let part = part(tmp, i);
        if w.audible {
            w.finish().map_err(ScoringError::io(&part))?;
            let wav = tmp.join("stems").join(format!("{name}.wav"));
            std::fs::rename(&part, &wav).map_err(ScoringError::io(wav))?;
        } else {
            drop(w);
            std::fs::remove_file(&part).map_err(ScoringError::io(&part))?;
        }
    }
    Ok(())
}

/// The temporary file of stem `i`.
fn part(tmp: &Path, i: usize) -> PathBuf {
    tmp.join("stems").join(format!("{i}.part"))
}
