//! Bad input, end to end: a catalogue of broken cut lists, spotting lists and audio files run
//! through the real `leitmotif` binary, plus API misuse through the library.
//!
//! Every CLI case must exit with code 2, name the file and line (or the event / layer) in its
//! message with a hint where one makes sense, create nothing (no outputs, no temporary files)
//! and leave every input byte-for-byte unchanged. (Broken scores have their own table in
//! `crates/leitmotif_core/tests/score_errors.rs`.)

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use leitmotif_core::Score;
use leitmotif_core::conductor::{ActionKind, Conductor, EventKind, Input, TimedInput};
use leitmotif_engine::{RenderOptions, render, wav};

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// Builds `leitmotif` once (same target folder and profile as this test) and returns its path.
fn cli() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/bad_input-…; the binary goes beside deps/.
        let exe = std::env::current_exe().expect("current exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "-p",
            "leitmotif_cli",
            "--bin",
            "leitmotif",
            "--quiet",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", &target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build -p leitmotif_cli");
        assert!(status.success(), "cargo build -p leitmotif_cli failed");
        let bin = profile_dir.join(format!("leitmotif{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} not built", bin.display());
        bin
    })
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// A 4-second, 25 fps EDL that parses.
const GOOD_EDL: &str = "TITLE: ok\nFCM: NON-DROP FRAME\n\n001  AX       V     C        01:00:00:00 01:00:04:00 01:00:00:00 01:00:04:00\n";

/// A spotting list that names only cues of [`score`].
const GOOD_SPOT: &str = "kind,at,name\ncue,0s,a\ncue,2s,b\n";

/// A score whose cue "b" uses `b_layers` (cue "a" is silence), with a parameter and a stinger.
fn score_with(b_layers: &str, stinger_source: &str) -> String {
    format!(
        r#"Score(
    name: "bad input",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [(name: "tension")],
    initial_cue: "a",
    cues: [
        (name: "a", bars: 1, layers: [(name: "pad", source: Silence)]),
        (name: "b", bars: 1, layers: [{b_layers}]),
    ],
    stingers: [(name: "hit", variations: [(source: {stinger_source})])],
)
"#
    )
}

fn score() -> String {
    score_with(r#"(name: "pad", source: Silence)"#, "Silence")
}

/// Float WAV bytes of `secs` seconds of a quiet sine at `sr`.
fn wav_bytes(secs: f64, sr: u32) -> Vec<u8> {
    let n = (secs * sr as f64).round() as usize;
    let frames: Vec<[f32; 2]> = (0..n)
        .map(|i| {
            let s = 0.1 * (i as f32 * 0.01).sin();
            [s, s]
        })
        .collect();
    wav::encode(&frames, sr, wav::WavFormat::Float32, None)
}

/// 16-bit WAV bytes written by hound at any rate (hound writes rates we refuse).
fn hound_wav(sr: u32, frames: usize) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cur = std::io::Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).expect("hound writer");
        for i in 0..frames {
            let v = ((i % 50) as i16 - 25) * 100;
            w.write_sample(v).unwrap();
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
    }
    cur.into_inner()
}

/// Deterministic pseudo-random bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// 10 MB of printable junk in lines (letters, digits, colons, spaces).
fn text_junk(len: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789::;;  ..,,ABCXYZ*";
    let mut v: Vec<u8> = noise(len, 7)
        .into_iter()
        .map(|b| ALPHABET[b as usize % ALPHABET.len()])
        .collect();
    for i in (0..len).step_by(71) {
        v[i] = b'\n';
    }
    v
}

fn corpus_file(name: &str) -> Option<Vec<u8>> {
    common::corpus("edl").map(|d| std::fs::read(d.join(name)).expect("corpus file"))
}

// ---------------------------------------------------------------------------------------------
// The case runner
// ---------------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    /// Files to create in the case folder (relative path, bytes).
    files: Vec<(String, Vec<u8>)>,
    /// Arguments; the folder `out` exists (empty) before the run.
    args: Vec<String>,
    /// Substrings stderr must contain (`file:line`, event or layer, hint, …).
    expect: Vec<String>,
}

fn case(name: &'static str, files: Vec<(&str, Vec<u8>)>, args: &str, expect: &[&str]) -> Case {
    Case {
        name,
        files: files.into_iter().map(|(p, b)| (p.to_string(), b)).collect(),
        args: args.split_whitespace().map(String::from).collect(),
        expect: expect.iter().map(|s| s.to_string()).collect(),
    }
}

