//! The post-production exports of a render — `music.edl`, `music.otio`, the PRO cue sheet —
//! read back by our own parsers and, when it is installed, by OpenTimelineIO
//! (`scripts/check-otio`), against the cues `report.json` gives; credits that name a cue the
//! film lacks, and a missing picture, refused before anything is written.

use std::path::{Path, PathBuf};
use std::process::Command;

use leitmotif_core::Score;
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::{SpottingList, parse_spotting_str_at};
use leitmotif_film::{CutList, Format, FrameRate, ParseOptions, parse_cut_list, parse_str};
use leitmotif_scoring::{
    Credits, FilmOptions, OUTPUTS, PREVIEW, ScoringError, WriteOptions, render_to_dir,
};
use serde_json::Value;

/// 12 seconds of picture at 29.97 drop-frame, from 01:00:00;00.
const EDL: &str = "TITLE: EXPORTS\nFCM: DROP FRAME\n\n001  A001 V     C        01:00:00;00 01:00:12;00 01:00:00;00 01:00:12;00\n";

const SCORE: &str = r#"Score(
    name: "Exports",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 2, layers: [(name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3)))]),
        (name: "chase", bars: 2, layers: [(name: "bass", source: Generated((instrument: Bass, part: Bass(4), octave: 2)))]),
    ],
)
"#;

/// Calm until 4 s (silence to 6 s), then the chase to the end; a title with a comma.
const SPOTTING: &str = r#"Spotting(cues: [
    (cue: "calm", at: "01:00:00;00", until: "01:00:04;00", title: "Night, Platform"),
    (cue: "chase", at: "01:00:06;00", title: "Last Train Chase"),
])"#;

const CREDITS: &str = r#"Credits(
    defaults: (
        composers: [(name: "Ada Quill", pro: "PRS", ipi: "00000012345", share: 100)],
        publishers: [(name: "Night Train Music", pro: "PRS", share: 100)],
    ),
    cues: [
        (cue: "chase", usage: VI, composers: [
            (name: "Ada Quill", pro: "PRS", share: 50),
            (name: "Ben Ode", pro: "ASCAP", share: 50),
        ]),
    ],
)"#;

const RATE: FrameRate = FrameRate::FPS_29_97_DF;

