//! The film runner end to end: cues start on their frame, hits land on the frame.

mod common;

use std::path::Path;

use leitmotif_core::Score;
use leitmotif_core::conductor::EventKind;
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::parse_spotting_str_at;
use leitmotif_film::{Format, FrameRate, ParseOptions, parse_str};
use leitmotif_scoring::{DEFAULT_SAMPLE_RATE, FilmOptions, score_film};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A 60-second, 24 fps cut list of twelve 5-second shots starting at 01:00:00:00.
fn edl() -> String {
    let mut s = String::from("TITLE: TEST REEL\nFCM: NON-DROP FRAME\n\n");
    let tc = |f: u32| {
        format!(
            "{:02}:{:02}:{:02}:{:02}",
            1 + f / 86_400,
            (f / 1440) % 60,
            (f / 24) % 60,
            f % 24
        )
    };
    for i in 0..12u32 {
        let (a, b) = (i * 120, (i + 1) * 120);
        s.push_str(&format!(
            "{:03}  R{:03}     V     C        {} {} {} {}\n* FROM CLIP NAME: shot {}\n\n",
            i + 1,
            i,
            tc(a),
            tc(b),
            tc(a),
            tc(b),
            i + 1
        ));
    }
    s
}

#[test]
fn spotted_cues_start_on_their_frame_and_hits_land_on_the_frame() {
    let rate = FrameRate::FPS_24;
    let cut = parse_str(
        &edl(),
        Format::Edl,
        &ParseOptions {
            strict: false,
            rate: Some(rate),
        },
    )
    .unwrap();
    assert_eq!(cut.events.len(), 12);
    let spotting = r#"Spotting(
        cues: [
            (cue: "calm", at: "01:00:00:00"),
            (cue: "unease", at: "01:00:20:07"),
            (cue: "chase", at: "01:00:41:13"),
        ],
        hits: [
            (at: "01:00:31:05", name: "door", importance: 1.0),
            (at: "01:00:50:17", name: "crash", importance: 0.8),
        ],
        params: [(at: "01:00:30:00", param: "tension", value: 0.9, ramp: Some("4s"))],
    )"#;
    let sp = parse_spotting_str_at(spotting, false, rate, None, timeline_start(&cut)).unwrap();
    let score_path = root().join("scores/noir.score.ron");
    let score = Score::load(&score_path).unwrap();
    let opts = FilmOptions {
        tail_seconds: 1.0,
        ..FilmOptions::default()
    };
    let film = score_film(&cut, score, &sp, &score_path, &opts, None).unwrap();
    let r = &film.render;
    assert_eq!(
        DEFAULT_SAMPLE_RATE / 24,
        2000,
        "24 fps is 2000 samples a frame"
    );
    // Every cue's bar 1 on its frame, 0 samples off.
    let starts: Vec<(String, u64)> = r
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CueStarted { cue } => {
                Some((film.score.cues[cue as usize].name.clone(), e.frame))
            }
            _ => None,
        })
        .collect();
    let want = [0u64, (20 * 24 + 7) * 2000, (41 * 24 + 13) * 2000];
    assert_eq!(starts.len(), 3, "{starts:?}");
    for ((name, got), (want, base)) in starts
        .iter()
        .zip(want.iter().zip(["calm", "unease", "chase"]))
    {
        assert!(name.starts_with(base), "{name} vs {base}");
        assert_eq!(
            got,
            want,
            "{name} starts {} samples off",
            *got as i64 - *want as i64
        );
    }
    // Every hit: a stinger sounds on its frame, and the music's nearest beat is within ±1 frame.
    let beats: Vec<i64> = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Beat)
        .map(|e| e.frame as i64)
        .collect();
    for hit in [(31 * 24 + 5) * 2000i64, (50 * 24 + 17) * 2000] {
        assert!(
            r.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Stinger { .. }) && e.frame as i64 == hit),
            "no stinger at {hit}"
        );
        let off = beats.iter().map(|b| (b - hit).abs()).min().unwrap();
        assert!(
            off <= 2000,
            "nearest beat is {off} samples (> 1 frame) from the hit at {hit}"
        );
    }
    // The tempo solver moved the tempo of the cues holding hits.
    assert!(
        film.placed.iter().any(|p| p.cue.contains('@')),
        "{:?}",
        film.placed.iter().map(|p| &p.cue).collect::<Vec<_>>()
    );
    let peak = r
        .mix
        .iter()
        .fold(0.0f32, |m, f| m.max(f[0].abs()).max(f[1].abs()));
    assert!(peak > 0.05 && peak <= 1.0 && r.mix.iter().all(|f| f[0].is_finite()));
}

