//! Tempo cues, from the outside: a ramp lands every beat on the frame of the closed-form ramp,
//! a tempo variant is entered at the position the music had reached, and a recorded click
//! stem under a tempo cue is heard on the new grid at its own pitch (onsets and pitch measured
//! in the rendered audio).

mod common;

use std::sync::Arc;

use common::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{
    Action, ActionKind, Conductor, EventKind, Input, MusicEvent, SourceRef, TimedInput,
};
use leitmotif_core::score::Sync;
use leitmotif_core::time::{Position, TempoMap};
use leitmotif_core::timing;
use leitmotif_engine::{RenderOptions, render};

fn plan(
    score: &Arc<Score>,
    sr: u32,
    inputs: &[TimedInput],
    to: u64,
) -> (Vec<Action>, Vec<MusicEvent>) {
    let mut c = Conductor::new(score.clone(), sr, 7);
    for i in inputs {
        c.push(i.clone());
    }
    let (mut actions, mut events) = (Vec::new(), Vec::new());
    c.advance(to, &mut actions, &mut events);
    (actions, events)
}

/// The frame and offset of the first start of a layer of cue `cue`.
fn layer_start(actions: &[Action], cue: u16) -> Option<(u64, u64)> {
    actions.iter().find_map(|a| match a.kind {
        ActionKind::Start {
            source: SourceRef::Layer { cue: c, .. },
            offset,
            ..
        } if c == cue => Some((a.frame, offset)),
        _ => None,
    })
}

const RAMP_SCORE: &str = r#"Score(name: "ramp", tempo: (bpm: 100.0), initial_cue: "a",
    cues: [(name: "a", bars: 4, looping: true, markers: [(name: "m", bar: 4, beat: 3)],
            layers: [(name: "s", source: Silence)])])"#;

#[test]
fn a_ramp_from_100_to_130_over_8_beats_lands_every_beat_on_the_closed_form() {
    let score = Arc::new(Score::from_ron(RAMP_SCORE, None).unwrap());
    for sr in [44_100u32, 48_000] {
        // Asked for in bar 1; the ramp starts on bar 2 (2.4 s at 100 BPM).
        let (_, events) = plan(
            &score,
            sr,
            &[tempo_cue(sr as u64, 130.0, 8, Sync::NextBar)],
            sr as u64 * 40,
        );
        let beats: Vec<&MusicEvent> = events
            .iter()
            .filter(|e| e.kind == EventKind::Beat)
            .collect();
        let t0 = 2.4;
        let (l, d) = (8.0, 30.0);
        let ramp_secs = 60.0 * l / d * (130.0f64 / 100.0).ln();
        let mut checked = 0;
        for (j, e) in beats.iter().enumerate() {
            // Closed form: t(k) = 60·L/Δ·ln(1 + Δ·k/(L·bpm0)) in the ramp, then 60/130 a beat.
            let secs = if j < 4 {
                j as f64 * 0.6
            } else {
                let k = (j - 4) as f64;
                t0 + if k <= l {
                    60.0 * l / d * (1.0 + d * k / (l * 100.0)).ln()
                } else {
                    ramp_secs + (k - l) * 60.0 / 130.0
                }
            };
            let exact = (secs * sr as f64).round() as u64;
            assert_eq!(e.frame, exact, "{sr} Hz, beat {j} at {secs} s");
            assert_eq!(e.position.beat as usize, j % 4 + 1, "{sr} Hz, beat {j}");
            assert_eq!(e.position.bar as usize, j / 4 + 1, "{sr} Hz, beat {j}");
            checked += 1;
        }
        assert!(checked > 70, "only {checked} beats");
        // Markers and loop seams follow the new grid: the marker (bar 4 beat 3) sits on the
        // beat of bar 4 beat 3, and the second pass starts on the beat that is bar 5.
        let marker = events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Marker { .. }))
            .unwrap();
        assert_eq!(marker.frame, beats[4 * 3 + 2].frame, "{sr} Hz marker");
        let bar5 = beats[16].frame;
        assert_eq!(beats[16].cue_bar, 1);
        assert!(
            events
                .iter()
                .any(|e| e.kind == EventKind::Bar && e.frame == bar5)
        );
    }
}

#[test]
fn a_tempo_cue_on_a_beat_moves_only_what_follows_it() {
    let score = Arc::new(Score::from_ron(RAMP_SCORE, None).unwrap());
    let sr = 48_000;
    let (_, plain) = plan(&score, sr, &[], sr as u64 * 20);
    // At bar 2 beat 3 (next beat after 3.5 s): jump to 125 BPM.
    let (_, events) = plan(
        &score,
        sr,
        &[tempo_cue(168_000, 125.0, 0, Sync::NextBeat)],
        sr as u64 * 20,
    );
    let beats = |ev: &[MusicEvent]| -> Vec<(u64, Position)> {
        ev.iter()
            .filter(|e| e.kind == EventKind::Beat)
            .map(|e| (e.frame, e.position))
            .collect()
    };
    let (a, b) = (beats(&plain), beats(&events));
    // 3.5 s is beat 5.83: the change is at beat 6 (bar 2 beat 3, 3.6 s).
    assert_eq!(a[..7], b[..7]);
    assert_eq!(b[6].0, 172_800);
    for (k, (f, _)) in b[6..30].iter().enumerate() {
        assert_eq!(
            *f,
            172_800 + (k as f64 * 0.48 * sr as f64).round() as u64,
            "beat {k}"
        );
    }
    // The bar count carries on through the change inside bar 2.
    assert_eq!(b[8].1, Position::bar(3));
}

