//! Where the planner and the deck run, per backend — the plugin's private, `NonSend` side.
//!
//! * **Device**: the deck on kira's audio thread, the planner on its own thread, planning a
//!   lookahead (measured in audio time) ahead of the clock the deck publishes. A stalled game
//!   thread stalls neither.
//! * **Silent**: the same planner thread; the deck on a thread that renders at the pace of a
//!   real-time clock, as a device would.
//! * **Offline**: both inside `App::update`, a fixed number of frames per update.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::api::GameMsg;
use crate::events::{MusicPosition, Planned};
use crate::output::{Deck, DeckShared, LiveOutput};
use crate::planner::{FromPlanner, Planner, ToPlanner};

/// How often the planner thread wakes up.
const PLANNER_PERIOD: Duration = Duration::from_millis(2);
/// How often the silent clock's thread renders.
const SILENT_PERIOD: Duration = Duration::from_millis(5);

pub(crate) use leitmotif_engine::device::Lookahead;

/// Where things run (one value per app, so the size of the local variant does not matter).
#[allow(
    clippy::large_enum_variant,
    reason = "one per app; boxing would only add an indirection to every update"
)]
pub(crate) enum Mode {
    /// Not opened yet (the startup system opens it).
    Unopened,
    /// Planner and deck inside `App::update`.
    Local {
        planner: Planner,
        deck: Deck,
        step: u64,
        lookahead: u64,
    },
    /// The planner on its own thread (and, without a device, the deck too).
    Threaded {
        to_planner: Sender<ToPlanner>,
        from_planner: Receiver<FromPlanner>,
        /// Set by the game side once per update: the planner sends one snapshot for it.
        snapshot_wanted: Arc<AtomicBool>,
        threads: Vec<JoinHandle<()>>,
        stop: Arc<AtomicBool>,
        device: Option<LiveOutput>,
    },
}

/// The plugin's private side of the music (a `NonSend` resource: the device handle is not
/// `Send`).
pub(crate) struct MusicRunner {
    pub game: Receiver<GameMsg>,
    pub mode: Mode,
    pub deck: Option<Arc<DeckShared>>,
    /// Events waiting for the clock.
    pub queue: VecDeque<(MusicPosition, Planned)>,
}

impl MusicRunner {
    pub(crate) fn new(game: Receiver<GameMsg>) -> Self {
        MusicRunner {
            game,
            mode: Mode::Unopened,
            deck: None,
            queue: VecDeque::with_capacity(256),
        }
    }

    /// The next global frame the output will render.
    pub(crate) fn clock(&self) -> u64 {
        self.deck
            .as_ref()
            .map_or(0, |d| d.clock.load(Ordering::Acquire))
    }

    /// Starts the planner thread (and the silent clock's thread when `deck` is given).
    pub(crate) fn start_threads(
        &mut self,
        mut planner: Planner,
        lookahead: Lookahead,
        deck: Option<(Deck, u32)>,
        device: Option<LiveOutput>,
    ) {
        let (to_planner, planner_rx) = channel::<ToPlanner>();
        let (planner_tx, from_planner) = channel::<FromPlanner>();
        let stop = Arc::new(AtomicBool::new(false));
        let snapshot_wanted = Arc::new(AtomicBool::new(true));
        let mut threads = Vec::new();
        let (s, wanted) = (stop.clone(), snapshot_wanted.clone());
        let spawned = std::thread::Builder::new()
            .name("leitmotif-planner".into())
            .spawn(move || {
                let channels = (&planner_rx, &planner_tx);
                planner_loop(&mut planner, lookahead, channels, &wanted, &s)
            });
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => error!("leitmotif: cannot start the planner thread: {e}"),
        }
        if let Some((deck, rate)) = deck {
            let s = stop.clone();
            let spawned = std::thread::Builder::new()
                .name("leitmotif-silent-clock".into())
                .spawn(move || silent_loop(deck, rate, &s));
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => error!("leitmotif: cannot start the silent clock: {e}"),
            }
        }
        self.mode = Mode::Threaded {
            to_planner,
            from_planner,
            snapshot_wanted,
            threads,
            stop,
            device,
        };
    }
}

impl Drop for MusicRunner {
    fn drop(&mut self) {
        if let Mode::Threaded {
            to_planner,
            threads,
            stop,
            device,
            ..
        } = &mut self.mode
        {
            // The sound stops first: the planner keeps the stretch workers' horizon moving
            // until the device no longer plays.
            drop(device.take());
            stop.store(true, Ordering::Relaxed);
            let _ = to_planner.send(ToPlanner::Quit);
            for t in threads.drain(..) {
                let _ = t.join();
            }
        }
    }
}

/// The planner thread: takes the game's messages, plans ahead of the clock, sends events back.
fn planner_loop(
    planner: &mut Planner,
    mut lookahead: Lookahead,
    (rx, tx): (&Receiver<ToPlanner>, &Sender<FromPlanner>),
    snapshot_wanted: &AtomicBool,
    stop: &AtomicBool,
) {
    let mut last_clock = planner.clock();
    let mut send = |m: FromPlanner| {
        let _ = tx.send(m);
    };
    while !stop.load(Ordering::Relaxed) {
        loop {
            match rx.try_recv() {
                Ok(ToPlanner::Quit) | Err(TryRecvError::Disconnected) => return,
                Ok(msg) => planner.receive(msg, &mut send),
                Err(TryRecvError::Empty) => break,
            }
        }
        let clock = planner.clock();
        let ahead = lookahead.observe(clock.saturating_sub(last_clock));
        last_clock = clock;
        if planner.is_playing() {
            // One snapshot per game update, not per wake-up.
            let snapshot = snapshot_wanted.swap(false, Ordering::AcqRel);
            planner.plan(clock + ahead, snapshot, &mut send);
        }
        std::thread::sleep(PLANNER_PERIOD);
    }
}

/// The silent clock: renders the deck at the pace of real time, like a device would.
fn silent_loop(mut deck: Deck, rate: u32, stop: &AtomicBool) {
    let started = Instant::now();
    let mut rendered = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        // After a long stall of this thread, skip ahead rather than render a burst.
        let step = due.saturating_sub(rendered).min(rate as u64 / 4);
        deck.render_silently(step);
        rendered = rendered.max(due.saturating_sub(rate as u64 / 4)) + step;
        std::thread::sleep(SILENT_PERIOD);
    }
}
