//! The [`Music`] resource: state in (parameters, cues, stingers), the playing session, hot
//! reload, and the systems that conduct ahead of the music clock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use bevy::asset::{AssetLoadError, AssetLoadFailedEvent};
use bevy::prelude::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, Input, TimedInput};
use leitmotif_core::score::Sync as SyncPoint;
use leitmotif_engine::{MusicSound, Session};

use crate::asset::{ScoreAsset, ScoreLoadError};
use crate::events::{MusicPosition, Planned};
use crate::output::{Deck, DeckControl};

/// A hot reload waits this long (in planned music) for a bar line before switching anyway.
const SWITCH_DEADLINE_SECONDS: u64 = 30;

/// The backend the plugin ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reflect)]
pub enum ActiveBackend {
    /// Playing on an audio device through kira.
    Device,
    /// No device: a virtual clock following `Time` drives the music, rendering into a scratch
    /// buffer; events still fire.
    Silent,
    /// Deterministic: a fixed number of frames per `App::update`.
    Offline,
}

/// A state change asked for by the game, resolved by name when the music conducts.
#[derive(Debug, Clone, PartialEq)]
enum Command {
    Parameter(String, f32),
    Cue(String),
    Stinger(String),
    Dialogue(f32),
    Tempo(f64, SyncPoint),
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
    session: Session,
    names: Arc<Names>,
    /// Global frame of the session's frame 0, once known.
    start: Option<u64>,
    /// The sound, until it is handed to the deck.
    sound: Option<MusicSound>,
    /// Planned frame after which a hot reload switches without waiting for a bar any more.
    deadline: u64,
}

/// Which clock drives the music.
enum Mode {
    Live,
    Silent { remainder: f64 },
    Offline { step: u64 },
}

/// The control side of the music: sessions, the deck, the event queue.
pub(crate) struct Engine {
    mode: Mode,
    control: DeckControl,
    /// The deck, when rendered on this thread (silent and offline backends).
    local: Option<Deck>,
    sample_rate: u32,
    lookahead: u64,
    seed: u64,
    current: Option<Playing>,
    next: Option<Playing>,
    /// A score that arrived while a switch was already on its way to the deck.
    waiting: Option<ScoreAsset>,
    queue: VecDeque<(MusicPosition, Planned)>,
    /// Frame the plan reaches (global).
    horizon: u64,
}

/// Settings the plugin builds the music with.
pub(crate) struct EngineSetup {
    pub backend: ActiveBackend,
    pub control: DeckControl,
    pub local: Option<Deck>,
    pub sample_rate: u32,
    pub lookahead: u64,
    pub offline_step: u64,
    pub seed: u64,
}

/// The music: load a score with [`play`](Self::play), drive it with
/// [`set_parameter`](Self::set_parameter), [`request_cue`](Self::request_cue),
/// [`stinger`](Self::stinger), [`set_dialogue`](Self::set_dialogue) and
/// [`tempo_cue`](Self::tempo_cue).
///
/// Requests are resolved by name when the music conducts (in
/// [`LeitmotifSystems::Conduct`](crate::LeitmotifSystems::Conduct)); a name the score does
/// not have is reported once with a warning and ignored. Requests made before the score has
/// loaded are kept: parameter values and the dialogue level apply from the start, and the last
/// cue requested becomes the first cue played.
#[derive(Resource)]
pub struct Music {
    handle: Option<Handle<ScoreAsset>>,
    installed: Option<AssetId<ScoreAsset>>,
    player: Entity,
    backend: ActiveBackend,
    device_error: Option<String>,
    sample_rate: u32,
    commands: Vec<Command>,
    /// Last value set for each parameter, by name (carried over hot reloads).
    parameters: HashMap<String, f32>,
    dialogue: f32,
    /// Cue asked for before the score loaded.
    first_cue: Option<String>,
    warned: HashSet<String>,
    last_error: Option<String>,
    score: Option<Arc<Score>>,
    names: Arc<Names>,
    clock: u64,
    current_cue: Option<usize>,
    engine: Mutex<Engine>,
}

/// Read access to the playing [`Session`] (holds a lock on the music's control side; drop it
/// before the next update).
pub struct SessionRef<'a>(MutexGuard<'a, Engine>);

impl Deref for SessionRef<'_> {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self
            .0
            .current
            .as_ref()
            .expect("checked by Music::session")
            .session
    }
}

