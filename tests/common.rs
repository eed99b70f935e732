//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_engine::{BankOptions, SourceBank, wav};

/// The shared corpus, or `None` with a loud message.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: corpus folder {} is missing", p.display());
        None
    }
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("leitmotif-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes a float WAV.
pub fn write_stem(dir: &Path, name: &str, frames: &[[f32; 2]], sr: u32) {
    wav::write_wav(&dir.join(name), frames, sr, wav::WavFormat::Float32, None).unwrap();
}

/// Parses a score and loads its bank from `dir`.
pub fn load(src: &str, dir: &Path, sr: u32) -> (Arc<Score>, Arc<SourceBank>) {
    let path = dir.join("test.score.ron");
    std::fs::write(&path, src).unwrap();
    let score = Score::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let bank = SourceBank::load(&score, &BankOptions::for_score(&path, sr))
        .unwrap_or_else(|e| panic!("{e}"));
    (Arc::new(score), Arc::new(bank))
}

/// Frames where the signal (left channel) jumps from silence to non-silence.
pub fn onsets(mix: &[[f32; 2]]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev = 0.0f32;
    for (i, f) in mix.iter().enumerate() {
        if f[0].abs() > 1e-4 && prev.abs() <= 1e-4 {
            out.push(i);
        }
        prev = f[0];
    }
    out
}

/// EBU R128 integrated loudness of 48 kHz stereo frames, in LUFS.
pub fn lufs(frames: &[[f32; 2]]) -> f64 {
    let mut m = ebur128::EbuR128::new(2, 48_000, ebur128::Mode::I).unwrap();
    let inter: Vec<f32> = frames.iter().flat_map(|f| [f[0], f[1]]).collect();
    m.add_frames_f32(&inter).unwrap();
    m.loudness_global().unwrap()
}

/// A tempo cue at `frame`.
pub fn tempo_cue(
    frame: u64,
    bpm: f64,
    ramp_beats: u32,
    sync: leitmotif_core::score::Sync,
) -> leitmotif_core::conductor::TimedInput {
    leitmotif_core::conductor::TimedInput {
        frame,
        input: leitmotif_core::conductor::Input::TempoCue {
            bpm,
            ramp_beats,
            sync,
        },
    }
}

/// Writes `stems` (48 kHz float WAVs) beside a score `src`, loads both and renders `frames`
/// frames offline with seed 1 and `inputs`; the folder is removed afterwards.
pub fn render_stems(
    src: &str,
    name: &str,
    stems: &[(&str, Vec<[f32; 2]>)],
    inputs: &[leitmotif_core::conductor::TimedInput],
    frames: usize,
) -> leitmotif_engine::OfflineRender {
    let sr = 48_000;
    let dir = temp_dir(name);
    for (file, s) in stems {
        write_stem(&dir, file, s, sr);
    }
    let (score, bank) = load(src, &dir, sr);
    let r = leitmotif_engine::render(
        score,
        bank,
        inputs,
        &leitmotif_engine::RenderOptions {
            frames: frames as u64,
            seed: 1,
            ..Default::default()
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
    r
}
