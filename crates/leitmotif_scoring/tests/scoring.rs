//! The library end to end on a small score: options, the spotting check, rendering into a
//! folder all or nothing, and the typed errors.

use std::path::{Path, PathBuf};

use leitmotif_core::Score;
use leitmotif_engine::wav::{WavFormat, write_wav};
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::{SpottingList, parse_spotting_str_at};
use leitmotif_film::{CutList, Format, FrameRate, ParseOptions, parse_str};
use leitmotif_scoring::{
    DEFAULT_SAMPLE_RATE, FilmOptions, OUTPUTS, Progress, ScoringError, Stage, WriteOptions,
    check_spotting, existing_output, render_to_dir, score_film,
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
    let write = WriteOptions::new(out.clone(), "film.edl");
    let mut stages = Vec::new();
    let opts = FilmOptions::default();
    let summary = render_to_dir(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &opts,
        &write,
        &mut |p: Progress| stages.push(p),
    )
    .unwrap();
    // Each stage as it starts, then the frames rendered block by block up to the total.
    let total = stages[0].total;
    assert_eq!(total, summary.frames);
    let mut names: Vec<Stage> = stages.iter().map(|p| p.stage).collect();
    names.dedup();
    assert_eq!(names, [Stage::Rendering, Stage::Writing]);
    assert!(
        stages
            .windows(2)
            .all(|w| w[0].done <= w[1].done && w[1].total == total)
    );
    assert!(stages.len() > 100, "{} progress reports", stages.len());
    assert_eq!(stages[0].done, 0);
    let written = stages
        .iter()
        .rposition(|p| p.stage == Stage::Rendering)
        .unwrap();
    assert_eq!(stages[written].done, total);
    assert_eq!(stages.last().unwrap().fraction(), 1.0);
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
    let write = WriteOptions::new(out.clone(), "film.edl");
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
    let write = WriteOptions::new(dir.join("file").join("out"), "film.edl");
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

/// The `bext` chunk (EBU Tech 3285 v2) and samples of a 24-bit stereo WAV, walking its chunks.
fn bext_and_frames(path: &Path) -> (Vec<u8>, Vec<[f32; 2]>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!((&b[..4], &b[8..12]), (&b"RIFF"[..], &b"WAVE"[..]));
    let (mut bext, mut data) = (None, None);
    let mut pos = 12;
    while pos + 8 <= b.len() {
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &b[pos + 8..pos + 8 + len];
        match &b[pos..pos + 4] {
            b"bext" => bext = Some(body.to_vec()),
            b"data" => data = Some(body),
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    let samples: Vec<f32> = data
        .expect("a data chunk")
        .chunks(3)
        .map(|c| (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f32 / 8_388_608.0)
        .collect();
    (
        bext.expect("a bext chunk"),
        samples.chunks(2).map(|c| [c[0], c[1]]).collect(),
    )
}

/// Integrated loudness, loudness range, true peak, and the highest momentary and short-term
/// loudness read every 100 ms: what the ebur128 crate measures of `frames`.
fn measure(frames: &[[f32; 2]], sr: u32) -> [f64; 5] {
    use ebur128::{EbuR128, Mode};
    let mut m = EbuR128::new(2, sr, Mode::I | Mode::LRA | Mode::TRUE_PEAK).unwrap();
    let block = sr as usize / 10;
    let (mut mm, mut ms) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (k, c) in frames.chunks(block).enumerate() {
        let inter: Vec<f32> = c.iter().flat_map(|f| [f[0], f[1]]).collect();
        m.add_frames_f32(&inter).unwrap();
        if c.len() == block && k >= 3 {
            mm = mm.max(m.loudness_momentary().unwrap());
        }
        if c.len() == block && k >= 29 {
            ms = ms.max(m.loudness_shortterm().unwrap());
        }
    }
    let tp = m.true_peak(0).unwrap().max(m.true_peak(1).unwrap());
    [
        m.loudness_global().unwrap(),
        m.loudness_range().unwrap(),
        20.0 * tp.log10(),
        mm,
        ms,
    ]
}

/// Every rendered WAV carries its own loudness in its `bext` chunk (version 2: integrated,
/// range, true peak, max momentary, max short-term, in hundredths): what the ebur128 crate
/// measures of the file's samples. Normalised to −23 LUFS, the mix says −23.
#[test]
fn each_rendered_wav_carries_its_loudness_in_bext() {
    let (dir, path) = setup("bext", "File(\"a.wav\")");
    let out = dir.join("out");
    let cut = cut();
    let sp = spotting(&cut, SPOT);
    let opts = FilmOptions {
        loudness: Some(leitmotif_scoring::loudness::LoudnessTarget {
            lufs: -23.0,
            true_peak_db: -1.0,
        }),
        ..FilmOptions::default()
    };
    render_to_dir(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &opts,
        &WriteOptions::new(&out, "film.edl"),
        &mut |_| {},
    )
    .unwrap();
    let mut mix = None;
    for file in ["mix.wav", "stems/pad.wav", "stems/lead.wav"] {
        let (bext, frames) = bext_and_frames(&out.join(file));
        assert_eq!(bext.len(), 602);
        assert_eq!(u16::from_le_bytes([bext[346], bext[347]]), 2, "version 2");
        assert!(
            bext[320..338].iter().all(|&c| c == 0),
            "no origination date or time (the same inputs give the same bytes)"
        );
        let fields: [i16; 5] =
            std::array::from_fn(|i| i16::from_le_bytes([bext[412 + 2 * i], bext[413 + 2 * i]]));
        let want = measure(&frames, 48_000);
        println!("{file}: bext {fields:?}, measured {want:.3?}");
        for (name, (&got, want)) in ["I", "LRA", "true peak", "max M", "max S"]
            .iter()
            .zip(fields.iter().zip(want))
        {
            assert!(
                (got as f64 - want * 100.0).abs() <= 2.0,
                "{file} {name}: bext {got}, measured {want:.3}"
            );
        }
        mix.get_or_insert(fields);
    }
    let mix = mix.unwrap();
    assert!(
        (mix[0] + 2300).abs() <= 50,
        "the mix normalised to -23 LUFS says {}",
        mix[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With a delivery loudness the film is rendered twice: the measuring pass is its own stage,
/// and the progress counts both passes up to a total of twice the render.
#[test]
fn a_measuring_pass_reports_its_own_stage_and_progress_counts_both_passes() {
    let (dir, path) = setup("progress", "File(\"a.wav\")");
    let cut = cut();
    let sp = spotting(&cut, SPOT);
    let opts = FilmOptions {
        loudness: Some(leitmotif_scoring::loudness::LoudnessTarget {
            lufs: -23.0,
            true_peak_db: -1.0,
        }),
        ..FilmOptions::default()
    };
    let write = WriteOptions::new(dir.join("out"), "film.edl");
    let mut heard: Vec<Progress> = Vec::new();
    let summary = render_to_dir(
        &cut,
        Score::load(&path).unwrap(),
        &sp,
        &path,
        &opts,
        &write,
        &mut |p| heard.push(p),
    )
    .unwrap();
    let total = 2 * summary.frames;
    assert!(heard.iter().all(|p| p.total == total && p.done <= total));
    assert!(
        heard.windows(2).all(|w| w[0].done <= w[1].done),
        "done only grows"
    );
    let mut stages: Vec<Stage> = heard.iter().map(|p| p.stage).collect();
    stages.dedup();
    assert_eq!(stages, [Stage::Measuring, Stage::Rendering, Stage::Writing]);
    let last_measuring = heard
        .iter()
        .rposition(|p| p.stage == Stage::Measuring)
        .unwrap();
    assert_eq!(heard[last_measuring].done, summary.frames);
    assert_eq!(heard[last_measuring + 1].stage, Stage::Rendering);
    assert!((heard[heard.len() / 4].fraction() - 0.25).abs() < 0.05);
    assert_eq!(heard.last().unwrap().done, total);
    let _ = std::fs::remove_dir_all(&dir);
}
