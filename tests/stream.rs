//! Streamed stems, from the outside: a stem streamed from disk renders exactly like the same
//! stem held in memory (seams of 100 loop passes included), a stalled disk gives exactly the
//! silence it missed plus an underrun report and the following audio on its frame, and a
//! file that breaks while it plays is reported, not a panic.

mod common;

use std::sync::Arc;

use common::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{Input, TimedInput};
use leitmotif_engine::{BankOptions, Clip, Driver, RenderOptions, SourceBank, render};

const SR: u32 = 48_000;

/// 2.5 s at 44.1 kHz (resampled on the way in): a chord with a slow sweep and a click every
/// 0.25 s, so any shifted, dropped or repeated frame shows.
fn material() -> Vec<[f32; 2]> {
    (0..110_250)
        .map(|i| {
            let t = i as f64 / 44_100.0;
            let sweep = (std::f64::consts::TAU * (200.0 * t + 300.0 * t * t)).sin();
            let chord = (std::f64::consts::TAU * 330.0 * t).sin()
                + (std::f64::consts::TAU * 415.3 * t).sin();
            let click = if i % 11_025 < 8 { 0.4 } else { 0.0 };
            let l = 0.15 * sweep + 0.1 * chord + click;
            let r = 0.15 * chord - 0.1 * sweep + click;
            [l as f32, r as f32]
        })
        .collect()
}

/// 30 s of the material as `x.wav` (at 44.1 kHz).
fn write_long(dir: &std::path::Path) {
    let one = material();
    let long: Vec<[f32; 2]> = one.iter().cycle().take(44_100 * 30).copied().collect();
    write_stem(dir, "x.wav", &long, 44_100);
}

/// The long score over `x.wav`, streamed, without the filtered layer.
fn long_score() -> String {
    with_filter("Stream", false, false).replace("bars: 1", "bars: 12")
}

fn score(load: &str, looping: bool) -> String {
    with_filter(load, looping, true)
}

/// The score; without the filtered layer, nothing has memory across a gap but the gains
/// (so frames after a gap can equal the reference's exactly).
fn with_filter(load: &str, looping: bool, filter: bool) -> String {
    let y = if filter {
        format!(
            r#"(name: "y", source: File("x.wav"), load: {load}, pan: 0.3,
                 cutoff_curve: Some((parameter: "p", points: [(x: 0.0, y: 500.0), (x: 1.0, y: 12000.0)]))),"#
        )
    } else {
        String::new()
    };
    format!(
        r#"Score(name: "stream", tempo: (bpm: 96.0), initial_cue: "a",
        parameters: [(name: "p", default: 0.5, seek_speed: 4.0)],
        cues: [
            (name: "a", bars: 1, looping: {looping}, layers: [
                (name: "x", source: File("x.wav"), load: {load},
                 gain_curve: Some((parameter: "p", points: [(x: 0.0, y: 0.2), (x: 1.0, y: 1.0)]))),
                {y}
            ]),
        ],
    )"#
    )
}

fn bank(dir: &std::path::Path, src: &str) -> (Arc<Score>, Arc<SourceBank>) {
    let path = dir.join(format!("{}.score.ron", src.len()));
    std::fs::write(&path, src).unwrap();
    let score = Score::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let bank = SourceBank::load(&score, &BankOptions::for_score(&path, SR)).unwrap();
    (Arc::new(score), Arc::new(bank))
}

fn moves(frames: u64) -> Vec<TimedInput> {
    (0..frames / 30_000)
        .map(|k| TimedInput {
            frame: k * 30_000 + 17,
            input: Input::SetParameter(0, ((k * 7) % 10) as f32 / 10.0),
        })
        .collect()
}

