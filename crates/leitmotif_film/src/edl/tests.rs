use crate::{Format, FrameRate, ParseError, ParseOptions, TimecodeError, Transition, parse_str};

fn edl(text: &str) -> Result<crate::CutList, ParseError> {
    parse_str(text, Format::Edl, &ParseOptions::default())
}

/// `--strict`: source-side problems are errors too.
fn strict(rate: Option<FrameRate>) -> ParseOptions {
    ParseOptions { strict: true, rate }
}

#[test]
fn two_line_dissolve_merges() {
    let l = edl(concat!(
        "001  A V C        01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n",
        "002  A V C        01:00:01:00 01:00:01:00 01:00:01:00 01:00:01:00\n",
        "002  B V D    012 02:00:00:00 02:00:02:00 01:00:01:00 01:00:03:00\n",
        "* FROM CLIP NAME: a\n* TO CLIP NAME: b\n",
    ))
    .unwrap();
    assert_eq!(l.events.len(), 2);
    let e = &l.events[1];
    assert_eq!(e.kind, Transition::Dissolve { frames: 12 });
    assert_eq!(e.from_reel.as_deref(), Some("A"));
    assert_eq!(e.reel, "B");
    assert_eq!(e.clip_name.as_deref(), Some("b"));
    assert_eq!(e.from_clip_name.as_deref(), Some("a"));
    assert_eq!(e.line, 2);
}

#[test]
fn latin1_and_reel_with_spaces() {
    let mut bytes = b"TITLE: caf\xe9\r\n".to_vec();
    bytes.extend_from_slice(
        b"001  MY REEL  V  C  01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\r\n",
    );
    let l = crate::parse_bytes(&bytes, Some(Format::Edl), None, &ParseOptions::default()).unwrap();
    assert_eq!(l.title.as_deref(), Some("caf\u{e9}"));
    assert_eq!(l.events[0].reel, "MY REEL");
}

#[test]
fn keys_and_speed() {
    let l = edl(concat!(
        "001  A V KB   010 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n",
        "002  R V C        01:00:00:00 01:00:01:00 01:00:01:00 01:00:03:00\n",
        "M2   R       012.0                01:00:00:00\n",
    ))
    .unwrap();
    assert_eq!(
        l.events[0].kind,
        Transition::Key {
            code: "KB".into(),
            frames: 10
        }
    );
    assert_eq!(l.events[1].speed, Some(0.5));
}

// ---- malformed inputs: each asserts the variant, line and event ----

fn expect_timecode(
    text: &str,
    rate: FrameRate,
    line: usize,
    event: &str,
    field: &str,
) -> TimecodeError {
    // Strict, so source-side fields are refused too (by default they are warnings).
    match parse_str(text, Format::Edl, &strict(Some(rate))) {
        Err(ParseError::BadTimecode {
            at,
            event: ev,
            field: f,
            reason,
            ..
        }) => {
            assert_eq!(at.line, line);
            assert_eq!(ev.as_deref(), Some(event));
            assert_eq!(f, field);
            reason
        }
        other => panic!("expected BadTimecode, got {other:?}"),
    }
}

#[test]
fn bad_record_out_timecode_display() {
    let text = "TITLE: t\n\n001  AX V C 01:00:00:00 01:00:01:00 01:00:00:00 01:00:0x:00\n";
    let r = expect_timecode(text, FrameRate::FPS_24, 3, "001", "record-out");
    assert_eq!(r, TimecodeError::Syntax);
    let msg = edl(text).unwrap_err().to_string();
    assert!(
        msg.starts_with(
            "<input>:3:49: event 001: bad record-out timecode \"01:00:0x:00\": expected HH:MM:SS:FF"
        ),
        "{msg}"
    );
}

#[test]
fn frame_field_at_rate() {
    let text = "001  AX V C 01:00:00:00 01:00:00:24 01:00:00:00 01:00:01:00\n";
    let r = expect_timecode(text, FrameRate::FPS_24, 1, "001", "source-out");
    assert!(matches!(
        r,
        TimecodeError::FrameOutOfRange {
            frames: 24,
            nominal: 24
        }
    ));
}

