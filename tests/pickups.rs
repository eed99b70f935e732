//! Pickups, tails and phrase sync points, heard through the offline renderer: click stems
//! (single impulses of distinct amplitudes) mark the pickup, bar lines and tail of each stem,
//! and the tests measure the frames where they land in the mix.
//!
//! * The initial cue's pickup sounds before its bar 1: bar 1 is at frame `pickup` (pre-entry).
//! * A pickup under a fade-in is heard (the fade starts with the pickup).
//! * A tail rings under every exit, fading with the fade-out (a `NextBar` exit with a fade,
//!   a cut), never cut.
//! * `EveryBars(n)` counts bars of the loop body: in a 6-bar loop `EveryBars(4)` lands on
//!   bar 1 or 5 of a pass.

mod common;

use common::*;
use leitmotif_core::conductor::{ActionKind, EventKind, Input, TimedInput};
use leitmotif_engine::OfflineRender;

const SR: u32 = 48_000;
/// One beat at 120 BPM.
const BEAT: usize = 24_000;
const BAR: usize = 4 * BEAT;

/// A stem of `len` frames with an impulse of each `(frame, amp)`.
fn clicks_stem(len: usize, clicks: &[(usize, f32)]) -> Vec<[f32; 2]> {
    let mut v = vec![[0.0; 2]; len];
    for &(f, a) in clicks {
        v[f] = [a, a];
    }
    v
}

/// Every sounding sample of the mix (left channel), as (frame, value).
fn heard(r: &OfflineRender) -> Vec<(usize, f32)> {
    r.mix
        .iter()
        .enumerate()
        .filter(|(_, f)| f[0].abs() > 1e-4)
        .map(|(i, f)| (i, f[0]))
        .collect()
}

/// The value sounding at `frame`, rounded to 1e-4 (the WAV round trip is not exact).
fn at(h: &[(usize, f32)], frame: usize) -> Option<f32> {
    h.iter()
        .find(|c| c.0 == frame)
        .map(|c| (c.1 * 1e4).round() / 1e4)
}

fn bars(r: &OfflineRender) -> Vec<usize> {
    r.events
        .iter()
        .filter(|e| e.kind == EventKind::Bar)
        .map(|e| e.frame as usize)
        .collect()
}

/// A 2-bar loop with a 1-beat pickup and a 2-beat tail at 120 BPM: pickup click 0.1 on the
/// pickup's beat, 0.5 on bar 1, 0.3 on bar 2, 0.2 half a beat into the tail.
fn pickup_stem() -> Vec<[f32; 2]> {
    clicks_stem(
        BEAT + 2 * BAR + 2 * BEAT,
        &[
            (0, 0.1),
            (BEAT, 0.5),
            (BEAT + BAR, 0.3),
            (BEAT + 2 * BAR + BEAT / 2, 0.2),
        ],
    )
}

#[test]
fn an_initial_cue_with_a_pickup_plays_its_pickup_one_beat_before_bar_1_on_the_grid() {
    let src = r#"Score(name: "p", tempo: (bpm: 120.0), initial_cue: "a",
        cues: [(name: "a", bars: 2, pickup_beats: 1, tail_beats: 2,
                layers: [(name: "click", source: File("a.wav"))])])"#;
    let r = render_stems(
        src,
        "pickup-initial",
        &[("a.wav", pickup_stem())],
        &[],
        3 * BAR + 2 * BEAT,
    );
    let h = heard(&r);
    let bars = bars(&r);
    let bar1 = bars[0];
    // The bar-1 click is on the grid's bar 1, the pickup click one beat earlier.
    let click1 = h.iter().find(|c| (c.1 - 0.5).abs() < 1e-6).map(|c| c.0);
    let pickup = h.iter().find(|c| (c.1 - 0.1).abs() < 1e-6).map(|c| c.0);
    assert_eq!(
        (click1, pickup),
        (Some(bar1), bar1.checked_sub(BEAT)),
        "bar-1 click on the grid's bar 1 ({bar1}), the pickup click a beat before; heard {h:?}"
    );
    // Pre-entry: the pickup is heard from frame 0, bar 1 follows a pickup later.
    assert_eq!(bar1, BEAT);
    let started = r
        .events
        .iter()
        .find(|e| e.kind == EventKind::CueStarted { cue: 0 })
        .unwrap();
    assert_eq!(started.frame as usize, bar1, "CueStarted is its bar 1");
    // The bar lines of the first pass and the seam follow on the same grid.
    assert_eq!(&bars[..3], &[bar1, bar1 + BAR, bar1 + 2 * BAR]);
    let seam = bar1 + 2 * BAR;
    assert_eq!(at(&h, bar1 + BAR), Some(0.3), "bar 2 on the grid");
    // The first pass's tail rings over the second pass (not cut late by a misaligned stem),
    // and the second pass's pickup and bar 1 are on the grid.
    assert_eq!(at(&h, seam + BEAT / 2), Some(0.2), "tail of the first pass");
    assert_eq!(at(&h, seam - BEAT), Some(0.1), "second pass's pickup");
    assert_eq!(at(&h, seam), Some(0.5), "second pass's bar 1");
    assert_eq!(h.len(), 7, "nothing else sounds: {h:?}");
}

