//! Live generated parts, from the outside: their notes land on the live tempo map (the frame of
//! the closed-form ramp, in the plan and in the rendered audio), the part's curves shape them
//! from the next beat on, they sound at the level of the pre-rendered layer, and renders stay
//! bit-identical.

mod common;

use std::sync::Arc;

use common::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{
    Action, ActionKind, Conductor, Input, Job, NoteJob, SourceRef, TimedInput,
};
use leitmotif_core::score::Sync;
use leitmotif_engine::{RenderOptions, SourceBank, render};

/// A 100-BPM cue with one live arpeggio (two notes a beat), staccato so that every note is
/// heard on its own.
fn arp_score(extra: &str) -> String {
    format!(
        r#"Score(name: "live", tempo: (bpm: 100.0), key: Some("A minor"),
    parameters: [(name: "tension", min: 0.0, max: 1.0, default: 0.0)],
    initial_cue: "a",
    cues: [(name: "a", bars: 4, looping: true, chords: ["Am", "F", "C", "G"],
        layers: [(name: "arp", source: Generated((instrument: Pluck, part: Arpeggio(2), octave: 4,
            velocity: 0.8, live: true,
            articulation_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.3)])){extra})))])])"#
    )
}

/// The plan of a session's conductor over `to` frames: actions and the note jobs.
fn plan(
    score: &Arc<Score>,
    bank: &SourceBank,
    inputs: &[TimedInput],
    to: u64,
) -> (Vec<Action>, Vec<NoteJob>) {
    let mut c = Conductor::new(score.clone(), bank.sample_rate, 3);
    c.set_live_parts(bank.live.iter().map(|l| l.part.clone()).collect());
    for i in inputs {
        c.push(i.clone());
    }
    let (mut actions, mut events, mut jobs) = (Vec::new(), Vec::new(), Vec::new());
    // In control-sized steps, as a live planner goes.
    let mut t = 0;
    while t < to {
        t += 512;
        c.advance(t, &mut actions, &mut events);
        jobs.extend(c.drain_jobs().filter_map(|j| match j {
            Job::RenderNote(n) => Some(n),
            _ => None,
        }));
    }
    (actions, jobs)
}

fn note_starts(actions: &[Action]) -> Vec<(u64, u64)> {
    actions
        .iter()
        .filter_map(|a| match a.kind {
            ActionKind::Start {
                source: SourceRef::Note { .. },
                offset,
                ..
            } => Some((a.frame, offset)),
            _ => None,
        })
        .collect()
}

/// Seconds at beat `k` (from bar 1) when the tempo ramps linearly in beats from 100 to 130 BPM
/// over 8 beats starting at bar 2, then holds.
fn ramp_seconds(k: f64) -> f64 {
    let (l, d, t0) = (8.0, 30.0, 2.4);
    if k <= 4.0 {
        return k * 0.6;
    }
    let k = k - 4.0;
    let ramp = 60.0 * l / d * (130.0f64 / 100.0).ln();
    t0 + if k <= l {
        60.0 * l / d * (1.0 + d * k / (l * 100.0)).ln()
    } else {
        ramp + (k - l) * 60.0 / 130.0
    }
}

#[test]
fn live_notes_land_on_the_closed_form_ramp_in_the_plan_and_in_the_audio() {
    for sr in [44_100u32, 48_000] {
        let dir = temp_dir(&format!("live-ramp-{sr}"));
        let (score, bank) = load(&arp_score(""), &dir, sr);
        assert_eq!(bank.live.len(), 1, "the arpeggio is live");
        assert!(
            bank.layers[0][0].is_empty(),
            "a live layer is not rendered at load"
        );
        let inputs = [tempo_cue(sr as u64, 130.0, 8, Sync::NextBar)];
        let frames = sr as u64 * 20;
        let (actions, jobs) = plan(&score, &bank, &inputs, frames);
        let starts = note_starts(&actions);
        // Two notes a beat from bar 1: note j is at beat j/2. Each pass of 16 beats repeats.
        let mut expected = Vec::new();
        for j in 0.. {
            let secs = ramp_seconds(j as f64 / 2.0);
            let f = (secs * sr as f64).round() as u64;
            if f >= frames - 512 {
                break;
            }
            expected.push(f);
        }
        let planned: Vec<u64> = starts
            .iter()
            .map(|s| s.0)
            .filter(|&f| f < frames - 512)
            .collect();
        assert!(expected.len() > 60, "{} notes", expected.len());
        assert_eq!(planned, expected, "{sr} Hz: note onsets vs the closed form");
        assert!(
            starts.iter().all(|s| s.1 == 0),
            "notes start at their onset"
        );
        assert_eq!(jobs.len(), starts.len(), "one render per note");

        // In the audio: each staccato note starts from silence on its planned frame.
        let out = render(
            score.clone(),
            bank.clone(),
            &inputs,
            &RenderOptions {
                frames,
                seed: 3,
                ..Default::default()
            },
        );
        // Exact silence before each onset (the previous note has died away), sound from it.
        let mut matched = 0;
        for &e in expected.iter().skip(1) {
            let e = e as usize;
            let first = (e - 100..e + 100).find(|&i| out.mix[i][0] != 0.0 || out.mix[i][1] != 0.0);
            let first = first.expect("a note is heard");
            assert!(
                (e..=e + 2).contains(&first),
                "{sr} Hz: note due at {e} first heard at {first}"
            );
            matched += 1;
        }
        assert!(matched > 60);
    }
}

