//! Generated cue layers: a [`Generated`] part rendered over a cue's chords.
//!
//! A rendered layer has three regions: the pickup (`pickup_beats` before bar 1), the body
//! (`bars` bars, the part that loops) and the tail (`tail_beats` after the body):
//!
//! ```text
//! frames = round((pickup_beats + bars·beats_per_bar + tail_beats) · 60/bpm · sample_rate)
//! bar 1 beat 1 at frame round(pickup_beats · 60/bpm · sample_rate)
//! ```
//!
//! **Seamless loops:** every note that starts in the body is released early enough that its
//! release has died away (exactly to zero) before the body ends, and every pickup note is silent
//! before bar 1; notes begin from silence. Playing the body over and over therefore has no
//! discontinuity at the seam. The tail holds a ring-out: the loop's first chord (or a crash)
//! struck at the body's end and left to fade, for when the cue stops.

mod drums;
mod parts;

use leitmotif_core::score::{Generated, Part};

use crate::error::GenError;
use crate::rng::mix;
use crate::style::StyleModel;
use crate::synth::{NoteEvent, StereoBuffer, release_seconds, render_notes};
use crate::theory::{Chord, Key};

/// Everything about the cue a generated layer needs.
#[derive(Debug, Clone, Copy)]
pub struct LayerContext<'a> {
    /// Output sample rate.
    pub sample_rate: u32,
    /// Tempo.
    pub bpm: f64,
    /// Beats per bar.
    pub beats_per_bar: u32,
    /// Bars in the loop body.
    pub bars: u32,
    /// Beats before bar 1.
    pub pickup_beats: u32,
    /// Beats after the body.
    pub tail_beats: u32,
    /// Chord symbols, one per bar, repeated cyclically (a progression is generated in the key
    /// when empty).
    pub chords: &'a [String],
    /// Key such as `"D minor"` (inferred from the first chord when `None`).
    pub key: Option<&'a str>,
    /// The cue's theme: (MIDI pitch or −1, beats); used by [`Part::Melody`].
    pub theme: Option<&'a [(i32, f32)]>,
    /// Seed (mixed with the part's own seed).
    pub seed: u64,
    /// Intensity 0..1: denser rhythms and harder hits when high.
    pub tension: f32,
}

impl LayerContext<'_> {
    /// Beats in the body.
    pub fn body_beats(&self) -> f64 {
        (self.bars * self.beats_per_bar) as f64
    }

    /// Frame of a beat counted from bar 1 (negative beats are in the pickup).
    pub fn frame_of(&self, beat: f64) -> usize {
        let b = (self.pickup_beats as f64 + beat).max(0.0);
        (b * 60.0 / self.bpm * self.sample_rate as f64).round() as usize
    }

    /// Total frames of a rendered layer.
    pub fn total_frames(&self) -> usize {
        self.frame_of(self.body_beats() + self.tail_beats as f64)
    }
}

/// A note of a part, in beats from bar 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PartNote {
    pub start: f64,
    pub beats: f64,
    pub pitch: u8,
    pub velocity: f32,
}

/// The harmonic frame of a layer.
pub(crate) struct Frame<'a> {
    pub ctx: &'a LayerContext<'a>,
    pub key: Key,
    /// One chord per body bar.
    pub chords: Vec<Chord>,
    pub seed: u64,
}

impl Frame<'_> {
    /// The chord of bar `bar` (0-based; wraps, so −1 is the last bar).
    pub fn chord(&self, bar: i64) -> Chord {
        self.chords[bar.rem_euclid(self.chords.len() as i64) as usize]
    }

    pub fn bpb(&self) -> f64 {
        self.ctx.beats_per_bar as f64
    }
}

fn validate(ctx: &LayerContext) -> Result<(), GenError> {
    let bad = |m: String| Err(GenError::InvalidRequest(m));
    if ctx.sample_rate == 0 || ctx.sample_rate > 384_000 {
        return bad(format!("sample rate {} out of range", ctx.sample_rate));
    }
    if !(ctx.bpm.is_finite() && (10.0..=400.0).contains(&ctx.bpm)) {
        return bad(format!("tempo must be 10..=400 bpm, got {}", ctx.bpm));
    }
    if !(1..=32).contains(&ctx.beats_per_bar) || ctx.bars == 0 || ctx.bars > 1024 {
        return bad(format!(
            "need 1..=32 beats per bar and 1..=1024 bars, got {} and {}",
            ctx.beats_per_bar, ctx.bars
        ));
    }
    Ok(())
}

