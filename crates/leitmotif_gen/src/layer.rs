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
//! **Seamless loops.** The engine loops a cue by overlap: at each seam the next pass starts (its
//! pickup `pickup_beats` early) while the ending pass plays on through its tail and stops at the
//! tail's end (`docs/score-format.md`, "Stem layout"). So what is heard in a long loop is the sum
//! of the stem repeated every body length. A layer is rendered for exactly that: the body's
//! notes keep their full lengths (the last bar is held right up to the seam, as every other
//! bar is held up to the next), and whatever rings on after the body end — the release of the
//! last notes — is laid out so that the repeated sum equals an endless performance of the body:
//!
//! * the part that fits in the tail stays there, in place (the natural ring-out, not folded):
//!   the next pass hears it through the overlap, and it is also the ring-out when the cue ends
//!   at a loop end;
//! * the part after the tail's end (all of it when `tail_beats == 0`) is **folded**: added onto
//!   the body start, one body length earlier, where the next pass plays it. Tail and fold are
//!   split by a 20 ms complementary crossfade ending at the stem's last frame, so the stem ends
//!   at zero (the engine stops a finished pass without a fade) and a frame of rounding between
//!   engine and generator cannot click.
//!
//! The last chord's release therefore carries on under the first chord of the next pass with no
//! dip and no step. Choice for the first pass: when the tail is long enough for the release
//! (e.g. a pad's 0.6 s), nothing is folded and the first pass starts clean — the wrap-around is
//! heard from pass 2 on, through the previous pass's tail. With `tail_beats == 0` (or a tail
//! shorter than the release) the first pass starts with a faint release of the last chord, as
//! loop-based material usually does. The tail holds only that ring-out — no chord or crash is
//! struck in it, since the engine plays every pass's tail over the next pass's bar 1. Pickup
//! notes still fall silent before bar 1 (the pickup is replayed under the end of every pass).

mod drums;
mod parts;

use std::sync::Arc;

use leitmotif_core::score::{Generated, Instrument, Part};

use crate::error::GenError;
use crate::rng::mix;
use crate::style::{StyleModel, style_or_builtin};
use crate::synth::{NoteEvent, StereoBuffer, release_seconds, render_notes, render_soundfont};
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
    /// The score's style (melodies, bass lines and progressions are generated in it); the
    /// built-in style when `None`.
    pub style: Option<&'a StyleModel>,
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
/// `frame_of(0)`, looping with no dip and no click at the seam (see the module docs).
/// Deterministic.
///
/// Level: the layer is normalised to a peak of −6 dBFS at velocity 0.8 (scaled by the part's
/// velocity, at most about −3 dBFS). `Part::Riser` ignores the instrument (filtered noise).
/// `SoundFont` instruments are approximated by a built-in instrument of their GM family; see
/// [`render_layer_with`] to play them from a loaded `SoundFont`.
pub fn render_layer(g: &Generated, ctx: &LayerContext) -> Result<StereoBuffer, GenError> {
    render_layer_with(g, ctx, None)
}

/// [`render_layer`] with the score's `SoundFont` (see [`crate::load_soundfont`]):
/// `Instrument::Soundfont(bank, preset)` layers play that preset through `rustysynth` (sample
/// rates 16–192 kHz; an error names a preset the `SoundFont` lacks). Other instruments, and
/// `SoundFont` instruments when `soundfont` is `None`, render as in [`render_layer`].
///
/// (The `SoundFont` is a parameter rather than a [`LayerContext`] field so that existing
/// `LayerContext` literals keep compiling.)
pub fn render_layer_with(
    g: &Generated,
    ctx: &LayerContext,
    soundfont: Option<&Arc<rustysynth::SoundFont>>,
) -> Result<StereoBuffer, GenError> {
    validate(ctx)?;
    let seed = mix(ctx.seed, g.seed);
    let total = ctx.total_frames();
    let frame = harmonic_frame(g, ctx)?;
    let mut out = if let Part::Riser = g.part {
        let body = ctx.frame_of(ctx.body_beats()) - ctx.frame_of(0.0);
        let mut out = StereoBuffer::new(total);
        let riser = crate::bridge::stem_effects::riser(body, ctx.sample_rate, seed);
        out.mix(&riser, ctx.frame_of(0.0), 1.0);
        out
    } else {
        let notes = part_notes(g, &frame)?;
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
        let rendered = match (&g.instrument, soundfont) {
            // Rendered until its ring has died away.
            (Instrument::Soundfont(bank, preset), Some(font)) => {
                render_soundfont(font, *bank, *preset, &events, total, ctx.sample_rate)?
            }
            _ => {
                // Long enough for every note's release (which reaches exactly zero, see
                // `release_seconds`), so the whole ring past the body end can be laid out.
                let release =
                    (release_seconds(&g.instrument) * ctx.sample_rate as f64).ceil() as usize;
                let len = events
                    .iter()
                    .map(|e| e.start_frame + e.len_frames + release + 2)
                    .max()
                    .unwrap_or(0)
                    .max(total);
                render_notes(&g.instrument, &events, len, ctx.sample_rate, seed)
            }
        };
        wrap_ring(rendered, ctx)
    };
    let target = (0.5 * g.velocity / 0.8).clamp(0.05, 0.7);
    out.normalize(target);
    Ok(out)
}