#[test]
fn a_density_change_lands_on_the_next_beat_and_register_velocity_articulation_apply() {
    let dir = temp_dir("live-shape");
    let sr = 48_000;
    let curves = r#",
            density_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.5), (x: 1.0, y: 2.0)])),
            register_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)])),
            velocity_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.5), (x: 1.0, y: 1.0)]))"#;
    let (score, bank) = load(&arp_score(curves), &dir, sr);
    // At 100 BPM a beat is 28,800 frames. Tension goes to 1 a third of the way into beat 5
    // (frame 4.33 beats): from beat 6 on, every note plays, split in two, an octave up.
    let beat = 28_800u64;
    let change = 4 * beat + beat / 3;
    let inputs = [TimedInput {
        frame: change,
        input: Input::SetParameter(0, 1.0),
    }];
    let (_, jobs) = plan(&score, &bank, &inputs, 12 * beat);
    let part = &bank.live[0].part;
    let before: Vec<&NoteJob> = jobs.iter().filter(|j| j.frame < 5 * beat).collect();
    let after: Vec<&NoteJob> = jobs
        .iter()
        .filter(|j| j.frame >= 5 * beat && j.frame < 12 * beat)
        .collect();
    // Density 0.5: only the notes on the beat (the off-beat eighths are left out).
    assert!(!before.is_empty());
    for j in &before {
        assert_eq!(
            j.frame % beat,
            0,
            "only on-beat notes at density 0.5: {j:?}"
        );
        assert_eq!(j.index % 2, 0, "no split halves at density 0.5");
        let n = part.notes[(j.index / 2) as usize];
        assert_eq!(j.pitch, n.pitch, "no octave at tension 0");
        assert!((j.velocity - n.velocity * 0.5).abs() < 1e-6);
    }
    // The rest of beat 5 (after the change) keeps density 0.5: no note at 4.5 beats.
    assert!(
        !before.iter().any(|j| j.frame == 4 * beat + beat / 2),
        "the change waits for the next beat"
    );
    // Density 2: every eighth, each split into sixteenths, an octave up, full velocity.
    let sixteenth = beat / 4;
    assert_eq!(after.len(), 7 * 4, "four notes a beat from beat 6");
    for (k, j) in after.iter().enumerate() {
        assert_eq!(j.frame, 5 * beat + k as u64 * sixteenth, "note {k}");
        let n = part.notes[(j.index / 2) as usize];
        assert_eq!(j.pitch, n.pitch + 12, "an octave up");
        assert!((j.velocity - n.velocity).abs() < 1e-6);
        // Articulation 0.3 of each half: the split falls on the sixteenth.
        let half = if j.index % 2 == 0 {
            0.25
        } else {
            n.beats - 0.25
        };
        let len = (0.3 * half * beat as f64).round() as i64;
        assert!((j.frames as i64 - len).abs() <= 1, "{} vs {len}", j.frames);
    }
}

#[test]
fn a_live_part_sounds_at_the_level_of_the_rendered_layer_and_renders_are_bit_identical() {
    let sr = 48_000;
    let parts = [
        "instrument: Pad, part: Chords, octave: 3, velocity: 0.55",
        "instrument: Keys, part: Arpeggio(2), octave: 4, velocity: 0.45",
        "instrument: Bass, part: Bass(4), octave: 2, velocity: 0.7",
        "instrument: Pluck, part: Ostinato([0, 0, 7, 0, 3, 0, 7, 10]), octave: 3, velocity: 0.6",
        "instrument: Drums, part: Drums(Driving), velocity: 0.8",
        "instrument: Strings, part: Chords, octave: 3, velocity: 0.5",
        "instrument: Lead, part: Melody, octave: 4, velocity: 0.45",
    ];
    let mut levels = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let dir = temp_dir(&format!("live-level-{i}"));
        let src = |live: bool| {
            format!(
                r#"Score(name: "l", tempo: (bpm: 92.0), key: Some("D minor"), initial_cue: "a",
    cues: [(name: "a", bars: 4, looping: true, chords: ["Dm", "Bb", "Gm", "A7"],
        layers: [(name: "x", source: Generated(({p}, live: {live})))])])"#
            )
        };
        let frames = sr as u64 * 21;
        let opts = RenderOptions {
            frames,
            seed: 1,
            ..Default::default()
        };
        let (s, b) = load(&src(false), &dir, sr);
        let baked = render(s, b, &[], &opts).mix;
        let (s, b) = load(&src(true), &dir, sr);
        let live = render(s.clone(), b.clone(), &[], &opts).mix;
        let again = render(s, b, &[], &opts).mix;
        assert!(live == again, "{p}: two live renders differ");
        // Second and third passes (the first starts without the previous pass's ring).
        let pass = (4.0 * 4.0 * 60.0 / 92.0 * sr as f64) as usize;
        let (a, z) = (pass, 2 * pass);
        let db = |m: &[[f32; 2]]| 20.0 * (leitmotif_engine::bank::frames_rms(m) as f64).log10();
        let (lb, ll) = (db(&baked[a..z]), db(&live[a..z]));
        eprintln!("{p}: rendered {lb:.2} dB, live {ll:.2} dB");
        levels.push((p, lb, ll));
        let peak = live
            .iter()
            .fold(0.0f32, |m, f| m.max(f[0].abs()).max(f[1].abs()));
        assert!(peak < 1.0, "{p}: live peak {peak}");
    }
    for (p, lb, ll) in levels {
        assert!(
            (lb - ll).abs() < 3.0,
            "{p}: rendered {lb:.2} dB RMS vs live {ll:.2} dB"
        );
    }
}

