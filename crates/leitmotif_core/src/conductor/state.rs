//! The conductor's internal state: the playing instance, voices, fades, parameters, rules.

use crate::score::{CurveShape, Enter, Score, Sync};
use crate::time::{Position, TempoMap};

use super::{SourceRef, VoiceId};

/// A heard and a set value of a parameter.
#[derive(Debug, Clone, Copy)]
pub(super) struct ParamState {
    pub set: f32,
    pub heard: f32,
}

/// Hysteresis state of a cue rule: one latch per condition.
#[derive(Debug, Clone)]
pub(super) struct RuleState {
    pub latched: Vec<bool>,
    pub active: bool,
}

impl RuleState {
    pub fn new(conditions: usize) -> Self {
        RuleState {
            latched: vec![false; conditions],
            active: false,
        }
    }
}

/// What the musical grid currently belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum InstanceKind {
    Cue(usize),
    Segment {
        segment: usize,
        from: usize,
        to: usize,
    },
    Bridge {
        id: u32,
        from: usize,
        to: usize,
    },
}

/// A cue, segment or bridge on the timeline, with its own grid (tick 0 = its bar 1).
#[derive(Debug, Clone)]
pub(super) struct Instance {
    pub kind: InstanceKind,
    /// Distinguishes instances, so voices know whose grid they follow.
    pub id: u32,
    pub map: TempoMap,
    /// Whether the grid differs from the material's own tempo (a tempo cue changed it, or a
    /// segment plays at the tempo it was entered at): its voices are time-stretched to follow.
    pub retimed: bool,
    /// Global bars before this instance's bar 1.
    pub bar_offset: u32,
    /// Bars in a body (loop length, or the segment/bridge length).
    pub bars: u32,
    pub looping: bool,
    /// Index of the pass whose voices are playing (cues).
    pub pass: u32,
    /// Frame of the end of the current pass (next loop seam, or the end).
    pub pass_end: i64,
}

impl Instance {
    pub fn new_cue(
        score: &Score,
        cue: usize,
        sr: u32,
        start: i64,
        bar_offset: u32,
        id: u32,
    ) -> Self {
        let c = &score.cues[cue];
        let tempo = score.cue_tempo(c);
        let map = TempoMap::from_tempo(tempo, sr, start);
        Instance {
            kind: InstanceKind::Cue(cue),
            id,
            retimed: false,
            pass_end: map.frame_at_bar(c.bars + 1),
            map,
            bar_offset,
            bars: c.bars,
            looping: c.looping,
            pass: 0,
        }
    }

    pub fn cue(&self) -> Option<usize> {
        match self.kind {
            InstanceKind::Cue(c) => Some(c),
            InstanceKind::Segment { from, .. } | InstanceKind::Bridge { from, .. } => Some(from),
        }
    }

    pub fn start(&self) -> i64 {
        self.map.start_frame()
    }

    /// Global position of a frame on this instance's grid.
    pub fn global_position(&self, frame: i64) -> Position {
        let mut p = self.map.position_at_frame(frame.max(self.start()));
        p.bar += self.bar_offset;
        p
    }

    /// Bar within the body (1-based) of a local bar.
    pub fn body_bar(&self, local_bar: u32) -> u32 {
        (local_bar.max(1) - 1) % self.bars.max(1) + 1
    }

    /// The frame of the sync point at or after `earliest` on this instance's grid.
    pub fn sync_frame(&self, score: &Score, sync: &Sync, earliest: i64) -> i64 {
        let map = &self.map;
        let earliest = earliest.max(self.start());
        match sync {
            Sync::Immediate => earliest,
            Sync::NextBeat => map.frame_at_tick(map.next_beat_tick(earliest)),
            Sync::NextBar => map.frame_at_tick(map.next_bar_tick(earliest)),
            Sync::EveryBars(n) => {
                // Phrase points count bars of the loop body: bar 1 + a multiple of `n` within
                // each pass (a 6-bar loop with `EveryBars(4)` changes on its bars 1 and 5).
                let n = (*n).max(1);
                let mut bar = map.position_of_tick(map.next_bar_tick(earliest)).bar;
                while !(self.body_bar(bar) - 1).is_multiple_of(n) {
                    bar += 1;
                }
                map.frame_at_bar(bar)
            }
            Sync::EndOfLoop => {
                let mut bar = self.bars + 1;
                while map.frame_at_bar(bar) < earliest {
                    bar += self.bars.max(1);
                }
                map.frame_at_bar(bar)
            }
            Sync::Marker(name) => {
                let marker = match self.kind {
                    InstanceKind::Cue(c) => score.cues[c].markers.iter().find(|m| &m.name == name),
                    _ => None,
                };
                let Some(m) = marker else {
                    return map.frame_at_tick(map.next_bar_tick(earliest));
                };
                let mut pass = 0u32;
                loop {
                    let pos = Position {
                        bar: pass * self.bars + m.bar,
                        beat: m.beat,
                        tick: 0,
                    };
                    let f = map.frame_at(pos);
                    if f >= earliest || pass > 1_000_000 {
                        return f;
                    }
                    pass += 1;
                }
            }
        }
    }
}

