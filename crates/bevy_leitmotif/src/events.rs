//! Music out: what the music did, delivered when it is heard.
//!
//! Every event is both a [`Message`] (read it with `MessageReader<Beat>`) and an
//! [`EntityEvent`] targeting the [`MusicPlayer`] entity (observe it globally with
//! `app.add_observer(|beat: On<Beat>| …)` or on the player entity). Both are delivered in the
//! `Update` in which the music clock reaches the event's frame, in the
//! [`LeitmotifSystems::Events`](crate::LeitmotifSystems::Events) set.

use bevy::prelude::*;

/// Where an event happens in the music.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Reflect)]
pub struct MusicPosition {
    /// 1-based bar, counted since the current score started playing (a hot reload restarts
    /// the count at 1).
    pub bar: u32,
    /// 1-based beat within the bar.
    pub beat: u32,
    /// Bar within the current cue's loop body (or bridge), 1-based.
    pub cue_bar: u32,
    /// Music clock frame at which it sounds (frames since the plugin started, at the output
    /// sample rate).
    pub frame: u64,
}

/// The entity music events target. The plugin spawns one; observe it with
/// `commands.entity(player).observe(…)`, or observe globally.
#[derive(Component, Debug, Clone, Copy, Default, Reflect)]
#[reflect(Component)]
pub struct MusicPlayer;

macro_rules! music_event {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Message, EntityEvent, Debug, Clone, PartialEq, Reflect)]
        pub struct $name {
            /// The [`MusicPlayer`] entity.
            #[event_target]
            pub player: Entity,
            /// Where it happened.
            pub position: MusicPosition,
            $($(#[$fdoc])* pub $field: $ty,)*
        }
    };
}

music_event!(
    /// A beat sounded.
    Beat {}
);
music_event!(
    /// A bar line sounded.
    Bar {}
);
music_event!(
    /// A named marker of the playing cue was reached.
    Marker {
        /// The cue holding the marker.
        cue: String,
        /// The marker's name.
        name: String,
    }
);
music_event!(
    /// A cue reached its bar 1.
    CueStarted {
        /// The cue's name.
        cue: String,
    }
);
music_event!(
    /// A transition left `from` towards `to`.
    TransitionStarted {
        /// Outgoing cue.
        from: String,
        /// Incoming cue.
        to: String,
    }
);
music_event!(
    /// A transition's fades and bridge are over.
    TransitionFinished {
        /// Outgoing cue.
        from: String,
        /// Incoming cue.
        to: String,
    }
);
music_event!(
    /// A stinger sounded.
    StingerPlayed {
        /// The stinger's name.
        stinger: String,
        /// Index of the variation chosen.
        variation: u16,
    }
);

music_event!(
    /// The music's tempo changes here (a tempo cue took effect): to `bpm`, at once
    /// (`ramp_beats` 0) or ramping over `ramp_beats` beats.
    TempoChanged {
        /// The new tempo.
        bpm: f64,
        /// Beats of the ramp.
        ramp_beats: u32,
    }
);

music_event!(
    /// The music was stopped ([`Music::stop`](crate::Music::stop)): it is fading out from
    /// here, and nothing plays until a cue is requested again.
    MusicStopped {}
);

music_event!(
    /// A request reached the music late: more than
    /// [`LATE_REQUEST_SECONDS`](crate::LATE_REQUEST_SECONDS) after the game made it (the game
    /// stalled between the call and the end of its update, or the planner was held up). It
    /// took effect here, at the next frame the plan had not reached, `late_seconds` later than
    /// it would have. Only on a device or the silent clock (the offline clock is not real time).
    RequestLate {
        /// The request in words: `cue "chase"`, `stinger "hit"`, `parameter "tension" = 0.8`, …
        request: String,
        /// Music clock frame at which the game made it.
        asked_frame: u64,
        /// How long it took to reach the music, in seconds.
        late_seconds: f64,
    }
);

