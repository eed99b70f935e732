//! The control side of a playing score: runs the conductor ahead of the audio, composes
//! bridges, and feeds the mixer through the ring buffer.

use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::{
    Action, ActionKind, BridgeJob, Conductor, EventKind, Job, MusicEvent, NoteJob, Overload,
    SourceRef, StingerJob, TimedInput,
};
use leitmotif_core::score::Source;
use leitmotif_core::time::Position;
use leitmotif_core::timing::seed;

use crate::bank::{Clip, SourceBank, Stem};
use crate::mixer::{Mixer, Msg, Retired};
use crate::sound::{MusicSound, Shared};
use crate::stream::Streamer;
use crate::stretch::StretchPool;

/// Capacity of the control → audio ring buffer.
pub const RING_CAPACITY: usize = 16_384;

/// Frames of rendered live notes kept for reuse (about 64 MB): a part at a steady tempo
/// plays the same notes every pass, so after its first pass it costs no synthesis.
pub const NOTE_CACHE_FRAMES: usize = 8 << 20;

/// Live: how far ahead of the plan live notes are rendered (see [`Session::set_wait_for_renders`]).
pub const NOTE_PREFETCH_SECONDS: f64 = 0.5;

/// Live: the longest a [`Session::plan`] call spends rendering notes ahead, once its plan is
/// sent (a note already started is finished).
pub const PREFETCH_BUDGET: std::time::Duration = std::time::Duration::from_millis(2);

/// A rendered note of a live part: cue, layer, note index, pitch, velocity bits, frames.
type NoteKey = (u16, u16, u32, u8, u32, u32);

/// A bridge composed during the session, kept for MIDI export and reports.
#[derive(Debug, Clone)]
pub struct ComposedBridge {
    /// Bridge id.
    pub id: u32,
    /// Outgoing and incoming cue indices.
    pub from: u16,
    /// Incoming cue index.
    pub to: u16,
    /// Start frame.
    pub start: u64,
    /// Length in frames.
    pub frames: u64,
    /// The composition.
    pub score: leitmotif_gen::BridgeScore,
}

/// The control side. See the [module docs](self).
pub struct Session {
    conductor: Conductor,
    producer: rtrb::Producer<Msg>,
    retired: rtrb::Consumer<Retired>,
    bank: Arc<SourceBank>,
    /// Decodes streamed stems ahead (started when the bank has any).
    streamer: Option<Arc<Streamer>>,
    /// Stretches the voices that follow a changed tempo, on worker threads.
    stretch: StretchPool,
    actions: Vec<Action>,
    events: Vec<MusicEvent>,
    bridges: Vec<ComposedBridge>,
    /// Bridges being composed on worker threads, joined when their start is planned.
    composing: Vec<(u32, std::thread::JoinHandle<Composed>)>,
    /// Generated stingers being rendered for where they land, by voice.
    stingers: Vec<(u32, std::thread::JoinHandle<Option<Stem>>)>,
    /// Whether a stinger's start waits for its render (offline); live, an unfinished render
    /// is dropped and the bank's stinger plays, so the plan is never held up.
    wait_for_renders: bool,
    seed: u64,
    /// Messages that did not fit in the ring yet.
    backlog: std::collections::VecDeque<Msg>,
    /// Jobs taken from the conductor (kept for its allocation).
    jobs: Vec<Job>,
    /// What each playing layer plays (what its stretch job reads).
    sources: std::collections::HashMap<u32, SourceRef>,
    /// Where each playing layer started: its frame and its offset into its source (where a
    /// failed bridge's fallback carries the outgoing cue on from).
    started: std::collections::HashMap<u32, (u64, u64)>,
    /// What the audio side publishes (its overload counters are reported as events).
    shared: Arc<Shared>,
    /// Voice-pool and queue refusals already reported as events.
    reported: (u64, u64),
    /// Why each failed bridge failed, in the order they started.
    bridge_failures: Vec<String>,
    /// Live notes rendered so far, for reuse (see [`NOTE_CACHE_FRAMES`]).
    notes: std::collections::HashMap<NoteKey, Arc<Stem>>,
    /// Frames held by `notes`.
    note_frames: usize,
    /// Live notes rendered (not found in the cache), for reports and benches.
    notes_rendered: u64,
    /// Live: notes announced ahead, to render when there is time.
    prefetch: std::collections::VecDeque<NoteJob>,
}

