use super::*;

const R24: FrameRate = FrameRate::FPS_24;
/// 01:00:00:00 at 24 fps.
const HOUR: i64 = 86_400;

fn ron(text: &str) -> Result<SpottingList, SpotError> {
    parse_spotting_str_at(text, false, R24, Some(Path::new("spot.ron")), HOUR)
}

fn csv(text: &str) -> Result<SpottingList, SpotError> {
    parse_spotting_str_at(text, true, R24, Some(Path::new("spot.csv")), HOUR)
}

const GOOD_RON: &str = r#"// spotting for reel 1
Spotting(
    cues: [
        (cue: "calm", at: "01:00:00:00", until: Some("01:00:40:00"), title: Some("Opening")),
        (
            cue: "chase",
            at: "40s",
        ),
    ],
    hits: [(at: "01:00:12:05", name: "door slam", importance: 1.0), (at: "13s", name: "glass")],
    params: [(at: "10s", param: "tension", value: 0.8, ramp: Some("4s"))],
    tempo: [(at: "0s", bpm: 96.0)],
)
"#;

#[test]
fn valid_ron() {
    let l = ron(GOOD_RON).unwrap();
    assert_eq!(l.cues.len(), 2);
    assert_eq!(
        l.cues[0],
        Spot {
            cue: "calm".into(),
            start: 0,
            end: Some(40 * 24),
            ending: Ending::Button,
            fade_frames: 48,
            title: Some("Opening".into()),
            note: None,
            note_at: (0, 0),
            line: 4,
        }
    );
    assert_eq!(l.cues[1].cue, "chase");
    assert_eq!(l.cues[1].start, 40 * 24);
    assert_eq!(l.cues[1].end, None);
    assert_eq!(l.cues[1].line, 5);
    assert_eq!(l.hits.len(), 2);
    assert_eq!(l.hits[0].at, 12 * 24 + 5);
    assert_eq!(l.hits[0].line, 10);
    assert_eq!(l.hits[1].importance, 1.0);
    assert_eq!(l.hits[1].line, 10);
    assert_eq!(
        l.params,
        vec![ParamPoint {
            at: 240,
            param: "tension".into(),
            value: 0.8,
            ramp_frames: 96,
            line: 11
        }]
    );
    assert_eq!(l.tempo[0].bpm, 96.0);
    assert_eq!(l.tempo[0].line, 12);
}

#[test]
fn ron_origin_zero_and_relative_shift() {
    let abs = parse_spotting_str(
        r#"(cues: [(cue: "a", at: "01:00:01:00")])"#,
        false,
        R24,
        None,
    )
    .unwrap();
    assert_eq!(abs.cues[0].start, HOUR + 24);
    assert_eq!(abs.to_frames_relative(HOUR).cues[0].start, 24);
}