#[test]
fn drop_frame_at_25() {
    let text = "007  AX V C 01:00:00;00 01:00:01:00 01:00:00:00 01:00:01:00\n";
    let r = expect_timecode(text, FrameRate::FPS_25, 1, "007", "source-in");
    assert!(matches!(r, TimecodeError::DropFrameAtNonDropRate { .. }));
}

#[test]
fn skipped_drop_frame_label() {
    let text = "FCM: DROP FRAME\n012  AX V C 00:01:00;00 00:01:01;00 00:01:00;02 00:01:01;02\n";
    let r = expect_timecode(text, FrameRate::FPS_29_97_DF, 2, "012", "source-in");
    assert!(matches!(r, TimecodeError::SkippedDropFrameLabel(_)));
}

#[test]
fn minutes_out_of_range() {
    let text = "001  AX V C 01:00:00:00 01:00:01:00 01:61:00:00 01:61:01:00\n";
    let r = expect_timecode(text, FrameRate::FPS_24, 1, "001", "record-in");
    assert_eq!(r, TimecodeError::MinutesOutOfRange(61));
}

#[test]
fn bad_loc_timecode() {
    let text =
        "001  AX V C 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n* LOC: 01:00:99:00 RED x\n";
    let r = expect_timecode(text, FrameRate::FPS_24, 2, "001", "LOC");
    assert_eq!(r, TimecodeError::SecondsOutOfRange(99));
}

