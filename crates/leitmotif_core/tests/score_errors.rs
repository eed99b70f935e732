//! Malformed scores and the errors they produce: kind, line and column, item and hint.
//!
//! Every case is the valid [`BASE`] score with a few textual edits, so each error is caused by
//! exactly one mistake. Positions are checked against the text of the edited score.

use std::path::Path;

use leitmotif_core::score::{Score, ScoreError, ScoreErrorKind};

const BASE: &str = r#"Score(
    name: "base",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [
        (name: "tension", min: 0.0, max: 1.0, default: 0.0, seek_speed: 0.5),
        (name: "health", min: 0.0, max: 100.0, default: 100.0),
    ],
    initial_cue: "explore",
    cues: [
        (
            name: "explore",
            bars: 4,
            chords: ["Dm", "Bb", "Gm", "A7"],
            markers: [(name: "exit", bar: 3, beat: 1)],
            theme: Some("hero"),
            tempo_variants: [(bpm: 140.0, cue: "explore_fast")],
            layers: [
                (name: "pad", source: File("explore_pad.ogg")),
                (name: "drums", source: File("explore_drums.ogg"),
                 gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
            ],
        ),
        (
            name: "explore_fast",
            tempo: Some((bpm: 140.0)),
            bars: 4,
            layers: [(name: "pad", source: File("explore_pad_fast.ogg"))],
        ),
        (
            name: "combat",
            tempo: Some((bpm: 150.0, meter: (3, 4))),
            bars: 8,
            pickup_beats: 1,
            markers: [(name: "peak", bar: 5, beat: 3)],
            layers: [
                (name: "strings", source: Generated((instrument: Strings, part: Chords))),
                (name: "drums", source: Generated((instrument: Drums, part: Drums(Driving), octave: 3, velocity: 0.9)),
                 cutoff_curve: Some((parameter: "tension", points: [(x: 0.0, y: 800.0), (x: 1.0, y: 18000.0, shape: Exponential)])),
                 pan: 0.2),
            ],
        ),
        (
            name: "finale",
            looping: false,
            tempo: Some((bpm: 100.0, changes: [(bar: 3, bpm: 80.0, ramp_beats: Some(4))])),
            bars: 4,
            tail_beats: 2,
            layers: [(name: "brass", source: File("finale.ogg"))],
        ),
    ],
    rules: [
        (cue: "combat", when: [AtLeast("tension", 0.7)], hysteresis: 0.1),
        (cue: "explore", when: [Below("tension", 0.3)]),
    ],
    transitions: [
        (from: "*", to: "*", sync: NextBar, fade_out: Beats(2.0), fade_in: Beats(1.0)),
        (from: "explore", to: "combat", sync: Marker("exit"), bridge: Generated(2)),
        (from: "combat", to: "explore", sync: EveryBars(4), bridge: Segment("cooldown")),
        (from: "combat", to: "finale", sync: EndOfLoop, shape: EqualPower),
    ],
    segments: [
        (name: "cooldown", bars: 2, layers: [(name: "fx", source: File("cooldown.ogg"))]),
    ],
    stingers: [
        (name: "hit", sync: NextBeat, variations: [
            (source: File("hit1.ogg")),
            (source: File("hit2.ogg"), weight: 2.0),
        ]),
        (name: "fanfare", variations: [(source: Generated((instrument: Bell, part: Melody)), beats: 4)]),
    ],
    themes: [
        (name: "hero", notes: [(62, 1.0), (65, 0.5), (69, 1.5), (-1, 1.0)]),
    ],
    ducking: (stinger_db: -6.0, dialogue_db: -12.0, seconds: 0.2),
    seed: 42,
    key: Some("D minor"),
)
"#;

/// Which column the error must report, relative to the `at` text.
#[derive(Clone, Copy, Debug)]
enum Col {
    /// The column where `at` starts.
    Start,
    /// The column just after `at` ends.
    End,
}

struct Case {
    name: &'static str,
    edits: Vec<(&'static str, &'static str)>,
    kind: fn(&ScoreErrorKind) -> bool,
    /// Text that occurs exactly once in the edited score, at the reported position.
    at: &'static str,
    col: Col,
    item: Option<&'static str>,
    /// Text the hint must contain.
    hint: Option<&'static str>,
}