#[test]
fn live_curves_are_refused_where_they_would_do_nothing() {
    let cases = [
        (
            r#"(instrument: Pluck, part: Arpeggio(2), density_curve: Some((parameter: "tension", points: [(x: 0.0, y: 1.0)])))"#,
            "add `live: true`",
        ),
        (r#"(instrument: Pad, part: Riser, live: true)"#, "Riser"),
        (
            r#"(instrument: Pluck, part: Arpeggio(2), live: true, density_curve: Some((parameter: "tension", points: [(x: 0.0, y: 3.0)])))"#,
            "density_curve",
        ),
    ];
    for (g, want) in cases {
        let src = format!(
            r#"Score(name: "l", tempo: (bpm: 92.0), initial_cue: "a",
    parameters: [(name: "tension", min: 0.0, max: 1.0, default: 0.0)],
    cues: [(name: "a", bars: 4, layers: [(name: "x", source: Generated({g}))])])"#
        );
        let err = Score::from_ron(&src, None).unwrap_err().to_string();
        assert!(err.contains(want), "{g}: {err}");
    }
    let seg = r#"Score(name: "l", tempo: (bpm: 92.0), initial_cue: "a",
    cues: [(name: "a", bars: 4, layers: [(name: "x", source: Silence)])],
    segments: [(name: "s", bars: 1, layers: [(name: "y", source: Generated((instrument: Pad, part: Chords, live: true)))])])"#;
    let err = Score::from_ron(seg, None).unwrap_err().to_string();
    assert!(err.contains("only a cue's layers play live"), "{err}");
}

/// Rendering notes ahead (as a live session does) changes when they are rendered, never what
/// plays: noir through rising tension and a tempo ramp, planned block by block, once as
/// offline and once as live, is bit-identical.
#[test]
fn rendering_notes_ahead_changes_nothing_heard() {
    let sr = 48_000;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scores/noir.score.ron");
    let score = Arc::new(Score::load(&path).unwrap());
    let bank = Arc::new(
        SourceBank::load(&score, &leitmotif_engine::BankOptions::for_score(&path, sr)).unwrap(),
    );
    let frames = 30 * sr as u64;
    let mut inputs: Vec<TimedInput> = (0..60)
        .map(|k| TimedInput {
            frame: k * sr as u64 / 2,
            input: Input::SetParameter(0, (0.1 + k as f32 / 40.0).min(1.0)),
        })
        .collect();
    inputs.push(tempo_cue(26 * sr as u64, 120.0, 4, Sync::NextBar));
    let play = |live: bool| {
        let (mut s, mut sound, _) = leitmotif_engine::Session::new(score.clone(), bank.clone(), 9);
        if live {
            s.set_wait_for_renders(false);
        }
        for i in &inputs {
            s.push(i.clone());
        }
        let mut buf = vec![[0.0f32; 2]; 512];
        let mut mix = Vec::with_capacity(frames as usize);
        let mut pos = 0;
        while pos < frames {
            s.plan(pos + 512);
            sound.render(&mut buf);
            mix.extend_from_slice(&buf);
            pos += 512;
        }
        (mix, s.notes_rendered())
    };
    let (offline, n_off) = play(false);
    let (live, n_live) = play(true);
    eprintln!("notes rendered: offline {n_off}, live {n_live} (prefetched ones included)");
    assert!(n_off > 100, "{n_off} notes");
    let differ = offline.iter().zip(&live).position(|(a, b)| a != b);
    assert_eq!(differ, None, "the mixes differ from frame {differ:?}");
}