const VARIANT_SCORE: &str = r#"Score(name: "variants", tempo: (bpm: 100.0), initial_cue: "slow",
    cues: [
        (name: "slow", bars: 8, looping: true, pickup_beats: 1,
         tempo_variants: [(bpm: 140.0, cue: "fast")],
         layers: [(name: "s", source: Silence)]),
        (name: "fast", tempo: Some((bpm: 140.0)), bars: 8, looping: true, pickup_beats: 1,
         tempo_variants: [(bpm: 100.0, cue: "slow")],
         layers: [(name: "f", source: Silence)]),
    ])"#;

#[test]
fn a_tempo_variant_entered_from_bar_3_beat_2_starts_its_own_bar_3_beat_2() {
    let score = Arc::new(Score::from_ron(VARIANT_SCORE, None).unwrap());
    for sr in [44_100u32, 48_000] {
        let pickup_slow = timing::pickup_frames(&score, &score.cues[0], sr);
        // The slow cue opens the music: its pickup plays from frame 0 and its bar 1 is a
        // pickup later, so bar 3 beat 1 and a half is 8.5 beats after that.
        let slow = TempoMap::constant(sr, pickup_slow, 100.0, 4);
        let asked = pickup_slow as u64 + (8.5 * 0.6 * sr as f64) as u64;
        let at = slow.frame_at(Position {
            bar: 3,
            beat: 2,
            tick: 0,
        }) as u64;
        let (actions, events) = plan(
            &score,
            sr,
            &[tempo_cue(asked, 140.0, 0, Sync::NextBeat)],
            sr as u64 * 12,
        );
        let started = events
            .iter()
            .find(|e| e.kind == EventKind::CueStarted { cue: 1 })
            .expect("the variant starts");
        assert_eq!(started.frame, at, "{sr} Hz");
        let fast = timing::cue_map(&score, &score.cues[1], sr);
        let pickup_fast = timing::pickup_frames(&score, &score.cues[1], sr);
        let want = pickup_fast
            + fast.frame_at(Position {
                bar: 3,
                beat: 2,
                tick: 0,
            });
        let start = layer_start(&actions, 1).expect("the variant's layer starts");
        assert_eq!(
            start,
            (at, want as u64),
            "{sr} Hz: frame and offset into its stems"
        );
        assert!(pickup_slow > 0);
        // Its grid: bar 3 beat 2 on the frame, then 140 BPM beats, bar 4 after three of them.
        let next: Vec<&MusicEvent> = events
            .iter()
            .filter(|e| e.kind == EventKind::Beat && e.frame >= at)
            .take(4)
            .collect();
        assert_eq!((next[0].cue_bar, next[0].position.beat), (3, 2));
        let beat = 60.0 / 140.0 * sr as f64;
        for (k, e) in next.iter().enumerate() {
            assert!((e.frame as f64 - (at as f64 + k as f64 * beat)).abs() <= 0.5);
        }
        assert_eq!((next[3].cue_bar, next[3].position.beat), (4, 1));
        // Global bars carry on: still bar 3.
        assert_eq!(next[0].position.bar, 3);
    }
}

/// A click every beat at 120 BPM: a 1 kHz burst (2 ms attack, 25 ms decay), 8 bars.
fn click_track(sr: u32) -> Vec<[f32; 2]> {
    let beat = sr as usize / 2;
    (0..beat * 32)
        .map(|i| {
            let t = (i % beat) as f32 / sr as f32;
            let env = if t < 0.002 {
                t / 0.002
            } else {
                (-(t - 0.002) / 0.025).exp()
            };
            let x = 0.5 * env * (std::f32::consts::TAU * 1000.0 * t).sin();
            [x, x]
        })
        .collect()
}

/// Onsets: where a 1 ms envelope first rises above a quarter of the track's peak after at least
/// 100 ms below it, refined to the first frame above an eighth.
fn detect_onsets(x: &[[f32; 2]], sr: u32) -> Vec<f64> {
    let hop = sr as usize / 1000;
    let env: Vec<f32> = x
        .chunks(hop)
        .map(|c| c.iter().map(|f| f[0].abs()).fold(0.0, f32::max))
        .collect();
    let peak = env.iter().copied().fold(0.0, f32::max);
    let mut out = Vec::new();
    let mut quiet = 100;
    for (i, &e) in env.iter().enumerate() {
        if e > peak / 4.0 && quiet >= 100 {
            let from = i.saturating_sub(3) * hop;
            let first = (from..(i + 1) * hop)
                .find(|&k| x[k][0].abs() > peak / 8.0)
                .unwrap_or(i * hop);
            out.push(first as f64 / sr as f64);
            quiet = 0;
        } else if e < peak / 4.0 {
            quiet += 1;
        } else {
            quiet = 0;
        }
    }
    out
}