impl Music {
    pub(crate) fn new(setup: EngineSetup, player: Entity, device_error: Option<String>) -> Music {
        let mode = match setup.backend {
            ActiveBackend::Device => Mode::Live,
            ActiveBackend::Silent => Mode::Silent { remainder: 0.0 },
            ActiveBackend::Offline => Mode::Offline {
                step: setup.offline_step.max(1),
            },
        };
        let engine = Engine {
            mode,
            control: setup.control,
            local: setup.local,
            sample_rate: setup.sample_rate,
            lookahead: setup.lookahead,
            seed: setup.seed,
            current: None,
            next: None,
            waiting: None,
            queue: VecDeque::with_capacity(256),
            horizon: 0,
        };
        Music {
            handle: None,
            installed: None,
            player,
            backend: setup.backend,
            device_error,
            sample_rate: setup.sample_rate,
            commands: Vec::new(),
            parameters: HashMap::new(),
            dialogue: 0.0,
            first_cue: None,
            warned: HashSet::new(),
            last_error: None,
            score: None,
            names: Arc::default(),
            clock: 0,
            current_cue: None,
            engine: Mutex::new(engine),
        }
    }

    /// Plays the score `handle` points to, as soon as it has loaded (replacing what plays at
    /// its next bar). Edits to the file are hot reloaded.
    pub fn play(&mut self, handle: Handle<ScoreAsset>) {
        self.handle = Some(handle);
    }

    /// The score asset being played.
    pub fn handle(&self) -> Option<&Handle<ScoreAsset>> {
        self.handle.as_ref()
    }

    /// Sets a parameter of the score (clamped to its range by the conductor).
    pub fn set_parameter(&mut self, name: &str, value: f32) {
        if value.is_nan() {
            return;
        }
        self.parameters.insert(name.to_string(), value);
        self.commands
            .push(Command::Parameter(name.to_string(), value));
    }

    /// Asks for a cue; it starts at the sync point of the score's transition rule.
    pub fn request_cue(&mut self, name: &str) {
        self.commands.push(Command::Cue(name.to_string()));
    }

    /// Triggers a stinger; it lands on its sync point.
    pub fn stinger(&mut self, name: &str) {
        self.commands.push(Command::Stinger(name.to_string()));
    }

    /// Sets the dialogue level (0..1): the music ducks under it.
    pub fn set_dialogue(&mut self, level: f32) {
        if level.is_nan() {
            return;
        }
        self.dialogue = level.clamp(0.0, 1.0);
        self.commands.push(Command::Dialogue(self.dialogue));
    }

    /// Asks for a tempo, followed at the next bar through the cues' tempo variants.
    pub fn tempo_cue(&mut self, bpm: f64) {
        self.tempo_cue_at(bpm, SyncPoint::NextBar);
    }

    /// Asks for a tempo at a given sync point.
    pub fn tempo_cue_at(&mut self, bpm: f64, sync: SyncPoint) {
        self.commands.push(Command::Tempo(bpm, sync));
    }

    /// Sets the master volume (linear gain, applied after the limiter).
    pub fn set_volume(&mut self, volume: f32) {
        if volume.is_finite() {
            self.engine
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .control
                .set_volume(volume.max(0.0));
        }
    }

    /// The score playing (the old one until a hot-reloaded score takes over at a bar line).
    pub fn score(&self) -> Option<&Arc<Score>> {
        self.score.as_ref()
    }

    /// Name of the cue playing (or being bridged from).
    pub fn current_cue(&self) -> Option<&str> {
        let score = self.score.as_ref()?;
        score.cues.get(self.current_cue?).map(|c| c.name.as_str())
    }

    /// The value last set for a parameter (not the heard, seeking value: see
    /// [`Conductor::parameter`](leitmotif_core::conductor::Conductor::parameter)).
    pub fn parameter(&self, name: &str) -> Option<f32> {
        self.parameters.get(name).copied()
    }

    /// The range of a parameter of the playing score.
    pub fn parameter_range(&self, name: &str) -> Option<(f32, f32)> {
        let p = &self.score.as_ref()?.parameters[*self.names.parameters.get(name)?];
        Some((p.min, p.max))
    }

    /// The music clock: frames rendered since the plugin started (at [`sample_rate`](Self::sample_rate)).
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// The music clock in seconds.
    pub fn clock_seconds(&self) -> f64 {
        self.clock as f64 / self.sample_rate as f64
    }

    /// The output sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The backend in use.
    pub fn backend(&self) -> ActiveBackend {
        self.backend
    }

    /// Why the audio device could not be opened, when [`Backend::Auto`](crate::Backend::Auto)
    /// fell back to [`ActiveBackend::Silent`].
    pub fn device_error(&self) -> Option<&str> {
        self.device_error.as_deref()
    }

