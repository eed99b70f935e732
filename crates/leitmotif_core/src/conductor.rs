//! The conductor: a pure, deterministic state machine from timestamped input to a plan.
//!
//! Input arrives as [`TimedInput`]s (parameter changes, cue requests, stingers, tempo cues, the
//! dialogue level). [`Conductor::advance`] moves time forward in control blocks and appends to
//! two lists: [`Action`]s for the engine (start a voice at frame F with an offset into its
//! source, ramp its gain, stop it, compose a bridge) and [`MusicEvent`]s for the game (beat,
//! bar, marker, cue started, transition started/finished, stinger). Both are in frame order and
//! every frame is exact. Same score, seed and input ⇒ the same plan, always.
//!
//! # Requests during a transition
//! *Last wins while pending*: a cue request replaces a pending transition that has not reached
//! its sync point (the sync point is recomputed from the new rule). Once a transition has
//! started it is committed; a request made while it is still running (a bridge or segment is
//! playing) is queued and made as soon as the target cue has started.

mod resume;
mod schedule;
mod state;

use std::sync::Arc;

use rand::SeedableRng;

use crate::score::{Score, Sync};
use crate::time::{Position, TempoMap};
use state::{Incoming, Instance, ParamState, Pending, RuleState, Voice};

pub use schedule::STRETCH_RANGE;

/// Identifies a voice in the plan; the engine maps it to a slot.
pub type VoiceId = u32;

/// Where a voice's audio comes from, by index into the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceRef {
    /// Layer `layer` of cue `cue`.
    Layer {
        /// Cue index.
        cue: u16,
        /// Layer index.
        layer: u16,
    },
    /// Layer `layer` of segment `segment`.
    SegmentLayer {
        /// Segment index.
        segment: u16,
        /// Layer index.
        layer: u16,
    },
    /// Variation `variation` of stinger `stinger`.
    Stinger {
        /// Stinger index.
        stinger: u16,
        /// Variation index.
        variation: u16,
    },
    /// Alternate `alternate` (0-based, body `alternate + 1`) of layer `layer` of cue `cue`:
    /// the layer's source in a pass of a cue with a `variation`.
    Alternate {
        /// Cue index.
        cue: u16,
        /// Layer index.
        layer: u16,
        /// Index into the layer's `alternates`.
        alternate: u16,
    },
    /// A generated bridge, announced by [`Job::ComposeBridge`].
    Bridge(u32),
    /// A note of the live part on layer `layer` of cue `cue`, rendered for its
    /// [`Job::RenderNote`].
    Note {
        /// Cue index.
        cue: u16,
        /// Layer index.
        layer: u16,
    },
}

/// A note of a live part, in beats from its cue's bar 1 (negative: in the pickup).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveNote {
    /// Onset, in beats from bar 1.
    pub beat: f64,
    /// Length until note-off, in beats.
    pub beats: f64,
    /// MIDI pitch.
    pub pitch: u8,
    /// Velocity 0..1.
    pub velocity: f32,
}

/// A live generated part (`live: true`): the notes the conductor plays for layer `layer` of
/// cue `cue`, each placed on the live tempo map when it is due.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePart {
    /// Cue index.
    pub cue: u16,
    /// Layer index.
    pub layer: u16,
    /// One pass of the part, in onset order (the sequencer repeats it every pass).
    pub notes: Vec<LiveNote>,
    /// Seconds the instrument sounds after a note-off.
    pub release: f64,
    /// Seed of the density choices (which notes are left out or split).
    pub seed: u64,
}

/// One step of the plan, at an exact frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Action {
    /// Output frame at which it happens.
    pub frame: u64,
    /// What happens.
    pub kind: ActionKind,
}

