//! Loading a bank: every source of a score made on all cores at once, assembled in the
//! score's order (so the first error is the same on every run and names its item).

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use leitmotif_core::Score;
use leitmotif_core::score::{Cue, Instrument, Load, Source};
use leitmotif_core::timing;
use leitmotif_gen::style::StyleModel;

use super::{
    BankOptions, Clip, LoadError, SourceBank, Stem, cache, cue_frames, generated, resample,
};
use crate::stream::StreamClip;

/// One source to make.
struct Job<'a> {
    cue: Option<&'a Cue>,
    source: &'a Source,
    load: Load,
    item: String,
    frames: usize,
    /// A segment's own chords (cue layers use their cue's).
    chords: Option<&'a [String]>,
}

pub(super) fn load(score: &Score, opts: &BankOptions) -> Result<SourceBank, LoadError> {
    let mut warnings = Vec::new();
    let themes = resolve_themes(score, opts)?;
    // Generated parts read their cue's theme from the score: a theme given only as a MIDI
    // file gets the notes read from it.
    let resolved;
    let score = if score
        .themes
        .iter()
        .zip(&themes)
        .any(|(t, notes)| t.notes != *notes)
    {
        let mut s = score.clone();
        for (t, notes) in s.themes.iter_mut().zip(&themes) {
            t.notes.clone_from(notes);
        }
        resolved = s;
        &resolved
    } else {
        score
    };
    let soundfont = load_soundfont(score, opts, &mut warnings)?;
    let font = soundfont.as_ref();
    let style = super::load_style(score, &opts.base_dir)?;
    let style_ref = style.as_deref();
    let mut jobs = Vec::new();
    let mut live = Vec::new();
    for (ci, cue) in score.cues.iter().enumerate() {
        let frames = cue_frames(score, cue, opts.sample_rate);
        for (li, layer) in cue.layers.iter().enumerate() {
            if let Source::Generated(g) = &layer.source
                && g.live
            {
                // Composed now (no synthesis): its notes are rendered as they are played.
                let item = format!("cue \"{}\", layer \"{}\"", cue.name, layer.name);
                live.push(generated::compose(
                    score,
                    style_ref,
                    ci,
                    li,
                    g,
                    &item,
                    opts.sample_rate,
                )?);
            }
            jobs.push(Job {
                cue: Some(cue),
                source: &layer.source,
                load: layer.load,
                item: format!("cue \"{}\", layer \"{}\"", cue.name, layer.name),
                frames,
                chords: None,
            });
        }
    }
    for seg in &score.segments {
        let frames = timing::segment_audio_frames(score, seg.bars, opts.sample_rate);
        for layer in &seg.layers {
            jobs.push(Job {
                cue: None,
                source: &layer.source,
                load: layer.load,
                item: format!("segment \"{}\", layer \"{}\"", seg.name, layer.name),
                frames,
                chords: Some(&seg.chords),
            });
        }
    }
    for st in &score.stingers {
        for (i, v) in st.variations.iter().enumerate() {
            jobs.push(Job {
                cue: None,
                source: &v.source,
                load: v.load,
                item: format!("stinger \"{}\", variation {}", st.name, i + 1),
                frames: timing::stinger_frames(score, v.beats, opts.sample_rate),
                chords: None,
            });
        }
    }
    // The cues' alternates come last, layer by layer (`alternates[cue][layer][k]`).
    for cue in &score.cues {
        let frames = cue_frames(score, cue, opts.sample_rate);
        for layer in &cue.layers {
            for (k, alt) in layer.alternates.iter().enumerate() {
                jobs.push(Job {
                    cue: Some(cue),
                    source: alt,
                    load: layer.load,
                    item: format!(
                        "cue \"{}\", layer \"{}\", alternate {}",
                        cue.name,
                        layer.name,
                        k + 1
                    ),
                    frames,
                    chords: None,
                });
            }
        }
    }
    // A file named more than once (same load mode) is opened once and shared.
    let first: Vec<usize> = (0..jobs.len())
        .map(|i| {
            let same = |k: usize| match (jobs[k].source, jobs[i].source) {
                (Source::File(a), Source::File(b)) => a == b && jobs[k].load == jobs[i].load,
                _ => false,
            };
            (0..i).find(|&k| same(k)).unwrap_or(i)
        })
        .collect();
    let unique: Vec<&Job<'_>> = jobs
        .iter()
        .enumerate()
        .filter(|(i, _)| first[*i] == *i)
        .map(|(_, j)| j)
        .collect();
    let made = make_all(&unique, |j| load_source(score, style_ref, font, j, opts));
    let slot: Vec<usize> = first
        .iter()
        .map(|&f| {
            first[..f]
                .iter()
                .enumerate()
                .filter(|(i, k)| *i == **k)
                .count()
        })
        .collect();
    let mut made: Vec<Option<Result<Clip, LoadError>>> = made.into_iter().map(Some).collect();
    let mut kept: Vec<Option<Clip>> = vec![None; made.len()];
    let mut at = 0usize;
    let mut next = || -> Result<Clip, LoadError> {
        let u = slot[at];
        at += 1;
        if let Some(c) = &kept[u] {
            return Ok(c.clone());
        }
        let clip = made[u].take().expect("each result is taken once")?;
        kept[u] = Some(clip.clone());
        Ok(clip)
    };
    let mut bank = SourceBank {
        sample_rate: opts.sample_rate,
        live,
        style: style.clone(),
        soundfont: soundfont.clone(),
        themes,
        mix: score.mix.clone(),
        routing: super::Routing::of(score),
        ..Default::default()
    };
    for cue in &score.cues {
        let mut stems = Vec::new();
        let mut taps = Vec::new();
        for layer in &cue.layers {
            stems.push(next()?);
            taps.push(bank.tap(&layer.name));
        }
        check_lengths(cue, &stems, opts)?;
        check_stem_lengths(score, cue, &stems, opts, &mut warnings)?;
        bank.cue_gains.push(
            cue.layers
                .iter()
                .map(|l| 10f32.powf(l.gain_db / 20.0))
                .collect(),
        );
        bank.cue_has_files.push(
            cue.layers
                .iter()
                .any(|l| matches!(l.source, Source::File(_))),
        );
        bank.levels.push(OnceLock::new());
        bank.loops.push(cue.looping.then(|| super::Loop {
            body: timing::cue_map(score, cue, opts.sample_rate).frame_at_bar(cue.bars + 1) as usize,
        }));
        bank.layers.push(stems);
        bank.layer_taps.push(taps);
    }
    for seg in &score.segments {
        let mut stems = Vec::new();
        let mut taps = Vec::new();
        for layer in &seg.layers {
            stems.push(next()?);
            taps.push(bank.tap(&layer.name));
        }
        bank.segments.push(stems);
        bank.segment_taps.push(taps);
    }
    for st in &score.stingers {
        let stems = st
            .variations
            .iter()
            .map(|_| next())
            .collect::<Result<_, _>>()?;
        bank.stingers.push(stems);
    }
    for (ci, cue) in score.cues.iter().enumerate() {
        let mut alternates = Vec::new();
        for layer in &cue.layers {
            alternates.push(
                layer
                    .alternates
                    .iter()
                    .map(|_| next())
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        // Every body obeys the length rules of the layers' sources: its stems (alternates,
        // and the sources of layers without any) agree with each other and with the cue.
        for k in 1..cue.bodies() {
            let mut body = cue.clone();
            let mut stems = Vec::new();
            for (li, layer) in body.layers.iter_mut().enumerate() {
                match (layer.alternates.get(k - 1), alternates[li].get(k - 1)) {
                    (Some(src), Some(clip)) => {
                        layer.name = format!("{} (alternate {k})", layer.name);
                        layer.source = src.clone();
                        stems.push(clip.clone());
                    }
                    _ => stems.push(bank.layers[ci][li].clone()),
                }
            }
            check_lengths(&body, &stems, opts)?;
            check_stem_lengths(score, &body, &stems, opts, &mut warnings)?;
        }
        bank.alternates.push(alternates);
    }
    bank.tap("stingers");
    bank.tap("bridges");
    bank.warnings = warnings;
    Ok(bank)
}

/// The path of a file the score names (relative to its folder), refused when it leaves the
/// folder unless the options allow it.
fn score_path(asked: &str, item: &str, opts: &BankOptions) -> Result<PathBuf, LoadError> {
    let rel = Path::new(asked);
    let escapes = rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir));
    if escapes && !opts.allow_outside {
        return Err(LoadError::OutsideScore {
            item: item.into(),
            asked: asked.into(),
        });
    }
    Ok(opts.base_dir.join(rel))
}