    /// The last score that failed to load (`file:line:column: message`); the music kept
    /// playing the previous score.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// The entity music events target.
    pub fn player(&self) -> Entity {
        self.player
    }

    /// Whether a score is playing.
    pub fn is_playing(&self) -> bool {
        self.score.is_some()
    }

    /// The playing session (conductor, bank, composed bridges), locked for reading.
    pub fn session(&self) -> Option<SessionRef<'_>> {
        let guard = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        guard.current.is_some().then(|| SessionRef(guard))
    }

    /// Warns once per name that the score has no such thing.
    pub(crate) fn warn_unknown(&mut self, what: &str, name: &str) {
        if self.warned.insert(format!("{what}\u{0}{name}")) {
            let score = self.score.as_ref().map_or("<none>", |s| s.name.as_str());
            warn!("leitmotif: score \"{score}\" has no {what} named \"{name}\"; ignored");
        }
    }

    /// Resolves the queued commands against the playing session.
    fn apply_commands(&mut self) {
        if self.commands.is_empty() {
            return;
        }
        let mut commands = std::mem::take(&mut self.commands);
        if self.score.is_none() {
            // Not loaded yet: keep what matters for the start, drop the rest.
            for c in commands.drain(..) {
                match c {
                    Command::Cue(name) => self.first_cue = Some(name),
                    Command::Parameter(..) | Command::Dialogue(_) => {} // kept in `parameters` / `dialogue`
                    Command::Stinger(name) => debug!(
                        "leitmotif: stinger \"{name}\" requested before the score loaded; dropped"
                    ),
                    Command::Tempo(..) => {
                        debug!("leitmotif: tempo cue before the score loaded; dropped")
                    }
                }
            }
            self.commands = commands;
            return;
        }
        let names = self.names.clone();
        let engine = self.engine.get_mut().unwrap_or_else(|e| e.into_inner());
        let clock = engine.control.clock();
        let mut unknown: Vec<(&'static str, String)> = Vec::new();
        for c in commands.drain(..) {
            let input = match c {
                Command::Parameter(name, v) => match names.parameters.get(&name) {
                    Some(&i) => {
                        // A switch in progress starts the new score with the value too.
                        if let Some(next) = engine.next.as_mut()
                            && let Some(&j) = next.names.parameters.get(&name)
                        {
                            next.session.push(TimedInput {
                                frame: 0,
                                input: Input::SetParameter(j, v),
                            });
                        }
                        Input::SetParameter(i, v)
                    }
                    None => {
                        unknown.push(("parameter", name));
                        continue;
                    }
                },
                Command::Cue(name) => match names.cues.get(&name) {
                    Some(&i) => {
                        // A switch in progress would otherwise start on the old cue.
                        if let Some(next) = engine.next.as_mut()
                            && let Some(&j) = next.names.cues.get(&name)
                        {
                            next.session.push(TimedInput {
                                frame: 0,
                                input: Input::RequestCue(j),
                            });
                        }
                        Input::RequestCue(i)
                    }
                    None => {
                        unknown.push(("cue", name));
                        continue;
                    }
                },
                Command::Stinger(name) => match names.stingers.get(&name) {
                    Some(&i) => Input::Stinger(i),
                    None => {
                        unknown.push(("stinger", name));
                        continue;
                    }
                },
                Command::Dialogue(level) => {
                    if let Some(next) = engine.next.as_mut() {
                        next.session.push(TimedInput {
                            frame: 0,
                            input: Input::SetDialogue(level),
                        });
                    }
                    Input::SetDialogue(level)
                }
                Command::Tempo(bpm, sync) => Input::TempoCue { bpm, sync },
            };
            if let Some(cur) = engine.current.as_mut() {
                let frame = clock.saturating_sub(cur.start.unwrap_or(0));
                cur.session.push(TimedInput { frame, input });
            }
        }
        self.commands = commands;
        for (what, name) in unknown {
            self.warn_unknown(what, &name);
        }
    }

    /// Builds a session for `asset` and schedules it: at once when nothing plays, else at the
    /// next bar of the playing session.
    fn install(&mut self, asset: &ScoreAsset) {
        let engine = self.engine.get_mut().unwrap_or_else(|e| e.into_inner());
        if engine.next.as_ref().is_some_and(|n| n.start.is_some()) {
            // A switch is already on its way to the deck; this one follows it.
            engine.waiting = Some(asset.clone());
            return;
        }
        let keep_cue = engine
            .current
            .as_ref()
            .and_then(|c| {
                c.session
                    .conductor()
                    .current_cue()
                    .map(|i| c.session.score().cues[i].name.clone())
            })
            .or_else(|| self.first_cue.take());
        let playing = prepare(
            asset,
            keep_cue.as_deref(),
            &self.parameters,
            self.dialogue,
            engine.seed,
            engine.horizon + SWITCH_DEADLINE_SECONDS * engine.sample_rate as u64,
        );
        if engine.current.is_none() {
            let start = engine.safe_start();
            engine.current = Some(Playing {
                start: Some(start),
                ..playing
            });
            let current = engine.current.as_mut().expect("just set");
            if let Some(sound) = current.sound.take() {
                engine.control.send(sound, start);
            }
            self.score = Some(current.session.score().clone());
            self.names = current.names.clone();
            self.current_cue = current.session.conductor().current_cue();
        } else {
            engine.next = Some(playing);
        }
    }
}

