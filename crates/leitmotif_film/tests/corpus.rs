//! Tests against the real corpus in /work/shared/corpus/edl (see SOURCES.md there).

use std::path::{Path, PathBuf};

use leitmotif_film::{
    CutList, Format, FrameRate, ParseError, ParseOptions, TimecodeError, TrackItem, Transition,
    parse_cut_list, parse_str,
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/edl");

/// The corpus file, or `None` (with a loud message) if the corpus is missing.
fn corpus(name: &str) -> Option<PathBuf> {
    let p = Path::new(CORPUS).join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "!!!!! SKIPPED: corpus file {} not found; corpus tests did not run !!!!!",
            p.display()
        );
        None
    }
}

fn read(name: &str, opts: ParseOptions) -> Option<CutList> {
    let p = corpus(name)?;
    Some(parse_cut_list(&p, &opts).unwrap_or_else(|e| panic!("{e}")))
}

fn at(rate: FrameRate) -> ParseOptions {
    ParseOptions::with_rate(rate)
}

#[test]
fn screening_example_edl() {
    let Some(l) = read("otiocmx_screening_example.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.format, Format::Edl);
    assert_eq!(l.title.as_deref(), Some("Example_Screening.01"));
    assert_eq!(l.events.len(), 9);
    assert_eq!(l.events[0].clip_name.as_deref(), Some("ZZ100_501 (LAY3)"));
    assert_eq!(
        l.events[0].source_file.as_deref(),
        Some("ZZ100_501.LAY3.01")
    );
    assert_eq!(l.events[0].record_in_tc(l.rate), "00:59:53:11");
    assert!(
        l.events[8]
            .comments
            .iter()
            .any(|c| c.starts_with("AVX2 EFFECT"))
    );
    let on4: Vec<_> = l.markers.iter().filter(|m| m.event == Some(4)).collect();
    assert_eq!(on4.len(), 2);
    assert_eq!(
        (
            on4[0].timecode.as_str(),
            on4[0].colour.as_deref(),
            on4[0].name.as_str()
        ),
        ("01:00:01:14", Some("RED"), "ANIM FIX NEEDED")
    );
    assert_eq!(
        (on4[1].frame, on4[1].colour.as_deref()),
        (86462, Some("PINK"))
    );
    let green = &l.markers[2];
    assert_eq!(
        (green.event, green.colour.as_deref(), green.name.as_str()),
        (Some(7), Some("GREEN"), "")
    );
    assert_eq!(l.shots().len(), 9);
    assert_eq!(l.duration_frames(), 87292 - 86243);
}

#[test]
fn screening_example_edl_and_otio_agree() {
    let Some(edl) = read("otiocmx_screening_example.edl", ParseOptions::default()) else {
        return;
    };
    let Some(otio) = read("otio_screening_example.otio", ParseOptions::default()) else {
        return;
    };
    assert_eq!(otio.format, Format::Otio);
    assert_eq!(otio.rate, FrameRate::FPS_24);
    assert_eq!(otio.events.len(), 9);
    let rec = |l: &CutList| l.events.iter().map(|e| e.record_in).collect::<Vec<_>>();
    assert_eq!(rec(&edl), rec(&otio));
    let names = |l: &CutList| {
        l.events
            .iter()
            .map(|e| e.clip_name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&edl), names(&otio));
    let on4 = |l: &CutList| {
        l.markers
            .iter()
            .filter(|m| m.event == Some(4))
            .map(|m| (m.frame, m.colour.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(on4(&edl), on4(&otio));
    assert_eq!(on4(&otio).len(), 2);
}

#[test]
fn dissolve_test_3() {
    let Some(l) = read("otiocmx_dissolve_test_3.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.events.len(), 3);
    let e = &l.events[1];
    assert_eq!(e.kind, Transition::Dissolve { frames: 30 });
    assert_eq!(
        (e.clip_name.as_deref(), e.from_clip_name.as_deref()),
        (Some("Clip_C.mov"), Some("Clip_B.mov"))
    );
    assert_eq!(
        (e.line, e.record_in_tc(l.rate).as_str()),
        (7, "01:00:02:13")
    );
    assert!(
        e.comments
            .iter()
            .any(|c| c == "EFFECTS NAME IS CROSS DISSOLVE")
    );
}

#[test]
fn dissolve_test_4_three_part_transition() {
    let Some(l) = read("otiocmx_dissolve_test_4.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.title.as_deref(), Some("TRANSITION_TEST_2"));
    assert_eq!(l.track_items("V").len(), 8);
    let tr: Vec<u32> = l
        .events
        .iter()
        .map(|e| e.kind.frames())
        .filter(|&f| f > 0)
        .collect();
    assert_eq!(tr, [35, 64]);
    assert_eq!(l.events.last().unwrap().number, 60);
    assert_eq!(l.events[2].from_reel.as_deref(), Some("ABC0020."));
}

#[test]
fn wipe_test() {
    let Some(l) = read("otiocmx_wipe_test.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.track_items("V").len(), 4);
    assert_eq!(
        l.events[1].kind,
        Transition::Wipe {
            code: "W001".into(),
            frames: 10
        }
    );
    assert_eq!(l.events[1].reel, "TST");
    assert_eq!(l.events[1].clip_name.as_deref(), Some("clip_B"));
}

#[test]
fn speed_effects() {
    let Some(l) = read("otiocmx_speed_effects_small.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.events.len(), 5);
    assert_eq!(l.events[1].speed, Some(0.0));
    assert_eq!(l.events[2].m2_fps, Some(0.0));
    assert_eq!(l.events[3].speed, None);
    assert_eq!(l.events[4].m2_fps, Some(47.6));
    assert!((l.events[4].speed.unwrap() - 47.6 / 24.0).abs() < 1e-9);
}

#[test]
fn gap_test_record_gaps() {
    let Some(l) = read("otiocmx_gap_test.edl", ParseOptions::default()) else {
        return;
    };
    let items = l.track_items("V");
    let shape: Vec<&str> = items
        .iter()
        .map(|i| match i {
            TrackItem::Clip(_) => "clip",
            TrackItem::Gap { .. } => "gap",
            TrackItem::Transition(_) => "tr",
        })
        .collect();
    assert_eq!(shape, ["clip", "gap", "clip", "gap", "clip"]);
    let gaps: Vec<i64> = items
        .iter()
        .filter_map(|i| match i {
            TrackItem::Gap { start, end } => Some(end - start),
            _ => None,
        })
        .collect();
    assert_eq!(gaps, [16, 38]);
    assert_eq!(l.events[2].clip_name.as_deref(), Some("shot3"));
    assert_eq!(l.shots().len(), 3);
}

#[test]
fn timecode_mismatch_is_a_warning_unless_strict() {
    let Some(p) = corpus("otiocmx_timecode_mismatch.edl") else {
        return;
    };
    let strict = ParseOptions {
        strict: true,
        rate: Some(FrameRate::FPS_25),
    };
    match parse_cut_list(&p, &strict) {
        Err(ParseError::DurationMismatch { at, event, .. }) => {
            assert_eq!((at.line, event.as_str()), (13, "004"))
        }
        other => panic!("{other:?}"),
    }
    let l = parse_cut_list(&p, &at(FrameRate::FPS_25)).unwrap();
    assert_eq!(l.events.len(), 20);
    assert!(l.warnings[0].contains("event 004"));
    // At the default 24 fps the frame field 24 is out of range: on the source side a
    // warning (the list reads), with --strict an error at its line.
    let l = parse_cut_list(
        &p,
        &ParseOptions {
            strict: false,
            rate: None,
        },
    )
    .unwrap();
    assert_eq!(l.events.len(), 20);
    assert!(
        l.warnings
            .iter()
            .any(|w| w.contains(":13:42: event 004: bad source-out"))
    );
    match parse_cut_list(
        &p,
        &ParseOptions {
            strict: true,
            rate: None,
        },
    ) {
        Err(ParseError::BadTimecode {
            at, event, reason, ..
        }) => {
            assert_eq!((at.line, event.as_deref()), (13, Some("004")));
            assert!(matches!(
                reason,
                TimecodeError::FrameOutOfRange {
                    frames: 24,
                    nominal: 24
                }
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pycmx_test_120_events() {
    let Some(l) = read("pycmx_TEST.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.title.as_deref(), Some("DC7 R1_v8.2"));
    assert_eq!(l.events.len(), 120);
    assert_eq!(l.events[43].number, 44);
    assert_eq!(l.events[43].record_out_tc(l.rate), "01:10:21:10");
    for t in ["A", "A2", "A7", "A11", "A12"] {
        assert!(l.tracks().contains(&t), "{t}");
    }
    assert_eq!(l.events[5].kind, Transition::Dissolve { frames: 2 });
    let e40 = l.event(40).unwrap();
    assert_eq!(
        (e40.from_reel.as_deref(), e40.reel.as_str()),
        (Some("BL"), "TC_R1_V6")
    );
    assert!(l.shots().is_empty());
}

#[test]
fn pycmx_test_25() {
    let Some(l) = read("pycmx_test_25.edl", at(FrameRate::FPS_25)) else {
        return;
    };
    assert_eq!(l.events.len(), 11);
    assert_eq!(l.events[2].extra_audio, [3, 4]);
    assert_eq!(l.events[1].track, "AA");
    assert_eq!(l.events[4].kind, Transition::Dissolve { frames: 70 });
    assert_eq!(
        l.events[6].kind,
        Transition::Wipe {
            code: "W001".into(),
            frames: 25
        }
    );
    assert_eq!(l.events[6].reel, "BL");
    assert_eq!(l.events[9].speed, Some(-1.0));
    assert!(l.events[10].comments[0].starts_with("REM The MIT License"));
}

#[test]
fn pycmx_unusual_columns() {
    let Some(l) = read("pycmx_ISSUE_19_unusual01.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.events.len(), 38);
    assert_eq!(l.events[0].number_text, "0001");
    assert_eq!(l.events[0].reel, "Z125C001_220217_ROLX");
    assert_eq!(l.events[10].reel, "J001_C002_20211007_R");
    assert_eq!(l.shots().len(), 38);
    assert_eq!(l.events[37].record_out_tc(l.rate), "00:02:51:09");
}

#[test]
fn resolve_markers() {
    let Some(l) = read("resolve_markers_Timeline.edl", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.events.len(), 6);
    let names: Vec<&str> = l.markers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Test Chapter 1",
            "Test Chapter 2",
            "Hello",
            "Test Chapter 4",
            "Blablabla",
            "Test 12345 Test"
        ]
    );
    assert!(
        l.markers
            .iter()
            .all(|m| m.colour.as_deref() == Some("BLUE") && m.duration_frames == 1)
    );
    assert_eq!(l.markers[1].frame, 48 * 24 + 18);
    assert_eq!(l.markers[5].timecode, "00:08:30:21");
}

#[test]
fn premiere_example_otio() {
    let Some(l) = read("otio_premiere_example.otio", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.rate, FrameRate::FPS_30);
    assert_eq!(l.title.as_deref(), Some("sc01_sh010_layerA"));
    // The 15 fps clip: 50 frames at 15 = 100 at 30.
    assert_eq!(
        (
            l.events[0].track.as_str(),
            l.events[0].source_out,
            l.events[0].record_in
        ),
        ("V1", 100, 536)
    );
    let frames: Vec<i64> = l.markers.iter().map(|m| m.frame).collect();
    assert_eq!(frames, [113, 298, 395, 492]);
    assert_eq!(l.markers[0].comment.as_deref(), Some("so, this happened"));
    assert_eq!(l.markers[2].event, Some(4));
    assert!(
        l.events
            .iter()
            .any(|e| e.track == "V4" && e.kind == Transition::Dissolve { frames: 25 })
    );
    assert!(
        l.events
            .iter()
            .any(|e| e.comments.iter().any(|c| c.starts_with("nested Stack")))
    );
}

#[test]
fn premiere_example_fcp7() {
    let Some(l) = read("otio_premiere_example_fcp7.xml", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.format, Format::Fcp7Xml);
    assert_eq!(l.rate, FrameRate::FPS_30);
    let frames: Vec<i64> = l.markers.iter().map(|m| m.frame).collect();
    assert_eq!(frames, [113, 298, 395, 492]);
    assert_eq!(
        (l.markers[0].name.as_str(), l.markers[3].comment.as_deref()),
        ("My MArker 1", Some("fsfsfs"))
    );
    assert_eq!(l.markers[2].event, Some(4));
    let v2: Vec<(i64, i64)> = l
        .events_on("V2")
        .iter()
        .map(|&i| (l.events[i].record_in, l.events[i].record_out))
        .collect();
    assert_eq!(v2, [(13, 113), (165, 322), (322, 557), (636, 956)]);
    assert_eq!(l.events[0].source_out, 100);
    assert!(
        l.events
            .iter()
            .any(|e| e.track == "V4" && e.kind == Transition::Dissolve { frames: 25 })
    );
    assert!(l.events[0].line > 1);
}

#[test]
fn fcpx_example() {
    let Some(l) = read("otio_fcpx_example.fcpxml", ParseOptions::default()) else {
        return;
    };
    assert_eq!(l.format, Format::FcpXml);
    assert_eq!(l.rate, FrameRate::FPS_30);
    assert_eq!(l.events.len(), 6);
    assert_eq!(
        (
            l.events[1].clip_name.as_deref(),
            l.events[1].record_in,
            l.events[1].source_in
        ),
        (Some("compound_clip_1"), 2400, 109)
    );
    let got: Vec<(&str, i64)> = l
        .markers
        .iter()
        .map(|m| (m.name.as_str(), m.frame))
        .collect();
    assert_eq!(
        got,
        [
            ("Marker 1", 180),
            ("Marker 5", 660),
            ("Marker 2", 841),
            ("Marker 9", 1096),
            ("Marker 3", 1151),
            ("Marker 4", 1937),
            ("Marker 7", 2400),
            ("Marker 8", 2714)
        ]
    );
    assert_eq!(l.markers[1].colour.as_deref(), Some("RED"));
    assert_eq!(l.markers[6].colour.as_deref(), Some("GREEN"));
}

#[test]
fn drop_frame_edl_29_97() {
    let text = "TITLE: df\nFCM: DROP FRAME\n001  AX V C 00:00:59;28 00:01:00;04 00:00:59;28 00:01:00;04\n* LOC: 00:01:00;02 RED first\n002  AX V C 00:09:59;29 00:10:00;01 00:10:00;00 00:10:00;02\n";
    let l = parse_str(text, Format::Edl, &at("29.97".parse().unwrap())).unwrap();
    assert!(l.rate.is_drop_frame());
    assert_eq!(
        (l.events[0].record_in, l.events[0].record_out),
        (1798, 1802)
    );
    assert_eq!(l.markers[0].frame, 1800);
    assert_eq!(l.events[1].record_in, 17982);
    assert_eq!(l.events[1].record_in_tc(l.rate), "00:10:00;00");
    // No rate given: DROP FRAME implies 29.97.
    let l = parse_str(text, Format::Edl, &ParseOptions::default()).unwrap();
    assert_eq!(l.rate, FrameRate::FPS_29_97_DF);
}

#[test]
fn drop_frame_edl_59_94() {
    let text = "FCM: DROP FRAME\n001  AX V C 00:00:59;58 00:01:00;06 00:00:59;58 00:01:00;06\n";
    let l = parse_str(text, Format::Edl, &at(FrameRate::FPS_59_94_NDF)).unwrap();
    assert_eq!(l.rate, FrameRate::FPS_59_94_DF);
    assert_eq!(
        (l.events[0].record_in, l.events[0].record_out),
        (3598, 3602)
    );
    let bad = "FCM: DROP FRAME\n001  AX V C 00:01:00;02 00:01:00;06 00:01:00;04 00:01:00;08\n";
    let strict = ParseOptions {
        strict: true,
        ..at(FrameRate::FPS_59_94_DF)
    };
    match parse_str(bad, Format::Edl, &strict) {
        Err(ParseError::BadTimecode {
            at,
            field,
            reason: TimecodeError::SkippedDropFrameLabel(_),
            ..
        }) => assert_eq!((at.line, field.as_str()), (2, "source-in")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_and_xml_errors_have_positions() {
    match parse_str(
        "{\n  \"OTIO_SCHEMA\": \"Timeline.1\",\n  \"tracks\": [\n",
        Format::Otio,
        &ParseOptions::default(),
    ) {
        Err(ParseError::Json { at, .. }) => assert_eq!(at.line, 4),
        other => panic!("{other:?}"),
    }
    match parse_str(
        "<xmeml>\n<sequence>\n<rate></sequence>",
        Format::Fcp7Xml,
        &ParseOptions::default(),
    ) {
        Err(ParseError::Xml { at, .. }) => assert_eq!(at.line, 3),
        other => panic!("{other:?}"),
    }
    match parse_str(
        "<fcpxml><project><sequence><spine><clip offset=\"x\" duration=\"1s\"/></spine></sequence></project></fcpxml>",
        Format::FcpXml,
        &ParseOptions::default(),
    ) {
        Err(ParseError::Malformed { at, found, .. }) => {
            assert!(at.line == 1 && found.contains("offset"))
        }
        other => panic!("{other:?}"),
    }
    match parse_str("[1, 2]", Format::Otio, &ParseOptions::default()) {
        Err(ParseError::Malformed { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_serialises() {
    let Some(l) = read("otiocmx_wipe_test.edl", ParseOptions::default()) else {
        return;
    };
    let j = serde_json::to_value(&l).unwrap();
    assert_eq!(j["events"][1]["kind"]["type"], "Wipe");
}

#[test]
fn every_corpus_file_parses() {
    let Some(dir) = corpus("") else { return };
    let mut n = 0;
    for f in std::fs::read_dir(dir).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let opts = ParseOptions {
            strict: false,
            rate: None,
        };
        let opts = if p.to_string_lossy().contains("25") || p.to_string_lossy().contains("mismatch")
        {
            ParseOptions {
                rate: Some(FrameRate::FPS_25),
                ..opts
            }
        } else {
            opts
        };
        parse_cut_list(&p, &opts).unwrap_or_else(|e| panic!("{e}"));
        n += 1;
    }
    assert_eq!(n, 15);
}
