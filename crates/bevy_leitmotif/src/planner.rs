//! The planner: the control side of the music. It resolves the game's requests by name,
//! installs scores (hot reload at a bar line), runs [`Session::plan`] ahead of the music clock
//! and turns the plan's events into game events. It runs on its own thread when the music
//! plays on a device or the silent clock, and inside `App::update` with the offline backend;
//! the code is the same.
//!
//! # Hot reload
//! A new version of the score takes over at the next bar line of the playing one **at the same
//! musical position**: the same cue, bar (of its body, in the same pass of a loop) and beat,
//! its stems started that far in at the new score's tempo, the bar count going on
//! ([`Conductor::start_at`]). A cue the new score no longer has gives way to the new score's
//! initial cue, from its bar 1 (on that bar line, without its pickup).
//!
//! **A transition is never undone**: while one is pending (waiting for its sync point) or
//! under way (a bridge or segment playing, the outgoing cue fading), the switch waits, and
//! takes place on the first bar line of the target cue after the transition has finished.
//! After [`SWITCH_DEADLINE_SECONDS`] of planned music it switches anyway, on whatever is
//! planned then: during a pending transition the new score resumes the outgoing cue and is
//! asked for the target at once (so it moves by its own rules); during a bridge or segment it
//! starts the target cue from its bar 1.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bevy::prelude::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{Conductor, EventKind, Input, MusicEvent, TimedInput};
use leitmotif_core::score::Sync as SyncPoint;
use leitmotif_core::time::Position;
use leitmotif_engine::{MusicSound, Session, Shared};

use crate::LATE_REQUEST_SECONDS;
use crate::asset::ScoreAsset;
use crate::events::{MusicPosition, Planned};
use crate::output::DeckControl;
use crate::snapshot::{MusicSnapshot, Pending};

/// A hot reload waits this long (in planned music) for a bar line (outside a transition)
/// before switching anyway, on the next event (a beat at least: on the grid).
const SWITCH_DEADLINE_SECONDS: u64 = 30;

/// When no event at all comes this long after the deadline (more than a beat at 10 bpm), the
/// switch is made where the plan is, between grid ticks.
const SWITCH_FALLBACK_SECONDS: u64 = 10;

/// A state change asked for by the game, resolved by name when the music plans.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Parameter(String, f32),
    Cue(String),
    Stinger(String),
    Dialogue(f32),
    Tempo(f64, u32, SyncPoint),
    Volume(f32),
    /// Stop the music, fading out over this many seconds.
    Stop(f32),
    /// A snapshot's intensity and blend time.
    Snapshot(String, f32, Option<f32>),
}

impl Command {
    /// The request in words, for [`RequestLate`](crate::RequestLate): `stinger "hit"`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Command::Parameter(name, v) => format!("parameter \"{name}\" = {v}"),
            Command::Cue(name) => format!("cue \"{name}\""),
            Command::Stinger(name) => format!("stinger \"{name}\""),
            Command::Dialogue(level) => format!("dialogue {level}"),
            Command::Tempo(bpm, ..) => format!("tempo cue {bpm} BPM"),
            Command::Volume(v) => format!("volume {v}"),
            Command::Stop(seconds) => format!("stop (fade {seconds} s)"),
            Command::Snapshot(name, intensity, _) => format!("snapshot \"{name}\" at {intensity}"),
        }
    }
}

/// What the game side sends to the planner.
pub(crate) enum ToPlanner {
    /// A request, with the music clock (global frame) at which the game made it.
    Command(Command, u64),
    /// A score to play (first load or hot reload).
    Install(ScoreAsset),
    /// Stop the planner thread.
    Quit,
}

/// What the planner sends back.
pub(crate) enum FromPlanner {
    /// A musical event at a global frame, to deliver when the clock reaches it.
    Event(MusicPosition, Planned),
    /// The state of the music after a plan.
    Snapshot(Box<MusicSnapshot>),
    /// An input recorded for [`MusicCapture`](crate::MusicCapture): the session it went to
    /// (counted from 0) and the input with its session frame.
    Input(u32, TimedInput),
}

/// Name → index maps of one score.
#[derive(Debug, Default)]
struct Names {
    cues: HashMap<String, usize>,
    parameters: HashMap<String, usize>,
    stingers: HashMap<String, usize>,
    snapshots: HashMap<String, usize>,
}

