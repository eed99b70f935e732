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

/// Onsets of a mono signal by spectral flux (1024-sample Hann frames, hop 256, log
/// magnitudes, half-wave rectified differences) with an adaptive threshold (the local median
/// plus a margin): (sample frame, strength), at each frame's centre.
fn spectral_onsets(x: &[f32]) -> Vec<(i64, f32)> {
    const N: usize = 1024;
    const HOP: usize = 256;
    let mut planner = realfft::RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(N);
    let window: Vec<f32> = (0..N)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / N as f32).cos())
        .collect();
    let (mut input, mut spectrum) = (fft.make_input_vec(), fft.make_output_vec());
    let mut prev = vec![0.0f32; N / 2 + 1];
    let mut flux = Vec::new();
    for start in (0..x.len().saturating_sub(N)).step_by(HOP) {
        for (d, (s, w)) in input
            .iter_mut()
            .zip(x[start..start + N].iter().zip(&window))
        {
            *d = s * w;
        }
        fft.process(&mut input, &mut spectrum).unwrap();
        let mut f = 0.0;
        for (p, c) in prev.iter_mut().zip(&spectrum) {
            let m = (1.0 + 100.0 * c.norm()).ln();
            f += (m - *p).max(0.0);
            *p = m;
        }
        flux.push(f);
    }
    let mut out = Vec::new();
    for i in 1..flux.len().saturating_sub(1) {
        let lo = i.saturating_sub(16);
        let hi = (i + 16).min(flux.len());
        let mut local: Vec<f32> = flux[lo..hi].to_vec();
        local.sort_by(f32::total_cmp);
        let median = local[local.len() / 2];
        let max = local[local.len() - 1];
        if flux[i] > flux[i - 1]
            && flux[i] >= flux[i + 1]
            && flux[i] > median + 0.3 * (max - median)
        {
            out.push(((i * HOP + N / 2) as i64, flux[i]));
        }
    }
    out
}