#[test]
fn streamed_equals_memory_over_100_loop_passes() {
    let dir = temp_dir("stream-loop");
    write_stem(&dir, "x.wav", &material(), 44_100);
    let (sc, streamed) = bank(&dir, &score("Stream", true));
    let (_, memory) = bank(&dir, &score("Memory", true));
    assert!(matches!(streamed.layers[0][0], Clip::Stream(_)));
    assert!(matches!(memory.layers[0][0], Clip::Memory(_)));
    assert_eq!(streamed.layers[0][0].len(), memory.layers[0][0].len());
    let pass = memory.layers[0][0].len() as u64;
    assert_eq!(pass, 120_000, "2.5 s at 48 kHz");
    let frames = 100 * pass + 1_000;
    let opts = RenderOptions {
        frames,
        seed: 9,
        block: 777,
        ..Default::default()
    };
    let inputs = moves(frames);
    let a = render(sc.clone(), streamed, &inputs, &opts);
    let b = render(sc, memory, &inputs, &opts);
    assert_eq!(a.mix.len(), b.mix.len());
    let first = a.mix.iter().zip(&b.mix).position(|(x, y)| x != y);
    assert_eq!(first, None, "streamed and memory renders differ");
    // Seams on their frames: with nothing moving, pass 99 is pass 1, frame for frame.
    let (sc, streamed) = bank(&dir, &with_filter("Stream", true, false));
    let still = render(sc, streamed, &[], &opts).mix;
    let p = pass as usize;
    assert!(
        still[p..2 * p] == still[99 * p..100 * p],
        "pass 99 differs from pass 1"
    );
    let peak = a.mix.iter().fold(0.0f32, |m, f| m.max(f[0].abs()));
    assert!(peak > 0.1, "something played ({peak})");
}

#[test]
fn stalled_disk_gives_exactly_the_missed_silence_then_the_right_frames() {
    let dir = temp_dir("stream-stall");
    // 30 s, so the stall falls in the ring, well past the preload.
    write_long(&dir);
    let src = long_score();
    let (score_s, streamed) = bank(&dir, &src);
    let (_, memory) = bank(&dir, &src.replace("Stream", "Memory"));
    let total = 10 * SR as u64;
    let inputs = moves(total);
    let reference = render(
        score_s.clone(),
        memory,
        &inputs,
        &RenderOptions {
            frames: total,
            block: 512,
            ..Default::default()
        },
    );
    let mut driver = Driver::new(score_s, streamed, 0);
    for i in &inputs {
        driver.push(i.clone());
    }
    let mut mix = Vec::new();
    let mut buf = vec![[0.0f32; 2]; 512];
    let stall = (3 * SR) as u64..(5 * SR) as u64;
    while (mix.len() as u64) < total {
        let at = mix.len() as u64;
        if (at..at + 512).contains(&stall.start) {
            // The worker has had real time to fill the ring (as it does ahead of a device);
            // then the disk stops and the audio goes on in real time (no waiting).
            std::thread::sleep(std::time::Duration::from_millis(200));
            driver.session().streamer().unwrap().set_stalled(true);
            driver.set_wait_for_streams(false);
        }
        if (at..at + 512).contains(&stall.end) {
            driver.session().streamer().unwrap().set_stalled(false);
            driver.set_wait_for_streams(true);
        }
        driver.render(&mut buf, None);
        mix.extend_from_slice(&buf);
    }
    let o = driver.shared().overloads();
    assert!(o.underruns > 0, "the stall was reported: {o:?}");
    // Exactly the frames reported missing are silent, in one run inside the stall, and every
    // other frame is the memory render's.
    let differ: Vec<usize> = (0..total as usize)
        .filter(|&i| mix[i] != reference.mix[i])
        .collect();
    let (&lo, &hi) = (differ.first().unwrap(), differ.last().unwrap());
    assert!(
        lo as u64 >= stall.start && (hi as u64) < stall.end + 512,
        "differences {lo}..={hi} outside the stall"
    );
    assert!(
        mix[lo..=hi].iter().all(|f| *f == [0.0, 0.0]),
        "the gap is silence"
    );
    let gap = (hi - lo + 1) as u64;
    println!(
        "2 s disk stall: {gap} frames of silence from frame {lo}, {} underrun reports",
        o.underruns
    );
    assert_eq!(
        gap, o.underrun_frames,
        "silent frames = frames reported missing"
    );
    // The ring held about half a second when the disk stopped: the rest of the stall is the gap.
    assert!(
        gap > SR as u64 / 2 && gap < (3 * SR / 2) as u64 + 512,
        "gap of {gap} frames"
    );
    assert_eq!(o.stream_errors, 0);
}