/// The frequency of the largest spectral peak (1 Hz bins, Hann window).
fn spectral_peak(x: &[[f32; 2]], sr: u32) -> f64 {
    let n = sr as usize;
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f64> = (0..n)
        .map(|i| {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
            x[i][0] as f64 * w
        })
        .collect();
    let mut spec = fft.make_output_vec();
    fft.process(&mut input, &mut spec).unwrap();
    let (bin, _) = spec
        .iter()
        .enumerate()
        .skip(20)
        .map(|(i, c)| (i, c.norm()))
        .fold((0, 0.0), |b, c| if c.1 > b.1 { c } else { b });
    bin as f64 * sr as f64 / n as f64
}

#[test]
fn a_recorded_click_stem_follows_a_tempo_cue_to_132_bpm_at_its_own_pitch() {
    let sr = 48_000;
    let dir = temp_dir("tempo-click");
    write_stem(&dir, "click.wav", &click_track(sr), sr);
    let src = r#"Score(name: "click", tempo: (bpm: 120.0), initial_cue: "c",
        cues: [(name: "c", bars: 8, looping: true, layers: [(name: "k", source: File("click.wav"))])])"#;
    let (score, bank) = load(src, &dir, sr);
    // Asked at 1 s; from bar 2 (2 s) the grid is 132 BPM.
    let change = 2.0;
    let beat = 60.0 / 132.0;
    let beats = 32 * 4;
    let secs = change + beats as f64 * beat + 1.0;
    let inputs = [tempo_cue(sr as u64, 132.0, 0, Sync::NextBar)];
    let opts = RenderOptions {
        frames: (secs * sr as f64) as u64,
        ..RenderOptions::default()
    };
    let out = render(score.clone(), bank.clone(), &inputs, &opts);
    let onsets = detect_onsets(&out.mix, sr);
    // Before the change: the plain stem, on the 120 BPM grid (the detector's own reference).
    let bias: Vec<f64> = (0..4)
        .map(|k| {
            let want = k as f64 * 0.5;
            onsets
                .iter()
                .map(|o| o - want)
                .fold(f64::MAX, |m, d| if d.abs() < m.abs() { d } else { m })
        })
        .collect();
    for b in &bias {
        assert!(b.abs() < 0.002, "plain clicks detected {b} s off the grid");
    }
    let mut worst = 0.0f64;
    for k in 0..beats {
        let want = change + k as f64 * beat;
        let err = onsets
            .iter()
            .map(|o| o - want)
            .fold(f64::MAX, |m, d| if d.abs() < m.abs() { d } else { m });
        worst = worst.max(err.abs());
        assert!(
            err.abs() <= 0.005,
            "beat {k} after the change: onset {:.2} ms off the 132 BPM grid",
            err * 1000.0
        );
    }
    // One onset per beat, none extra.
    let after = onsets
        .iter()
        .filter(|&&o| o > change - 0.1 && o < change + (beats as f64 - 0.5) * beat)
        .count();
    assert_eq!(after, beats, "onsets after the change");
    // The pitch is the stem's: 1 kHz within 1 % over a second of stretched clicks.
    let at = ((change + 40.0 * beat) * sr as f64) as usize;
    let hz = spectral_peak(&out.mix[at..at + sr as usize], sr);
    assert!((hz - 1000.0).abs() <= 10.0, "spectral peak {hz} Hz");
    eprintln!(
        "click stem at 132 BPM: worst onset error {:.2} ms, peak {hz} Hz",
        worst * 1000.0
    );
    // The same render twice is bit-identical (the stretcher included).
    let again = render(score, bank, &inputs, &opts);
    assert!(again.mix == out.mix, "two renders differ");
}

/// Energy per pitch class (0 = C) of `x` between 60 Hz and 1 kHz.
fn chroma(x: &[[f32; 2]], sr: u32) -> [f64; 12] {
    let n = x.len().next_power_of_two() / 2;
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f64> = (0..n)
        .map(|i| {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
            (x[i][0] + x[i][1]) as f64 * w
        })
        .collect();
    let mut spec = fft.make_output_vec();
    fft.process(&mut input, &mut spec).unwrap();
    let mut c = [0.0; 12];
    for (i, v) in spec.iter().enumerate() {
        let hz = i as f64 * sr as f64 / n as f64;
        if (60.0..1000.0).contains(&hz) {
            let midi = 69.0 + 12.0 * (hz / 440.0).log2();
            c[(midi.round() as i64).rem_euclid(12) as usize] += v.norm_sqr();
        }
    }
    c
}

