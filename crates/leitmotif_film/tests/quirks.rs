//! One test per class of real-world cut-list quirk (issue "Film: real-world cut lists"),
//! each on a file written to mimic what editing systems export: every one is read with the
//! right events and a warning naming where; the source side never refuses a list (unless
//! strict); the record side stays a located error.

use std::path::PathBuf;

use leitmotif_film::{CutList, FrameRate, ParseError, ParseOptions, Transition, parse_cut_list};

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leitmotif-quirks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read(name: &str, bytes: &[u8], rate: Option<FrameRate>) -> CutList {
    let p = write(name, bytes);
    parse_cut_list(
        &p,
        &ParseOptions {
            strict: false,
            rate,
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strict(name: &str, bytes: &[u8], rate: Option<FrameRate>) -> ParseError {
    let p = write(name, bytes);
    parse_cut_list(&p, &ParseOptions { strict: true, rate }).expect_err(name)
}

/// (record in, record out) of every event.
fn records(l: &CutList) -> Vec<(i64, i64)> {
    l.events
        .iter()
        .map(|e| (e.record_in, e.record_out))
        .collect()
}

fn warned(l: &CutList, what: &[&str]) {
    assert!(
        l.warnings
            .iter()
            .any(|w| what.iter().all(|x| w.contains(x))),
        "no warning with {what:?} in {:#?}",
        l.warnings
    );
}

const H: i64 = 3600 * 24;

const TWO: &str = "TITLE: quirks\n\
001  A001 V C 01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00\n\
* FROM CLIP NAME: one\n\
002  A002 V C 02:00:00:00 02:00:03:00 01:00:02:00 01:00:05:00\n\
* FROM CLIP NAME: two\n";

#[test]
fn eof_and_nul_padding_after_the_last_line() {
    let mut bytes = TWO.as_bytes().to_vec();
    bytes.extend_from_slice(&[0x1a]);
    bytes.extend(std::iter::repeat_n(0u8, 300));
    let l = read("padded.edl", &bytes, None);
    assert_eq!(records(&l), [(H, H + 48), (H + 48, H + 120)]);
    warned(&l, &["301 bytes of padding"]);
}

#[test]
fn cr_only_and_mixed_line_endings_and_a_bom() {
    let cr = TWO.replace('\n', "\r");
    let l = read("classic-mac.edl", cr.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48), (H + 48, H + 120)]);
    let mut mixed = "\u{feff}".to_string();
    for (i, line) in TWO.lines().enumerate() {
        mixed.push_str(line);
        mixed.push_str(["\r\n", "\r", "\n"][i % 3]);
    }
    let l = read("mixed.edl", mixed.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48), (H + 48, H + 120)]);
    assert_eq!(
        l.title.as_deref(),
        Some("quirks"),
        "the BOM is not part of the title"
    );
    warned(&l, &["mixed line endings"]);
}

#[test]
fn latin1_and_gbk_bytes_in_clip_names_and_comments() {
    let mut bytes = b"TITLE: caf\xe9\n001  A001 V C 01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00\n* FROM CLIP NAME: sc\xe8ne \xe0 la gare\n".to_vec();
    // "车站" (station) in GBK.
    bytes.extend_from_slice(b"002  A002 V C 02:00:00:00 02:00:03:00 01:00:02:00 01:00:05:00\n* FROM CLIP NAME: \xb3\xb5\xd5\xbe\n* COMMENT: \xb3\xb5\n");
    let l = read("latin1.edl", &bytes, None);
    assert_eq!(records(&l), [(H, H + 48), (H + 48, H + 120)]);
    assert_eq!(l.events[0].clip_name.as_deref(), Some("scène à la gare"));
    // Not UTF-8: read byte for character (the names are the source side's; the music only
    // needs their events).
    assert!(
        l.events[1]
            .clip_name
            .as_deref()
            .is_some_and(|n| n.chars().count() == 4)
    );
}

#[test]
fn an_fcm_remark_before_the_first_event_and_the_fcm_changing_between_events() {
    // `* FCM:` written as a remark: read as the frame code mode.
    let text = "TITLE: df\n* FCM: DROP FRAME\n\
001  A001 V C 00:00:59;28 00:01:00;02 00:00:59;28 00:01:00;02\n";
    let l = read(
        "fcm-remark.edl",
        text.as_bytes(),
        Some(FrameRate::FPS_29_97_NDF),
    );
    assert!(l.rate.is_drop_frame());
    // 00:01:00;02 is frame 1800 in drop-frame (;00 and ;01 do not exist).
    assert_eq!(records(&l), [(1798, 1800)]);
    // NON-DROP first, then DROP FRAME between events: each event read at the FCM in force,
    // on one frame timeline.
    let text = "TITLE: both\nFCM: NON-DROP FRAME\n\
001  A001 V C 00:00:00:00 00:01:00:00 00:00:00:00 00:01:00:00\n\
FCM: DROP FRAME\n\
002  A002 V C 00:01:00;02 00:01:10;02 00:01:00;02 00:01:10;02\n";
    let l = read(
        "fcm-change.edl",
        text.as_bytes(),
        Some(FrameRate::FPS_29_97_NDF),
    );
    assert_eq!(records(&l), [(0, 1800), (1800, 2100)]);
    warned(&l, &[":4:", "FCM changes to DROP FRAME"]);
}

