//! The library end to end on a small score: options, the spotting check, rendering into a
//! folder all or nothing, and the typed errors.

use std::path::{Path, PathBuf};

use leitmotif_core::Score;
use leitmotif_engine::wav::{WavFormat, write_wav};
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::{SpottingList, parse_spotting_str_at};
use leitmotif_film::{CutList, Format, FrameRate, ParseOptions, parse_str};
use leitmotif_scoring::{
    DEFAULT_SAMPLE_RATE, FilmOptions, OUTPUTS, ScoringError, Stage, WriteOptions, check_spotting,
    existing_output, render_to_dir, score_film,
};

/// A 4-second, 25 fps EDL.
const EDL: &str = "TITLE: t\nFCM: NON-DROP FRAME\n\n001  AX       V     C        01:00:00:00 01:00:04:00 01:00:00:00 01:00:04:00\n";

fn score_text(b_source: &str) -> String {
    format!(
        r#"Score(
    name: "lib",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [(name: "tension")],
    initial_cue: "a",
    cues: [
        (name: "a", bars: 1, layers: [(name: "pad", source: File("a.wav"))]),
        (name: "b", bars: 1, layers: [(name: "lead", source: {b_source})]),
    ],
)
"#
    )
}

/// A fresh folder holding the score (cue "b" from `b_source`) and a 2-second stem `a.wav`.
fn setup(name: &str, b_source: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("leitmotif-scoring-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sine: Vec<[f32; 2]> = (0..96_000)
        .map(|i| {
            let s = 0.2 * (i as f32 * 0.03).sin();
            [s, s]
        })
        .collect();
    write_wav(&dir.join("a.wav"), &sine, 48_000, WavFormat::Float32, None).unwrap();
    let score = dir.join("s.score.ron");
    std::fs::write(&score, score_text(b_source)).unwrap();
    (dir, score)
}

fn cut() -> CutList {
    let opts = ParseOptions {
        strict: false,
        rate: Some(FrameRate::FPS_25),
    };
    parse_str(EDL, Format::Edl, &opts).unwrap()
}

fn spotting(cut: &CutList, csv: &str) -> SpottingList {
    parse_spotting_str_at(csv, true, cut.rate, None, timeline_start(cut)).unwrap()
}

const SPOT: &str = "kind,at,name\ncue,0s,a\ncue,2s,b\n";

/// Every file under `dir`, relative.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn options_default_to_48k_seed_1_and_a_3_second_tail() {
    let o = FilmOptions::default();
    assert_eq!((o.sample_rate, o.seed, o.tail_seconds), (48_000, 1, 3.0));
    assert_eq!(DEFAULT_SAMPLE_RATE, 48_000);
    assert!(!o.allow_outside_stems);
}