impl Session {
    /// A session and the sound to hand to the audio thread (or to drive offline), with a
    /// pool of [`MAX_VOICES`](crate::mixer::MAX_VOICES) voices.
    pub fn new(
        score: Arc<Score>,
        bank: Arc<SourceBank>,
        seed: u64,
    ) -> (Session, MusicSound, Arc<Shared>) {
        Self::with_voices(score, bank, seed, crate::mixer::MAX_VOICES)
    }

    /// [`new`](Self::new) with a pool of `voices` voices (see [`Mixer::with_voices`]): when
    /// all of them play, a start is refused, counted in [`Shared`] and reported by the next
    /// [`plan`](Self::plan) as an [`EventKind::Overloaded`] event.
    pub fn with_voices(
        score: Arc<Score>,
        bank: Arc<SourceBank>,
        seed: u64,
        voices: usize,
    ) -> (Session, MusicSound, Arc<Shared>) {
        let (producer, consumer) = rtrb::RingBuffer::new(RING_CAPACITY);
        let (ret_tx, ret_rx) = rtrb::RingBuffer::new(1024);
        let mixer = Mixer::with_voices(bank.clone(), voices);
        let buses: Vec<String> = bank.mix.numbered().into_iter().map(|b| b.name).collect();
        let buses = if mixer.bus_count() > 1 {
            buses
        } else {
            Vec::new()
        };
        let shared = Arc::new(Shared::with_meters(&bank.tap_names, &buses));
        let sound = MusicSound::new(mixer, consumer, ret_tx, shared.clone());
        let mut conductor = Conductor::new(score, bank.sample_rate, seed);
        let streamer = bank.streams().then(|| Arc::new(Streamer::new()));
        conductor.set_live_parts(bank.live.iter().map(|l| l.part.clone()).collect());
        let session = Session {
            conductor,
            producer,
            retired: ret_rx,
            streamer: streamer.clone(),
            stretch: StretchPool::new(bank.sample_rate, streamer),
            bank,
            actions: Vec::with_capacity(1024),
            events: Vec::with_capacity(1024),
            bridges: Vec::new(),
            composing: Vec::new(),
            stingers: Vec::new(),
            wait_for_renders: true,
            seed,
            backlog: std::collections::VecDeque::new(),
            jobs: Vec::new(),
            sources: std::collections::HashMap::new(),
            started: std::collections::HashMap::new(),
            shared: shared.clone(),
            reported: (0, 0),
            bridge_failures: Vec::new(),
            notes: std::collections::HashMap::new(),
            note_frames: 0,
            notes_rendered: 0,
            prefetch: std::collections::VecDeque::new(),
        };
        (session, sound, shared)
    }

    /// The conductor (read-only: positions, parameters, pending transitions).
    pub fn conductor(&self) -> &Conductor {
        &self.conductor
    }

    /// The score.
    pub fn score(&self) -> &Arc<Score> {
        self.conductor.score()
    }

    /// The bank.
    pub fn bank(&self) -> &Arc<SourceBank> {
        &self.bank
    }

    /// Bridges composed so far.
    pub fn bridges(&self) -> &[ComposedBridge] {
        &self.bridges
    }

    /// The actions planned by the last [`plan`](Self::plan) call, in frame order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Queues an input for the conductor.
    pub fn push(&mut self, input: TimedInput) {
        self.conductor.push(input);
    }

    /// Starts the music at `at` in cue `cue` instead of on the initial cue's pickup, with
    /// `global_bar` as the number of `at`'s bar (see [`Conductor::start_at`]): what a hot
    /// reload uses to keep the musical position. Before the first [`plan`](Self::plan);
    /// returns false (changing nothing) after it or for a cue the score does not have.
    pub fn start_at(&mut self, cue: usize, at: Position, global_bar: u32) -> bool {
        if !self.conductor.start_at(cue, at, global_bar) {
            return false;
        }
        if !self.wait_for_renders {
            // Live: the opening notes are those of the new start.
            self.set_wait_for_renders(false);
        }
        true
    }

