//! `leitmotif style train` and `leitmotif generate`, run as a user runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use leitmotif_core::score::Instrument;
use leitmotif_gen::midi::{Conductor, MidiTrack, parse_smf, write_smf};
use leitmotif_gen::style::{Song, StyleModel};
use leitmotif_gen::{Key, Note};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leitmotif"))
        .args(args)
        .output()
        .expect("leitmotif runs")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("leitmotif-cli-style-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn note(start: f64, beats: f64, pitch: u8) -> Note {
    Note {
        start_beat: start,
        beats,
        pitch,
        velocity: 0.8,
        passing: false,
    }
}

/// A tune in D major with a bass line (so the model learns both), transposed by `shift`.
fn tune(shift: i32) -> Vec<u8> {
    let steps = [0, 2, 4, 5, 7, 5, 4, 2, 4, 7, 9, 7, 5, 4, 2, 0];
    let melody: Vec<Note> = (0..48)
        .map(|i| note(i as f64, 1.0, (74 + shift + steps[i % 16]) as u8))
        .collect();
    let bass: Vec<Note> = (0..12)
        .flat_map(|bar| {
            let root = [50, 55, 57, 50][bar % 4] + shift;
            [
                note(bar as f64 * 4.0, 2.0, root as u8),
                note(bar as f64 * 4.0 + 2.0, 2.0, (root + 7) as u8),
            ]
        })
        .collect();
    write_smf(
        &Conductor {
            tempos: vec![(0.0, 110.0)],
            meter: (4, 2),
            keys: vec![(0.0, Key::parse("D major").unwrap())],
        },
        &[
            MidiTrack {
                name: "tune",
                instrument: &Instrument::Lead,
                notes: &melody,
            },
            MidiTrack {
                name: "bass",
                instrument: &Instrument::Bass,
                notes: &bass,
            },
        ],
    )
}

fn corpus(dir: &Path) -> Vec<PathBuf> {
    let d = dir.join("tunes");
    std::fs::create_dir_all(&d).unwrap();
    (0..4)
        .map(|i| {
            let p = d.join(format!("tune{i}.mid"));
            std::fs::write(&p, tune(i - 2)).unwrap();
            p
        })
        .collect()
}

#[test]
fn train_writes_a_model_a_score_can_use_and_skips_or_refuses_bad_files() {
    let dir = temp("train");
    let files = corpus(&dir);
    let bad = dir.join("tunes/notes.mid");
    std::fs::write(&bad, b"not a MIDI file").unwrap();
    let out = dir.join("tunes.style.ron");
    let o = run(&[
        "style",
        "train",
        dir.join("tunes").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("4 files (1 skipped)"), "{said}");
    assert!(
        stderr(&o).contains("notes.mid") && stderr(&o).contains("skipped"),
        "{}",
        stderr(&o)
    );
    let model = StyleModel::from_ron(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(model.stats.files, 4);
    assert!(model.has_bass(), "{:?}", model.stats);
    // The same model as training in the library.
    let mut lib = StyleModel::new();
    for f in &files {
        lib.train_song(&Song::from_smf(&std::fs::read(f).unwrap()).unwrap());
    }
    assert_eq!(model, lib);

    // An existing model is not overwritten without --force; --strict refuses the bad file; a
    // run with no readable file fails. Each exits 2 and leaves the model as it was.
    let before = std::fs::read(&out).unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec!["style", "train"];
        a.extend_from_slice(extra);
        a.extend(["-o", out.to_str().unwrap()]);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let tunes = dir.join("tunes");
    for (case, extra, needle) in [
        ("no --force", vec![tunes.to_str().unwrap()], "--force"),
        (
            "--strict",
            vec![tunes.to_str().unwrap(), "--strict", "--force"],
            "notes.mid",
        ),
        (
            "nothing readable",
            vec![bad.to_str().unwrap(), "--force"],
            "none of the 1 files",
        ),
    ] {
        let a = args(&extra);
        let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(o.status.code(), Some(2), "{case}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{case}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{case}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "{case}: the model changed"
        );
    }
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = run(&[
        "style",
        "train",
        empty.to_str().unwrap(),
        "-o",
        dir.join("x.style.ron").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no .mid"), "{}", stderr(&o));
}

#[test]
fn generate_writes_a_seeded_sketch_in_the_style_with_chords_and_bass() {
    let dir = temp("generate");
    corpus(&dir);
    let model = dir.join("tunes.style.ron");
    let o = run(&[
        "style",
        "train",
        dir.join("tunes").to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let gen_to = |name: &str, seed: &str| -> (Output, PathBuf) {
        let out = dir.join(name);
        let o = run(&[
            "generate",
            "--style",
            model.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--bars",
            "4",
            "--chords",
            "Am F C G",
            "--key",
            "A minor",
            "--seed",
            seed,
        ]);
        (o, out)
    };
    let (o, a) = gen_to("a.mid", "7");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("A minor over Am F C G"));
    let bytes = std::fs::read(&a).unwrap();
    let smf = parse_smf(&bytes).unwrap();
    // Conductor, melody, chords and bass (the style learned one).
    assert_eq!(smf.tracks.len(), 4);
    let song = Song::from_smf(&bytes).unwrap();
    assert_eq!(song.key, Key::parse("A minor").unwrap());
    let beats: f32 = song.melody.iter().map(|n| n.1).sum();
    assert!(
        beats > 12.0 && beats <= 16.0 + 1e-3,
        "{beats} beats of melody"
    );
    let (_, b) = gen_to("b.mid", "7");
    assert_eq!(std::fs::read(&b).unwrap(), bytes, "same seed, same file");
    let (_, c) = gen_to("c.mid", "8");
    assert_ne!(
        std::fs::read(&c).unwrap(),
        bytes,
        "another seed, another sketch"
    );

    // Bad arguments exit 2 with a hint and write nothing.
    for (args, needle) in [
        (vec!["--chords", "Hm7b13"], "--chords"),
        (vec!["--key", "Q major"], "--key"),
        (vec!["--bars", "0"], "--bars"),
        (vec!["--style", "missing.style.ron"], "missing.style.ron"),
    ] {
        let out = dir.join("bad.mid");
        let mut a = vec!["generate", "-o", out.to_str().unwrap()];
        a.extend(args.iter().copied());
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!out.exists(), "{args:?}: wrote a file");
    }
}
