//! Bevy plugin for Leitmotif adaptive music.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_leitmotif::prelude::*;
//!
//! fn setup(server: Res<AssetServer>, music: Res<Music>) {
//!     music.play(server.load("music/dungeon.score.ron"));
//! }
//!
//! fn on_bar(mut bars: MessageReader<Bar>) {
//!     for bar in bars.read() {
//!         info!("bar {}", bar.position.bar);
//!     }
//! }
//!
//! App::new()
//!     .add_plugins((MinimalPlugins, AssetPlugin::default(), LeitmotifPlugin::default()))
//!     .add_systems(Startup, setup)
//!     .add_systems(Update, on_bar)
//!     .add_observer(|cue: On<CueStarted>| info!("now playing {}", cue.cue))
//!     .run();
//! ```
//!
//! * **Score in**: `*.score.ron` files load as [`ScoreAsset`]s (with their stems, read from
//!   the score's folder); [`Music::play`] plays one. Edits are hot reloaded and take over at
//!   the next bar; a broken edit is reported with `file:line:column` and the old score keeps
//!   playing.
//! * **State in**: [`Music`]'s methods (all `&self`: `Res<Music>` is enough) set parameters,
//!   request cues, trigger stingers, duck under dialogue; [`MusicAppExt::music_state_cue`] ties
//!   a cue to a game state; [`TensionSource`]s near the [`MusicListener`] drive a parameter.
//!   [`Music::snapshot`] reads what plays: heard parameters, voice gains, the pending
//!   transition, real levels from the audio side.
//! * **Threads**: with a device (or the silent clock) the planner runs on its own thread and
//!   plans a lookahead ahead of the audio clock, so a stalled game loop never starves the
//!   music; the offline backend plans and renders inside `App::update`.
//! * **Music out**: [`Beat`], [`Bar`], [`Marker`], [`CueStarted`], [`TransitionStarted`],
//!   [`TransitionFinished`], [`StingerPlayed`], [`TempoChanged`], [`MusicStopped`],
//!   [`RequestLate`] (a request that reached the music late, and where it took effect) and
//!   [`StemUnreadable`] (a streamed file that broke while it played: which, where, why) are
//!   both messages and observable events, delivered in the update in which the music clock
//!   reaches them.

mod api;
mod asset;
mod capture;
mod events;
mod live;
mod output;
mod planner;
mod runner;
mod snapshot;
mod spatial;
mod systems;

use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use bevy::asset::AssetApp;
use bevy::asset::io::file::FileAssetReader;
use bevy::prelude::*;
use bevy::state::state::{OnEnter, States};

pub use api::{ActiveBackend, Music};
pub use asset::{ScoreAsset, ScoreLoadError, ScoreLoader};
pub use capture::MusicCapture;
pub use events::{
    Bar, Beat, CueStarted, Marker, MusicPlayer, MusicPosition, MusicStopped, RequestLate,
    StemUnreadable, StingerPlayed, TempoChanged, TransitionFinished, TransitionStarted,
};
pub use leitmotif_control as control;
pub use leitmotif_core::score::Sync as SyncPoint;
pub use leitmotif_engine::meter::Level;
pub use live::LiveControl;
pub use snapshot::{MusicSnapshot, Pending};
pub use spatial::{MusicListener, TensionParameter, TensionSource, falloff};

/// Everything a game needs: `use bevy_leitmotif::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ActiveBackend, Backend, Bar, Beat, CueStarted, LeitmotifPlugin, LeitmotifSystems,
        LiveControl, Marker, Music, MusicAppExt, MusicCapture, MusicListener, MusicPlayer,
        MusicPosition, MusicSnapshot, MusicStopped, RequestLate, ScoreAsset, StemUnreadable,
        StingerPlayed, TempoChanged, TensionParameter, TensionSource, TransitionFinished,
        TransitionStarted,
    };
}

/// A request that reaches the music more than this many seconds after the game made it is
/// late: it still takes effect at the next frame the plan has not reached, and a
/// [`RequestLate`] event says so. Three frames at 60 fps: a request is normally sent at the
/// end of the update it was made in.
pub const LATE_REQUEST_SECONDS: f64 = 0.05;

/// [`LeitmotifPlugin::device_period`]'s default: 2048 frames.
pub const DEFAULT_DEVICE_PERIOD: u32 = leitmotif_engine::device::DEFAULT_PERIOD_FRAMES;

/// Where the music is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reflect)]
pub enum Backend {
    /// The default audio device through kira (cpal), opened at startup; when there is none,
    /// one warning and [`Backend::Silent`].
    #[default]
    Auto,
    /// Deterministic and device-free: every `App::update` plans and renders a fixed number of
    /// frames (see [`LeitmotifPlugin::offline_frames_per_update`]). The clock starts with the
    /// first score, so frame 0 is where the music starts. For tests and offline tools; insert a
    /// [`MusicCapture`] to keep what it rendered.
    Offline,
    /// No device: a thread renders at the pace of a real-time clock into a scratch buffer, so
    /// the voices and the events behave as if the music were heard.
    Silent,
}