music_event!(
    /// A streamed stem could not be read to its end: the file was deleted, became unreadable
    /// or was truncated while it played (or since the score loaded). The voice plays silence
    /// for what is missing and the music stays on the grid; `position` is where the music was
    /// when the planner learned of it. Also logged as an error.
    StemUnreadable {
        /// The file.
        path: String,
        /// How far into the stem (seconds) reading stopped.
        stem_seconds: f64,
        /// The decoder's or the system's reason.
        reason: String,
    }
);

/// A planned event waiting for the clock, with names resolved (`RequestLate`: the request,
/// the frame it was made at, how late it came in seconds).
#[derive(Debug, Clone)]
pub(crate) enum Planned {
    Beat,
    Bar,
    Marker { cue: String, name: String },
    CueStarted { cue: String },
    TransitionStarted { from: String, to: String },
    TransitionFinished { from: String, to: String },
    Stinger { stinger: String, variation: u16 },
    TempoChanged { bpm: f64, ramp_beats: u32 },
    Stopped,
    RequestLate(String, u64, f64),
    StemUnreadable(leitmotif_engine::StreamFault),
}

impl Planned {
    /// Writes the message and triggers the event.
    pub(crate) fn deliver(self, world: &mut World, player: Entity, position: MusicPosition) {
        macro_rules! both {
            ($e:expr) => {{
                let e = $e;
                world.write_message(e.clone());
                world.trigger(e);
            }};
        }
        match self {
            Planned::Beat => both!(Beat { player, position }),
            Planned::Bar => both!(Bar { player, position }),
            Planned::Marker { cue, name } => both!(Marker {
                player,
                position,
                cue,
                name
            }),
            Planned::CueStarted { cue } => both!(CueStarted {
                player,
                position,
                cue
            }),
            Planned::TransitionStarted { from, to } => both!(TransitionStarted {
                player,
                position,
                from,
                to
            }),
            Planned::TransitionFinished { from, to } => both!(TransitionFinished {
                player,
                position,
                from,
                to
            }),
            Planned::Stinger { stinger, variation } => both!(StingerPlayed {
                player,
                position,
                stinger,
                variation
            }),
            Planned::TempoChanged { bpm, ramp_beats } => both!(TempoChanged {
                player,
                position,
                bpm,
                ramp_beats
            }),
            Planned::Stopped => both!(MusicStopped { player, position }),
            Planned::RequestLate(request, asked_frame, late_seconds) => both!(RequestLate {
                player,
                position,
                request,
                asked_frame,
                late_seconds
            }),
            Planned::StemUnreadable(f) => both!(StemUnreadable {
                player,
                position,
                path: f.path.display().to_string(),
                stem_seconds: f.frame as f64 / f64::from(f.rate.max(1)),
                reason: f.reason,
            }),
        }
    }
}

/// Registers the messages and reflection of this module.
pub(crate) fn register(app: &mut App) {
    app.add_message::<Beat>()
        .add_message::<Bar>()
        .add_message::<Marker>()
        .add_message::<CueStarted>()
        .add_message::<TransitionStarted>()
        .add_message::<TransitionFinished>()
        .add_message::<StingerPlayed>()
        .add_message::<TempoChanged>()
        .add_message::<MusicStopped>()
        .add_message::<RequestLate>()
        .add_message::<StemUnreadable>()
        .register_type::<MusicPosition>()
        .register_type::<MusicPlayer>()
        .register_type::<Beat>()
        .register_type::<Bar>()
        .register_type::<Marker>()
        .register_type::<CueStarted>()
        .register_type::<TransitionStarted>()
        .register_type::<TransitionFinished>()
        .register_type::<StingerPlayed>()
        .register_type::<TempoChanged>()
        .register_type::<MusicStopped>()
        .register_type::<RequestLate>()
        .register_type::<StemUnreadable>();
}
