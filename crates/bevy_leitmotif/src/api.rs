//! The [`Music`] resource: what game code touches. Requests go through a channel (so a
//! `Res<Music>` is enough to make them); what it reads is a snapshot the plugin refreshes every
//! update. No lock is handed out and nothing here waits for the audio or the planner.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use bevy::prelude::*;
use leitmotif_core::Score;
use leitmotif_core::score::Sync as SyncPoint;

use crate::asset::ScoreAsset;
use crate::planner::Command;
use crate::snapshot::MusicSnapshot;

/// The backend the plugin ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reflect)]
pub enum ActiveBackend {
    /// Playing on an audio device through kira; the planner runs on its own thread.
    Device,
    /// No device: a thread renders at the pace of a real-time clock into a scratch buffer, so
    /// the voices and the events behave as if the music were heard.
    Silent,
    /// Deterministic: a fixed number of frames planned and rendered per `App::update`.
    Offline,
}

/// What game code sends to the plugin.
pub(crate) enum GameMsg {
    Play(Handle<ScoreAsset>),
    /// A request, with the moment the game made it (see [`Music`]'s docs on late requests).
    Command(Command, std::time::Instant),
}

/// The music: load a score with [`play`](Self::play), drive it with
/// [`set_parameter`](Self::set_parameter), [`request_cue`](Self::request_cue),
/// [`stinger`](Self::stinger), [`set_dialogue`](Self::set_dialogue) and
/// [`tempo_cue`](Self::tempo_cue); read it with [`snapshot`](Self::snapshot) and the getters.
///
/// Every method takes `&self`, so `Res<Music>` is enough. Requests are resolved by name when
/// the music plans; a name the score does not have is reported once with a warning and
/// ignored. Requests made before the score has loaded are kept: parameter values and the
/// dialogue level apply from the start, and the last cue requested becomes the first cue played.
/// A request takes effect at the first frame the plan has not reached yet (the plugin's
/// `buffer` ahead of what is heard).
///
/// On a device or the silent clock, a request that reaches the music more than
/// [`LATE_REQUEST_SECONDS`](crate::LATE_REQUEST_SECONDS) after the game made it (the game
/// stalled between the call and the end of its update, say in a level load, or the planner
/// was held up) still takes effect at the next frame not yet planned, and a
/// [`RequestLate`](crate::RequestLate) event on that frame says what came late and by how
/// much. With the offline backend nothing is late: its clock is not real time.
#[derive(Resource)]
pub struct Music {
    tx: Sender<GameMsg>,
    pub(crate) handle: Option<Handle<ScoreAsset>>,
    pub(crate) player: Entity,
    pub(crate) backend: ActiveBackend,
    pub(crate) device_error: Option<String>,
    pub(crate) last_error: Option<String>,
    pub(crate) sample_rate: u32,
    pub(crate) clock: u64,
    /// Last value set for each parameter, by name.
    pub(crate) parameters: HashMap<String, f32>,
    pub(crate) snapshot: MusicSnapshot,
}

impl Music {
    pub(crate) fn new(
        tx: Sender<GameMsg>,
        player: Entity,
        backend: ActiveBackend,
        sample_rate: u32,
    ) -> Music {
        Music {
            tx,
            handle: None,
            player,
            backend,
            device_error: None,
            last_error: None,
            sample_rate,
            clock: 0,
            parameters: HashMap::new(),
            snapshot: MusicSnapshot::default(),
        }
    }

    /// A sender for requests made outside the game's systems (live control, offline).
    pub(crate) fn sender(&self) -> Sender<GameMsg> {
        self.tx.clone()
    }

    fn send(&self, c: Command) {
        // The receiver lives as long as the app; a send after it is gone has no one to hear it.
        let _ = self.tx.send(GameMsg::Command(c, std::time::Instant::now()));
    }

    /// Plays the score `handle` points to, as soon as it has loaded (replacing what plays at
    /// its next bar). Edits to the file are hot reloaded.
    pub fn play(&self, handle: Handle<ScoreAsset>) {
        let _ = self.tx.send(GameMsg::Play(handle));
    }

    /// The score asset being played.
    pub fn handle(&self) -> Option<&Handle<ScoreAsset>> {
        self.handle.as_ref()
    }

