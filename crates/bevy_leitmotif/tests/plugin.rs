//! Plugin tests: a real `App` with `MinimalPlugins`, the asset server reading a score written
//! to a temporary folder, and the deterministic offline backend (one test uses `Auto`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_leitmotif::prelude::*;
use leitmotif_core::conductor::SourceRef;
use leitmotif_engine::wav;

const SR: u32 = 48_000;
/// Frames per update with the offline backend (48 000 / 60).
const STEP: u64 = 800;
/// One bar at 120 bpm in 4/4.
const BAR: u64 = 96_000;

/// The test score: `explore` (a WAV pad and a drums layer over tension) and `combat`.
fn score_src(name: &str) -> String {
    format!(
        r#"Score(
    name: "{name}",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [
        (name: "tension", min: 0.0, max: 1.0, default: 0.0, seek_speed: 0.5),
    ],
    initial_cue: "explore",
    cues: [
        (
            name: "explore",
            bars: 4,
            markers: [(name: "exit", bar: 3)],
            layers: [
                (name: "pad", source: File("pad.wav")),
                (name: "drums", source: Silence,
                 gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
            ],
        ),
        (
            name: "combat",
            bars: 2,
            layers: [(name: "hits", source: Silence)],
        ),
    ],
    transitions: [(from: "*", to: "*", sync: NextBar)],
    stingers: [(name: "hit", variations: [(source: Silence, beats: 1)])],
)
"#
    )
}

/// A fresh folder holding the score and its 4-bar WAV pad.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bevy-leitmotif-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pad: Vec<[f32; 2]> = (0..4 * BAR as usize)
        .map(|i| [0.1 * (i as f32 * 0.05).sin(); 2])
        .collect();
    wav::write_wav(
        &dir.join("pad.wav"),
        &pad,
        SR,
        wav::WavFormat::Float32,
        None,
    )
    .unwrap();
    std::fs::write(dir.join("test.score.ron"), score_src("Test")).unwrap();
    dir
}

/// What the test systems saw: (position, music clock when delivered).
#[derive(Resource, Default)]
struct Seen {
    beats: Vec<(MusicPosition, u64)>,
    bars: Vec<(MusicPosition, u64)>,
    cues: Vec<(String, MusicPosition, u64)>,
    transitions: Vec<(String, String, MusicPosition)>,
    markers: Vec<(String, MusicPosition)>,
    stingers: Vec<(String, MusicPosition)>,
    observed_cues: Vec<String>,
    observed_bars_on_player: Vec<u32>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a Bevy system reading every music message"
)]
fn record(
    music: Res<Music>,
    mut seen: ResMut<Seen>,
    mut beats: MessageReader<Beat>,
    mut bars: MessageReader<Bar>,
    mut cues: MessageReader<CueStarted>,
    mut transitions: MessageReader<TransitionStarted>,
    mut markers: MessageReader<Marker>,
    mut stingers: MessageReader<StingerPlayed>,
) {
    let clock = music.clock();
    seen.beats.extend(beats.read().map(|b| (b.position, clock)));
    seen.bars.extend(bars.read().map(|b| (b.position, clock)));
    seen.cues
        .extend(cues.read().map(|c| (c.cue.clone(), c.position, clock)));
    seen.transitions.extend(
        transitions
            .read()
            .map(|t| (t.from.clone(), t.to.clone(), t.position)),
    );
    seen.markers
        .extend(markers.read().map(|m| (m.name.clone(), m.position)));
    seen.stingers
        .extend(stingers.read().map(|s| (s.stinger.clone(), s.position)));
}

