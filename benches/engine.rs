#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! Offline render speed of Leitmotif's mixer against bare kira (`StaticSound`s on sub-tracks)
//! playing the same stems with no logic, in the same run; and the cost of one 512-frame block.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kira::backend::mock::{MockBackend, MockBackendSettings};
use kira::sound::static_sound::StaticSoundData;
use kira::track::TrackBuilder;
use kira::{AudioManager, AudioManagerSettings, Frame};
use leitmotif_core::Score;
use leitmotif_engine::{Session, SourceBank, Stem};

const SR: u32 = 48_000;
const STEM_FRAMES: usize = 4 * 48_000;

fn noise(seed: u32) -> Vec<[f32; 2]> {
    let mut x = seed.wrapping_mul(747_796_405).wrapping_add(1);
    (0..STEM_FRAMES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let s = (x as f32 / u32::MAX as f32 - 0.5) * 0.02;
            [s, -s]
        })
        .collect()
}

fn session(layers: usize) -> (Session, leitmotif_engine::MusicSound) {
    let list: Vec<String> = (0..layers)
        .map(|i| format!("(name: \"l{i}\", source: Silence)"))
        .collect();
    let src = format!(
        "Score(name: \"b\", tempo: (bpm: 120.0), initial_cue: \"a\", cues: [(name: \"a\", bars: 2, layers: [{}])])",
        list.join(",")
    );
    let score = Arc::new(Score::from_ron(&src, None).unwrap());
    let mut bank = SourceBank::load(
        &score,
        &leitmotif_engine::BankOptions {
            sample_rate: SR,
            base_dir: ".".into(),
            allow_outside: false,
            length_tolerance_ms: 20.0,
            stream_longer_than_s: 10.0,
        },
    )
    .unwrap();
    bank.layers[0] = (0..layers)
        .map(|i| {
            leitmotif_engine::Clip::Memory(Arc::new(Stem {
                frames: noise(i as u32),
            }))
        })
        .collect();
    let (s, sound, _) = Session::new(score, Arc::new(bank), 0);
    (s, sound)
}

fn leitmotif_second(layers: usize) -> impl FnMut() {
    let (mut s, mut sound) = session(layers);
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut pos = 0u64;
    move || {
        for _ in 0..(SR as usize / 512) {
            s.plan(pos + 512);
            sound.render(&mut buf);
            pos += 512;
        }
    }
}

fn kira_second(layers: usize) -> impl FnMut() {
    // kira's own device-free backend, rendering 512-frame blocks like the mixer's loop.
    let mut manager = AudioManager::<MockBackend>::new(AudioManagerSettings {
        backend_settings: MockBackendSettings { sample_rate: SR },
        internal_buffer_size: 512,
        ..Default::default()
    })
    .unwrap();
    let mut tracks = Vec::new();
    for i in 0..layers {
        let mut track = manager.add_sub_track(TrackBuilder::new()).unwrap();
        let frames: Vec<Frame> = noise(i as u32)
            .iter()
            .map(|f| Frame {
                left: f[0],
                right: f[1],
            })
            .collect();
        let data = StaticSoundData {
            sample_rate: SR,
            frames: frames.into(),
            settings: Default::default(),
            slice: None,
        }
        .loop_region(..);
        track.play(data).unwrap();
        tracks.push(track);
    }
    move || {
        let _keep = &tracks;
        for _ in 0..(SR as usize / 512) {
            let backend = manager.backend_mut();
            backend.on_start_processing();
            backend.process();
        }
    }
}

fn realtime(c: &mut Criterion) {
    let mut g = c.benchmark_group("one_second_of_audio");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    for layers in [8usize, 32, 64] {
        let mut f = leitmotif_second(layers);
        g.bench_function(BenchmarkId::new("leitmotif", layers), |b| b.iter(&mut f));
        let mut k = kira_second(layers);
        g.bench_function(BenchmarkId::new("bare_kira", layers), |b| b.iter(&mut k));
    }
    g.finish();
}

fn block_latency(c: &mut Criterion) {
    let (mut s, mut sound) = session(64);
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut pos = 0u64;
    let mut times = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        s.plan(pos + 512);
        let t = Instant::now();
        sound.render(&mut buf);
        times.push(t.elapsed());
        pos += 512;
    }
    times.sort();
    let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "64 layers, 512-frame block: p50 {:?}, p99 {:?}, max {:?} (budget {:?})",
        p(0.5),
        p(0.99),
        p(1.0),
        Duration::from_secs_f64(512.0 / SR as f64)
    );
    c.bench_function("block_512_64_layers", |b| {
        b.iter(|| {
            s.plan(pos + 512);
            sound.render(&mut buf);
            pos += 512;
        })
    });
}

criterion_group!(benches, realtime, block_latency);
criterion_main!(benches);
