//! The plugin's offline backend and the engine's offline renderer are one driver: fed the same
//! timed inputs, they give the same samples, bit for bit. And the threaded planner keeps the
//! music planned through a 500 ms stall of the game thread.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_leitmotif::prelude::*;
use leitmotif_engine::RenderOptions;

/// Generated layers over tension, a generated bridge, an authored-free stinger, buses with
/// effects, a sidechain and a snapshot the game blends to: the paths a game exercises.
const SCORE: &str = r#"Score(
    name: "Identity",
    key: Some("D minor"),
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [(name: "tension", min: 0.0, max: 1.0, default: 0.1, seek_speed: 1.0)],
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 2, chords: ["Dm", "A7"], bus: Some("music"), layers: [
            (name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3))),
            (name: "bass", source: Generated((instrument: Bass, part: Bass(2), octave: 2)),
             gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
        ]),
        (name: "chase", bars: 2, chords: ["Gm", "A7"], tempo: Some((bpm: 132.0, meter: (4, 4))), bus: Some("music"), layers: [
            (name: "pulse", source: Generated((instrument: Pluck, part: Arpeggio(2), octave: 4))),
        ]),
    ],
    transitions: [
        (from: "calm", to: "chase", sync: NextBar, bridge: Generated(1)),
        (from: "*", to: "*", sync: NextBeat, fade_out: Beats(1.0), fade_in: Beats(1.0)),
    ],
    stingers: [(name: "hit", sync: NextBeat, bus: Some("hits"), variations: [(source: Generated((instrument: Bell, part: Melody, octave: 5)), beats: 1)])],
    mix: (
        buses: [
            (name: "music", sends: [(to: "room", gain_db: -12.0)], effects: [Bell(hz: 500.0, gain_db: -2.0)],
             sidechain: Some((key: "hits", depth_db: -8.0))),
            (name: "hits"),
            (name: "room", effects: [Reverb(mix: 1.0)]),
        ],
        snapshots: [(name: "pause", seconds: 0.3, buses: [(bus: "music", gain_db: Some(-12.0), lowpass_hz: Some(700.0))])],
    ),
)
"#;

fn app(backend: Backend, name: &str) -> (App, Handle<ScoreAsset>) {
    let dir = std::env::temp_dir().join(format!("bevy-leitmotif-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("identity.score.ron"), SCORE).unwrap();
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.to_string_lossy().into_owned(),
            ..default()
        },
        LeitmotifPlugin {
            backend,
            seed: 7,
            ..default()
        },
    ));
    let handle = app
        .world()
        .resource::<AssetServer>()
        .load::<ScoreAsset>("identity.score.ron");
    app.world().resource::<Music>().play(handle.clone());
    (app, handle)
}

fn wait_for_score(app: &mut App) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !app.world().resource::<Music>().is_playing() {
        assert!(Instant::now() < deadline, "the score did not load");
        app.update();
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn the_plugins_offline_backend_renders_what_the_offline_renderer_renders() {
    let (mut app, handle) = app(Backend::Offline, "identity");
    app.insert_resource(MusicCapture::default());
    wait_for_score(&mut app);
    for k in 0..600u32 {
        let music = app.world().resource::<Music>();
        match k {
            20 => music.set_parameter("tension", 0.9),
            90 => music.request_cue("chase"),
            250 => music.stinger("hit"),
            300 => music.set_snapshot("pause", 1.0, None),
            360 => music.set_snapshot("pause", 0.0, Some(0.5)),
            400 => music.request_cue("calm"),
            _ => {}
        }
        app.update();
    }
    let capture = app.world().resource::<MusicCapture>().clone();
    let asset = app
        .world()
        .resource::<Assets<ScoreAsset>>()
        .get(&handle)
        .expect("loaded")
        .clone();
    let inputs: Vec<_> = capture
        .inputs
        .iter()
        .filter(|(session, _)| *session == 0)
        .map(|(_, i)| i.clone())
        .collect();
    assert_eq!(
        inputs.len(),
        6,
        "every request reached the session: {inputs:?}"
    );
    let frames = capture.frames.len() as u64;
    assert!(frames > 10 * 48_000, "ten seconds rendered, got {frames}");
    let offline = leitmotif_engine::render(
        asset.score.clone(),
        asset.bank.clone(),
        &inputs,
        &RenderOptions {
            frames,
            seed: 7,
            ..Default::default()
        },
    );
    assert!(
        offline.bridges.len() == 1,
        "the calm -> chase bridge was composed"
    );
    let peak = offline.mix.iter().fold(0.0f32, |m, f| m.max(f[0].abs()));
    assert!(peak > 0.05, "music played (peak {peak})");
    let first_difference =
        offline.mix.iter().zip(&capture.frames).position(|(a, b)| {
            a[0].to_bits() != b[0].to_bits() || a[1].to_bits() != b[1].to_bits()
        });
    assert_eq!(
        first_difference, None,
        "plugin and offline renderer differ (first at frame {first_difference:?})"
    );
}

#[test]
fn a_stalled_game_thread_does_not_starve_the_threaded_planner() {
    let (mut app, _) = app(Backend::Silent, "stall");
    wait_for_score(&mut app);
    let mut bars = Vec::new();
    let started = Instant::now();
    let mut stalls = 0;
    while started.elapsed() < Duration::from_secs(4) {
        app.update();
        if stalls < 2 && started.elapsed() > Duration::from_millis(1000 + 1500 * stalls) {
            // A level load: the game thread does nothing for half a second.
            std::thread::sleep(Duration::from_millis(500));
            stalls += 1;
        }
        let mut reader = app.world_mut().resource_mut::<Messages<Bar>>();
        bars.extend(reader.drain().map(|b| b.position.frame));
        std::thread::sleep(Duration::from_millis(16));
    }
    let snap = app.world().resource::<Music>().snapshot().clone();
    let o = snap.overloads();
    assert_eq!(
        o.late_actions, 0,
        "the plan stayed ahead of the audio through the stalls: {o:?}"
    );
    assert_eq!(o.started_past_end, 0, "{o:?}");
    assert!(!snap.failed());
    // Bars every 2 s at 120 bpm (96 000 frames), none missing across the stalls.
    assert!(bars.len() >= 2, "bars arrived: {bars:?}");
    for w in bars.windows(2) {
        assert_eq!(w[1] - w[0], 96_000, "bar grid intact: {bars:?}");
    }
    assert!(
        snap.clock > 3 * 48_000,
        "the clock ran in real time: {}",
        snap.clock
    );
}