#[test]
fn the_noir_swell_sounds_a7_and_fits_one_bar_of_the_132_bpm_chase() {
    let sr = 48_000;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scores/noir.score.ron");
    // The swell at its own level: the score's dynamics (level over tension) would lower it
    // by the tension's distance from 1, which is not what this test measures.
    let mut score = Score::load(&path).unwrap();
    score.dynamics = None;
    let score = Arc::new(score);
    let bank = Arc::new(
        leitmotif_engine::SourceBank::load(
            &score,
            &leitmotif_engine::BankOptions::for_score(&path, sr),
        )
        .unwrap(),
    );
    let swell = score
        .segments
        .iter()
        .position(|s| s.name == "swell")
        .unwrap();
    let pad = score.segments[swell]
        .layers
        .iter()
        .position(|l| l.name == "pad")
        .unwrap();
    // The segment's own chords: A7 (A, C♯, E, G), not the key's tonic (D minor).
    let Some(leitmotif_engine::Clip::Memory(stem)) = bank.get(SourceRef::SegmentLayer {
        segment: swell as u16,
        layer: pad as u16,
    }) else {
        panic!("the swell's pad is generated in memory");
    };
    let c = chroma(&stem.frames, sr);
    let mut order: Vec<usize> = (0..12).collect();
    order.sort_by(|a, b| c[*b].total_cmp(&c[*a]));
    let mut top: Vec<usize> = order[..4].to_vec();
    top.sort();
    assert_eq!(
        top,
        vec![1, 4, 7, 9],
        "strongest pitch classes {order:?} (chroma {c:?})"
    );

    // Entered from the chase (132 BPM): it lasts one bar at 132 BPM, and its riser plays to
    // its end within that bar.
    let chase = score.cue_index("chase").unwrap();
    let resolution = score.cue_index("resolution").unwrap();
    let inputs = [
        TimedInput {
            frame: 0,
            input: Input::StartCue(chase),
        },
        TimedInput {
            frame: 5 * sr as u64,
            input: Input::RequestCue(resolution),
        },
    ];
    let opts = RenderOptions {
        frames: 12 * sr as u64,
        stems: true,
        ..RenderOptions::default()
    };
    let out = render(score.clone(), bank.clone(), &inputs, &opts);
    let left = out
        .events
        .iter()
        .find(|e| {
            e.kind
                == EventKind::TransitionStarted {
                    from: chase as u16,
                    to: resolution as u16,
                }
        })
        .expect("the chase is left")
        .frame;
    let arrived = out
        .events
        .iter()
        .find(|e| {
            e.kind
                == EventKind::CueStarted {
                    cue: resolution as u16,
                }
        })
        .expect("the resolution starts")
        .frame;
    let bar = 4.0 * 60.0 / 132.0 * sr as f64;
    assert!(
        ((arrived - left) as f64 - bar).abs() <= 1.0,
        "the swell lasts {} frames, one bar at 132 BPM is {bar}",
        arrived - left
    );
    let riser = score.segments[swell]
        .layers
        .iter()
        .position(|l| l.name == "riser")
        .unwrap();
    let voice = out
        .actions
        .iter()
        .find_map(|a| match a.kind {
            ActionKind::Start {
                voice,
                source: SourceRef::SegmentLayer { segment, layer },
                ..
            } if segment as usize == swell && layer as usize == riser => Some(voice),
            _ => None,
        })
        .expect("the riser starts");
    let (at, source, rate) = out
        .actions
        .iter()
        .rev()
        .filter(|a| a.frame < arrived)
        .find_map(|a| match a.kind {
            ActionKind::Warp {
                voice: v,
                source,
                rate,
            } if v == voice => Some((a.frame, source, rate)),
            _ => None,
        })
        .expect("the riser is stretched to the chase's tempo");
    let heard_at_arrival = source + rate * (arrived - at) as f64;
    let material = timing::segment_audio_frames(&score, 1, sr) as f64;
    assert!(
        (heard_at_arrival - material).abs() <= 2.0,
        "at the resolution's bar 1 the riser is {heard_at_arrival} frames in, of {material}"
    );
    // And it is heard rising: the last quarter of the bar is louder than the first.
    let tap = out.stem_names.iter().position(|n| n == "riser").unwrap();
    let rms = |a: u64, b: u64| {
        let w = &out.stems[tap][a as usize..b as usize];
        (w.iter().map(|f| f[0] * f[0] + f[1] * f[1]).sum::<f32>() / w.len() as f32).sqrt()
    };
    let q = (arrived - left) / 4;
    let (first, last) = (rms(left, left + q), rms(arrived - q, arrived));
    // The riser's own last quarter, for its level.
    let Some(leitmotif_engine::Clip::Memory(st)) = bank.get(SourceRef::SegmentLayer {
        segment: swell as u16,
        layer: riser as u16,
    }) else {
        panic!("the riser is generated in memory");
    };
    let n = st.frames.len();
    let own = (st.frames[3 * n / 4..]
        .iter()
        .map(|f| f[0] * f[0] + f[1] * f[1])
        .sum::<f32>()
        / (n - 3 * n / 4) as f32)
        .sqrt();
    let eighths: Vec<f32> = (0..8)
        .map(|k| {
            let a = left + k * (arrived - left) / 8;
            rms(a, a + (arrived - left) / 8)
        })
        .collect();
    assert!(
        eighths.windows(2).all(|w| w[1] > w[0]) && last > 10.0 * first,
        "the riser does not rise over the bar: {eighths:?}"
    );
    assert!(
        last > 0.5 * own,
        "the riser's last quarter is heard at {last}, its own level is {own}"
    );
}

