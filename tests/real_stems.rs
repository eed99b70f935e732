//! Composer-made stems (Debian's fretsonfire-songs-sectoid, fetched by
//! `scripts/fetch-real-stems`) layered and switched by the engine.

mod common;

use std::path::Path;
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, Input, TimedInput};
use leitmotif_engine::{BankOptions, RenderOptions, SourceBank, render};

#[test]
fn real_stems_layer_switch_and_bridge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("scores/real/sectoid.score.ron");
    if !root
        .join("scores/real/stems/metal_madness/song.ogg")
        .exists()
    {
        eprintln!("SKIPPED: real stems missing — run scripts/fetch-real-stems (CI does)");
        return;
    }
    let score = Arc::new(Score::load(&path).unwrap());
    let bank = Arc::new(
        SourceBank::load(&score, &BankOptions::for_score(&path, 48_000))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    // Backing and guitar of one song are the same length (after 44.1 → 48 kHz resampling).
    assert_eq!(bank.layers[0][0].len(), bank.layers[0][1].len());
    let sr = 48_000u64;
    let inputs = [
        TimedInput {
            frame: 2 * sr,
            input: Input::SetParameter(0, 1.0),
        },
        TimedInput {
            frame: 5 * sr,
            input: Input::RequestCue(1),
        },
    ];
    let frames = 60 * sr;
    let r = render(
        score.clone(),
        bank,
        &inputs,
        &RenderOptions {
            frames,
            seed: 2,
            ..Default::default()
        },
    );
    // Bars follow the song's 150 BPM tempo map exactly: 4 beats = 1.6 s = 76,800 frames.
    let bars: Vec<u64> = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Bar)
        .map(|e| e.frame)
        .take(9)
        .collect();
    assert_eq!(bars, (0..9).map(|k| k * 76_800).collect::<Vec<_>>());
    // metal -> war syncs on marker "half" (bar 9 = 12.8 s) and plays a 2-bar generated bridge.
    let bridge = r
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::TransitionStarted { .. }))
        .unwrap();
    assert_eq!(bridge.frame, 8 * 76_800);
    let war = r
        .events
        .iter()
        .find(|e| e.kind == EventKind::CueStarted { cue: 1 })
        .unwrap();
    assert!(
        war.frame > bridge.frame && war.frame < bridge.frame + 4 * sr,
        "bridge of two bars"
    );
    assert_eq!(r.bridges.len(), 1);
    // Loudness on both sides of the seam and across the bridge stays in one musical range.
    let before = common::lufs(&r.mix[(bridge.frame - 8 * sr) as usize..bridge.frame as usize]);
    let across = common::lufs(&r.mix[bridge.frame as usize..war.frame as usize]);
    let after = common::lufs(&r.mix[war.frame as usize..(war.frame + 8 * sr) as usize]);
    println!("loudness before {before:.1} LUFS, bridge {across:.1}, after {after:.1}");
    for l in [before, across, after] {
        assert!((-35.0..=-6.0).contains(&l), "{before} {across} {after}");
    }
    assert!((before - after).abs() < 10.0);
    // The generated bridge is loudness-matched to the cues it joins.
    assert!(
        (across - (before + after) / 2.0).abs() < 6.0,
        "bridge at {across:.1} LUFS between {before:.1} and {after:.1}"
    );
    let peak = r
        .mix
        .iter()
        .fold(0.0f32, |m, f| m.max(f[0].abs()).max(f[1].abs()));
    assert!(peak <= 1.0);
}

fn real_or_skip() -> Option<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root
        .join("scores/real/stems/war_of_freedom/guitar.ogg")
        .exists()
    {
        eprintln!("SKIPPED: real stems missing — run scripts/fetch-real-stems (CI does)");
        return None;
    }
    Some(root.join("scores/real/sectoid.score.ron"))
}

/// The songs (three-minute Ogg Vorbis files at 44.1 kHz) stream by default, and a render
/// that streams them is the render that holds them in memory, bit for bit, across a layer
/// move, a cue switch on a marker and a generated bridge.
#[test]
fn real_songs_stream_exactly_like_memory() {
    let Some(path) = real_or_skip() else { return };
    let score = Arc::new(Score::load(&path).unwrap());
    let opts = BankOptions::for_score(&path, 48_000);
    let streamed = Arc::new(SourceBank::load(&score, &opts).unwrap());
    let memory = Arc::new(
        SourceBank::load(
            &score,
            &BankOptions {
                stream_longer_than_s: f64::INFINITY,
                ..opts
            },
        )
        .unwrap(),
    );
    assert!(streamed.layers[0][0].is_streamed() && !memory.layers[0][0].is_streamed());
    let sr = 48_000u64;
    let inputs = [
        TimedInput {
            frame: 3 * sr,
            input: Input::SetParameter(0, 0.9),
        },
        TimedInput {
            frame: 6 * sr,
            input: Input::RequestCue(1),
        },
        TimedInput {
            frame: 30 * sr,
            input: Input::RequestCue(0),
        },
    ];
    let opts = RenderOptions {
        frames: 50 * sr,
        seed: 4,
        ..Default::default()
    };
    let a = render(score.clone(), streamed, &inputs, &opts);
    let b = render(score, memory, &inputs, &opts);
    assert_eq!(a.bridges.len(), 2);
    let first = a.mix.iter().zip(&b.mix).position(|(x, y)| x != y);
    assert_eq!(first, None, "streamed and memory renders differ");
}

/// A stream that starts in the middle of a song (a late start, a same-position entry)
/// seeks there: its frames are the whole-file decode's, bit for bit, on real Vorbis files.
#[test]
fn a_stream_started_mid_song_seeks_to_the_same_frames() {
    use leitmotif_engine::Clip;
    use leitmotif_engine::stream::Streamer;
    let Some(path) = real_or_skip() else { return };
    let score = Score::load(&path).unwrap();
    let opts = BankOptions::for_score(&path, 48_000);
    let streamed = SourceBank::load(&score, &opts).unwrap();
    let Clip::Stream(clip) = &streamed.layers[1][1] else {
        panic!("the war guitar streams")
    };
    let whole = streamed.layers[1][1].to_stem().unwrap();
    let streamer = Streamer::new();
    let mut worst = 0.0f32;
    for start in [48_000u64 * 37 + 123, 48_000 * 90, 48_000 * 150 + 47_999] {
        let mut r = streamer.open(clip, 1, start, None);
        let mut got = Vec::new();
        let t = std::time::Instant::now();
        while got.len() < 96_000 && t.elapsed().as_secs() < 20 {
            while let Ok(f) = r.ring.pop() {
                got.push(f);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        got.truncate(96_000);
        assert_eq!(got.len(), 96_000, "two seconds arrived from {start}");
        let want = &whole.frames[start as usize..start as usize + 96_000];
        for (g, w) in got.iter().zip(want) {
            worst = worst.max((g[0] - w[0]).abs()).max((g[1] - w[1]).abs());
        }
    }
    println!("mid-song seeks: largest difference from the whole decode {worst:e}");
    assert_eq!(worst, 0.0, "a seeked stream differs from the whole decode");
}