/// Fitting recorded music to picture: a cue of composer-made stems (150 BPM) spotted 2 s into
/// a 24 fps cut list with three hits at awkward times and a `Button` out-point. The fitter
/// stretches and ramps the stems' tempo so every hit lands within a frame of a beat, and the
/// residuals it reports agree with an onset detector run on the rendered backing stem; the
/// music is silent before its cue and stops on the out-point.
#[test]
fn recorded_stems_are_fitted_to_three_hits_and_an_out_point() {
    use leitmotif_film::spotting::parse_spotting_str_at;
    use leitmotif_film::{Format, ParseOptions, parse_str};
    use leitmotif_film::{FrameRate, autospot::timeline_start};
    use leitmotif_scoring::{FilmOptions, score_film};

    let Some(score_path) = real_or_skip() else {
        return;
    };
    let rate = FrameRate::FPS_24;
    let mut edl = String::from("TITLE: FIT\nFCM: NON-DROP FRAME\n\n");
    for (i, (a, b)) in [(0, 8), (8, 17), (17, 30)].iter().enumerate() {
        edl.push_str(&format!(
            "{:03}  AX       V     C        00:00:00:00 00:00:{:02}:00 01:00:{a:02}:00 01:00:{b:02}:00\n",
            i + 1,
            b - a
        ));
    }
    let cut = parse_str(
        &edl,
        Format::Edl,
        &ParseOptions {
            strict: false,
            rate: Some(rate),
        },
    )
    .unwrap();
    let spotting = r#"Spotting(
        cues: [(cue: "metal", at: "01:00:02:00", until: "01:00:24:11", end: Button)],
        hits: [
            (at: "01:00:07:05", name: "glass", importance: 1.0),
            (at: "01:00:13:17", name: "door", importance: 0.8),
            (at: "01:00:19:09", name: "shot", importance: 1.0),
        ],
        params: [(at: "01:00:02:00", param: "intensity", value: 1.0)],
    )"#;
    let sp = parse_spotting_str_at(spotting, false, rate, None, timeline_start(&cut)).unwrap();
    let opts = FilmOptions {
        tail_seconds: 1.0,
        ..FilmOptions::default()
    };
    let score = Score::load(&score_path).unwrap();
    let written = score.tempo.bpm;
    // Without room to move the tempo, the song's own grid misses the hits.
    let fixed = FilmOptions {
        tempo_range: 0.0,
        ..opts.clone()
    };
    let unfitted = score_film(&cut, score.clone(), &sp, &score_path, &fixed, None).unwrap();
    let worst = unfitted
        .hit_residuals(&sp, rate)
        .iter()
        .map(|r| r.frames.abs())
        .max();
    assert!(
        worst > Some(1),
        "the hits were on the song's grid already: {worst:?}"
    );
    let film = score_film(&cut, score, &sp, &score_path, &opts, None).unwrap();
    let sr = film.sample_rate as i64;
    let frame = sr / 24;
    // The fit moved the tempo (a constant 150 BPM meets none of these hits), within ±8 %.
    let placed = &film.placed[0];
    assert!(!placed.ramps.is_empty(), "{placed:?}");
    for bpm in std::iter::once(placed.bpm).chain(placed.ramps.iter().map(|r| r.bpm)) {
        assert!((bpm / written - 1.0).abs() <= 0.08 + 1e-9, "{bpm} BPM");
    }
    // Every hit within ±1 frame of a beat.
    let residuals = film.hit_residuals(&sp, rate);
    assert_eq!(residuals.len(), 3);
    for r in &residuals {
        assert!(r.frames.abs() <= 1, "{} is {} frames off", r.name, r.frames);
    }
    // An onset detector on the rendered backing stem hears the beat where the report says.
    let idx = film
        .render
        .stem_names
        .iter()
        .position(|n| n == "backing")
        .unwrap();
    let backing: Vec<f32> = film.render.stems[idx]
        .iter()
        .map(|f| 0.5 * (f[0] + f[1]))
        .collect();
    let onsets = spectral_onsets(&backing);
    let beat = (60.0 / written * sr as f64) as i64;
    for r in &residuals {
        // The strongest onset within a quarter beat of the hit (the song's eighth notes are as
        // loud as its beats: half a beat away would find those).
        let (onset, _) = onsets
            .iter()
            .filter(|(o, _)| (o - r.sample).abs() <= beat / 4)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or_else(|| panic!("no onset near {}", r.name));
        let heard = (onset - r.sample) as f64 / frame as f64;
        eprintln!(
            "hit {}: report {} frames ({} samples), onset detector {heard:.2} frames",
            r.name, r.frames, r.samples
        );
        assert!(
            (heard - r.samples as f64 / frame as f64).abs() <= 1.0,
            "{}: the report says {} frames, the onset detector hears {heard:.2}",
            r.name,
            r.frames
        );
    }
    let mix = &film.render.mix;
    let rms = |a: i64, b: i64| {
        let s = &mix[a as usize..b as usize];
        (s.iter().map(|f| f[0] * f[0] + f[1] * f[1]).sum::<f32>() / (2 * s.len()) as f32).sqrt()
    };
    // Nothing before the cue's frame (the score's initial cue does not play from frame 0).
    let bar1 = 2 * sr;
    assert!(
        mix[..bar1 as usize]
            .iter()
            .all(|f| f[0] == 0.0 && f[1] == 0.0)
    );
    assert!(rms(bar1, bar1 + sr) > 0.01);
    // Playing up to the out-point, released a beat after it, then silent.
    let out = (24 * 24 + 11) * frame;
    let last = placed.ramps.last().map_or(placed.bpm, |r| r.bpm);
    let release = (60.0 / last * sr as f64) as i64;
    assert!(rms(out - sr / 2, out) > 0.01);
    let after = rms(out + release + sr / 20, out + release + sr);
    assert!(after < 1e-4, "music after the out-point: rms {after}");
    // A bar line on the out-point, within a frame.
    let bar = film
        .render
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Bar)
        .map(|e| e.frame as i64)
        .min_by_key(|b| (b - out).abs())
        .unwrap();
    assert!(
        (bar - out).abs() <= frame,
        "bar line {} samples from the out-point",
        bar - out
    );
}