const ENTRY_SCORE: &str = r#"Score(name: "entries", tempo: (bpm: 120.0), initial_cue: "a",
    cues: [
        (name: "a", bars: 4, looping: true, layers: [(name: "x", source: Silence)]),
        (name: "b", bars: 2, looping: true, tempo: Some((bpm: 90.0, meter: (3, 4))),
         markers: [(name: "drop", bar: 2, beat: 2)], layers: [(name: "y", source: Silence)]),
    ],
    transitions: [
        (from: "a", to: "b", sync: NextBeat, enter: SamePosition),
        (from: "b", to: "a", sync: NextBar, enter: Marker("m")),
    ],
)"#;

#[test]
fn transition_rules_enter_at_the_same_position_or_at_a_marker() {
    // a → b at the same position: asked in bar 3 of a (4 bars), b (2 bars, 3/4) is entered at
    // its bar 1 (bar 3 wraps) on the same beat; b → a enters a at its marker.
    let src = ENTRY_SCORE.replace(
        r#"(name: "a", bars: 4, looping: true,"#,
        r#"(name: "a", bars: 4, looping: true, markers: [(name: "m", bar: 3, beat: 4)],"#,
    );
    let score = Arc::new(Score::from_ron(&src, None).unwrap());
    let sr = 48_000;
    // Bar 3 beat 2 and a bit of a (0.5 s beats): 9.3 beats.
    let asked = (9.3 * 0.5 * sr as f64) as u64;
    let (actions, events) = plan(
        &score,
        sr,
        &[TimedInput {
            frame: asked,
            input: Input::RequestCue(1),
        }],
        sr as u64 * 8,
    );
    let at = (10.0 * 0.5 * sr as f64) as u64; // bar 3 beat 3
    let b = events
        .iter()
        .find(|e| e.kind == EventKind::CueStarted { cue: 1 })
        .unwrap();
    assert_eq!((b.frame, b.cue_bar, b.position.beat), (at, 1, 3));
    let offset = layer_start(&actions, 1).unwrap();
    // b's bar 1 beat 3 is two of its beats (90 BPM) into its stems.
    assert_eq!(offset, (at, (2.0 * 60.0 / 90.0 * sr as f64).round() as u64));
    // The next beat of b is 60/90 s later and is bar 2, beat 1 of b (3/4).
    let next = events
        .iter()
        .find(|e| e.kind == EventKind::Beat && e.frame > at)
        .unwrap();
    assert_eq!(next.frame, at + (60.0 / 90.0 * sr as f64).round() as u64);
    assert_eq!((next.cue_bar, next.position.beat), (2, 1));

    // b → a enters a at its marker (bar 3 beat 4), on b's next bar line.
    let (actions, events) = plan(
        &score,
        sr,
        &[
            TimedInput {
                frame: asked,
                input: Input::RequestCue(1),
            },
            TimedInput {
                frame: at + 1000,
                input: Input::RequestCue(0),
            },
        ],
        sr as u64 * 12,
    );
    let back = events
        .iter()
        .filter(|e| e.kind == EventKind::CueStarted { cue: 0 })
        .nth(1)
        .expect("a again");
    let bar2_of_b = at + (60.0 / 90.0 * sr as f64).round() as u64;
    assert_eq!(
        (back.frame, back.cue_bar, back.position.beat),
        (bar2_of_b, 3, 4)
    );
    let start = actions
        .iter()
        .filter(|a| a.frame == bar2_of_b)
        .find_map(|a| match a.kind {
            ActionKind::Start {
                source: SourceRef::Layer { cue: 0, .. },
                offset,
                ..
            } => Some(offset),
            _ => None,
        })
        .unwrap();
    assert_eq!(start, (11.0 * 0.5 * sr as f64) as u64, "a's bar 3 beat 4");
}

