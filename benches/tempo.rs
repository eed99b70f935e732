#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! The cost of following a tempo cue: one time-stretched stem against the same stem played
//! plainly, and one live generated layer against the same layer rendered at load, in the same
//! run; and the 512-frame block time of 64 layers of which 8 are stretched stems and 16 live
//! generated parts (p50/p99 against the block's real-time budget, played at the pace of a
//! device: the stretching runs on its workers beside the audio thread, as it does live).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use leitmotif_core::Score;
use leitmotif_core::conductor::{Input, TimedInput};
use leitmotif_core::score::Sync;
use leitmotif_engine::{Clip, MusicSound, Session, SourceBank, Stem};

const SR: u32 = 48_000;

/// 60 s of a chord with a little noise (what a phase vocoder has to track).
fn material(seed: u32) -> Vec<[f32; 2]> {
    let mut x = seed.wrapping_mul(747_796_405).wrapping_add(1);
    (0..60 * SR as usize)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let t = i as f32 / SR as f32;
            let tone = [220.0f32, 277.2, 329.6]
                .iter()
                .map(|f| (std::f32::consts::TAU * f * t).sin())
                .sum::<f32>();
            let s = 0.05 * tone + (x as f32 / u32::MAX as f32 - 0.5) * 0.01;
            [s, s * 0.9]
        })
        .collect()
}

