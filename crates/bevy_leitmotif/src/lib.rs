//! Bevy plugin for Leitmotif adaptive music.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_leitmotif::prelude::*;
//!
//! fn setup(server: Res<AssetServer>, mut music: ResMut<Music>) {
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
//! * **State in**: [`Music`]'s methods set parameters, request cues, trigger stingers, duck
//!   under dialogue; [`MusicAppExt::music_state_cue`] ties a cue to a game state;
//!   [`TensionSource`]s near the [`MusicListener`] drive a parameter.
//! * **Music out**: [`Beat`], [`Bar`], [`Marker`], [`CueStarted`], [`TransitionStarted`],
//!   [`TransitionFinished`] and [`StingerPlayed`] are both messages and observable events,
//!   delivered in the update in which the music clock reaches them.

mod asset;
mod events;
mod music;
mod output;
mod spatial;

use bevy::asset::AssetApp;
use bevy::asset::io::file::FileAssetReader;
use bevy::prelude::*;
use bevy::state::state::{OnEnter, States};

pub use asset::{ScoreAsset, ScoreLoadError, ScoreLoader};
pub use events::{
    Bar, Beat, CueStarted, Marker, MusicPlayer, MusicPosition, StingerPlayed, TransitionFinished,
    TransitionStarted,
};
pub use leitmotif_core::score::Sync as SyncPoint;
pub use music::{ActiveBackend, Music, SessionRef};
pub use spatial::{MusicListener, TensionParameter, TensionSource, falloff};

/// Everything a game needs: `use bevy_leitmotif::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ActiveBackend, Backend, Bar, Beat, CueStarted, LeitmotifPlugin, LeitmotifSystems, Marker,
        Music, MusicAppExt, MusicListener, MusicPlayer, MusicPosition, ScoreAsset, StingerPlayed,
        TensionParameter, TensionSource, TransitionFinished, TransitionStarted,
    };
}

/// Where the music is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reflect)]
pub enum Backend {
    /// The default audio device through kira (cpal); when there is none, one warning and
    /// [`Backend::Silent`].
    #[default]
    Auto,
    /// Deterministic and device-free: every `App::update` renders a fixed number of frames
    /// (see [`LeitmotifPlugin::offline_frames_per_update`]) into a scratch buffer. The clock
    /// starts with the first score, so frame 0 is where the music starts. For tests and
    /// offline tools.
    Offline,
    /// No device: a virtual clock advancing with `Time` renders into a scratch buffer, so the
    /// voices and the events behave as if the music were heard.
    Silent,
}

/// The plugin. Add it after `AssetPlugin` (or `DefaultPlugins`).
#[derive(Debug, Clone)]
pub struct LeitmotifPlugin {
    /// Output sample rate asked for (a device may impose its own; see [`Music::sample_rate`]).
    pub sample_rate: u32,
    /// How far the conductor plans ahead of the music clock, in frames. Requests take effect
    /// this far after they are made; events are still delivered when they are heard.
    pub buffer: usize,
    /// Master volume (linear gain).
    pub master_volume: f32,
    /// Where the music is rendered.
    pub backend: Backend,
    /// Frames rendered per `App::update` with [`Backend::Offline`]; 0 = `sample_rate / 60`.
    pub offline_frames_per_update: u32,
    /// Seed for everything random (stinger variations, generated bridges).
    pub seed: u64,
}

impl Default for LeitmotifPlugin {
    fn default() -> Self {
        LeitmotifPlugin {
            sample_rate: 48_000,
            buffer: 512,
            master_volume: 1.0,
            backend: Backend::Auto,
            offline_frames_per_update: 0,
            seed: 0,
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

        let (deck, control) = output::deck(self.master_volume);
        let mut device_error = None;
        let (backend, local, control, sample_rate) = match self.backend {
            Backend::Offline => (
                ActiveBackend::Offline,
                Some(deck),
                control,
                self.sample_rate,
            ),
            Backend::Silent => (ActiveBackend::Silent, Some(deck), control, self.sample_rate),
            Backend::Auto => match output::open_device(deck, self.sample_rate) {
                Ok((live, rate)) => {
                    app.insert_non_send(live);
                    (ActiveBackend::Device, None, control, rate)
                }
                Err(reason) => {
                    warn!(
                        "leitmotif: no audio output ({reason}); the music runs silently on a virtual clock and its events still fire"
                    );
                    device_error = Some(reason);
                    let (deck, control) = output::deck(self.master_volume);
                    (ActiveBackend::Silent, Some(deck), control, self.sample_rate)
                }
            },
        };
        let offline_step = match self.offline_frames_per_update {
            0 => (sample_rate / 60).max(1) as u64,
            n => n as u64,
        };
        let setup = music::EngineSetup {
            backend,
            control,
            local,
            sample_rate,
            lookahead: self.buffer as u64,
            offline_step,
            seed: self.seed,
        };
        let player = app
            .world_mut()
            .spawn((MusicPlayer, Name::new("Leitmotif music player")))
            .id();

        app.init_asset::<ScoreAsset>()
            .register_asset_loader(ScoreLoader { root, sample_rate })
            .insert_resource(music::Music::new(setup, player, device_error))
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
            .add_systems(
                Update,
                spatial::tension_system.in_set(LeitmotifSystems::Input),
            )
            .add_systems(Update, music::conduct.in_set(LeitmotifSystems::Conduct))
            .add_systems(Update, music::deliver.in_set(LeitmotifSystems::Events));
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
        self.add_systems(OnEnter(state), move |mut music: ResMut<Music>| {
            music.request_cue(&cue)
        })
    }
}