    /// Plans up to `horizon` (a session frame) and hands the plan to the audio side: the
    /// conductor advances, the jobs it planned start (bridges compose on worker threads), the
    /// actions go into the ring (a bridge's audio first, before the action that starts it),
    /// and what did not fit waits in a backlog flushed by the next call. Returns the events
    /// planned in this call, in frame order. Every backend runs this one function.
    pub fn plan(&mut self, horizon: u64) -> &[MusicEvent] {
        // Dropped here: rings (their workers then stop), bridges, replaced banks' audio.
        while self.retired.pop().is_ok() {}
        self.flush();
        self.actions.clear();
        self.events.clear();
        self.conductor
            .advance(horizon, &mut self.actions, &mut self.events);
        self.report_overloads();
        let mut jobs = std::mem::take(&mut self.jobs);
        jobs.extend(self.conductor.drain_jobs());
        for job in jobs.drain(..) {
            match job {
                Job::ComposeBridge(job) => {
                    // Composed off the control thread: the sync point usually leaves time.
                    let (score, bank) = (self.conductor.score().clone(), self.bank.clone());
                    let seed = seed::bridge(self.seed, job.id);
                    let carry = self.carry_on(job.from, job.start);
                    let handle =
                        std::thread::spawn(move || compose(job, &score, &bank, seed, &carry));
                    self.composing.push((job.id, handle));
                }
                Job::RenderNote(job) => {
                    if let Some(stem) = self.note(job) {
                        self.send(Msg::Voice(job.voice, stem));
                    }
                }
                // Live only: rendered after this call's plan is sent (see below).
                Job::PrefetchNote(job) if !self.wait_for_renders => self.prefetch.push_back(job),
                Job::PrefetchNote(_) => {}
                Job::RenderStinger(job) => {
                    let score = self.conductor.score().clone();
                    let generated = score
                        .stingers
                        .get(job.stinger as usize)
                        .and_then(|s| s.variations.get(job.variation as usize))
                        .is_some_and(|v| matches!(v.source, Source::Generated(_)));
                    if generated {
                        let sr = self.bank.sample_rate;
                        let style = self.bank.style.clone();
                        let font = self.bank.soundfont.clone();
                        let handle = std::thread::spawn(move || {
                            stinger(job, &score, style.as_deref(), font.as_ref(), sr)
                        });
                        self.stingers.push((job.voice, handle));
                    }
                }
            }
        }
        self.jobs = jobs;
        for i in 0..self.actions.len() {
            let a = self.actions[i];
            if let ActionKind::Start {
                voice,
                source,
                offset,
                ..
            } = a.kind
            {
                match source {
                    SourceRef::Bridge(id) => self.join_bridge(id, a.frame),
                    SourceRef::Stinger { .. } => self.join_stinger(voice),
                    _ => {}
                }
                self.open_stream(voice, source, offset);
                // Only layers are ever stretched (and only they are always stopped by a plan
                // step, which forgets them again).
                if matches!(
                    source,
                    SourceRef::Layer { .. }
                        | SourceRef::Alternate { .. }
                        | SourceRef::SegmentLayer { .. }
                ) {
                    self.sources.insert(voice, source);
                    self.started.insert(voice, (a.frame, offset));
                }
            }
            match a.kind {
                ActionKind::Warp {
                    voice,
                    source,
                    rate,
                } => {
                    let warp = (a.frame, source, rate);
                    if self.stretch.has(voice) {
                        self.stretch.warp(voice, warp);
                    } else if let Some(of) = self.sources.get(&voice).copied()
                        && let Some(clip) = self.bank.get(of)
                    {
                        let wrap = self.bank.loop_of(of);
                        let ring = self.stretch.start(voice, clip.clone(), wrap, warp);
                        self.send(Msg::Stretch(ring));
                    }
                }
                ActionKind::Stop { voice, .. } => {
                    self.stretch.forget(voice);
                    self.sources.remove(&voice);
                    self.started.remove(&voice);
                }
                _ => {}
            }
            self.send(Msg::Action(a));
        }
        // Every warp before it is sent: the stretch workers may write up to here.
        self.stretch.set_horizon(self.conductor.now());
        self.render_ahead();
        &self.events
    }

