//! Every source a score names, at the output rate: files streamed from disk or decoded into
//! memory (the score's `load`, see [`Load`]), generated material synthesised at load.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use leitmotif_core::Score;
use leitmotif_core::conductor::SourceRef;
use leitmotif_core::score::{Cue, Load, Source};
use leitmotif_core::timing;

use crate::stream::StreamClip;

mod cache;
pub mod decode;
mod generated;
pub mod resample;

pub use generated::to_stem as stem_from_buffer;

/// Seconds of a cue's file layers measured for its level (bridges are matched to it): the
/// same frames whether a stem streams or sits in memory.
pub const LEVEL_WINDOW_SECONDS: f64 = 8.0;

/// The audio of one source: in memory, or streamed from disk.
#[derive(Debug, Clone)]
pub enum Clip {
    /// Decoded whole (or generated) at load.
    Memory(Arc<Stem>),
    /// Played from disk through the [`Streamer`](crate::stream::Streamer).
    Stream(Arc<StreamClip>),
}

impl Clip {
    /// Length in output frames.
    pub fn len(&self) -> usize {
        match self {
            Clip::Memory(s) => s.len(),
            Clip::Stream(c) => c.len as usize,
        }
    }

    /// Whether the clip has no frames.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the clip plays from disk.
    pub fn is_streamed(&self) -> bool {
        matches!(self, Clip::Stream(_))
    }

    /// The first `frames` frames (decoded from disk for a streamed clip; never on the audio
    /// thread).
    pub fn head(&self, frames: usize) -> Result<Vec<[f32; 2]>, String> {
        match self {
            Clip::Memory(s) => Ok(s.frames[..frames.min(s.len())].to_vec()),
            Clip::Stream(c) => c.read_head(frames as u64),
        }
    }

    /// The whole clip in memory (decoded from disk for a streamed clip).
    pub fn to_stem(&self) -> Result<Arc<Stem>, String> {
        match self {
            Clip::Memory(s) => Ok(s.clone()),
            Clip::Stream(c) => Ok(Arc::new(Stem {
                frames: c.read_head(c.len)?,
            })),
        }
    }
}

/// Stereo audio at the output rate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stem {
    /// Interleaved-by-frame samples.
    pub frames: Vec<[f32; 2]>,
}

impl Stem {
    /// Silence of `len` frames.
    pub fn silence(len: usize) -> Self {
        Stem {
            frames: vec![[0.0; 2]; len],
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// A stem that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file does not exist or cannot be read.
    #[error("{item}: cannot open \"{asked}\" (looked at {}): {reason}", looked.display())]
    Missing {
        /// Which layer or stinger.
        item: String,
        /// The path the score gave.
        asked: String,
        /// Where it was looked for.
        looked: PathBuf,
        /// The OS or decoder message.
        reason: String,
    },
    /// The file is not audio we can decode.
    #[error("{item}: \"{}\" is not a decodable audio file (OGG, FLAC, WAV, MP3): {reason}", path.display())]
    Decode {
        /// Which layer or stinger.
        item: String,
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        reason: String,
    },
    /// A path leaving the score's folder.
    #[error(
        "{item}: \"{asked}\" points outside the score's folder (hint: keep stems beside the score, or load the bank with `BankOptions {{ allow_outside: true, .. }}`)"
    )]
    OutsideScore {
        /// Which layer or stinger.
        item: String,
        /// The path the score gave.
        asked: String,
    },
    /// Stems of one cue differ in length beyond the tolerance.
    #[error(
        "cue \"{cue}\": stems differ in length: {details} (hint: export every stem of a cue with the same start and length; tolerance {tolerance_ms} ms)"
    )]
    LengthMismatch {
        /// The cue.
        cue: String,
        /// Each file and its length.
        details: String,
        /// Allowed difference.
        tolerance_ms: f64,
    },
    /// A file whose sample rate we refuse.
    #[error("{item}: \"{}\" has a sample rate of {rate} Hz (hint: use 8 kHz to 192 kHz)", path.display())]
    SampleRate {
        /// Which layer or stinger.
        item: String,
        /// The file.
        path: PathBuf,
        /// Its rate.
        rate: u32,
    },
    /// Generated material could not be made.
    #[error("{item}: {reason}")]
    Generate {
        /// Which layer or stinger.
        item: String,
        /// Why.
        reason: String,
    },
}

/// How to load a bank.
#[derive(Debug, Clone)]
pub struct BankOptions {
    /// Output sample rate.
    pub sample_rate: u32,
    /// Folder that relative stem paths start from (the score's folder).
    pub base_dir: PathBuf,
    /// Allow stem paths outside `base_dir` (absolute or with `..`).
    pub allow_outside: bool,
    /// Allowed difference between the stems of one cue, in milliseconds.
    pub length_tolerance_ms: f64,
    /// Files with `load: Auto` longer than this (seconds) stream; shorter ones are decoded
    /// into memory.
    pub stream_longer_than_s: f64,
}