/// Each theme's notes: its `notes`, or (when it has none) the first track with notes of its
/// `midi` file.
fn resolve_themes(score: &Score, opts: &BankOptions) -> Result<Vec<Vec<(i32, f32)>>, LoadError> {
    score
        .themes
        .iter()
        .map(|t| {
            let Some(file) = t.midi.as_deref().filter(|_| t.notes.is_empty()) else {
                return Ok(t.notes.clone());
            };
            let item = format!("theme \"{}\"", t.name);
            let err = |reason: String| LoadError::Theme {
                item: item.clone(),
                file: file.into(),
                reason,
            };
            let path = score_path(file, &item, opts)?;
            let bytes = std::fs::read(&path)
                .map_err(|e| err(format!("{} (looked at {})", e, path.display())))?;
            let notes = leitmotif_gen::midi::read_theme(&bytes).map_err(|e| err(e.to_string()))?;
            if notes.iter().all(|n| n.0 < 0) {
                return Err(err("the file holds no notes".into()));
            }
            Ok(notes)
        })
        .collect()
}

/// The score's `soundfont`, loaded (a warning when `Soundfont` instruments have none).
fn load_soundfont(
    score: &Score,
    opts: &BankOptions,
    warnings: &mut Vec<String>,
) -> Result<Option<Arc<leitmotif_gen::SoundFont>>, LoadError> {
    let Some(file) = score.soundfont.as_deref() else {
        let uses = score
            .cues
            .iter()
            .flat_map(|c| &c.layers)
            .chain(score.segments.iter().flat_map(|s| &s.layers))
            .map(|l| &l.source)
            .chain(score.stingers.iter().flat_map(|s| &s.variations).map(|v| &v.source))
            .any(|s| matches!(s, Source::Generated(g) if matches!(g.instrument, Instrument::Soundfont(..))));
        if uses {
            warnings.push(
                "soundfont: `Soundfont(bank, preset)` instruments are used but the score names no \
                 `soundfont`: built-in instruments of their General MIDI family play them"
                    .into(),
            );
        }
        return Ok(None);
    };
    let path = score_path(file, "soundfont", opts)?;
    leitmotif_gen::load_soundfont(&path)
        .map(Some)
        .map_err(|e| LoadError::Soundfont {
            file: file.into(),
            reason: match e {
                leitmotif_gen::GenError::SoundfontMissing(m) => m,
                other => other.to_string(),
            },
        })
}

