#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! Composing a 4-bar bridge (goal < 1 ms) and rendering it, against rendering a plain
//! generated cue layer of the same length in the same run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use leitmotif_core::score::{Generated, Instrument, Part};
use leitmotif_gen::{BridgeRequest, LayerContext, compose_bridge, render_bridge, render_layer};

fn request() -> BridgeRequest {
    BridgeRequest {
        from_key: Some("D minor".into()),
        from_chord: "A7".into(),
        from_bpm: 92.0,
        to_key: Some("F major".into()),
        to_chord: "F".into(),
        to_bpm: 132.0,
        beats_per_bar: 4,
        bars: 4,
        tension_from: 0.4,
        tension_to: 0.9,
        to_theme: Some(vec![(69, 1.0), (65, 0.5), (62, 0.5), (64, 1.0)]),
        instruments: vec![Instrument::Strings, Instrument::Pluck],
        style: None,
    }
}

fn bench(c: &mut Criterion) {
    let req = request();
    let mut g = c.benchmark_group("bridge_4_bars");
    g.bench_function("compose", |b| {
        b.iter(|| compose_bridge(black_box(&req), 7).unwrap())
    });
    let score = compose_bridge(&req, 7).unwrap();
    let frames = (score.seconds_at(score.total_beats()) * 48_000.0).round() as usize;
    g.sample_size(20);
    g.bench_function("render", |b| {
        b.iter(|| render_bridge(black_box(&score), 48_000, frames))
    });
    let chords = ["Dm".to_string(), "Bb".into(), "Gm".into(), "A7".into()];
    let ctx = LayerContext {
        sample_rate: 48_000,
        bpm: 110.0,
        beats_per_bar: 4,
        bars: 4,
        pickup_beats: 0,
        tail_beats: 0,
        chords: &chords,
        key: Some("D minor"),
        theme: None,
        seed: 1,
        tension: 0.5,
        style: None,
    };
    let pad = Generated {
        octave: 3,
        velocity: 0.6,
        ..Generated::new(Instrument::Strings, Part::Chords)
    };
    g.bench_function("baseline_layer", |b| {
        b.iter(|| render_layer(black_box(&pad), &ctx).unwrap())
    });
    println!("bridge audio: {:.2} s", frames as f64 / 48_000.0);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