/// A cue of `layers` stems (tempo 120), and `bed` one-shot stingers of 60 s started at once
/// (plain voices beside the cue's); with `stretch`, a tempo cue to 132 BPM on the next beat
/// after a quarter of a second.
fn session(layers: usize, bed: usize, live: usize, stretch: bool) -> (Session, MusicSound) {
    let list: Vec<String> = (0..layers)
        .map(|i| format!("(name: \"l{i}\", source: Silence)"))
        .chain((0..live).map(|i| {
            format!(
                "(name: \"g{i}\", source: Generated((instrument: {}, part: Arpeggio(4), seed: {i}, live: true)))",
                ["Pluck", "Keys", "Bell", "Bass"][i % 4]
            )
        }))
        .collect();
    let stingers: Vec<String> = (0..bed)
        .map(|i| format!("(name: \"s{i}\", sync: Immediate, variations: [(source: Silence)])"))
        .collect();
    let src = format!(
        "Score(name: \"b\", tempo: (bpm: 120.0), initial_cue: \"a\", ducking: (stinger_db: 0.0),
          cues: [(name: \"a\", bars: 30, chords: [\"Am\", \"F\", \"C\", \"G\"], layers: [{}])],
          stingers: [{}])",
        list.join(","),
        stingers.join(",")
    );
    let score = Arc::new(Score::from_ron(&src, None).unwrap());
    let mut bank = SourceBank::load(
        &score,
        &leitmotif_engine::BankOptions::for_score(std::path::Path::new("b.score.ron"), SR),
    )
    .unwrap();
    let clip = |i: usize| {
        Clip::Memory(Arc::new(Stem {
            frames: material(i as u32),
        }))
    };
    for (i, l) in bank.layers[0].iter_mut().take(layers).enumerate() {
        *l = clip(i);
    }
    for (i, s) in bank.stingers.iter_mut().enumerate() {
        s[0] = clip(100 + i);
    }
    let (mut s, sound, _) = Session::new(score, Arc::new(bank), 0);
    for i in 0..bed {
        s.push(TimedInput {
            frame: 0,
            input: Input::Stinger(i),
        });
    }
    if stretch {
        // During play (a quarter second in): the change on the next beat, its pre-warp now.
        s.push(TimedInput {
            frame: SR as u64 / 4,
            input: Input::TempoCue {
                bpm: 132.0,
                ramp_beats: 0,
                sync: Sync::NextBeat,
            },
        });
    }
    (s, sound)
}

/// Renders the first second (so the stretchers are running), then returns a closure that
/// renders one more second each call, planning a lookahead ahead. The mixer waits for the
/// stretch workers when they are behind (as offline), so the time is what a second costs in
/// wall time with the stretching on its workers beside this thread.
fn second(layers: usize, live: usize, stretch: bool) -> impl FnMut() {
    let (mut s, mut sound) = session(layers, 0, live, stretch);
    sound.set_wait_for_streams(true);
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut pos = 0u64;
    let mut run = move |blocks: usize| {
        for _ in 0..blocks {
            s.plan(pos + 512 + LOOKAHEAD);
            sound.render(&mut buf);
            pos += 512;
        }
    };
    run(SR as usize / 512);
    move || run(SR as usize / 512)
}

fn stretched_vs_plain(c: &mut Criterion) {
    let mut g = c.benchmark_group("one_second_one_stem");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    let mut plain = second(1, 0, false);
    g.bench_function("plain", |b| b.iter(&mut plain));
    let mut stretched = second(1, 0, true);
    g.bench_function("stretched_to_132_bpm", |b| b.iter(&mut stretched));
    g.finish();
}

/// One generated layer (an arpeggio, four notes a beat) rendered at load and played as a stem,
/// against the same part played live (plan, note synthesis and mix, per second of audio; at
/// a steady tempo the notes come from the cache after the first pass, so a tempo cue every
/// bar is also measured: every note is then synthesised anew). Load times are printed.
fn live_vs_rendered(c: &mut Criterion) {
    let part = |live: bool| {
        format!(
            "Score(name: \"b\", tempo: (bpm: 120.0), initial_cue: \"a\",
              cues: [(name: \"a\", bars: 30, chords: [\"Am\", \"F\", \"C\", \"G\"],
                layers: [(name: \"g\", source: Generated((instrument: Pluck, part: Arpeggio(4), live: {live})))])])"
        )
    };
    let opts = leitmotif_engine::BankOptions::for_score(std::path::Path::new("b.score.ron"), SR);
    let load = |live: bool| {
        let score = Arc::new(Score::from_ron(&part(live), None).unwrap());
        let t = Instant::now();
        let bank = Arc::new(SourceBank::load(&score, &opts).unwrap());
        (score, bank, t.elapsed())
    };
    let mut g = c.benchmark_group("one_second_one_generated_layer");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    for (name, live, retime) in [
        ("rendered_at_load", false, false),
        ("live", true, false),
        ("live_tempo_cue_every_bar", true, true),
    ] {
        let (score, bank, took) = load(live);
        println!("{name}: bank load {took:?} (60 s of music at 120 BPM)");
        let (mut s, mut sound, _) = Session::new(score, bank, 0);
        let mut buf = vec![[0.0f32; 2]; 512];
        let mut pos = 0u64;
        let mut bar = 0u64;
        let mut run = move |blocks: usize| {
            for _ in 0..blocks {
                if retime && pos >= bar * 2 * SR as u64 {
                    bar += 1;
                    s.push(TimedInput {
                        frame: pos,
                        input: Input::TempoCue {
                            bpm: if bar.is_multiple_of(2) { 120.0 } else { 126.0 },
                            ramp_beats: 2,
                            sync: Sync::NextBeat,
                        },
                    });
                }
                s.plan(pos + 512);
                sound.render(&mut buf);
                pos += 512;
            }
        };
        run(2 * SR as usize / 512);
        g.bench_function(name, |b| b.iter(|| run(SR as usize / 512)));
    }
    g.finish();
}

/// Frames planned ahead of the block being rendered, as the plugin's planner thread keeps on
/// a device (its lookahead: a 1,024-frame buffer plus twice a 480-frame callback).
const LOOKAHEAD: u64 = 1024 + 2 * 480;

/// Plays the session the way a device does: the plan a lookahead ahead, one 512-frame block
/// rendered per block period (paced by the clock, so the stretch workers run beside it as they
/// would), the mixer never waiting. Returns the sorted times of the audio side's blocks (from
/// one second on), the underruns, and the stretch workers' busy time.
fn block_times(
    layers: usize,
    bed: usize,
    live: usize,
    stretch: bool,
) -> (Vec<Duration>, u64, Duration) {
    let (mut s, mut sound) = session(layers, bed, live, stretch);
    let mut buf = vec![[0.0f32; 2]; 512];
    let period = Duration::from_secs_f64(512.0 / SR as f64);
    let mut pos = 0u64;
    let mut times = Vec::new();
    let start = Instant::now();
    for k in 0..1_600u32 {
        s.plan(pos + 512 + LOOKAHEAD);
        if let Some(wait) = (start + period * k).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        sound.render(&mut buf);
        if k >= 100 {
            times.push(t.elapsed());
        }
        pos += 512;
    }
    times.sort();
    let underruns = sound.shared().overloads().underruns;
    (times, underruns, s.stretch_busy())
}

fn block_budget(_c: &mut Criterion) {
    let budget = Duration::from_secs_f64(512.0 / SR as f64);
    for (name, bed, live, stretch) in [
        ("64 plain", 56, 0, false),
        ("56 plain + 8 stretched", 56, 0, true),
        ("40 plain + 16 live generated + 8 stretched", 40, 16, true),
    ] {
        let (t, underruns, busy) = block_times(8, bed, live, stretch);
        let p = |q: f64| t[((t.len() - 1) as f64 * q) as usize];
        println!(
            "{name}: 512-frame block p50 {:?}, p99 {:?} = {:.1} % of the {:?} budget, max {:?}; \
             {underruns} underruns; stretch workers busy {:.1} % of the time (off the audio thread)",
            p(0.5),
            p(0.99),
            p(0.99).as_secs_f64() / budget.as_secs_f64() * 100.0,
            budget,
            p(1.0),
            busy.as_secs_f64() / (1_600.0 * budget.as_secs_f64()) * 100.0,
        );
    }
}

criterion_group!(benches, stretched_vs_plain, live_vs_rendered, block_budget);
criterion_main!(benches);
