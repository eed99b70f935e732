//! The style model on two real corpora of clearly different styles (fetched by
//! `scripts/fetch-midi-corpora` into `data/midi/`, never committed): fiddle dance tunes from
//! Ryan's Mammoth Collection (1883) and Han Chinese folk songs from the Essen collection.
//!
//! For each style: train on 80 % of it; over 20 seeds, generated melodies must be more likely
//! under a model of the held-out 20 % than under a model of the other style, closer to the
//! held-out material than the built-in style's melodies are (interval, duration and
//! pitch-class histograms, L1 distance), and never quote a 12-note run of the training files.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::score::Instrument;
use leitmotif_engine::bank::{BankOptions, LoadError, SourceBank};
use leitmotif_gen::midi::{Conductor, MidiTrack, write_smf};
use leitmotif_gen::style::{QUANTUM, Song, StyleModel};
use leitmotif_gen::{Chord, Key, Note, PitchClass};

const SEEDS: u64 = 20;
const RUN: usize = 12;

fn corpus(name: &str) -> Option<Vec<(PathBuf, Song)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/midi")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mid"))
        .collect();
    if files.len() < 100 {
        return None;
    }
    files.sort();
    let songs = files
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            // A few conversions hold no notes; the rest must read.
            Song::from_smf(&bytes).ok().map(|s| (p, s))
        })
        .filter(|(_, s)| s.melody.iter().filter(|n| n.0 >= 0).count() >= 8)
        .collect();
    Some(songs)
}

fn skipped() -> bool {
    eprintln!(
        "SKIPPED: style corpora missing in data/midi/ — run scripts/fetch-midi-corpora \
         (needs PyPI and Debian's abcmidi)"
    );
    true
}

/// (training 80 %, held-out 20 %): every fifth file is held out.
fn split(songs: &[(PathBuf, Song)]) -> (Vec<&Song>, Vec<&Song>) {
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (i, (_, s)) in songs.iter().enumerate() {
        if i % 5 == 4 {
            held.push(s);
        } else {
            train.push(s);
        }
    }
    (train, held)
}

fn model(songs: &[&Song]) -> StyleModel {
    let mut m = StyleModel::new();
    for s in songs {
        m.train_song(s);
    }
    m
}

/// Transposition-free tokens: (interval or 99 for a rest, duration in quanta).
fn tokens(notes: &[(i32, f32)]) -> Vec<(i32, i32)> {
    let mut prev = None;
    notes
        .iter()
        .filter(|n| n.1 > 0.0)
        .map(|&(p, d)| {
            let q = ((d / QUANTUM).round() as i32).clamp(1, 32);
            if p < 0 {
                return (99, q);
            }
            let iv = prev.map_or(0, |pp: i32| (p - pp).clamp(-12, 12));
            prev = Some(p);
            (iv, q)
        })
        .collect()
}

struct Hist {
    intervals: Vec<f64>,
    durations: Vec<f64>,
    classes: Vec<f64>,
}

fn hist(lines: &[(Vec<(i32, f32)>, Key)]) -> Hist {
    let mut h = Hist {
        intervals: vec![0.0; 25],
        durations: vec![0.0; 33],
        classes: vec![0.0; 12],
    };
    for (notes, key) in lines {
        for (i, (iv, q)) in tokens(notes).into_iter().enumerate() {
            if iv != 99 && i > 0 {
                h.intervals[(iv + 12) as usize] += 1.0;
            }
            h.durations[q as usize] += 1.0;
        }
        for &(p, _) in notes.iter().filter(|n| n.0 >= 0) {
            h.classes[key.tonic.interval_to(PitchClass::new(p)) as usize] += 1.0;
        }
    }
    for v in [&mut h.intervals, &mut h.durations, &mut h.classes] {
        let s: f64 = v.iter().sum();
        v.iter_mut().for_each(|x| *x /= s.max(1.0));
    }
    h
}