#[test]
fn a_pickup_under_a_2_beat_fade_in_is_heard() {
    let src = r#"Score(name: "p", tempo: (bpm: 120.0), initial_cue: "a",
        cues: [
            (name: "a", bars: 1, layers: [(name: "click", source: File("a.wav"))]),
            (name: "b", bars: 1, pickup_beats: 2,
             layers: [(name: "click", source: File("b.wav"))]),
        ],
        transitions: [(from: "a", to: "b", sync: NextBar, fade_in: Beats(2.0))])"#;
    let a = clicks_stem(BAR, &[(0, 0.25)]);
    // b: pickup clicks on both pickup beats (0.1 and 0.2), bar 1 at 0.5.
    let b = clicks_stem(2 * BEAT + BAR, &[(0, 0.1), (BEAT, 0.2), (2 * BEAT, 0.5)]);
    let inputs = [TimedInput {
        frame: 1_000,
        input: Input::RequestCue(1),
    }];
    let r = render_stems(
        src,
        "pickup-fade",
        &[("a.wav", a), ("b.wav", b)],
        &inputs,
        4 * BAR,
    );
    let h = heard(&r);
    // The request in bar 1 needs two beats of pickup: bar 1 of b lands on a's bar 2.
    let bar1 = r
        .events
        .iter()
        .find(|e| e.kind == EventKind::CueStarted { cue: 1 })
        .unwrap()
        .frame as usize;
    assert_eq!(bar1, BAR);
    // The fade-in starts with the pickup (two beats from its first frame): its second beat
    // is heard at half level, bar 1 at full level.
    let second = at(&h, bar1 - BEAT).unwrap_or(0.0);
    assert!(
        (second - 0.1).abs() < 0.01,
        "the pickup's second beat is heard at half of 0.2: {second} (heard {h:?})"
    );
    assert_eq!(at(&h, bar1), Some(0.5));
}

/// Cue `a` (2 bars, 2-beat tail with a click half a beat in) left for `b` on `NextBar` by a
/// rule with `fade_out`.
fn tail_score(fade_out: &str) -> String {
    format!(
        r#"Score(name: "t", tempo: (bpm: 120.0), initial_cue: "a",
        cues: [
            (name: "a", bars: 2, tail_beats: 2, layers: [(name: "click", source: File("a.wav"))]),
            (name: "b", bars: 1, layers: [(name: "click", source: File("b.wav"))]),
        ],
        transitions: [(from: "a", to: "b", sync: NextBar, fade_out: {fade_out})])"#
    )
}