    /// Reports what the audio side refused since the last call (voice pool full, action queue
    /// full) as [`EventKind::Overloaded`] events, at the frame the audio had reached (before
    /// every event planned now, so the list stays in frame order).
    fn report_overloads(&mut self) {
        let o = self.shared.overloads();
        let frame = self.shared.frame().min(self.conductor.now());
        let mut at = 0;
        for (what, total, seen) in [
            (Overload::VoicePool, o.voice_pool_full, &mut self.reported.0),
            (Overload::Queue, o.queue_full, &mut self.reported.1),
        ] {
            if total > *seen {
                let refused = (total - *seen).min(u32::MAX as u64) as u32;
                *seen = total;
                self.events.insert(
                    at,
                    MusicEvent {
                        frame,
                        position: self.conductor.position_at(frame),
                        cue_bar: 0,
                        kind: EventKind::Overloaded { what, refused },
                    },
                );
                at += 1;
            }
        }
    }

    /// Where each layer of cue `cue` will be in its stem at frame `at`, as far as the layers
    /// playing now tell (the latest pass of each): what a failed bridge's fallback plays from.
    fn carry_on(&self, cue: u16, at: u64) -> Vec<(u16, usize)> {
        let mut latest: Vec<(u16, u64, u32, usize)> = Vec::new();
        for (&voice, &source) in &self.sources {
            let (SourceRef::Layer { cue: c, layer } | SourceRef::Alternate { cue: c, layer, .. }) =
                source
            else {
                continue;
            };
            let Some(&(frame, offset)) = self.started.get(&voice) else {
                continue;
            };
            if c != cue || frame > at {
                continue;
            }
            let pos = (offset + (at - frame)) as usize;
            match latest.iter_mut().find(|l| l.0 == layer) {
                Some(l) if (frame, voice) > (l.1, l.2) => *l = (layer, frame, voice, pos),
                Some(_) => {}
                None => latest.push((layer, frame, voice, pos)),
            }
        }
        latest.sort_by_key(|l| l.0);
        latest.into_iter().map(|l| (l.0, l.3)).collect()
    }

    /// Why each generated bridge that could not be composed failed (`from → to: reason`), in
    /// the order they started; each also was an [`EventKind::BridgeFailed`] event.
    pub fn bridge_failures(&self) -> &[String] {
        &self.bridge_failures
    }

    /// Live: renders the live notes announced ahead (`Job::PrefetchNote`) for at most
    /// [`PREFETCH_BUDGET`] per call, once the plan has been sent, so a note's `RenderNote`
    /// finds it rendered and the plan is never held up by synthesis.
    fn render_ahead(&mut self) {
        let t = std::time::Instant::now();
        while let Some(job) = self.prefetch.pop_front() {
            if self.plan_frame() > job.frame {
                // Already planned (or passed): nothing to gain.
                continue;
            }
            let _ = self.note(job);
            if t.elapsed() > PREFETCH_BUDGET {
                break;
            }
        }
    }

    /// The frame the plan has reached.
    fn plan_frame(&self) -> u64 {
        self.conductor.now()
    }

    /// The audio of a live note: rendered now (on this thread, before the `Start` that plays
    /// it is sent), or the same note rendered before. Notes the audio side no longer holds
    /// are let go when the cache is full, so nothing is ever freed on the audio thread.
    fn note(&mut self, job: NoteJob) -> Option<Arc<Stem>> {
        let key = (
            job.cue,
            job.layer,
            job.index,
            job.pitch,
            job.velocity.to_bits(),
            job.frames,
        );
        if let Some(stem) = self.notes.get(&key) {
            return Some(stem.clone());
        }
        let live = self.bank.live_layer(job.cue, job.layer)?;
        let sr = self.bank.sample_rate;
        let stem = Arc::new(crate::bank::render_note(
            live,
            job.index,
            job.pitch,
            job.velocity,
            job.frames as usize,
            sr,
        ));
        self.notes_rendered += 1;
        if self.note_frames + stem.len() > NOTE_CACHE_FRAMES {
            self.notes.retain(|_, s| Arc::strong_count(s) > 1);
            self.note_frames = self.notes.values().map(|s| s.len()).sum();
        }
        if self.note_frames + stem.len() <= NOTE_CACHE_FRAMES {
            self.note_frames += stem.len();
            self.notes.insert(key, stem.clone());
        }
        Some(stem)
    }

