//! Every source a score names, at the output rate: files streamed from disk or decoded into
//! memory (the score's `load`, see [`Load`]), generated material synthesised at load.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use leitmotif_core::Score;
use leitmotif_core::conductor::SourceRef;
use leitmotif_gen::style::StyleModel;

use crate::stream::StreamClip;

mod cache;
pub mod decode;
mod generated;

pub(crate) use generated::render_stinger;
mod load;
pub mod resample;

pub use load::open_file;

pub use generated::to_stem as stem_from_buffer;
pub use generated::{LiveLayer, render_cue_layer, render_note};

/// Seconds of a cue's file layers measured for its level (bridges are matched to it): the
/// same frames whether a stem streams or sits in memory.
pub const LEVEL_WINDOW_SECONDS: f64 = 8.0;

/// A file stem may differ from its cue's pickup + body + tail by this many frames without a
/// warning (rounding when a file is resampled to the output rate).
pub const STEM_LENGTH_SLACK_FRAMES: usize = 2;

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
    /// A file stem whose length is not its cue's pickup + body + tail (beyond the tolerance):
    /// an overlong stem would be cut at the seam (a click), a short one would leave a hole.
    #[error(
        "{item}: \"{file}\" is {found_s:.3} s long, expected {expected_s:.3} s ({layout}) (hint: export the stem from the start of the pickup to the end of the tail, or make the cue's `bars`, `pickup_beats` and `tail_beats` match it, or mark a longer recording `excerpt: true` to play its opening; allowed difference {tolerance_ms} ms)"
    )]
    StemLength {
        /// Which layer, e.g. `cue "b", layer "pad"`.
        item: String,
        /// The file as the score names it.
        file: String,
        /// Seconds the cue's stems must last.
        expected_s: f32,
        /// Seconds the file lasts (at the output rate).
        found_s: f32,
        /// How the expected length is made up, e.g. `pickup 1 beat + 4 bars + tail 2 beats at 120 BPM`.
        layout: String,
        /// Allowed difference.
        tolerance_ms: f32,
    },
    /// A theme's MIDI file could not be read.
    #[error(
        "{item}: cannot read the theme's MIDI file \"{file}\": {reason} (hint: give a Standard MIDI File whose first track with notes holds the theme, or write the theme as `notes`)"
    )]
    Theme {
        /// The theme, e.g. `theme "hero"`.
        item: String,
        /// The file as the score names it.
        file: String,
        /// Why.
        reason: String,
    },
    /// The score's `soundfont` could not be loaded.
    #[error(
        "soundfont \"{file}\": {reason} (hint: give a SoundFont 2 file (.sf2) relative to the score; `scripts/fetch-soundfont` fetches a General MIDI bank)"
    )]
    Soundfont {
        /// The file as the score names it.
        file: String,
        /// Why.
        reason: String,
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
    /// The score's style could not be loaded or learned.
    #[error(
        "style: {reason} (hint: write a model with `leitmotif style train FILES… -o NAME.style.ron`, or list MIDI files in the score's `style: (midi: [...])`)"
    )]
    Style {
        /// Why, naming the file.
        reason: String,
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
    /// Allowed difference between the stems of one cue, and between each file stem and its
    /// cue's pickup + body + tail, in milliseconds: a larger difference is a
    /// [`LoadError::LengthMismatch`] or [`LoadError::StemLength`]; a smaller one (more than
    /// [`STEM_LENGTH_SLACK_FRAMES`]) a warning in [`SourceBank::warnings`].
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
    /// `alternates[cue][layer][k]`: the layer's `alternates` (see
    /// [`SourceRef::Alternate`]).
    pub alternates: Vec<Vec<Vec<Clip>>>,
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
    /// For each looping cue, its stems' loop: where bar 1 is and how long the body is (in
    /// frames at the output rate). A time-stretched voice reads across the seam with it.
    pub loops: Vec<Option<Loop>>,
    /// The live generated layers (`live: true`), composed but not rendered: the conductor
    /// plays their notes, the session renders each as it is due.
    pub live: Vec<LiveLayer>,
    /// The score's style (its `style` field), learned at load; bridges composed at run time
    /// are written in it too.
    pub style: Option<Arc<StyleModel>>,
    /// The score's `soundfont`, loaded: `Soundfont(bank, preset)` instruments of generated
    /// layers, segments and stingers play from it (built-in instruments of their General MIDI
    /// family stand in when the score has none).
    pub soundfont: Option<Arc<leitmotif_gen::SoundFont>>,
    /// Each theme's notes, in the score's order: its `notes`, or read from its `midi` file
    /// when it has no notes. Generated parts and bridges use these.
    pub themes: Vec<Vec<(i32, f32)>>,
    /// What loaded but deserves a look (a stem a few milliseconds off its cue's length, an
    /// excerpt of a longer file, a `Soundfont` instrument with no `soundfont`), one line each,
    /// naming the item. Front ends print or log them.
    pub warnings: Vec<String>,
    /// The score's mix (buses, effects, snapshots); the mixer builds its buses from it.
    pub mix: leitmotif_core::score::Mix,
    /// The bus each source plays into, in the mixer's numbering (0 = master).
    pub routing: Routing,
}

