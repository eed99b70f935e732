//! The plugin's systems: open the output at startup, conduct in `Update` (scores in, requests
//! forwarded, the offline backend planned and rendered, the snapshot refreshed), and deliver
//! the events whose frame the clock has reached.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bevy::asset::{AssetLoadError, AssetLoadFailedEvent};
use bevy::prelude::*;

use crate::api::{ActiveBackend, GameMsg, Music};
use crate::asset::{ScoreAsset, ScoreLoadError};
use crate::capture::MusicCapture;
use crate::events::{MusicPosition, Planned};
use crate::output;
use crate::planner::{Command, FromPlanner, Planner, ToPlanner};
use crate::runner::{Lookahead, Mode, MusicRunner};
use crate::{Backend, LeitmotifPlugin};

/// The plugin's settings and the sample rate its loader resamples stems to.
#[derive(Resource)]
pub(crate) struct Setup {
    pub plugin: LeitmotifPlugin,
    pub loader_rate: Arc<AtomicU32>,
}

/// Opens the audio output (`PreStartup`, before any score loads): the device for
/// [`Backend::Auto`] with the silent clock as fallback, or what was asked for.
pub(crate) fn open_output(
    setup: Res<Setup>,
    mut music: ResMut<Music>,
    mut runner: NonSendMut<MusicRunner>,
) {
    let p = &setup.plugin;
    let (deck, control) = output::deck(p.master_volume);
    runner.deck = Some(control.shared.clone());
    let planner = |control, rate, remote| {
        let mut planner = Planner::new(control, rate, p.buffer as u64, remote, p.seed);
        planner.set_voices(p.voices);
        planner.set_meters(p.meters);
        planner
    };
    match p.backend {
        Backend::Offline => {
            let step = match p.offline_frames_per_update {
                0 => (p.sample_rate / 60).max(1) as u64,
                n => n as u64,
            };
            runner.mode = Mode::Local {
                planner: planner(control, p.sample_rate, false),
                deck,
                step,
                lookahead: p.buffer as u64,
            };
            music.backend = ActiveBackend::Offline;
            music.sample_rate = p.sample_rate;
        }
        Backend::Silent => {
            let lookahead = Lookahead::new(p.buffer as u64, p.sample_rate);
            let pl = planner(control, p.sample_rate, true);
            runner.start_threads(pl, lookahead, Some((deck, p.sample_rate)), None);
            music.backend = ActiveBackend::Silent;
            music.sample_rate = p.sample_rate;
        }
        Backend::Auto => match output::open_device(deck, p.sample_rate, p.device_period) {
            Ok((live, rate)) => {
                let pl = planner(control, rate, true);
                runner.start_threads(pl, Lookahead::new(p.buffer as u64, rate), None, Some(live));
                music.backend = ActiveBackend::Device;
                music.sample_rate = rate;
            }
            Err(reason) => {
                warn!(
                    "leitmotif: no audio output ({reason}); the music runs silently on a virtual clock and its events still fire"
                );
                let (deck, control) = output::deck(p.master_volume);
                runner.deck = Some(control.shared.clone());
                let lookahead = Lookahead::new(p.buffer as u64, p.sample_rate);
                let pl = planner(control, p.sample_rate, true);
                runner.start_threads(pl, lookahead, Some((deck, p.sample_rate)), None);
                music.backend = ActiveBackend::Silent;
                music.device_error = Some(reason);
                music.sample_rate = p.sample_rate;
            }
        },
    }
    setup
        .loader_rate
        .store(music.sample_rate, Ordering::Relaxed);
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

/// Loads scores, forwards requests, runs the offline backend, refreshes the snapshot.
pub(crate) fn conduct(
    mut music: ResMut<Music>,
    mut runner: NonSendMut<MusicRunner>,
    assets: Res<Assets<ScoreAsset>>,
    mut asset_events: MessageReader<AssetEvent<ScoreAsset>>,
    mut failures: MessageReader<AssetLoadFailedEvent<ScoreAsset>>,
    mut capture: Option<ResMut<MusicCapture>>,
    mut installed: Local<Option<AssetId<ScoreAsset>>>,
) {
    let music = &mut *music;
    let runner = &mut *runner;
    let clock = runner.clock();
    // The clock runs in real time on a device or the silent clock: a request made a while
    // ago was made at an earlier frame (the planner reports it when it comes late).
    let real_time = matches!(runner.mode, Mode::Threaded { .. });
    let now = std::time::Instant::now();
    let mut to_planner: Vec<ToPlanner> = Vec::new();
    while let Ok(msg) = runner.game.try_recv() {
        match msg {
            GameMsg::Play(handle) => music.handle = Some(handle),
            GameMsg::Command(c, made) => {
                if let Command::Parameter(name, v) = &c {
                    music.parameters.insert(name.clone(), *v);
                }
                let ago = if real_time {
                    (now.saturating_duration_since(made).as_secs_f64()
                        * f64::from(music.sample_rate)) as u64
                } else {
                    0
                };
                to_planner.push(ToPlanner::Command(c, clock.saturating_sub(ago)));
            }
        }
    }
    let id = music.handle.as_ref().map(Handle::id);
    for failure in failures.read() {
        if Some(failure.id) == id {
            let text = describe(&failure.error);
            if music.snapshot.score.is_some() {
                error!("leitmotif: {text} (the music keeps playing the previous version)");
            } else {
                error!("leitmotif: {text}");
            }
            music.last_error = Some(text);
        }
    }
    let reload = asset_events
        .read()
        .any(|e| matches!(e, AssetEvent::Modified { id: changed } if Some(*changed) == id));
    if let Some(id) = id
        && (*installed != Some(id) || reload)
        && let Some(asset) = assets.get(id)
    {
        *installed = Some(id);
        music.last_error = None;
        // Install first, so requests made in the same update reach the new score.
        to_planner.insert(0, ToPlanner::Install(asset.clone()));
    }
    let mut rendered = capture.is_some().then(Vec::new);
    let mut absorb = |m: FromPlanner, queue: &mut std::collections::VecDeque<_>| match m {
        FromPlanner::Event(p, e) => queue.push_back((p, e)),
        FromPlanner::Snapshot(s) => music.snapshot = *s,
        FromPlanner::Input(session, input) => {
            if let Some(c) = capture.as_mut() {
                c.inputs.push((session, input));
            }
        }
    };
    match &mut runner.mode {
        Mode::Unopened => {}
        Mode::Local {
            planner,
            deck,
            step,
            lookahead,
        } => {
            let mut out = Vec::new();
            for msg in to_planner {
                planner.receive(msg, &mut |m| out.push(m));
            }
            // Offline, the clock waits for the first score: frame 0 is where the music starts.
            if planner.is_playing() {
                let clock = planner.clock();
                planner.plan(clock + *step + *lookahead, true, &mut |m| out.push(m));
                match rendered.as_mut() {
                    Some(frames) => deck.render_into(*step, frames),
                    None => deck.render_silently(*step),
                }
            }
            for m in out {
                absorb(m, &mut runner.queue);
            }
        }
        Mode::Threaded {
            to_planner: tx,
            from_planner,
            snapshot_wanted,
            ..
        } => {
            snapshot_wanted.store(true, Ordering::Release);
            for msg in to_planner {
                let _ = tx.send(msg);
            }
            while let Ok(m) = from_planner.try_recv() {
                absorb(m, &mut runner.queue);
            }
        }
    }
    if let (Some(c), Some(frames)) = (capture.as_mut(), rendered) {
        c.frames.extend_from_slice(&frames);
    }
    music.clock = runner.clock();
}

/// Says, as a log line, when streamed stems ran dry (the disk was behind: silence was played
/// and the music stayed on the grid), once per new occurrence. Files that broke while
/// streaming are said by the planner, with the file ([`StemUnreadable`](crate::StemUnreadable)).
pub(crate) fn report_streams(music: Res<Music>, mut reported: Local<u64>) {
    let o = music.snapshot.overloads();
    if o.underruns > *reported {
        warn!(
            "leitmotif: streamed stems ran dry {} time(s) ({} frames of silence so far): the disk is behind",
            o.underruns - *reported,
            o.underrun_frames
        );
    }
    *reported = o.underruns;
}

/// Delivers the events whose frame the music clock has reached.
pub(crate) fn deliver(world: &mut World, mut ready: Local<Vec<(MusicPosition, Planned)>>) {
    let Some(player) = world.get_resource::<Music>().map(|m| m.player) else {
        return;
    };
    {
        let Some(mut runner) = world.get_non_send_mut::<MusicRunner>() else {
            return;
        };
        let clock = runner.clock();
        while runner.queue.front().is_some_and(|(p, _)| p.frame <= clock) {
            ready.extend(runner.queue.pop_front());
        }
    }
    for (position, planned) in ready.drain(..) {
        planned.deliver(world, player, position);
    }
}