fn case(
    name: &'static str,
    edits: &[(&'static str, &'static str)],
    kind: fn(&ScoreErrorKind) -> bool,
    at: &'static str,
    col: Col,
    item: Option<&'static str>,
    hint: Option<&'static str>,
) -> Case {
    Case {
        name,
        edits: edits.to_vec(),
        kind,
        at,
        col,
        item,
        hint,
    }
}

/// Applies the edits; each `from` must occur exactly once. A `from` of the form `A…B` replaces
/// the text from `A` up to and including the next `B`.
fn apply(name: &str, edits: &[(&str, &str)]) -> String {
    let mut src = BASE.to_string();
    for &(from, to) in edits {
        let (start, end) = match from.split_once('…') {
            Some((a, b)) => {
                assert_eq!(src.matches(a).count(), 1, "{name}: `{a}` must occur once");
                let s = src.find(a).unwrap();
                let e = s + a.len() + src[s + a.len()..].find(b).expect("end of range") + b.len();
                (s, e)
            }
            None => {
                assert_eq!(
                    src.matches(from).count(),
                    1,
                    "{name}: `{from}` must occur once"
                );
                let s = src.find(from).unwrap();
                (s, s + from.len())
            }
        };
        src.replace_range(start..end, to);
    }
    src
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    (
        src[..offset].matches('\n').count() + 1,
        src[line_start..offset].chars().count() + 1,
    )
}

