//! Live parts: per pass, a sequencer plays a generated part's notes on the live tempo map,
//! each note a voice of its own (rendered by the session for its `Start`), shaped by the
//! part's curves as they stand at each beat.
//!
//! A sequencer is a [`Voice`](super::super::state::Voice) that is never sent to the engine:
//! it carries the layer's gain (curves, fades, ducking) and its stop, and its notes follow
//! both. Notes keep ringing through their release when a pass ends at a loop seam (as the
//! tail of a stem would); any other stop stops them with the stop's release.

use std::sync::Arc;

use super::super::state::{Clock, Seq, Shape};
use super::super::{Action, ActionKind, Conductor, Job, LivePart, NoteJob, SourceRef};
use super::Out;
use crate::score::{Curve, Source};
use crate::time::{TICKS_PER_BEAT, TempoMap};
use crate::timing::seed::mix;

/// One thing a sequencer may play: a note of the part, or the second half of one (played
/// instead of the note's second half when the density curve splits it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::conductor) struct Entry {
    /// Onset in beats from bar 1.
    pub beat: f64,
    /// Index of the note in [`LivePart::notes`].
    pub note: u32,
    pub half: bool,
    /// Rank in 0..1 of the note for the density curve: notes on weaker metric positions have
    /// higher ranks, so they are left out first (and split last).
    pub rank: f32,
}

/// A live part with what its sequencers play, in onset order.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::conductor) struct Sequenced {
    pub part: LivePart,
    pub entries: Vec<Entry>,
}

impl Sequenced {
    pub fn new(part: LivePart, beats_per_bar: u32) -> Self {
        let bpb = beats_per_bar.max(1) as f64;
        let on = |x: f64| (x - x.round()).abs() < 1e-6;
        let mut entries = Vec::with_capacity(2 * part.notes.len());
        for (i, n) in part.notes.iter().enumerate() {
            let half = split_point(n.beats);
            let level = if on(n.beat / bpb) {
                0.0
            } else if on(n.beat) {
                1.0
            } else if on(n.beat * 2.0) {
                2.0
            } else {
                3.0
            };
            let u = (mix(part.seed, i as u64) >> 40) as f32 / (1u64 << 24) as f32;
            let rank = (level + u) / 4.0;
            entries.push(Entry {
                beat: n.beat,
                note: i as u32,
                half: false,
                rank,
            });
            entries.push(Entry {
                beat: n.beat + half,
                note: i as u32,
                half: true,
                rank,
            });
        }
        entries.sort_by(|a, b| a.beat.total_cmp(&b.beat));
        Sequenced { part, entries }
    }
}

impl Conductor {
    /// The sequencer of a live layer whose pass starts at `frame`, `offset` frames into where
    /// its stem would be, on `clock`.
    pub(super) fn new_seq(
        &self,
        cue: usize,
        layer: usize,
        frame: i64,
        offset: u64,
        clock: Clock,
    ) -> Option<Box<Seq>> {
        let part = self.live_part(cue, layer)?.clone();
        let (map, bar1_tick) = if clock.instance == self.current.id {
            (self.current.map.clone(), clock.bar1_tick)
        } else {
            // The cue being brought in: at its own tempo until it plays.
            let bar1 = frame - offset as i64 + self.pickup_of(cue);
            let tempo = self.score.cue_tempo(&self.score.cues[cue]);
            (TempoMap::from_tempo(tempo, self.sample_rate, bar1), 0)
        };
        Some(Box::new(Seq {
            part,
            cue,
            layer,
            next: 0,
            ahead: 0,
            map,
            bar1_tick,
            shape: self.shape_of(cue, layer),
            latch_at: frame,
            sounding: Vec::new(),
        }))
    }

    /// The curves of a live layer at the parameters heard now.
    fn shape_of(&self, cue: usize, layer: usize) -> Shape {
        let Source::Generated(g) = &self.score.cues[cue].layers[layer].source else {
            return Shape::NEUTRAL;
        };
        let [density, register, velocity, articulation] = g
            .live_curves()
            .map(|c| c.map(|c: &Curve| c.eval(self.param_value(&c.parameter))));
        Shape {
            density: density.unwrap_or(1.0).clamp(0.0, 2.0),
            octaves: register.unwrap_or(0.0).round().clamp(-3.0, 3.0) as i32,
            velocity: velocity.unwrap_or(1.0).clamp(0.0, 2.0),
            articulation: articulation.unwrap_or(1.0).clamp(0.05, 2.0),
        }
    }

    /// Plays the notes of every sequencer due before `until`.
    pub(super) fn sequence(&mut self, until: i64, out: &mut Out<'_>) {
        self.prefetch_incoming();
        for i in 0..self.voices.len() {
            self.sequence_voice(i, until, out);
        }
    }