    /// Sets a parameter of the score (clamped to its range by the conductor). NaN is ignored.
    pub fn set_parameter(&self, name: &str, value: f32) {
        if !value.is_nan() {
            self.send(Command::Parameter(name.to_string(), value));
        }
    }

    /// Asks for a cue; it starts at the sync point of the score's transition rule.
    pub fn request_cue(&self, name: &str) {
        self.send(Command::Cue(name.to_string()));
    }

    /// Triggers a stinger; it lands on its sync point.
    pub fn stinger(&self, name: &str) {
        self.send(Command::Stinger(name.to_string()));
    }

    /// Sets the dialogue level (0..1): the music ducks under it. NaN is ignored.
    pub fn set_dialogue(&self, level: f32) {
        if !level.is_nan() {
            self.send(Command::Dialogue(level.clamp(0.0, 1.0)));
        }
    }

    /// Blends the score's snapshot `name` (its `mix.snapshots`) to `intensity` (0 = out,
    /// 1 = fully in force) over `seconds` (the snapshot's own `seconds` when `None`): e.g.
    /// `set_snapshot("pause", 1.0, None)` when the game pauses, `0.0` when it resumes. The
    /// intensity asked for is kept across hot reloads. An unknown name is a warning in the log.
    pub fn set_snapshot(&self, name: &str, intensity: f32, seconds: Option<f32>) {
        if !intensity.is_nan() {
            self.send(Command::Snapshot(
                name.to_string(),
                intensity.clamp(0.0, 1.0),
                seconds,
            ));
        }
    }

    /// Changes the tempo of the playing cue at the next bar (the stems are time-stretched to
    /// follow; a tempo variant of the cue at that tempo is entered at the same position
    /// instead).
    pub fn tempo_cue(&self, bpm: f64) {
        self.tempo_cue_at(bpm, SyncPoint::NextBar);
    }

    /// Changes the tempo at a given sync point, at once.
    pub fn tempo_cue_at(&self, bpm: f64, sync: SyncPoint) {
        self.send(Command::Tempo(bpm, 0, sync));
    }

    /// Ramps the tempo to `bpm` over `beats` beats from a given sync point.
    pub fn tempo_ramp(&self, bpm: f64, beats: u32, sync: SyncPoint) {
        self.send(Command::Tempo(bpm, beats, sync));
    }

    /// Stops the music, fading it out over `fade_seconds` (0: at once, declicked): what is
    /// pending is dropped and nothing plays until the next [`Music::request_cue`] (or cue
    /// start), which starts its cue at bar 1 with no transition. Reported as a
    /// [`MusicStopped`](crate::MusicStopped) event.
    pub fn stop(&self, fade_seconds: f32) {
        if fade_seconds.is_finite() {
            self.send(Command::Stop(fade_seconds.clamp(0.0, 60.0)));
        }
    }

    /// Sets the master volume (linear gain, applied after the limiter).
    pub fn set_volume(&self, volume: f32) {
        if volume.is_finite() {
            self.send(Command::Volume(volume.max(0.0)));
        }
    }

    /// The state of the music as last planned: score, cue, heard parameters, voice gains, the
    /// pending transition, levels and overloads.
    pub fn snapshot(&self) -> &MusicSnapshot {
        &self.snapshot
    }

    /// The score playing (the old one until a hot-reloaded score takes over at a bar line).
    pub fn score(&self) -> Option<&Arc<Score>> {
        self.snapshot.score.as_ref()
    }

    /// Name of the cue playing (or being bridged from).
    pub fn current_cue(&self) -> Option<&str> {
        let score = self.snapshot.score.as_ref()?;
        score
            .cues
            .get(self.snapshot.current_cue?)
            .map(|c| c.name.as_str())
    }

    /// The value last set for a parameter (not the heard, seeking value: see
    /// [`MusicSnapshot::heard`]).
    pub fn parameter(&self, name: &str) -> Option<f32> {
        self.parameters.get(name).copied()
    }

    /// The range of a parameter of the playing score.
    pub fn parameter_range(&self, name: &str) -> Option<(f32, f32)> {
        let p = self.score()?.parameters.iter().find(|p| p.name == name)?;
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
        self.snapshot.score.is_some()
    }
}