/// What an [`Action`] does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActionKind {
    /// Start playing `source` from `offset` frames into it, at `gain`, with a low-pass at
    /// `cutoff` Hz (none when absent) and `pan` (-1..1).
    Start {
        /// The new voice.
        voice: VoiceId,
        /// Its audio.
        source: SourceRef,
        /// Frames into the source (at the output rate).
        offset: u64,
        /// Initial linear gain.
        gain: f32,
        /// Initial low-pass cutoff in Hz.
        cutoff: Option<f32>,
        /// Stereo pan.
        pan: f32,
    },
    /// Ramp linearly to `target` gain over `frames`.
    Gain {
        /// The voice.
        voice: VoiceId,
        /// Linear gain reached at the end of the ramp.
        target: f32,
        /// Ramp length.
        frames: u32,
    },
    /// Ramp the low-pass cutoff to `hz` over `frames`.
    Cutoff {
        /// The voice.
        voice: VoiceId,
        /// Cutoff in Hz.
        hz: f32,
        /// Ramp length.
        frames: u32,
    },
    /// Play the voice time-stretched (pitch kept) so that it follows a changed tempo: at this
    /// frame it is `source` frames into its material and advances `rate` source frames per
    /// output frame, until the next `Warp`. Only sent once a tempo differs from the
    /// material's own; a voice that never gets one plays at its own speed.
    Warp {
        /// The voice.
        voice: VoiceId,
        /// Position in the source at this frame (fractional frames).
        source: f64,
        /// Source frames per output frame (0.5..=2).
        rate: f64,
    },
    /// Stop the voice; `release` frames of fade first (0 = hard, used at loop seams where the
    /// next pass continues the same waveform).
    Stop {
        /// The voice.
        voice: VoiceId,
        /// Release length.
        release: u32,
    },
    /// Move a mix parameter of a bus (a snapshot blending in or out): ramp linearly to
    /// `value` over `frames` (linear gain for gains and send levels, Hz for cutoffs).
    Bus {
        /// The bus, in the mixer's numbering (see [`Mix::bus_index`](crate::score::Mix::bus_index)).
        bus: u16,
        /// What moves.
        param: crate::score::mix::BusParam,
        /// Where it ends.
        value: f32,
        /// Ramp length.
        frames: u32,
    },
}

/// Work the plan hands to the session rather than to the mixer: the musical decisions it
/// needs (composing a bridge) are made by `leitmotif_gen`, off the audio path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Job {
    /// Compose and render a generated bridge, so it is ready to start at its `start`.
    ComposeBridge(BridgeJob),
    /// Render a generated stinger for the moment it lands: in the chord and at the tempo
    /// playing there (recorded stingers ignore it).
    RenderStinger(StingerJob),
    /// Render a note of a live part, for the `Start` of its voice.
    RenderNote(NoteJob),
    /// A note of a live part that will probably be played in the next
    /// [`note_prefetch`](Conductor::set_note_prefetch) frames, as things stand (its `voice`
    /// is `u32::MAX`): a live session renders it ahead, so that its `RenderNote` finds it
    /// ready. Ignoring it changes nothing but when the rendering is done.
    PrefetchNote(NoteJob),
}

/// A note of a live part to render: its voice's `Start` follows (as [`SourceRef::Note`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteJob {
    /// The voice its `Start` will name.
    pub voice: VoiceId,
    /// Cue index.
    pub cue: u16,
    /// Layer index.
    pub layer: u16,
    /// Which note of the part: twice its index in [`LivePart::notes`], plus one for the
    /// second half of a note split by the density curve (renders of the same note at the
    /// same length are the same, so they can be kept).
    pub index: u32,
    /// MIDI pitch (after the register curve).
    pub pitch: u8,
    /// Velocity 0..1 (after the velocity curve).
    pub velocity: f32,
    /// Frames from onset to note-off on the live map (after the articulation curve).
    pub frames: u32,
    /// Frame at which it starts.
    pub frame: u64,
}

/// A stinger that will start (voice `voice`) at `frame`, and the music under it there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StingerJob {
    /// The voice its `Start` will name.
    pub voice: VoiceId,
    /// Stinger index.
    pub stinger: u16,
    /// Variation index.
    pub variation: u16,
    /// The cue playing under it (or being left).
    pub cue: u16,
    /// The segment playing under it, if one is (its chords then apply).
    pub segment: Option<u16>,
    /// The bar of that cue's (or segment's) body it lands in (1-based): its chord is that
    /// bar's.
    pub cue_bar: u32,
    /// The tempo there.
    pub bpm: f64,
    /// Frame at which it starts.
    pub frame: u64,
}

/// A generated bridge the plan will start (as [`SourceRef::Bridge`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BridgeJob {
    /// Bridge id, used by [`SourceRef::Bridge`].
    pub id: u32,
    /// Outgoing cue index.
    pub from: u16,
    /// Incoming cue index.
    pub to: u16,
    /// Bar number (1-based, within the outgoing cue's body) at which the bridge starts.
    pub from_bar: u32,
    /// Length in bars.
    pub bars: u32,
    /// Exact length in frames.
    pub frames: u64,
    /// Frame at which it starts.
    pub start: u64,
    /// Frame at which the transition was planned (the job can start then).
    pub planned_at: u64,
}

