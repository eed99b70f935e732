//! The style model on two real corpora of clearly different styles (fetched by
//! `scripts/fetch-midi-corpora` into `data/midi/`, never committed): fiddle dance tunes from
//! Ryan's Mammoth Collection (1883) and Han Chinese folk songs from the Essen collection.
//!
//! For each style: train on 80 % of it; over 20 seeds, generated melodies must be more likely
//! under a model of the held-out 20 % than under a model of the other style, closer to the
//! held-out material than the built-in style's melodies are (interval, duration and
//! pitch-class histograms, L1 distance), and never quote a 12-note run of the training files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use leitmotif_gen::style::{QUANTUM, Song, StyleModel};
use leitmotif_gen::{Chord, Key, PitchClass};

const SEEDS: u64 = 20;
const RUN: usize = 12;

fn corpus(name: &str) -> Option<Vec<(PathBuf, Song)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/midi").join(name);
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
    assert!(wins >= 18, "{a_name}: only {wins}/{SEEDS} seeds prefer the held-out model");
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
        assert!(dg < du, "{a_name}: {what} {dg} not closer than the built-in {du}");
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