/// A session for `asset` that starts on `cue` (when the score has it) with the parameters and
/// dialogue level the game set.
fn prepare(
    asset: &ScoreAsset,
    cue: Option<&str>,
    parameters: &HashMap<String, f32>,
    dialogue: f32,
    seed: u64,
    deadline: u64,
) -> Playing {
    let mut score = (*asset.score).clone();
    if let Some(cue) = cue
        && score.cue_index(cue).is_some()
    {
        score.initial_cue = cue.to_string();
    }
    for p in &mut score.parameters {
        if let Some(&v) = parameters.get(&p.name) {
            p.default = v.clamp(p.min.min(p.max), p.max.max(p.min));
        }
    }
    let score = Arc::new(score);
    let names = Arc::new(Names::of(&score));
    let (mut session, sound, _shared) = Session::new(score, asset.bank.clone(), seed);
    if dialogue > 0.0 {
        session.push(TimedInput {
            frame: 0,
            input: Input::SetDialogue(dialogue),
        });
    }
    Playing {
        session,
        names,
        start: None,
        sound: Some(sound),
        deadline,
    }
}

impl Engine {
    /// The earliest global frame a new sound can start at without the deck passing it first.
    fn safe_start(&self) -> u64 {
        match self.mode {
            Mode::Live => self.control.clock() + self.lookahead,
            _ => self.control.clock(),
        }
    }

    /// Plans every session up to global frame `horizon`, queueing their events.
    fn plan(&mut self, horizon: u64) {
        let clock = self.control.clock();
        let safe = self.safe_start();
        self.horizon = self.horizon.max(horizon);
        if let Some(cur) = self.current.as_mut() {
            let start = cur.start.unwrap_or(0);
            let names = cur.session.score().clone();
            let events = cur.session.advance_to(horizon.saturating_sub(start));
            for e in events {
                let frame = start + e.frame;
                if let Some(next) = self.next.as_mut()
                    && next.start.is_none()
                    && frame > clock
                    && (e.kind == EventKind::Bar || frame >= next.deadline)
                {
                    next.start = Some(frame);
                    self.queue.retain(|(p, _)| p.frame < frame);
                }
                if let Some(sw) = self.next.as_ref().and_then(|n| n.start)
                    && frame >= sw
                {
                    continue;
                }
                push_event(&mut self.queue, &names, *e, frame);
            }
            cur.session.flush();
        }
        let Some(next) = self.next.as_mut() else {
            return;
        };
        if next.start.is_none() && horizon >= next.deadline {
            // No bar line came (a score that ended): switch now.
            next.start = Some(safe.max(horizon));
        }
        let Some(sw) = next.start else {
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
            for e in next.session.advance_to(horizon - sw) {
                push_event(&mut self.queue, &score, *e, sw + e.frame);
            }
            next.session.flush();
            self.current = self.next.take();
            info!(
                "leitmotif: now playing the reloaded score \"{}\" (from frame {sw})",
                score.name
            );
        }
    }
}

/// Converts a planned engine event into a queued game event.
fn push_event(
    queue: &mut VecDeque<(MusicPosition, Planned)>,
    score: &Score,
    e: leitmotif_core::conductor::MusicEvent,
    frame: u64,
) {
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
        EventKind::TempoCueRefused => {
            warn!("leitmotif: tempo cue refused: the playing cue has no variant at that tempo");
            return;
        }
        EventKind::InvalidRequest => {
            debug!("leitmotif: the conductor ignored an invalid request");
            return;
        }
    };
    let position = MusicPosition {
        bar: e.position.bar,
        beat: e.position.beat,
        cue_bar: e.cue_bar,
        frame,
    };
    queue.push_back((position, planned));
}

