//! Transition storm: 10,000 seeded random parameter changes, cue requests, tempo cues and
//! stingers over 10 minutes of offline audio at 48 kHz, through the real mixer.
//!
//! The stems are synthetic sines written as WAV files. Every loop holds a whole number of
//! periods (so loops are seamless), but bar lines fall a quarter period off a zero crossing,
//! so a transition that cuts or starts a voice without a fade shows as a jump. Asserted: no
//! NaN or infinity, peak ≤ 1.0 (0 dBFS), and at every `Start`/`Stop` action frame the
//! sample-to-sample jump of the mix stays within the largest jump of reference renders of the
//! same stems played continuously (without edits) plus a small margin.

mod common;

use std::sync::Arc;

use common::*;
use leitmotif_core::conductor::{ActionKind, EventKind, Input, TimedInput};
use leitmotif_core::score::Sync;
use leitmotif_engine::{RenderOptions, render};

const SR: u32 = 48_000;
/// Largest extra jump allowed at an edit, over the reference (−40 dBFS).
const MARGIN: f32 = 0.01;

/// (file, frames, Hz, amplitude) of every cue stem: each loop is `frames` long and holds a
/// whole number of periods; each bar holds a whole number plus a quarter.
const STEMS: &[(&str, usize, f64, f32)] = &[
    // calm: 120 bpm 4/4, 4 bars of 2 s.
    ("calm_low.wav", 384_000, 220.25 / 2.0, 0.22),
    ("calm_high.wav", 384_000, 330.25 / 2.0, 0.12),
    // tense: 96 bpm 3/4, 4 bars of 1.875 s.
    ("tense_low.wav", 360_000, 154.25 / 1.875, 0.25),
    ("tense_high.wav", 360_000, 309.25 / 1.875, 0.12),
    // action: 150 bpm 4/4, 4 bars of 1.6 s.
    ("action_low.wav", 307_200, 200.25 / 1.6, 0.25),
    ("action_high.wav", 307_200, 400.25 / 1.6, 0.15),
    // calm_fast: calm's tempo variant at 128 bpm, 4 bars of 1.875 s.
    ("fast_low.wav", 360_000, 206.25 / 1.875, 0.22),
    ("fast_high.wav", 360_000, 309.25 / 1.875, 0.12),
];

