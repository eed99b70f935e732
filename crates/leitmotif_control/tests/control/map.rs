//! The mapping file's errors name file, line and column and hint at a real option.

use std::path::Path;

use leitmotif_control::{ControlMap, MapErrorKind, Mapper};

fn parse_err(src: &str) -> String {
    ControlMap::from_ron(src, Some(Path::new("live.control.ron")))
        .expect_err("should not parse")
        .to_string()
}

fn score_err(src: &str) -> leitmotif_control::MapError {
    let map = ControlMap::from_ron(src, Some(Path::new("live.control.ron"))).expect("parses");
    Mapper::new(&map, &crate::score()).expect_err("should not match the score")
}

#[test]
fn the_example_in_the_docs_parses_and_binds() {
    let doc = include_str!("../../../../docs/live-control.md");
    let start = doc
        .find("```ron\n")
        .expect("a ron block in docs/live-control.md")
        + 7;
    let src = &doc[start..start + doc[start..].find("```").unwrap()];
    let map = ControlMap::from_ron(src, None).unwrap();
    assert!(!map.osc.is_empty() && !map.midi.is_empty());
    Mapper::new(&map, &crate::score()).expect("the documented example binds to the test score");
}

#[test]
fn an_unknown_field_points_at_it_and_names_the_allowed_ones() {
    let e = parse_err("Control(\n  osc: [(adress: \"/x\", to: Cue(\"calm\"))],\n)");
    assert!(e.starts_with("live.control.ron:2:10: "), "{e}");
    assert!(e.contains("did you mean \"address\"?"), "{e}");
    assert!(e.contains("address, to, input, output, clamp"), "{e}");
}

#[test]
fn an_unknown_target_names_the_variants() {
    let e = parse_err("Control(midi: [(cc: 1, to: Parameters(\"tension\"))])");
    assert!(e.starts_with("live.control.ron:1:"), "{e}");
    assert!(e.contains("did you mean \"Parameter\"?"), "{e}");
    assert!(e.contains("Parameter, Cue, Stinger, Tempo"), "{e}");
}

#[test]
fn shape_errors_are_located() {
    let e = parse_err("Control(\n midi: [\n  (cc: 1, note: 3, to: Cue(\"calm\")),\n ])");
    assert!(e.starts_with("live.control.ron:3:20: "), "{e}");
    assert!(e.contains("exactly one of `cc` and `note`"), "{e}");
    let e = parse_err("Control(midi: [(cc: 130, to: Cue(\"calm\"))])");
    assert!(e.contains("cc 130 is not a MIDI number"), "{e}");
    let e = parse_err("Control(midi: [(cc: 7, channel: 17, to: Cue(\"calm\"))])");
    assert!(
        e.contains("channel 17 does not exist") && e.contains("1..=16"),
        "{e}"
    );
    let e = parse_err("Control(osc: [(address: \"tension\", to: Parameter(\"tension\"))])");
    assert!(
        e.starts_with("live.control.ron:1:16: ") && e.contains("not an OSC address"),
        "{e}"
    );
    let e = parse_err("Control(midi: [(cc: 20, to: Tempo())])");
    assert!(e.contains("needs `output: (lo, hi)` in BPM"), "{e}");
    let e = parse_err(
        "Control(osc: [(address: \"/a\", to: Parameter(\"tension\"), input: (1.0, 1.0))])",
    );
    assert!(e.contains("is not a range"), "{e}");
}

#[test]
fn a_syntax_error_is_located() {
    let e = parse_err("Control(osc: [(address: \"/a\", to: Cue(\"calm\")]");
    assert!(e.starts_with("live.control.ron:1:"), "{e}");
}

#[test]
fn unknown_names_are_located_with_the_nearest_real_one() {
    let src = "Control(\n  osc: [(address: \"/t\", to: Parameter(\"tensoin\"))],\n)";
    let e = score_err(src);
    assert_eq!(e.position, Some((2, 39)), "{e}");
    assert!(
        matches!(&e.kind, MapErrorKind::UnknownName { what: "parameter", name, .. } if name == "tensoin"),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with("live.control.ron:2:39: score \"Live\" has no parameter \"tensoin\""),
        "{text}"
    );
    assert!(text.contains("did you mean \"tension\"?"), "{text}");

    let e = score_err("Control(midi: [\n(note: 38, to: Cue(\"chace\")),\n])").to_string();
    assert!(
        e.starts_with("live.control.ron:2:20: ") && e.contains("did you mean \"chase\"?"),
        "{e}"
    );
    let e = score_err("Control(midi: [(note: 36, to: Stinger(\"boom\"))])").to_string();
    assert!(
        e.contains("no stinger \"boom\"") && e.contains("the score has: hit"),
        "{e}"
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = ControlMap::load(Path::new("/nonexistent/x.control.ron")).unwrap_err();
    assert!(matches!(e.kind, MapErrorKind::Io(_)));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.control.ron: cannot read"),
        "{e}"
    );
}
