//! Run-time composed bridges between two cues.
//!
//! [`compose_bridge`] writes a short score that leaves the source cue's harmony, modulates to
//! the target's key and ends on the target's dominant, so that **the target's first chord (its
//! tonic) lands on the downbeat right after the bridge**. The score has a bass line, four
//! voice-led inner voices, a top voice (foreshadowing the target's theme when one is given) and
//! a drum part whose fill follows the change of tension. [`render_bridge`] synthesises it under
//! a linear tempo ramp; [`BridgeScore::to_smf`] writes it as MIDI.

mod harmony;
mod request;
mod voices;

pub mod stem_effects;

pub use request::bridge_request;

use leitmotif_core::score::Instrument;

use crate::error::GenError;
use crate::rng::rng;
use crate::synth::{NoteEvent, StereoBuffer, render_notes};
use crate::theory::{Chord, Key};

/// What a bridge must connect.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeRequest {
    /// Key of the source cue (`"D minor"`); inferred from `from_chord` when `None`.
    pub from_key: Option<String>,
    /// The chord sounding when the source cue is left.
    pub from_chord: String,
    /// Tempo of the source cue.
    pub from_bpm: f64,
    /// Key of the target cue; inferred from `to_chord` when `None`.
    pub to_key: Option<String>,
    /// The target's first chord.
    pub to_chord: String,
    /// Tempo of the target cue.
    pub to_bpm: f64,
    /// Beats per bar (quarter-note beats).
    pub beats_per_bar: u32,
    /// Length of the bridge in bars, 1..=16.
    pub bars: u32,
    /// Tension (intensity) of the source, 0..1.
    pub tension_from: f32,
    /// Tension of the target, 0..1.
    pub tension_to: f32,
    /// The target's theme, foreshadowed when given: (MIDI pitch or −1, beats).
    pub to_theme: Option<Vec<(i32, f32)>>,
    /// Timbres of the loudest layers of the two cues; the bridge borrows them.
    pub instruments: Vec<Instrument>,
    /// The score's style: when given, the top voice (and the bass, when the style learned a
    /// bass line) is written in it over the bridge's chords instead of by voice leading.
    pub style: Option<std::sync::Arc<crate::style::StyleModel>>,
}

/// One note of a bridge voice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    /// Onset in beats from the bridge's start.
    pub start_beat: f64,
    /// Length in beats.
    pub beats: f64,
    /// MIDI pitch (a General MIDI percussion key in drum voices).
    pub pitch: u8,
    /// Velocity 0..1.
    pub velocity: f32,
    /// A non-chord (passing) tone; otherwise a tone of the active chord.
    pub passing: bool,
}

/// One voice of a bridge.
#[derive(Debug, Clone, PartialEq)]
pub struct Voice {
    /// `"bass"`, `"harmony 1"`…`"harmony 4"`, `"top"` or `"drums"`.
    pub name: String,
    /// The timbre.
    pub instrument: Instrument,
    /// Notes in time order (monophonic except drums).
    pub notes: Vec<Note>,
}

impl Voice {
    /// Whether the voice carries pitches (not drums).
    pub fn is_pitched(&self) -> bool {
        !matches!(
            self.instrument,
            Instrument::Drums | Instrument::Soundfont(128, _)
        )
    }
}

/// A composed bridge.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeScore {
    /// Chord changes: (start beat, chord); the last is the target's dominant.
    pub chords: Vec<(f64, Chord)>,
    /// The voices.
    pub voices: Vec<Voice>,
    /// Tempo at the start.
    pub bpm_from: f64,
    /// Tempo reached at the end (the target's tempo).
    pub bpm_to: f64,
    /// Beats per bar.
    pub beats_per_bar: u32,
    /// Length in bars.
    pub bars: u32,
    /// The source key.
    pub from_key: Key,
    /// The target key.
    pub to_key: Key,
}

impl BridgeScore {
    /// Length in beats.
    pub fn total_beats(&self) -> f64 {
        (self.bars * self.beats_per_bar) as f64
    }