    /// Stops (or resumes) the stretch workers, as an overloaded machine would (fault tests).
    pub fn set_stretch_stalled(&self, stalled: bool) {
        self.stretch.set_stalled(stalled);
    }

    /// Time the stretch workers have spent on this session's stretched voices (off the audio
    /// thread), for reports and benches.
    pub fn stretch_busy(&self) -> std::time::Duration {
        self.stretch.busy()
    }

    /// Live notes rendered so far (those played again from the cache not counted).
    pub fn notes_rendered(&self) -> u64 {
        self.notes_rendered
    }

    /// For a start of a streamed clip: opens its ring (decoding starts now, a lookahead
    /// before the start) and sends it ahead of the start. The preload covers the first
    /// [`PRELOAD_SECONDS`](crate::stream::PRELOAD_SECONDS), so a start from the top reads the ring only after it.
    fn open_stream(&mut self, voice: u32, source: SourceRef, offset: u64) {
        let (Some(streamer), Some(Clip::Stream(clip))) = (&self.streamer, self.bank.get(source))
        else {
            return;
        };
        let preload = clip.preload().len() as u64;
        let looped = self.bank.loop_of(source);
        let reader = streamer.open(clip, voice, offset.max(preload), looped);
        self.send(Msg::Stream(reader));
    }

    /// The stream worker, when the bank streams (stall it to test underruns).
    pub fn streamer(&self) -> Option<&Streamer> {
        self.streamer.as_deref()
    }

    /// The streamed files that broke since the last call (see [`Streamer::take_faults`]);
    /// empty when the bank streams nothing.
    pub fn take_stream_faults(&self) -> Vec<crate::stream::StreamFault> {
        self.streamer
            .as_deref()
            .map(Streamer::take_faults)
            .unwrap_or_default()
    }

    /// The events planned by the last [`plan`](Self::plan) call.
    pub fn last_events(&self) -> &[MusicEvent] {
        &self.events
    }

    /// Messages waiting for room in the ring (the audio side has not consumed yet).
    pub fn backlog(&self) -> usize {
        self.backlog.len()
    }

    fn send(&mut self, msg: Msg) {
        self.flush();
        if self.backlog.is_empty() {
            if let Err(rtrb::PushError::Full(m)) = self.producer.push(msg) {
                self.backlog.push_back(m);
            }
        } else {
            self.backlog.push_back(msg);
        }
    }

    /// Pushes messages that did not fit in the ring yet.
    fn flush(&mut self) {
        while let Some(m) = self.backlog.pop_front() {
            if let Err(rtrb::PushError::Full(m)) = self.producer.push(m) {
                self.backlog.push_front(m);
                break;
            }
        }
    }

    /// Waits for bridge `id` (if it is being composed) and sends its audio to the mixer; a
    /// bridge that failed is reported as an event at `frame` (its start).
    fn join_bridge(&mut self, id: u32, frame: u64) {
        let Some(k) = self.composing.iter().position(|(b, _)| *b == id) else {
            return;
        };
        let (_, handle) = self.composing.swap_remove(k);
        let Ok(Composed {
            stem,
            bridge,
            failed,
        }) = handle.join()
        else {
            return;
        };
        if let Some(b) = bridge {
            self.bridges.push(b);
        }
        if let Some((from, to, reason)) = failed {
            let name = |c: u16| {
                self.score()
                    .cues
                    .get(c as usize)
                    .map_or_else(|| c.to_string(), |c| c.name.clone())
            };
            let line = format!(
                "bridge {id} from \"{}\" to \"{}\" could not be composed ({reason}): the outgoing cue plays on into the rule's fade",
                name(from),
                name(to)
            );
            self.bridge_failures.push(line);
            let event = MusicEvent {
                frame,
                position: self.conductor.position_at(frame),
                cue_bar: 1,
                kind: EventKind::BridgeFailed { from, to },
            };
            let at = self.events.partition_point(|e| e.frame <= frame);
            self.events.insert(at, event);
        }
        self.send(Msg::Bridge(id, Arc::new(stem)));
    }