fn t(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// `cues --strict` on one cut-list file: source-side problems are refused too (by default they are warnings,
/// see `crates/leitmotif_film/tests/quirks.rs`), so every located message is checked.
fn cues_case(name: &'static str, file: &str, bytes: Vec<u8>, fps: &str, expect: &[&str]) -> Case {
    let args = if fps.is_empty() {
        format!("cues {file} --strict")
    } else {
        format!("cues {file} --fps {fps} --strict")
    };
    case(name, vec![(file, bytes)], &args, expect)
}

/// `render` with the good score and EDL, a spotting file and any extra files.
fn render_case(
    name: &'static str,
    files: Vec<(&str, Vec<u8>)>,
    spot: Option<&str>,
    expect: &[&str],
) -> Case {
    let mut all = vec![("film.edl", t(GOOD_EDL))];
    if !files.iter().any(|f| f.0 == "s.score.ron") {
        all.push(("s.score.ron", t(&score())));
    }
    all.extend(files);
    let spot = spot.map_or(String::new(), |s| format!(" --spotting {s}"));
    let args = format!("render --score s.score.ron --cues film.edl{spot} --fps 25 -o out");
    case(name, all, &args, expect)
}

/// `render` whose score's cue "b" has `layers` (and the good spotting list).
fn audio_case(
    name: &'static str,
    layers: &str,
    files: Vec<(&str, Vec<u8>)>,
    expect: &[&str],
) -> Case {
    let mut all = vec![
        ("s.score.ron", t(&score_with(layers, "Silence"))),
        ("spot.csv", t(GOOD_SPOT)),
    ];
    all.extend(files);
    render_case(name, all, Some("spot.csv"), expect)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x1000_0000_01b3)
    })
}

/// Every file and folder under `dir`, with a hash of each file's bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<(u64, u64)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if p.is_dir() {
                out.insert(rel, None);
                stack.push(p);
            } else {
                let b = std::fs::read(&p).unwrap();
                out.insert(rel, Some((b.len() as u64, fnv(&b))));
            }
        }
    }
    out
}

/// Runs one case; returns a description of what went wrong, if anything.
fn run(root: &Path, c: &Case) -> Result<(), String> {
    let dir = root.join(c.name);
    std::fs::create_dir_all(dir.join("out")).unwrap();
    for (p, b) in &c.files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b).unwrap();
    }
    let before = snapshot(&dir);
    let out = Command::new(cli())
        .args(&c.args)
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let after = snapshot(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if std::env::var_os("BAD_INPUT_SHOW").is_some() {
        println!("{:<36} {}", c.name, stderr.trim_end());
    }
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", out.status.code()));
    }
    if !stderr.starts_with("error: ") {
        problems.push("stderr does not start with `error: `".into());
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("it panicked".into());
    }
    for e in &c.expect {
        if !stderr.contains(e.as_str()) {
            problems.push(format!("stderr lacks {e:?}"));
        }
    }
    if before != after {
        let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
        let changed: Vec<_> = before
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(v))
            .map(|(k, _)| k)
            .collect();
        problems.push(format!(
            "files changed: added {added:?}, changed or removed {changed:?}"
        ));
    }
    if problems.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n    args: {}\n    stderr: {}",
            c.name,
            problems.join("; "),
            c.args.join(" "),
            stderr.trim_end()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------

