//! Live control in a game: OSC and MIDI input ([`leitmotif_control`]) mapped to parameters,
//! cues, stingers and tempo cues. Insert a [`LiveControl`] resource to enable it.
//!
//! The listeners pass their actions straight to the planner thread (with a device or the
//! silent clock), not through the game's `Update`: a message is taken on the planner's next
//! wake-up (every 2 ms) and lands on the first control block it has not planned yet. With the
//! offline backend there is no planner thread, so actions wait for the next `App::update`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use leitmotif_control::{Action, ControlMap, Mapper, MidiListener, OscListener, Sink, Stats};
use leitmotif_core::Score;

use crate::api::{GameMsg, Music};
use crate::planner::{Command, ToPlanner};
use crate::runner::{Mode, MusicRunner};

/// Live control from outside the game: OSC on a UDP port and/or a MIDI input port, mapped by
/// a [`ControlMap`] (see `docs/live-control.md`). Insert it as a resource:
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy_leitmotif::prelude::*;
/// # let mut app = App::new();
/// let map = bevy_leitmotif::control::ControlMap::load("assets/live.control.ron".as_ref()).unwrap();
/// app.insert_resource(LiveControl::osc(9000).with_midi("0").with_map(map));
/// ```
///
/// The listeners start when the first score plays; the mapping is checked against every
/// score that starts playing (an error is logged and kept in [`error`](Self::error), and the
/// previous mapping stays in use).
#[derive(Resource)]
pub struct LiveControl {
    osc: Option<SocketAddr>,
    midi: Option<String>,
    map: ControlMap,
    /// The score the mapping was last checked against.
    checked: Option<Arc<Score>>,
    listening: Option<OscListener>,
    // `midir`'s connection is `Send` but not `Sync`; only this system touches it.
    midi_listening: Option<Mutex<MidiListener>>,
    error: Option<String>,
}

impl LiveControl {
    /// OSC on UDP `port` (all interfaces; 0 picks a free port, see [`osc_addr`](Self::osc_addr)).
    pub fn osc(port: u16) -> Self {
        LiveControl::none().with_osc(port)
    }

    /// MIDI from an input port: its number, a part of its name, or `virtual[:NAME]`.
    pub fn midi(port: impl Into<String>) -> Self {
        LiveControl::none().with_midi(port)
    }

    fn none() -> Self {
        LiveControl {
            osc: None,
            midi: None,
            map: ControlMap::default(),
            checked: None,
            listening: None,
            midi_listening: None,
            error: None,
        }
    }

    /// Also OSC on UDP `port`, all interfaces.
    pub fn with_osc(self, port: u16) -> Self {
        self.with_osc_addr(SocketAddr::from(([0, 0, 0, 0], port)))
    }

    /// Also OSC on a given address (e.g. `127.0.0.1:9000` for this machine only).
    pub fn with_osc_addr(mut self, addr: SocketAddr) -> Self {
        self.osc = Some(addr);
        self
    }

    /// Also MIDI from an input port.
    pub fn with_midi(mut self, port: impl Into<String>) -> Self {
        self.midi = Some(port.into());
        self
    }

    /// The mapping (default: no bindings, the built-in OSC addresses only).
    pub fn with_map(mut self, map: ControlMap) -> Self {
        self.map = map;
        self
    }

    /// The address OSC is received on, once listening.
    pub fn osc_addr(&self) -> Option<SocketAddr> {
        self.listening.as_ref().map(OscListener::local_addr)
    }

    /// What OSC brought so far (received, applied, refused and why).
    pub fn osc_stats(&self) -> Stats {
        self.listening
            .as_ref()
            .map(OscListener::stats)
            .unwrap_or_default()
    }

    /// What MIDI brought so far.
    pub fn midi_stats(&self) -> Stats {
        self.midi_listening
            .as_ref()
            .and_then(|m| m.lock().ok().map(|m| m.stats()))
            .unwrap_or_default()
    }

    /// The last problem: a mapping that does not fit the score, a port that would not open.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn fail(&mut self, text: String) {
        error!("leitmotif: live control: {text}");
        self.error = Some(text);
    }
}

/// A request for the planner.
fn command(a: Action) -> Command {
    match a {
        Action::Parameter { name, value } => Command::Parameter(name.to_string(), value),
        Action::Cue(name) => Command::Cue(name.to_string()),
        Action::Stinger(name) => Command::Stinger(name.to_string()),
        Action::Tempo {
            bpm,
            ramp_beats,
            sync,
        } => Command::Tempo(bpm, ramp_beats, sync),
    }
}

/// Where the listeners send their actions: the planner thread directly, with the music clock
/// at arrival; offline, the game's channel (taken in the next update).
fn sink(music: &Music, runner: &MusicRunner) -> Option<Sink> {
    match &runner.mode {
        Mode::Unopened => None,
        Mode::Threaded { to_planner, .. } => {
            let (tx, deck) = (to_planner.clone(), runner.deck.clone()?);
            Some(Box::new(move |a| {
                let clock = deck.clock.load(std::sync::atomic::Ordering::Acquire);
                let _ = tx.send(ToPlanner::Command(command(a), clock));
            }))
        }
        Mode::Local { .. } => {
            let tx = music.sender();
            Some(Box::new(move |a| {
                let _ = tx.send(GameMsg::Command(command(a), std::time::Instant::now()));
            }))
        }
    }
}

/// Starts the listeners with the first score, and checks the mapping against every score
/// that starts playing.
pub(crate) fn live_control(
    live: Option<ResMut<LiveControl>>,
    music: Res<Music>,
    runner: NonSend<MusicRunner>,
) {
    let Some(mut live) = live else {
        return;
    };
    let Some(score) = music.score() else {
        return;
    };
    if live.checked.as_ref().is_some_and(|s| Arc::ptr_eq(s, score)) {
        return;
    }
    live.checked = Some(score.clone());
    let mapper = match Mapper::new(&live.map, score) {
        Ok(m) => m,
        Err(e) => return live.fail(e.to_string()),
    };
    if live.listening.is_some() || live.midi_listening.is_some() {
        if let Some(l) = &live.listening {
            l.set_mapper(mapper.clone());
        }
        if let Some(m) = live.midi_listening.as_ref().and_then(|m| m.lock().ok()) {
            m.set_mapper(mapper);
        }
        return;
    }
    if let Some(addr) = live.osc {
        let Some(sink) = sink(&music, &runner) else {
            live.checked = None; // the output is not open yet: try again next update
            return;
        };
        match OscListener::bind(addr, Some(mapper.clone()), sink) {
            Ok(l) => {
                info!("leitmotif: live control: OSC on udp {}", l.local_addr());
                live.listening = Some(l);
            }
            Err(e) => live.fail(format!("cannot listen for OSC on udp {addr}: {e}")),
        }
    }
    if let Some(port) = live.midi.clone()
        && let Some(sink) = sink(&music, &runner)
    {
        match MidiListener::connect(&port, Some(mapper), sink) {
            Ok(m) => {
                info!("leitmotif: live control: MIDI from \"{}\"", m.port());
                live.midi_listening = Some(Mutex::new(m));
            }
            Err(e) => live.fail(e.to_string()),
        }
    }
}