fn expect_malformed(text: &str, line: usize, event: Option<&str>) -> String {
    match edl(text) {
        Err(ParseError::Malformed {
            at,
            event: ev,
            found,
            ..
        }) => {
            assert_eq!(at.line, line, "{found}");
            assert_eq!(ev.as_deref(), event);
            found
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn truncated_event_line() {
    let f = expect_malformed(
        "TITLE: x\n003  AX V C 01:00:00:00 01:00:01:00\n",
        2,
        Some("003"),
    );
    assert!(f.contains("truncated"));
}

#[test]
fn unknown_transition_code() {
    let f = expect_malformed(
        "001  AX V X 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n",
        1,
        Some("001"),
    );
    assert!(f.contains("transition"));
}

#[test]
fn dissolve_without_duration() {
    expect_malformed(
        "001  AX V D 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n",
        1,
        Some("001"),
    );
}

#[test]
fn bad_event_number() {
    expect_malformed(
        "00A  AX V C 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n",
        1,
        None,
    );
}

#[test]
fn bad_m2_speed() {
    let text =
        "001  AX V C 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\nM2   AX  fast  01:00:00:00\n";
    expect_malformed(text, 2, Some("001"));
}

#[test]
fn duration_mismatch_strict_and_default() {
    let text = "TITLE: m\n001  AX V C 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n002  AX V C 01:00:00:00 01:00:01:00 01:00:01:00 01:00:02:05\n";
    match parse_str(text, Format::Edl, &strict(None)) {
        Err(ParseError::DurationMismatch {
            at,
            event,
            record_frames,
            source_frames,
        }) => {
            assert_eq!(
                (at.line, event.as_str(), record_frames, source_frames),
                (3, "002", 29, 24)
            );
        }
        other => panic!("{other:?}"),
    }
    let l = edl(text).unwrap();
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].contains("event 002"));
}

#[test]
fn inverted_record_range() {
    let text = "\n001  AX V C 01:00:01:00 01:00:00:00 01:00:01:00 01:00:00:00\n";
    match parse_str(text, Format::Edl, &strict(None)) {
        Err(ParseError::InvertedRange {
            at, event, field, ..
        }) => {
            assert_eq!(
                (at.line, event.as_str(), field.as_str()),
                (2, "001", "source")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn binary_junk() {
    let bytes = b"TITLE: x\n001 \x00\x01\xff\xfe junk\n";
    match crate::parse_bytes(bytes, Some(Format::Edl), None, &ParseOptions::default()) {
        Err(ParseError::Binary { at, byte }) => assert_eq!((at.line, at.column, byte), (2, 5, 0)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_large_input() {
    let big = vec![b' '; (crate::MAX_INPUT_BYTES + 1) as usize];
    assert!(matches!(
        crate::parse_bytes(&big, Some(Format::Edl), None, &ParseOptions::default()),
        Err(ParseError::TooLarge { .. })
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let base = b"001  AX V D    030 01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n* LOC: 01:00:00:05 RED x\nM2 AX 012.0 01:00:00:00\n |C:ResolveColorBlue |M:m |D:1\n";
    for _ in 0..2000 {
        let mut b = base.to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed % b.len() as u64) as usize;
            match seed % 3 {
                0 => b[i] = (seed >> 32) as u8,
                1 => b.truncate(i),
                _ => b.insert(i, b' '),
            }
            if b.is_empty() {
                break;
            }
        }
        let _ = crate::parse_bytes(&b, Some(Format::Edl), None, &ParseOptions::default());
    }
}

/// Three events with clip names, as every system writes them (LF endings).
const THREE: &str = "TITLE: QUIRKS\nFCM: NON-DROP FRAME\n\n\
001  AX V C        00:00:00:00 00:00:02:00 01:00:00:00 01:00:02:00\n\
* FROM CLIP NAME: ONE\n\n\
002  AX V C        00:00:10:00 00:00:13:00 01:00:02:00 01:00:05:00\n\
* FROM CLIP NAME: TWO\n\n\
003  AX V C        00:00:20:00 00:00:21:12 01:00:05:00 01:00:06:12\n\
* FROM CLIP NAME: THREE\n";

fn edl_bytes(bytes: &[u8]) -> Result<crate::CutList, ParseError> {
    crate::parse_bytes(bytes, Some(Format::Edl), None, &ParseOptions::default())
}

fn summary(l: &crate::CutList) -> Vec<(i64, i64, Option<String>)> {
    l.events
        .iter()
        .map(|e| (e.record_in, e.record_out, e.clip_name.clone()))
        .collect()
}

/// Old systems pad a list to a disk block after its last line: ^Z then NULs. Read as the same
/// events, with a warning; a NUL inside the text is still binary data.
#[test]
fn trailing_eof_and_nul_padding_is_ignored_with_a_warning() {
    let clean = edl_bytes(THREE.as_bytes()).unwrap();
    assert_eq!(clean.events.len(), 3);
    let mut padded = THREE.as_bytes().to_vec();
    padded.push(0x1a);
    padded.resize(1024, 0);
    let l = edl_bytes(&padded).unwrap();
    assert_eq!(summary(&l), summary(&clean));
    assert!(
        l.warnings.iter().any(|w| w.contains("padding")),
        "{:?}",
        l.warnings
    );
    let mut inside = THREE.as_bytes().to_vec();
    inside.insert(40, 0);
    let err = edl_bytes(&inside).unwrap_err().to_string();
    assert!(err.contains("binary data"), "{err}");
}

/// A list edited on several systems mixes CR (classic Mac), LF and CRLF line endings: each is
/// one line break, the events are the same, and a warning says so. CR-only lists read the same.
#[test]
fn mixed_and_cr_only_line_endings_read_the_same_events() {
    let clean = edl_bytes(THREE.as_bytes()).unwrap();
    let lines: Vec<&str> = THREE.split('\n').collect();
    let mixed: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{l}{}", ["\r", "\n", "\r\n"][i % 3]))
        .collect();
    let l = edl_bytes(mixed.as_bytes()).unwrap();
    assert_eq!(summary(&l), summary(&clean));
    assert!(
        l.warnings.iter().any(|w| w.contains("mixed line endings")),
        "{:?}",
        l.warnings
    );
    let cr = THREE.replace('\n', "\r");
    let l = edl_bytes(cr.as_bytes()).unwrap();
    assert_eq!(summary(&l), summary(&clean));
    assert!(!l.warnings.iter().any(|w| w.contains("mixed")));
    // And a problem in such a file names the line an editor shows (a source-side one is a
    // warning).
    let bad = mixed.replace("00:00:20:00", "00:00:2X:00");
    let l = edl_bytes(bad.as_bytes()).unwrap();
    assert!(
        l.warnings.iter().any(|w| w.contains(":10:")),
        "{:?}",
        l.warnings
    );
}