/// The key, chords and seed a part is composed in.
fn harmonic_frame<'a>(g: &Generated, ctx: &'a LayerContext<'a>) -> Result<Frame<'a>, GenError> {
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
        style_or_builtin(ctx.style.filter(|s| s.has_chords())).generate_progression(
            ctx.bars.min(8) as usize,
            &key,
            seed,
        )
    } else {
        parsed
    };
    Ok(Frame {
        ctx,
        key,
        chords: (0..ctx.bars as usize)
            .map(|b| chords[b % chords.len()])
            .collect(),
        seed,
    })
}

/// One pass of a pitched or drum part, fitted to the loop (see [`fit_loop`]).
fn part_notes(g: &Generated, frame: &Frame) -> Result<Vec<PartNote>, GenError> {
    let notes = match &g.part {
        Part::Chords => parts::chords(frame, g),
        Part::Bass(n) => parts::bass(frame, g, *n),
        Part::Arpeggio(n) => parts::arpeggio(frame, g, *n),
        Part::Melody => parts::melody(frame, g),
        Part::Ostinato(degrees) => parts::ostinato(frame, g, degrees)?,
        Part::Drums(style) => drums::pattern(frame, g, *style),
        Part::Riser => {
            return Err(GenError::InvalidRequest(
                "a Riser is a noise sweep, not notes".into(),
            ));
        }
    };
    Ok(fit_loop(notes, frame.ctx, release_seconds(&g.instrument)))
}

/// A generated part composed for live playing: one pass of its notes (in beats from bar 1,
/// in onset order) and the gain that puts it at the level [`render_layer`] would.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveComposition {
    /// The notes, as [`render_layer`] plays them.
    pub notes: Vec<leitmotif_core::conductor::LiveNote>,
    /// Gain on each note rendered by [`render_live_note`].
    pub gain: f32,
    /// Seconds each note sounds after its note-off.
    pub release: f64,
}

/// Composes `g` for `ctx` without rendering it: the notes a live part plays (the same ones
/// [`render_layer`] renders), and the gain its notes need to sound at the rendered layer's
/// level. Deterministic; fails for a `Riser` (not notes).
pub fn compose_live(g: &Generated, ctx: &LayerContext) -> Result<LiveComposition, GenError> {
    validate(ctx)?;
    let frame = harmonic_frame(g, ctx)?;
    let notes = part_notes(g, &frame)?;
    let seed = frame.seed;
    let release = release_seconds(&g.instrument);
    // The rendered layer is normalised by its peak; estimated here from the notes sounding
    // together, each at its velocity's amplitude (as the instruments scale it) times the
    // level of one such note of the instrument, rendered once (the only synthesis a live
    // part costs at load). Pitched notes add up like uncorrelated signals, in power; drum
    // hits struck together halfway between that and in amplitude (their transients nearly
    // align); a note still ringing counts half. Within 3 dB of the rendered layer's RMS for
    // every built-in part (`tests/live.rs`).
    let drums = matches!(crate::synth::builtin(&g.instrument), Instrument::Drums);
    let mut lens: Vec<f64> = notes.iter().map(|n| n.beats).collect();
    lens.sort_by(f64::total_cmp);
    let secs = lens
        .get(lens.len() / 2)
        .map_or(0.5, |b| b * 60.0 / ctx.bpm)
        .min(2.0);
    let frames = (secs * ctx.sample_rate as f64).ceil() as usize;
    let one =
        |pitch: u8| render_live_note(g, pitch, 1.0, frames, ctx.sample_rate, seed, 1.0).peak();
    let mut pitches: Vec<u8> = notes.iter().map(|n| n.pitch).collect();
    pitches.sort_unstable();
    pitches.dedup();
    let levels: Vec<(u8, f32)> = if drums {
        pitches.iter().map(|&p| (p, one(p))).collect()
    } else {
        pitches
            .get(pitches.len() / 2)
            .map(|&p| one(p))
            .map_or(Vec::new(), |l| pitches.iter().map(|&p| (p, l)).collect())
    };
    let level = |pitch: u8| levels.iter().find(|l| l.0 == pitch).map_or(0.0, |l| l.1);
    let amp = |v: f32| v.clamp(0.0, 1.0).powf(1.3);
    let mut peak = 0.0f32;
    for (i, n) in notes.iter().enumerate() {
        let (mut sum, mut power) = (0.0f32, 0.0f32);
        for m in notes
            .iter()
            .take(i + 1)
            .filter(|m| m.start + m.beats + release * ctx.bpm / 60.0 > n.start)
        {
            let a = amp(m.velocity) * level(m.pitch);
            let w = if (m.start - n.start).abs() < 0.05 {
                1.0
            } else {
                0.5
            };
            sum += w * a;
            power += w * w * a * a;
        }
        peak = peak.max(if drums {
            0.5 * (sum + power.sqrt())
        } else {
            power.sqrt()
        });
    }
    let target = (0.5 * g.velocity / 0.8).clamp(0.05, 0.7);
    let gain = if peak > 1e-6 { target / peak } else { 1.0 };
    Ok(LiveComposition {
        notes: notes
            .iter()
            .map(|n| leitmotif_core::conductor::LiveNote {
                beat: n.start,
                beats: n.beats,
                pitch: n.pitch,
                velocity: n.velocity.clamp(0.0, 1.0),
            })
            .collect(),
        gain,
        release,
    })
}