#[test]
fn entries_are_checked_when_the_score_loads() {
    // A marker entry the target lacks: named, with the markers it has.
    let e = Score::from_ron(ENTRY_SCORE, None).unwrap_err().to_string();
    assert!(
        e.contains("\"m\"") && e.contains("marker") && e.contains("\"a\""),
        "{e}"
    );
    // An entry other than bar 1 with a bridge: refused, with a hint naming both options.
    let with_bridge = ENTRY_SCORE
        .replace(r#"enter: Marker("m")"#, r#"enter: Start"#)
        .replace(
            "enter: SamePosition)",
            "enter: SamePosition, bridge: Generated(1))",
        );
    let e = Score::from_ron(&with_bridge, None).unwrap_err().to_string();
    assert!(e.contains("bar 1") && e.contains("enter: Start"), "{e}");
}

#[test]
fn a_generated_stinger_plays_in_the_chord_and_at_the_tempo_it_lands_in() {
    let sr = 48_000;
    let dir = temp_dir("tempo-stinger");
    let noir = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scores/noir.score.ron"),
    )
    .unwrap()
    .replace(r#"initial_cue: "calm""#, r#"initial_cue: "chase""#);
    let (score, bank) = load(&noir, &dir, sr);
    let sting = score
        .stingers
        .iter()
        .position(|s| s.name == "sting")
        .unwrap();
    // The chase (132 BPM) plays Dm C Bb A …: asked in bar 3, the stinger lands on its beat 2,
    // over B♭ major (B♭, D, F).
    let beat = 60.0 / 132.0 * sr as f64;
    let inputs = [TimedInput {
        frame: (8.4 * beat) as u64,
        input: Input::Stinger(sting),
    }];
    let opts = RenderOptions {
        frames: 8 * sr as u64,
        stems: true,
        ..RenderOptions::default()
    };
    let out = render(score.clone(), bank, &inputs, &opts);
    let at = out
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Stinger { .. }))
        .expect("the stinger sounds")
        .frame as usize;
    assert_eq!(at, (9.0 * beat).round() as usize);
    let tap = out.stem_names.iter().position(|n| n == "stingers").unwrap();
    let heard = &out.stems[tap];
    let len = (2.0 * beat).round() as usize;
    let c = chroma(&heard[at..at + len], sr);
    let mut order: Vec<usize> = (0..12).collect();
    order.sort_by(|a, b| c[*b].total_cmp(&c[*a]));
    let mut top: Vec<usize> = order[..3].to_vec();
    top.sort();
    assert_eq!(top, vec![2, 5, 10], "strongest pitch classes {order:?}");
    // Two beats at 132 BPM, not at the score's 84: silent after them.
    let energy = |w: &[[f32; 2]]| w.iter().map(|f| f[0] * f[0]).sum::<f32>();
    assert!(energy(&heard[at..at + len]) > 1e-3);
    assert_eq!(
        energy(&heard[at + len + 64..at + len + sr as usize / 2]),
        0.0
    );
}

/// A streamed stem switched to its stretcher on the very frame of an `Immediate` tempo cue
/// (no time to prime it ahead: a pre-roll from its ring, crossfaded from the plain sound):
/// no dropout, no step, no level dip through the switch, at the fastest and slowest rates.
#[test]
fn an_immediate_tempo_cue_on_a_streamed_stem_switches_without_a_glitch() {
    let sr = 48_000;
    let dir = temp_dir("tempo-immediate");
    // 16 s of a 441 Hz tone at 0.3 (streamed: longer than 10 s).
    let tone: Vec<[f32; 2]> = (0..16 * sr as usize)
        .map(|i| {
            let x = 0.3 * (std::f32::consts::TAU * 441.0 * i as f32 / sr as f32).sin();
            [x, x]
        })
        .collect();
    write_stem(&dir, "tone.wav", &tone, sr);
    let src = r#"Score(name: "imm", tempo: (bpm: 120.0), initial_cue: "c",
        cues: [(name: "c", bars: 8, looping: true, layers: [(name: "t", source: File("tone.wav"))])])"#;
    let (score, bank) = load(src, &dir, sr);
    assert!(bank.streams());
    let max_step = 0.3 * std::f32::consts::TAU * 441.0 / sr as f32;
    for bpm in [62.0, 132.0, 238.0] {
        let at = (5.3 * sr as f64) as usize;
        let inputs = [tempo_cue(at as u64, bpm, 0, Sync::Immediate)];
        let opts = RenderOptions {
            frames: 7 * sr as u64,
            ..RenderOptions::default()
        };
        let out = render(score.clone(), bank.clone(), &inputs, &opts);
        let warps = out
            .actions
            .iter()
            .filter(|a| matches!(a.kind, ActionKind::Warp { .. }))
            .count();
        assert!(warps > 0, "{bpm} BPM: stretched");
        let w = &out.mix[at - sr as usize / 10..at + sr as usize / 2];
        let step = w
            .windows(2)
            .map(|p| (p[1][0] - p[0][0]).abs())
            .fold(0.0f32, f32::max);
        // A click would be many times the tone's own largest step. The plain sound crossfaded
        // out plays at the new speed (its pitch, and so its steps, scaled by the rate), and the
        // phase vocoder's first frames may overshoot a little.
        let rate = (bpm / 120.0f64).max(1.0) as f32;
        assert!(
            step <= 2.0 * rate * max_step,
            "{bpm} BPM: a step of {step} (the tone's {max_step})"
        );
        eprintln!(
            "{bpm} BPM: largest step through the switch {:.2}x the tone's",
            step / max_step
        );
        for (k, c) in w.chunks(480).enumerate() {
            let rms = (c.iter().map(|f| f[0] * f[0]).sum::<f32>() / c.len() as f32).sqrt();
            let db = 20.0 * (rms / (0.3 / std::f32::consts::SQRT_2)).log10();
            assert!(
                db.abs() < 3.0,
                "{bpm} BPM: {db:.1} dB in the 10 ms window {k} around the switch"
            );
        }
    }
}

