//! Engine tests: the plan rendered offline lands on exact frames, loops seamlessly, fades
//! monotonically, never clips, and is bit-identical for the same input.

mod common;

use std::sync::Arc;

use common::*;
use leitmotif_core::conductor::{EventKind, Input, TimedInput};
use leitmotif_core::time::TempoMap;
use leitmotif_engine::{RenderOptions, render};

/// A one-bar stem with a single impulse of `amp` on its first frame.
fn click_bar(sr: u32, bpm: f64, beats: u32, amp: f32) -> Vec<[f32; 2]> {
    let len = (beats as f64 * 60.0 / bpm * sr as f64).round() as usize;
    let mut v = vec![[0.0; 2]; len];
    v[0] = [amp, amp];
    v
}

fn click_score(sr: u32) -> String {
    let _ = sr;
    r#"Score(
        name: "clicks",
        tempo: (bpm: 120.0, meter: (4, 4)),
        initial_cue: "a",
        cues: [
            (name: "a", bars: 1, layers: [(name: "click", source: File("a.wav"))]),
            (name: "b", bars: 1, tempo: Some((bpm: 97.0, meter: (3, 4))), layers: [(name: "click", source: File("b.wav"))]),
        ],
        stingers: [(name: "hit", sync: NextBeat, variations: [(source: File("s.wav"))])],
        transitions: [
            (from: "a", to: "b", sync: NextBeat),
            (from: "b", to: "a", sync: EndOfLoop),
        ],
    )"#
    .into()
}

#[test]
fn clicks_land_on_the_exact_frame() {
    for sr in [44_100u32, 48_000] {
        let dir = temp_dir(&format!("clicks{sr}"));
        write_stem(&dir, "a.wav", &click_bar(sr, 120.0, 4, 0.5), sr);
        write_stem(&dir, "b.wav", &click_bar(sr, 97.0, 3, 0.25), sr);
        let mut s = vec![[0.0f32; 2]; 2000];
        s[0] = [0.125, 0.125];
        write_stem(&dir, "s.wav", &s, sr);
        let (score, bank) = load(&click_score(sr), &dir, sr);
        // Request b at an odd frame inside bar 3: NextBeat puts it mid-chunk.
        let req = 4 * sr as u64 + 12_345;
        let sting = 2 * sr as u64 + 777;
        let inputs = [
            TimedInput {
                frame: sting,
                input: Input::Stinger(0),
            },
            TimedInput {
                frame: req,
                input: Input::RequestCue(1),
            },
        ];
        let frames = 12 * sr as u64;
        let r = render(
            score,
            bank,
            &inputs,
            &RenderOptions {
                frames,
                seed: 1,
                ..Default::default()
            },
        );
        let a = TempoMap::constant(sr, 0, 120.0, 4);
        let beat = a.frame_at_tick(960);
        let t = ((req as i64 + beat - 1) / beat) * beat;
        let b = TempoMap::constant(sr, t, 97.0, 3);
        let mut want: Vec<usize> = vec![0, a.frame_at_bar(2) as usize];
        want.push(a.frame_at_tick(a.next_beat_tick(sting as i64)) as usize); // stinger on the beat
        want.extend([a.frame_at_bar(3) as usize]);
        let mut k = 1;
        while b.frame_at_bar(k) < frames as i64 {
            want.push(b.frame_at_bar(k) as usize);
            k += 1;
        }
        want.sort();
        let got = onsets(&r.mix);
        assert_eq!(
            got, want,
            "sr {sr}: onsets must equal the plan to the frame"
        );
        assert!(t % 128 != 0, "the transition lands inside a kira chunk");
        // Amplitudes identify which cue sounds: 0.5 for a, 0.25 for b.
        assert!((r.mix[t as usize][0] - 0.25).abs() < 1e-6);
        let started = r
            .events
            .iter()
            .find(|e| e.kind == EventKind::CueStarted { cue: 1 })
            .unwrap();
        assert_eq!(started.frame as i64, t);
    }
}

#[test]
fn loop_seam_equals_continuous_reference() {
    let sr = 48_000;
    let dir = temp_dir("seam");
    // 120 BPM, one 4/4 bar = 96,000 frames = exactly 440 periods of 220 Hz.
    let sine = |i: usize| (std::f64::consts::TAU * 220.0 * i as f64 / sr as f64).sin() as f32 * 0.4;
    let body: Vec<[f32; 2]> = (0..96_000).map(|i| [sine(i), sine(i)]).collect();
    write_stem(&dir, "sine.wav", &body, sr);
    let src = r#"Score(name: "seam", tempo: (bpm: 120.0), initial_cue: "a",
        cues: [(name: "a", bars: 1, layers: [(name: "sine", source: File("sine.wav"))])])"#;
    let (score, bank) = load(src, &dir, sr);
    let r = render(
        score,
        bank,
        &[],
        &RenderOptions {
            frames: 96_000 * 4,
            ..Default::default()
        },
    );
    let mut worst = 0.0f32;
    for (i, f) in r.mix.iter().enumerate() {
        worst = worst.max((f[0] - sine(i % 96_000)).abs());
    }
    assert!(
        worst < 1e-6,
        "loop differs from the continuous sine by {worst}"
    );
}