const SCORE: &str = r#"Score(
    name: "storm",
    tempo: (bpm: 120.0, meter: (4, 4)),
    seed: 7,
    parameters: [
        (name: "intensity", min: 0.0, max: 1.0, default: 0.5, seek_speed: 2.0),
        (name: "brightness", min: 0.0, max: 1.0, default: 1.0),
    ],
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 4, markers: [(name: "turn", bar: 3, beat: 2)],
         tempo_variants: [(bpm: 128.0, cue: "calm_fast")],
         layers: [
            (name: "low", source: File("calm_low.wav")),
            (name: "high", source: File("calm_high.wav"),
             cutoff_curve: Some((parameter: "brightness", points: [(x: 0.0, y: 400.0), (x: 1.0, y: 18000.0)]))),
         ]),
        (name: "tense", bars: 4, tempo: Some((bpm: 96.0, meter: (3, 4))),
         layers: [
            (name: "low", source: File("tense_low.wav")),
            (name: "high", source: File("tense_high.wav"),
             gain_curve: Some((parameter: "intensity", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
         ]),
        (name: "action", bars: 4, tempo: Some((bpm: 150.0, meter: (4, 4))),
         layers: [
            (name: "low", source: File("action_low.wav")),
            (name: "high", source: File("action_high.wav"), pan: 0.4,
             gain_curve: Some((parameter: "intensity", points: [(x: 0.0, y: 0.2), (x: 0.5, y: 0.6, shape: SCurve), (x: 1.0, y: 1.0)]))),
         ]),
        (name: "calm_fast", bars: 4, tempo: Some((bpm: 128.0, meter: (4, 4))),
         tempo_variants: [(bpm: 120.0, cue: "calm")],
         layers: [
            (name: "low", source: File("fast_low.wav")),
            (name: "high", source: File("fast_high.wav")),
         ]),
    ],
    transitions: [
        (from: "*", to: "*", sync: NextBar, fade_out: Beats(1.0)),
        (from: "calm", to: "action", sync: NextBeat, fade_out: Beats(0.5), fade_in: Beats(0.5), shape: EqualPower),
        (from: "action", to: "calm", sync: EndOfLoop, fade_out: Beats(2.0), fade_in: Beats(1.0)),
        (from: "*", to: "tense", sync: Immediate, fade_out: Seconds(0.25), fade_in: Seconds(0.1)),
        (from: "tense", to: "calm", sync: EveryBars(2)),
        (from: "calm", to: "tense", sync: Marker("turn"), fade_out: Beats(1.0), shape: SCurve),
        (from: "calm", to: "calm_fast", sync: NextBeat, fade_out: Beats(0.25), fade_in: Beats(0.25)),
        (from: "calm_fast", to: "calm", sync: NextBar, fade_out: Beats(0.5), fade_in: Beats(0.5)),
    ],
    stingers: [
        (name: "ping", sync: NextBeat, no_repeat_seconds: 0.3, variations: [
            (source: File("ping_a.wav")), (source: File("ping_b.wav"), weight: 2.0),
        ]),
        (name: "boom", sync: Immediate, gain_db: -3.0, variations: [(source: File("boom.wav"))]),
    ],
)"#;

fn sine(frames: usize, hz: f64, amp: f32) -> Vec<[f32; 2]> {
    (0..frames)
        .map(|i| {
            let s = amp * (std::f64::consts::TAU * hz * i as f64 / SR as f64).sin() as f32;
            [s, s * 0.9]
        })
        .collect()
}

/// A one-shot with a 10 ms raised-cosine attack and release.
fn shot(frames: usize, hz: f64, amp: f32) -> Vec<[f32; 2]> {
    let edge = (SR / 100) as usize;
    let mut v = sine(frames, hz, amp);
    for (i, f) in v.iter_mut().enumerate() {
        let k = i.min(frames - 1 - i);
        if k < edge {
            let g = 0.5 - 0.5 * (std::f32::consts::PI * k as f32 / edge as f32).cos();
            f[0] *= g;
            f[1] *= g;
        }
    }
    v
}

fn largest_jump(mix: &[[f32; 2]], from: usize) -> f32 {
    mix.windows(2)
        .skip(from)
        .map(|w| (w[1][0] - w[0][0]).abs().max((w[1][1] - w[0][1]).abs()))
        .fold(0.0, f32::max)
}

fn jump_at(mix: &[[f32; 2]], f: usize) -> f32 {
    if f == 0 || f >= mix.len() {
        return 0.0;
    }
    (mix[f][0] - mix[f - 1][0])
        .abs()
        .max((mix[f][1] - mix[f - 1][1]).abs())
}

/// xorshift64*: a tiny seeded generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn storm_inputs(seed: u64, count: usize, frames: u64) -> Vec<TimedInput> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut v: Vec<TimedInput> = (0..count)
        .map(|_| {
            let frame = rng.below(frames);
            let input = match rng.below(100) {
                0..=39 => Input::SetParameter(0, rng.unit() * 1.2 - 0.1),
                40..=49 => Input::SetParameter(1, rng.unit()),
                50..=74 => Input::RequestCue(rng.below(3) as usize),
                75..=77 => Input::StartCue(rng.below(3) as usize),
                78..=87 => Input::Stinger(rng.below(2) as usize),
                88..=93 => Input::TempoCue {
                    bpm: if rng.below(2) == 0 { 128.0 } else { 120.0 },
                    ramp_beats: rng.below(3) as u32 * 2,
                    sync: Sync::NextBar,
                },
                _ => Input::SetDialogue(rng.unit()),
            };
            TimedInput { frame, input }
        })
        .collect();
    v.sort_by_key(|i| i.frame);
    v
}