/// Something musical that happened, for the game.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MusicEvent {
    /// Output frame at which it sounds.
    pub frame: u64,
    /// Global musical position (bars counted since the music started).
    pub position: Position,
    /// Bar within the current cue's body (1-based), or within the bridge/segment.
    pub cue_bar: u32,
    /// What happened.
    pub kind: EventKind,
}

/// What a [`MusicEvent`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A beat (`position.beat`).
    Beat,
    /// A bar line.
    Bar,
    /// A named marker of cue `cue`, index `marker` in its list.
    Marker {
        /// Cue index.
        cue: u16,
        /// Marker index.
        marker: u16,
    },
    /// Cue `cue` reached its bar 1.
    CueStarted {
        /// Cue index.
        cue: u16,
    },
    /// A transition left `from` towards `to`.
    TransitionStarted {
        /// Outgoing cue.
        from: u16,
        /// Incoming cue.
        to: u16,
    },
    /// The transition's fades and bridge are over.
    TransitionFinished {
        /// Outgoing cue.
        from: u16,
        /// Incoming cue.
        to: u16,
    },
    /// A stinger sounded.
    Stinger {
        /// Stinger index.
        stinger: u16,
        /// Variation chosen.
        variation: u16,
    },
    /// The playing cue's tempo changes here (a tempo cue): to `millibpm` / 1000 BPM, at once
    /// or ramping over `ramp_beats`.
    TempoChanged {
        /// The new tempo in thousandths of a BPM.
        millibpm: u32,
        /// Beats of the ramp (0: a jump).
        ramp_beats: u32,
    },
    /// A tempo cue could not be followed: its tempo is not a number in 10..=400 BPM, or is
    /// outside half to twice the playing cue's own tempo (the stretch range), with no tempo
    /// variant there.
    TempoCueRefused,
    /// The music was stopped here ([`Input::Stop`]): every voice releases, and nothing plays
    /// (no beats, bars or loop passes) until the next cue is started.
    Stopped,
    /// A request named a cue, parameter or stinger index the score does not have; ignored.
    InvalidRequest,
    /// The generated bridge from `from` to `to` could not be composed (reported by the
    /// session when the bridge starts, at its frame): the outgoing cue plays on through the
    /// bridge's bars and crosses into the target with the rule's fades instead.
    BridgeFailed {
        /// Outgoing cue.
        from: u16,
        /// Incoming cue.
        to: u16,
    },
    /// The audio side refused work since the last report (reported by the session at the
    /// audio frame it had reached when it noticed): `refused` more voices could not start
    /// because all of the mixer's voices were playing (`what` = [`Overload::VoicePool`]), or
    /// actions were dropped because its action queue was full ([`Overload::Queue`]). The
    /// totals are in the engine's `Overloads`.
    Overloaded {
        /// What ran out.
        what: Overload,
        /// How many were refused since the last such event (saturating).
        refused: u32,
    },
}

/// What the audio side ran out of (see [`EventKind::Overloaded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overload {
    /// Every voice of the mixer's pool was playing: a start was refused.
    VoicePool,
    /// The mixer's action queue was full: an action was dropped.
    Queue,
}

/// An input to the conductor.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Set parameter `index`. NaN is ignored; other values are clamped to the range.
    SetParameter(usize, f32),
    /// Move to cue `index` following the transition rules.
    RequestCue(usize),
    /// Move to cue `index` now, ignoring the rule's sync point (fades and bridges still
    /// apply): its bar 1 lands on this input's frame plus its pickup. The film runner uses it
    /// to start cues on their timecode.
    StartCue(usize),
    /// Trigger stinger `index`.
    Stinger(usize),
    /// Change the tempo of the playing cue at a sync point: at once, or ramping linearly (in
    /// beats) over `ramp_beats`. A tempo variant of the cue at that tempo (within 0.01 BPM) is
    /// entered instead, at the same musical position. Beats, bars, markers, loop seams and
    /// later sync points follow the new grid; the stems are time-stretched to it.
    TempoCue {
        /// The tempo wanted.
        bpm: f64,
        /// Beats over which the tempo ramps there (0: a jump).
        ramp_beats: u32,
        /// Where it applies.
        sync: Sync,
    },
    /// Stop the music: every voice (cues, bridges, stingers, live parts) fades out over
    /// `release` frames from this input's frame, pending transitions and tempo cues are
    /// dropped, and nothing plays (no beats, bars or loop passes) until the next
    /// [`Input::StartCue`] or [`Input::RequestCue`], which starts its cue at bar 1 at once
    /// (after its pickup), with no transition. Reported as [`EventKind::Stopped`]. The film
    /// runner ends spotted cues with it (FMOD's "stop with fade-out").
    Stop {
        /// Frames of the fade to silence (0: cut, declicked).
        release: u32,
    },
    /// Dialogue level 0..1: the music ducks under it.
    SetDialogue(f32),
    /// Blend snapshot `snapshot` (index into the score's `mix.snapshots`) to `intensity`
    /// (0 = out, 1 = fully in force) over `seconds` (the snapshot's own `seconds` when
    /// `None`).
    Snapshot {
        /// The snapshot.
        snapshot: usize,
        /// Intensity reached, 0..1 (clamped).
        intensity: f32,
        /// Blend time in seconds.
        seconds: Option<f32>,
    },
}

