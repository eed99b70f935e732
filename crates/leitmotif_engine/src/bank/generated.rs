//! Generated layers and stingers, synthesised by `leitmotif_gen` at load.

use leitmotif_core::Score;
use leitmotif_core::conductor::LivePart;
use leitmotif_core::score::{Cue, Generated};
use leitmotif_gen::style::StyleModel;
use std::sync::Arc;

use leitmotif_gen::{
    LayerContext, SoundFont, StereoBuffer, compose_live, render_layer_with, render_live_note,
};

use super::{LoadError, Stem};

/// Gain applied to generated material: the generator peaks each part near −6 dBFS, and a
/// cue stacks four to six parts, so −6 dB of headroom puts a full cue near −18 LUFS.
pub const GENERATED_HEADROOM: f32 = 0.5;

/// Converts a generator buffer into a stem of exactly `frames` frames, with headroom.
pub fn to_stem(buf: &StereoBuffer, frames: usize) -> Stem {
    let g = GENERATED_HEADROOM;
    let mut out: Vec<[f32; 2]> = buf
        .left
        .iter()
        .zip(&buf.right)
        .map(|(l, r)| [*l * g, *r * g])
        .collect();
    out.resize(frames, [0.0; 2]);
    Stem { frames: out }
}

/// Renders a generated part: over its cue's chords (or `chords`, a segment's own; none: a
/// progression generated in the key), at the cue's tempo or the score's.
#[allow(clippy::too_many_arguments)]
pub(super) fn render(
    score: &Score,
    style: Option<&StyleModel>,
    font: Option<&Arc<SoundFont>>,
    cue: Option<&Cue>,
    chords: Option<&[String]>,
    g: &Generated,
    item: &str,
    frames: usize,
    sample_rate: u32,
) -> Result<Stem, LoadError> {
    let tempo = cue.map_or(&score.tempo, |c| score.cue_tempo(c));
    render_at(
        score,
        style,
        font,
        cue,
        chords,
        tempo,
        g,
        item,
        frames,
        sample_rate,
    )
}

/// A generated stinger for where it lands: over `chord` (none: the key's), `beats` long at
/// `bpm` (`Soundfont` instruments from `font`, the bank's).
#[allow(clippy::too_many_arguments)]
pub fn render_stinger(
    score: &Score,
    style: Option<&StyleModel>,
    font: Option<&Arc<SoundFont>>,
    g: &Generated,
    chord: Option<&str>,
    bpm: f64,
    beats: u32,
    sample_rate: u32,
) -> Result<Stem, LoadError> {
    let tempo = leitmotif_core::score::Tempo {
        bpm,
        meter: score.tempo.meter,
        changes: Vec::new(),
    };
    let frames = (beats as f64 * 60.0 / bpm * sample_rate as f64).round() as usize;
    let chords: Vec<String> = chord.into_iter().map(str::to_string).collect();
    let chords = (!chords.is_empty()).then_some(chords.as_slice());
    render_at(
        score,
        style,
        font,
        None,
        chords,
        &tempo,
        g,
        "stinger",
        frames,
        sample_rate,
    )
}

#[allow(clippy::too_many_arguments)]
fn render_at(
    score: &Score,
    style: Option<&StyleModel>,
    font: Option<&Arc<SoundFont>>,
    cue: Option<&Cue>,
    chords: Option<&[String]>,
    tempo: &leitmotif_core::score::Tempo,
    g: &Generated,
    item: &str,
    frames: usize,
    sample_rate: u32,
) -> Result<Stem, LoadError> {
    let empty: [String; 0] = [];
    let chords = chords.unwrap_or_else(|| cue.map_or(&empty[..], |c| c.chords.as_slice()));
    let ctx = context(score, style, cue, chords, tempo, frames, sample_rate);
    let buf = render_layer_with(g, &ctx, font).map_err(|e| LoadError::Generate {
        item: item.into(),
        reason: e.to_string(),
    })?;
    Ok(to_stem(&buf, frames))
}