fn catalogue() -> Vec<Case> {
    let ev = |line: &str| format!("TITLE: t\n\n{line}\n");
    let good_event = "001  AX  V  C  01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00";
    let mut v = vec![
        // ---- CMX 3600 EDLs -------------------------------------------------------------------
        cues_case(
            "edl_truncated_line",
            "cut.edl",
            t(&format!(
                "{}002  AX  V  C  01:00:02:00 01:00:03:00 01:00:02:00\n",
                ev(good_event)
            )),
            "25",
            &["cut.edl:4:", "event 002", "truncated", "hint:"],
        ),
        cues_case(
            "edl_truncated_mid_timecode",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00:00 01:00:02:00 01:00:00:00 01:00:0",
            )),
            "25",
            &["cut.edl:3:", "event 001", "hint:"],
        ),
        cues_case(
            "edl_letters_in_timecode",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:0x:00 01:00:02:00 01:00:00:00 01:00:02:00",
            )),
            "25",
            &["cut.edl:3:", "event 001", "source-in", "hint:"],
        ),
        cues_case(
            "edl_five_field_timecode",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00",
            )),
            "25",
            &["cut.edl:3:", "event 001", "hint:"],
        ),
        cues_case(
            "edl_minutes_60",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:60:00:00 01:60:02:00 01:00:00:00 01:00:02:00",
            )),
            "25",
            &["cut.edl:3:", "event 001", "hint:"],
        ),
        cues_case(
            "edl_drop_frame_at_25",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00;00 01:00:02;00 01:00:00;00 01:00:02;00",
            )),
            "25",
            &[
                "cut.edl:3:16",
                "event 001",
                "drop-frame",
                "hint:",
                "--fps 29.97df",
            ],
        ),
        cues_case(
            "edl_frame_25_at_25fps",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00:00 01:00:02:25 01:00:00:00 01:00:02:25",
            )),
            "25",
            &["cut.edl:3:28", "event 001", "frame field 25", "hint:"],
        ),
        cues_case(
            "edl_frame_24_at_24fps",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00:00 01:00:02:00 01:00:00:24 01:00:02:00",
            )),
            "24",
            &["cut.edl:3:", "event 001", "record-in", "hint:"],
        ),
        cues_case(
            "edl_frame_30_at_2997df",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00;00 01:00:02;30 01:00:00;00 01:00:02;30",
            )),
            "29.97df",
            &["cut.edl:3:", "event 001", "hint:"],
        ),
        cues_case(
            "edl_inverted_record",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:02:00 01:00:00:00 01:00:02:00 01:00:00:00",
            )),
            "25",
            &["cut.edl:3:", "event 001", "before", "hint:"],
        ),
        cues_case(
            "edl_duration_mismatch",
            "cut.edl",
            t(&ev(
                "001  AX  V  C  01:00:00:00 01:00:03:00 01:00:00:00 01:00:02:00",
            )),
            "25",
            &["cut.edl:3:", "event 001", "differs", "hint:"],
        ),
        cues_case(
            "edl_ten_megabytes_of_junk",
            "junk.edl",
            text_junk(10 * 1024 * 1024),
            "25",
            &["junk.edl", "hint:"],
        ),
        cues_case(
            "edl_binary_data",
            "cut.edl",
            noise(4096, 3),
            "25",
            &["cut.edl:1:", "binary data", "hint:"],
        ),
        cues_case(
            "edl_nul_after_good_event",
            "cut.edl",
            [t(&ev(good_event)), vec![0, 1, 2, 3]].concat(),
            "25",
            &["cut.edl:4:", "binary data", "hint:"],
        ),
        cues_case(
            "edl_empty_file",
            "cut.edl",
            Vec::new(),
            "25",
            &["cut.edl", "no events", "hint:"],
        ),
        cues_case(
            "edl_title_only",
            "cut.edl",
            t("TITLE: nothing here\nFCM: NON-DROP FRAME\n"),
            "25",
            &["cut.edl", "no events", "hint:"],
        ),
        cues_case(
            "unknown_extension_text",
            "notes.txt",
            t("hello, this is not a cut list\n"),
            "",
            &["notes.txt", "hint:"],
        ),
        cues_case(
            "unknown_extension_markup",
            "page.html",
            t("<html><body>hi</body></html>"),
            "",
            &["page.html", "unrecognised", "hint:"],
        ),
        cues_case(
            "bad_fps_argument",
            "cut.edl",
            t(&ev(good_event)),
            "17.5",
            &["--fps 17.5", "hint:"],
        ),
        case(
            "cut_list_missing",
            vec![],
            "cues nowhere.edl --fps 25",
            &["nowhere.edl", "cannot read"],
        ),
        // ---- OTIO ----------------------------------------------------------------------------
        cues_case(
            "otio_truncated_json",
            "cut.otio",
            t("{\"OTIO_SCHEMA\": \"Timeline.1\",\n \"tracks\": [\n"),
            "",
            &["cut.otio:3:", "invalid JSON", "hint:"],
        ),
        cues_case(
            "otio_trailing_comma",
            "cut.otio",
            t("{\"OTIO_SCHEMA\": \"Timeline.1\",\n \"name\": \"x\",\n}\n"),
            "",
            &["cut.otio:3:", "invalid JSON", "hint:"],
        ),
        cues_case(
            "otio_not_a_timeline",
            "cut.otio",
            t("{\"hello\": [1, 2, 3]}\n"),
            "",
            &["cut.otio", "hint:"],
        ),
        cues_case(
            "json_extension_array",
            "cut.json",
            t("[1, 2, 3]\n"),
            "",
            &["cut.json", "hint:"],
        ),
        // Found by fuzz_parsers: a duration of 1e300 frames overflowed i64 (a panic in debug).
        cues_case(
            "otio_time_out_of_range",
            "cut.otio",
            t(
                r#"{"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [
                {"OTIO_SCHEMA": "Clip.2", "name": "a", "source_range": {"start_time": {"value": 0, "rate": 24}, "duration": {"value": 1e300, "rate": 24}}},
                {"OTIO_SCHEMA": "Clip.2", "name": "b", "source_range": {"start_time": {"value": 0, "rate": 24}, "duration": {"value": 1e300, "rate": 24}}}
            ]}]}}"#,
            ),
            "",
            &["cut.otio", "RationalTime", "1e12", "hint:"],
        ),
        // ---- FCP XML -------------------------------------------------------------------------
        cues_case(
            "fcp7_unclosed_root",
            "cut.xml",
            t("<?xml version=\"1.0\"?>\n<xmeml version=\"4\">\n<sequence><name>x</name>\n"),
            "",
            &["cut.xml:", "invalid XML", "hint:"],
        ),
        cues_case(
            "fcp7_mismatched_tag",
            "cut.xml",
            t(
                "<?xml version=\"1.0\"?>\n<xmeml version=\"4\">\n<sequence><name>x</nam></sequence>\n</xmeml>\n",
            ),
            "",
            &["cut.xml:3:", "invalid XML", "hint:"],
        ),
        cues_case(
            "fcpxml_bad_attribute",
            "cut.fcpxml",
            t(
                "<?xml version=\"1.0\"?>\n<fcpxml version=\"1.9\">\n<resources><format id=r1 /></resources>\n</fcpxml>\n",
            ),
            "",
            &["cut.fcpxml:3:", "invalid XML", "hint:"],
        ),
        cues_case(
            "xml_wrong_root",
            "cut.xml",
            t("<?xml version=\"1.0\"?>\n<project><clip/></project>\n"),
            "",
            &["cut.xml", "hint:"],
        ),
        // Found by fuzz_parsers: negative clip durations were accepted (events ending before
        // they start).
        cues_case(
            "fcpxml_negative_duration",
            "cut.fcpxml",
            t(
                "<?xml version=\"1.0\"?>\n<fcpxml version=\"1.9\">\n<resources><format id=\"r1\" frameDuration=\"1/25s\"/></resources>\n<library><event><project name=\"p\"><sequence format=\"r1\" tcStart=\"0s\"><spine>\n<asset-clip name=\"a\" offset=\"0s\" duration=\"4s\" start=\"0s\"/>\n<asset-clip name=\"b\" offset=\"4s\" duration=\"-10s\" start=\"0s\"/>\n</spine></sequence></project></event></library>\n</fcpxml>\n",
            ),
            "",
            &["cut.fcpxml:6:", "event 002", "negative duration", "hint:"],
        ),
        cues_case(
            "fcp7_clip_ends_before_it_starts",
            "cut.xml",
            t(
                "<?xml version=\"1.0\"?>\n<xmeml version=\"4\"><sequence><name>s</name><rate><timebase>25</timebase></rate><media><video><track>\n<clipitem><name>a</name><start>100</start><end>50</end><in>0</in><out>50</out></clipitem>\n</track></video></media></sequence></xmeml>\n",
            ),
            "",
            &["cut.xml:3:", "event 001", "before its start", "hint:"],
        ),
        // ---- render: the cut list fails before anything is written ---------------------------
        case(
            "render_bad_edl",
            vec![
                ("s.score.ron", t(&score())),
                (
                    "film.edl",
                    t(&ev(
                        "001  AX  V  C  01:00:00:00 01:00:02:25 01:00:00:00 01:00:02:25",
                    )),
                ),
            ],
            "render --score s.score.ron --cues film.edl --fps 25 -o out",
            &["film.edl:3:", "event 001", "hint:"],
        ),
        case(
            "render_empty_edl_autospot",
            vec![("s.score.ron", t(&score())), ("film.edl", Vec::new())],
            "render --score s.score.ron --cues film.edl --fps 25 -o out",
            &["film.edl", "no events", "hint:"],
        ),
        case(
            "render_outputs_exist_without_force",
            vec![
                ("s.score.ron", t(&score())),
                ("film.edl", t(GOOD_EDL)),
                ("out/mix.wav", b"previous mix".to_vec()),
            ],
            "render --score s.score.ron --cues film.edl --fps 25 -o out",
            &["mix.wav", "exists", "hint: pass --force"],
        ),
        // ---- spotting lists ------------------------------------------------------------------
        render_case(
            "spot_csv_bad_timecode",
            vec![("spot.csv", t("kind,at,name\ncue,0s,a\ncue,01:00:0x:00,b\n"))],
            Some("spot.csv"),
            &["spot.csv:3:", "bad time", "hint:"],
        ),
        render_case(
            "spot_csv_frame_field_at_25",
            vec![("spot.csv", t("kind,at,name\ncue,01:00:00:25,a\n"))],
            Some("spot.csv"),
            &["spot.csv:2:", "frame field 25", "hint:"],
        ),
        render_case(
            "spot_ron_bad_timecode",
            vec![(
                "spot.ron",
                t(
                    "Spotting(\n    cues: [\n        (cue: \"a\", at: \"01:00:00:00\"),\n        (cue: \"b\", at: \"1:00\"),\n    ],\n)\n",
                ),
            )],
            Some("spot.ron"),
            &["spot.ron:4:", "bad time", "hint:"],
        ),
        render_case(
            "spot_csv_unknown_cue",
            vec![("spot.csv", t("kind,at,name\ncue,0s,a\ncue,2s,combat\n"))],
            Some("spot.csv"),
            &[
                "spot.csv:3:",
                "unknown cue \"combat\"",
                "hint: the score has a, b",
            ],
        ),
        render_case(
            "spot_ron_unknown_cue",
            vec![(
                "spot.ron",
                t(
                    "Spotting(\n    cues: [\n        (cue: \"a\", at: \"0s\"),\n        (cue: \"combat\", at: \"2s\"),\n    ],\n)\n",
                ),
            )],
            Some("spot.ron"),
            &["spot.ron:4:", "unknown cue \"combat\"", "hint:"],
        ),
        render_case(
            "spot_csv_unknown_parameter",
            vec![(
                "spot.csv",
                t("kind,at,name,value\ncue,0s,a,\nparam,1s,tensoin,0.5\n"),
            )],
            Some("spot.csv"),
            &[
                "spot.csv:3:",
                "unknown parameter \"tensoin\"",
                "hint:",
                "tension",
            ],
        ),
        render_case(
            "spot_csv_unknown_kind",
            vec![("spot.csv", t("kind,at,name\ncue,0s,a\nstinger,1s,hit\n"))],
            Some("spot.csv"),
            &["spot.csv:3:", "unknown kind \"stinger\"", "hint:"],
        ),
        render_case(
            "spot_csv_negative_ramp",
            vec![(
                "spot.csv",
                t("kind,at,name,value,ramp\ncue,0s,a,,\nparam,1s,tension,1,-2s\n"),
            )],
            Some("spot.csv"),
            &["spot.csv:3:", "negative ramp", "hint:"],
        ),
        render_case(
            "spot_ron_negative_ramp",
            vec![(
                "spot.ron",
                t(
                    "Spotting(\n    params: [\n        (at: \"1s\", param: \"tension\", value: 1.0, ramp: Some(\"-2s\")),\n    ],\n)\n",
                ),
            )],
            Some("spot.ron"),
            &["spot.ron:3:", "negative ramp", "hint:"],
        ),
        render_case(
            "spot_csv_unknown_column",
            vec![("spot.csv", t("kind,at,name,colour\ncue,0s,a,red\n"))],
            Some("spot.csv"),
            &["spot.csv:1:", "unknown field `colour`", "hint:"],
        ),
        render_case(
            "spot_csv_bad_importance",
            vec![(
                "spot.csv",
                t("kind,at,name,importance\ncue,0s,a,\nhit,1s,door,loud\n"),
            )],
            Some("spot.csv"),
            &["spot.csv:3:", "importance", "hint:"],
        ),
        render_case(
            "spot_csv_until_before_at",
            vec![("spot.csv", t("kind,at,until,name\ncue,3s,1s,a\n"))],
            Some("spot.csv"),
            &["spot.csv:2:", "ends at", "hint:"],
        ),
        render_case(
            "spot_ron_unclosed",
            vec![(
                "spot.ron",
                t("Spotting(\n    cues: [\n        (cue: \"a\", at: \"0s\"),\n"),
            )],
            Some("spot.ron"),
            &["spot.ron:", "hint:"],
        ),
        render_case(
            "spot_ron_unknown_field",
            vec![(
                "spot.ron",
                t(
                    "Spotting(\n    cues: [\n        (cue: \"a\", at: \"0s\", colour: \"red\"),\n    ],\n)\n",
                ),
            )],
            Some("spot.ron"),
            &["spot.ron:3:", "colour", "hint:"],
        ),
        render_case(
            "spot_unknown_extension",
            vec![("spot.txt", t(GOOD_SPOT))],
            Some("spot.txt"),
            &["spot.txt", "unknown spotting-list format", "hint:"],
        ),
        render_case(
            "spot_binary_csv",
            vec![("spot.csv", noise(2048, 11))],
            Some("spot.csv"),
            &["spot.csv"],
        ),
        // ---- audio ---------------------------------------------------------------------------
        audio_case(
            "stem_missing",
            r#"(name: "pad", source: File("stems/missing.wav"))"#,
            vec![],
            &["cue \"b\", layer \"pad\"", "looked at stems/missing.wav"],
        ),
        audio_case(
            "stem_zero_bytes",
            r#"(name: "pad", source: File("stems/pad.wav"))"#,
            vec![("stems/pad.wav", Vec::new())],
            &[
                "cue \"b\", layer \"pad\"",
                "stems/pad.wav",
                "not a decodable",
            ],
        ),
        audio_case(
            "stem_header_truncated",
            r#"(name: "pad", source: File("stems/pad.wav"))"#,
            vec![("stems/pad.wav", wav_bytes(2.0, 48_000)[..30].to_vec())],
            &["cue \"b\", layer \"pad\"", "stems/pad.wav"],
        ),
        audio_case(
            "stem_header_only_no_samples",
            r#"(name: "pad", source: File("stems/pad.wav"))"#,
            vec![("stems/pad.wav", hound_wav(48_000, 0))],
            &["cue \"b\", layer \"pad\"", "stems/pad.wav", "no audio"],
        ),
        audio_case(
            "stem_text_named_wav",
            r#"(name: "pad", source: File("stems/pad.wav"))"#,
            vec![("stems/pad.wav", t("this is a text file, not audio\n"))],
            &[
                "cue \"b\", layer \"pad\"",
                "stems/pad.wav",
                "not a decodable",
            ],
        ),
        audio_case(
            "stem_1_hz",
            r#"(name: "pad", source: File("stems/pad.wav"))"#,
            vec![("stems/pad.wav", hound_wav(1, 4))],
            &["cue \"b\", layer \"pad\"", "stems/pad.wav", "1 Hz", "hint:"],
        ),
        audio_case(
            "stem_384_khz",
            r#"(name: "pad", source: File("stems/pad.wav"))"#,
            vec![("stems/pad.wav", hound_wav(384_000, 768_000))],
            &[
                "cue \"b\", layer \"pad\"",
                "stems/pad.wav",
                "384000 Hz",
                "hint:",
            ],
        ),
        audio_case(
            "stems_of_different_lengths",
            r#"(name: "pad", source: File("stems/pad.wav")), (name: "bass", source: File("stems/bass.wav"))"#,
            vec![
                ("stems/pad.wav", wav_bytes(2.0, 48_000)),
                ("stems/bass.wav", wav_bytes(1.5, 48_000)),
            ],
            &[
                "cue \"b\"",
                "stems/pad.wav",
                "stems/bass.wav",
                "differ in length",
                "hint:",
            ],
        ),
        // A CLI user owns their files: stems outside the score's folder are allowed from the
        // command line (`../secret/pad.wav` renders; see crates/leitmotif_scoring/tests), so an
        // absolute path that is not audio is refused for what it is.
        audio_case(
            "stem_absolute_path_not_audio",
            r#"(name: "pad", source: File("/etc/passwd"))"#,
            vec![],
            &[
                "cue \"b\", layer \"pad\"",
                "/etc/passwd",
                "not a decodable audio file",
            ],
        ),
        render_case(
            "stinger_stem_missing",
            vec![
                (
                    "s.score.ron",
                    t(&score_with(
                        r#"(name: "pad", source: Silence)"#,
                        r#"File("hit.wav")"#,
                    )),
                ),
                ("spot.csv", t(GOOD_SPOT)),
            ],
            Some("spot.csv"),
            &["stinger \"hit\", variation 1", "looked at hit.wav"],
        ),
    ];
    // Real corpus files, damaged.
    if let Some(otio) = corpus_file("otio_premiere_example.otio") {
        let cut = otio.len() / 2;
        v.push(cues_case(
            "otio_corpus_cut_in_half",
            "cut.otio",
            otio[..cut].to_vec(),
            "",
            &["cut.otio:", "invalid JSON", "hint:"],
        ));
    }
    if let Some(xml) = corpus_file("otio_premiere_example_fcp7.xml") {
        let cut = xml.len() / 3;
        v.push(cues_case(
            "fcp7_corpus_cut_in_third",
            "cut.xml",
            xml[..cut].to_vec(),
            "",
            &["cut.xml:", "invalid XML", "hint:"],
        ));
    }
    if let Some(fcpxml) = corpus_file("otio_fcpx_example.fcpxml") {
        let text = String::from_utf8(fcpxml)
            .unwrap()
            .replacen("</resources>", "</resource>", 1);
        v.push(cues_case(
            "fcpxml_corpus_mismatched_tag",
            "cut.fcpxml",
            t(&text),
            "",
            &["cut.fcpxml:", "invalid XML", "hint:"],
        ));
    }
    if let Some(edl) = corpus_file("pycmx_test_25.edl") {
        // Swap one event's record-in for a drop-frame timecode: the error names that event.
        let text = String::from_utf8(edl).unwrap();
        let line = text
            .lines()
            .position(|l| l.starts_with("002"))
            .expect("event 002");
        let bad: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == line {
                    format!("{}\n", l.replacen(':', ";", 3))
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        v.push(cues_case(
            "edl_corpus_drop_frame_at_25",
            "cut.edl",
            t(&bad),
            "25",
            &[&format!("cut.edl:{}:", line + 1), "event 002", "hint:"],
        ));
    }
    v
}

