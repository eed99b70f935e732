#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! The film runner on a generated feature-length cut list: parse, auto-spot, fit and render,
//! against a baseline render of the same length with no film logic (one looping cue), in the
//! same run. The full 90-minute, 1,500-event case is timed once and printed; criterion samples
//! a 9-minute, 150-event slice.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use leitmotif_core::Score;
use leitmotif_engine::{BankOptions, RenderOptions, SourceBank, render_to};
use leitmotif_film::autospot::{Lexicon, auto_spot};
use leitmotif_film::{Format, FrameRate, ParseOptions, parse_str};
use leitmotif_scoring::{DEFAULT_SAMPLE_RATE as SAMPLE_RATE, FilmOptions, score_film};

const WORDS: [&str; 8] = [
    "quiet dawn",
    "dark night",
    "chase",
    "fight",
    "calm",
    "fear",
    "escape",
    "home",
];

/// An EDL of `events` shots whose lengths vary like a feature's (1–8 s), at 24 fps.
fn edl(events: u32) -> String {
    let mut s = String::from("TITLE: BENCH FEATURE\nFCM: NON-DROP FRAME\n\n");
    let tc = |f: u32| {
        format!(
            "{:02}:{:02}:{:02}:{:02}",
            1 + f / 86_400,
            (f / 1440) % 60,
            (f / 24) % 60,
            f % 24
        )
    };
    let mut t = 0u32;
    let mut x = 12_345u32;
    for i in 0..events {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = 24 + (x >> 16) % 170;
        s.push_str(&format!(
            "{:04}  R{:04}    V     C        {} {} {} {}\n* FROM CLIP NAME: {}\n",
            i + 1,
            i,
            tc(t),
            tc(t + len),
            tc(t),
            tc(t + len),
            WORDS[(i / 20) as usize % 8]
        ));
        if i % 97 == 50 {
            s.push_str(&format!("* LOC: {} RED hit {i}\n", tc(t + len / 2)));
        }
        s.push('\n');
        t += len;
    }
    s
}

fn score_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scores/noir.score.ron")
}

fn film_seconds(events: u32) -> (f64, f64) {
    let cut = parse_str(
        &edl(events),
        Format::Edl,
        &ParseOptions {
            strict: false,
            rate: Some(FrameRate::FPS_24),
        },
    )
    .unwrap();
    let score = Score::load(&score_path()).unwrap();
    let t = Instant::now();
    let sp = auto_spot(&cut, &score, &Lexicon::default());
    let film = score_film(
        &cut,
        score,
        &sp,
        &score_path(),
        &FilmOptions {
            tail_seconds: 1.0,
            ..FilmOptions::default()
        },
        Some(&mut |_, _, _| {}),
    )
    .unwrap();
    (
        t.elapsed().as_secs_f64(),
        film.frames as f64 / SAMPLE_RATE as f64,
    )
}

fn baseline_seconds(seconds: f64) -> f64 {
    let score = Arc::new(Score::load(&score_path()).unwrap());
    let bank = Arc::new(
        SourceBank::load(&score, &BankOptions::for_score(&score_path(), SAMPLE_RATE)).unwrap(),
    );
    let t = Instant::now();
    render_to(
        score,
        bank,
        &[],
        &RenderOptions {
            frames: (seconds * SAMPLE_RATE as f64) as u64,
            stems: true,
            ..Default::default()
        },
        &mut |_, _, _| {},
    );
    t.elapsed().as_secs_f64()
}

fn feature(c: &mut Criterion) {
    let (took, audio) = film_seconds(1_500);
    let base = baseline_seconds(audio);
    println!(
        "1,500-event cut list: {:.1} min of music scored in {:.2} s ({:.0}x realtime); baseline render of the same length {:.2} s; ratio {:.2}",
        audio / 60.0,
        took,
        audio / took,
        base,
        took / base
    );
    let mut g = c.benchmark_group("film_150_events");
    g.sample_size(10);
    g.bench_function("score_film", |b| b.iter(|| film_seconds(150)));
    let (_, audio) = film_seconds(150);
    g.bench_function("baseline_render", |b| b.iter(|| baseline_seconds(audio)));
    g.finish();
}

criterion_group!(benches, feature);
criterion_main!(benches);