/// A spotting list's tempo entry changes the tempo of what plays on its frame: the change is
/// reported there and the beats after it are 100 BPM apart.
#[test]
fn a_spotted_tempo_change_moves_the_grid_on_its_frame() {
    let rate = FrameRate::FPS_24;
    let opts = ParseOptions {
        strict: false,
        rate: Some(rate),
    };
    let cut = parse_str(&edl(), Format::Edl, &opts).unwrap();
    let spotting = r#"Spotting(
        cues: [(cue: "calm", at: "01:00:00:00")],
        tempo: [(at: "01:00:10:00", bpm: 100.0)],
    )"#;
    let sp = parse_spotting_str_at(spotting, false, rate, None, timeline_start(&cut)).unwrap();
    let score_path = root().join("scores/noir.score.ron");
    let score = Score::load(&score_path).unwrap();
    let film_opts = FilmOptions {
        tail_seconds: 1.0,
        ..FilmOptions::default()
    };
    let film = score_film(&cut, score, &sp, &score_path, &film_opts, None).unwrap();
    let r = &film.render;
    let at = 10 * 24 * 2000u64;
    let change = r
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::TempoChanged { .. }))
        .expect("the tempo change is reported");
    assert_eq!(
        (change.frame, change.kind),
        (
            at,
            EventKind::TempoChanged {
                millibpm: 100_000,
                ramp_beats: 0
            }
        )
    );
    let beats: Vec<u64> = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Beat && e.frame > at)
        .map(|e| e.frame)
        .take(40)
        .collect();
    assert_eq!(beats.len(), 40);
    assert!(beats[0] - at <= 28_800);
    for w in beats.windows(2) {
        assert!(
            (w[1] - w[0]).abs_diff(28_800) <= 1,
            "beats {} apart",
            w[1] - w[0]
        );
    }
    // Noir's parts play live: every note after the change is on the new grid (a 32nd at
    // 100 BPM is 3,600 frames at 48 kHz), none on the old one's.
    let notes: Vec<u64> = r
        .actions
        .iter()
        .filter(|a| {
            a.frame >= beats[0]
                && matches!(
                    a.kind,
                    leitmotif_core::conductor::ActionKind::Start {
                        source: leitmotif_core::conductor::SourceRef::Note { .. },
                        ..
                    }
                )
        })
        .map(|a| a.frame)
        .collect();
    assert!(notes.len() > 50, "{} notes after the change", notes.len());
    for f in &notes {
        let off = (f - beats[0]) % 3_600;
        assert!(
            off <= 1 || off >= 3_599,
            "a note at {f} is off the new grid by {off}"
        );
    }
}

/// The demo's cut list and spotting list (29.97 drop-frame), as the README's main job reads
/// them.
fn demo() -> (
    leitmotif_film::CutList,
    leitmotif_film::spotting::SpottingList,
    FrameRate,
) {
    let rate: FrameRate = "29.97df".parse().unwrap();
    let cut = leitmotif_film::parse_cut_list(
        &root().join("scores/demo/last_train.edl"),
        &ParseOptions {
            strict: false,
            rate: Some(rate),
        },
    )
    .unwrap();
    let sp = leitmotif_film::spotting::parse_spotting_at(
        &root().join("scores/demo/last_train.spotting.ron"),
        rate,
        timeline_start(&cut),
    )
    .unwrap();
    (cut, sp, rate)
}

#[test]
fn the_demo_cut_list_and_spotting_list_parse() {
    let (cut, sp, rate) = demo();
    assert_eq!((cut.events.len(), cut.markers.len()), (51, 5));
    assert!(cut.rate.is_drop_frame());
    let secs = cut.duration_seconds();
    assert!((120.0..=240.0).contains(&secs), "{secs} s");
    assert_eq!(rate, cut.rate);
    assert_eq!((sp.cues.len(), sp.hits.len()), (4, 5));
    // The spotting list's hits are the cut list's LOC markers.
    let marker_frames: Vec<i64> = cut
        .markers
        .iter()
        .map(|m| m.frame - timeline_start(&cut))
        .collect();
    let hit_frames: Vec<i64> = sp.hits.iter().map(|h| h.at).collect();
    assert_eq!(marker_frames, hit_frames);
}