    /// Live (on a device): a generated stinger whose render for the moment it lands is not
    /// finished when its start is planned plays the bank's rendering instead of holding the
    /// plan up. Offline (the default) the start waits for it, so renders are reproducible.
    pub fn set_wait_for_renders(&mut self, wait: bool) {
        self.wait_for_renders = wait;
        // Live, notes are rendered ahead of the plan.
        let ahead = if wait { 0.0 } else { NOTE_PREFETCH_SECONDS };
        let frames = (ahead * self.bank.sample_rate as f64) as u64;
        self.conductor.set_note_prefetch(frames);
        if !wait && self.conductor.now() == 0 {
            // The opening notes, now, before the sound is handed to the device.
            for job in self.conductor.opening_notes(frames) {
                let _ = self.note(job);
            }
        }
    }

    /// Takes stinger voice `voice`'s audio (if it was being rendered) and sends it to the
    /// mixer, which plays it instead of the bank's.
    fn join_stinger(&mut self, voice: u32) {
        let Some(k) = self.stingers.iter().position(|(v, _)| *v == voice) else {
            return;
        };
        let (_, handle) = self.stingers.swap_remove(k);
        if !self.wait_for_renders && !handle.is_finished() {
            // Detached: it finishes on its own and its result is dropped there.
            return;
        }
        if let Ok(Some(stem)) = handle.join() {
            self.send(Msg::Voice(voice, Arc::new(stem)));
        }
    }

    /// Waits for every bridge still being composed (planned but never started, e.g. replaced
    /// by a later request), so [`bridges`](Self::bridges) lists all of them.
    pub fn finish_composing(&mut self) {
        for (_, handle) in std::mem::take(&mut self.composing) {
            if let Ok(Composed {
                bridge: Some(b), ..
            }) = handle.join()
            {
                self.bridges.push(b);
            }
        }
        self.bridges.sort_by_key(|b| b.id);
    }
}

/// Renders a generated stinger in the chord of the bar it lands in (of the cue, or the segment,
/// playing there) and at the tempo there; `None` when it cannot be (the bank's stays).
fn stinger(
    job: StingerJob,
    score: &Score,
    style: Option<&leitmotif_gen::style::StyleModel>,
    font: Option<&Arc<leitmotif_gen::SoundFont>>,
    sr: u32,
) -> Option<Stem> {
    let variation = score
        .stingers
        .get(job.stinger as usize)?
        .variations
        .get(job.variation as usize)?;
    let Source::Generated(g) = &variation.source else {
        return None;
    };
    let chords = match job.segment {
        Some(s) => &score.segments.get(s as usize)?.chords,
        None => &score.cues.get(job.cue as usize)?.chords,
    };
    let chord = (!chords.is_empty())
        .then(|| chords[(job.cue_bar.max(1) as usize - 1) % chords.len()].as_str());
    crate::bank::render_stinger(score, style, font, g, chord, job.bpm, variation.beats, sr).ok()
}

/// A composed bridge: its audio and its score, or (composing failed) the fallback's audio and
/// why it failed.
struct Composed {
    stem: Stem,
    bridge: Option<ComposedBridge>,
    /// From, to and the composer's message, when it failed.
    failed: Option<(u16, u16, String)>,
}

