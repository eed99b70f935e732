//! Faults while `leitmotif render` runs: a disk that fills while it writes, and a stem whose
//! file breaks while it streams. Each is a clear error naming the file, and nothing is left
//! behind — no half-written mix, no stems folder, no output folder it created.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use leitmotif_engine::wav;

const SR: u32 = 48_000;

/// Two cues over 8 seconds of 29.97 drop-frame: generated music, and a streamed stem.
const SCORE: &str = r#"Score(
    name: "Faults",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 2, layers: [(name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3)))]),
        (name: "drums", bars: 4, layers: [(name: "kit", source: File("kit.wav"), load: Stream)]),
    ],
)
"#;

const EDL: &str = "TITLE: FAULTS\nFCM: DROP FRAME\n001  A001 V     C        01:00:00;00 01:00:08;00 01:00:00;00 01:00:08;00\n";

const SPOTTING: &str = r#"Spotting(cues: [
    (cue: "calm", at: "01:00:00;00"),
    (cue: "drums", at: "01:00:02;00"),
])"#;

/// A fresh folder with the score, cut list, spotting list and an 8-second stem.
fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leitmotif-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f.score.ron"), SCORE).unwrap();
    std::fs::write(dir.join("f.edl"), EDL).unwrap();
    std::fs::write(dir.join("f.spotting.ron"), SPOTTING).unwrap();
    let kit: Vec<[f32; 2]> = (0..8 * SR as usize)
        .map(|i| {
            let v = 0.3 * (i as f32 * 0.05).sin();
            [v, v]
        })
        .collect();
    wav::write_wav(&dir.join("kit.wav"), &kit, SR, wav::WavFormat::Int16, None).unwrap();
    dir
}

/// `leitmotif render` of the folder's film into `out`, through `wrap` (a shell prefix) if any.
fn render(dir: &Path, out: &Path, wrap: Option<&str>) -> Output {
    let bin = env!("CARGO_BIN_EXE_leitmotif");
    let args = [
        "render",
        "--score",
        "f.score.ron",
        "--cues",
        "f.edl",
        "--spotting",
        "f.spotting.ron",
        "--fps",
        "29.97df",
        "--tail",
        "1",
        "-o",
    ];
    let mut c = match wrap {
        Some(prefix) => {
            let mut c = Command::new("bash");
            c.arg("-c")
                .arg(format!("{prefix}; exec \"$0\" \"$@\""))
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    c.current_dir(dir).args(args).arg(out);
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Mounts a 1 MiB tmpfs on `at` (root only); `false` when that is not possible here.
fn small_disk(at: &Path) -> bool {
    std::fs::create_dir_all(at).unwrap();
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(at)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_disk_that_fills_while_rendering_gives_the_error_and_leaves_nothing() {
    let dir = setup("full");
    let disk = dir.join("disk");
    let out = disk.join("out");
    // A real full disk: a 1 MiB tmpfs (the mix alone is 2.6 MB). Without root, a file-size
    // limit does the same to every write past 512 KiB ("File too large").
    let mounted = small_disk(&disk);
    let wrap = (!mounted).then_some("trap '' XFSZ; ulimit -f 512");
    if !mounted {
        eprintln!(
            "NOTE: cannot mount a tmpfs here (not root?): a 512 KiB file-size limit stands in for the full disk"
        );
    }
    let o = render(&dir, &out, wrap);
    let err = stderr(&o);
    let left = entries(&disk);
    if mounted {
        let _ = Command::new("umount").arg(&disk).status();
    }
    assert_eq!(
        o.status.code(),
        Some(1),
        "an I/O failure, not a panic: {err}"
    );
    let why = if mounted {
        "No space left on device"
    } else {
        "File too large"
    };
    assert!(err.contains(why), "{err}");
    assert!(
        err.contains(&format!("{}/", out.display())) && !err.contains(".leitmotif-tmp"),
        "the error names the output file, not the temporary folder: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(left.is_empty(), "left behind on the disk: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stem_truncated_before_it_streams_is_named_and_nothing_is_written() {
    let dir = setup("truncated");
    // The header still says 8 seconds; the file holds 1.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("kit.wav"))
        .unwrap();
    f.set_len(44 + SR as u64 * 4).unwrap();
    let out = dir.join("out");
    let o = render(&dir, &out, None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("kit.wav: could not be read past"), "{err}");
    assert!(
        err.contains("unexpected end of file") || err.contains("truncated"),
        "the decoder's reason: {err}"
    );
    assert!(err.contains("(hint: "), "{err}");
    assert!(
        err.contains("load: Memory"),
        "the hint names a real option: {err}"
    );
    assert!(!out.exists(), "nothing written: {:?}", entries(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