    /// Seconds from the bridge's start to `beat` under the linear tempo ramp (tempo linear in
    /// beats from `bpm_from` to `bpm_to`); after the end the tempo stays at `bpm_to`.
    pub fn seconds_at(&self, beat: f64) -> f64 {
        let l = self.total_beats();
        let (b0, b1) = (self.bpm_from, self.bpm_to);
        let b = beat.min(l);
        let within = if (b1 - b0).abs() < 1e-9 {
            b * 60.0 / b0
        } else {
            60.0 * l / (b1 - b0) * (1.0 + (b1 - b0) * b / (l * b0)).ln()
        };
        within + (beat - b).max(0.0) * 60.0 / b1
    }

    /// The chord active at `beat`.
    pub fn chord_at(&self, beat: f64) -> &Chord {
        &self
            .chords
            .iter()
            .rev()
            .find(|(b, _)| *b <= beat + 1e-9)
            .unwrap_or(&self.chords[0])
            .1
    }
}

fn parse_key(key: &Option<String>, chord: &Chord) -> Result<Key, GenError> {
    match key {
        Some(k) => Ok(Key::parse(k)?),
        None => Ok(Key::from_chord(chord)),
    }
}

fn validate(req: &BridgeRequest) -> Result<(), GenError> {
    let bad = |m: String| Err(GenError::InvalidRequest(m));
    if !(1..=16).contains(&req.bars) {
        return bad(format!("bridge bars must be 1..=16, got {}", req.bars));
    }
    if !(1..=16).contains(&req.beats_per_bar) {
        return bad(format!(
            "beats per bar must be 1..=16, got {}",
            req.beats_per_bar
        ));
    }
    for bpm in [req.from_bpm, req.to_bpm] {
        if !(bpm.is_finite() && (10.0..=400.0).contains(&bpm)) {
            return bad(format!("tempo must be 10..=400 bpm, got {bpm}"));
        }
    }
    Ok(())
}

/// Composes a bridge. Deterministic for a request and seed; different seeds give different
/// chord paths, rhythms and fills.
///
/// The last chord is V7 (sometimes the plain V triad) of the target key, or — when the target
/// does not start on its tonic — the applied dominant of the target's first chord. The target's
/// first chord is not part of the bridge: it arrives on the downbeat after it.
pub fn compose_bridge(req: &BridgeRequest, seed: u64) -> Result<BridgeScore, GenError> {
    use rand::Rng;
    validate(req)?;
    let from_chord = Chord::parse(&req.from_chord)?;
    let to_chord = Chord::parse(&req.to_chord)?;
    let from = parse_key(&req.from_key, &from_chord)?;
    let to = parse_key(&req.to_key, &to_chord)?;
    let mut r = rng(seed, 0x00B4_1D6E);
    let split_last = req.bars > 1 && r.random_bool(0.5);
    let slots = harmony::slots(req.bars, req.beats_per_bar, split_last);
    let goal = harmony::goal(&to, &to_chord, r.random_bool(0.25));
    let path = harmony::chord_path(&mut r, &from, &from_chord, &to, goal, slots.len());
    let plan = voices::Plan {
        from,
        to,
        from_chord,
        to_chord,
        slots: slots
            .iter()
            .zip(&path)
            .map(|(s, c)| (s.0, s.1, *c))
            .collect(),
        total: (req.bars * req.beats_per_bar) as f64,
        beats_per_bar: req.beats_per_bar,
        tension: (
            req.tension_from.clamp(0.0, 1.0),
            req.tension_to.clamp(0.0, 1.0),
        ),
    };

    let (harmony_inst, top_inst) = timbres(&req.instruments);
    let mut voices = vec![Voice {
        name: "bass".into(),
        instrument: Instrument::Bass,
        notes: match req.style.as_deref() {
            Some(style) => {
                voices::styled(&plan, style, true, seed).unwrap_or_else(|| voices::bass(&plan))
            }
            None => voices::bass(&plan),
        },
    }];
    let inner = voices::harmony(&plan);
    for v in 0..4 {
        voices.push(Voice {
            name: format!("harmony {}", v + 1),
            instrument: harmony_inst.clone(),
            notes: inner.iter().skip(v).step_by(4).copied().collect(),
        });
    }
    let mut top = voices::top(&plan, &mut r);
    if let Some(styled) = req
        .style
        .as_deref()
        .and_then(|style| voices::styled(&plan, style, false, seed))
    {
        top = styled;
    }
    if let Some(theme) = req
        .to_theme
        .as_deref()
        .filter(|t| t.iter().any(|n| n.0 >= 0))
    {
        voices::foreshadow(&plan, &mut top, theme);
    }
    voices.push(Voice {
        name: "top".into(),
        instrument: top_inst,
        notes: top,
    });
    voices.push(Voice {
        name: "drums".into(),
        instrument: Instrument::Drums,
        notes: voices::drums(&plan, &mut r),
    });
    for v in &mut voices {
        v.notes
            .retain(|n| n.start_beat < plan.total - 1e-9 && n.beats > 1e-9);
        for n in &mut v.notes {
            n.beats = n.beats.min(plan.total - n.start_beat);
        }
        v.notes
            .sort_by(|a, b| a.start_beat.total_cmp(&b.start_beat));
        if v.is_pitched() {
            voices::limit_leaps(&mut v.notes);
        }
    }
    Ok(BridgeScore {
        chords: plan.slots.iter().map(|s| (s.0, s.2)).collect(),
        voices,
        bpm_from: req.from_bpm,
        bpm_to: req.to_bpm,
        beats_per_bar: req.beats_per_bar,
        bars: req.bars,
        from_key: from,
        to_key: to,
    })
}