/// A fade envelope: from `from` to `to` over `len` frames from `start`, shaped.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fade {
    pub start: i64,
    pub len: i64,
    pub from: f32,
    pub to: f32,
    pub shape: CurveShape,
}

impl Fade {
    pub fn hold(value: f32) -> Self {
        Fade {
            start: 0,
            len: 0,
            from: value,
            to: value,
            shape: CurveShape::Linear,
        }
    }

    pub fn at(&self, frame: i64) -> f32 {
        if self.len <= 0 || frame >= self.start + self.len {
            return self.to;
        }
        if frame <= self.start {
            return self.from;
        }
        let t = (frame - self.start) as f32 / self.len as f32;
        if self.to >= self.from {
            self.from + (self.to - self.from) * self.shape.apply(t)
        } else {
            self.to + (self.from - self.to) * self.shape.apply(1.0 - t)
        }
    }
}

/// What a voice's gain follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Owner {
    /// A cue layer or segment layer: curves and ducking apply.
    Music { layer_of: LayerOf },
    /// A bridge: ducking applies.
    Bridge,
}

/// Which score layer a voice plays, for its curves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LayerOf {
    Cue(usize, usize),
    Segment(usize, usize),
}

/// The grid a voice's material was made on, and where it sits on the instance's grid: what
/// time-stretching it to a changed tempo needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Clock {
    /// The instance whose grid the voice follows (`u32::MAX`: the cue being brought in, not
    /// started yet).
    pub instance: u32,
    /// Tick (on the instance's grid) of the material's bar 1.
    pub bar1_tick: i64,
    /// The material's own grid.
    pub made_on: MadeOn,
}

/// The tempo a voice's material was made at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum MadeOn {
    /// A cue's stems: its own tempo, with its pickup before bar 1.
    Cue(usize),
    /// Segment and stinger material: the score's tempo, no pickup.
    Score,
}

/// A voice the conductor is responsible for.
#[derive(Debug, Clone)]
pub(super) struct Voice {
    pub id: VoiceId,
    pub source: SourceRef,
    pub owner: Owner,
    pub fade: Fade,
    /// When set, a `Stop` is due at this frame.
    pub stop_at: Option<(i64, u32)>,
    /// Frame at which it started (gain ramps do not begin before).
    pub started: i64,
    /// Until this frame the voice fades in from silence by itself (a tail voice started
    /// mid-waveform): gain ramps begin after it.
    pub attack_until: i64,
    pub last_gain: f32,
    pub last_cutoff: Option<f32>,
    /// Whether the voice belongs to the current instance (false once it fades out).
    pub current: bool,
    /// How it follows a changed tempo (none: it plays at its own speed).
    pub clock: Option<Clock>,
    /// Source frames per output frame last sent to the engine.
    pub rate: f64,
    /// Whether it has been sent a `Warp` (it plays through a stretcher).
    pub warped: bool,
    /// A live part's sequencer: the voice itself is never sent to the engine; its notes are.
    pub seq: Option<Box<Seq>>,
}

/// The sequencer of a live part for one pass: plays its notes on `map`, bar 1 at
/// `bar1_tick`, and keeps the notes sounding so they follow its gain and stop.
#[derive(Debug, Clone)]
pub(super) struct Seq {
    pub part: std::sync::Arc<super::schedule::live::Sequenced>,
    pub cue: usize,
    pub layer: usize,
    /// The next note of the part to play.
    pub next: usize,
    /// The next note to announce as a prefetch.
    pub ahead: usize,
    pub map: TempoMap,
    pub bar1_tick: i64,
    /// The shaping values latched at the last beat.
    pub shape: Shape,
    /// Frame of the next beat, where the shape is latched again.
    pub latch_at: i64,
    /// Notes sounding: (voice, onset frame, frame its release ends).
    pub sounding: Vec<(VoiceId, i64, i64)>,
}

/// What a live part's curves make of its notes, latched on each beat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Shape {
    pub density: f32,
    pub octaves: i32,
    pub velocity: f32,
    pub articulation: f32,
}

/// A transition waiting for its sync point.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub to: usize,
    pub rule: Option<usize>,
    /// The request: its frame and what it forced (re-planned when a tempo cue moves the grid).
    pub requested: i64,
    pub force: Option<Sync>,
    pub force_enter: Option<Enter>,
    /// Frame of the sync point (where the outgoing cue starts to leave).
    pub sync: i64,
    /// What plays between the sync point and the target's bar 1.
    pub between: Between,
}

/// Music between a transition's sync point and the target's bar 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Between {
    Nothing,
    Segment(usize),
    /// A generated bridge: id, bars, frames.
    Bridge(u32, u32, i64),
}

/// The cue a transition is bringing in: its bar 1 lands at `at`.
#[derive(Debug, Clone)]
pub(super) struct Incoming {
    pub to: usize,
    pub from: usize,
    pub rule: Option<usize>,
    pub at: i64,
    /// Where the target is entered at `at` (`None`: its bar 1, with its pickup before).
    pub entry: Option<Position>,
    /// Whether its voices (with their pickup) have been started.
    pub started: bool,
    /// Whether the sync point has passed (the transition is committed).
    pub committed: bool,
}
