//! Per-frame cost of the plugin's systems on the game thread: one `App::update` with the silent
//! backend (the planner and the mixing run on their own threads, as with a device), against the
//! same app without the plugin, in the same run. The offline backend, which plans and mixes
//! inside `App::update`, is measured too, for what it is.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_leitmotif::prelude::*;
use criterion::{Criterion, criterion_main};

const PARAMETERS: usize = 16;
const SOURCES: usize = 1_000;

/// A score with 16 parameters, each driving the gain of one of 16 (silent) layers.
fn score() -> String {
    let parameters: String = (0..PARAMETERS)
        .map(|i| format!("(name: \"p{i}\", seek_speed: 2.0),"))
        .collect();
    let layers: String = (0..PARAMETERS)
        .map(|i| format!("(name: \"l{i}\", source: Silence, gain_curve: Some((parameter: \"p{i}\", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),"))
        .collect();
    format!(
        r#"Score(
    name: "Bench",
    tempo: (bpm: 120.0),
    parameters: [(name: "tension"), {parameters}],
    initial_cue: "a",
    cues: [(name: "a", bars: 2, layers: [{layers}])],
)"#
    )
}

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bevy-leitmotif-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bench.score.ron"), score()).unwrap();
    dir
}

fn app(with_plugin: bool, sources: usize) -> App {
    app_with(with_plugin, sources, Backend::Silent)
}

fn app_with(with_plugin: bool, sources: usize, backend: Backend) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir().to_string_lossy().into_owned(),
            ..default()
        },
    ));
    if with_plugin {
        app.add_plugins(LeitmotifPlugin {
            backend,
            ..default()
        });
        let handle = app
            .world()
            .resource::<AssetServer>()
            .load::<ScoreAsset>("bench.score.ron");
        app.world_mut().resource_mut::<Music>().play(handle);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !app.world().resource::<Music>().is_playing() {
            assert!(Instant::now() < deadline, "the bench score did not load");
            app.update();
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    if sources > 0 {
        app.world_mut().spawn((MusicListener, Transform::default()));
        for i in 0..sources {
            let (x, z) = ((i % 40) as f32 * 2.0 - 40.0, (i / 40) as f32 * 2.0 - 25.0);
            app.world_mut().spawn((
                TensionSource {
                    radius: 8.0,
                    weight: 0.01,
                },
                Transform::from_xyz(x, 0.0, z),
            ));
        }
    }
    app.update();
    app
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("update");
    g.measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(60);

    let mut base = app(false, 0);
    g.bench_function("no_plugin", |b| b.iter(|| base.update()));

    let mut music = app(true, 0);
    let names: Vec<String> = (0..PARAMETERS).map(|i| format!("p{i}")).collect();
    let mut t = 0u32;
    g.bench_function("plugin_16_parameters_set_every_frame", |b| {
        b.iter(|| {
            t = t.wrapping_add(1);
            {
                let m = music.world().resource::<Music>();
                for (i, name) in names.iter().enumerate() {
                    m.set_parameter(black_box(name), ((t as usize + i * 7) % 60) as f32 / 60.0);
                }
            }
            music.update();
        })
    });

    let mut offline = app_with(true, 0, Backend::Offline);
    g.bench_function("plugin_offline_backend_mixing_800_frames", |b| {
        b.iter(|| offline.update())
    });

    let mut base_sources = app(false, SOURCES);
    g.bench_function("no_plugin_1000_entities", |b| {
        b.iter(|| base_sources.update())
    });

    let mut tension = app(true, SOURCES);
    let mut step = 0u32;
    g.bench_function("plugin_1000_tension_sources_moving_listener", |b| {
        b.iter(|| {
            step = step.wrapping_add(1);
            let mut q = tension
                .world_mut()
                .query_filtered::<&mut Transform, With<MusicListener>>();
            for mut tf in q.iter_mut(tension.world_mut()) {
                tf.translation.x = (step % 200) as f32 * 0.2 - 20.0;
            }
            tension.update();
        })
    });
    g.finish();
}

/// Criterion's generated group function has no docs.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