#[test]
fn every_bad_input_exits_2_with_a_located_message_and_writes_nothing() {
    let root = std::env::temp_dir().join(format!("leitmotif-bad-input-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // Case folders sit one level down so `../secret` stays inside `root`.
    let cases = catalogue();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
    }
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run(&root.join("cases"), c).err())
        .collect();
    eprintln!(
        "bad_input: {} CLI cases, {} failed",
        cases.len(),
        failures.len()
    );
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&root);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// API misuse through the library
// ---------------------------------------------------------------------------------------------

const API_SCORE: &str = r#"Score(
    name: "api",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [(name: "tension", min: 0.0, max: 1.0, default: 0.25), (name: "slow", min: -1.0, max: 2.0, default: 0.5, seek_speed: 0.5)],
    initial_cue: "a",
    cues: [
        (name: "a", bars: 1, layers: [(name: "pad", source: File("a.wav"), gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.2), (x: 1.0, y: 1.0)])))]),
        (name: "b", bars: 2, layers: [(name: "pad", source: File("b.wav"))]),
    ],
    transitions: [(from: "*", to: "*", sync: NextBeat, fade_out: Beats(1.0), fade_in: Beats(0.5))],
    stingers: [(name: "hit", variations: [(source: File("s.wav"))])],
)"#;