impl Names {
    fn of(score: &Score) -> Names {
        let index = |names: Vec<&String>| {
            names
                .into_iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i))
                .collect()
        };
        Names {
            cues: index(score.cues.iter().map(|c| &c.name).collect()),
            parameters: index(score.parameters.iter().map(|p| &p.name).collect()),
            stingers: index(score.stingers.iter().map(|s| &s.name).collect()),
            snapshots: index(score.mix.snapshots.iter().map(|s| &s.name).collect()),
        }
    }
}

/// A session and where it sits on the music clock.
struct Playing {
    id: u32,
    /// Report every input (for [`MusicCapture`](crate::MusicCapture), offline only).
    record: bool,
    session: Session,
    shared: Arc<Shared>,
    names: Names,
    /// Global frame of the session's frame 0, once known.
    start: Option<u64>,
    /// The sound, until it is handed to the deck.
    sound: Option<MusicSound>,
    /// Planned frame after which a hot reload switches without waiting for a bar any more.
    deadline: u64,
    /// What the events planned so far say the music is doing.
    track: Track,
    /// Where this session takes over (a hot reload), once its switch frame is chosen.
    resume: Option<Resume>,
}

/// What a session's planned events say the music is doing, as of the last one looked at:
/// what a hot reload resumes from and whether it must wait.
#[derive(Debug, Clone, Copy, Default)]
struct Track {
    /// The cue playing (or being left) and the global bars before its bar 1.
    cue: Option<(usize, u32)>,
    /// A transition started and not finished yet: (from, to).
    transition: Option<(u16, u16)>,
    /// A transition waiting for its sync point when the last plan ended: its target and the
    /// session frame of the request.
    pending: Option<(usize, u64)>,
    /// Session frame of the last `CueStarted`.
    cue_started: Option<u64>,
}

/// What the music is doing at a frame, for a hot reload.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moving {
    /// Nothing: the cue plays.
    No,
    /// A transition to this cue is waiting for its sync point.
    Pending(usize),
    /// A transition to this cue is under way (`landed`: the cue has started, the transition's
    /// fades are not over).
    Under { to: usize, landed: bool },
}

impl Track {
    /// Takes in an event (in frame order).
    fn see(&mut self, e: &MusicEvent) {
        match e.kind {
            EventKind::CueStarted { cue } => {
                self.cue = Some((cue as usize, e.position.bar.saturating_sub(e.cue_bar)));
                self.cue_started = Some(e.frame);
            }
            EventKind::TransitionStarted { from, to } => {
                self.transition = Some((from, to));
                self.pending = None;
            }
            // Over once its target has started (a segment or bridge may report the outgoing
            // cue's fade over before that).
            EventKind::TransitionFinished { from, to }
                if self.transition == Some((from, to))
                    && self.cue.is_some_and(|(c, _)| c == to as usize) =>
            {
                self.transition = None;
            }
            _ => {}
        }
    }

    /// What moves at session frame `frame`, given the transition pending at the end of the
    /// plan that reached it (`pending`: target, request frame).
    fn moving(&self, frame: u64, pending: Option<(usize, u64)>) -> Moving {
        if let Some((_, to)) = self.transition {
            let landed = self.cue.is_some_and(|(c, _)| c == to as usize);
            return Moving::Under {
                to: to as usize,
                landed,
            };
        }
        match (self.pending, pending) {
            (Some((to, _)), _) => Moving::Pending(to),
            (None, Some((to, at))) if frame >= at => Moving::Pending(to),
            _ => Moving::No,
        }
    }

    /// Where a hot reload resumes when switching at global position `at` (session frame
    /// `frame`) of a session playing `score`.
    fn resume(&self, score: &Arc<Score>, at: Position, frame: u64, moving: Moving) -> Resume {
        let name = |i: usize| score.cues.get(i).map(|c| c.name.clone());
        // The number of the bar starting at the switch, when it is not on a bar line.
        let next_bar = if at.beat == 1 && at.tick == 0 {
            at.bar
        } else {
            at.bar + 1
        };
        if let Moving::Under { to, landed: false } = moving {
            // Switched (at the deadline) during a bridge or segment: its target, from the top.
            return Resume {
                cue: name(to),
                at: Position::bar(1),
                global_bar: next_bar,
                from_top: true,
                request: None,
                reported: false,
                old: score.clone(),
            };
        }
        let (cue, offset) = self.cue.unwrap_or((0, 0));
        let local = Position {
            bar: at.bar.saturating_sub(offset).max(1),
            ..at
        };
        Resume {
            cue: name(cue),
            at: local,
            global_bar: at.bar,
            from_top: false,
            request: match moving {
                Moving::Pending(to) => name(to),
                _ => None,
            },
            reported: self.cue_started == Some(frame),
            old: score.clone(),
        }
    }
}