/// What a generated part of `cue` (or of a stinger or segment, `frames` long) is composed in.
fn context<'a>(
    score: &'a Score,
    style: Option<&'a StyleModel>,
    cue: Option<&'a Cue>,
    chords: &'a [String],
    tempo: &leitmotif_core::score::Tempo,
    frames: usize,
    sample_rate: u32,
) -> LayerContext<'a> {
    let theme = cue
        .and_then(|c| c.theme.as_ref())
        .and_then(|t| score.themes.iter().find(|th| &th.name == t))
        .map(|t| t.notes.as_slice());
    let beats_per_bar = tempo.meter.0;
    let bars = cue.map_or_else(
        || {
            ((frames as f64 / sample_rate as f64) * tempo.bpm / 60.0 / beats_per_bar as f64)
                .ceil()
                .max(1.0) as u32
        },
        |c| c.bars,
    );
    LayerContext {
        sample_rate,
        bpm: tempo.bpm,
        beats_per_bar,
        bars,
        pickup_beats: cue.map_or(0, |c| c.pickup_beats),
        tail_beats: cue.map_or(0, |c| c.tail_beats),
        chords,
        key: cue.and_then(|c| c.key.as_deref()).or(score.key.as_deref()),
        theme,
        seed: 0,
        tension: leitmotif_core::timing::mood_tension(cue.and_then(|c| c.mood)),
        style,
    }
}

/// A cue's live generated layer: its notes (for the conductor) and how to render each one.
#[derive(Debug, Clone)]
pub struct LiveLayer {
    /// The notes, for [`Conductor::set_live_parts`](leitmotif_core::conductor::Conductor::set_live_parts).
    pub part: LivePart,
    /// The part (its instrument renders the notes).
    pub generated: Generated,
    /// Gain on every rendered note (with [`GENERATED_HEADROOM`]), for the level a rendered
    /// layer has.
    pub gain: f32,
    /// Seed of the notes' synthesis.
    pub seed: u64,
}

/// Composes layer `layer` of cue `cue` (a live generated part) without rendering it.
pub(super) fn compose(
    score: &Score,
    style: Option<&StyleModel>,
    cue_index: usize,
    layer: usize,
    g: &Generated,
    item: &str,
    sample_rate: u32,
) -> Result<LiveLayer, LoadError> {
    let cue = &score.cues[cue_index];
    let frames = leitmotif_core::timing::cue_frames(score, cue, sample_rate);
    let mut ctx = context(
        score,
        style,
        Some(cue),
        &cue.chords,
        score.cue_tempo(cue),
        frames,
        sample_rate,
    );
    let seed = leitmotif_core::timing::seed::layer(score.seed, g.seed);
    ctx.seed = seed;
    let composed = compose_live(g, &ctx).map_err(|e| LoadError::Generate {
        item: item.into(),
        reason: e.to_string(),
    })?;
    Ok(LiveLayer {
        part: LivePart {
            cue: cue_index as u16,
            layer: layer as u16,
            notes: composed.notes,
            release: composed.release,
            seed: leitmotif_core::timing::seed::mix(seed, 0x11FE),
        },
        generated: g.clone(),
        gain: composed.gain * GENERATED_HEADROOM,
        seed,
    })
}

/// Renders note `index` of a live layer (see [`NoteJob`](leitmotif_core::conductor::NoteJob)).
pub fn render_note(
    live: &LiveLayer,
    index: u32,
    pitch: u8,
    velocity: f32,
    frames: usize,
    sample_rate: u32,
) -> Stem {
    let seed = leitmotif_core::timing::seed::mix(live.seed, index as u64 ^ ((pitch as u64) << 32));
    let buf = render_live_note(
        &live.generated,
        pitch,
        velocity,
        frames,
        sample_rate,
        seed,
        live.gain,
    );
    Stem {
        frames: buf
            .left
            .iter()
            .zip(&buf.right)
            .map(|(l, r)| [*l, *r])
            .collect(),
    }
}

/// Renders layer `layer` of cue `cue` as a stem even when it plays live (for `leitmotif
/// stems` and other exports).
pub fn render_cue_layer(
    score: &Score,
    style: Option<&StyleModel>,
    cue: usize,
    layer: usize,
    sample_rate: u32,
) -> Result<Option<Stem>, LoadError> {
    let c = &score.cues[cue];
    let leitmotif_core::score::Source::Generated(g) = &c.layers[layer].source else {
        return Ok(None);
    };
    let frames = leitmotif_core::timing::cue_frames(score, c, sample_rate);
    let item = format!("cue \"{}\", layer \"{}\"", c.name, c.layers[layer].name);
    render(
        score,
        style,
        None,
        Some(c),
        None,
        g,
        &item,
        frames,
        sample_rate,
    )
    .map(Some)
}