fn api_score() -> Arc<Score> {
    Arc::new(Score::from_ron(API_SCORE, None).unwrap_or_else(|e| panic!("{e}")))
}

fn sine(len: usize, hz: f32, amp: f32) -> Vec<[f32; 2]> {
    (0..len)
        .map(|i| {
            let s = amp * (std::f32::consts::TAU * hz * i as f32 / 48_000.0).sin();
            [s, s]
        })
        .collect()
}

fn api_bank(name: &str) -> (Arc<Score>, Arc<leitmotif_engine::SourceBank>) {
    let dir = common::temp_dir(name);
    common::write_stem(&dir, "a.wav", &sine(96_000, 110.0, 0.3), 48_000);
    common::write_stem(&dir, "b.wav", &sine(192_000, 165.0, 0.3), 48_000);
    common::write_stem(&dir, "s.wav", &sine(12_000, 440.0, 0.2), 48_000);
    common::load(API_SCORE, &dir, 48_000)
}

fn plan(
    inputs: &[TimedInput],
    to: u64,
) -> (
    Conductor,
    Vec<leitmotif_core::conductor::Action>,
    Vec<leitmotif_core::conductor::MusicEvent>,
) {
    let mut c = Conductor::new(api_score(), 48_000, 1);
    for i in inputs {
        c.push(i.clone());
    }
    let (mut actions, mut events) = (Vec::new(), Vec::new());
    c.advance(to, &mut actions, &mut events);
    (c, actions, events)
}