/// Where a hot reload's session takes over, chosen with its switch frame.
#[derive(Debug, Clone)]
struct Resume {
    /// The cue (by name), or `None` for the new score's initial cue.
    cue: Option<String>,
    /// Position in that cue of the old score (bars from its bar 1).
    at: Position,
    /// Global bar number of `at`'s bar.
    global_bar: u32,
    /// Start the cue on its bar 1, whatever `at` says.
    from_top: bool,
    /// A cue to ask the new score for at once (a pending transition's target).
    request: Option<String>,
    /// The old session reported the cue starting on the switch frame (not to be said twice).
    reported: bool,
    /// The old score.
    old: Arc<Score>,
}

impl Playing {
    /// Gives `input` to the session at session frame `frame`, or at the next frame it has not
    /// planned yet when that has passed; returns the frame it takes effect at.
    fn push(&mut self, frame: u64, input: Input, out: &mut impl FnMut(FromPlanner)) -> u64 {
        let frame = frame.max(self.session.conductor().now());
        let timed = TimedInput { frame, input };
        if self.record {
            out(FromPlanner::Input(self.id, timed.clone()));
        }
        self.session.push(timed);
        frame
    }

    /// Where session frame `frame` falls in the music, as events give it.
    fn position(&self, frame: u64) -> MusicPosition {
        let p = self.session.conductor().position_at(frame);
        let offset = self.track.cue.map_or(0, |(_, bars)| bars);
        MusicPosition {
            bar: p.bar,
            beat: p.beat,
            cue_bar: p.bar.saturating_sub(offset).max(1),
            frame: self.start.unwrap_or(0) + frame,
        }
    }
}

/// The planner. See the [module docs](self).
pub(crate) struct Planner {
    control: DeckControl,
    sample_rate: u32,
    /// Frames planned ahead of the clock, at least.
    lookahead: u64,
    /// Whether the deck renders on another thread (new sounds must start ahead of it).
    remote: bool,
    seed: u64,
    current: Option<Playing>,
    next: Option<Playing>,
    /// A score that arrived while a switch was already on its way to the deck.
    waiting: Option<ScoreAsset>,
    /// Last value set for each parameter, by name (carried over hot reloads).
    parameters: HashMap<String, f32>,
    dialogue: f32,
    /// Each snapshot's intensity asked for, by name (carried over hot reloads).
    snapshots: HashMap<String, f32>,
    /// Publish per-layer levels and loudness (the plugin's `meters`).
    meters: bool,
    /// Cue asked for before the score loaded.
    first_cue: Option<String>,
    warned: HashSet<String>,
    /// Frame the plan reaches (global).
    horizon: u64,
    sessions: u32,
    /// Voices of each session's mixer.
    voices: usize,
}

impl Planner {
    pub(crate) fn new(
        control: DeckControl,
        sample_rate: u32,
        lookahead: u64,
        remote: bool,
        seed: u64,
    ) -> Planner {
        Planner {
            control,
            sample_rate,
            lookahead,
            remote,
            seed,
            current: None,
            next: None,
            waiting: None,
            parameters: HashMap::new(),
            dialogue: 0.0,
            snapshots: HashMap::new(),
            meters: false,
            first_cue: None,
            warned: HashSet::new(),
            horizon: 0,
            sessions: 0,
            voices: leitmotif_engine::mixer::MAX_VOICES,
        }
    }

    /// Whether sessions made from now on publish per-layer levels and loudness (the plugin's
    /// `meters`).
    pub(crate) fn set_meters(&mut self, on: bool) {
        self.meters = on;
    }

    /// Voices of the mixers of the sessions made from now on (the plugin's `voices`).
    pub(crate) fn set_voices(&mut self, voices: usize) {
        self.voices = voices;
    }

    /// The next global frame the deck will render.
    pub(crate) fn clock(&self) -> u64 {
        self.control.clock()
    }

    /// Whether a score plays.
    pub(crate) fn is_playing(&self) -> bool {
        self.current.is_some()
    }

