use std::path::{Path, PathBuf};

use super::{Credits, Usage};
use crate::ScoringError;

fn demo_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scores/demo/last_train.credits.ron")
}

const DEMO_CUES: [&str; 4] = ["calm", "unease", "chase@131.2", "resolution"];

/// The demo's credits: the defaults on every cue, the chase (a tempo variant, by name) with
/// its two composers and publishers, M04 (by number) as end titles.
#[test]
fn the_demo_credits_resolve_per_cue() {
    let c = Credits::load(&demo_path()).unwrap();
    let r = c.resolve(&DEMO_CUES).unwrap();
    let names = |v: &[super::Party]| v.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&r[0].composers), ["Ada Quill"]);
    assert_eq!(r[0].composers[0].ipi.as_deref(), Some("00000012345"));
    assert_eq!(r[1], r[0], "a cue without an entry takes the defaults");
    assert_eq!(names(&r[2].composers), ["Ada Quill", "Ben Ode"]);
    assert_eq!(r[2].composers[1].pro, "ASCAP");
    assert_eq!(
        names(&r[2].publishers),
        ["Night Train Music Ltd", "Ode Songs"]
    );
    assert_eq!(r[2].usage, Usage::BI);
    assert_eq!(
        (r[3].usage, &r[3].composers),
        (Usage::ET, &r[0].composers),
        "by number, only what the entry gives changes"
    );
}

/// A number wins over a name, whichever comes first in the file.
#[test]
fn an_entry_by_number_wins_over_one_by_name() {
    let text = r#"Credits(
        defaults: (composers: [(name: "A", pro: "PRS", share: 100)]),
        cues: [(number: 1, usage: MT), (cue: "calm", usage: VV)],
    )"#;
    let c = Credits::parse_str(text, Path::new("c.ron")).unwrap();
    let r = c.resolve(&["calm", "calm"]).unwrap();
    assert_eq!((r[0].usage, r[1].usage), (Usage::MT, Usage::VV));
    assert!(r[0].publishers.is_empty());
}

/// The error of `text` (read as `c.ron`, resolved against two cues `calm` and `chase`).
fn error(text: &str) -> String {
    let e = Credits::parse_str(text, Path::new("c.ron"))
        .and_then(|c| c.resolve(&["calm", "chase"]).map(|_| ()))
        .unwrap_err();
    assert!(
        matches!(e, ScoringError::Credits { .. }) && e.is_input_error(),
        "{e:?}"
    );
    e.to_string()
}

/// Each mistake is refused at its line and column, with a hint naming a real field.
#[test]
fn mistakes_are_located_errors_with_hints() {
    let head = "Credits(\n  defaults: (composers: [(name: \"A\", pro: \"PRS\", share: 100)]),\n  cues: [\n";
    let cases: [(&str, &str, &[&str]); 10] = [
        // Shares that do not add up: at the list. An empty PRO, a bad IPI: at the party.
        (
            "    (cue: \"calm\", composers: [(name: \"A\", pro: \"PRS\", share: 60), (name: \"B\", pro: \"BMI\", share: 30)]),\n",
            "c.ron:4:30: the composers' shares add up to 90, not 100",
            &["`share`"],
        ),
        (
            "    (cue: \"calm\", publishers: [(name: \"P\", pro: \" \", share: 100)]),\n",
            "c.ron:4:32: publisher \"P\" has an empty `pro`",
            &["`pro`", "ASCAP"],
        ),
        // A cue the film does not play: at its name.
        (
            "    (cue: \"chsae\", usage: BV),\n",
            "c.ron:4:11: credits for cue \"chsae\", which the film does not play",
            &["calm, chase", "`number: 1`"],
        ),
        (
            "    (number: 3, usage: BV),\n",
            "c.ron:4:14: credits for cue number 3, but the film has 2 cues",
            &["`number`"],
        ),
        // A misspelt field (after its name, where ron stops), an unknown usage.
        (
            "    (cue: \"calm\", useage: BV),\n",
            "c.ron:4:25: unknown field `useage` in Cue",
            &["usage"],
        ),
        (
            "    (cue: \"calm\", usage: BX),\n",
            "c.ron:4:",
            &["`usage` is one of", "ET"],
        ),
        (
            "    (cue: \"calm\", number: 2, usage: BV),\n",
            "c.ron:4:27: an entry with both `cue` and `number`",
            &["`cue: \"chase\"`"],
        ),
        (
            "    (cue: \"calm\", usage: BV),\n    (cue: \"calm\", usage: VI),\n",
            "c.ron:5:11: a second entry for the same cue",
            &["line 4"],
        ),
        (
            "    (cue: \"calm\", composers: [(name: \"A\", pro: \"PRS\", ipi: \"12-34\", share: 100)]),\n",
            "c.ron:4:31: composer \"A\" has `ipi` \"12-34\"",
            &["9 to 11 digits"],
        ),
        // A syntax error (the entry's `)` missing): where ron stops.
        (
            "    (cue: \"calm\", composers: [(name: \"A\", pro: \"PRS\", share: 100)]\n",
            "c.ron:5:3: Expected comma",
            &["Credits(defaults:"],
        ),
    ];
    let mut wrong = Vec::new();
    for (entry, start, hints) in cases {
        let text = format!("{head}{entry}  ],\n)\n");
        let e = error(&text);
        if !e.starts_with(start) || !e.contains("(hint: ") || hints.iter().any(|h| !e.contains(h)) {
            wrong.push(format!("want {start:?} with {hints:?}, got: {e}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The defaults need composers, and a file must exist.
    let e = error("Credits(defaults: (usage: BI))");
    assert!(
        e.starts_with("c.ron:1:19: `defaults` has no `composers`"),
        "{e}"
    );
    let e = Credits::load(Path::new("/nonexistent/credits.ron")).unwrap_err();
    assert!(
        e.is_input_error()
            && e.to_string()
                .starts_with("/nonexistent/credits.ron: cannot read"),
        "{e}"
    );
}