#[test]
fn non_finite_parameters_follow_the_documented_clamp_and_ignore() {
    // `Input::SetParameter`: NaN is ignored; other values (±inf too) are clamped to the range.
    let at = |k: u64, input: Input| TimedInput {
        frame: k * 1000,
        input,
    };
    let cases: [(&[Input], f32); 6] = [
        (&[Input::SetParameter(0, f32::NAN)], 0.25),
        (
            &[
                Input::SetParameter(0, 0.75),
                Input::SetParameter(0, f32::NAN),
            ],
            0.75,
        ),
        (&[Input::SetParameter(0, f32::INFINITY)], 1.0),
        (&[Input::SetParameter(0, f32::NEG_INFINITY)], 0.0),
        (&[Input::SetParameter(0, f32::MAX)], 1.0),
        (&[Input::SetParameter(0, -0.0)], 0.0),
    ];
    for (inputs, want) in cases {
        let timed: Vec<_> = inputs
            .iter()
            .enumerate()
            .map(|(k, i)| at(k as u64, i.clone()))
            .collect();
        let (c, actions, events) = plan(&timed, 48_000);
        assert_eq!(c.parameter(0), Some(want), "{inputs:?}");
        assert!(
            !events.iter().any(|e| e.kind == EventKind::InvalidRequest),
            "{inputs:?}: a known parameter is not an invalid request"
        );
        for a in &actions {
            if let ActionKind::Gain { target, .. } | ActionKind::Start { gain: target, .. } = a.kind
            {
                assert!(
                    target.is_finite() && (0.0..=1.0).contains(&target),
                    "{inputs:?}: gain {target}"
                );
            }
        }
    }
    // A seeking parameter heads for the clamped value at its speed, never to NaN.
    let (c, _, _) = plan(&[at(0, Input::SetParameter(1, f32::INFINITY))], 48_000);
    let heard = c.parameter(1).unwrap();
    assert!(
        heard.is_finite() && heard > 0.5 && heard <= 2.0,
        "heard {heard}"
    );
    // Dialogue level: NaN ignored, inf clamped; tempo cues with NaN/inf are refused, not obeyed.
    let (_, actions, events) = plan(
        &[
            at(0, Input::SetDialogue(f32::NAN)),
            at(1, Input::SetDialogue(f32::INFINITY)),
            at(2, Input::SetDialogue(f32::NEG_INFINITY)),
            at(
                3,
                Input::TempoCue {
                    bpm: f64::NAN,
                    ramp_beats: 0,
                    sync: leitmotif_core::score::Sync::NextBar,
                },
            ),
            at(
                4,
                Input::TempoCue {
                    bpm: f64::INFINITY,
                    ramp_beats: 0,
                    sync: leitmotif_core::score::Sync::NextBar,
                },
            ),
        ],
        96_000,
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == EventKind::TempoCueRefused)
            .count(),
        2
    );
    for a in &actions {
        if let ActionKind::Gain { target, .. } = a.kind {
            assert!(target.is_finite() && target >= 0.0, "gain {target}");
        }
    }
}

