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

/// A cut list's source-side problem is a warning: on stderr and in `cues --json`, the list
/// still read; `--strict` refuses it with exit code 2 and the location.
#[test]
fn cut_list_source_side_problems_are_warnings_unless_strict() {
    let dir = std::env::temp_dir().join(format!("leitmotif-cli-cutwarn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let edl = dir.join("avid.edl");
    // A 30 fps source timecode (frame 29) in a 24 fps list.
    std::fs::write(
        &edl,
        "TITLE: avid\n001  A001 V C 05:00:00:28 05:00:02:29 01:00:00:00 01:00:02:00\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_leitmotif"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["cues", edl.to_str().unwrap()]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("1 events"), "{stdout}");
    assert!(
        stderr.contains("warning:")
            && stderr.contains("avid.edl:2:")
            && stderr.contains("source-in"),
        "{stderr}"
    );
    let out = run(&["cues", "--json", edl.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = json["warnings"].as_array().expect("warnings in the JSON");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("event 001"))
    );
    let out = run(&["cues", "--strict", edl.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("avid.edl:2:"));
    let _ = std::fs::remove_dir_all(&dir);
}