#[test]
fn the_sample_rate_is_an_option() {
    let (dir, path) = setup("rate", "Silence");
    let cut = cut();
    let sp = spotting(&cut, SPOT);
    for sr in [44_100u32, 48_000] {
        let opts = FilmOptions {
            sample_rate: sr,
            tail_seconds: 0.5,
            ..FilmOptions::default()
        };
        let film = score_film(&cut, Score::load(&path).unwrap(), &sp, &path, &opts, None).unwrap();
        assert_eq!(film.sample_rate, sr);
        assert_eq!(film.frames, 4 * sr as u64 + sr as u64 / 2);
        assert_eq!(film.render.mix.len() as u64, film.frames);
        // Cue "b" starts on its frame, two seconds in, at either rate.
        let b = film.score.cue_index("b").unwrap();
        assert!(
            film.inputs.iter().any(|i| i.frame == 2 * sr as u64
                && i.input == leitmotif_core::conductor::Input::StartCue(b)),
            "{:?}",
            film.inputs
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_cues_and_parameters_name_the_file_the_line_and_what_exists() {
    let (dir, path) = setup("names", "Silence");
    let score = Score::load(&path).unwrap();
    let cut = cut();
    let file = Path::new("spot.csv");
    let e = check_spotting(
        &spotting(&cut, "kind,at,name\ncue,0s,a\ncue,2s,combat\n"),
        &score,
        file,
    )
    .unwrap_err();
    assert!(
        matches!(e, ScoringError::UnknownCue { line: 3, .. }),
        "{e:?}"
    );
    assert!(e.is_input_error());
    assert_eq!(
        e.to_string(),
        "spot.csv:3: unknown cue \"combat\" (hint: the score has a, b)"
    );
    let e = check_spotting(
        &spotting(&cut, "kind,at,name,value\ncue,0s,a,\nparam,1s,anger,0.5\n"),
        &score,
        file,
    )
    .unwrap_err();
    assert!(
        matches!(e, ScoringError::UnknownParameter { line: 3, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().ends_with("(hint: the score has tension)"),
        "{e}"
    );
    assert!(check_spotting(&spotting(&cut, SPOT), &score, file).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_render_into_a_folder_writes_every_output_and_no_temporary_file() {
    let (dir, path) = setup("ok", "Silence");
    let out = dir.join("out");
    let cut = cut();
    let sp = spotting(&cut, SPOT);
    let write = WriteOptions {
        out_dir: out.clone(),
        cut_list_name: "film.edl".into(),
    };
    let mut stages = Vec::new();
    let opts = FilmOptions::default();
    let summary = render_to_dir(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &opts,
        &write,
        &mut |s| stages.push(s),
    )
    .unwrap();
    assert_eq!(stages, [Stage::Rendering, Stage::Writing]);
    assert_eq!((summary.cues, summary.hits), (2, 0));
    assert!(
        (summary.seconds() - 7.0).abs() < 1e-9,
        "{}",
        summary.seconds()
    );
    let mut want: Vec<String> = OUTPUTS.iter().map(|s| s.to_string()).collect();
    want.extend(["bridges".into(), "stems".into(), "stems/pad.wav".into()]);
    want.sort();
    assert_eq!(files(&out), want, "silent stems are left out");
    assert_eq!(existing_output(&out), Some(out.join("mix.wav")));
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(report.contains("\"cut_list\": \"film.edl\""), "{report}");
    // A second run replaces the outputs in place.
    render_to_dir(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &opts,
        &write,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(files(&out), want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_render_leaves_nothing_behind() {
    let (dir, path) = setup("missing", "File(\"missing.wav\")");
    let out = dir.join("out");
    let cut = cut();
    let sp = spotting(&cut, SPOT);
    let write = WriteOptions {
        out_dir: out.clone(),
        cut_list_name: "film.edl".into(),
    };
    let e = render_to_dir(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &FilmOptions::default(),
        &write,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(e, ScoringError::Bank { .. }) && e.is_input_error(),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: ", path.display())) && msg.contains("missing.wav"),
        "{msg}"
    );
    assert!(!out.exists(), "the output folder was left behind");
    // An output folder that cannot be made: an I/O error naming the path, not an input error.
    std::fs::write(dir.join("file"), b"not a folder").unwrap();
    let (_, ok_score) = setup("io", "Silence");
    let write = WriteOptions {
        out_dir: dir.join("file").join("out"),
        cut_list_name: "film.edl".into(),
    };
    let e = render_to_dir(
        &cut,
        Score::load(&ok_score).unwrap(),
        &sp,
        &ok_score,
        &FilmOptions::default(),
        &write,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(e, ScoringError::Io { .. }) && !e.is_input_error(),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains(&dir.join("file").display().to_string()),
        "{e}"
    );
    assert_eq!(std::fs::read(dir.join("file")).unwrap(), b"not a folder");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(ok_score.parent().unwrap());
}

#[test]
fn stems_outside_the_score_folder_load_only_when_allowed() {
    let name = format!("outside-{}.wav", std::process::id());
    let (dir, path) = setup("outside", &format!("File(\"../{name}\")"));
    let outside = dir.parent().unwrap().join(&name);
    std::fs::copy(dir.join("a.wav"), &outside).unwrap();
    let cut = cut();
    let sp = spotting(&cut, SPOT);
    let refuse = score_film(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &FilmOptions::default(),
        None,
    );
    assert!(matches!(refuse, Err(ScoringError::Bank { .. })));
    let allow = FilmOptions {
        allow_outside_stems: true,
        ..FilmOptions::default()
    };
    let film = score_film(&cut, Score::load(&path).unwrap(), &sp, &path, &allow, None).unwrap();
    assert!(film.render.mix.iter().any(|f| f[0] != 0.0));
    let _ = std::fs::remove_file(&outside);
    let _ = std::fs::remove_dir_all(&dir);
}
