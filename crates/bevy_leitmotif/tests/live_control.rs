//! `LiveControl` in an app: OSC datagrams over localhost reach the planner thread directly
//! (the silent clock's backend), with no `App::update` in between, and bad ones are counted.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_leitmotif::control::ControlMap;
use bevy_leitmotif::prelude::*;

const SCORE: &str = r#"Score(
    name: "Live",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [(name: "tension", min: 0.0, max: 1.0, default: 0.0)],
    initial_cue: "calm",
    cues: [(name: "calm", bars: 2, layers: [
        (name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3)),
         gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
    ])],
)"#;

/// `/tension ,f <v>`, encoded by hand.
fn tension(v: f32) -> Vec<u8> {
    let mut m = b"/tension\0\0\0\0,f\0\0".to_vec();
    m.extend(v.to_be_bytes());
    m
}

#[test]
fn osc_reaches_the_planner_without_a_game_update() {
    let dir = std::env::temp_dir().join(format!("bevy-leitmotif-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("live.score.ron"), SCORE).unwrap();
    let map = ControlMap::from_ron(
        r#"Control(osc: [(address: "/tension", to: Parameter("tension"))])"#,
        None,
    )
    .unwrap();
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.to_string_lossy().into_owned(),
            ..default()
        },
        LeitmotifPlugin {
            backend: Backend::Silent,
            ..default()
        },
    ))
    .insert_resource(
        LiveControl::osc(0)
            .with_osc_addr("127.0.0.1:0".parse().unwrap())
            .with_map(map),
    );
    let handle = app
        .world()
        .resource::<AssetServer>()
        .load::<ScoreAsset>("live.score.ron");
    app.world().resource::<Music>().play(handle);
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        app.update();
        if let Some(a) = app.world().resource::<LiveControl>().osc_addr() {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "live control never started listening"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let heard = |app: &App| {
        app.world()
            .resource::<Music>()
            .snapshot()
            .heard
            .first()
            .copied()
    };
    assert_eq!(heard(&app), Some(0.0));
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for m in [tension(f32::NAN), b"\x01garbage".to_vec(), tension(0.7)] {
        tx.send_to(&m, addr).unwrap();
    }
    // No update while the planner takes it (it wakes every 2 ms) ...
    std::thread::sleep(Duration::from_millis(100));
    // ... then two updates: one asks for a snapshot, the next takes it.
    for _ in 0..2 {
        app.update();
        std::thread::sleep(Duration::from_millis(20));
    }
    app.update();
    assert_eq!(heard(&app), Some(0.7), "the planner took the OSC value");
    // The game's own record of what it set is untouched: this came from outside.
    assert_eq!(app.world().resource::<Music>().parameter("tension"), None);
    let live = app.world().resource::<LiveControl>();
    let stats = live.osc_stats();
    assert_eq!(
        (
            stats.received,
            stats.applied,
            stats.not_a_number,
            stats.malformed
        ),
        (3, 1, 1, 1),
        "{stats}"
    );
    assert!(live.error().is_none());
}