    /// Takes a message from the game.
    pub(crate) fn receive(&mut self, msg: ToPlanner, out: &mut impl FnMut(FromPlanner)) {
        match msg {
            ToPlanner::Command(c, at) => self.command(c, at, out),
            ToPlanner::Install(asset) => self.install(asset, out),
            ToPlanner::Quit => {}
        }
    }

    fn warn_unknown(&mut self, what: &str, name: &str) {
        if self.warned.insert(format!("{what}\u{0}{name}")) {
            let score = self
                .current
                .as_ref()
                .map_or("<none>", |c| c.session.score().name.as_str());
            warn!("leitmotif: score \"{score}\" has no {what} named \"{name}\"; ignored");
        }
    }

    /// Resolves a request against the playing session (and a switch in progress).
    fn command(&mut self, c: Command, at: u64, out: &mut impl FnMut(FromPlanner)) {
        match &c {
            Command::Parameter(name, v) => {
                self.parameters.insert(name.clone(), *v);
            }
            Command::Dialogue(level) => self.dialogue = *level,
            Command::Snapshot(name, intensity, _) => {
                self.snapshots.insert(name.clone(), *intensity);
            }
            Command::Volume(v) => {
                self.control.set_volume(*v);
                return;
            }
            _ => {}
        }
        let sample_rate = self.sample_rate;
        let Some(cur) = self.current.as_mut() else {
            // Not loaded yet: keep what matters for the start, drop the rest.
            match c {
                Command::Cue(name) => self.first_cue = Some(name),
                Command::Stinger(name) => {
                    debug!(
                        "leitmotif: stinger \"{name}\" requested before the score loaded; dropped"
                    )
                }
                Command::Tempo(..) => {
                    debug!("leitmotif: tempo cue before the score loaded; dropped")
                }
                _ => {} // parameters and dialogue are kept above
            }
            return;
        };
        let resolve = |p: &Playing| -> Result<Input, (&'static str, String)> {
            let n = &p.names;
            Ok(match &c {
                Command::Parameter(name, v) => match n.parameters.get(name) {
                    Some(&i) => Input::SetParameter(i, *v),
                    None => return Err(("parameter", name.clone())),
                },
                Command::Cue(name) => match n.cues.get(name) {
                    Some(&i) => Input::RequestCue(i),
                    None => return Err(("cue", name.clone())),
                },
                Command::Stinger(name) => match n.stingers.get(name) {
                    Some(&i) => Input::Stinger(i),
                    None => return Err(("stinger", name.clone())),
                },
                Command::Dialogue(level) => Input::SetDialogue(*level),
                Command::Stop(seconds) => Input::Stop {
                    release: (*seconds as f64 * sample_rate as f64).round() as u32,
                },
                Command::Snapshot(name, intensity, seconds) => match n.snapshots.get(name) {
                    Some(&i) => Input::Snapshot {
                        snapshot: i,
                        intensity: *intensity,
                        seconds: *seconds,
                    },
                    None => return Err(("snapshot", name.clone())),
                },
                Command::Tempo(bpm, ramp_beats, sync) => Input::TempoCue {
                    bpm: *bpm,
                    ramp_beats: *ramp_beats,
                    sync: sync.clone(),
                },
                Command::Volume(_) => unreachable!("handled above"),
            })
        };
        let frame = at.saturating_sub(cur.start.unwrap_or(0));
        match resolve(cur) {
            Ok(input) => {
                let took = cur.push(frame, input, out);
                // How long the request took to reach the music, in audio time.
                let late = self.control.clock().saturating_sub(at);
                if late > (LATE_REQUEST_SECONDS * f64::from(sample_rate)) as u64 {
                    out(FromPlanner::Event(
                        cur.position(took),
                        Planned::RequestLate(
                            c.describe(),
                            at,
                            late as f64 / f64::from(sample_rate),
                        ),
                    ));
                }
            }
            Err((what, name)) => self.warn_unknown(what, &name),
        }
        // A switch in progress starts the new score with the same state (not stingers or
        // tempo cues: those are heard in the old score).
        if let Some(next) = self.next.as_mut()
            && matches!(
                c,
                Command::Parameter(..)
                    | Command::Cue(_)
                    | Command::Dialogue(_)
                    | Command::Snapshot(..)
            )
            && let Ok(input) = resolve(next)
        {
            next.push(0, input, out);
        }
    }

