//! The planner: the control side of the music. It resolves the game's requests by name,
//! installs scores (hot reload at a bar line), runs [`Session::plan`] ahead of the music clock
//! and turns the plan's events into game events. It runs on its own thread when the music
//! plays on a device or the silent clock, and inside `App::update` with the offline backend;
//! the code is the same.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bevy::prelude::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, Input, MusicEvent, TimedInput};
use leitmotif_core::score::Sync as SyncPoint;
use leitmotif_engine::{MusicSound, Session, Shared};

use crate::asset::ScoreAsset;
use crate::events::{MusicPosition, Planned};
use crate::output::DeckControl;
use crate::snapshot::{MusicSnapshot, Pending};

/// A hot reload waits this long (in planned music) for a bar line before switching anyway.
const SWITCH_DEADLINE_SECONDS: u64 = 30;

/// A state change asked for by the game, resolved by name when the music plans.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Parameter(String, f32),
    Cue(String),
    Stinger(String),
    Dialogue(f32),
    Tempo(f64, u32, SyncPoint),
    Volume(f32),
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
}

impl Playing {
    fn push(&mut self, frame: u64, input: Input, out: &mut impl FnMut(FromPlanner)) {
        // A late input takes effect at the next frame the conductor has not planned yet.
        let frame = frame.max(self.session.conductor().now());
        let timed = TimedInput { frame, input };
        if self.record {
            out(FromPlanner::Input(self.id, timed.clone()));
        }
        self.session.push(timed);
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
            first_cue: None,
            warned: HashSet::new(),
            horizon: 0,
            sessions: 0,
            voices: leitmotif_engine::mixer::MAX_VOICES,
        }
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
            Command::Volume(v) => {
                self.control.set_volume(*v);
                return;
            }
            _ => {}
        }
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
            Ok(input) => cur.push(frame, input, out),
            Err((what, name)) => self.warn_unknown(what, &name),
        }
        // A switch in progress starts the new score with the same state (not stingers or
        // tempo cues: those are heard in the old score).
        if let Some(next) = self.next.as_mut()
            && matches!(
                c,
                Command::Parameter(..) | Command::Cue(_) | Command::Dialogue(_)
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
        let keep_cue = self
            .current
            .as_ref()
            .and_then(|c| {
                c.session
                    .conductor()
                    .current_cue()
                    .map(|i| c.session.score().cues[i].name.clone())
            })
            .or_else(|| self.first_cue.take());
        let deadline = self.horizon + SWITCH_DEADLINE_SECONDS * self.sample_rate as u64;
        let mut playing = self.prepare(&asset, keep_cue.as_deref(), deadline);
        if self.dialogue > 0.0 {
            playing.push(0, Input::SetDialogue(self.dialogue), out);
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
        session.set_wait_for_renders(!self.remote);
        let id = self.sessions;
        self.sessions += 1;
        Playing {
            id,
            record: !self.remote,
            session,
            shared,
            names,
            start: None,
            sound: Some(sound),
            deadline,
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
            let events = cur.session.plan(horizon.saturating_sub(start));
            for e in events {
                let frame = start + e.frame;
                if let Some(next) = self.next.as_mut()
                    && next.start.is_none()
                    && frame > clock
                    && (e.kind == EventKind::Bar || frame >= next.deadline)
                {
                    next.start = Some(frame);
                }
                if let Some(sw) = self.next.as_ref().and_then(|n| n.start)
                    && frame >= sw
                {
                    continue;
                }
                send_event(out, &score, *e, frame);
            }
        }
        if let Some(next) = self.next.as_mut() {
            if next.start.is_none() && horizon >= next.deadline {
                // No bar line came (a score that ended): switch now.
                next.start = Some(safe.max(horizon));
            }
            if let Some(sw) = next.start {
                self.switch(sw, horizon, out);
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
            let score = next.session.score().clone();
            for e in next.session.plan(horizon - sw) {
                send_event(out, &score, *e, sw + e.frame);
            }
            self.current = self.next.take();
            info!(
                "leitmotif: now playing the reloaded score \"{}\" (from frame {sw})",
                score.name
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
        snap.pending = c.pending().map(|(to, sync)| Pending {
            cue: to,
            at: c.position_at(sync),
            frame: sync + cur.start.unwrap_or(0),
        });
        snap.shared = Some(cur.shared.clone());
        snap
    }
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