/// A cue entry that gives only a spotting note plays the score cue nearest the note's mood,
/// with bar 1 on its frame, and the notes reach the cue sheet and the report.
#[test]
fn a_cue_chosen_from_a_spotting_note_plays_on_its_frame() {
    let rate = FrameRate::FPS_24;
    let opts = ParseOptions {
        strict: false,
        rate: Some(rate),
    };
    let cut = parse_str(&edl(), Format::Edl, &opts).unwrap();
    let spotting = r#"Spotting(
        cues: [
            (cue: "calm", at: "01:00:00:00", note: Some("a frantic chase, but the composer wants calm")),
            (at: "01:00:20:07", note: Some("something is wrong, a stranger watches from the shadows")),
            (at: "01:00:41:13", title: Some("1M3 The Chase"), note: Some("he runs for the last train, gunshots, panic")),
        ],
    )"#;
    let sp = parse_spotting_str_at(spotting, false, rate, None, timeline_start(&cut)).unwrap();
    let score_path = root().join("scores/noir.score.ron");
    let score = Score::load(&score_path).unwrap();
    leitmotif_scoring::check_spotting(&sp, &score, Path::new("notes.ron")).unwrap();
    let film_opts = FilmOptions {
        tail_seconds: 1.0,
        ..FilmOptions::default()
    };
    let film = score_film(&cut, score, &sp, &score_path, &film_opts, None).unwrap();
    let starts: Vec<(String, u64)> = film
        .render
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CueStarted { cue } => {
                Some((film.score.cues[cue as usize].name.clone(), e.frame))
            }
            _ => None,
        })
        .collect();
    let want = [
        ("calm".to_string(), 0u64),
        ("unease".to_string(), (20 * 24 + 7) * 2000),
        ("chase".to_string(), (41 * 24 + 13) * 2000),
    ];
    assert_eq!(starts, want);
    let chosen: Vec<(usize, &str)> = film
        .cues_from_notes
        .iter()
        .map(|c| (c.line, c.cue.as_str()))
        .collect();
    assert_eq!(chosen, [(4, "unease"), (5, "chase")]);
    // The notes in the cue sheet's `note` column and the report.
    let dir = std::env::temp_dir().join(format!("leitmotif-film-notes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    leitmotif_scoring::Deliverables {
        cut: &cut,
        spotting: &sp,
        film: &film,
        cut_list_name: "test.edl",
        loudness: None,
        loudness_curve: None,
        credits: None,
        stems: &[],
        picture: None,
    }
    .write(&dir)
    .unwrap();
    let sheet = std::fs::read_to_string(dir.join("cuesheet.csv")).unwrap();
    let rows: Vec<&str> = sheet.lines().collect();
    assert!(
        rows[0].starts_with("cue,title,composer,") && rows[0].ends_with(",bpm,note"),
        "{sheet}"
    );
    assert!(
        rows[3].starts_with("M03,1M3 The Chase,unknown,")
            && rows[3].ends_with(",\"he runs for the last train, gunshots, panic\""),
        "{sheet}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["cues"][1]["note"],
        "something is wrong, a stranger watches from the shadows"
    );
    assert_eq!(report["cues"][1]["cue"], "unease");
    assert_eq!(report["cues_from_notes"][1]["cue"], "chase");
    assert_eq!(report["cues_from_notes"][1]["line"], 5);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo follows its intensity in level (the score's `dynamics`): a loudness range of at
/// least 6 LU, and the chase at least 6 LU above the calm night platform (short-term
/// loudness averaged over each cue, EBU R128 with the ebur128 crate).
#[test]
fn the_demo_follows_its_intensity_in_loudness() {
    let (cut, sp, rate) = demo();
    let score_path = root().join("scores/noir.score.ron");
    let score = Score::load(&score_path).unwrap();
    let film = score_film(&cut, score, &sp, &score_path, &FilmOptions::default(), None).unwrap();
    let sr = DEFAULT_SAMPLE_RATE;
    let mix = &film.render.mix;
    let mut m = ebur128::EbuR128::new(2, sr, ebur128::Mode::LRA | ebur128::Mode::S).unwrap();
    // Short-term loudness every 100 ms.
    let mut short = Vec::new();
    for block in mix.chunks(sr as usize / 10) {
        let inter: Vec<f32> = block.iter().flat_map(|f| [f[0], f[1]]).collect();
        m.add_frames_f32(&inter).unwrap();
        short.push(m.loudness_shortterm().unwrap());
    }
    let lra = m.loudness_range().unwrap();
    let start = |name: &str| {
        let c = sp.cues.iter().position(|c| c.cue == name).unwrap();
        rate.frames_to_seconds(sp.cues[c].start)
    };
    let mean = |a: f64, b: f64| {
        let v: Vec<f64> = short[(a * 10.0) as usize..(b * 10.0) as usize].to_vec();
        v.iter().sum::<f64>() / v.len() as f64
    };
    // Each cue from 4 s in (the short-term window filled with it) to its end.
    let calm = mean(start("calm") + 4.0, start("unease"));
    let chase = mean(start("chase") + 4.0, start("resolution"));
    println!("demo: LRA {lra:.1} LU, calm {calm:.1} LUFS, chase {chase:.1} LUFS");
    assert!(lra >= 6.0, "loudness range {lra:.1} LU");
    assert!(
        chase - calm >= 6.0,
        "chase {chase:.1} vs calm {calm:.1} LUFS"
    );
}

/// The `LoudnessValue` of a WAV file's `bext` chunk (EBU Tech 3285 v2), in hundredths of LUFS.
fn bext_loudness_value(path: &Path) -> i16 {
    use std::io::Read;
    let mut head = vec![0; 4096];
    std::fs::File::open(path)
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    let mut pos = 12;
    while &head[pos..pos + 4] != b"bext" {
        pos += 8 + u32::from_le_bytes(head[pos + 4..pos + 8].try_into().unwrap()) as usize;
    }
    i16::from_le_bytes([head[pos + 8 + 412], head[pos + 8 + 413]])
}

/// `--loudness`: the written mix reaches the delivery loudness within ±0.5 LU under the
/// true-peak ceiling (measured on the file with the ebur128 crate), and stays on its frames.
#[test]
fn the_demo_normalised_to_a_delivery_loudness() {
    let (cut, sp, _) = demo();
    let score_path = root().join("scores/noir.score.ron");
    for (target, ceiling) in [(-23.0, -1.0), (-16.0, -1.0)] {
        let dir = std::env::temp_dir().join(format!(
            "leitmotif-film-loudness-{}-{}",
            -target as i32,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let opts = FilmOptions {
            loudness: Some(leitmotif_scoring::loudness::LoudnessTarget {
                lufs: target,
                true_peak_db: ceiling,
            }),
            ..FilmOptions::default()
        };
        let summary = leitmotif_scoring::render_to_dir(
            &cut,
            Score::load(&score_path).unwrap(),
            &sp,
            &score_path,
            &opts,
            &leitmotif_scoring::WriteOptions::new(&dir, "last_train.edl"),
            &mut |_| {},
        )
        .unwrap();
        let mut reader = hound::WavReader::open(dir.join("mix.wav")).unwrap();
        let spec = reader.spec();
        let sr = spec.sample_rate;
        let scale = (1u32 << (spec.bits_per_sample - 1)) as f32;
        let samples: Vec<f32> = reader
            .samples::<i32>()
            .map(|x| x.unwrap() as f32 / scale)
            .collect();
        let frames: Vec<[f32; 2]> = samples.chunks(2).map(|c| [c[0], c[1]]).collect();
        assert_eq!(
            frames.len() as u64,
            summary.frames,
            "every frame written, none shifted"
        );
        let mut m =
            ebur128::EbuR128::new(2, sr, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK).unwrap();
        let inter: Vec<f32> = frames.iter().flat_map(|f| [f[0], f[1]]).collect();
        m.add_frames_f32(&inter).unwrap();
        let i = m.loudness_global().unwrap();
        let tp = 20.0 * m.true_peak(0).unwrap().max(m.true_peak(1).unwrap()).log10();
        let l = summary.loudness.unwrap();
        println!(
            "loudness {target}: file {i:.2} LUFS, {tp:.2} dBTP (report {:.2} / {:.2}, gain {:+.2} dB)",
            l.integrated_lufs, l.true_peak_db, l.gain_db
        );
        assert!(
            (i - target).abs() <= 0.5,
            "{i:.2} LUFS for a target of {target}"
        );
        assert!(
            tp <= ceiling,
            "true peak {tp:.2} dBTP over the {ceiling} ceiling"
        );
        assert!(
            (l.integrated_lufs - i).abs() < 0.1,
            "the report says what the file is"
        );
        let value = bext_loudness_value(&dir.join("mix.wav"));
        assert!(
            (value as f64 - 100.0 * i).abs() <= 2.0
                && (value as f64 - 100.0 * target).abs() <= 50.0,
            "the bext chunk's LoudnessValue {value} for {i:.2} LUFS"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Spotted out-points: a first cue spotted 3 s in is silent before (the score's initial cue
/// does not play from frame 0); a `Fade` ending is silent on its out-point; a `Tail` ending has
/// a bar line fitted onto its out-point and rings out over its tail after it; silence lasts
/// until the next cue's first sound.
#[test]
fn spotted_out_points_end_the_music_as_the_spotting_list_says() {
    let rate = FrameRate::FPS_24;
    let opts = ParseOptions {
        strict: false,
        rate: Some(rate),
    };
    let cut = parse_str(&edl(), Format::Edl, &opts).unwrap();
    let spotting = r#"Spotting(
        cues: [
            (cue: "calm", at: "01:00:03:00", until: "01:00:12:00", end: Fade, fade: "2s"),
            (cue: "chase", at: "01:00:15:00", until: "01:00:22:15", end: Tail),
            (cue: "unease", at: "01:00:30:00"),
        ],
    )"#;
    let sp = parse_spotting_str_at(spotting, false, rate, None, timeline_start(&cut)).unwrap();
    let score_path = root().join("scores/noir.score.ron");
    let score = Score::load(&score_path).unwrap();
    let film_opts = FilmOptions {
        tail_seconds: 1.0,
        ..FilmOptions::default()
    };
    let film = score_film(&cut, score, &sp, &score_path, &film_opts, None).unwrap();
    let (r, sr) = (&film.render, 48_000usize);
    let rms = |a: f64, b: f64| {
        let s = &r.mix[(a * sr as f64) as usize..(b * sr as f64) as usize];
        (s.iter().map(|f| f[0] * f[0] + f[1] * f[1]).sum::<f32>() / (2 * s.len()) as f32).sqrt()
    };
    let first_sound = |from: f64| {
        r.mix[(from * sr as f64) as usize..]
            .iter()
            .position(|f| f[0] != 0.0 || f[1] != 0.0)
            .map(|i| from + i as f64 / sr as f64)
    };
    let pickup = |cue: &str| {
        let c = film.score.cue(cue).unwrap();
        leitmotif_core::timing::pickup_frames(&film.score, c, sr as u32) as f64 / sr as f64
    };
    // Silent until calm's first sound (its pickup before bar 1 at 3 s).
    let calm = first_sound(0.0).unwrap();
    assert!(
        (calm - (3.0 - pickup("calm"))).abs() < 0.01,
        "calm sounds at {calm} s"
    );
    assert!(rms(4.0, 8.0) > 0.01);
    // The fade: quieter through its 2 s, silent from the out-point at 12 s.
    assert!(rms(10.0, 10.5) > rms(11.4, 11.9) * 2.0);
    let chase = first_sound(12.0).unwrap();
    assert!(
        (chase - (15.0 - pickup("chase"))).abs() < 0.01,
        "chase sounds at {chase} s"
    );
    // The tail ending: a bar line fitted onto 22:15 (within a frame), music up to it, silence
    // after its tail.
    let out = (22.0 + 15.0 / 24.0) * sr as f64;
    let bar = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Bar)
        .map(|e| e.frame as f64)
        .min_by(|a, b| (a - out).abs().total_cmp(&(b - out).abs()))
        .unwrap();
    assert!(
        (bar - out).abs() <= 2000.0,
        "bar line {} samples from the out-point",
        bar - out
    );
    let stopped: Vec<u64> = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Stopped)
        .map(|e| e.frame)
        .collect();
    assert_eq!(stopped.len(), 3, "{stopped:?}"); // before calm, calm's fade, chase's tail
    assert_eq!(stopped[2], out as u64);
    let placed = &film.placed[1];
    let bpm = placed.ramps.last().map_or(placed.bpm, |r| r.bpm);
    let tail = film.score.cue(&placed.cue).unwrap().tail_beats;
    let ring = if tail > 0 { tail as f64 } else { 2.0 } * 60.0 / bpm;
    let out_s = out / sr as f64;
    assert!(rms(out_s - 0.5, out_s) > 0.01);
    assert!(
        rms(out_s + 0.1, out_s + ring * 0.5) > 1e-4,
        "no tail after the out-point"
    );
    let unease = first_sound(out_s + ring + 0.05).unwrap();
    assert!(
        (unease - (30.0 - pickup("unease"))).abs() < 0.01,
        "unease sounds at {unease} s"
    );
}
