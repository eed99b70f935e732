//! What every fuzz target asserts, shared by the targets in `fuzz_targets/`.
//!
//! The same properties as the stable, seeded fuzzer in `tests/fuzz_parsers.rs`, with the same
//! parser calls (paths, rates, options), so an input found here replays there and vice versa:
//!
//! * no parser panics (libFuzzer turns a panic into a crash and saves the input);
//! * a cut list that parses has no event whose record out is before its record in;
//! * every error says where it is: it starts with the file name, carries a line when the
//!   problem was found inside the text, and says what was expected (cut lists) or gives a hint
//!   (spotting lists); a score error has a line:col or names its item;
//! * a timecode that parses round-trips through frames.
//!
//! `LEITMOTIF_FUZZ_NO_LOCATION=1` turns the "error says where it is" assertions off, to hunt
//! for panics only once a location gap is known and reported.
//!
//! The two bugs the first campaign found (midly's SMPTE division −128, the spotting scan's raw
//! identifiers) are fixed in the crates, with regression tests there.

use std::path::Path;
use std::sync::OnceLock;

use leitmotif_core::Score;
pub use leitmotif_film::{
    CutList, Format, FrameRate, ParseError, ParseOptions, SpotError, SpottingList, Timecode,
    parse_bytes, parse_spotting_str_at,
};

/// Whether the location assertions are on (default) or off (`LEITMOTIF_FUZZ_NO_LOCATION=1`).
pub fn check_locations() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        !env_flag("LEITMOTIF_FUZZ_NO_LOCATION")
    })
}

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn rate(s: &str) -> FrameRate {
    s.parse().expect("a built-in frame rate")
}

/// A cut-list result: events in order on success; a located error otherwise.
/// Mirrors `cut_outcome` in `tests/fuzz_parsers.rs`.
pub fn check_cut(res: Result<CutList, ParseError>, file: &str) {
    match res {
        Ok(cut) => {
            for e in &cut.events {
                assert!(
                    e.record_out >= e.record_in,
                    "{file}: event {} record out before in",
                    e.number_text
                );
            }
        }
        Err(e) => {
            if !check_locations() {
                return;
            }
            let message = e.to_string();
            // Known gap (as in the stable test): OTIO object errors carry the object's text
            // but no line.
            let otio_object = matches!(e, ParseError::Malformed { .. }) && message.contains("OTIO");
            let needs_line = !otio_object
                && !matches!(
                    e,
                    ParseError::TooLarge { .. }
                        | ParseError::UnknownFormat { .. }
                        | ParseError::Io { .. }
                );
            let located = message.starts_with(file)
                && (!needs_line || e.line() > 0)
                && message.contains("expected");
            assert!(
                located,
                "{file}: error without a location (file, line, \"expected\"): {message:?} ({e:?})"
            );
        }
    }
}

/// The EDL target: rate and leniency chosen by the input's length, as the stable test does.
pub fn fuzz_edl(b: &[u8]) {
    static RATES: OnceLock<Vec<Option<FrameRate>>> = OnceLock::new();
    let rates = RATES.get_or_init(|| {
        [None, Some("24"), Some("25"), Some("29.97df"), Some("23.976"), Some("60")]
            .iter()
            .map(|r| r.map(rate))
            .collect()
    });
    let rate = rates[b.len() % rates.len()];
    let strict = b.len() % 2 == 0;
    check_cut(
        parse_bytes(
            b,
            Some(Format::Edl),
            Some(Path::new("fuzz.edl")),
            &ParseOptions { strict, rate },
        ),
        "fuzz.edl",
    );
}

/// A cut list of a stated format, default options.
pub fn fuzz_cut(b: &[u8], format: Option<Format>, file: &str) {
    check_cut(
        parse_bytes(b, format, Some(Path::new(file)), &ParseOptions::default()),
        file,
    );
}