/// A stretched loop whose body is not a whole number of frames (8 bars at 132 BPM, 48 kHz:
/// 698 181.8) stays on its stem for hours: at every seam the voice is heard at the start of a
/// pass laid out in whole stem bodies, as the engine lays out the stem's passes.
#[test]
fn a_stretched_loop_does_not_drift_from_its_stem_over_two_hundred_passes() {
    let sr = 48_000;
    let src = r#"Score(name: "drift", tempo: (bpm: 132.0), initial_cue: "a",
        cues: [(name: "a", bars: 8, looping: true, layers: [(name: "x", source: Silence)])])"#;
    let score = Arc::new(Score::from_ron(src, None).unwrap());
    let own = timing::cue_map(&score, &score.cues[0], sr);
    let body = own.frame_at_bar(9) as f64;
    let (actions, events) = plan(
        &score,
        sr,
        &[tempo_cue(0, 120.0, 0, Sync::NextBar)],
        (200.0 * 8.0 * 4.0 * 0.5 * sr as f64) as u64,
    );
    let seams: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Bar && e.cue_bar == 1 && e.frame > 0)
        .map(|e| e.frame)
        .collect();
    assert!(seams.len() >= 190, "{} seams", seams.len());
    // Where the voice is heard at a frame, from the last warp before it.
    let heard = |f: u64| {
        actions
            .iter()
            .rev()
            .filter(|a| a.frame <= f)
            .find_map(|a| match a.kind {
                ActionKind::Warp { source, rate, .. } => Some(source + rate * (f - a.frame) as f64),
                _ => None,
            })
            .unwrap()
    };
    for (m, &seam) in seams.iter().enumerate() {
        let want = (m + 1) as f64 * body;
        assert!(
            (heard(seam) - want).abs() < 0.01,
            "pass {}: heard at {} of the looped stem, its start is {want}",
            m + 2,
            heard(seam)
        );
    }
}

/// `stretch` on a segment: its recorded layer is stretched to the tempo it is entered at only
/// when asked (its generated layers always are).
#[test]
fn a_recorded_segment_is_stretched_only_when_the_score_asks() {
    let sr = 48_000;
    let dir = temp_dir("tempo-segment");
    write_stem(&dir, "hit.wav", &click_track(sr)[..2 * sr as usize], sr);
    for stretch in [false, true] {
        let src = format!(
            r#"Score(name: "seg", tempo: (bpm: 120.0), initial_cue: "a",
            cues: [
                (name: "a", bars: 2, looping: true, tempo: Some((bpm: 100.0)), layers: [(name: "x", source: Silence)]),
                (name: "b", bars: 2, looping: true, layers: [(name: "y", source: Silence)]),
            ],
            transitions: [(from: "a", to: "b", bridge: Segment("s"))],
            segments: [(name: "s", bars: 1, stretch: {stretch}, layers: [(name: "h", source: File("hit.wav"))])],
        )"#
        );
        let (score, bank) = load(&src, &dir, sr);
        let inputs = [TimedInput {
            frame: sr as u64,
            input: Input::RequestCue(1),
        }];
        let opts = RenderOptions {
            frames: 8 * sr as u64,
            ..RenderOptions::default()
        };
        let out = render(score, bank, &inputs, &opts);
        let voice = out
            .actions
            .iter()
            .find_map(|a| match a.kind {
                ActionKind::Start {
                    voice,
                    source: SourceRef::SegmentLayer { .. },
                    ..
                } => Some(voice),
                _ => None,
            })
            .expect("the segment plays");
        let rate = out.actions.iter().find_map(|a| match a.kind {
            ActionKind::Warp { voice: v, rate, .. } if v == voice => Some(rate),
            _ => None,
        });
        match (stretch, rate) {
            (false, None) => {}
            // Made at the score's 120 BPM, entered from 100 BPM.
            (true, Some(r)) => assert!((r - 100.0 / 120.0).abs() < 1e-6, "rate {r}"),
            other => panic!("stretch {stretch}: warp {other:?}"),
        }
    }
}