/// Text of a failed score load: the loader's own message (`file:line:column: …`) when it is
/// one of ours.
fn describe(error: &AssetLoadError) -> String {
    if let AssetLoadError::AssetLoaderError(e) = error
        && let Some(ours) = e.error().downcast_ref::<ScoreLoadError>()
    {
        return ours.to_string();
    }
    error.to_string()
}

/// Loads scores, applies requests, advances the clock and plans ahead of it.
pub(crate) fn conduct(
    mut music: ResMut<Music>,
    assets: Res<Assets<ScoreAsset>>,
    mut asset_events: MessageReader<AssetEvent<ScoreAsset>>,
    mut failures: MessageReader<AssetLoadFailedEvent<ScoreAsset>>,
    time: Option<Res<Time>>,
) {
    let music = &mut *music;
    let id = music.handle.as_ref().map(Handle::id);
    for failure in failures.read() {
        if Some(failure.id) == id {
            let text = describe(&failure.error);
            if music.score.is_some() {
                error!("leitmotif: {text} (the music keeps playing the previous version)");
            } else {
                error!("leitmotif: {text}");
            }
            music.last_error = Some(text);
        }
    }
    let mut reload = false;
    for event in asset_events.read() {
        if let AssetEvent::Modified { id: changed } = event
            && Some(*changed) == id
        {
            reload = true;
        }
    }
    if let Some(id) = id {
        let fresh = music.installed != Some(id);
        if (fresh || reload)
            && let Some(asset) = assets.get(id)
        {
            music.installed = Some(id);
            music.last_error = None;
            music.install(asset);
        }
    }
    {
        let engine = music.engine.get_mut().unwrap_or_else(|e| e.into_inner());
        if engine.next.is_none()
            && let Some(asset) = engine.waiting.take()
        {
            music.install(&asset);
        }
    }
    music.apply_commands();

    let engine = music.engine.get_mut().unwrap_or_else(|e| e.into_inner());
    let rate = engine.sample_rate as f64;
    let delta = time.as_ref().map_or(0.0, |t| t.delta_secs_f64());
    match &mut engine.mode {
        // Offline, the clock waits for the first score: frame 0 is where the music starts.
        Mode::Offline { .. } if engine.current.is_none() => {}
        Mode::Offline { step } => {
            let step = *step;
            let clock = engine.control.clock();
            engine.plan(clock + step + engine.lookahead);
            if let Some(deck) = engine.local.as_mut() {
                deck.render_silently(step);
            }
        }
        Mode::Silent { remainder } => {
            let exact = delta * rate + *remainder;
            let step = exact.floor().min(rate / 4.0).max(0.0);
            *remainder = if exact.floor() > step {
                0.0
            } else {
                exact - step
            };
            let step = step as u64;
            let clock = engine.control.clock();
            engine.plan(clock + step + engine.lookahead);
            if let Some(deck) = engine.local.as_mut() {
                deck.render_silently(step);
            }
        }
        Mode::Live => {
            // The device renders on its own thread: keep the plan a lookahead plus two frames
            // of the game loop ahead of it, so it never runs dry between updates.
            let margin = ((delta * rate * 2.0) as u64).min(engine.sample_rate as u64 / 2);
            let clock = engine.control.clock();
            engine.plan(clock + engine.lookahead + margin);
        }
    }
    engine.control.collect();
    // The old session may have been replaced during planning: refresh the snapshot.
    let clock = engine.control.clock();
    let (score, names, cue) = match engine.current.as_ref() {
        Some(c) => (
            Some(c.session.score().clone()),
            c.names.clone(),
            c.session.conductor().current_cue(),
        ),
        None => (None, Arc::default(), None),
    };
    music.clock = clock;
    if let Some(score) = score {
        music.score = Some(score);
        music.names = names;
    }
    music.current_cue = cue;
}

/// Delivers the events whose frame the music clock has reached.
pub(crate) fn deliver(world: &mut World, mut ready: Local<Vec<(MusicPosition, Planned)>>) {
    let player = {
        let Some(mut music) = world.get_resource_mut::<Music>() else {
            return;
        };
        let clock = music.clock;
        let engine = music.engine.get_mut().unwrap_or_else(|e| e.into_inner());
        while engine.queue.front().is_some_and(|(p, _)| p.frame <= clock) {
            ready.push(engine.queue.pop_front().expect("checked"));
        }
        music.player
    };
    for (position, planned) in ready.drain(..) {
        planned.deliver(world, player, position);
    }
}