/// An input at the frame it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedInput {
    /// Output frame of the input.
    pub frame: u64,
    /// The input.
    pub input: Input,
}

/// Frames per control block: gains and parameters update at this rate, events are exact.
pub const CONTROL_BLOCK: u64 = 128;

/// The deterministic conductor. See the [module docs](self).
pub struct Conductor {
    score: Arc<Score>,
    sample_rate: u32,
    rng: rand_pcg::Pcg64,
    now: u64,
    inputs: Vec<TimedInput>,
    params: Vec<ParamState>,
    rules: Vec<RuleState>,
    current: Instance,
    pending: Option<Pending>,
    incoming: Option<Incoming>,
    queued: Option<usize>,
    finish_due: Option<(i64, u16, u16)>,
    /// Stingers waiting for their sync point: (frame, stinger, variation, trigger frame,
    /// voice).
    stingers_due: Vec<(i64, usize, usize, i64, VoiceId)>,
    /// Each cue's own grid (bar 1 at frame 0) and the score's: what stems were made on.
    cue_maps: Vec<TempoMap>,
    score_map: TempoMap,
    next_instance: u32,
    /// A tempo cue made during a transition, applied when its target has started.
    tempo_queued: Option<(f64, u32, Sync)>,
    /// (instance, frame): from this frame the instance's voices play through stretchers.
    prewarp: Option<(u32, i64)>,
    /// Tempo changes to report when reached: (frame, instance, event), in frame order.
    tempo_due: Vec<(i64, u32, EventKind)>,
    jobs: Vec<Job>,
    grid_until: i64,
    voices: Vec<Voice>,
    next_voice: VoiceId,
    next_bridge: u32,
    stinger_last: Vec<Option<u64>>,
    /// The variation each stinger played last (for `avoid_repeat`).
    stinger_last_variation: Vec<Option<u16>>,
    /// Seed of the cues' body choices.
    variation_seed: u64,
    /// Each cue's variation state.
    bodies: Vec<schedule::variation::BodyState>,
    stinger_until: u64,
    duck: f32,
    dialogue: f32,
    /// Snapshots' intensities and the bus settings last sent.
    mix: schedule::mix::MixState,
    started: bool,
    /// The initial cue's bar 1, while its `CueStarted` is still to be reported.
    opening: Option<i64>,
    /// The frame the music was stopped at ([`Input::Stop`]), until a cue starts again.
    stopped: Option<i64>,
    /// Live parts by cue and layer (`live[cue][layer]`).
    live: Vec<Vec<Option<Arc<schedule::live::Sequenced>>>>,
    /// Frames ahead of the plan for which live notes are announced as `PrefetchNote`s.
    note_prefetch: i64,
    /// The incoming cue whose first notes have been announced: (cue, bar 1 frame).
    prefetched_incoming: Option<(usize, i64)>,
}