#[test]
fn a_file_truncated_while_it_streams_is_reported_not_a_panic() {
    let dir = temp_dir("stream-truncate");
    write_long(&dir);
    let src = score("Stream", false).replace("bars: 1", "bars: 12");
    let (score_s, streamed) = bank(&dir, &src);
    let mut driver = Driver::new(score_s, streamed, 0);
    let mut buf = vec![[0.0f32; 2]; 1024];
    let mut heard_after = 0.0f32;
    for block in 0..(20 * SR as usize / 1024) {
        if block == SR as usize / 1024 {
            // One second in: the file loses all but its first 3 seconds.
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(dir.join("x.wav"))
                .unwrap();
            f.set_len(44 + 3 * 44_100 * 8).unwrap();
        }
        driver.render(&mut buf, None);
        if block > 10 * SR as usize / 1024 {
            heard_after = buf.iter().fold(heard_after, |m, f| m.max(f[0].abs()));
        }
    }
    let o = driver.shared().overloads();
    assert_eq!(heard_after, 0.0, "silence where the audio is missing");
    assert!(
        o.stream_errors > 0 || o.underrun_frames > 0,
        "the truncation was reported: {o:?}"
    );
    assert!(!driver.shared().failed(), "no panic on the audio side");
}

#[test]
fn a_stream_started_mid_file_seeks_to_the_same_frames() {
    use leitmotif_engine::stream::Streamer;
    let dir = temp_dir("stream-seek");
    write_long(&dir);
    let (_, streamed) = bank(&dir, &long_score());
    let Clip::Stream(clip) = &streamed.layers[0][0] else {
        panic!("streams")
    };
    let whole = streamed.layers[0][0].to_stem().unwrap();
    let streamer = Streamer::new();
    for start in [48_000u64 * 7 + 5, 48_000 * 20, 48_000 * 28 + 47_999] {
        let mut r = streamer.open(clip, 1, start, None);
        let want = &whole.frames[start as usize..(start as usize + 48_000).min(whole.len())];
        let mut got = Vec::new();
        let t = std::time::Instant::now();
        while got.len() < want.len() && t.elapsed().as_secs() < 20 {
            while let Ok(f) = r.ring.pop() {
                got.push(f);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        got.truncate(want.len());
        assert!(
            got == want,
            "stream from {start} differs from the whole decode"
        );
    }
}

/// A hot reload (the same score loaded again while the first bank lives) reuses every
/// unchanged stem instead of decoding it again; a file changed on disk is read anew.
#[test]
fn a_reload_reuses_unchanged_stems() {
    let dir = temp_dir("stream-reuse");
    write_stem(&dir, "x.wav", &material(), 44_100);
    let src = score("Memory", true);
    let (_, first) = bank(&dir, &src);
    let (_, again) = bank(&dir, &src);
    let (Clip::Memory(a), Clip::Memory(b)) = (&first.layers[0][0], &again.layers[0][0]) else {
        panic!("memory stems")
    };
    assert!(Arc::ptr_eq(a, b), "the unchanged stem was decoded again");
    // Rewritten (another length — 10 ms short, within the stem-length tolerance — and a
    // later modification time): decoded anew.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let m = material();
    write_stem(&dir, "x.wav", &m[..m.len() - 441], 44_100);
    let (_, changed) = bank(&dir, &src.replace("looping: true", "looping: false"));
    let Clip::Memory(c) = &changed.layers[0][0] else {
        panic!("memory stem")
    };
    assert!(!Arc::ptr_eq(a, c), "a changed file was not read again");
    assert_ne!(a.len(), c.len());
}

/// A stem deleted after its score loaded (e.g. during a hot reload): the voice plays its
/// preload, then silence; the failure is counted, nothing panics.
#[test]
fn a_stem_deleted_after_load_is_reported_not_a_panic() {
    let dir = temp_dir("stream-deleted");
    write_long(&dir);
    let src = long_score();
    let (sc, streamed) = bank(&dir, &src);
    std::fs::remove_file(dir.join("x.wav")).unwrap();
    let mut d = Driver::new(sc, streamed, 0);
    let mut mix = Vec::new();
    let mut buf = [[0.0f32; 2]; 512];
    while mix.len() < 3 * SR as usize {
        d.render(&mut buf, None);
        mix.extend_from_slice(&buf);
    }
    let loud = |from: usize, to: usize| mix[from..to].iter().fold(0.0f32, |m, f| m.max(f[0].abs()));
    assert!(loud(0, 20_000) > 0.05, "the preload plays");
    assert_eq!(loud(24_000, mix.len()), 0.0, "then silence, not noise");
    let o = d.shared().overloads();
    assert_eq!(o.stream_errors, 1, "the lost file is reported once: {o:?}");
    assert!(!d.shared().failed());
}