/// The bus of every source (see [`SourceBank::bus_of`]).
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// `layers[cue][layer]`.
    pub layers: Vec<Vec<u16>>,
    /// `segments[segment][layer]`.
    pub segments: Vec<Vec<u16>>,
    /// `stingers[stinger]`.
    pub stingers: Vec<u16>,
    /// Composed bridges.
    pub bridges: u16,
}

impl Routing {
    /// The routing of `score`'s sources.
    pub fn of(score: &Score) -> Routing {
        Routing {
            layers: (0..score.cues.len())
                .map(|c| {
                    (0..score.cues[c].layers.len())
                        .map(|l| score.layer_bus(c, l))
                        .collect()
                })
                .collect(),
            segments: (0..score.segments.len())
                .map(|s| {
                    (0..score.segments[s].layers.len())
                        .map(|l| score.segment_bus(s, l))
                        .collect()
                })
                .collect(),
            stingers: (0..score.stingers.len())
                .map(|s| score.stinger_bus(s))
                .collect(),
            bridges: score.bridge_bus(),
        }
    }
}

/// The score's style (its `style` field: a trained model and/or MIDI files, relative to
/// `base_dir`), or `None` when it has none.
pub fn load_style(score: &Score, base_dir: &Path) -> Result<Option<Arc<StyleModel>>, LoadError> {
    let Some(src) = &score.style else {
        return Ok(None);
    };
    leitmotif_gen::style::load_style(base_dir, src.model.as_deref(), &src.midi)
        .map(|m| Some(Arc::new(m)))
        .map_err(|e| LoadError::Style {
            reason: match e {
                leitmotif_gen::GenError::Style(m) => m,
                other => other.to_string(),
            },
        })
}

/// The loop of a cue's stems: `[pickup][body][tail]`, body repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loop {
    /// Frames of the body.
    pub body: usize,
}

impl Loop {
    /// The stem frames heard together at `p` when the stem is looped the way the engine
    /// loops cues (passes overlapping by their pickup and tail), `p` counted from the first
    /// pass's stem start: the frame of the latest pass that still plays there, and the frame
    /// of the next pass when it has started (its pickup, under the previous pass's tail).
    pub fn terms(&self, p: usize, len: usize) -> (usize, Option<usize>) {
        let body = self.body.max(1).min(len.max(1));
        let q = if p < len {
            p
        } else {
            len - body + (p - len) % body
        };
        (q, q.checked_sub(body))
    }

    /// The looped sound at `p` of a stem held in memory (see [`terms`](Self::terms)).
    pub fn sample(&self, frames: &[[f32; 2]], p: usize) -> [f32; 2] {
        if frames.is_empty() {
            return [0.0; 2];
        }
        let (q, next) = self.terms(p, frames.len());
        let a = frames[q];
        match next {
            Some(n) => [a[0] + frames[n][0], a[1] + frames[n][1]],
            None => a,
        }
    }
}

