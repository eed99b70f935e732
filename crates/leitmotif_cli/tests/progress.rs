//! `leitmotif render`'s progress bar: stage, percentage and time left on a terminal, and not
//! a byte of it when standard error is a pipe.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SCORE: &str = r#"Score(
    name: "progress",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "a",
    cues: [(name: "a", bars: 2, layers: [(name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3)))])],
)
"#;

/// 12 seconds at 25 fps.
const EDL: &str = "TITLE: progress\nFCM: NON-DROP FRAME\n\n001  AX       V     C        01:00:00:00 01:00:12:00 01:00:00:00 01:00:12:00\n";

fn setup(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("leitmotif-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("s.score.ron"), SCORE).unwrap();
    std::fs::write(d.join("film.edl"), EDL).unwrap();
    d
}

fn render_args(out: &str) -> Vec<String> {
    [
        "render",
        "--score",
        "s.score.ron",
        "--cues",
        "film.edl",
        "--fps",
        "25",
        "--loudness",
        "-23",
        "-o",
        out,
    ]
    .map(String::from)
    .to_vec()
}

/// Every "N%" in `text`, in order.
fn percentages(text: &str) -> Vec<u32> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('%') {
        let start = (0..i).rev().take_while(|&k| b[k].is_ascii_digit()).last();
        if let Some(s) = start {
            out.push(text[s..i].parse().unwrap());
        }
    }
    out
}

#[test]
fn a_piped_stderr_gets_no_progress_bar() {
    let dir = setup("progress-pipe");
    let out = Command::new(env!("CARGO_BIN_EXE_leitmotif"))
        .args(render_args("out"))
        .current_dir(&dir)
        // A terminal type that would draw, were stderr a terminal.
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .output()
        .expect("running leitmotif");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(dir.join("out/mix.wav").exists());
    for (what, text) in [("stderr", &stderr), ("stdout", &stdout)] {
        assert!(
            !text.contains('\x1b') && !text.contains('\r'),
            "escape codes on {what}: {text:?}"
        );
        for word in ["%", "ETA", "measuring loudness", "[==", "=>"] {
            assert!(!text.contains(word), "{word:?} on {what}: {text:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether util-linux's `script` (a pseudo-terminal for a command) is here.
fn have_script() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn on_a_terminal_the_bar_shows_each_stage_and_reaches_100_percent() {
    if !have_script() {
        eprintln!("SKIPPED: util-linux `script` is not installed (no pseudo-terminal to test on)");
        return;
    }
    let dir = setup("progress-tty");
    let exe = Path::new(env!("CARGO_BIN_EXE_leitmotif"));
    let cmd = std::iter::once(exe.to_str().unwrap().to_string())
        .chain(render_args("out"))
        .map(|a| quoted(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(&dir)
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("running script");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{tty}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("out/mix.wav").exists(), "{tty}");
    for stage in [
        "measuring loudness",
        "rendering",
        "writing deliverables",
        "ETA",
    ] {
        assert!(tty.contains(stage), "no {stage:?} in {tty:?}");
    }
    let pct = percentages(&tty);
    assert!(pct.contains(&100), "no 100% in {pct:?}: {tty:?}");
    assert!(pct.iter().all(|&p| p <= 100), "{pct:?}");
    assert!(
        pct.windows(2).all(|w| w[0] <= w[1]),
        "percentages go back: {pct:?}"
    );
    // Drawn in place (carriage returns or cursor moves) and cleared at the end.
    assert!(tty.contains('\x1b') || tty.contains('\r'), "{tty:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