/// Picks the harmony and top-voice timbres from the cues' loud layers.
fn timbres(instruments: &[Instrument]) -> (Instrument, Instrument) {
    let tonal: Vec<&Instrument> = instruments
        .iter()
        .filter(|i| {
            !matches!(
                i,
                Instrument::Bass | Instrument::Drums | Instrument::Soundfont(128, _)
            )
        })
        .collect();
    let harmony = tonal.first().map_or(Instrument::Pad, |i| (*i).clone());
    let top = tonal.get(1).map_or_else(
        || {
            if harmony == Instrument::Keys {
                Instrument::Bell
            } else {
                Instrument::Keys
            }
        },
        |i| (*i).clone(),
    );
    (harmony, top)
}

/// Gain of a voice in the bridge mix.
fn voice_gain(v: &Voice) -> f32 {
    match v.name.as_str() {
        "bass" => 0.7,
        "top" => 0.55,
        "drums" => 0.7,
        _ => 0.3,
    }
}

/// Renders a bridge to exactly `total_frames` stereo frames. Onsets follow the linear tempo
/// ramp of [`BridgeScore::seconds_at`]; the mix peaks at most around −1 dBFS.
pub fn render_bridge(score: &BridgeScore, sample_rate: u32, total_frames: usize) -> StereoBuffer {
    let sr = sample_rate as f64;
    let mut out = StereoBuffer::new(total_frames);
    for (i, v) in score.voices.iter().enumerate() {
        let events: Vec<NoteEvent> = v
            .notes
            .iter()
            .map(|n| {
                let s = (score.seconds_at(n.start_beat) * sr).round() as usize;
                let e = (score.seconds_at(n.start_beat + n.beats) * sr).round() as usize;
                NoteEvent {
                    start_frame: s,
                    len_frames: e.saturating_sub(s).max(1),
                    pitch: n.pitch,
                    velocity: n.velocity,
                }
            })
            .collect();
        let buf = render_notes(&v.instrument, &events, total_frames, sample_rate, i as u64);
        out.mix(&buf, 0, voice_gain(v));
    }
    if out.peak() > 0.9 {
        out.normalize(0.9);
    }
    out
}

#[cfg(test)]
mod tests;