#[test]
fn ron_implicit_some_and_empty_sections() {
    let l = ron(r#"Spotting(cues: [(cue: "a", at: "0s", until: "2.5s")])"#).unwrap();
    assert_eq!(l.cues[0].end, Some(60));
    assert!(l.hits.is_empty() && l.params.is_empty() && l.tempo.is_empty());
    assert!(ron("Spotting()").unwrap().is_empty());
}

#[test]
fn drop_frame_and_frames_suffix() {
    let r = FrameRate::FPS_29_97_DF;
    let l = parse_spotting_str(
        "kind,at,until,name,value,ramp,importance\ncue,00:01:00;02,,a,,,\nhit,120f,,x,,,0.5\n",
        true,
        r,
        None,
    )
    .unwrap();
    assert_eq!(l.hits[0].at, 120);
    assert_eq!(l.cues[0].start, 1800);
}

const GOOD_CSV: &str = "kind,at,until,name,value,ramp,importance
# opening
cue,01:00:00:00,01:00:40:00,calm,,,
cue,40s,,chase,,,
hit,01:00:12:05,,door slam,,,1.0
hit,13s,,\"glass, left\",,,0.4
param,10s,,tension,0.8,4s,
param,20s,,tension,0.2,,
tempo,0s,,,96,,
";

#[test]
fn valid_csv() {
    let l = csv(GOOD_CSV).unwrap();
    assert_eq!(l.cues.len(), 2);
    assert_eq!(l.cues[0].start, 0);
    assert_eq!(l.cues[0].end, Some(960));
    assert_eq!(l.cues[0].line, 3);
    assert_eq!(l.cues[1].line, 4);
    assert_eq!(l.hits[1].name, "glass, left");
    assert_eq!(l.hits[1].importance, 0.4);
    assert_eq!(l.hits[1].line, 6);
    assert_eq!(l.params[0].ramp_frames, 96);
    assert_eq!(l.params[1].ramp_frames, 0);
    assert_eq!(l.params[1].line, 8);
    assert_eq!(l.tempo[0].bpm, 96.0);
    assert_eq!(l.tempo[0].line, 9);
}

#[test]
fn csv_title_column_and_reordered_header() {
    let l = csv("at,kind,name,title\n5s,cue,calm,1M1 Opening\n").unwrap();
    assert_eq!(l.cues[0].title.as_deref(), Some("1M1 Opening"));
    assert_eq!(l.cues[0].start, 120);
}

#[test]
fn entries_sorted_by_time() {
    let l = csv("kind,at,name\ncue,20s,b\ncue,10s,a\n").unwrap();
    assert_eq!(l.cues[0].cue, "a");
    assert_eq!(l.cues[0].line, 3);
}

// ------------------------------------------------------------ malformed RON

fn ron_err(text: &str) -> SpotError {
    let e = ron(text).unwrap_err();
    eprintln!("{e}");
    e
}

#[test]
fn ron_bad_timecode() {
    let e = ron_err("Spotting(\n  cues: [\n    (cue: \"a\", at: \"01:00:0x:00\"),\n  ],\n)");
    assert!(
        matches!(&e, SpotError::BadTime { field, text, .. } if field == "at" && text == "01:00:0x:00")
    );
    assert_eq!(e.line(), 3);
    assert_eq!(e.column(), 20);
    let s = e.to_string();
    assert!(s.starts_with("spot.ron:3:20: bad time"), "{s}");
    assert!(s.contains("hint:"));
}

#[test]
fn ron_frames_out_of_range() {
    let e = ron_err("Spotting(\n hits: [(at: \"01:00:01:24\", name: \"x\")])");
    assert!(matches!(&e, SpotError::BadTime { reason, hint, .. }
        if reason.contains("frame field 24") && hint.contains("00..23")));
    assert_eq!(e.line(), 2);
}

#[test]
fn ron_unknown_field() {
    let e = ron_err("Spotting(\n cues: [\n  (cue: \"a\", at: \"0s\",\n   titel: \"x\")])");
    assert!(
        matches!(&e, SpotError::UnknownField { field, entry, .. } if field == "titel" && entry == "Cue")
    );
    assert_eq!(e.line(), 4);
    assert!(e.column() > 0);
}

#[test]
fn ron_missing_field() {
    let e = ron_err("Spotting(\n hits: [\n  (at: \"0s\", importance: 0.5),\n ])");
    assert!(matches!(&e, SpotError::MissingField { field, .. } if field == "name"));
    assert_eq!(e.line(), 3);
}

#[test]
fn ron_syntax_error_has_column() {
    let e = ron_err("Spotting(\n cues: [\n  (cue: \"a\" at: \"0s\"),\n ])");
    assert!(matches!(&e, SpotError::Syntax { .. }));
    assert_eq!(e.line(), 3);
    assert!(e.column() > 10, "{}", e.column());
}

#[test]
fn ron_negative_ramp() {
    let e = ron_err(
        "Spotting(\n params: [\n  (at: \"1s\", param: \"t\", value: 1.0,\n   ramp: Some(\"-2s\")),\n ])",
    );
    assert!(matches!(&e, SpotError::NegativeRamp { text, .. } if text == "-2s"));
    assert_eq!(e.line(), 4);
}

#[test]
fn ron_until_before_at() {
    let e = ron_err("Spotting(cues: [\n (cue: \"a\", at: \"20s\", until: \"10s\")])");
    assert!(matches!(&e, SpotError::EndBeforeStart { cue, .. } if cue == "a"));
    assert_eq!(e.line(), 2);
}

#[test]
fn ron_importance_out_of_range() {
    let e = ron_err("Spotting(hits: [\n\n (at: \"2s\", name: \"x\", importance: 1.5)])");
    assert!(matches!(&e, SpotError::BadValue { field, .. } if field == "importance"));
    assert_eq!(e.line(), 3);
}

#[test]
fn ron_wrong_struct_name() {
    let e = ron_err("Spoting(cues: [])");
    assert!(matches!(&e, SpotError::Syntax { .. }));
    assert_eq!(e.line(), 1);
}

#[test]
fn ron_timecode_before_timeline_start_suggests_hour() {
    let e = ron_err("Spotting(cues: [(cue: \"a\", at: \"00:00:05:00\")])");
    assert!(
        matches!(&e, SpotError::BadTime { hint, .. } if hint.contains("01:00:05:00")),
        "{e}"
    );
}

#[test]
fn ron_bad_bpm() {
    let e = ron_err("Spotting(\ntempo: [(at: \"0s\", bpm: 0.0)])");
    assert!(matches!(&e, SpotError::BadValue { field, .. } if field == "bpm"));
    assert_eq!(e.line(), 2);
}

#[test]
fn ron_comments_and_strings_do_not_confuse_lines() {
    let l = ron("Spotting(\n // (cue: \"no\", at: \"0s\"),\n cues: [ /* [ ( */\n  (cue: \"a, ( [\", at: \"0s\"),\n  (cue: \"b\", at: \"1s\")])")
        .unwrap();
    assert_eq!(l.cues[0].line, 4);
    assert_eq!(l.cues[1].line, 5);
}

// ------------------------------------------------------------ malformed CSV

fn csv_err(text: &str) -> SpotError {
    let e = csv(text).unwrap_err();
    eprintln!("{e}");
    e
}

const H: &str = "kind,at,until,name,value,ramp,importance\n";

#[test]
fn csv_unknown_kind() {
    let e = csv_err(&format!("{H}cue,0s,,a,,,\nstinger,1s,,x,,,\n"));
    assert!(matches!(&e, SpotError::UnknownKind { kind, .. } if kind == "stinger"));
    assert_eq!(e.line(), 3);
    assert_eq!(e.column(), 1);
}

#[test]
fn csv_bad_timecode() {
    let e = csv_err(&format!("{H}cue,0s,,a,,,\n\nhit,1:00:00,,x,,,\n"));
    assert!(matches!(&e, SpotError::BadTime { field, .. } if field == "at"));
    assert_eq!(e.line(), 4);
    assert_eq!(e.column(), 2);
}

#[test]
fn csv_bad_seconds() {
    let e = csv_err(&format!("{H}hit,1.2.3s,,x,,,\n"));
    assert!(matches!(&e, SpotError::BadTime { reason, .. } if reason.contains("seconds")));
    assert_eq!(e.line(), 2);
}

#[test]
fn csv_missing_name() {
    let e = csv_err(&format!("{H}cue,0s,,a,,,\ncue,5s,,,,,\n"));
    assert!(
        matches!(&e, SpotError::MissingField { field, entry, .. } if field == "name" && entry == "cue")
    );
    assert_eq!(e.line(), 3);
}

#[test]
fn csv_missing_param_value() {
    let e = csv_err(&format!("{H}param,5s,,tension,,,\n"));
    assert!(matches!(&e, SpotError::MissingField { field, .. } if field == "value"));
    assert_eq!(e.line(), 2);
}

#[test]
fn csv_missing_at() {
    let e = csv_err(&format!("{H}hit,,,x,,,\n"));
    assert!(matches!(&e, SpotError::MissingField { field, .. } if field == "at"));
    assert_eq!(e.line(), 2);
}

#[test]
fn csv_negative_ramp() {
    let e = csv_err(&format!("{H}param,5s,,tension,0.5,-1s,\n"));
    assert!(matches!(&e, SpotError::NegativeRamp { .. }));
    assert_eq!(e.line(), 2);
    assert_eq!(e.column(), 6);
}

#[test]
fn csv_value_not_a_number() {
    let e = csv_err(&format!("{H}param,5s,,tension,high,,\n"));
    assert!(
        matches!(&e, SpotError::BadValue { field, text, .. } if field == "value" && text == "high")
    );
    assert_eq!(e.column(), 5);
}

#[test]
fn csv_column_not_for_kind() {
    let e = csv_err(&format!("{H}hit,5s,,boom,,2s,\n"));
    assert!(
        matches!(&e, SpotError::UnknownField { field, entry, .. } if field == "ramp" && entry == "hit")
    );
    assert_eq!(e.line(), 2);
}

#[test]
fn csv_unknown_header_column() {
    let e = csv_err("kind,at,name,colour\n");
    assert!(matches!(&e, SpotError::UnknownField { field, .. } if field == "colour"));
    assert_eq!((e.line(), e.column()), (1, 4));
}

#[test]
fn csv_header_missing_at() {
    let e = csv_err("kind,name\ncue,a\n");
    assert!(matches!(&e, SpotError::MissingField { field, .. } if field == "at"));
    assert_eq!(e.line(), 1);
}

#[test]
fn csv_too_many_fields() {
    let e = csv_err(&format!("{H}hit,5s,,door,slam,,,1,2\n"));
    assert!(matches!(&e, SpotError::Syntax { .. }));
    assert_eq!(e.line(), 2);
}

#[test]
fn csv_until_before_at() {
    let e = csv_err(&format!("{H}cue,01:00:10:00,01:00:05:00,a,,,\n"));
    assert!(matches!(&e, SpotError::EndBeforeStart { .. }));
    assert_eq!(e.line(), 2);
}

#[test]
fn csv_drop_frame_at_24() {
    let e = csv_err(&format!("{H}hit,01:00:05;00,,x,,,\n"));
    assert!(matches!(&e, SpotError::BadTime { reason, .. } if reason.contains("drop-frame")));
}

#[test]
fn file_extension_detection() {
    let e = parse_spotting(Path::new("/nonexistent/spot.txt"), R24).unwrap_err();
    assert!(matches!(e, SpotError::UnknownFormat { .. }));
    let e = parse_spotting(Path::new("/nonexistent/spot.csv"), R24).unwrap_err();
    assert!(matches!(e, SpotError::Io { .. }));
    let dir = std::env::temp_dir().join(format!("leitmotif_spot_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("s.CSV");
    std::fs::write(&p, GOOD_CSV).unwrap();
    let l = parse_spotting_at(&p, R24, HOUR).unwrap();
    assert_eq!(l.cues.len(), 2);
    let p = dir.join("s.ron");
    std::fs::write(&p, "Spotting(cues: [(cue: \"a\", at: \"x\")])").unwrap();
    let e = parse_spotting(&p, R24).unwrap_err();
    assert!(e.to_string().contains("s.ron:1:"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ron_raw_identifiers_keep_their_locations() {
    // Found by `cargo fuzz` (target `spotting_ron`): `r#cues` was taken for a raw string and
    // swallowed the file, so the error had line 0.
    let e = ron_err("(\n  r#cues: [\n    (cue: \"a\", at: \"\"),\n  ],\n)");
    assert!(matches!(&e, SpotError::BadTime { field, .. } if field == "at"));
    assert_eq!(e.line(), 3);
}

// ------------------------------------------------------------ spotting notes

const NOTES_RON: &str = r#"Spotting(
    cues: [
        (cue: "calm", at: "0s", note: Some("the city asleep")),
        (
            at: "20s",
            title: Some("1M2"),
            note: "she realises he is not coming back",
        ),
        (at: "40s", cue: "", note: Some("  runs for the train  ")),
        (at: "50s", note: None, cue: "chase"),
    ],
)
"#;

#[test]
fn ron_notes_are_read_with_their_lines_and_cues_may_be_left_out() {
    let l = ron(NOTES_RON).unwrap();
    type Row<'a> = (&'a str, Option<&'a str>, usize, (usize, usize));
    let got: Vec<Row<'_>> = l
        .cues
        .iter()
        .map(|c| (c.cue.as_str(), c.note.as_deref(), c.line, c.note_at))
        .collect();
    assert_eq!(
        got,
        [
            ("calm", Some("the city asleep"), 3, (3, 39)),
            ("", Some("she realises he is not coming back"), 4, (7, 19)),
            ("", Some("runs for the train"), 9, (9, 36)),
            ("chase", None, 10, (0, 0)),
        ]
    );
    assert_eq!(l.cues[1].title.as_deref(), Some("1M2"));
    assert!(!l.cues[0].needs_cue() && l.cues[1].needs_cue() && l.cues[2].needs_cue());
    assert!(l.has_unassigned_cues());
    assert!(!ron(GOOD_RON).unwrap().has_unassigned_cues());
}

#[test]
fn csv_notes_are_read_with_their_lines_and_the_name_may_be_empty() {
    let text = "kind,at,name,note,title\n\
                cue,0s,calm,\"quiet, the city asleep\",1M1\n\
                # a comment line\n\
                cue,20s,,she realises he is not coming back,\n\
                hit,25s,door,,\n";
    let l = csv(text).unwrap();
    assert_eq!(l.cues[0].note.as_deref(), Some("quiet, the city asleep"));
    assert_eq!((l.cues[0].line, l.cues[0].note_at), (2, (2, 4)));
    assert_eq!(l.cues[0].cue, "calm");
    assert_eq!(l.cues[1].cue, "");
    assert_eq!(
        l.cues[1].note.as_deref(),
        Some("she realises he is not coming back")
    );
    assert_eq!((l.cues[1].line, l.cues[1].note_at), (4, (4, 4)));
    assert_eq!(l.hits[0].line, 5);
}

#[test]
fn a_note_on_a_hit_row_is_refused() {
    let e = csv_err("kind,at,name,note\nhit,1s,door,slams\n");
    assert!(matches!(&e, SpotError::UnknownField { field, .. } if field == "note"));
    assert_eq!((e.line(), e.column()), (2, 4));
}

#[test]
fn ron_cue_entry_without_cue_or_note_is_located() {
    for text in [
        "Spotting(\n cues: [\n  (cue: \"a\", at: \"0s\"),\n   (at: \"5s\", title: \"x\"),\n ])",
        "Spotting(\n cues: [\n  (cue: \"a\", at: \"0s\"),\n   (at: \"5s\", cue: \" \", note: \"\"),\n ])",
    ] {
        let e = ron_err(text);
        assert!(
            matches!(&e, SpotError::MissingField { field, entry, hint, .. }
                if field == "cue" && entry == "cue" && hint == "give `cue: \"name\"` or a `note`"),
            "{e:?}"
        );
        assert_eq!((e.line(), e.column()), (4, 4));
        assert!(e.to_string().starts_with("spot.ron:4:4: "), "{e}");
    }
}

#[test]
fn csv_cue_row_without_name_or_note_is_located() {
    let e = csv_err("kind,at,note,name\ncue,0s,,a\ncue,5s,,\n");
    assert!(
        matches!(&e, SpotError::MissingField { field, hint, .. }
            if field == "name" && hint.contains("`note`")),
        "{e:?}"
    );
    assert_eq!((e.line(), e.column()), (3, 4));
    assert!(e.to_string().starts_with("spot.csv:3:4: "), "{e}");
}

#[test]
fn an_entry_with_only_a_note_still_checks_until() {
    let e = ron_err("(cues: [(at: \"5s\", until: \"2s\", note: \"grief\")])");
    assert!(matches!(&e, SpotError::EndBeforeStart { cue, .. } if cue.contains("note")));
}
