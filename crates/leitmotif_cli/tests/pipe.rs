//! CLI manners: a reader that has gone (`leitmotif … | head -1`) is no error. Every
//! subcommand that writes to standard output exits 0 with nothing on stderr when the pipe is
//! closed before it writes, still does its work, and still fails when its work fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `leitmotif args` with standard output a pipe whose reading end is already closed.
fn closed_stdout(args: &[&str], dir: &Path) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_leitmotif"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("running leitmotif")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("leitmotif-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const SCORE: &str = r#"Score(
    name: "pipe",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "a",
    cues: [(name: "a", bars: 1, layers: [(name: "pad", source: Silence)])],
)
"#;

const EDL: &str = "TITLE: ok\nFCM: NON-DROP FRAME\n\n001  AX       V     C        01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00\n";

fn assert_quiet_success(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
    assert!(stderr.is_empty(), "{what}: stderr {stderr:?}");
}

#[test]
fn a_closed_pipe_exits_0_silently_and_the_work_still_happens() {
    let dir = temp("pipe");
    std::fs::write(dir.join("s.score.ron"), SCORE).unwrap();
    std::fs::write(dir.join("film.edl"), EDL).unwrap();
    let edl = root().join("scores/demo/last_train.edl");
    let edl = edl.to_str().unwrap();
    for args in [
        &["cues", edl, "--fps", "29.97df"][..],
        &["cues", edl, "--fps", "29.97df", "--json"],
        &["check", "s.score.ron"],
    ] {
        assert_quiet_success(&closed_stdout(args, &dir), &args.join(" "));
    }
    assert_quiet_success(
        &closed_stdout(&["stems", "s.score.ron", "-o", "stems"], &dir),
        "stems",
    );
    assert!(
        dir.join("stems/a-pad.wav").exists(),
        "stems were not written"
    );
    let render = [
        "render",
        "--score",
        "s.score.ron",
        "--cues",
        "film.edl",
        "--fps",
        "25",
        "-o",
        "out",
    ];
    assert_quiet_success(&closed_stdout(&render, &dir), "render");
    assert!(dir.join("out/mix.wav").exists(), "render wrote no mix");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_pipe_does_not_hide_a_failure() {
    let dir = temp("pipe-fail");
    std::fs::write(dir.join("s.score.ron"), SCORE).unwrap();
    std::fs::write(dir.join("bad.score.ron"), "Score(\n").unwrap();
    let out = closed_stdout(&["check", "s.score.ron", "bad.score.ron"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: bad.score.ron:"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