fn cases() -> Vec<Case> {
    use Col::*;
    use ScoreErrorKind as K;
    vec![
        // ---- RON syntax and types -------------------------------------------------------
        case(
            "missing closing paren at the end",
            &[(
                "    key: Some(\"D minor\"),\n)\n",
                "    key: Some(\"D minor\"),\n",
            )],
            |k| matches!(k, K::Syntax(_)),
            "    key: Some(\"D minor\"),\n",
            End,
            None,
            Some("not closed"),
        ),
        case(
            "missing paren inside the tempo",
            &[("meter: (4, 4)),", "meter: (4, 4),")],
            |k| matches!(k, K::Syntax(_)),
            "parameters: [",
            Start,
            None,
            Some("the fields allowed here are: bpm, meter, changes"),
        ),
        case(
            "missing comma between fields",
            &[("max: 1.0, default: 0.0,", "max: 1.0 default: 0.0,")],
            |k| matches!(k, K::Syntax(_)),
            "default: 0.0, seek_speed",
            Start,
            None,
            None,
        ),
        case(
            "unterminated string",
            &[("Some(\"D minor\")", "Some(\"D minor)")],
            |k| matches!(k, K::Syntax(_)),
            "D minor)",
            Start,
            None,
            None,
        ),
        case(
            "string where bpm is a number",
            &[("tempo: (bpm: 120.0,", "tempo: (bpm: \"120\",")],
            |k| matches!(k, K::Syntax(_)),
            "\"120\"",
            Start,
            None,
            None,
        ),
        case(
            "fractional bars",
            &[("bars: 8,", "bars: 8.5,")],
            |k| matches!(k, K::Syntax(_)),
            ".5,\n",
            Start,
            None,
            None,
        ),
        case(
            "unknown field (typo)",
            &[("seek_speed: 0.5", "seek_sped: 0.5")],
            |k| matches!(k, K::Syntax(m) if m.contains("seek_sped")),
            "seek_sped",
            Start,
            None,
            Some(
                "did you mean \"seek_speed\"? the fields allowed here are: name, min, max, default, seek_speed",
            ),
        ),
        case(
            "unknown field in a cue",
            &[("bars: 8,", "bar: 8,")],
            |k| matches!(k, K::Syntax(m) if m.contains("bar")),
            "bar: 8,",
            Start,
            None,
            Some("did you mean \"bars\"?"),
        ),
        case(
            "missing required field",
            &[(
                "            bars: 4,\n            chords",
                "            chords",
            )],
            |k| matches!(k, K::Syntax(m) if m.contains("bars")),
            "),\n        (\n            name: \"explore_fast\"",
            Start,
            None,
            Some("add `bars: …`"),
        ),
        case(
            "unknown sync variant",
            &[("sync: NextBar,", "sync: NextBars,")],
            |k| matches!(k, K::Syntax(m) if m.contains("NextBars")),
            "NextBars",
            Start,
            None,
            Some("did you mean \"NextBar\"?"),
        ),
        case(
            "unknown instrument",
            &[("instrument: Strings", "instrument: Strigns")],
            |k| matches!(k, K::Syntax(m) if m.contains("Strigns")),
            "Strigns",
            Start,
            None,
            Some("did you mean \"Strings\"?"),
        ),
        // ---- tempo and meter ------------------------------------------------------------
        case(
            "score tempo of zero",
            &[("tempo: (bpm: 120.0,", "tempo: (bpm: 0.0,")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "bpm" && *value == 0.0),
            "bpm: 0.0",
            Start,
            Some("score tempo"),
            Some("beats per minute"),
        ),
        case(
            "negative score tempo",
            &[("tempo: (bpm: 120.0,", "tempo: (bpm: -90.0,")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "bpm" && *value == -90.0),
            "bpm: -90.0",
            Start,
            Some("score tempo"),
            None,
        ),
        case(
            "cue tempo above 999",
            &[("bpm: 150.0", "bpm: 1000.0")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "bpm" && *value == 1000.0),
            "bpm: 1000.0",
            Start,
            Some("cue \"combat\""),
            None,
        ),
        case(
            "meter with zero beats",
            &[("meter: (3, 4)", "meter: (0, 4)")],
            |k| matches!(k, K::Invalid(m) if m.contains("(0, 4)")),
            "\"combat\",\n            tempo",
            Start,
            Some("cue \"combat\""),
            Some("beats per bar"),
        ),
        case(
            "meter with a beat unit that is not a power of two",
            &[("meter: (4, 4)", "meter: (4, 3)")],
            |k| matches!(k, K::Invalid(m) if m.contains("(4, 3)")),
            "tempo: (bpm: 120.0",
            Start,
            Some("score tempo"),
            None,
        ),
        case(
            "tempo changes not increasing",
            &[(
                "ramp_beats: Some(4))]",
                "ramp_beats: Some(4)), (bar: 2, bpm: 90.0)]",
            )],
            |k| matches!(k, K::Invalid(m) if m.contains("bar 2 is not after bar 3")),
            "\"finale\",\n",
            Start,
            Some("cue \"finale\""),
            Some("increasing bars"),
        ),
        case(
            "tempo change at bar 1",
            &[("changes: [(bar: 3,", "changes: [(bar: 1,")],
            |k| matches!(k, K::Invalid(m) if m.contains("bar 1 is not after bar 1")),
            "\"finale\",\n",
            Start,
            Some("cue \"finale\""),
            None,
        ),
        case(
            "tempo changes in a looping cue",
            &[("            looping: false,\n", "")],
            |k| matches!(k, K::Invalid(m) if m.contains("looping cue")),
            "\"finale\",\n",
            Start,
            Some("cue \"finale\""),
            Some("looping: false"),
        ),
        case(
            "tempo change beyond 999",
            &[("bpm: 80.0", "bpm: 1200.0")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "tempo change bpm" && *value == 1200.0),
            "\"finale\",\n",
            Start,
            Some("cue \"finale\""),
            None,
        ),
        // ---- parameters -----------------------------------------------------------------
        case(
            "parameter default outside its range",
            &[("max: 100.0, default: 100.0", "max: 100.0, default: 120.0")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "default" && *value == 120.0),
            "default: 120.0",
            Start,
            Some("parameter \"health\""),
            Some("inside the parameter's range"),
        ),
        case(
            "parameter min not below max",
            &[("min: 0.0, max: 1.0,", "min: 1.0, max: 1.0,")],
            |k| matches!(k, K::OutOfRange { what, expected, .. } if what == "max" && expected.contains("min")),
            "max: 1.0,",
            Start,
            Some("parameter \"tension\""),
            None,
        ),
        case(
            "negative seek speed",
            &[("seek_speed: 0.5", "seek_speed: -0.5")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "seek_speed" && *value == -0.5),
            "seek_speed: -0.5",
            Start,
            Some("parameter \"tension\""),
            None,
        ),
        case(
            "NaN parameter default",
            &[("default: 0.0,", "default: NaN,")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "default" && value.is_nan()),
            "default: NaN",
            Start,
            Some("parameter \"tension\""),
            None,
        ),
        case(
            "duplicate parameter",
            &[("(name: \"health\"", "(name: \"tension\"")],
            |k| matches!(k, K::Duplicate { what: "parameter", name } if name == "tension"),
            "\"tension\", min: 0.0, max: 100.0",
            Start,
            Some("parameter \"tension\""),
            Some("its own name"),
        ),
        // ---- cues -----------------------------------------------------------------------
        case(
            "empty cue list",
            &[("    cues: [\n…\n    ],\n", "    cues: [],\n")],
            |k| matches!(k, K::Invalid(m) if m.contains("no cues")),
            "cues: []",
            Start,
            Some("score"),
            Some("add at least one cue"),
        ),
        case(
            "cue with no layers",
            &[(
                "layers: [(name: \"pad\", source: File(\"explore_pad_fast.ogg\"))]",
                "layers: []",
            )],
            |k| matches!(k, K::Invalid(m) if m.contains("no layers")),
            "\"explore_fast\",",
            Start,
            Some("cue \"explore_fast\""),
            Some("Silence"),
        ),
        case(
            "cue of zero bars",
            &[("bars: 8,", "bars: 0,")],
            |k| matches!(k, K::OutOfRange { what, .. } if what == "bars"),
            "bars: 0",
            Start,
            Some("cue \"combat\""),
            None,
        ),
        case(
            "duplicate cue",
            &[("name: \"finale\"", "name: \"combat\"")],
            |k| matches!(k, K::Duplicate { what: "cue", name } if name == "combat"),
            "\"combat\",\n            looping",
            Start,
            Some("cue \"combat\""),
            None,
        ),
        case(
            "cue with an empty name",
            &[("name: \"explore_fast\"", "name: \"\"")],
            |k| matches!(k, K::Invalid(m) if m.contains("empty name")),
            "\"\"",
            Start,
            Some("cue \"\""),
            None,
        ),
        case(
            "duplicate layer",
            &[(
                "(name: \"drums\", source: Generated",
                "(name: \"strings\", source: Generated",
            )],
            |k| matches!(k, K::Duplicate { what: "layer", name } if name == "strings"),
            "\"strings\", source: Generated((instrument: Drums",
            Start,
            Some("cue \"combat\", layer \"strings\""),
            None,
        ),
        case(
            "duplicate marker",
            &[(
                "(name: \"exit\", bar: 3, beat: 1)",
                "(name: \"exit\", bar: 3, beat: 1), (name: \"exit\", bar: 4)",
            )],
            |k| matches!(k, K::Duplicate { what: "marker", name } if name == "exit"),
            "\"exit\", bar: 4",
            Start,
            Some("cue \"explore\", marker \"exit\""),
            None,
        ),
        case(
            "unknown initial cue",
            &[("initial_cue: \"explore\"", "initial_cue: \"explroe\"")],
            |k| matches!(k, K::UnknownName { what: "cue", name } if name == "explroe"),
            "\"explroe\"",
            Start,
            Some("initial_cue \"explroe\""),
            Some("did you mean \"explore\"?"),
        ),
        case(
            "marker bar beyond the cue's length",
            &[("(name: \"exit\", bar: 3,", "(name: \"exit\", bar: 5,")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "bar" && *value == 5.0),
            "bar: 5, beat: 1",
            Start,
            Some("cue \"explore\", marker \"exit\""),
            None,
        ),
        case(
            "marker beat beyond the meter",
            &[("bar: 5, beat: 3", "bar: 5, beat: 4")],
            |k| matches!(k, K::OutOfRange { what, expected, .. } if what == "beat" && expected == "1 to 3"),
            "beat: 4",
            Start,
            Some("cue \"combat\", marker \"peak\""),
            None,
        ),
        case(
            "more chords than bars",
            &[("\"Gm\", \"A7\"]", "\"Gm\", \"A7\", \"Dm\"]")],
            |k| matches!(k, K::Invalid(m) if m == "5 chords for 4 bars"),
            "\"explore\",\n            bars",
            Start,
            Some("cue \"explore\""),
            Some("one chord per bar"),
        ),
        case(
            "unknown theme",
            &[("theme: Some(\"hero\")", "theme: Some(\"heroo\")")],
            |k| matches!(k, K::UnknownName { what: "theme", name } if name == "heroo"),
            "\"heroo\"",
            Start,
            Some("cue \"explore\""),
            Some("did you mean \"hero\"?"),
        ),
        case(
            "tempo variant that is the cue itself",
            &[("cue: \"explore_fast\")", "cue: \"explore\")")],
            |k| matches!(k, K::Invalid(m) if m.contains("its own tempo variant")),
            "\"explore\",\n            bars",
            Start,
            Some("cue \"explore\""),
            None,
        ),
        case(
            "tempo variant at the wrong tempo",
            &[("(bpm: 140.0, cue:", "(bpm: 130.0, cue:")],
            |k| matches!(k, K::Invalid(m) if m.contains("plays at 140 BPM, not 130")),
            "\"explore\",\n            bars",
            Start,
            Some("cue \"explore\""),
            None,
        ),
        case(
            "tempo variant naming an unknown cue",
            &[("cue: \"explore_fast\")", "cue: \"explore_fats\")")],
            |k| matches!(k, K::UnknownName { what: "cue", name } if name == "explore_fats"),
            "\"explore_fats\"",
            Start,
            Some("cue \"explore\""),
            Some("did you mean \"explore_fast\"?"),
        ),
        case(
            "mood arousal out of range",
            &[(
                "pickup_beats: 1,",
                "pickup_beats: 1, mood: Some((0.5, 2.0)),",
            )],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "mood" && *value == 2.0),
            "mood:",
            Start,
            Some("cue \"combat\""),
            None,
        ),
        // ---- layers, curves, sources --------------------------------------------------
        case(
            "curve with an unknown parameter",
            &[(
                "gain_curve: Some((parameter: \"tension\"",
                "gain_curve: Some((parameter: \"tenson\"",
            )],
            |k| matches!(k, K::UnknownName { what: "parameter", name } if name == "tenson"),
            "\"tenson\"",
            Start,
            Some("cue \"explore\", layer \"drums\""),
            Some("did you mean \"tension\"?"),
        ),
        case(
            "curve points going backwards",
            &[(
                "(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)",
                "(x: 0.6, y: 0.0), (x: 0.4, y: 1.0)",
            )],
            |k| matches!(k, K::Invalid(m) if m.contains("backwards at x = 0.4")),
            "\"drums\", source: File",
            Start,
            Some("cue \"explore\", layer \"drums\""),
            Some("increasing x"),
        ),
        case(
            "gain curve value out of range",
            &[("(x: 1.0, y: 1.0)", "(x: 1.0, y: 5.0)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "curve value" && *value == 5.0),
            "\"drums\", source: File",
            Start,
            Some("cue \"explore\", layer \"drums\""),
            None,
        ),
        case(
            "cutoff curve out of range",
            &[("y: 18000.0", "y: 30000.0")],
            |k| matches!(k, K::OutOfRange { what, value, expected } if what == "curve value" && *value == 30000.0 && expected == "20 to 24000"),
            "\"drums\", source: Generated",
            Start,
            Some("cue \"combat\", layer \"drums\""),
            None,
        ),
        case(
            "pan out of range (the second layer of that name in the file)",
            &[("pan: 0.2", "pan: 1.5")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "pan" && *value == 1.5),
            "pan: 1.5",
            Start,
            Some("cue \"combat\", layer \"drums\""),
            None,
        ),
        case(
            "velocity above 1",
            &[("velocity: 0.9", "velocity: 1.5")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "velocity" && *value == 1.5),
            "velocity: 1.5",
            Start,
            Some("cue \"combat\", layer \"drums\""),
            None,
        ),
        case(
            "octave above 8",
            &[("octave: 3", "octave: 9")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "octave" && *value == 9.0),
            "octave: 9",
            Start,
            Some("cue \"combat\", layer \"drums\""),
            None,
        ),
        case(
            "empty file name",
            &[("File(\"finale.ogg\")", "File(\"\")")],
            |k| matches!(k, K::Invalid(m) if m.contains("file name is empty")),
            "\"brass\"",
            Start,
            Some("cue \"finale\", layer \"brass\""),
            None,
        ),
        // ---- rules ------------------------------------------------------------------------
        case(
            "rule with an unknown parameter",
            &[("AtLeast(\"tension\", 0.7)", "AtLeast(\"tensoin\", 0.7)")],
            |k| matches!(k, K::UnknownName { what: "parameter", name } if name == "tensoin"),
            "\"tensoin\"",
            Start,
            Some("rule for cue \"combat\""),
            Some("did you mean \"tension\"?"),
        ),
        case(
            "rule threshold outside the parameter's range",
            &[("AtLeast(\"tension\", 0.7)", "AtLeast(\"tension\", 1.5)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "threshold" && *value == 1.5),
            "\"combat\", when",
            Start,
            Some("rule for cue \"combat\""),
            None,
        ),
        case(
            "rule with no conditions",
            &[(
                "(cue: \"explore\", when: [Below(\"tension\", 0.3)])",
                "(cue: \"explore\", when: [])",
            )],
            |k| matches!(k, K::Invalid(m) if m.contains("no conditions")),
            "\"explore\", when",
            Start,
            Some("rule for cue \"explore\""),
            Some("AtLeast"),
        ),
        case(
            "rule for an unknown cue",
            &[("(cue: \"combat\", when", "(cue: \"combta\", when")],
            |k| matches!(k, K::UnknownName { what: "cue", name } if name == "combta"),
            "\"combta\"",
            Start,
            Some("rule for cue \"combta\""),
            Some("did you mean \"combat\"?"),
        ),
        // ---- transitions ----------------------------------------------------------------
        case(
            "transition to an unknown cue",
            &[("to: \"finale\"", "to: \"finalle\"")],
            |k| matches!(k, K::UnknownName { what: "cue", name } if name == "finalle"),
            "\"finalle\"",
            Start,
            Some("transition from \"combat\" to \"finalle\""),
            Some("did you mean \"finale\"?"),
        ),
        case(
            "transition from an unknown cue",
            &[(
                "(from: \"explore\", to: \"combat\"",
                "(from: \"explor\", to: \"combat\"",
            )],
            |k| matches!(k, K::UnknownName { what: "cue", name } if name == "explor"),
            "\"explor\"",
            Start,
            Some("transition from \"explor\" to \"combat\""),
            Some("did you mean \"explore\"?"),
        ),
        case(
            "wildcard matching no cue",
            &[(
                "(from: \"combat\", to: \"finale\"",
                "(from: \"boss_*\", to: \"finale\"",
            )],
            |k| matches!(k, K::UnknownName { what: "cue", name } if name == "boss_*"),
            "\"boss_*\"",
            Start,
            Some("transition from \"boss_*\" to \"finale\""),
            None,
        ),
        case(
            "unknown segment",
            &[("Segment(\"cooldown\")", "Segment(\"cooldwn\")")],
            |k| matches!(k, K::UnknownName { what: "segment", name } if name == "cooldwn"),
            "\"cooldwn\"",
            Start,
            Some("transition from \"combat\" to \"explore\""),
            Some("did you mean \"cooldown\"?"),
        ),
        case(
            "unknown marker in a Marker sync",
            &[("Marker(\"exit\")", "Marker(\"exti\")")],
            |k| matches!(k, K::UnknownName { what: "marker", name } if name == "exti"),
            "\"exti\"",
            Start,
            Some("transition from \"explore\" to \"combat\""),
            Some("did you mean \"exit\"?"),
        ),
        case(
            "EveryBars(0)",
            &[("EveryBars(4)", "EveryBars(0)")],
            |k| matches!(k, K::OutOfRange { what, .. } if what == "EveryBars"),
            "\"combat\", to: \"explore\"",
            Start,
            Some("transition from \"combat\" to \"explore\""),
            None,
        ),
        case(
            "generated bridge of 0 bars",
            &[("Generated(2)", "Generated(0)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "generated bridge bars" && *value == 0.0),
            "\"explore\", to: \"combat\"",
            Start,
            Some("transition from \"explore\" to \"combat\""),
            None,
        ),
        case(
            "generated bridge of 17 bars",
            &[("Generated(2)", "Generated(17)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "generated bridge bars" && *value == 17.0),
            "\"explore\", to: \"combat\"",
            Start,
            Some("transition from \"explore\" to \"combat\""),
            None,
        ),
        case(
            "negative fade",
            &[("fade_out: Beats(2.0)", "fade_out: Beats(-2.0)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "fade_out" && *value == -2.0),
            "fade_out: Beats(-2.0)",
            Start,
            Some("transition from \"*\" to \"*\""),
            None,
        ),
        case(
            "duplicate transition pair",
            &[(
                "shape: EqualPower),\n",
                "shape: EqualPower),\n        (from: \"combat\", to: \"finale\", sync: NextBar),\n",
            )],
            |k| matches!(k, K::Duplicate { what: "transition", name } if name == "combat -> finale"),
            "\"combat\", to: \"finale\", sync: NextBar",
            Start,
            Some("transition from \"combat\" to \"finale\""),
            Some("merge them"),
        ),
        // ---- segments, stingers, themes, ducking ------------------------------------------
        case(
            "segment of zero bars",
            &[(
                "(name: \"cooldown\", bars: 2",
                "(name: \"cooldown\", bars: 0",
            )],
            |k| matches!(k, K::OutOfRange { what, .. } if what == "bars"),
            "bars: 0",
            Start,
            Some("segment \"cooldown\""),
            None,
        ),
        case(
            "duplicate stinger",
            &[("(name: \"fanfare\"", "(name: \"hit\"")],
            |k| matches!(k, K::Duplicate { what: "stinger", name } if name == "hit"),
            "\"hit\", variations",
            Start,
            Some("stinger \"hit\""),
            None,
        ),
        case(
            "stinger with no variations",
            &[(
                "variations: [(source: Generated((instrument: Bell, part: Melody)), beats: 4)]",
                "variations: []",
            )],
            |k| matches!(k, K::Invalid(m) if m.contains("no variations")),
            "\"fanfare\"",
            Start,
            Some("stinger \"fanfare\""),
            None,
        ),
        case(
            "stinger synced to a marker",
            &[("sync: NextBeat", "sync: Marker(\"exit\")")],
            |k| matches!(k, K::Invalid(m) if m.contains("not to markers")),
            "\"hit\"",
            Start,
            Some("stinger \"hit\""),
            Some("NextBeat or NextBar"),
        ),
        case(
            "zero stinger weight",
            &[("weight: 2.0", "weight: 0.0")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "variation weight" && *value == 0.0),
            "\"hit\"",
            Start,
            Some("stinger \"hit\""),
            None,
        ),
        case(
            "duplicate theme",
            &[(
                "    themes: [\n",
                "    themes: [\n        (name: \"hero\", notes: [(60, 1.0)]),\n",
            )],
            |k| matches!(k, K::Duplicate { what: "theme", name } if name == "hero"),
            "\"hero\", notes: [(62",
            Start,
            Some("theme \"hero\""),
            None,
        ),
        case(
            "theme with no notes",
            &[(
                "notes: [(62, 1.0), (65, 0.5), (69, 1.5), (-1, 1.0)]",
                "notes: []",
            )],
            |k| matches!(k, K::Invalid(m) if m.contains("neither notes nor a MIDI file")),
            "\"hero\", notes",
            Start,
            Some("theme \"hero\""),
            None,
        ),
        case(
            "theme pitch out of range",
            &[("(69, 1.5)", "(128, 1.5)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "note pitch" && *value == 128.0),
            "\"hero\", notes",
            Start,
            Some("theme \"hero\""),
            None,
        ),
        case(
            "theme note of zero length",
            &[("(65, 0.5)", "(65, 0.0)")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "note length" && *value == 0.0),
            "\"hero\", notes",
            Start,
            Some("theme \"hero\""),
            None,
        ),
        case(
            "ducking above 0 dB",
            &[("stinger_db: -6.0", "stinger_db: 3.0")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "stinger_db" && *value == 3.0),
            "stinger_db: 3.0",
            Start,
            Some("ducking"),
            Some("negative"),
        ),
        case(
            "negative ducking time",
            &[("seconds: 0.2", "seconds: -1.0")],
            |k| matches!(k, K::OutOfRange { what, value, .. } if what == "seconds" && *value == -1.0),
            "seconds: -1.0",
            Start,
            Some("ducking"),
            None,
        ),
    ]
}

#[test]
fn base_score_parses() {
    let score = Score::from_ron(BASE, None).expect("the base score is valid");
    assert_eq!(score.cues.len(), 4);
    assert_eq!(score.initial_cue, "explore");
}

#[test]
fn malformed_scores_report_the_specific_error() {
    let cases = cases();
    assert!(cases.len() >= 36, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let src = apply(c.name, &c.edits);
        let err: ScoreError = match Score::from_ron(&src, None) {
            Ok(_) => {
                failures.push(format!("{}: parsed without error", c.name));
                continue;
            }
            Err(e) => e,
        };
        let mut problems = Vec::new();
        if !(c.kind)(&err.kind) {
            problems.push(format!("kind {:?}", err.kind));
        }
        let n = src.matches(c.at).count();
        if n != 1 {
            problems.push(format!("`{}` occurs {n} times in the edited score", c.at));
        } else {
            let off = src.find(c.at).unwrap();
            let (line, col) = line_col(&src, off);
            let (end_line, end_col) = line_col(&src, off + c.at.len());
            match (c.col, err.position) {
                (_, None) => problems.push("no position".into()),
                (Col::Start, Some(p)) if p != (line, col) => {
                    problems.push(format!("position {p:?}, expected {:?}", (line, col)))
                }
                (Col::End, Some(p)) if p != (end_line, end_col) => problems.push(format!(
                    "position {p:?}, expected {:?}",
                    (end_line, end_col)
                )),
                _ => {}
            }
        }
        if err.item.as_deref() != c.item {
            problems.push(format!("item {:?}, expected {:?}", err.item, c.item));
        }
        if let Some(h) = c.hint
            && !err.hint.as_deref().is_some_and(|x| x.contains(h))
        {
            problems.push(format!("hint {:?}, expected it to contain {h:?}", err.hint));
        }
        if std::env::var_os("SHOW_ERRORS").is_some() {
            eprintln!("{:<50} {err}", c.name);
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} — error was: {err}",
                c.name,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn error_display_has_path_line_column_item_and_hint() {
    let src = apply(
        "display",
        &[("initial_cue: \"explore\"", "initial_cue: \"explroe\"")],
    );
    let err = Score::from_ron(&src, Some(Path::new("scores/base.score.ron"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scores/base.score.ron:8:18: initial_cue \"explroe\": unknown cue \"explroe\" \
         (hint: did you mean \"explore\"?)"
    );
    let err = Score::from_ron(&src, None).unwrap_err();
    assert!(err.to_string().starts_with("<score>:8:18: "), "{err}");
}

#[test]
fn positions_count_characters_and_survive_non_ascii_text() {
    let src = apply(
        "unicode",
        &[
            ("name: \"base\"", "name: \"Dämmerung ♪\""),
            (
                "    ducking: (",
                "    /* Dämpfung — ♪ (ducking: */ ducking: (",
            ),
            ("stinger_db: -6.0", "stinger_db: 6.0"),
        ],
    );
    let err = Score::from_ron(&src, None).unwrap_err();
    let line = src.lines().position(|l| l.contains("Dämpfung")).unwrap() + 1;
    let text = src.lines().nth(line - 1).unwrap();
    let col = text[..text.find("stinger_db").unwrap()].chars().count() + 1;
    assert_eq!(err.position, Some((line, col)), "{err}");
}

#[test]
fn syntax_error_display_has_path_line_and_column() {
    let src = apply("display", &[("seek_speed: 0.5", "seek_sped: 0.5")]);
    let err = Score::from_ron(&src, Some(Path::new("a.score.ron"))).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("a.score.ron:5:"), "{text}");
    assert!(
        text.contains("(hint: did you mean \"seek_speed\"?"),
        "{text}"
    );
}

/// The first complete example of `docs/score-format.md` parses and validates, so the
/// documentation cannot drift from the format.
#[test]
fn documented_example_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/score-format.md");
    let doc = std::fs::read_to_string(&path).expect("docs/score-format.md exists");
    let start = doc.find("```ron\n").expect("the doc has a ```ron block") + "```ron\n".len();
    let len = doc[start..]
        .find("\n```")
        .expect("the ```ron block is closed");
    let example = &doc[start..start + len];
    if let Err(e) = Score::from_ron(example, Some(&path)) {
        panic!("the example in docs/score-format.md does not parse: {e}");
    }
}