    /// Builds a session for `asset` and schedules it: at once when nothing plays, else at the
    /// next bar of the playing session.
    fn install(&mut self, asset: ScoreAsset, out: &mut impl FnMut(FromPlanner)) {
        if self.next.as_ref().is_some_and(|n| n.start.is_some()) {
            // A switch is already on its way to the deck; this one follows it.
            self.waiting = Some(asset);
            return;
        }
        // A hot reload keeps the cue and position where it switches (see the module docs);
        // a first score starts on the cue asked for before it loaded, if any.
        let first_cue = if self.current.is_none() {
            self.first_cue.take()
        } else {
            None
        };
        let deadline = self.horizon + SWITCH_DEADLINE_SECONDS * self.sample_rate as u64;
        let mut playing = self.prepare(&asset, first_cue.as_deref(), deadline);
        if self.dialogue > 0.0 {
            playing.push(0, Input::SetDialogue(self.dialogue), out);
        }
        // Snapshots in force stay in force (at once, no blend) in the new score.
        let mut snaps: Vec<(&String, &f32)> = self.snapshots.iter().collect();
        snaps.sort_by(|a, b| a.0.cmp(b.0));
        for (name, &intensity) in snaps {
            if let Some(&i) = playing.names.snapshots.get(name) {
                let input = Input::Snapshot {
                    snapshot: i,
                    intensity,
                    seconds: Some(0.0),
                };
                playing.push(0, input, out);
            }
        }
        if self.current.is_none() {
            let start = self.safe_start();
            playing.start = Some(start);
            if let Some(sound) = playing.sound.take() {
                self.control.send(sound, start);
            }
            self.current = Some(playing);
        } else {
            self.next = Some(playing);
        }
    }

    /// A session for `asset` that starts on `cue` (when the score has it) with the parameters
    /// the game set.
    fn prepare(&mut self, asset: &ScoreAsset, cue: Option<&str>, deadline: u64) -> Playing {
        let mut score = (*asset.score).clone();
        if let Some(cue) = cue
            && score.cue_index(cue).is_some()
        {
            score.initial_cue = cue.to_string();
        }
        for p in &mut score.parameters {
            if let Some(&v) = self.parameters.get(&p.name) {
                p.default = v.clamp(p.min.min(p.max), p.max.max(p.min));
            }
        }
        let score = Arc::new(score);
        let names = Names::of(&score);
        let (mut session, mut sound, shared) =
            Session::with_voices(score, asset.bank.clone(), self.seed, self.voices);
        // Offline (rendered inside `App::update`), wait for streamed stems like `render_to`
        // does; on a device or the silent clock, a late disk plays silence and is reported,
        // and a stinger not rendered in time plays the bank's version.
        sound.set_wait_for_streams(!self.remote);
        sound.set_metering(self.meters);
        session.set_wait_for_renders(!self.remote);
        let id = self.sessions;
        self.sessions += 1;
        let track = Track {
            cue: session.conductor().current_cue().map(|c| (c, 0)),
            ..Track::default()
        };
        Playing {
            id,
            record: !self.remote,
            session,
            shared,
            names,
            start: None,
            sound: Some(sound),
            deadline,
            track,
            resume: None,
        }
    }

    /// The earliest global frame a new sound can start at without the deck passing it first.
    fn safe_start(&self) -> u64 {
        if self.remote {
            self.control.clock() + self.lookahead
        } else {
            self.control.clock()
        }
    }