#[test]
fn an_empty_transition_field_with_a_duration_is_a_cut() {
    let text = "TITLE: t\n\
001  A001 V C        01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00\n\
002  A002 V      008 02:00:00:00 02:00:03:00 01:00:02:00 01:00:05:00\n";
    let l = read("empty-transition.edl", text.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48), (H + 48, H + 120)]);
    assert_eq!(l.events[1].kind, Transition::Cut);
    assert_eq!(
        (l.events[1].reel.as_str(), l.events[1].track.as_str()),
        ("A002", "V")
    );
    warned(&l, &[":3:", "event 002", "no transition code", "008"]);
}

#[test]
fn source_timecodes_at_another_rate_are_warnings() {
    // A 30 fps source in a 24 fps timeline: frame fields up to 29.
    let text = "TITLE: t\n\
001  A001 V C 05:00:00:28 05:00:02:29 01:00:00:00 01:00:02:00\n\
002  A002 V C 02:00:00:00 02:00:03:00 01:00:02:00 01:00:05:00\n";
    let l = read("source-30.edl", text.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48), (H + 48, H + 120)]);
    warned(
        &l,
        &[":2:", "event 001", "source-in", "source side is ignored"],
    );
    match strict("source-30-strict.edl", text.as_bytes(), None) {
        ParseError::BadTimecode { at, field, .. } => {
            assert_eq!((at.line, field.as_str()), (2, "source-in"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bare_frame_counts_instead_of_source_timecodes() {
    let text = "TITLE: t\n\
001  A001 V C 86400 86448 01:00:00:00 01:00:02:00\n";
    let l = read("frame-counts.edl", text.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48)]);
    assert_eq!(
        (l.events[0].source_in, l.events[0].source_out),
        (86400, 86448)
    );
    warned(&l, &["event 001", "bare frame count"]);
}

#[test]
fn source_labels_that_do_not_exist_in_drop_frame() {
    let text = "FCM: DROP FRAME\n\
001  A001 V C 00:01:00;00 00:01:01;00 00:01:00;02 00:01:01;02\n";
    let l = read(
        "df-skipped.edl",
        text.as_bytes(),
        Some(FrameRate::FPS_29_97_DF),
    );
    assert_eq!(records(&l), [(1800, 1830)]);
    warned(&l, &[":2:", "event 001", "source-in"]);
}

#[test]
fn source_out_before_source_in_placeholders() {
    let text = "TITLE: t\n\
001  A001 V C 01:00:02:00 00:00:00:00 01:00:00:00 01:00:02:00\n";
    let l = read("source-inverted.edl", text.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48)]);
    warned(&l, &[":2:", "event 001", "source"]);
    assert!(matches!(
        strict("source-inverted-strict.edl", text.as_bytes(), None),
        ParseError::InvertedRange { .. }
    ));
}

#[test]
fn record_and_source_durations_off_by_a_frame_without_m2() {
    // Avid: the source one frame longer than the record.
    let text = "TITLE: t\n\
001  A001 V C 01:00:00:00 01:00:02:01 01:00:00:00 01:00:02:00\n";
    let l = read("off-by-one.edl", text.as_bytes(), None);
    assert_eq!(records(&l), [(H, H + 48)]);
    warned(
        &l,
        &["event 001", "record duration 48", "source duration 49"],
    );
    assert!(matches!(
        strict("off-by-one-strict.edl", text.as_bytes(), None),
        ParseError::DurationMismatch { .. }
    ));
}

#[test]
fn record_side_problems_stay_located_errors() {
    let text = "TITLE: t\n\
001  A001 V C 01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:29\n";
    let p = write("record-bad.edl", text.as_bytes());
    match parse_cut_list(&p, &ParseOptions::default()) {
        Err(ParseError::BadTimecode { at, field, .. }) => {
            assert_eq!((at.line, field.as_str()), (2, "record-out"));
            assert_eq!(at.column, 51);
        }
        other => panic!("{other:?}"),
    }
}

fn otio_clip(name: &str, start: f64, dur: f64) -> String {
    format!(
        r#"{{"OTIO_SCHEMA": "Clip.2", "name": "{name}", "source_range": {{"OTIO_SCHEMA": "TimeRange.1",
            "start_time": {{"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": {start}}},
            "duration": {{"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": {dur}}}}}}}"#
    )
}

#[test]
fn bare_otio_track_and_stack_roots() {
    let track = format!(
        r#"{{"OTIO_SCHEMA": "Track.1", "name": "V1", "kind": "Video", "children": [{}, {}]}}"#,
        otio_clip("one", 100.0, 48.0),
        otio_clip("two", 0.0, 72.0)
    );
    let l = read("bare-track.otio", track.as_bytes(), None);
    assert_eq!(records(&l), [(0, 48), (48, 120)]);
    warned(&l, &["bare Track"]);
    let stack = format!(r#"{{"OTIO_SCHEMA": "Stack.1", "name": "s", "children": [{track}]}}"#);
    let l = read("bare-stack.otio", stack.as_bytes(), None);
    assert_eq!(records(&l), [(0, 48), (48, 120)]);
    warned(&l, &["bare Stack"]);
}

#[test]
fn a_bare_fcp7_sequence_root() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<sequence id="seq">
  <name>bare</name>
  <rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate>
  <media><video><track>
    <clipitem id="c1"><name>one</name><start>0</start><end>48</end><in>100</in><out>148</out></clipitem>
    <clipitem id="c2"><name>two</name><start>48</start><end>120</end><in>0</in><out>72</out></clipitem>
  </track></video></media>
</sequence>
"#;
    let l = read("bare-sequence.xml", xml.as_bytes(), None);
    assert_eq!(records(&l), [(0, 48), (48, 120)]);
    assert_eq!(l.events[1].clip_name.as_deref(), Some("two"));
    warned(&l, &[":2:", "bare <sequence>"]);
}