#[test]
fn unknown_indices_are_invalid_request_events() {
    let inputs: Vec<TimedInput> = [
        Input::RequestCue(2),
        Input::StartCue(99),
        Input::Stinger(1),
        Input::SetParameter(7, 0.5),
        Input::RequestCue(usize::MAX),
        Input::SetParameter(usize::MAX, f32::NAN),
    ]
    .into_iter()
    .enumerate()
    .map(|(k, input)| TimedInput {
        frame: 1000 + k as u64 * 500,
        input,
    })
    .collect();
    let (c, actions, events) = plan(&inputs, 48_000);
    let invalid: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == EventKind::InvalidRequest)
        .map(|e| e.frame)
        .collect();
    assert_eq!(
        invalid.len(),
        inputs.len(),
        "one InvalidRequest per bad input: {invalid:?}"
    );
    // Each is reported at (the control block of) its input's frame, and nothing else changed.
    for (i, f) in inputs.iter().zip(&invalid) {
        assert!(
            *f >= i.frame.saturating_sub(128) && *f < i.frame + 128,
            "event at {f} for input at {}",
            i.frame
        );
    }
    assert_eq!(c.current_cue(), Some(0));
    assert!(c.pending().is_none());
    assert!(!actions.iter().any(|a| matches!(
        a.kind,
        ActionKind::Start {
            source: leitmotif_core::conductor::SourceRef::Layer { cue: 1, .. },
            ..
        }
    )));
    assert_eq!(c.parameter(0), Some(0.25));
}