/// The plugin. Add it after `AssetPlugin` (or `DefaultPlugins`).
#[derive(Debug, Clone)]
pub struct LeitmotifPlugin {
    /// Output sample rate asked for (a device may impose its own; see [`Music::sample_rate`]).
    pub sample_rate: u32,
    /// How far the conductor plans ahead of the music clock, in frames (on a device, plus twice
    /// the largest step of the audio clock measured between planner wake-ups). Requests take
    /// effect this far after they are made; events are still delivered when they are heard.
    pub buffer: usize,
    /// Frames per period of the audio device (the size of each audio callback; the device
    /// buffers two). The default, 2048 (43 ms at 48 kHz; PulseAudio then reports 58 ms of
    /// buffer latency, about FMOD's default), rides out the 25–50 ms scheduling hiccups seen
    /// on a loaded 2-core machine, where the device's own period (PulseAudio: 21 ms buffered)
    /// dropped out; smaller answers sooner but risks dropouts. Kept within what the device
    /// supports; 0 leaves it to the device, and so does a device that refuses the size.
    pub device_period: u32,
    /// Master volume (linear gain).
    pub master_volume: f32,
    /// Where the music is rendered.
    pub backend: Backend,
    /// Frames rendered per `App::update` with [`Backend::Offline`]; 0 = `sample_rate / 60`.
    pub offline_frames_per_update: u32,
    /// Seed for everything random (stinger variations, generated bridges).
    pub seed: u64,
    /// Voices the mixer can play at once (1 to `leitmotif_engine::mixer::VOICES_LIMIT`;
    /// default `MAX_VOICES`, 256). A start beyond them is refused, counted in the snapshot's
    /// overloads and reported as a warning in the log (an `Overloaded` event from the engine).
    pub voices: usize,
    /// Measure each layer's level and the output's loudness on the audio side (read with
    /// [`MusicSnapshot::layer_levels`] and [`MusicSnapshot::short_term_lufs`]); costs a copy of
    /// every voice's output, so off by default. Bus levels are always measured.
    pub meters: bool,
}

impl Default for LeitmotifPlugin {
    fn default() -> Self {
        LeitmotifPlugin {
            sample_rate: 48_000,
            buffer: 512,
            device_period: DEFAULT_DEVICE_PERIOD,
            master_volume: 1.0,
            backend: Backend::Auto,
            offline_frames_per_update: 0,
            seed: 0,
            voices: leitmotif_engine::mixer::MAX_VOICES,
            meters: false,
        }
    }
}

/// The plugin's system sets, run in this order in `Update`: put systems that change the music
/// in (or before) `Input`, and systems that react to music events after `Events`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash, Reflect)]
pub enum LeitmotifSystems {
    /// Game state into music requests (the tension system runs here).
    Input,
    /// Loading, hot reload, requests resolved, the clock advanced and the plan made.
    Conduct,
    /// Events whose frame the clock reached are delivered.
    Events,
}

impl Plugin for LeitmotifPlugin {
    fn build(&self, app: &mut App) {
        let file_path = app
            .get_added_plugins::<AssetPlugin>()
            .first()
            .map(|p| p.file_path.clone());
        if file_path.is_none() {
            warn!(
                "leitmotif: add LeitmotifPlugin after AssetPlugin (or DefaultPlugins); assuming the asset folder is \"assets\""
            );
        }
        let root =
            FileAssetReader::get_base_path().join(file_path.unwrap_or_else(|| "assets".into()));
        let loader_rate = Arc::new(AtomicU32::new(self.sample_rate));
        let (tx, rx) = std::sync::mpsc::channel();
        let player = app
            .world_mut()
            .spawn((MusicPlayer, Name::new("Leitmotif music player")))
            .id();
        let backend = match self.backend {
            Backend::Offline => ActiveBackend::Offline,
            Backend::Silent => ActiveBackend::Silent,
            Backend::Auto => ActiveBackend::Device,
        };

        app.init_asset::<ScoreAsset>()
            .register_asset_loader(ScoreLoader {
                root,
                sample_rate: loader_rate.clone(),
            })
            .insert_resource(Music::new(tx, player, backend, self.sample_rate))
            .insert_resource(systems::Setup {
                plugin: self.clone(),
                loader_rate,
            })
            .insert_non_send(runner::MusicRunner::new(rx))
            .init_resource::<TensionParameter>()
            .register_type::<MusicListener>()
            .register_type::<TensionSource>()
            .register_type::<TensionParameter>()
            .register_type::<Backend>()
            .register_type::<ActiveBackend>()
            .register_type::<LeitmotifSystems>()
            .configure_sets(
                Update,
                (
                    LeitmotifSystems::Input,
                    LeitmotifSystems::Conduct,
                    LeitmotifSystems::Events,
                )
                    .chain(),
            )
            .add_systems(PreStartup, systems::open_output)
            .add_systems(
                Update,
                (spatial::tension_system, live::live_control).in_set(LeitmotifSystems::Input),
            )
            .add_systems(
                Update,
                (systems::conduct, systems::report_streams)
                    .chain()
                    .in_set(LeitmotifSystems::Conduct),
            )
            .add_systems(Update, systems::deliver.in_set(LeitmotifSystems::Events));
        events::register(app);
    }
}

/// Ties music to game states.
pub trait MusicAppExt {
    /// Requests `cue` whenever `state` is entered.
    fn music_state_cue<S: States>(&mut self, state: S, cue: impl Into<String>) -> &mut Self;
}

impl MusicAppExt for App {
    fn music_state_cue<S: States>(&mut self, state: S, cue: impl Into<String>) -> &mut Self {
        let cue = cue.into();
        self.add_systems(OnEnter(state), move |music: Res<Music>| {
            music.request_cue(&cue)
        })
    }
}