    /// Plans every session up to global frame `horizon`, sending their events to `out`, and a
    /// snapshot of the music when `snapshot` is set.
    pub(crate) fn plan(&mut self, horizon: u64, snapshot: bool, out: &mut impl FnMut(FromPlanner)) {
        if self.next.is_none()
            && let Some(asset) = self.waiting.take()
        {
            self.install(asset, out);
        }
        let clock = self.control.clock();
        let safe = self.safe_start();
        self.horizon = self.horizon.max(horizon);
        if let Some(cur) = self.current.as_mut() {
            let start = cur.start.unwrap_or(0);
            let score = cur.session.score().clone();
            cur.session.plan(horizon.saturating_sub(start));
            let pending = cur.session.conductor().pending_request();
            for e in cur.session.last_events() {
                let frame = start + e.frame;
                cur.track.see(e);
                if let Some(next) = self.next.as_mut()
                    && next.start.is_none()
                    && frame > clock
                {
                    // On a bar line once no transition moves (see the module docs).
                    let moving = cur.track.moving(e.frame, pending);
                    if (e.kind == EventKind::Bar && moving == Moving::No) || frame >= next.deadline
                    {
                        next.start = Some(frame);
                        next.resume = Some(cur.track.resume(&score, e.position, e.frame, moving));
                    }
                }
                if let Some(sw) = self.next.as_ref().and_then(|n| n.start)
                    && frame >= sw
                {
                    continue;
                }
                send_event(out, &score, *e, frame);
            }
            cur.track.pending = pending;
        }
        if let Some(next) = self.next.as_mut() {
            let fallback = next.deadline + SWITCH_FALLBACK_SECONDS * self.sample_rate as u64;
            if next.start.is_none() && horizon >= fallback {
                // No event came: switch now.
                let sw = safe.max(horizon);
                next.start = Some(sw);
                if let Some(cur) = self.current.as_ref() {
                    let at = sw.saturating_sub(cur.start.unwrap_or(0));
                    let c = cur.session.conductor();
                    let moving = cur.track.moving(at, c.pending_request());
                    let score = cur.session.score();
                    next.resume = Some(cur.track.resume(score, c.position_at(at), at, moving));
                }
            }
            if let Some(sw) = next.start {
                self.switch(sw, horizon, out);
            }
        }
        // Streamed files that broke: said where the music is now.
        for p in [self.current.as_ref(), self.next.as_ref()]
            .into_iter()
            .flatten()
        {
            for fault in p.session.take_stream_faults() {
                error!("leitmotif: streamed stem {fault}; silence plays where it is missing");
                let at = clock.max(p.start.unwrap_or(0)) - p.start.unwrap_or(0);
                out(FromPlanner::Event(
                    p.position(at),
                    Planned::StemUnreadable(fault),
                ));
            }
        }
        self.control.collect();
        if snapshot {
            out(FromPlanner::Snapshot(Box::new(self.snapshot())));
        }
    }

    /// Hands the next session to the deck (to start at `sw`) and plans it.
    fn switch(&mut self, sw: u64, horizon: u64, out: &mut impl FnMut(FromPlanner)) {
        let Some(next) = self.next.as_mut() else {
            return;
        };
        if let Some(sound) = next.sound.take()
            && !self.control.send(sound, sw)
        {
            error!(
                "leitmotif: the audio output did not take the reloaded score; keeping the old one"
            );
            self.next = None;
            return;
        }
        if horizon > sw {
            let reported = next.resume.take().and_then(|r| resume(next, &r, out));
            let score = next.session.score().clone();
            for e in next.session.plan(horizon - sw) {
                if e.frame == 0 && reported == Some(e.kind) {
                    continue;
                }
                send_event(out, &score, *e, sw + e.frame);
            }
            self.current = self.next.take();
            let at = self.current.as_ref().and_then(|c| {
                let (cue, _) = c.track.cue?;
                Some(format!(
                    ", cue \"{}\" at {}",
                    score.cues[cue].name,
                    c.session.conductor().position_at(0)
                ))
            });
            info!(
                "leitmotif: now playing the reloaded score \"{}\" (from frame {sw}{})",
                score.name,
                at.unwrap_or_default()
            );
        }
    }

    fn snapshot(&self) -> MusicSnapshot {
        let mut snap = MusicSnapshot {
            clock: self.control.clock(),
            horizon: self.horizon,
            sample_rate: self.sample_rate,
            ..Default::default()
        };
        let Some(cur) = self.current.as_ref() else {
            return snap;
        };
        let c = cur.session.conductor();
        snap.score = Some(cur.session.score().clone());
        snap.current_cue = c.current_cue();
        snap.heard = (0..cur.session.score().parameters.len())
            .map(|i| c.parameter(i).unwrap_or(0.0))
            .collect();
        snap.voice_gains = c.voice_gains().collect();
        snap.snapshots = cur
            .session
            .score()
            .mix
            .snapshots
            .iter()
            .map(|s| s.name.clone())
            .zip(c.snapshot_levels())
            .collect();
        snap.pending = c.pending().map(|(to, sync)| Pending {
            cue: to,
            at: c.position_at(sync),
            frame: sync + cur.start.unwrap_or(0),
        });
        snap.shared = Some(cur.shared.clone());
        snap
    }
}