#[test]
fn ten_thousand_requests_in_one_block_do_not_panic_and_the_plan_stays_sane() {
    let (score, bank) = api_bank("storm-block");
    let frame = 48_000 + 17; // inside one control block
    let mut inputs = Vec::with_capacity(10_000);
    for k in 0..10_000usize {
        let input = match k % 6 {
            0 => Input::RequestCue(k % 2),
            1 => Input::SetParameter(0, (k % 13) as f32 / 12.0),
            2 => Input::Stinger(0),
            3 => Input::StartCue((k / 6) % 2),
            4 => Input::SetParameter(1, if k % 4 == 0 { f32::NAN } else { k as f32 }),
            _ => Input::SetDialogue((k % 7) as f32 / 6.0),
        };
        inputs.push(TimedInput { frame, input });
    }
    let frames = 8 * 48_000;
    let r = render(
        score.clone(),
        bank,
        &inputs,
        &RenderOptions {
            frames,
            seed: 3,
            ..Default::default()
        },
    );
    // Plan: in frame order, every voice started once and stopped at most once, and few voices
    // sound at once (last request wins; stingers obey their no-repeat window and the pool).
    assert!(!r.actions.is_empty(), "the render reports its plan");
    assert!(r.actions.windows(2).all(|w| w[0].frame <= w[1].frame));
    assert!(r.events.windows(2).all(|w| w[0].frame <= w[1].frame));
    let mut live = std::collections::HashMap::new();
    let mut most = 0usize;
    for a in &r.actions {
        match a.kind {
            ActionKind::Start { voice, gain, .. } => {
                assert!(gain.is_finite());
                assert!(
                    live.insert(voice, a.frame).is_none(),
                    "voice {voice} started twice"
                );
            }
            ActionKind::Stop { voice, .. } => {
                assert!(
                    live.remove(&voice).is_some(),
                    "voice {voice} stopped but not live"
                );
            }
            ActionKind::Gain { target, .. } => assert!(target.is_finite()),
            _ => {}
        }
        most = most.max(live.len());
    }
    let started = r
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::CueStarted { .. }))
        .count();
    assert!(
        started <= 4,
        "{started} cue starts from one block of requests"
    );
    assert!(most <= 64, "{most} voices at once");
    // ~1,700 triggers of one stinger on one beat are one hit, not a stack of copies that
    // would fill the mixer's voice pool and starve the music.
    let stinger_starts = r
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ActionKind::Start {
                    source: leitmotif_core::conductor::SourceRef::Stinger { .. },
                    ..
                }
            )
        })
        .count();
    assert!(
        stinger_starts <= 2,
        "{stinger_starts} stinger voices from one burst"
    );
    // The music keeps sounding after the burst (every 0.25 s window has signal).
    for (k, w) in r.mix[48_000..].chunks(12_000).enumerate() {
        let rms = (w.iter().map(|f| f[0] * f[0]).sum::<f32>() / w.len() as f32).sqrt();
        assert!(
            rms > 0.01,
            "window {k} after the burst is silent (rms {rms})"
        );
    }
    let peak = r.mix.iter().flat_map(|f| f.iter()).fold(0.0f32, |m, s| {
        if s.is_finite() {
            m.max(s.abs())
        } else {
            f32::INFINITY
        }
    });
    assert!(peak <= 1.0, "peak {peak}");
    let _ = score;
}