#[test]
fn crossfade_is_monotone_and_never_clips() {
    let sr = 48_000;
    let dir = temp_dir("fade");
    let len = 96_000;
    write_stem(&dir, "a.wav", &vec![[0.3, 0.3]; len], sr);
    write_stem(&dir, "b.wav", &vec![[-0.3, -0.3]; len], sr);
    let src = r#"Score(name: "fade", tempo: (bpm: 120.0), initial_cue: "a",
        cues: [
            (name: "a", bars: 1, layers: [(name: "x", source: File("a.wav"))]),
            (name: "b", bars: 1, layers: [(name: "x", source: File("b.wav"))]),
        ],
        transitions: [(from: "*", to: "*", sync: NextBar, fade_out: Beats(2.0), fade_in: Beats(2.0), shape: EqualPower)])"#;
    let (score, bank) = load(src, &dir, sr);
    let inputs = [TimedInput {
        frame: 1000,
        input: Input::RequestCue(1),
    }];
    let r = render(
        score,
        bank,
        &inputs,
        &RenderOptions {
            frames: 4 * len as u64,
            ..Default::default()
        },
    );
    // From bar 2 (frame 96,000) over 2 beats (48,000 frames) the sum goes from +0.3 to -0.3.
    let seg = &r.mix[96_000..144_000];
    assert!(
        seg.windows(2).all(|w| w[1][0] <= w[0][0] + 1e-6),
        "crossfade not monotone"
    );
    assert!((r.mix[95_999][0] - 0.3).abs() < 1e-5 && (r.mix[150_000][0] + 0.3).abs() < 1e-5);
    assert!(r.mix.iter().all(|f| f[0].is_finite() && f[0].abs() <= 1.0));
}

#[test]
fn limiter_keeps_peaks_below_full_scale_and_output_is_deterministic() {
    let sr = 44_100;
    let dir = temp_dir("limit");
    let loud: Vec<[f32; 2]> = (0..88_200)
        .map(|i| {
            let s = ((i as f32) * 0.05).sin() * 0.9;
            [s, -s]
        })
        .collect();
    write_stem(&dir, "l.wav", &loud, sr);
    let src = r#"Score(name: "loud", tempo: (bpm: 120.0), initial_cue: "a",
        parameters: [(name: "p", default: 0.5)],
        cues: [(name: "a", bars: 1, layers: [
            (name: "l1", source: File("l.wav"), gain_db: 6.0),
            (name: "l2", source: File("l.wav"), gain_db: 6.0, cutoff_curve: Some((parameter: "p", points: [(x: 0.0, y: 200.0), (x: 1.0, y: 8000.0)]))),
        ])])"#;
    let (score, bank) = load(src, &dir, sr);
    let inputs = [TimedInput {
        frame: 30_000,
        input: Input::SetParameter(0, 1.0),
    }];
    let opts = RenderOptions {
        frames: 200_000,
        seed: 9,
        stems: true,
        ..Default::default()
    };
    let r1 = render(score.clone(), bank.clone(), &inputs, &opts);
    let r2 = render(score, bank, &inputs, &opts);
    let peak = r1
        .mix
        .iter()
        .fold(0.0f32, |m, f| m.max(f[0].abs()).max(f[1].abs()));
    assert!(peak <= 1.0 && peak > 0.9, "peak {peak}");
    assert_eq!(
        r1.mix, r2.mix,
        "same input and seed must render bit-identically"
    );
    assert_eq!(r1.stem_names, vec!["l1", "l2", "stingers", "bridges"]);
    assert!(r1.stems[0].iter().any(|f| f[0].abs() > 0.5));
}

#[test]
fn real_stems_stay_in_phase_after_100_loops() {
    let Some(dir) = corpus("stems/kira-dynamic") else {
        return;
    };
    let sr = 48_000;
    let layers = ["arp", "bass", "drums", "lead", "pad"]
        .iter()
        .map(|n| {
            format!(
                "(name: \"{n}\", source: File(\"{}/{n}.ogg\"))",
                dir.display()
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let src = format!(
        r#"Score(name: "kira", tempo: (bpm: 90.0), initial_cue: "a", cues: [(name: "a", bars: 8, layers: [{layers}])])"#
    );
    let path = std::env::temp_dir().join("leitmotif-kira.score.ron");
    std::fs::write(&path, &src).unwrap();
    let score = Arc::new(leitmotif_core::Score::load(&path).unwrap());
    let mut opts = leitmotif_engine::BankOptions::for_score(&path, sr);
    opts.allow_outside = true;
    let bank = Arc::new(leitmotif_engine::SourceBank::load(&score, &opts).unwrap());
    // 8 bars at 90 BPM = 21.333 s = 1,024,000 frames at 48 kHz (940,800 at 44.1 kHz).
    let lens: Vec<usize> = bank.layers[0].iter().map(|s| s.len()).collect();
    assert!(
        lens.iter().all(|&l| l == 1_024_000),
        "resampled lengths {lens:?}"
    );
    let (mut session, mut sound, _) = leitmotif_engine::Session::new(score, bank, 0);
    let pass = 1_024_000usize;
    let window = 4_096;
    let mut buf = vec![[0.0f32; 2]; 8_192];
    let mut first = Vec::new();
    let mut pos = 0usize;
    let mut starts_at_100 = Vec::new();
    while pos < 101 * pass + window {
        let n = buf.len();
        for e in session.plan((pos + n) as u64) {
            let _ = e;
        }
        sound.render(&mut buf);
        for (k, f) in buf.iter().enumerate() {
            let p = pos + k;
            if (pass..pass + window).contains(&p) {
                first.push(*f);
            }
            if (100 * pass..100 * pass + window).contains(&p) {
                starts_at_100.push(*f);
            }
        }
        pos += n;
    }
    // Every pass restarts all five layers on the same frame: pass 100 sounds exactly as pass 1.
    assert_eq!(first.len(), window);
    assert_eq!(first, starts_at_100, "layers drifted after 100 loops");
}