impl Conductor {
    /// A conductor for `score` at `sample_rate`, with everything random drawn from `seed`.
    pub fn new(score: Arc<Score>, sample_rate: u32, seed: u64) -> Self {
        let initial = score.cue_index(&score.initial_cue).unwrap_or(0);
        let params = score
            .parameters
            .iter()
            .map(|p| ParamState {
                set: p.default,
                heard: p.default,
            })
            .collect();
        let rules = score
            .rules
            .iter()
            .map(|r| RuleState::new(r.when.len()))
            .collect();
        // Pre-entry: the initial cue's pickup plays from frame 0, so its bar 1 is at frame
        // `pickup` (frame 0 without one).
        let pickup = crate::timing::pickup_frames(&score, &score.cues[initial], sample_rate);
        let current = Instance::new_cue(&score, initial, sample_rate, pickup, 0, 0);
        let cue_maps = score
            .cues
            .iter()
            .map(|c| crate::timing::cue_map(&score, c, sample_rate))
            .collect();
        let score_map = TempoMap::constant(sample_rate, 0, score.tempo.bpm, score.tempo.meter.0);
        let mix = schedule::mix::MixState::new(&score);
        Conductor {
            cue_maps,
            score_map,
            next_instance: 1,
            tempo_queued: None,
            prewarp: None,
            tempo_due: Vec::new(),
            stinger_last: vec![None; score.stingers.len()],
            stinger_last_variation: vec![None; score.stingers.len()],
            variation_seed: crate::timing::seed::conductor(seed, score.seed),
            bodies: vec![Default::default(); score.cues.len()],
            rng: rand_pcg::Pcg64::seed_from_u64(crate::timing::seed::conductor(seed, score.seed)),
            score,
            sample_rate,
            now: 0,
            inputs: Vec::new(),
            params,
            rules,
            current,
            pending: None,
            incoming: None,
            queued: None,
            finish_due: None,
            stingers_due: Vec::new(),
            jobs: Vec::new(),
            grid_until: 0,
            voices: Vec::new(),
            next_voice: 0,
            next_bridge: 0,
            stinger_until: 0,
            duck: 1.0,
            dialogue: 0.0,
            mix,
            started: false,
            opening: None,
            stopped: None,
            live: Vec::new(),
            note_prefetch: 0,
            prefetched_incoming: None,
        }
    }

    /// Announce live notes this many frames ahead of the plan as [`Job::PrefetchNote`]s
    /// (0, the default: none). A live session sets it so that notes are rendered before the
    /// plan reaches them.
    pub fn set_note_prefetch(&mut self, frames: u64) {
        self.note_prefetch = frames as i64;
    }

    /// The live notes the music opens with, over the first `frames` (before the first
    /// [`advance`](Self::advance)): a live session renders them before its sound starts.
    pub fn opening_notes(&self, frames: u64) -> Vec<NoteJob> {
        let cue = self.current.cue().unwrap_or(0);
        // Bar 1 of the pass that opens (the cue's bar 1, unless started in a later pass).
        let c = &self.current;
        let bar1 = c.map.frame_at_bar(c.pass * c.bars.max(1) + 1);
        self.notes_of_cue(cue, bar1, 0, frames as i64)
    }

    /// The live parts to play (the session composes them from the score): a layer with one
    /// is sequenced, note by note on the live tempo map, instead of started as one voice.
    /// Set before the first [`advance`](Self::advance).
    pub fn set_live_parts(&mut self, parts: Vec<LivePart>) {
        self.live = schedule::live::sequenced(&self.score, parts);
    }

    /// The live part of a cue's layer, if it has one.
    fn live_part(&self, cue: usize, layer: usize) -> Option<&Arc<schedule::live::Sequenced>> {
        self.live.get(cue)?.get(layer)?.as_ref()
    }

    /// Takes the jobs planned since the last call (bridges to compose), in plan order.
    pub fn drain_jobs(&mut self) -> std::vec::Drain<'_, Job> {
        self.jobs.drain(..)
    }

    /// The score being conducted.
    pub fn score(&self) -> &Arc<Score> {
        &self.score
    }

    /// The output sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The frame up to which the plan has been made.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Queues an input. Inputs before [`now`](Self::now) take effect at `now`.
    pub fn push(&mut self, input: TimedInput) {
        let at = self.inputs.partition_point(|i| i.frame <= input.frame);
        self.inputs.insert(at, input);
    }

    /// The cue playing (or being bridged from), by index.
    pub fn current_cue(&self) -> Option<usize> {
        self.current.cue()
    }

    /// The cue a pending transition goes to, and the frame of its sync point.
    pub fn pending(&self) -> Option<(usize, u64)> {
        self.pending.as_ref().map(|p| (p.to, p.sync.max(0) as u64))
    }

    /// The value a parameter is heard at (after seeking), by index.
    pub fn parameter(&self, index: usize) -> Option<f32> {
        self.params.get(index).map(|p| p.heard)
    }

    /// The musical position sounding at `frame`, global bars.
    pub fn position_at(&self, frame: u64) -> Position {
        self.current.global_position(frame as i64)
    }

    /// Current linear gain of every playing voice, as (source, gain) (a live part's
    /// sequencer counts as one voice, with its notes' gain).
    pub fn voice_gains(&self) -> impl Iterator<Item = (SourceRef, f32)> + '_ {
        self.voices.iter().map(|v| (v.source, v.last_gain))
    }
}

#[cfg(test)]
mod tests;