    /// Plays the notes of voice `i`'s sequencer due before `until` (and before its stop).
    pub(super) fn sequence_voice(&mut self, i: usize, until: i64, out: &mut Out<'_>) {
        let Some(mut seq) = self.voices[i].seq.take() else {
            return;
        };
        let v = &self.voices[i];
        let started = v.started;
        let until = v.stop_at.map_or(until, |s| until.min(s.0));
        let release = (seq.part.part.release * self.sample_rate as f64).ceil() as i64 + 2;
        let pan = self.score.cues[seq.cue].layers[seq.layer].pan;
        let tpb = TICKS_PER_BEAT as f64;
        let frame_of = |map: &TempoMap, bar1: i64, beat: f64| {
            map.frame_at_tick_f64(bar1 as f64 + beat * tpb).round() as i64
        };
        while let Some(&e) = seq.part.entries.get(seq.next) {
            let onset = frame_of(&seq.map, seq.bar1_tick, e.beat);
            if onset >= until {
                break;
            }
            seq.next += 1;
            if onset >= seq.latch_at {
                self.latch(&mut seq, onset);
            }
            let Some((mut job, off)) = note_of(&seq, &e, seq.shape, onset) else {
                continue;
            };
            let at = onset.max(started);
            if off <= at {
                // Over before the sequencer started (a pickup note at the very start).
                continue;
            }
            let voice = self.alloc_voice();
            job.voice = voice;
            job.frame = at as u64;
            self.jobs.push(Job::RenderNote(job));
            let v = &self.voices[i];
            out.actions.push(Action {
                frame: at as u64,
                kind: ActionKind::Start {
                    voice,
                    source: SourceRef::Note {
                        cue: job.cue,
                        layer: job.layer,
                    },
                    offset: (at - onset) as u64,
                    gain: self.voice_gain(v, at),
                    cutoff: v.last_cutoff,
                    pan,
                },
            });
            seq.sounding.push((voice, at, off + release));
        }
        // The notes coming up, as the curves stand now, for a live session to render ahead.
        if self.note_prefetch > 0 {
            seq.ahead = seq.ahead.max(seq.next);
            let horizon = until + self.note_prefetch;
            let shape = self.shape_of(seq.cue, seq.layer);
            while let Some(&e) = seq.part.entries.get(seq.ahead) {
                let onset = frame_of(&seq.map, seq.bar1_tick, e.beat);
                if onset >= horizon {
                    break;
                }
                seq.ahead += 1;
                if let Some((job, _)) = note_of(&seq, &e, shape, onset) {
                    self.jobs.push(Job::PrefetchNote(job));
                }
            }
        }
        while seq.latch_at < until {
            let at = seq.latch_at;
            self.latch(&mut seq, at);
        }
        self.voices[i].seq = Some(seq);
    }

    /// Announces the first notes of a cue a transition will bring in (at its bar 1, its own
    /// tempo), once, so a live session renders them before it starts.
    pub(super) fn prefetch_incoming(&mut self) {
        let Some(inc) = &self.incoming else { return };
        if self.note_prefetch == 0
            || inc.started
            || self.prefetched_incoming == Some((inc.to, inc.at))
        {
            return;
        }
        let (to, at, entry) = (inc.to, inc.at, inc.entry);
        self.prefetched_incoming = Some((to, at));
        let bar1 = at - entry.map_or(0, |pos| self.cue_maps[to].frame_at(pos));
        let from = at - self.lead_of(to, entry);
        let jobs = self.notes_of_cue(to, bar1, from, at + self.note_prefetch);
        self.jobs.extend(jobs.into_iter().map(Job::PrefetchNote));
    }

    /// The notes the live parts of `cue` play from `from` to `until` with its bar 1 at
    /// `bar1`, at its own tempo and the curves as they stand (voices not given).
    pub(in crate::conductor) fn notes_of_cue(
        &self,
        cue: usize,
        bar1: i64,
        from: i64,
        until: i64,
    ) -> Vec<NoteJob> {
        let tempo = self.score.cue_tempo(&self.score.cues[cue]);
        let map = TempoMap::from_tempo(tempo, self.sample_rate, bar1);
        let mut jobs = Vec::new();
        for layer in 0..self.score.cues[cue].layers.len() {
            let Some(part) = self.live_part(cue, layer).cloned() else {
                continue;
            };
            let seq = Seq {
                part,
                cue,
                layer,
                next: 0,
                ahead: 0,
                map: map.clone(),
                bar1_tick: 0,
                shape: Shape::NEUTRAL,
                latch_at: 0,
                sounding: Vec::new(),
            };
            let shape = self.shape_of(cue, layer);
            for e in &seq.part.entries {
                let onset = seq
                    .map
                    .frame_at_tick_f64(e.beat * TICKS_PER_BEAT as f64)
                    .round() as i64;
                if onset >= until {
                    break;
                }
                if onset < from {
                    continue;
                }
                if let Some((job, _)) = note_of(&seq, e, shape, onset) {
                    jobs.push(job);
                }
            }
        }
        jobs
    }