impl BankOptions {
    /// Options for a score at `score_path` rendered at `sample_rate`.
    pub fn for_score(score_path: &Path, sample_rate: u32) -> Self {
        BankOptions {
            sample_rate,
            base_dir: score_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            allow_outside: false,
            length_tolerance_ms: 20.0,
            stream_longer_than_s: 10.0,
        }
    }
}

/// Every source of a score, at the output rate, indexed like [`SourceRef`].
#[derive(Debug, Clone, Default)]
pub struct SourceBank {
    /// Output sample rate.
    pub sample_rate: u32,
    /// `layers[cue][layer]`.
    pub layers: Vec<Vec<Clip>>,
    /// `segments[segment][layer]`.
    pub segments: Vec<Vec<Clip>>,
    /// `stingers[stinger][variation]`.
    pub stingers: Vec<Vec<Clip>>,
    /// Layer names, for stem outputs: `tap_names[tap]`; `taps` maps sources to them.
    pub tap_names: Vec<String>,
    /// `layer_taps[cue][layer]` (segments and stingers use `segment_taps`, `stinger_tap`).
    pub layer_taps: Vec<Vec<u16>>,
    /// `segment_taps[segment][layer]`.
    pub segment_taps: Vec<Vec<u16>>,
    /// Base gain (linear) of each cue's layers, for [`cue_rms`](Self::cue_rms).
    pub cue_gains: Vec<Vec<f32>>,
    /// Whether a cue has file layers (its level is measured over
    /// [`LEVEL_WINDOW_SECONDS`], not its whole length).
    pub cue_has_files: Vec<bool>,
    /// Levels measured so far (one cell per cue; an empty list measures nothing).
    pub levels: Vec<OnceLock<f32>>,
}

impl SourceBank {
    /// Decodes (or synthesises) every source of `score`.
    pub fn load(score: &Score, opts: &BankOptions) -> Result<SourceBank, LoadError> {
        let mut bank = SourceBank {
            sample_rate: opts.sample_rate,
            ..Default::default()
        };
        for cue in &score.cues {
            let mut stems = Vec::new();
            let mut taps = Vec::new();
            let frames = cue_frames(score, cue, opts.sample_rate);
            for layer in &cue.layers {
                let item = format!("cue \"{}\", layer \"{}\"", cue.name, layer.name);
                let clip = load_source(
                    score,
                    Some(cue),
                    &layer.source,
                    layer.load,
                    &item,
                    frames,
                    opts,
                )?;
                stems.push(clip);
                taps.push(bank.tap(&layer.name));
            }
            check_lengths(cue, &stems, opts)?;
            let gains: Vec<f32> = cue
                .layers
                .iter()
                .map(|l| 10f32.powf(l.gain_db / 20.0))
                .collect();
            bank.cue_gains.push(gains);
            bank.cue_has_files.push(
                cue.layers
                    .iter()
                    .any(|l| matches!(l.source, Source::File(_))),
            );
            bank.levels.push(OnceLock::new());
            bank.layers.push(stems);
            bank.layer_taps.push(taps);
        }
        for seg in &score.segments {
            let mut stems = Vec::new();
            let mut taps = Vec::new();
            let frames = timing::segment_audio_frames(score, seg.bars, opts.sample_rate);
            for layer in &seg.layers {
                let item = format!("segment \"{}\", layer \"{}\"", seg.name, layer.name);
                stems.push(load_source(
                    score,
                    None,
                    &layer.source,
                    layer.load,
                    &item,
                    frames,
                    opts,
                )?);
                taps.push(bank.tap(&layer.name));
            }
            bank.segments.push(stems);
            bank.segment_taps.push(taps);
        }
        for st in &score.stingers {
            let mut stems = Vec::new();
            for (i, v) in st.variations.iter().enumerate() {
                let item = format!("stinger \"{}\", variation {}", st.name, i + 1);
                let frames = timing::stinger_frames(score, v.beats, opts.sample_rate);
                stems.push(load_source(
                    score, None, &v.source, v.load, &item, frames, opts,
                )?);
            }
            bank.stingers.push(stems);
        }
        bank.tap("stingers");
        bank.tap("bridges");
        Ok(bank)
    }

    fn tap(&mut self, name: &str) -> u16 {
        match self.tap_names.iter().position(|n| n == name) {
            Some(i) => i as u16,
            None => {
                self.tap_names.push(name.to_string());
                (self.tap_names.len() - 1) as u16
            }
        }
    }

