#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! Streaming stems: time to first sound, memory while 64 three-minute stems play, and a film
//! render of real songs side by side with an ffmpeg script doing the same mix in the same run.
//!
//! Real songs: Debian's fretsonfire-songs-sectoid (`scripts/fetch-real-stems`), 44.1 kHz Ogg
//! Vorbis, two stems per song. Long synthetic stems are written with ffmpeg at bench time into
//! the target folder. Without ffmpeg or the songs, the parts that need them say SKIPPED.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use leitmotif_core::Score;
use leitmotif_engine::wav::{WavFormat, WavWriter};
use leitmotif_engine::{BankOptions, Driver, SourceBank};
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::parse_spotting_str_at;
use leitmotif_film::{Format, FrameRate, ParseOptions, parse_str};
use leitmotif_scoring::{FilmOptions, score_film};

const SR: u32 = 48_000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    let d = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("bench-stream");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn has_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn real_songs() -> Option<PathBuf> {
    let p = root().join("scores/real/sectoid.score.ron");
    root()
        .join("scores/real/stems/war_of_freedom/guitar.ogg")
        .exists()
        .then_some(p)
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A score with one cue of 64 layers, each a distinct three-minute Ogg file (written once).
fn sixty_four() -> PathBuf {
    let dir = work_dir();
    let one = dir.join("long.ogg");
    if !one.exists() {
        let ok = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg("sine=frequency=220:duration=180:sample_rate=44100")
            .args(["-f", "lavfi", "-i", "anoisesrc=d=180:c=pink:r=44100:a=0.05"])
            .args([
                "-filter_complex",
                "[0][1]amix=inputs=2,aformat=channel_layouts=stereo",
            ])
            .args(["-c:a", "libvorbis", "-q:a", "3"])
            .arg(&one)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg could not write {}", one.display());
    }
    let mut layers = String::new();
    for i in 0..64 {
        let f = dir.join(format!("long{i:02}.ogg"));
        if !f.exists() {
            std::fs::copy(&one, &f).unwrap();
        }
        layers.push_str(&format!(
            "(name: \"l{i}\", source: File(\"long{i:02}.ogg\"), gain_db: -30.0),"
        ));
    }
    let src = format!(
        "Score(name: \"64\", tempo: (bpm: 120.0), initial_cue: \"a\", cues: [(name: \"a\", bars: 90, layers: [{layers}])])"
    );
    let path = dir.join("sixty_four.score.ron");
    std::fs::write(&path, src).unwrap();
    path
}

/// Load the score and its bank, start the driver, render the first block.
fn first_sound(path: &Path) -> Duration {
    let t = Instant::now();
    let score = Arc::new(Score::load(path).unwrap());
    let bank = Arc::new(SourceBank::load(&score, &BankOptions::for_score(path, SR)).unwrap());
    let mut d = Driver::new(score, bank, 0);
    let mut buf = [[0.0f32; 2]; 512];
    d.render(&mut buf, None);
    t.elapsed()
}

/// The 55-second cut list: one song, then the other, at 24 fps.
const EDL: &str = "TITLE: TWO SONGS\nFCM: NON-DROP FRAME\n\n\
001  A001     V     C        01:00:00:00 01:00:27:12 01:00:00:00 01:00:27:12\n\
002  A002     V     C        01:00:00:00 01:00:27:12 01:00:27:12 01:00:55:00\n";
const SPOTTING: &str = r#"Spotting(cues: [
    (cue: "metal", at: "01:00:00:00"),
    (cue: "war", at: "01:00:27:12"),
])"#;

/// Leitmotif's film render of the two songs, mix written as 24-bit WAV.
fn leitmotif_film(score_path: &Path, out: &Path) -> Duration {
    let t = Instant::now();
    let opts = ParseOptions {
        strict: false,
        rate: Some(FrameRate::FPS_24),
    };
    let cut = parse_str(EDL, Format::Edl, &opts).unwrap();
    let spotting =
        parse_spotting_str_at(SPOTTING, false, cut.rate, None, timeline_start(&cut)).unwrap();
    let score = Score::load(score_path).unwrap();
    let mut w = WavWriter::create(out, SR, WavFormat::Int24, None).unwrap();
    let mut sink = |_: u64, mix: &[[f32; 2]], _: &[Vec<[f32; 2]>]| w.write(mix).unwrap();
    let film_opts = FilmOptions {
        tail_seconds: 0.0,
        ..FilmOptions::default()
    };
    score_film(
        &cut,
        score,
        &spotting,
        score_path,
        &film_opts,
        Some(&mut sink),
    )
    .unwrap();
    w.finish().unwrap();
    t.elapsed()
}