fn l1(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

/// 16 bars of 4/4 over I–vi–IV–V in G major, per seed.
fn generate(m: &StyleModel, seed: u64) -> (Vec<(i32, f32)>, Key) {
    let key = Key::parse("G major").unwrap();
    let chords: Vec<(f64, Chord)> = ["G", "Em", "C", "D"]
        .iter()
        .cycle()
        .take(16)
        .enumerate()
        .map(|(i, c)| (i as f64 * 4.0, Chord::parse(c).unwrap()))
        .collect();
    (m.generate_in(64.0, &key, &chords, 4.0, seed), key)
}

fn check_style(a_name: &str, a: &[(PathBuf, Song)], b_name: &str, b: &[(PathBuf, Song)]) {
    let (train, held) = split(a);
    let model_a = model(&train);
    let held_a = model(&held);
    let model_b = model(&b.iter().map(|(_, s)| s).collect::<Vec<_>>());
    let builtin = StyleModel::builtin();
    let generated: Vec<_> = (0..SEEDS).map(|s| generate(&model_a, s)).collect();
    let from_builtin: Vec<_> = (0..SEEDS).map(|s| generate(&builtin, s)).collect();

    // Likelihood per note under the held-out model vs the other style's model.
    let mut wins = 0;
    let (mut sum_a, mut sum_b) = (0.0, 0.0);
    for (notes, key) in &generated {
        let (la, n) = held_a.log_likelihood(notes, key);
        let (lb, _) = model_b.log_likelihood(notes, key);
        let (la, lb) = (la / n as f64, lb / n as f64);
        sum_a += la;
        sum_b += lb;
        if la > lb {
            wins += 1;
        }
    }
    eprintln!(
        "{a_name}: generated melodies, mean log-likelihood per note: held-out {a_name} {:.3}, \
         {b_name} {:.3}; more likely under held-out {a_name} for {wins}/{SEEDS} seeds",
        sum_a / SEEDS as f64,
        sum_b / SEEDS as f64
    );
    assert!(
        wins >= 18,
        "{a_name}: only {wins}/{SEEDS} seeds prefer the held-out model"
    );
    assert!(sum_a > sum_b);

    // Closer to the held-out material than the built-in style.
    let held_lines: Vec<(Vec<(i32, f32)>, Key)> =
        held.iter().map(|s| (s.melody.clone(), s.key)).collect();
    let (h, g, u) = (hist(&held_lines), hist(&generated), hist(&from_builtin));
    for (what, hg, hu, hh) in [
        ("interval", &g.intervals, &u.intervals, &h.intervals),
        ("duration", &g.durations, &u.durations, &h.durations),
        ("pitch-class", &g.classes, &u.classes, &h.classes),
    ] {
        let (dg, du) = (l1(hg, hh), l1(hu, hh));
        eprintln!(
            "{a_name}: {what} histogram L1 to held-out {a_name}: trained style {dg:.3}, \
             built-in style {du:.3}"
        );
        assert!(
            dg < du,
            "{a_name}: {what} {dg} not closer than the built-in {du}"
        );
    }

    // No 12-note run of the training files appears in a generated melody (transposition
    // ignored, so a quote in another key counts too).
    let mut runs: HashSet<Vec<(i32, i32)>> = HashSet::new();
    for s in &train {
        for w in tokens(&s.melody).windows(RUN) {
            // The first interval of a run depends on the note before it.
            runs.insert(w[1..].to_vec());
        }
    }
    for (seed, (notes, _)) in generated.iter().enumerate() {
        for w in tokens(notes).windows(RUN) {
            assert!(
                !runs.contains(&w[1..]),
                "{a_name}: seed {seed} quotes the training material: {w:?}"
            );
        }
    }
}

#[test]
fn a_trained_style_writes_like_its_corpus_and_does_not_copy_it() {
    let (Some(ryans), Some(han)) = (corpus("ryans"), corpus("han")) else {
        skipped();
        return;
    };
    eprintln!("{} fiddle tunes, {} Han folk songs", ryans.len(), han.len());
    assert!(ryans.len() > 500 && han.len() > 500);
    check_style("fiddle", &ryans, "han", &han);
    check_style("han", &han, "fiddle", &ryans);
}

#[test]
fn real_multitrack_files_teach_a_bass_line_and_chords() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/midi/blupi");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(d) => d.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => {
            skipped();
            return;
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "mid"));
    files.sort();
    assert!(files.len() >= 8, "{} files", files.len());
    let mut m = StyleModel::new();
    for f in &files {
        m.train_midi(&std::fs::read(f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    let st = &m.stats;
    eprintln!(
        "Planet Blupi: {} files, {} melody notes, {} bass notes, {} bars of chords",
        st.files, st.notes, st.bass_notes, st.chord_bars
    );
    assert!(m.has_bass() && m.has_chords(), "{st:?}");
    let key = Key::parse("C major").unwrap();
    let chords: Vec<(f64, Chord)> = ["C", "Am", "F", "G"]
        .iter()
        .cycle()
        .take(8)
        .enumerate()
        .map(|(i, c)| (i as f64 * 4.0, Chord::parse(c).unwrap()))
        .collect();
    for seed in 0..10 {
        let bass = m
            .generate_bass(32.0, &key, &chords, 4.0, None, seed)
            .unwrap();
        let total: f32 = bass.iter().map(|n| n.1).sum();
        assert!((total - 32.0).abs() < 1e-3, "length {total}");
        // Every downbeat that starts a note plays the bar's root.
        let mut t = 0.0f64;
        let (mut downbeats, mut roots) = (0, 0);
        for &(p, d) in &bass {
            if p >= 0 {
                assert!((24..=64).contains(&p), "bass pitch {p}");
                if (t / 4.0 - (t / 4.0).round()).abs() < 1e-6 {
                    downbeats += 1;
                    let chord = chords[(t / 4.0).round() as usize].1;
                    roots += usize::from(PitchClass::new(p) == chord.root);
                }
            }
            t += d as f64;
        }
        assert!(
            roots * 10 >= downbeats * 9,
            "seed {seed}: {roots}/{downbeats} roots"
        );
    }
    let prog = m.generate_progression(8, &key, 1);
    let distinct: HashSet<String> = prog.iter().map(|c| c.to_string()).collect();
    let names: Vec<String> = prog.iter().map(|c| c.to_string()).collect();
    eprintln!("a progression in the learned style: {}", names.join(" "));
    assert_eq!(prog[0].to_string(), "C");
    assert!(distinct.len() >= 3, "{distinct:?}");
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

/// A caricature of a style, so its traces are unmistakable: a melody falling by semitones in
/// eighth notes (an octave up every 12 notes), over a bass playing each bar's root and then its
/// third.
fn caricature() -> Vec<u8> {
    let melody: Vec<Note> = (0..96)
        .map(|i| note(i as f64 * 0.5, 0.5, 84 - (i % 12) as u8))
        .collect();
    let roots = [(48, 52), (45, 48), (41, 45), (43, 47)];
    let bass: Vec<Note> = (0..12)
        .flat_map(|bar| {
            let (root, third) = roots[bar % 4];
            [
                note(bar as f64 * 4.0, 2.0, root),
                note(bar as f64 * 4.0 + 2.0, 2.0, third),
            ]
        })
        .collect();
    let conductor = Conductor {
        tempos: vec![(0.0, 100.0)],
        meter: (4, 2),
        keys: vec![(0.0, Key::parse("C major").unwrap())],
    };
    write_smf(
        &conductor,
        &[
            MidiTrack {
                name: "melody",
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

fn styled_score(dir: &Path, style: &str) -> PathBuf {
    let layers = r#"[
        (name: "melody", source: Generated((instrument: Lead, part: Melody, octave: 5, velocity: 0.5, live: true))),
        (name: "bass", source: Generated((instrument: Bass, part: Bass(2), octave: 2, velocity: 0.7, live: true))),
    ]"#;
    let text = format!(
        r#"Score(
    name: "styled",
    key: Some("C major"),
    tempo: (bpm: 100.0, meter: (4, 4)),
    initial_cue: "a",
    {style}
    cues: [
        (name: "a", bars: 8, chords: ["C", "Am", "F", "G"], layers: {layers}),
        (name: "b", bars: 8, chords: ["Am", "F", "C", "G"], layers: {layers}),
    ],
)"#
    );
    let path = dir.join(format!("styled{}.score.ron", style.len()));
    std::fs::write(&path, text).unwrap();
    path
}

fn bank(path: &Path) -> Result<(Score, SourceBank), LoadError> {
    let score = Score::load(path).unwrap();
    let bank = SourceBank::load(&score, &BankOptions::for_score(path, 48_000))?;
    Ok((score, bank))
}

/// Share of consecutive notes that fall by one semitone.
fn falling(pitches: &[i32]) -> f64 {
    let steps = pitches.windows(2).filter(|w| w[1] - w[0] == -1).count();
    steps as f64 / pitches.len().saturating_sub(1).max(1) as f64
}

#[test]
fn a_scores_style_writes_its_melodies_bass_lines_and_bridges() {
    let dir = common::temp_dir("style-score");
    std::fs::create_dir_all(dir.join("style")).unwrap();
    std::fs::write(dir.join("style/caricature.mid"), caricature()).unwrap();
    let styled = styled_score(&dir, r#"style: Some((midi: ["style/*.mid"])),"#);
    let plain = styled_score(&dir, "");
    let (score, with) = bank(&styled).unwrap();
    let (_, without) = bank(&plain).unwrap();
    assert!(with.style.is_some() && without.style.is_none());

    // Live melodies (composed at load, played by the conductor) fall by semitones in the style.
    let line = |b: &SourceBank, layer: u16| -> Vec<i32> {
        let live = b
            .live
            .iter()
            .find(|l| l.part.cue == 0 && l.part.layer == layer)
            .unwrap();
        live.part.notes.iter().map(|n| n.pitch as i32).collect()
    };
    let (fs, fp) = (falling(&line(&with, 0)), falling(&line(&without, 0)));
    eprintln!(
        "melody: {:.0} % semitone falls with the style, {:.0} % without",
        fs * 100.0,
        fp * 100.0
    );
    assert!(fs > 0.5 && fp < 0.2, "{fs} vs {fp}");

    // Bass lines play each bar's third after its root, as the style's bass does (in at least
    // half of the 8 bars: the line is sampled, not copied).
    let thirds = |b: &SourceBank| -> usize {
        let live = b
            .live
            .iter()
            .find(|l| l.part.cue == 0 && l.part.layer == 1)
            .unwrap();
        let chords = &score.cues[0].chords;
        live.part
            .notes
            .iter()
            .filter(|n| n.beat >= 0.0)
            .filter(|n| {
                let chord = Chord::parse(&chords[(n.beat / 4.0) as usize % chords.len()]).unwrap();
                let third = chord.tones()[1];
                PitchClass::new(n.pitch as i32) == third
            })
            .count()
    };
    let (ts, tp) = (thirds(&with), thirds(&without));
    eprintln!("bass: {ts} chord thirds with the style, {tp} without");
    assert!(ts >= 4 && tp == 0, "{ts} vs {tp}");

    // A bridge composed between the cues writes its top voice in the style.
    let top = |style: Option<Arc<StyleModel>>| -> Vec<i32> {
        let b = leitmotif_scoring::compose_bridge(&score, style, 0, 1, 4, 3).unwrap();
        let v = b.voices.iter().find(|v| v.name == "top").unwrap();
        v.notes.iter().map(|n| n.pitch as i32).collect()
    };
    let (bs, bp) = (falling(&top(with.style.clone())), falling(&top(None)));
    eprintln!(
        "bridge top voice: {:.0} % semitone falls with the style, {:.0} % without",
        bs * 100.0,
        bp * 100.0
    );
    assert!(bs > 0.4 && bp < 0.2, "{bs} vs {bp}");

    // A style file that is missing is a load error naming it.
    let missing = styled_score(&dir, r#"style: Some((model: Some("nowhere.style.ron"))),"#);
    let err = bank(&missing).map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains("nowhere.style.ron") && err.contains("style train"),
        "{err}"
    );
    let unmatched = styled_score(&dir, r#"style: Some((midi: ["none/*.mid"])),"#);
    let err = bank(&unmatched).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("matches no file"), "{err}");
}