/// A spotting-list result: a located error with a hint. Mirrors `spot_outcome`.
pub fn check_spot(res: Result<SpottingList, SpotError>, file: &str) {
    if let Err(e) = res {
        if !check_locations() {
            return;
        }
        let message = e.to_string();
        let needs_line = !matches!(
            e,
            SpotError::TooLarge { .. } | SpotError::Io { .. } | SpotError::UnknownFormat { .. }
        );
        let located =
            message.starts_with(file) && (!needs_line || e.line() > 0) && message.contains("hint");
        assert!(
            located,
            "{file}: error without a location (file, line, hint): {message:?} ({e:?})"
        );
    }
}

/// 01:00:00;00 at 29.97 drop-frame, the origin the stable test reads spotting lists at.
pub const SPOT_ORIGIN: i64 = 107_892;

/// A spotting list (RON or CSV) at 29.97 drop-frame from 01:00:00;00.
pub fn fuzz_spotting(b: &[u8], is_csv: bool) {
    static RATE: OnceLock<FrameRate> = OnceLock::new();
    let rate = *RATE.get_or_init(|| rate("29.97df"));
    let file = if is_csv { "fuzz.csv" } else { "fuzz.ron" };
    let text = String::from_utf8_lossy(b);
    let res = parse_spotting_str_at(&text, is_csv, rate, Some(Path::new(file)), SPOT_ORIGIN);
    check_spot(res, file);
}

/// A score: a located error (line:col or the item concerned).
pub fn fuzz_score(b: &[u8]) {
    let text = String::from_utf8_lossy(b);
    if let Err(e) = Score::from_ron(&text, Some(Path::new("fuzz.score.ron"))) {
        if !check_locations() {
            return;
        }
        let message = e.to_string();
        let located = message.starts_with("fuzz.score.ron")
            && (e.position.is_some_and(|(l, _)| l > 0) || e.item.is_some());
        assert!(located, "score error without a location: {message:?} ({e:?})");
    }
}

/// A timecode at a rate chosen by the input's length; what parses round-trips through frames.
pub fn fuzz_timecode(b: &[u8]) {
    static RATES: OnceLock<Vec<FrameRate>> = OnceLock::new();
    let rates = RATES.get_or_init(|| {
        ["23.976", "24", "25", "29.97", "29.97df", "30", "50", "59.94df", "60"]
            .iter()
            .map(|r| rate(r))
            .collect()
    });
    let text = String::from_utf8_lossy(b);
    let rate = rates[b.len() % rates.len()];
    match Timecode::parse(&text, rate) {
        Ok(tc) => {
            let frames = tc.to_frames(rate);
            let back = Timecode::from_frames(frames, rate);
            assert_eq!(
                back.to_frames(rate),
                frames,
                "{text:?} at {rate}: {frames} frames do not round-trip"
            );
        }
        Err(e) => assert!(!e.to_string().is_empty(), "{text:?}: an empty error message"),
    }
}

/// A Standard MIDI File: the theme reader, then training a style model on it and generating a
/// few beats from what it learnt. A theme holds MIDI pitches (or −1 for rests) and durations
/// that are not negative.
pub fn fuzz_midi(b: &[u8]) {
    use leitmotif_gen::Key;
    use leitmotif_gen::style::StyleModel;
    if let Ok(theme) = leitmotif_gen::midi::read_theme(b) {
        for &(pitch, beats) in &theme {
            assert!(
                pitch == -1 || (0..=127).contains(&pitch),
                "theme pitch {pitch} out of range"
            );
            assert!(!(beats < 0.0), "theme duration {beats} is negative");
        }
    }
    let mut model = StyleModel::new();
    if model.train_midi(b).is_ok() {
        static KEY: OnceLock<Key> = OnceLock::new();
        let key = KEY.get_or_init(|| Key::parse("C major").expect("a key"));
        let melody = model.generate(4.0, key, &[], b.len() as u64);
        let total: f64 = melody.iter().map(|&(_, d)| d as f64).sum();
        assert!(
            (total - 4.0).abs() < 1e-3,
            "generated {total} beats, asked for 4 ({melody:?})"
        );
    }
}