/// A fresh folder with the score and the credits, the cut list and the spotting list.
fn setup(name: &str) -> (PathBuf, PathBuf, CutList, SpottingList) {
    let dir = std::env::temp_dir().join(format!("leitmotif-exports-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let score = dir.join("exports.score.ron");
    std::fs::write(&score, SCORE).unwrap();
    std::fs::write(dir.join("credits.ron"), CREDITS).unwrap();
    let cut = parse_str(EDL, Format::Edl, &ParseOptions::with_rate(RATE)).unwrap();
    let sp = parse_spotting_str_at(SPOTTING, false, RATE, None, timeline_start(&cut)).unwrap();
    (dir, score, cut, sp)
}

fn render(
    score: &Path,
    cut: &CutList,
    sp: &SpottingList,
    write: &WriteOptions,
) -> Result<leitmotif_scoring::Summary, ScoringError> {
    let opts = FilmOptions {
        tail_seconds: 1.0,
        ..FilmOptions::default()
    };
    render_to_dir(
        cut,
        Score::load(score).unwrap(),
        sp,
        score,
        &opts,
        write,
        &mut |_| {},
    )
}

/// The report's cues: (number, title, first frame, frame after) on the record timeline.
fn report_cues(report: &Value, origin: i64) -> Vec<(String, String, i64, i64)> {
    report["cues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_string(),
                c["title"].as_str().unwrap().to_string(),
                origin + c["start_frame"].as_i64().unwrap(),
                origin + c["end_frame"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// A clip as OpenTimelineIO reads it: (track, clip, record in, record out, media).
type OtioClip = (String, String, i64, i64, String);

/// OpenTimelineIO's reading of `file` (`scripts/check-otio`), or `None` (printing SKIPPED)
/// when it or its EDL adapter is not installed.
fn otio_clips(file: &Path) -> Option<Vec<OtioClip>> {
    let has = Command::new("python3")
        .args(["-c", "import opentimelineio"])
        .output();
    if !has.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED: OpenTimelineIO is not installed (python3 -m pip install opentimelineio opentimelineio-plugins): {} not read by it",
            file.display()
        );
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check-otio");
    let out = Command::new("python3")
        .arg(script)
        .arg(file)
        .args(["--rate", &RATE.fps().to_string()])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    if out.status.code() == Some(3) {
        eprintln!(
            "SKIPPED: {} not read by OpenTimelineIO: {stderr}",
            file.display()
        );
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    println!("{}:\n{stdout}", file.display());
    Some(
        stdout
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 6, "{l}");
                assert_eq!(f[0], "Audio", "{l}");
                (
                    f[1].to_string(),
                    f[2].to_string(),
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                    f[5].to_string(),
                )
            })
            .collect(),
    )
}

#[test]
fn the_edl_otio_and_cue_sheet_agree_with_the_report_and_read_back() {
    let (dir, score, cut, sp) = setup("agree");
    let origin = timeline_start(&cut);
    let credits_path = dir.join("credits.ron");
    let out = dir.join("out");
    let write = WriteOptions {
        credits: Some(Credits::load(&credits_path).unwrap()),
        ..WriteOptions::new(&out, "exports.edl")
    };
    let summary = render(&score, &cut, &sp, &write).unwrap();
    for o in OUTPUTS {
        assert!(out.join(o).is_file(), "{o}");
    }
    assert!(!out.join(PREVIEW).exists());
    assert_eq!(
        std::fs::read_to_string(&credits_path).unwrap(),
        CREDITS,
        "credits untouched"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let cues = report_cues(&report, origin);
    assert_eq!(cues.len(), 2);
    assert!(cues[0].3 < cues[1].2, "a gap between the cues: {cues:?}");
    let mut stems: Vec<String> = std::fs::read_dir(out.join("stems"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    assert_eq!(stems, ["bass.wav", "pad.wav"], "both stems audible");
    // The EDL through our parser, read at 29.97 without drop-frame: its FCM line switches it.
    let edl = parse_cut_list(
        &out.join("music.edl"),
        &ParseOptions::with_rate(FrameRate::FPS_29_97_NDF),
    )
    .unwrap();
    assert_eq!(edl.rate, RATE);
    assert!(edl.warnings.is_empty(), "{:?}", edl.warnings);
    let events: Vec<_> = edl
        .events
        .iter()
        .map(|e| {
            assert_eq!(
                (e.track.as_str(), e.source_file.as_deref()),
                ("AA", Some("mix.wav"))
            );
            assert_eq!((e.source_in, e.source_out), (e.record_in, e.record_out));
            (
                e.reel.clone(),
                e.clip_name.clone().unwrap(),
                e.record_in,
                e.record_out,
            )
        })
        .collect();
    assert_eq!(events, cues);
    // The OTIO timeline through our parser: the music track's clips, then a clip per stem
    // as long as the mix.
    let tl = parse_cut_list(&out.join("music.otio"), &ParseOptions::default()).unwrap();
    let music: Vec<_> = tl
        .events
        .iter()
        .filter(|e| e.track == "A1")
        .map(|e| {
            (
                e.reel.clone(),
                e.clip_name.clone().unwrap(),
                e.record_in,
                e.record_out,
            )
        })
        .collect();
    assert_eq!(music, cues);
    let media_frames = (summary.seconds() * RATE.fps()).floor() as i64;
    let mut stem_clips: Vec<_> = tl
        .events
        .iter()
        .filter(|e| e.track != "A1")
        .map(|e| {
            assert_eq!((e.record_in, e.record_out), (origin, origin + media_frames));
            let file = e.source_file.clone().unwrap();
            assert!(out.join(&file).is_file(), "{file}");
            file
        })
        .collect();
    stem_clips.sort();
    assert_eq!(stem_clips, ["stems/bass.wav", "stems/pad.wav"]);
    // The cue sheet: the credits per cue, the report's timecodes.
    let mut sheet = csv::Reader::from_path(out.join("cuesheet.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = sheet.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |r: &csv::StringRecord, name: &str| {
        let i = sheet_header().iter().position(|h| h == name).unwrap();
        r[i].to_string()
    };
    assert_eq!(col(&rows[0], "composer"), "Ada Quill");
    assert_eq!(col(&rows[0], "composer_ipi"), "00000012345");
    assert_eq!(col(&rows[0], "publisher_share"), "100");
    assert_eq!(col(&rows[0], "usage"), "BI");
    assert_eq!(col(&rows[1], "composer"), "Ada Quill; Ben Ode");
    assert_eq!(col(&rows[1], "composer_pro"), "PRS; ASCAP");
    assert_eq!(col(&rows[1], "composer_share"), "50; 50");
    assert_eq!(col(&rows[1], "usage"), "VI");
    for (r, c) in rows.iter().zip(report["cues"].as_array().unwrap()) {
        assert_eq!(col(r, "cue"), c["number"].as_str().unwrap());
        assert_eq!(col(r, "title"), c["title"].as_str().unwrap());
        assert_eq!(col(r, "in"), c["in"].as_str().unwrap());
        assert_eq!(col(r, "out"), c["out"].as_str().unwrap());
    }
    assert_eq!(col(&rows[0], "duration"), "00:04");
    assert_eq!(
        report["credits"]["file"],
        credits_path.display().to_string()
    );
    assert_eq!(report["credits"]["cues"][1]["usage"], "VI");
    // OpenTimelineIO's reading, when it is installed.
    if let Some(clips) = otio_clips(&out.join("music.otio")) {
        let music: Vec<_> = clips
            .iter()
            .filter(|c| c.0 == "Music")
            .map(|c| (c.1.clone(), c.2, c.3, c.4.clone()))
            .collect();
        let want: Vec<_> = cues
            .iter()
            .map(|c| (c.1.clone(), c.2, c.3, "mix.wav".to_string()))
            .collect();
        assert_eq!(music, want);
        let stems: Vec<_> = clips.iter().filter(|c| c.0 != "Music").collect();
        assert_eq!(stems.len(), 2, "{clips:?}");
        for s in stems {
            assert_eq!(
                (s.2, s.3, s.4.clone()),
                (origin, origin + media_frames, format!("stems/{}.wav", s.0))
            );
        }
    }
    if let Some(clips) = otio_clips(&out.join("music.edl")) {
        // `AA`: the stereo pair on tracks A1 and A2.
        for track in ["A1", "A2"] {
            let got: Vec<_> = clips
                .iter()
                .filter(|c| c.0 == track)
                .map(|c| (c.1.clone(), c.2, c.3))
                .collect();
            let want: Vec<_> = cues.iter().map(|c| (c.1.clone(), c.2, c.3)).collect();
            assert_eq!(got, want, "track {track}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn sheet_header() -> Vec<String> {
    let text = "cue,title,composer,composer_pro,composer_ipi,composer_share,publisher,publisher_pro,publisher_ipi,publisher_share,usage,in,out,duration,duration_s,bpm,note";
    text.split(',').map(String::from).collect()
}

/// Without credits every column is still there: composer "unknown", usage BI; the report
/// says why.
#[test]
fn without_credits_the_sheet_says_unknown_and_the_report_says_so() {
    let (dir, score, cut, sp) = setup("unknown");
    let out = dir.join("out");
    render(&score, &cut, &sp, &WriteOptions::new(&out, "exports.edl")).unwrap();
    let mut sheet = csv::Reader::from_path(out.join("cuesheet.csv")).unwrap();
    assert_eq!(
        sheet.headers().unwrap().iter().collect::<Vec<_>>(),
        sheet_header()
    );
    for r in sheet.records() {
        let r = r.unwrap();
        assert_eq!(
            (&r[2], &r[3], &r[5], &r[6], &r[10]),
            ("unknown", "", "100", "", "BI")
        );
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(report["credits"]["file"].is_null());
    assert!(
        report["credits"]["note"]
            .as_str()
            .unwrap()
            .contains("--credits"),
        "{}",
        report["credits"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Credits for a cue the film does not play, and a picture that is not there, are refused
/// as input errors before anything is written.
#[test]
fn bad_credits_and_a_missing_picture_write_nothing() {
    let (dir, score, cut, sp) = setup("refused");
    let out = dir.join("out");
    let text = CREDITS.replace("cue: \"chase\"", "cue: \"resolution\"");
    std::fs::write(dir.join("bad.ron"), &text).unwrap();
    let credits = Credits::load(&dir.join("bad.ron")).unwrap();
    let early = credits
        .check(&sp, &Score::load(&score).unwrap())
        .unwrap_err();
    let write = WriteOptions {
        credits: Some(credits),
        ..WriteOptions::new(&out, "exports.edl")
    };
    let late = render(&score, &cut, &sp, &write).unwrap_err();
    for e in [&early, &late] {
        assert!(
            matches!(e, ScoringError::Credits { .. }) && e.is_input_error(),
            "{e:?}"
        );
        assert!(
            e.to_string().starts_with(&format!(
                "{}:7:15: credits for cue \"resolution\"",
                dir.join("bad.ron").display()
            )),
            "{e}"
        );
    }
    assert!(!out.exists(), "nothing written");
    let write = WriteOptions {
        picture: Some(dir.join("missing.mp4")),
        ..WriteOptions::new(&out, "exports.edl")
    };
    let e = render(&score, &cut, &sp, &write).unwrap_err();
    assert!(
        matches!(e, ScoringError::Preview { .. }) && e.is_input_error(),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("missing.mp4: cannot read the picture"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}