/// The one app builder: `MinimalPlugins`, an asset folder at `dir`, the plugin with `backend`,
/// recording systems and observers, and `test.score.ron` playing.
fn prepare_app(dir: &Path, backend: Backend) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        StatesPlugin,
        AssetPlugin {
            file_path: dir.to_string_lossy().into_owned(),
            ..default()
        },
        LeitmotifPlugin {
            backend,
            ..default()
        },
    ))
    .init_resource::<Seen>()
    .add_systems(Update, record.after(LeitmotifSystems::Events))
    .add_observer(|cue: On<CueStarted>, mut seen: ResMut<Seen>| {
        seen.observed_cues.push(cue.cue.clone())
    });
    let player = app.world().resource::<Music>().player();
    app.world_mut()
        .entity_mut(player)
        .observe(|bar: On<Bar>, mut seen: ResMut<Seen>| {
            seen.observed_bars_on_player.push(bar.position.bar)
        });
    let handle = app
        .world()
        .resource::<AssetServer>()
        .load::<ScoreAsset>("test.score.ron");
    app.world_mut().resource_mut::<Music>().play(handle);
    app
}

/// Updates (letting the asset server's threads work) until `done`, or panics after `secs`.
fn update_until(app: &mut App, secs: u64, what: &str, mut done: impl FnMut(&mut App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.update();
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The clock after the first offline update whose rendering reaches `frame` (the clock
/// starts with the music and each update renders `STEP` frames).
fn first_clock_reaching(frame: u64) -> u64 {
    frame.div_ceil(STEP).max(1) * STEP
}

fn music(app: &App) -> &Music {
    app.world().resource::<Music>()
}

fn start_playing(app: &mut App) {
    update_until(app, 60, "the score to load", |app| music(app).is_playing());
}

fn drums_gain(app: &App) -> Option<f32> {
    music(app)
        .snapshot()
        .voice_gains
        .iter()
        .find(|(s, _)| *s == SourceRef::Layer { cue: 0, layer: 1 })
        .map(|&(_, g)| g)
}

#[test]
fn raising_a_parameter_moves_a_layer_along_its_curve_at_the_seek_speed() {
    let dir = temp_dir("param");
    let mut app = prepare_app(&dir, Backend::Offline);
    start_playing(&mut app);
    assert_eq!(music(&app).backend(), ActiveBackend::Offline);
    app.update();
    assert!(
        drums_gain(&app).expect("drums voice") < 1e-3,
        "tension starts at 0"
    );

    app.world_mut()
        .resource_mut::<Music>()
        .set_parameter("tension", 1.0);
    let mut samples = Vec::new(); // (planned frame, heard tension, drums gain)
    for _ in 0..180 {
        app.update();
        let (now, heard) = {
            let snap = music(&app).snapshot();
            (snap.horizon, snap.heard[0])
        };
        samples.push((now, heard, drums_gain(&app).unwrap()));
    }
    // Heard tension rises at 0.5 per second until it reaches 1.
    let (f1, p1, _) = samples[30];
    let (f2, p2, _) = samples[90];
    let speed = (p2 - p1) / ((f2 - f1) as f32 / SR as f32);
    assert!(
        (speed - 0.5).abs() < 0.03,
        "seek speed {speed}, samples {:?}",
        &samples[..5]
    );
    assert!(samples.windows(2).all(|w| w[1].1 >= w[0].1), "monotonic");
    // The drums follow the (linear) curve of the heard value.
    for &(_, heard, gain) in &samples {
        assert!((gain - heard).abs() < 0.02, "gain {gain} vs curve({heard})");
    }
    let (_, last, gain) = *samples.last().unwrap();
    assert!(
        (last - 1.0).abs() < 1e-6 && (gain - 1.0).abs() < 0.02,
        "reaches the top after 3 s: {last} {gain}"
    );
    // Unknown names are ignored (with one warning), the music goes on.
    app.world_mut()
        .resource_mut::<Music>()
        .set_parameter("no such parameter", 1.0);
    app.update();
    assert_eq!(music(&app).parameter_range("tension"), Some((0.0, 1.0)));
}

#[test]
fn a_cue_request_switches_on_the_next_bar_and_events_arrive_when_heard() {
    let dir = temp_dir("cue");
    let mut app = prepare_app(&dir, Backend::Offline);
    start_playing(&mut app);
    for _ in 0..30 {
        app.update(); // half a second into bar 1
    }
    app.world_mut()
        .resource_mut::<Music>()
        .request_cue("combat");
    app.world_mut()
        .resource_mut::<Music>()
        .request_cue("nonexistent");
    while music(&app).clock() < 3 * BAR + STEP {
        app.update();
    }
    let seen = app.world().resource::<Seen>();
    let bars: Vec<(u32, u64)> = seen.bars.iter().map(|(p, _)| (p.bar, p.frame)).collect();
    assert_eq!(
        &bars[..4],
        &[(1, 0), (2, BAR), (3, 2 * BAR), (4, 3 * BAR)],
        "bars: {bars:?}"
    );
    let combat: Vec<_> = seen.cues.iter().filter(|c| c.0 == "combat").collect();
    assert_eq!(combat.len(), 1, "cues: {:?}", seen.cues);
    let (_, pos, delivered_at) = combat[0];
    assert_eq!(
        (pos.bar, pos.frame, pos.cue_bar),
        (2, BAR, 1),
        "combat starts on the next bar line"
    );
    assert_eq!(
        *delivered_at,
        first_clock_reaching(pos.frame),
        "delivered in the update that reaches it"
    );
    assert!(
        seen.transitions
            .iter()
            .any(|(f, t, p)| f == "explore" && t == "combat" && p.frame == BAR),
        "{:?}",
        seen.transitions
    );
    // Every event is delivered once its frame is reached, never before, and within one update.
    for (p, at) in seen.beats.iter().chain(&seen.bars) {
        assert_eq!(*at, first_clock_reaching(p.frame), "{p:?}");
    }
    let beats: Vec<u64> = seen.beats.iter().map(|(p, _)| p.frame).collect();
    assert_eq!(
        &beats[..8],
        &[0, 24_000, 48_000, 72_000, 96_000, 120_000, 144_000, 168_000]
    );
    // Observers see the same: globally, and on the player entity.
    assert!(
        seen.observed_cues.contains(&"combat".to_string()),
        "{:?}",
        seen.observed_cues
    );
    assert_eq!(&seen.observed_bars_on_player[..4], &[1, 2, 3, 4]);
    assert_eq!(music(&app).current_cue(), Some("combat"));
}

#[test]
fn a_broken_hot_reload_keeps_the_old_score_and_a_good_one_switches_at_a_bar() {
    let dir = temp_dir("reload");
    let mut app = prepare_app(&dir, Backend::Offline);
    start_playing(&mut app);
    app.world_mut()
        .resource_mut::<Music>()
        .request_cue("combat");
    for _ in 0..150 {
        app.update();
    }
    assert_eq!(music(&app).current_cue(), Some("combat"));

    // A typo: `metre` is not a field of the tempo.
    let broken = score_src("Test").replace("meter: (4, 4)", "metre: (4, 4)");
    std::fs::write(dir.join("test.score.ron"), broken).unwrap();
    app.world()
        .resource::<AssetServer>()
        .reload("test.score.ron");
    update_until(&mut app, 30, "the load error", |app| {
        music(app).last_error().is_some()
    });
    let error = music(&app).last_error().unwrap().to_string();
    assert!(
        error.starts_with("test.score.ron:3:"),
        "located error: {error}"
    );
    assert!(error.contains("metre"), "{error}");
    assert_eq!(
        music(&app).score().unwrap().name,
        "Test",
        "the old score keeps playing"
    );
    let beats_before = app.world().resource::<Seen>().beats.len();
    for _ in 0..60 {
        app.update();
    }
    assert!(
        app.world().resource::<Seen>().beats.len() > beats_before + 1,
        "beats go on"
    );
    assert_eq!(music(&app).score().unwrap().name, "Test");

    // A good edit takes over at the next bar line of the playing score, on the same cue and
    // at the same bar: the bar count and the cue's bars go on as if nothing had happened.
    std::fs::write(dir.join("test.score.ron"), score_src("Test v2")).unwrap();
    app.world()
        .resource::<AssetServer>()
        .reload("test.score.ron");
    update_until(&mut app, 30, "the reloaded score", |app| {
        music(app).score().unwrap().name == "Test v2"
    });
    assert!(music(&app).last_error().is_none());
    assert_eq!(
        music(&app).current_cue(),
        Some("combat"),
        "the playing cue is kept"
    );
    for _ in 0..30 {
        app.update();
    }
    let seen = app.world().resource::<Seen>();
    let bars: Vec<(u32, u32, u64)> = seen
        .bars
        .iter()
        .map(|(p, _)| (p.bar, p.cue_bar, p.frame))
        .collect();
    for (i, &(bar, cue_bar, frame)) in bars.iter().enumerate() {
        assert_eq!(
            (bar, frame),
            (i as u32 + 1, i as u64 * BAR),
            "no bar lost, doubled or renumbered: {bars:?}"
        );
        // Explore's bar 1, then combat (a 2-bar loop) from bar 2 on, through the switch.
        let expected = if i == 0 { 1 } else { (i as u32 - 1) % 2 + 1 };
        assert_eq!(cue_bar, expected, "the cue's bars go on: {bars:?}");
    }
    let combat: Vec<_> = seen.cues.iter().filter(|(c, ..)| c == "combat").collect();
    assert_eq!(
        combat.len(),
        1,
        "the cue did not start again: {:?}",
        seen.cues
    );
}

#[test]
fn auto_backend_without_a_device_falls_back_to_a_silent_clock_and_still_beats() {
    let dir = temp_dir("auto");
    let mut app = prepare_app(&dir, Backend::Auto);
    let backend = music(&app).backend();
    eprintln!(
        "backend: {backend:?}, device error: {:?}",
        music(&app).device_error()
    );
    if backend == ActiveBackend::Silent {
        assert!(music(&app).device_error().is_some());
    }
    start_playing(&mut app);
    update_until(&mut app, 20, "three beats", |app| {
        app.world().resource::<Seen>().beats.len() >= 3
    });
    let seen = app.world().resource::<Seen>();
    let frames: Vec<u64> = seen.beats.iter().map(|(p, _)| p.frame).collect();
    assert!(
        frames.windows(2).all(|w| w[1] - w[0] == 24_000),
        "beats half a second apart: {frames:?}"
    );
}

#[derive(States, Default, Debug, Clone, PartialEq, Eq, Hash)]
enum Game {
    #[default]
    Explore,
    Combat,
}

#[test]
fn stingers_markers_and_a_state_driven_cue() {
    let dir = temp_dir("state");
    let mut app = prepare_app(&dir, Backend::Offline);
    app.init_state::<Game>()
        .music_state_cue(Game::Combat, "combat");
    start_playing(&mut app);
    for _ in 0..10 {
        app.update();
    }
    app.world_mut().resource_mut::<Music>().stinger("hit");
    while music(&app).clock() < 2 * BAR + STEP {
        app.update();
    }
    {
        let seen = app.world().resource::<Seen>();
        assert_eq!(seen.stingers.len(), 1, "{:?}", seen.stingers);
        let (name, pos) = &seen.stingers[0];
        assert_eq!(
            (name.as_str(), pos.frame, pos.beat),
            ("hit", 24_000, 2),
            "the stinger lands on the next beat"
        );
        let exit: Vec<_> = seen.markers.iter().filter(|(n, _)| n == "exit").collect();
        assert_eq!(exit.len(), 1, "{:?}", seen.markers);
        assert_eq!(
            (exit[0].1.frame, exit[0].1.bar, exit[0].1.cue_bar),
            (2 * BAR, 3, 3)
        );
    }
    assert_eq!(music(&app).current_cue(), Some("explore"));
    app.world_mut()
        .resource_mut::<NextState<Game>>()
        .set(Game::Combat);
    while music(&app).clock() < 3 * BAR + STEP {
        app.update();
    }
    assert_eq!(music(&app).current_cue(), Some("combat"));
    let seen = app.world().resource::<Seen>();
    let combat = seen
        .cues
        .iter()
        .find(|(c, ..)| c == "combat")
        .expect("combat started");
    assert_eq!(
        combat.1.frame,
        3 * BAR,
        "entering the state requests the cue; it starts on the next bar"
    );
}

/// What [`ask_then_stall`] asks for, and the `RequestLate` events seen.
#[derive(Resource, Default)]
struct Stall {
    /// (stinger, then sleep this long) on the next update.
    ask: Option<(&'static str, Duration)>,
    /// The silent clock when the stinger was asked for.
    asked_at: Vec<(&'static str, u64)>,
    late: Vec<RequestLate>,
}

/// A game system that asks for a stinger and then stalls (a level load in the same update),
/// before the plugin's systems send the request on.
fn ask_then_stall(music: Res<Music>, mut stall: ResMut<Stall>) {
    if let Some((stinger, sleep)) = stall.ask.take() {
        music.stinger(stinger);
        let clock = music.clock();
        stall.asked_at.push((stinger, clock));
        std::thread::sleep(sleep);
    }
}

/// On the silent clock (real time, the planner on its thread), a stinger asked for just
/// before a 500 ms stall of the game's update still plays, at the next frame not yet planned
/// after the request came in, and a `RequestLate` event on that frame says it came late by
/// the stall; one asked for without a stall is not reported.
#[test]
fn a_request_held_up_by_a_stalled_update_plays_late_and_says_so() {
    let dir = temp_dir("late");
    let mut app = prepare_app(&dir, Backend::Silent);
    app.init_resource::<Stall>()
        .add_systems(Update, ask_then_stall.before(LeitmotifSystems::Input))
        .add_observer(|late: On<RequestLate>, mut stall: ResMut<Stall>| {
            stall.late.push((*late).clone())
        });
    assert_eq!(music(&app).backend(), ActiveBackend::Silent);
    start_playing(&mut app);
    let wait = |app: &mut App, secs: f64| {
        let until = Instant::now() + Duration::from_secs_f64(secs);
        while Instant::now() < until {
            app.update();
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait(&mut app, 0.5);
    app.world_mut().resource_mut::<Stall>().ask = Some(("hit", Duration::ZERO));
    wait(&mut app, 1.0);
    app.world_mut().resource_mut::<Stall>().ask = Some(("hit", Duration::from_millis(500)));
    wait(&mut app, 1.5);
    let stall = app.world().resource::<Stall>();
    let seen = app.world().resource::<Seen>();
    let stingers: Vec<u64> = seen.stingers.iter().map(|(_, p)| p.frame).collect();
    assert_eq!(stingers.len(), 2, "both stingers played: {stingers:?}");
    assert_eq!(
        stall.late.len(),
        1,
        "only the stalled one is late: {:?}",
        stall.late
    );
    let late = &stall.late[0];
    let (_, asked) = stall.asked_at[1];
    println!(
        "asked at {asked}, reported asked at {}, late {:.3} s, took effect at {}; stinger at {}",
        late.asked_frame, late.late_seconds, late.position.frame, stingers[1]
    );
    assert_eq!(late.request, "stinger \"hit\"");
    assert!(
        (0.45..1.0).contains(&late.late_seconds),
        "late by the 500 ms stall: {:.3} s",
        late.late_seconds
    );
    // The game's clock reading at the call is at most an update old.
    assert!(
        late.asked_frame >= asked && late.asked_frame < asked + SR as u64 / 10,
        "asked at {} (the game read {asked})",
        late.asked_frame
    );
    let took = late.position.frame;
    assert!(
        took >= late.asked_frame + (late.late_seconds * SR as f64) as u64,
        "took effect at {took}, after the request came in"
    );
    // The stinger sounds on its sync point at or after the frame it took effect at.
    assert!(
        stingers[1] >= took && stingers[1] < took + SR as u64,
        "stinger at {} for a request in force from {took}",
        stingers[1]
    );
}