#[test]
fn a_tail_rings_under_a_next_bar_exit_with_a_fade_and_under_a_cut() {
    let a = clicks_stem(
        2 * BAR + 2 * BEAT,
        &[(0, 0.5), (BAR, 0.3), (2 * BAR + BEAT / 2, 0.2)],
    );
    let b = clicks_stem(BAR, &[(0, 0.25)]);
    let inputs = [TimedInput {
        frame: 30_000,
        input: Input::RequestCue(1),
    }];
    for (fade, want) in [("Beats(2.0)", 0.2 * 0.75), ("Beats(0.0)", 0.2)] {
        let r = render_stems(
            &tail_score(fade),
            &format!("tail-{}", fade.len()),
            &[("a.wav", a.clone()), ("b.wav", b.clone())],
            &inputs,
            3 * BAR,
        );
        let h = heard(&r);
        // The exit is a's bar 2, where b's bar 1 starts.
        let exit = BAR;
        assert_eq!(
            at(&h, exit).map(|v| v > 0.25),
            Some(true),
            "{fade}: b starts on a's bar 2 (with a's bar 2 under a fade)"
        );
        // The tail's click, half a beat after the exit, at the level of the fade-out there
        // (a quarter of a 2-beat linear fade: 0.75).
        let tail = at(&h, exit + BEAT / 2).unwrap_or(0.0);
        assert!(
            (tail - want).abs() < 0.01,
            "{fade}: the tail click rings under the exit at {want}: {tail} (heard {h:?})"
        );
        // Never cut: the tail's voice stops only at its end (or faded out), never with a
        // declick before.
        let tail_len = 2 * BEAT as u64;
        for a in &r.actions {
            if let ActionKind::Stop { release, .. } = a.kind
                && a.frame > exit as u64
                && a.frame < exit as u64 + tail_len
            {
                panic!(
                    "{fade}: a stop at {} (release {release}) inside the tail",
                    a.frame
                );
            }
        }
    }
}

#[test]
fn every_bars_4_in_a_6_bar_loop_changes_on_bar_1_or_5_of_a_pass() {
    let src = r#"Score(name: "e", tempo: (bpm: 120.0), initial_cue: "six",
        cues: [
            (name: "six", bars: 6, layers: [(name: "click", source: File("six.wav"))]),
            (name: "b", bars: 1, layers: [(name: "click", source: File("b.wav"))]),
        ],
        transitions: [(from: "six", to: "b", sync: EveryBars(4))])"#;
    // six: a click half a beat into every bar, 0.05 × its bar number in the body.
    let six = clicks_stem(
        6 * BAR,
        &(0..6)
            .map(|b| (b * BAR + BEAT / 2, 0.05 * (b + 1) as f32))
            .collect::<Vec<_>>(),
    );
    let b = clicks_stem(BAR, &[(0, 0.9)]);
    // Requests in the second pass: in its bar 2 (global bar 8) and bar 6 (global bar 12).
    for (request_bar, want_global_bar) in [(8usize, 11usize), (12, 13)] {
        let inputs = [TimedInput {
            frame: ((request_bar - 1) * BAR + 1_000) as u64,
            input: Input::RequestCue(1),
        }];
        let r = render_stems(
            src,
            &format!("every-{request_bar}"),
            &[("six.wav", six.clone()), ("b.wav", b.clone())],
            &inputs,
            15 * BAR,
        );
        let h = heard(&r);
        let landed = h.iter().find(|c| (c.1 - 0.9).abs() < 1e-6).map(|c| c.0);
        let want = (want_global_bar - 1) * BAR;
        let body_bar = (want_global_bar - 1) % 6 + 1;
        assert_eq!(
            landed,
            Some(want),
            "asked in global bar {request_bar}: b lands on global bar {want_global_bar} \
             (bar {body_bar} of a pass); landed at bar {:?}",
            landed.map(|f| f as f64 / BAR as f64 + 1.0)
        );
    }
}

/// A sine of `hz` over `len` frames whose last `decay` frames fall linearly to silence (a
/// ringing tail).
fn sine_stem(len: usize, hz: f64, amp: f32, decay: usize) -> Vec<[f32; 2]> {
    (0..len)
        .map(|i| {
            let env = if decay > 0 && i + decay >= len {
                (len - i) as f32 / decay as f32
            } else {
                1.0
            };
            let v = (std::f64::consts::TAU * hz * i as f64 / SR as f64).sin() as f32 * amp * env;
            [v, v]
        })
        .collect()
}

