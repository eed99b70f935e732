//! The audio-thread path (`MusicSound::render`: ring-buffer intake, mixing, limiter) neither
//! allocates nor frees, checked by `assert_no_alloc`'s global allocator.

mod common;

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use common::*;
use leitmotif_core::conductor::{Input, TimedInput};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

#[test]
fn render_path_does_not_allocate() {
    render_without_allocating("Memory");
}

/// The streaming read path too: preload, ring reads, skips and underruns (the worker runs
/// beside it; rings are opened and dropped on the control side).
#[test]
fn streaming_read_path_does_not_allocate() {
    render_without_allocating("Stream");
}

fn render_without_allocating(mode: &str) {
    let sr = 48_000;
    let dir = temp_dir(&format!("noalloc-{mode}"));
    let tone: Vec<[f32; 2]> = (0..96_000)
        .map(|i| {
            let s = (i as f32 * 0.03).sin() * 0.3;
            [s, s]
        })
        .collect();
    write_stem(&dir, "t.wav", &tone, sr);
    let src = r#"Score(name: "na", tempo: (bpm: 120.0), initial_cue: "a",
        parameters: [(name: "p", default: 0.2, seek_speed: 2.0)],
        cues: [
            (name: "a", bars: 1, layers: [
                (name: "x", source: File("t.wav"), load: LOAD, gain_curve: Some((parameter: "p", points: [(x: 0.0, y: 0.1), (x: 1.0, y: 1.0)]))),
                (name: "y", source: File("t.wav"), load: LOAD, cutoff_curve: Some((parameter: "p", points: [(x: 0.0, y: 300.0), (x: 1.0, y: 9000.0)]))),
            ]),
            (name: "b", bars: 1, layers: [(name: "x", source: File("t.wav"), load: LOAD)]),
        ],
        stingers: [(name: "s", variations: [(source: File("t.wav"))])],
        transitions: [(from: "*", to: "*", sync: NextBeat, fade_out: Beats(1.0), fade_in: Beats(1.0)), (from: "b", to: "a", bridge: Generated(1))],
    )"#
    .replace("LOAD", mode);
    let (score, bank) = load(&src, &dir, sr);
    assert_eq!(bank.streams(), mode == "Stream");
    let (mut session, mut sound, _) = leitmotif_engine::Session::new(score, bank, 3);
    for k in 0..200u64 {
        let input = match k % 4 {
            0 => Input::SetParameter(0, (k % 10) as f32 / 10.0),
            1 => Input::RequestCue((k % 2) as usize),
            2 => Input::Stinger(0),
            _ => Input::SetDialogue((k % 3) as f32 / 2.0),
        };
        session.push(TimedInput {
            frame: k * 4_000,
            input,
        });
    }
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut pos = 0u64;
    let mut peak = 0.0f32;
    while pos < 800_000 {
        session.plan(pos + 512); // control side: may allocate
        assert_no_alloc(|| sound.render(&mut buf)); // audio side: must not
        peak = buf.iter().fold(peak, |m, f| m.max(f[0].abs()));
        pos += 512;
    }
    assert!(peak > 0.01, "something played");
}

#[test]
#[ignore = "aborts the process: run by hand to see that the guard bites"]
fn guard_bites() {
    assert_no_alloc(|| std::hint::black_box(Vec::<u8>::with_capacity(10)));
}