#[test]
fn transition_storm_has_no_clicks_no_overs_and_no_nan() {
    let started = std::time::Instant::now();
    let dir = temp_dir("storm");
    for &(name, frames, hz, amp) in STEMS {
        write_stem(&dir, name, &sine(frames, hz, amp), SR);
    }
    write_stem(&dir, "ping_a.wav", &shot(24_000, 330.0, 0.15), SR);
    write_stem(&dir, "ping_b.wav", &shot(18_000, 392.0, 0.12), SR);
    write_stem(&dir, "boom.wav", &shot(36_000, 55.0, 0.3), SR);
    let (score, bank) = load(SCORE, &dir, SR);

    // Reference: each cue played continuously (no input, no edits) for two loops and a bit,
    // and each stinger's own audio. Their largest jumps bound what the music itself does.
    let mut reference = 0.0f32;
    for cue in 0..score.cues.len() {
        let mut s = (*score).clone();
        s.initial_cue = s.cues[cue].name.clone();
        let r = render(
            Arc::new(s),
            bank.clone(),
            &[],
            &RenderOptions {
                frames: 17 * SR as u64,
                seed: 1,
                ..Default::default()
            },
        );
        // Skip the very first frame: the music starting from silence is not an edit.
        let j = largest_jump(&r.mix, 1);
        println!(
            "reference: cue {:<10} largest jump {j:.5}",
            score.cues[cue].name
        );
        reference = reference.max(j);
    }
    let sting_ref = bank
        .stingers
        .iter()
        .flatten()
        .map(|s| largest_jump(&s.head(s.len()).unwrap(), 0))
        .fold(0.0, f32::max);
    println!("reference: stingers        largest jump {sting_ref:.5}");
    let bound = reference + sting_ref + MARGIN;

    // The storm.
    let frames = 600 * SR as u64;
    let inputs = storm_inputs(2026, 10_000, frames);
    let t0 = std::time::Instant::now();
    let r = render(
        score.clone(),
        bank,
        &inputs,
        &RenderOptions {
            frames,
            seed: 42,
            ..Default::default()
        },
    );
    let render_secs = t0.elapsed().as_secs_f64();

    let mut peak = 0.0f32;
    for (i, f) in r.mix.iter().enumerate() {
        assert!(
            f[0].is_finite() && f[1].is_finite(),
            "non-finite sample at frame {i}: {f:?}"
        );
        peak = peak.max(f[0].abs()).max(f[1].abs());
    }
    assert!(peak <= 1.0, "peak {peak} above 0 dBFS");

    let count = |k: fn(&EventKind) -> bool| r.events.iter().filter(|e| k(&e.kind)).count();
    let cue_starts = count(|k| matches!(k, EventKind::CueStarted { .. }));
    let stingers = count(|k| matches!(k, EventKind::Stinger { .. }));
    let transitions = count(|k| matches!(k, EventKind::TransitionStarted { .. }));
    let mut edits = 0usize;
    let mut worst = (0.0f32, 0u64, "");
    for a in &r.actions {
        let what = match a.kind {
            ActionKind::Start { .. } => "start",
            ActionKind::Stop { .. } => "stop",
            _ => continue,
        };
        edits += 1;
        let f = a.frame as usize;
        let j = jump_at(&r.mix, f).max(jump_at(&r.mix, f + 1));
        if j > worst.0 {
            worst = (j, a.frame, what);
        }
    }
    // Tempo cues stretch the stems: the storm plays through the stretchers too.
    let warps = r
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Warp { .. }))
        .count();
    let tempo_changes = count(|k| matches!(k, EventKind::TempoChanged { .. }));
    println!("storm: {tempo_changes} tempo changes, {warps} warps of stretched voices");
    assert!(
        tempo_changes > 20 && warps > 100,
        "the storm must change tempo"
    );
    let anywhere = largest_jump(&r.mix, 1);
    let mid_stem = r
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Start { offset, .. } if offset > 0))
        .count();
    println!("storm: {mid_stem} voices started part-way into their audio");
    // The music never drops out: every 10 s window has signal.
    for (k, w) in r.mix.chunks(10 * SR as usize).enumerate() {
        let rms = (w.iter().map(|f| f[0] * f[0]).sum::<f32>() / w.len() as f32).sqrt();
        assert!(
            rms > 0.01,
            "window {k} (from {} s) is silent: rms {rms}",
            k * 10
        );
    }
    println!(
        "storm: {} inputs, {cue_starts} cue starts, {transitions} transitions, {stingers} stingers, {edits} start/stop actions",
        inputs.len()
    );
    println!(
        "storm: worst jump at an edit {:.5} ({} at frame {}), anywhere {anywhere:.5}; reference {reference:.5} + stingers {sting_ref:.5} + margin {MARGIN} = bound {bound:.5}; peak {peak:.4}",
        worst.0, worst.2, worst.1
    );
    println!(
        "storm: 600 s rendered in {render_secs:.1} s; whole test {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        cue_starts > 50 && stingers > 50,
        "the storm must actually move the music"
    );
    assert!(
        edits > 1000,
        "the render must report its plan (r.actions): {edits} start/stop actions"
    );
    assert!(
        worst.0 <= bound,
        "click: jump {} at the {} at frame {} exceeds {bound}",
        worst.0,
        worst.2,
        worst.1
    );
}