/// What plays when a generated bridge cannot be composed: the outgoing cue carries on through
/// the bridge's bars from where each of its layers is at the bridge's start (`carry`: layer,
/// frame in its stem), fading in under the outgoing voices' fade-out (the same material,
/// complementary gains: no dip, no bump) and out over the rule's fade-in as the target comes
/// in (a 64-frame declick without one). Layers at their base gains.
fn fallback(job: &BridgeJob, score: &Score, bank: &SourceBank, carry: &[(u16, usize)]) -> Stem {
    let frames = job.frames as usize;
    let mut out = vec![[0.0f32; 2]; frames];
    let from = job.from as usize;
    let wrap = bank.loops.get(from).copied().flatten();
    for &(layer, pos) in carry {
        let (Some(clip), Some(&g)) = (
            bank.layers.get(from).and_then(|l| l.get(layer as usize)),
            bank.cue_gains.get(from).and_then(|g| g.get(layer as usize)),
        ) else {
            continue;
        };
        let need = match wrap {
            Some(_) => clip.len(),
            None => (pos + frames).min(clip.len()),
        };
        let Ok(src) = clip.head(need) else { continue };
        for (k, o) in out.iter_mut().enumerate() {
            let f = match wrap {
                Some(l) => l.sample(&src, pos + k),
                None => src.get(pos + k).copied().unwrap_or([0.0; 2]),
            };
            o[0] += f[0] * g;
            o[1] += f[1] * g;
        }
    }
    let (Some(cue), Some(to)) = (score.cues.get(from), score.cues.get(job.to as usize)) else {
        return Stem { frames: out };
    };
    let rule = leitmotif_core::timing::rule_for(score, from, job.to as usize)
        .and_then(|r| score.transitions.get(r));
    let len = |l: leitmotif_core::score::Length, c: &leitmotif_core::score::Cue| -> usize {
        let f = match l {
            leitmotif_core::score::Length::Seconds(s) => (s * bank.sample_rate as f64).round(),
            leitmotif_core::score::Length::Beats(b) => {
                let map = leitmotif_core::timing::cue_map(score, c, bank.sample_rate);
                leitmotif_core::timing::beats_frames(&map, 0, b) as f64
            }
        };
        (f.max(0.0) as usize).min(frames)
    };
    let shape = rule.map_or(leitmotif_core::score::CurveShape::Linear, |r| r.shape);
    let fade_in = rule.map_or(0, |r| len(r.fade_out, cue));
    let fade_out = rule.map_or(0, |r| len(r.fade_in, to)).max(64).min(frames);
    // The outgoing voices follow `shape.apply(1 - t)` down; this follows the rest up.
    for (k, o) in out.iter_mut().take(fade_in).enumerate() {
        let t = k as f32 / fade_in as f32;
        let g = 1.0 - shape.apply(1.0 - t);
        o[0] *= g;
        o[1] *= g;
    }
    for (k, o) in out[frames - fade_out..].iter_mut().enumerate() {
        let t = (k + 1) as f32 / fade_out as f32;
        let g = shape.apply(1.0 - t);
        o[0] *= g;
        o[1] *= g;
    }
    Stem { frames: out }
}

/// Composes and renders the bridge a [`BridgeJob`] asks for (the [`fallback`] when it cannot
/// be composed).
fn compose(
    job: BridgeJob,
    score: &Score,
    bank: &SourceBank,
    seed: u64,
    carry: &[(u16, usize)],
) -> Composed {
    let BridgeJob {
        id,
        from,
        to,
        from_bar,
        bars,
        frames,
        start,
        ..
    } = job;
    let mut req = leitmotif_gen::bridge_request(score, from as usize, to as usize, from_bar, bars);
    req.style = bank.style.clone();
    // A theme given only as a MIDI file: its notes as the bank read them.
    if req.to_theme.as_ref().is_some_and(Vec::is_empty) {
        req.to_theme = score.cues.get(to as usize).and_then(|c| {
            let t = c.theme.as_ref()?;
            let i = score.themes.iter().position(|th| &th.name == t)?;
            bank.themes.get(i).filter(|n| !n.is_empty()).cloned()
        });
    }
    let composed = match leitmotif_gen::compose_bridge(&req, seed) {
        Ok(c) => c,
        Err(e) => {
            return Composed {
                stem: fallback(&job, score, bank, carry),
                bridge: None,
                failed: Some((from, to, e.to_string())),
            };
        }
    };
    let buf = leitmotif_gen::render_bridge(&composed, bank.sample_rate, frames as usize);
    let mut stem = crate::bank::stem_from_buffer(&buf, frames as usize);
    // Match the bridge's level to the cues it joins (the mean of their RMS levels).
    let rms = |c: u16| bank.cue_rms(c as usize);
    let target = (rms(from) + rms(to)) / 2.0;
    let own = crate::bank::frames_rms(&stem.frames);
    if target > 1e-5 && own > 1e-5 {
        let g = (target / own).clamp(0.1, 4.0);
        for f in &mut stem.frames {
            f[0] *= g;
            f[1] *= g;
        }
    }
    let bridge = ComposedBridge {
        id,
        from,
        to,
        start,
        frames,
        score: composed,
    };
    Composed {
        stem,
        bridge: Some(bridge),
        failed: None,
    }
}