/// Renders one note of a live part: `frames` until note-off, then the instrument's release
/// (which reaches exactly zero), `gain` applied. Deterministic for `seed`.
pub fn render_live_note(
    g: &Generated,
    pitch: u8,
    velocity: f32,
    frames: usize,
    sample_rate: u32,
    seed: u64,
    gain: f32,
) -> StereoBuffer {
    let release = (release_seconds(&g.instrument) * sample_rate as f64).ceil() as usize + 2;
    let note = NoteEvent {
        start_frame: 0,
        len_frames: frames.max(1),
        pitch,
        velocity: velocity.clamp(0.0, 1.0),
    };
    let mut out = render_notes(&g.instrument, &[note], frames + release, sample_rate, seed);
    out.scale(gain);
    out
}

/// Shortens or drops pickup notes so that they are silent before bar 1, and drops notes starting
/// at or after the body end; body notes keep their lengths (their ring past the body end is laid
/// out by [`wrap_ring`]).
fn fit_loop(notes: Vec<PartNote>, ctx: &LayerContext, release_s: f64) -> Vec<PartNote> {
    let body = ctx.body_beats();
    // Release plus two frames of margin, in beats.
    let rel = (release_s + 2.0 / ctx.sample_rate as f64) * ctx.bpm / 60.0;
    let min_len = 0.02;
    notes
        .into_iter()
        .filter_map(|mut n| {
            if n.start >= body {
                return None;
            }
            if n.start < 0.0 {
                n.beats = n.beats.min(-rel - n.start);
            }
            (n.beats >= min_len && n.start >= -(ctx.pickup_beats as f64)).then_some(n)
        })
        .collect()
}

/// Length of the crossfade between the tail and the folded ring (see the module docs).
const SPLIT_SECONDS: f64 = 0.02;

/// Turns a rendering that may run past the stem (`pickup`, body, then the ring of the last notes)
/// into a stem of exactly [`LayerContext::total_frames`] frames whose copies, repeated every body
/// length, add up to the body played endlessly: the ring stays in the tail as far as it fits and
/// the rest is added onto the body start, wrapped by whole body lengths (see the module docs).
fn wrap_ring(mut r: StereoBuffer, ctx: &LayerContext) -> StereoBuffer {
    let total = ctx.total_frames();
    let bar1 = ctx.frame_of(0.0);
    let body_end = ctx.frame_of(ctx.body_beats());
    let body = body_end - bar1;
    if body == 0 {
        // A body shorter than a frame (absurdly low sample rates): nothing to wrap onto.
        r.left.truncate(total);
        r.right.truncate(total);
        return r;
    }
    // The crossfade lies inside the tail, ending at the stem's last frame.
    let split = ((SPLIT_SECONDS * ctx.sample_rate as f64).round() as usize).min(total - body_end);
    let fade_from = total - split;
    for i in fade_from..r.frames() {
        // Share of frame `i` folded: rising to 1 at the stem's last frame, 1 after it.
        let folded = if i < total {
            (i - fade_from + 1) as f32 / split as f32
        } else {
            1.0
        };
        let to = bar1 + (i - bar1) % body;
        for ch in [&mut r.left, &mut r.right] {
            let x = ch[i];
            ch[to] += x * folded;
            ch[i] = x * (1.0 - folded);
        }
    }
    r.left.truncate(total);
    r.right.truncate(total);
    r
}

#[cfg(test)]
mod tests;
