//! `leitmotif render --credits … --picture …`: mistakes in the credits and a missing picture
//! or ffmpeg exit with code 2 and write nothing; with a picture (made by ffmpeg's `testsrc`),
//! `preview.mp4` has the picture and the mix, as long as the mix, with the timecode and the
//! cue's name burnt in.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCORE: &str = r#"Score(
    name: "Preview",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 2, layers: [(name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3)))]),
        (name: "chase", bars: 2, layers: [(name: "bass", source: Generated((instrument: Bass, part: Bass(4), octave: 2)))]),
    ],
)
"#;

/// 8 seconds at 29.97 drop-frame.
const EDL: &str = "TITLE: PREVIEW\nFCM: DROP FRAME\n001  A001 V     C        01:00:00;00 01:00:08;00 01:00:00;00 01:00:08;00\n";

/// The first cue's title needs escaping in an ffmpeg filtergraph.
const SPOTTING: &str = r#"Spotting(cues: [
    (cue: "calm", at: "01:00:00;00", title: "Night: Platform, it's [late]"),
    (cue: "chase", at: "01:00:04;00", title: "Last Train Chase"),
])"#;

/// A fresh folder with the score, cut list and spotting list.
fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leitmotif-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p.score.ron"), SCORE).unwrap();
    std::fs::write(dir.join("p.edl"), EDL).unwrap();
    std::fs::write(dir.join("p.spotting.ron"), SPOTTING).unwrap();
    dir
}

/// `leitmotif render` of the folder's film into `dir/out`, with `extra` arguments.
fn render(dir: &Path, extra: &[&str], path_env: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leitmotif"));
    c.current_dir(dir).args([
        "render",
        "--score",
        "p.score.ron",
        "--cues",
        "p.edl",
        "--spotting",
        "p.spotting.ron",
        "--fps",
        "29.97df",
        "--tail",
        "1",
        "-o",
        "out",
    ]);
    c.args(extra);
    if let Some(p) = path_env {
        c.env("PATH", p);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn mistakes_in_the_credits_exit_2_with_their_location_and_write_nothing() {
    let dir = setup("credits");
    let bad = r#"Credits(
    defaults: (composers: [(name: "Ada Quill", pro: "PRS", share: 60), (name: "Ben Ode", pro: "BMI", share: 30)]),
)"#;
    std::fs::write(dir.join("bad.credits.ron"), bad).unwrap();
    let o = render(&dir, &["--credits", "bad.credits.ron"], None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.credits.ron:2:27: the composers' shares add up to 90, not 100 (hint: "),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
    assert_eq!(
        std::fs::read_to_string(dir.join("bad.credits.ron")).unwrap(),
        bad
    );
    // A cue the film does not play: refused before the render.
    let unknown = r#"Credits(
    defaults: (composers: [(name: "Ada Quill", pro: "PRS", share: 100)]),
    cues: [(cue: "finale", usage: ET)],
)"#;
    std::fs::write(dir.join("unknown.credits.ron"), unknown).unwrap();
    let o = render(&dir, &["--credits", "unknown.credits.ron"], None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown.credits.ron:3:18: credits for cue \"finale\", which the film does not play (hint: `cue` names a cue of the spotting list: calm, chase"),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_picture_or_ffmpeg_exits_2_and_writes_nothing() {
    let dir = setup("nopicture");
    let o = render(&dir, &["--picture", "missing.mp4"], None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("missing.mp4: cannot read the picture"),
        "{err}"
    );
    assert!(err.contains("(hint: --picture takes"), "{err}");
    assert!(!dir.join("out").exists());
    // No ffmpeg on the PATH (a picture file there, the font too where it is installed).
    std::fs::write(dir.join("picture.mp4"), b"not looked at").unwrap();
    let empty = dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let o = render(&dir, &["--picture", "picture.mp4"], Some(&empty));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        (err.contains("ffmpeg: cannot run ffmpeg") && err.contains("hint: install ffmpeg"))
            || err.contains("hint: install it (Debian: apt-get install fonts-dejavu-core)"),
        "{err}"
    );
    assert!(!dir.join("out").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `tool -version` runs.
fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One 320×180 frame at `t` seconds of `video`, in grey levels.
fn frame(video: &Path, t: f64) -> Vec<u8> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &t.to_string(), "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout.len(), 320 * 180);
    o.stdout
}

/// Mean absolute difference of two frames over the rectangle x0..x1, y0..y1.
fn diff(a: &[u8], b: &[u8], (x0, x1): (usize, usize), (y0, y1): (usize, usize)) -> f64 {
    let mut sum = 0.0;
    for y in y0..y1 {
        for x in x0..x1 {
            sum += (a[y * 320 + x] as f64 - b[y * 320 + x] as f64).abs();
        }
    }
    sum / ((x1 - x0) * (y1 - y0)) as f64
}

/// ffprobe's JSON for `file`.
fn probe(file: &Path) -> serde_json::Value {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type:format=duration",
            "-of",
            "json",
        ])
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_preview_puts_the_mix_under_the_picture_with_timecode_and_cue_burnt_in() {
    if !have("ffmpeg") || !have("ffprobe") {
        eprintln!(
            "SKIPPED: ffmpeg is not installed (Debian: apt-get install ffmpeg): preview.mp4 not tested"
        );
        return;
    }
    let dir = setup("preview");
    let made = Command::new("ffmpeg")
        .current_dir(&dir)
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x180:rate=30000/1001:duration=8",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "picture.mp4",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let o = render(&dir, &["--picture", "picture.mp4"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.join("out");
    let preview = out.join("preview.mp4");
    let p = probe(&preview);
    let kinds: Vec<&str> = p["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["video", "audio"], "{p}");
    let seconds = |v: &serde_json::Value| {
        v["format"]["duration"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    let (pre, mix) = (seconds(&p), seconds(&probe(&out.join("mix.wav"))));
    println!("preview {pre:.3} s, mix {mix:.3} s");
    assert!(
        (mix - 9.0).abs() < 0.05,
        "8 s of picture and a 1 s tail: {mix}"
    );
    assert!((pre - mix).abs() < 0.1, "preview {pre} s, mix {mix} s");
    // The same frame, two seconds in, of the picture and the preview: the burnt-in
    // timecode (top left) and cue (bottom left) change their regions; elsewhere only the
    // re-encoding does.
    let (a, b) = (frame(&dir.join("picture.mp4"), 2.0), frame(&preview, 2.0));
    let timecode = diff(&a, &b, (4, 60), (4, 16));
    let cue = diff(&a, &b, (4, 60), (164, 176));
    let middle = diff(&a, &b, (120, 300), (40, 140));
    println!("difference: timecode {timecode:.1}, cue {cue:.1}, middle {middle:.1}");
    assert!(
        timecode > 20.0 && cue > 20.0,
        "timecode {timecode:.1}, cue {cue:.1}"
    );
    assert!(middle < 6.0, "middle {middle:.1}");
    // In the tail the last picture frame holds, with the burnt-in timecode running on.
    let tail = frame(&preview, 8.5);
    assert!(
        diff(&tail, &b, (120, 300), (40, 140)) > 1.0,
        "the picture moved on"
    );
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(report.contains("\"preview\": \"preview.mp4\""), "{report}");
    // A render without the picture removes the old preview (it would not match the mix).
    let o = render(&dir, &["--force"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!preview.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