/// The largest sample-to-sample step of the mix (left channel).
fn largest_step(mix: &[[f32; 2]]) -> (f32, usize) {
    mix.windows(2)
        .enumerate()
        .map(|(i, w)| ((w[1][0] - w[0][0]).abs(), i + 1))
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

#[test]
fn pickups_and_tails_overlap_without_clicks_under_every_exit() {
    // a: 1-beat pickup, 2 bars, 2-beat decaying tail; 110.25 Hz so that bar lines and the
    // tail's start fall off zero crossings (a cut or an abrupt start shows as a jump).
    let a = sine_stem(BEAT + 2 * BAR + 2 * BEAT, 110.25, 0.2, 2 * BEAT);
    // b: a seamless 1-bar loop.
    let b = sine_stem(BAR, 110.0, 0.2, 0);
    let reference = largest_step(&a[..BEAT + 2 * BAR]).0;
    // a's bar 1 is at frame BEAT (its pickup plays from frame 0); its seams at BEAT + 2k bars.
    let cases = [
        // Mid-body, on bar 2 of the second pass.
        ("NextBar", "Beats(2.0)", BEAT + 2 * BAR + 1_000),
        ("NextBar", "Beats(0.0)", BEAT + 2 * BAR + 1_000),
        // On the seam, after the next pass has started its pickup.
        ("EndOfLoop", "Beats(2.0)", BEAT + 2 * BAR + 1_000),
        ("EndOfLoop", "Beats(0.0)", BEAT + 2 * BAR + 1_000),
        // Just after a seam: the ended pass still rings while the exit starts a new tail.
        ("NextBeat", "Beats(1.0)", BEAT + 4 * BAR + BEAT / 4),
        ("NextBeat", "Beats(0.0)", BEAT + 4 * BAR + BEAT / 4),
        ("Immediate", "Beats(0.0)", 2 * BAR + 7_777),
    ];
    for (sync, fade, request) in cases {
        let src = format!(
            r#"Score(name: "c", tempo: (bpm: 120.0), initial_cue: "a",
            cues: [
                (name: "a", bars: 2, pickup_beats: 1, tail_beats: 2,
                 layers: [(name: "s", source: File("a.wav"))]),
                (name: "b", bars: 1, layers: [(name: "s", source: File("b.wav"))]),
            ],
            transitions: [(from: "a", to: "b", sync: {sync}, fade_out: {fade})])"#
        );
        let inputs = [TimedInput {
            frame: request as u64,
            input: Input::RequestCue(1),
        }];
        let r = render_stems(
            &src,
            &format!("seams-{sync}-{}", fade.len()),
            &[("a.wav", a.clone()), ("b.wav", b.clone())],
            &inputs,
            8 * BAR,
        );
        assert!(
            r.events
                .iter()
                .any(|e| e.kind == EventKind::CueStarted { cue: 1 }),
            "{sync} {fade}: b started"
        );
        // Every exit off the seam starts a's tail from its stem (pickup + body frames in).
        let tail_starts = r
            .actions
            .iter()
            .filter(|a| {
                matches!(a.kind, ActionKind::Start { offset, .. } if offset == (BEAT + 2 * BAR) as u64)
            })
            .count();
        assert_eq!(
            tail_starts,
            usize::from(sync != "EndOfLoop"),
            "{sync} {fade}: tail voices"
        );
        // Up to three overlapping sines (the body cut, its tail, the target; or a pickup over
        // a tail) step at most three times as far as one; each 64-frame declick (the cut
        // body's release, the tail's attack) adds at most amp/64. An abrupt start or stop
        // would step by up to the amplitude (0.2).
        let (step, at) = largest_step(&r.mix);
        let bound = 3.0 * reference + 2.0 * 0.2 / 64.0 + 0.001;
        assert!(
            step <= bound,
            "{sync} {fade}: a click of {step:.4} at frame {at} (bound {bound:.4})"
        );
    }
}