/// The same mix by ffmpeg: both stems of each song trimmed to its span (the second delayed to
/// its cut), the guitar at the gain its curve gives at the default intensity, summed,
/// resampled to 48 kHz and written as 24-bit WAV.
fn ffmpeg_film(out: &Path) -> Duration {
    let stems = root().join("scores/real/stems");
    let t = Instant::now();
    let ok = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .arg("-i")
        .arg(stems.join("metal_madness/song.ogg"))
        .arg("-i")
        .arg(stems.join("metal_madness/guitar.ogg"))
        .arg("-i")
        .arg(stems.join("war_of_freedom/song.ogg"))
        .arg("-i")
        .arg(stems.join("war_of_freedom/guitar.ogg"))
        .arg("-filter_complex")
        .arg(
            "[0]atrim=0:27.5[a];[1]atrim=0:27.5,volume=0.97[b];\
             [2]atrim=0:27.5,adelay=27500|27500[c];[3]atrim=0:27.5,volume=0.5,adelay=27500|27500[d];\
             [a][b][c][d]amix=inputs=4:normalize=0,aresample=48000,atrim=0:55",
        )
        .args(["-c:a", "pcm_s24le"])
        .arg(out)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "the ffmpeg script failed");
    t.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn streaming(c: &mut Criterion) {
    let ffmpeg = has_ffmpeg();
    let songs = real_songs();
    if !ffmpeg {
        println!("SKIPPED: ffmpeg missing (Debian ffmpeg): no 64-stem or ffmpeg-baseline figures");
    }
    if songs.is_none() {
        println!("SKIPPED: real songs missing — run scripts/fetch-real-stems");
    }
    let mut g = c.benchmark_group("stream");
    g.sample_size(10);
    // The bundled scores (noir's parts play live: nothing is synthesised at load).
    for name in ["noir", "stealth", "arcade"] {
        let p = root().join(format!("scores/{name}.score.ron"));
        let t = median((0..5).map(|_| first_sound(&p)).collect());
        println!(
            "{name}: first sound {:.1} ms (median of 5)",
            t.as_secs_f64() * 1e3
        );
    }
    if let Some(p) = &songs {
        g.bench_function("first_sound_sectoid", |b| b.iter(|| first_sound(p)));
    }
    if ffmpeg {
        let p = sixty_four();
        let f = work_dir().join("long00.ogg");
        let t = Instant::now();
        let seg = leitmotif_engine::bank::resample::Segments::open(&f, SR).unwrap();
        let t1 = t.elapsed();
        let _clip = leitmotif_engine::stream::StreamClip::from_segments(&f, seg).unwrap();
        println!(
            "one stem: header {:.2} ms, header + preload {:.2} ms",
            t1.as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
        let before = rss_mb();
        let t = first_sound(&p);
        println!("RSS after one first_sound: {:.0} MB", rss_mb());
        println!(
            "64 three-minute stems: first sound {:.1} ms",
            t.as_secs_f64() * 1e3
        );
        g.bench_function("first_sound_64_stems", |b| b.iter(|| first_sound(&p)));
        // Memory while all 64 play: 30 s of music through the offline driver.
        let score = Arc::new(Score::load(&p).unwrap());
        let bank = Arc::new(SourceBank::load(&score, &BankOptions::for_score(&p, SR)).unwrap());
        let loaded = rss_mb();
        println!(
            "{} of 64 stems stream",
            bank.layers[0].iter().filter(|c| c.is_streamed()).count()
        );
        let mut d = Driver::new(score, bank, 0);
        let mut buf = vec![[0.0f32; 2]; 1024];
        let mut peak = loaded;
        let t = Instant::now();
        for k in 0..(30 * SR as usize / 1024) {
            d.render(&mut buf, None);
            if k % 64 == 0 {
                peak = peak.max(rss_mb());
            }
        }
        let took = t.elapsed().as_secs_f64();
        println!(
            "64 three-minute stems streaming: RSS {before:.0} MB before load, {loaded:.0} MB loaded, \
             {peak:.0} MB peak while playing; 30 s rendered in {took:.2} s ({:.0}x realtime), {} voices",
            30.0 / took,
            d.shared().voices.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    if let (Some(p), true) = (&songs, ffmpeg) {
        let t = Instant::now();
        let score = Score::load(p).unwrap();
        let _bank = SourceBank::load(&score, &BankOptions::for_score(p, SR)).unwrap();
        println!(
            "sectoid bank load {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
        drop(_bank);
        let dir = work_dir();
        let (ours, theirs) = (dir.join("film-leitmotif.wav"), dir.join("film-ffmpeg.wav"));
        let mut a = Vec::new();
        let mut b = Vec::new();
        for _ in 0..5 {
            a.push(leitmotif_film(p, &ours));
            b.push(ffmpeg_film(&theirs));
        }
        let (ma, mb) = (median(a), median(b));
        println!(
            "film render of two real songs (55 s): leitmotif {:.3} s, ffmpeg script {:.3} s (medians of 5 pairs): ratio {:.2}",
            ma.as_secs_f64(),
            mb.as_secs_f64(),
            ma.as_secs_f64() / mb.as_secs_f64()
        );
        g.bench_function("film_real_songs_leitmotif", |bn| {
            bn.iter(|| leitmotif_film(p, &ours))
        });
        g.bench_function("film_real_songs_ffmpeg_script", |bn| {
            bn.iter(|| ffmpeg_film(&theirs))
        });
    }
    g.finish();
}

criterion_group!(benches, streaming);
criterion_main!(benches);