/// `f` of every job, on every core (each thread takes the next job when it is free), in the
/// jobs' order. A file named twice is made once: the second finds the first in the cache.
fn make_all<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    if threads < 2 {
        return jobs.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = f(job);
                    if let Ok(mut d) = done.lock() {
                        d.push((i, r));
                    }
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn check_lengths(cue: &Cue, stems: &[Clip], opts: &BankOptions) -> Result<(), LoadError> {
    let files: Vec<(String, usize)> = cue
        .layers
        .iter()
        .zip(stems)
        .filter_map(|(l, s)| match &l.source {
            Source::File(file) => Some((format!("layer \"{}\" (\"{file}\")", l.name), s.len())),
            _ => None,
        })
        .collect();
    let (Some(min), Some(max)) = (
        files.iter().map(|f| f.1).min(),
        files.iter().map(|f| f.1).max(),
    ) else {
        return Ok(());
    };
    let tol = (opts.length_tolerance_ms / 1000.0 * opts.sample_rate as f64) as usize;
    if max - min > tol {
        let details = files
            .iter()
            .map(|(n, len)| format!("{n} = {:.3} s", *len as f64 / opts.sample_rate as f64))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(LoadError::LengthMismatch {
            cue: cue.name.clone(),
            details,
            tolerance_ms: opts.length_tolerance_ms,
        });
    }
    Ok(())
}

/// Each file stem of `cue` against the cue's pickup + body + tail at its tempo: within
/// [`STEM_LENGTH_SLACK_FRAMES`] it is right; within the tolerance, a warning; otherwise an
/// error naming the layer, the file and both lengths. A layer marked `excerpt` only has to be
/// at least that long.
///
/// [`STEM_LENGTH_SLACK_FRAMES`]: super::STEM_LENGTH_SLACK_FRAMES
fn check_stem_lengths(
    score: &Score,
    cue: &Cue,
    stems: &[Clip],
    opts: &BankOptions,
    warnings: &mut Vec<String>,
) -> Result<(), LoadError> {
    let sr = opts.sample_rate as f64;
    let expected = cue_frames(score, cue, opts.sample_rate);
    let tol = (opts.length_tolerance_ms / 1000.0 * sr) as usize;
    let secs = |f: usize| f as f64 / sr;
    let plural = |n: u32, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    for (layer, clip) in cue.layers.iter().zip(stems) {
        let Source::File(file) = &layer.source else {
            continue;
        };
        let found = clip.len();
        let diff = found.abs_diff(expected);
        if diff <= super::STEM_LENGTH_SLACK_FRAMES || (layer.excerpt && found > expected) {
            continue;
        }
        let item = format!("cue \"{}\", layer \"{}\"", cue.name, layer.name);
        let what = if found > expected { "long" } else { "short" };
        if diff <= tol {
            warnings.push(format!(
                "{item}: \"{file}\" is {:.1} ms too {what} for its cue ({:.3} s, expected {:.3} s)",
                secs(diff) * 1000.0,
                secs(found),
                secs(expected)
            ));
        } else {
            let tempo = score.cue_tempo(cue);
            let changes = if tempo.changes.is_empty() {
                ""
            } else {
                " with its tempo changes"
            };
            return Err(LoadError::StemLength {
                item,
                file: file.clone(),
                expected_s: secs(expected) as f32,
                found_s: secs(found) as f32,
                layout: format!(
                    "pickup {} + {} + tail {} at {} BPM{changes}",
                    plural(cue.pickup_beats, "beat"),
                    plural(cue.bars, "bar"),
                    plural(cue.tail_beats, "beat"),
                    tempo.bpm
                ),
                tolerance_ms: opts.length_tolerance_ms as f32,
            });
        }
    }
    Ok(())
}

fn load_source(
    score: &Score,
    style: Option<&StyleModel>,
    font: Option<&Arc<leitmotif_gen::SoundFont>>,
    job: &Job<'_>,
    opts: &BankOptions,
) -> Result<Clip, LoadError> {
    let Job {
        cue,
        source,
        load,
        ref item,
        frames,
        chords,
    } = *job;
    let item = item.as_str();
    match source {
        Source::Silence => Ok(Clip::Memory(Arc::new(Stem::silence(frames)))),
        Source::Generated(g) if g.live && cue.is_some() => {
            Ok(Clip::Memory(Arc::new(Stem { frames: Vec::new() })))
        }
        Source::Generated(g) => generated::render(
            score,
            style,
            font,
            cue,
            chords,
            g,
            item,
            frames,
            opts.sample_rate,
        )
        .map(|s| Clip::Memory(Arc::new(s))),
        Source::File(asked) => {
            let path = score_path(asked, item, opts)?;
            open_file(&path, asked, item, load, opts)
        }
    }
}

/// Opens an audio file as a clip: streamed or decoded as `load` and its length ask.
pub fn open_file(
    path: &Path,
    asked: &str,
    item: &str,
    load: Load,
    opts: &BankOptions,
) -> Result<Clip, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::Missing {
        item: item.into(),
        asked: asked.into(),
        looked: path.into(),
        reason: e.to_string(),
    })?;
    let decode_err = |reason: String| LoadError::Decode {
        item: item.into(),
        path: path.into(),
        reason,
    };
    let key = cache::Key::new(
        path,
        &meta,
        opts.sample_rate,
        load,
        opts.stream_longer_than_s,
    );
    if let Some(clip) = cache::find(&key) {
        return Ok(clip);
    }
    let mut seg =
        resample::Segments::open_checked(path, opts.sample_rate).map_err(|e| match e {
            resample::OpenError::Rate(rate) => LoadError::SampleRate {
                item: item.into(),
                path: path.into(),
                rate,
            },
            resample::OpenError::Other(reason) => decode_err(reason),
        })?;
    if seg.is_empty() {
        return Err(decode_err("the file holds no audio".into()));
    }
    let long = seg.len() as f64 > opts.stream_longer_than_s * opts.sample_rate as f64;
    let clip = match load {
        Load::Stream => Clip::Stream(Arc::new(
            StreamClip::from_segments(path, seg).map_err(decode_err)?,
        )),
        Load::Auto if long => Clip::Stream(Arc::new(
            StreamClip::from_segments(path, seg).map_err(decode_err)?,
        )),
        Load::Auto | Load::Memory => Clip::Memory(Arc::new(Stem {
            frames: seg.read_all().map_err(decode_err)?,
        })),
    };
    cache::keep(key, &clip);
    Ok(clip)
}