/// Stretching runs on worker threads; a worker that falls behind (stalled here, as on an
/// overloaded machine) never silences a voice: it plays on at its own speed — exact through
/// the pre-warp, counted as an underrun once its tempo has changed — and as soon as the worker
/// catches up the voice is back on the new grid.
#[test]
fn a_stalled_stretch_worker_never_silences_a_voice_and_it_comes_back_onto_the_grid() {
    let sr = 48_000;
    let dir = temp_dir("tempo-stall");
    write_stem(&dir, "click.wav", &click_track(sr), sr);
    // In memory: its plain sound is always there (this test renders faster than real time).
    let src = r#"Score(name: "stall", tempo: (bpm: 120.0), initial_cue: "c",
        cues: [(name: "c", bars: 8, looping: true, layers: [(name: "k", source: File("click.wav"), load: Memory)])])"#;
    let (score, bank) = load(src, &dir, sr);
    let (mut s, mut sound, shared) = leitmotif_engine::Session::new(score, bank, 0);
    s.set_stretch_stalled(true);
    // Asked at 1 s: from bar 2 (2 s) 132 BPM; the voice is pre-warped a quarter second ahead.
    s.push(tempo_cue(sr as u64, 132.0, 0, Sync::NextBar));
    let (mut mix, mut beats) = (Vec::new(), Vec::new());
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut underruns_at = Vec::new();
    for k in 0..(12 * sr as u64 / 512) {
        let pos = k * 512;
        if pos / 512 == 3 * sr as u64 / 512 {
            s.set_stretch_stalled(false);
        }
        // Planned a lookahead ahead, as the plugin's planner does on a device.
        beats.extend(
            s.plan(pos + 512 + 2048)
                .iter()
                .filter(|e| e.kind == EventKind::Beat)
                .map(|e| e.frame),
        );
        if pos >= 3 * sr as u64 {
            // As a device does, the audio comes at its pace: the worker has time to catch up.
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        sound.render(&mut buf);
        mix.extend_from_slice(&buf);
        underruns_at.push(shared.overloads().underruns);
    }
    let block = |secs: f64| (secs * sr as f64 / 512.0) as usize;
    assert_eq!(
        underruns_at[block(2.0) - 1],
        0,
        "playing on plainly through the pre-warp is exact, not an underrun"
    );
    assert!(
        underruns_at[block(3.0)] > 0,
        "stalled after the change: counted"
    );
    let recovered = underruns_at
        .iter()
        .rposition(|&u| u < *underruns_at.last().unwrap())
        .map_or(0, |b| b + 1);
    assert!(
        recovered < block(6.0),
        "the worker caught up by 6 s (block {recovered}, 3 s = {})",
        block(3.0)
    );
    let onsets = detect_onsets(&mix, sr);
    let near = |t: f64| {
        onsets
            .iter()
            .map(|o| o - t)
            .fold(f64::MAX, |m, d| if d.abs() < m.abs() { d } else { m })
    };
    // Stalled, after the change: the clicks go on (at the stem's own speed), never silence.
    for t in [2.0, 2.5] {
        assert!(
            near(t).abs() < 0.002,
            "click at {t} s: {:.1} ms off",
            near(t) * 1e3
        );
    }
    // Caught up: every click on a beat of the new grid, from half a second after recovery.
    let from = (recovered * 512) as u64 + sr as u64 / 2;
    let new_grid: Vec<f64> = beats
        .iter()
        .filter(|&&f| f >= from && f < 11 * sr as u64)
        .map(|&f| f as f64 / sr as f64)
        .collect();
    assert!(new_grid.len() > 10, "{} beats", new_grid.len());
    for w in new_grid.windows(2) {
        assert!(
            ((w[1] - w[0]) - 60.0 / 132.0).abs() < 1e-3,
            "the grid is 132 BPM"
        );
    }
    for t in &new_grid {
        assert!(
            near(*t).abs() <= 0.005,
            "beat at {t:.3} s: the click is {:.2} ms off",
            near(*t) * 1e3
        );
    }
    eprintln!(
        "stalled stretch worker: {} underruns, caught up at {:.2} s, {} beats on the 132 grid",
        underruns_at.last().unwrap(),
        recovered as f64 * 512.0 / sr as f64,
        new_grid.len()
    );
}

/// The stretch workers' output does not depend on thread timing: a score with a tempo jump and
/// a ramp, played as a device plays it (the plan a lookahead ahead, the mixer never waiting,
/// the workers racing it), is bit-identical to the offline render, where the mixer waits.
#[test]
fn stretched_voices_played_live_are_bit_identical_to_the_offline_render() {
    let sr = 48_000;
    let dir = temp_dir("tempo-live-identity");
    write_stem(&dir, "click.wav", &click_track(sr), sr);
    let tone: Vec<[f32; 2]> = (0..16 * sr as usize)
        .map(|i| {
            let x = 0.2 * (std::f32::consts::TAU * 330.0 * i as f32 / sr as f32).sin();
            [x, -x]
        })
        .collect();
    write_stem(&dir, "tone.wav", &tone, sr);
    let src = r#"Score(name: "ident", tempo: (bpm: 120.0), initial_cue: "c",
        cues: [(name: "c", bars: 8, looping: true, layers: [
            (name: "k", source: File("click.wav"), load: Memory),
            (name: "t", source: File("tone.wav"), load: Memory, gain_db: -6.0)])])"#;
    let (score, bank) = load(src, &dir, sr);
    let inputs = [
        tempo_cue(sr as u64, 132.0, 0, Sync::NextBar),
        tempo_cue(4 * sr as u64, 104.0, 4, Sync::NextBeat),
    ];
    let frames = 9 * sr as u64;
    let opts = RenderOptions {
        frames,
        ..RenderOptions::default()
    };
    let offline = render(score.clone(), bank.clone(), &inputs, &opts);
    let (mut s, mut sound, shared) = leitmotif_engine::Session::new(score, bank, 0);
    for i in inputs {
        s.push(i);
    }
    let mut live = Vec::new();
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut pos = 0;
    while pos < frames {
        // A planner a quarter second ahead; the audio a little faster than real time.
        s.plan(pos + 512 + sr as u64 / 4);
        std::thread::sleep(std::time::Duration::from_millis(1));
        sound.render(&mut buf);
        live.extend_from_slice(&buf);
        pos += 512;
    }
    let o = shared.overloads();
    assert_eq!(o.underruns, 0, "the workers kept ahead: {o:?}");
    let warps = offline
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Warp { .. }))
        .count();
    assert!(
        warps > 20,
        "stretched through a jump and a ramp ({warps} warps)"
    );
    let first_diff = live.iter().zip(&offline.mix).position(|(a, b)| a != b);
    assert_eq!(
        first_diff, None,
        "live and offline differ from frame {first_diff:?}"
    );
}