/// Starts a hot reload's session where `r` says (before its first plan; see the module
/// docs). Returns the event its plan must not report on frame 0 (a `CueStarted` the old
/// session already reported there).
fn resume(next: &mut Playing, r: &Resume, out: &mut impl FnMut(FromPlanner)) -> Option<EventKind> {
    let score = next.session.score().clone();
    let found = r.cue.as_ref().and_then(|n| next.names.cues.get(n).copied());
    let (cue, at) = match found {
        Some(to) if r.from_top => (to, Position::bar(1)),
        Some(to) => {
            let from = r.cue.as_deref().and_then(|n| r.old.cue_index(n));
            let at = match from {
                Some(from) => Conductor::carried_position(&r.old, from, &score, to, r.at),
                None => r.at,
            };
            (to, at)
        }
        // Gone from the new score: its initial cue, from bar 1, on the switch's bar line
        // (the bar starting there when the switch is not on one).
        None => (
            score.cue_index(&score.initial_cue).unwrap_or(0),
            Position::bar(1),
        ),
    };
    let global_bar = if found.is_none() && !(r.at.beat == 1 && r.at.tick == 0) {
        r.global_bar + 1
    } else {
        r.global_bar
    };
    if !next.session.start_at(cue, at, global_bar) {
        return None;
    }
    next.track.cue = Some((cue, global_bar.saturating_sub(at.bar)));
    if let Some(&to) = r.request.as_ref().and_then(|n| next.names.cues.get(n)) {
        next.push(0, Input::RequestCue(to), out);
    }
    (r.reported && found.is_some() && at == Position::bar(1))
        .then_some(EventKind::CueStarted { cue: cue as u16 })
}

/// Converts a planned engine event into a game event.
fn send_event(out: &mut impl FnMut(FromPlanner), score: &Score, e: MusicEvent, frame: u64) {
    let cue = |i: u16| {
        score
            .cues
            .get(i as usize)
            .map_or_else(String::new, |c| c.name.clone())
    };
    let planned = match e.kind {
        EventKind::Beat => Planned::Beat,
        EventKind::Bar => Planned::Bar,
        EventKind::Marker { cue: c, marker } => Planned::Marker {
            cue: cue(c),
            name: score
                .cues
                .get(c as usize)
                .and_then(|c| c.markers.get(marker as usize))
                .map_or_else(String::new, |m| m.name.clone()),
        },
        EventKind::CueStarted { cue: c } => Planned::CueStarted { cue: cue(c) },
        EventKind::TransitionStarted { from, to } => Planned::TransitionStarted {
            from: cue(from),
            to: cue(to),
        },
        EventKind::TransitionFinished { from, to } => Planned::TransitionFinished {
            from: cue(from),
            to: cue(to),
        },
        EventKind::Stinger { stinger, variation } => Planned::Stinger {
            stinger: score
                .stingers
                .get(stinger as usize)
                .map_or_else(String::new, |s| s.name.clone()),
            variation,
        },
        EventKind::TempoChanged {
            millibpm,
            ramp_beats,
        } => Planned::TempoChanged {
            bpm: millibpm as f64 / 1000.0,
            ramp_beats,
        },
        EventKind::Stopped => Planned::Stopped,
        EventKind::TempoCueRefused => {
            warn!(
                "leitmotif: tempo cue refused: not 10..=400 BPM, or beyond half or twice the playing cue's tempo with no variant there"
            );
            return;
        }
        EventKind::InvalidRequest => {
            debug!("leitmotif: the conductor ignored an invalid request");
            return;
        }
        EventKind::BridgeFailed { from, to } => {
            warn!(
                "leitmotif: the generated bridge from \"{}\" to \"{}\" could not be composed; the outgoing cue plays on into the rule's fade",
                cue(from),
                cue(to)
            );
            return;
        }
        EventKind::Overloaded { what, refused } => {
            let what = match what {
                leitmotif_core::conductor::Overload::VoicePool => {
                    "voice starts refused: every voice of the pool was playing (raise LeitmotifPlugin::voices)"
                }
                leitmotif_core::conductor::Overload::Queue => {
                    "actions dropped: the mixer's action queue was full"
                }
            };
            warn!("leitmotif: {refused} {what}");
            return;
        }
    };
    let position = MusicPosition {
        bar: e.position.bar,
        beat: e.position.beat,
        cue_bar: e.cue_bar,
        frame,
    };
    out(FromPlanner::Event(position, planned));
}
