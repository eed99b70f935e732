use super::*;

fn histograms(themes: &[Vec<(i32, f32)>]) -> (Vec<f64>, Vec<f64>) {
    let mut iv = vec![0.0; 25];
    let mut du = vec![0.0; 33];
    for theme in themes {
        for (i, tok) in tokenize(theme).iter().enumerate() {
            if tok.0 != REST && i > 0 {
                iv[(tok.0 + 12) as usize] += 1.0;
            }
            du[tok.1 as usize] += 1.0;
        }
    }
    let norm = |v: &mut Vec<f64>| {
        let s: f64 = v.iter().sum();
        v.iter_mut().for_each(|x| *x /= s.max(1.0));
    };
    norm(&mut iv);
    norm(&mut du);
    (iv, du)
}

fn l1(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

#[test]
fn generated_material_is_closer_to_training_than_uniform_random() {
    let model = StyleModel::builtin();
    let key = Key::parse("C major").unwrap();
    let chords: Vec<(f64, Chord)> = ["C", "Am", "F", "G"]
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 * 4.0, Chord::parse(c).unwrap()))
        .collect();
    let training: Vec<Vec<(i32, f32)>> = CORPUS.iter().map(|t| t.to_vec()).collect();
    let generated: Vec<Vec<(i32, f32)>> = (0..20)
        .map(|s| model.generate(16.0, &key, &chords, s))
        .collect();
    for g in &generated {
        let total: f32 = g.iter().map(|n| n.1).sum();
        assert!((total - 16.0).abs() < 1e-4, "length {total}");
    }
    let mut r = rng(99, 1);
    let uniform: Vec<Vec<(i32, f32)>> = (0..20)
        .map(|_| {
            let mut p = 67;
            (0..24)
                .map(|_| {
                    p = (p + r.random_range(-12..=12)).clamp(48, 90);
                    (p, r.random_range(1..=16) as f32 * QUANTUM)
                })
                .collect()
        })
        .collect();
    let (ti, td) = histograms(&training);
    let (gi, gd) = histograms(&generated);
    let (ui, ud) = histograms(&uniform);
    assert!(
        l1(&gi, &ti) < l1(&ui, &ti) * 0.7,
        "{} vs {}",
        l1(&gi, &ti),
        l1(&ui, &ti)
    );
    assert!(
        l1(&gd, &td) < l1(&ud, &td) * 0.7,
        "{} vs {}",
        l1(&gd, &td),
        l1(&ud, &td)
    );
}

#[test]
fn witten_bell_leans_on_the_longest_seen_context_and_backs_off() {
    let mut m = StyleModel::new();
    m.train_theme(&[(60, 1.0), (62, 1.0), (64, 1.0), (60, 2.0)]);
    // Context (0,+2,+2) was followed by (-4, 2 beats) only.
    let ctx = [(0, 4), (2, 4), (2, 4)];
    let seen = wb_prob(&m.melody, &ctx, (-4, 8), TOKEN_VOCAB);
    let other = wb_prob(&m.melody, &ctx, (2, 4), TOKEN_VOCAB);
    assert!(seen > 0.4, "{seen}");
    assert!(other < seen / 2.0 && other > 0.0, "{other} vs {seen}");
    // An unseen context backs off to the unconditioned counts: (2, 4) is half of them.
    let backed = wb_prob(&m.melody, &[(7, 1)], (2, 4), TOKEN_VOCAB);
    assert!(
        (backed - (2.0 + 3.0 / TOKEN_VOCAB) / 7.0).abs() < 1e-9,
        "{backed}"
    );
    // Probabilities over the whole vocabulary sum to one.
    let all: Vec<Token> = (-MAX_LEAP..=MAX_LEAP)
        .chain([REST])
        .flat_map(|iv| (1..=MAX_QUANTA).map(move |q| (iv, q)))
        .collect();
    let mut probs = vec![0.0; all.len()];
    wb_dist(&m.melody, &ctx, &all, TOKEN_VOCAB, &mut probs);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn generation_is_deterministic_and_varied() {
    let model = StyleModel::builtin();
    let key = Key::parse("D minor").unwrap();
    let chords = [
        (0.0, Chord::parse("Dm").unwrap()),
        (4.0, Chord::parse("A7").unwrap()),
    ];
    let a = model.generate(8.0, &key, &chords, 5);
    assert_eq!(a, model.generate(8.0, &key, &chords, 5));
    let distinct: std::collections::BTreeSet<String> = (0..10)
        .map(|s| format!("{:?}", model.generate(8.0, &key, &chords, s)))
        .collect();
    assert!(distinct.len() >= 5);
    let prog = model.generate_progression(8, &key, 3);
    assert_eq!(prog.len(), 8);
    assert_eq!(prog[0].to_string(), "Dm");
}

#[test]
fn a_model_round_trips_through_its_file_and_bad_files_are_located() {
    let m = StyleModel::builtin();
    let text = m.to_ron(&["a.mid".into()]);
    assert_eq!(StyleModel::from_ron(&text).unwrap(), m);
    let err = StyleModel::from_ron("StyleFile(format: 1,\n  sources: [], modle: ())")
        .unwrap_err()
        .to_string();
    assert!(err.contains("2:") && err.contains("style train"), "{err}");
    let old = text.replacen("format:1", "format:9", 1);
    assert!(
        StyleModel::from_ron(&old)
            .unwrap_err()
            .to_string()
            .contains("format 9")
    );
}

#[test]
fn the_copy_guard_refuses_a_longer_quote_than_max_copy() {
    // A model trained on one long scale can only walk that scale: the guard must break the
    // run before it passes MAX_COPY tokens.
    let mut m = StyleModel::new();
    let scale: Vec<(i32, f32)> = (0..40).map(|i| (60 + (i % 12), 0.5)).collect();
    m.train_theme(&scale);
    let tokens = tokenize(&scale);
    let mut w = tokens[1..=MAX_COPY].to_vec();
    assert!(m.would_copy(&w, tokens[MAX_COPY + 1]));
    w[0] = (5, 3);
    assert!(!m.would_copy(&w, tokens[MAX_COPY + 1]));
}

#[test]
fn phrases_end_on_rests_and_long_notes() {
    let tune = [
        (60, 1.0),
        (62, 1.0),
        (64, 2.0),
        (65, 1.0),
        (-1, 1.0),
        (67, 0.5),
        (65, 0.5),
        (64, 1.0),
    ];
    assert_eq!(phrase_lengths(&tune), vec![4, 1]);
    // A tune starting with a one-beat pickup in 4/4: bar 1 is at beat 1.
    let pickup = [
        (67, 1.0),
        (72, 2.0),
        (71, 1.0),
        (69, 1.0),
        (67, 3.0),
        (64, 1.0),
    ];
    assert_eq!(metric_phase(&pickup, 4.0), 3.0);
}
