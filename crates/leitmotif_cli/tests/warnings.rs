//! Load warnings reach the user: `leitmotif check --stems` prints them and still succeeds.

use std::process::Command;

#[test]
fn a_stem_within_the_length_tolerance_is_a_printed_warning() {
    let dir = std::env::temp_dir().join(format!("leitmotif-cli-warnings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // One bar of 4/4 at 120 BPM is 2 s; the stem is 10 ms short (the tolerance is 20 ms).
    let frames = 2 * 48_000 - 480;
    let mut wav: Vec<u8> = Vec::new();
    let data = (frames * 4) as u32;
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 2] {
        wav.extend_from_slice(&v.to_le_bytes());
    }
    for v in [48_000u32, 48_000 * 4] {
        wav.extend_from_slice(&v.to_le_bytes());
    }
    for v in [4u16, 16] {
        wav.extend_from_slice(&v.to_le_bytes());
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    for i in 0..frames {
        let s = ((i as f32 * 0.05).sin() * 8000.0) as i16;
        wav.extend_from_slice(&s.to_le_bytes());
        wav.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(dir.join("pad.wav"), wav).unwrap();
    let score = dir.join("w.score.ron");
    std::fs::write(
        &score,
        r#"Score(name: "w", tempo: (bpm: 120.0), initial_cue: "a",
  cues: [(name: "a", bars: 1, layers: [(name: "pad", source: File("pad.wav"))])])"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leitmotif"))
        .args(["check", "--stems", score.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning:") && err.contains("pad.wav") && err.contains("ms too short"),
        "{err}"
    );
}