/// Renders a generated layer: exactly [`LayerContext::total_frames`] frames, bar 1 at
/// `frame_of(0)`, a click-free loop body (see the module docs). Deterministic.
///
/// Level: the layer is normalised to a peak of −6 dBFS at velocity 0.8 (scaled by the part's
/// velocity, at most about −3 dBFS). `Part::Riser` ignores the instrument (filtered noise).
/// `SoundFont` instruments are approximated by a built-in instrument of their GM family.
pub fn render_layer(g: &Generated, ctx: &LayerContext) -> Result<StereoBuffer, GenError> {
    validate(ctx)?;
    let seed = mix(ctx.seed, g.seed);
    let parsed: Vec<Chord> = ctx
        .chords
        .iter()
        .map(|c| Chord::parse(c))
        .collect::<Result<_, _>>()?;
    let key = match (ctx.key, parsed.first()) {
        (Some(k), _) => Key::parse(k)?,
        (None, Some(c)) => Key::from_chord(c),
        (None, None) => Key::parse("C major")?,
    };
    let chords = if parsed.is_empty() {
        StyleModel::builtin().generate_progression(ctx.bars.min(8) as usize, &key, seed)
    } else {
        parsed
    };
    let frame = Frame {
        ctx,
        key,
        chords: (0..ctx.bars as usize)
            .map(|b| chords[b % chords.len()])
            .collect(),
        seed,
    };
    let total = ctx.total_frames();
    let mut out = if let Part::Riser = g.part {
        let body = ctx.frame_of(ctx.body_beats()) - ctx.frame_of(0.0);
        let mut out = StereoBuffer::new(total);
        let riser = crate::bridge::stem_effects::riser(body, ctx.sample_rate, seed);
        out.mix(&riser, ctx.frame_of(0.0), 1.0);
        out
    } else {
        let notes = match &g.part {
            Part::Chords => parts::chords(&frame, g),
            Part::Bass(n) => parts::bass(&frame, g, *n),
            Part::Arpeggio(n) => parts::arpeggio(&frame, g, *n),
            Part::Melody => parts::melody(&frame, g),
            Part::Ostinato(degrees) => parts::ostinato(&frame, g, degrees)?,
            Part::Drums(style) => drums::pattern(&frame, g, *style),
            Part::Riser => unreachable!("handled above"),
        };
        let notes = fit_loop(notes, ctx, release_seconds(&g.instrument));
        let events: Vec<NoteEvent> = notes
            .iter()
            .map(|n| {
                let s = ctx.frame_of(n.start);
                NoteEvent {
                    start_frame: s,
                    len_frames: ctx.frame_of(n.start + n.beats).saturating_sub(s).max(1),
                    pitch: n.pitch,
                    velocity: n.velocity.clamp(0.0, 1.0),
                }
            })
            .collect();
        render_notes(&g.instrument, &events, total, ctx.sample_rate, seed)
    };
    let target = (0.5 * g.velocity / 0.8).clamp(0.05, 0.7);
    out.normalize(target);
    Ok(out)
}

/// Shortens or drops notes so that body notes are silent before the body ends and pickup notes
/// before bar 1 (see the module docs); tail notes are kept.
fn fit_loop(notes: Vec<PartNote>, ctx: &LayerContext, release_s: f64) -> Vec<PartNote> {
    let body = ctx.body_beats();
    // Release plus two frames of margin, in beats.
    let rel = (release_s + 2.0 / ctx.sample_rate as f64) * ctx.bpm / 60.0;
    let min_len = 0.02;
    notes
        .into_iter()
        .filter_map(|mut n| {
            let limit = if n.start < 0.0 {
                -rel
            } else if n.start < body {
                body - rel
            } else {
                f64::INFINITY
            };
            n.beats = n.beats.min(limit - n.start);
            (n.beats >= min_len && n.start >= -(ctx.pickup_beats as f64)).then_some(n)
        })
        .collect()
}

#[cfg(test)]
mod tests;