    /// The RMS level of cue `cue`'s layers summed at their base gains (loudness matching of
    /// generated bridges): over the whole cue when it is all generated, over its first
    /// [`LEVEL_WINDOW_SECONDS`] when it has files (so it costs little to measure, and is the
    /// same whether they stream). Measured on first use (off the audio thread), then kept.
    pub fn cue_rms(&self, cue: usize) -> f32 {
        let (Some(level), Some(clips), Some(gains)) = (
            self.levels.get(cue),
            self.layers.get(cue),
            self.cue_gains.get(cue),
        ) else {
            return 0.0;
        };
        *level.get_or_init(|| {
            let len = clips.iter().map(Clip::len).max().unwrap_or(0);
            let window = if self.cue_has_files.get(cue).copied().unwrap_or(false) {
                len.min((LEVEL_WINDOW_SECONDS * self.sample_rate as f64) as usize)
            } else {
                len
            };
            let heads: Vec<Vec<[f32; 2]>> = clips
                .iter()
                .map(|c| c.head(window).unwrap_or_default())
                .collect();
            summed_rms(&heads, gains)
        })
    }

    /// Measures every cue's level now (e.g. on a helper thread right after load), so a
    /// bridge composed later does not wait for it.
    pub fn measure_levels(&self) {
        for cue in 0..self.layers.len() {
            self.cue_rms(cue);
        }
    }

    /// Whether any source streams from disk.
    pub fn streams(&self) -> bool {
        self.layers
            .iter()
            .chain(&self.segments)
            .chain(&self.stingers)
            .flatten()
            .any(Clip::is_streamed)
    }

    /// The audio of a source (bridges are not in the bank: they arrive at run time).
    pub fn get(&self, source: SourceRef) -> Option<&Clip> {
        match source {
            SourceRef::Layer { cue, layer } => self.layers.get(cue as usize)?.get(layer as usize),
            SourceRef::SegmentLayer { segment, layer } => {
                self.segments.get(segment as usize)?.get(layer as usize)
            }
            SourceRef::Stinger { stinger, variation } => {
                self.stingers.get(stinger as usize)?.get(variation as usize)
            }
            SourceRef::Bridge(_) => None,
        }
    }

    /// The stem output (tap) a source is written to.
    pub fn tap_of(&self, source: SourceRef) -> u16 {
        let named = |n: &str| self.tap_names.iter().position(|t| t == n).unwrap_or(0) as u16;
        match source {
            SourceRef::Layer { cue, layer } => self.layer_taps[cue as usize][layer as usize],
            SourceRef::SegmentLayer { segment, layer } => {
                self.segment_taps[segment as usize][layer as usize]
            }
            SourceRef::Stinger { .. } => named("stingers"),
            SourceRef::Bridge(_) => named("bridges"),
        }
    }
}

/// RMS of stems summed with gains (both channels).
pub fn summed_rms(stems: &[Vec<[f32; 2]>], gains: &[f32]) -> f32 {
    let len = stems.iter().map(|s| s.len()).max().unwrap_or(0);
    if len == 0 {
        return 0.0;
    }
    let mut acc = 0.0f64;
    for i in 0..len {
        let (mut l, mut r) = (0.0f32, 0.0f32);
        for (s, g) in stems.iter().zip(gains) {
            if let Some(f) = s.get(i) {
                l += f[0] * g;
                r += f[1] * g;
            }
        }
        acc += (l * l + r * r) as f64;
    }
    (acc / (2 * len) as f64).sqrt() as f32
}

/// RMS of stereo frames (both channels).
pub fn frames_rms(frames: &[[f32; 2]]) -> f32 {
    if frames.is_empty() {
        return 0.0;
    }
    let acc: f64 = frames
        .iter()
        .map(|f| (f[0] * f[0] + f[1] * f[1]) as f64)
        .sum();
    (acc / (2 * frames.len()) as f64).sqrt() as f32
}

pub use leitmotif_core::timing::cue_frames;

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

fn load_source(
    score: &Score,
    cue: Option<&Cue>,
    source: &Source,
    load: Load,
    item: &str,
    frames: usize,
    opts: &BankOptions,
) -> Result<Clip, LoadError> {
    match source {
        Source::Silence => Ok(Clip::Memory(Arc::new(Stem::silence(frames)))),
        Source::Generated(g) => generated::render(score, cue, g, item, frames, opts.sample_rate)
            .map(|s| Clip::Memory(Arc::new(s))),
        Source::File(asked) => {
            let rel = Path::new(asked);
            let escapes =
                rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir));
            if escapes && !opts.allow_outside {
                return Err(LoadError::OutsideScore {
                    item: item.into(),
                    asked: asked.clone(),
                });
            }
            let path = opts.base_dir.join(rel);
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

/// Decodes a whole audio file and resamples it to `sample_rate` (in memory).
pub fn decode(path: &Path, asked: &str, item: &str, sample_rate: u32) -> Result<Stem, LoadError> {
    let opts = BankOptions {
        sample_rate,
        ..BankOptions::for_score(path, sample_rate)
    };
    match open_file(path, asked, item, Load::Memory, &opts)? {
        Clip::Memory(s) => Ok(Arc::unwrap_or_clone(s)),
        Clip::Stream(c) => Ok(Stem {
            frames: c.read_head(c.len).map_err(|reason| LoadError::Decode {
                item: item.into(),
                path: path.into(),
                reason,
            })?,
        }),
    }
}