    /// Takes the curves' values for the beat at `frame` and finds the next beat.
    fn latch(&self, seq: &mut Seq, frame: i64) {
        seq.shape = self.shape_of(seq.cue, seq.layer);
        let next = seq.map.next_beat_tick(frame + 1);
        seq.latch_at = seq.map.frame_at_tick(next).max(frame + 1);
    }

    /// A sequencer stops at `frame` with `release`: its notes due before are played, and
    /// those sounding stop too — unless it ends a pass at full gain with no release (a loop
    /// seam), where they ring out as a stem's tail would.
    pub(super) fn stop_seq(&mut self, i: usize, frame: i64, release: u32, out: &mut Out<'_>) {
        self.sequence_voice(i, frame, out);
        let v = &self.voices[i];
        let Some(seq) = &v.seq else { return };
        if release == 0 && v.fade.at(frame) * self.duck > 1e-4 {
            return;
        }
        for &(voice, _, end) in seq.sounding.iter().filter(|n| n.2 > frame) {
            out.actions.push(Action {
                frame: frame as u64,
                kind: ActionKind::Stop {
                    voice,
                    release: release.min((end - frame) as u32),
                },
            });
        }
    }

    /// Sequencers on the current grid take its new map (a tempo cue changed it, or the cue
    /// they bring in has just started).
    pub(super) fn refresh_seq_maps(&mut self) {
        let (id, map) = (self.current.id, &self.current.map);
        for v in &mut self.voices {
            if let (Some(seq), Some(c)) = (v.seq.as_mut(), v.clock)
                && c.instance == id
            {
                seq.map = map.clone();
                // What was announced ahead was placed on the old map: announced again.
                seq.ahead = seq.next;
            }
        }
    }
}

/// The note an entry plays at `onset` under `shape` (its voice and frame left for the
/// caller), and the frame of its note-off; `None` when the curves leave it out.
fn note_of(seq: &Seq, e: &Entry, s: Shape, onset: i64) -> Option<(NoteJob, i64)> {
    let split = e.rank < s.density - 1.0;
    if e.rank >= s.density || (e.half && !split) {
        return None;
    }
    let n = seq.part.part.notes[e.note as usize];
    // A split note plays in two halves; otherwise the whole note.
    let half = split_point(n.beats);
    let beats = match (split, e.half) {
        (false, _) => n.beats,
        (true, false) => half,
        (true, true) => n.beats - half,
    } * s.articulation as f64;
    let tick = seq.bar1_tick as f64 + (e.beat + beats) * TICKS_PER_BEAT as f64;
    let off = (seq.map.frame_at_tick_f64(tick).round() as i64).max(onset + 1);
    let velocity = (n.velocity * s.velocity).clamp(0.0, 1.0);
    if velocity <= 0.0 {
        return None;
    }
    let job = NoteJob {
        voice: u32::MAX,
        cue: seq.cue as u16,
        layer: seq.layer as u16,
        index: 2 * e.note + e.half as u32,
        pitch: (n.pitch as i32 + 12 * s.octaves).clamp(0, 127) as u8,
        velocity,
        frames: (off - onset).min(u32::MAX as i64) as u32,
        frame: onset.max(0) as u64,
    };
    Some((job, off))
}

/// Where a note split by the density curve is struck again, in beats after its onset: half
/// its length, on the nearest 32nd-note grid (a note a little shorter than its step, as
/// composed parts play them, splits on the grid).
fn split_point(beats: f64) -> f64 {
    if beats >= 0.25 {
        ((beats / 2.0) * 8.0).round() / 8.0
    } else {
        beats / 2.0
    }
}

impl Shape {
    /// No curves: every note as composed.
    pub const NEUTRAL: Shape = Shape {
        density: 1.0,
        octaves: 0,
        velocity: 1.0,
        articulation: 1.0,
    };
}

/// The sequenced form of live parts, by cue and layer.
pub(in crate::conductor) fn sequenced(
    score: &crate::Score,
    parts: Vec<LivePart>,
) -> Vec<Vec<Option<Arc<Sequenced>>>> {
    let mut live: Vec<Vec<Option<Arc<Sequenced>>>> = score
        .cues
        .iter()
        .map(|c| vec![None; c.layers.len()])
        .collect();
    for p in parts {
        let Some(cue) = score.cues.get(p.cue as usize) else {
            continue;
        };
        let bpb = score.cue_tempo(cue).meter.0;
        if let Some(slot) = live
            .get_mut(p.cue as usize)
            .and_then(|l| l.get_mut(p.layer as usize))
        {
            *slot = Some(Arc::new(Sequenced::new(p, bpb)));
        }
    }
    live
}