impl SourceBank {
    /// Decodes (or synthesises, or opens for streaming) every source of `score`, on all
    /// cores; errors are reported in the score's order, naming the item.
    pub fn load(score: &Score, opts: &BankOptions) -> Result<SourceBank, LoadError> {
        load::load(score, opts)
    }

    pub(crate) fn tap(&mut self, name: &str) -> u16 {
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
    /// same whether they stream). Measured on first use — by the thread composing the first
    /// bridge that needs it, never the audio thread — then kept.
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
            // One layer at a time into one sum (memory stays at two windows).
            let mut sum = vec![[0.0f32; 2]; window];
            for (clip, g) in clips.iter().zip(gains) {
                for (acc, f) in sum.iter_mut().zip(clip.head(window).unwrap_or_default()) {
                    acc[0] += f[0] * g;
                    acc[1] += f[1] * g;
                }
            }
            frames_rms(&sum)
        })
    }

    /// Whether any source streams from disk.
    pub fn streams(&self) -> bool {
        self.layers
            .iter()
            .chain(&self.segments)
            .chain(&self.stingers)
            .flatten()
            .chain(self.alternates.iter().flatten().flatten())
            .any(Clip::is_streamed)
    }

    /// The loop a source's stem has (layers of looping cues).
    pub fn loop_of(&self, source: SourceRef) -> Option<Loop> {
        match source {
            SourceRef::Layer { cue, .. } | SourceRef::Alternate { cue, .. } => {
                self.loops.get(cue as usize).copied().flatten()
            }
            _ => None,
        }
    }

    /// The audio of a source (bridges are not in the bank: they arrive at run time).
    pub fn get(&self, source: SourceRef) -> Option<&Clip> {
        match source {
            SourceRef::Layer { cue, layer } => self.layers.get(cue as usize)?.get(layer as usize),
            SourceRef::Alternate {
                cue,
                layer,
                alternate,
            } => self
                .alternates
                .get(cue as usize)?
                .get(layer as usize)?
                .get(alternate as usize),
            SourceRef::SegmentLayer { segment, layer } => {
                self.segments.get(segment as usize)?.get(layer as usize)
            }
            SourceRef::Stinger { stinger, variation } => {
                self.stingers.get(stinger as usize)?.get(variation as usize)
            }
            SourceRef::Bridge(_) | SourceRef::Note { .. } => None,
        }
    }

    /// The live layer on layer `layer` of cue `cue`, if it is one.
    pub fn live_layer(&self, cue: u16, layer: u16) -> Option<&LiveLayer> {
        self.live
            .iter()
            .find(|l| l.part.cue == cue && l.part.layer == layer)
    }

    /// The bus a source plays into (the master for what the routing does not know).
    pub fn bus_of(&self, source: SourceRef) -> u16 {
        let r = &self.routing;
        let at = |v: &Vec<Vec<u16>>, a: u16, b: u16| {
            v.get(a as usize)
                .and_then(|x| x.get(b as usize))
                .copied()
                .unwrap_or(0)
        };
        match source {
            SourceRef::Layer { cue, layer }
            | SourceRef::Note { cue, layer }
            | SourceRef::Alternate { cue, layer, .. } => at(&r.layers, cue, layer),
            SourceRef::SegmentLayer { segment, layer } => at(&r.segments, segment, layer),
            SourceRef::Stinger { stinger, .. } => {
                r.stingers.get(stinger as usize).copied().unwrap_or(0)
            }
            SourceRef::Bridge(_) => r.bridges,
        }
    }

    /// The stem output (tap) a source is written to.
    pub fn tap_of(&self, source: SourceRef) -> u16 {
        let named = |n: &str| self.tap_names.iter().position(|t| t == n).unwrap_or(0) as u16;
        match source {
            SourceRef::Layer { cue, layer }
            | SourceRef::Note { cue, layer }
            | SourceRef::Alternate { cue, layer, .. } => {
                self.layer_taps[cue as usize][layer as usize]
            }
            SourceRef::SegmentLayer { segment, layer } => {
                self.segment_taps[segment as usize][layer as usize]
            }
            SourceRef::Stinger { .. } => named("stingers"),
            SourceRef::Bridge(_) => named("bridges"),
        }
    }
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
