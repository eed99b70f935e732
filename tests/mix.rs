//! The mix model heard through the offline renderer: buses, sidechain ducking, snapshots,
//! sends to an effect return, and the score checks of the mix.
//!
//! Levels are measured per frequency: the music is a sine at 200 Hz (and 5 kHz where a filter
//! is tested), the stinger a sine at 3 kHz, and every measuring window is 10 ms (480 frames),
//! which holds whole cycles of each, so each tone's amplitude is read exactly (a single-bin
//! DFT) without the other's.

mod common;

use common::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, Input, TimedInput};

const SR: u32 = 48_000;
const WIN: usize = 480;

fn sine(len: usize, tones: &[(f32, f32)]) -> Vec<[f32; 2]> {
    (0..len)
        .map(|i| {
            let t = i as f32 / SR as f32;
            let x: f32 = tones
                .iter()
                .map(|&(hz, a)| a * (std::f32::consts::TAU * hz * t).sin())
                .sum();
            [x, x]
        })
        .collect()
}

/// Amplitude of the `hz` component of the left channel over `WIN` frames from `at`.
fn amp(mix: &[[f32; 2]], at: usize, hz: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (k, f) in mix[at..at + WIN].iter().enumerate() {
        let ph = std::f64::consts::TAU * hz * (at + k) as f64 / SR as f64;
        re += f[0] as f64 * ph.cos();
        im += f[0] as f64 * ph.sin();
    }
    2.0 * (re * re + im * im).sqrt() / WIN as f64
}

fn db(x: f64) -> f64 {
    20.0 * x.max(1e-12).log10()
}

/// A 4-bar loop at 120 BPM (8 s) of `music.wav` on bus "music", plus a stinger of
/// `hit.wav` on bus "stingers"; `mix` is the score's mix.
fn score(mix: &str, extra_cue: &str) -> String {
    format!(
        r#"(
    name: "mix test",
    tempo: (bpm: 120.0, meter: (4, 4)),
    cues: [
        (name: "a", bars: 4, bus: Some("music"), layers: [(name: "tone", source: File("music.wav"))]),
        {extra_cue}
    ],
    initial_cue: "a",
    stingers: [(name: "hit", sync: Immediate, bus: Some("stingers"),
                variations: [(source: File("hit.wav"), load: Memory)])],
    mix: {mix},
)"#
    )
}

const LOOP: usize = 8 * 48_000;

#[test]
fn sidechain_ducks_the_music_to_its_depth_in_its_attack_time_and_releases() {
    let mix = r#"(buses: [
        (name: "music", sidechain: Some((key: "stingers", depth_db: -12.0, threshold_db: -40.0,
                                          attack: 0.05, hold: 0.05, release: 0.3))),
        (name: "stingers"),
    ])"#;
    let music = sine(LOOP, &[(200.0, 0.25)]);
    let hit = sine(SR as usize, &[(3000.0, 0.25)]);
    let at = 2 * SR as u64;
    let r = render_stems(
        &score(mix, ""),
        "mix-sidechain",
        &[("music.wav", music), ("hit.wav", hit)],
        &[TimedInput {
            frame: at,
            input: Input::Stinger(0),
        }],
        5 * SR as usize,
    );
    let start = r
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Stinger { .. }))
        .expect("the stinger sounded")
        .frame as usize;
    // The stinger's first sample sounds on its event's frame.
    let onset = start;
    let before = amp(&r.mix, start - 3 * WIN, 200.0);
    assert!(
        (db(before) - db(0.25)).abs() < 0.2,
        "the music is at its own level before the stinger: {:.2} dB",
        db(before)
    );
    let attack = (0.05 * SR as f64) as usize;
    let ducked = amp(&r.mix, onset + attack, 200.0);
    let depth = db(ducked) - db(before);
    println!(
        "sidechain: {:.2} dB after the 50 ms attack (setting -12 dB)",
        depth
    );
    assert!(
        (depth + 12.0).abs() <= 1.0,
        "ducked by {depth:.2} dB one attack time after the key started, not within 1 dB of -12"
    );
    let halfway = db(amp(&r.mix, onset + attack / 2 - WIN / 2, 200.0)) - db(before);
    assert!(
        halfway > -9.0 && halfway < -3.0,
        "the duck ramps over the attack (half way: {halfway:.2} dB)"
    );
    // The key ends 1 s later; hold 50 ms, release 300 ms.
    let end = onset + SR as usize;
    let held = db(amp(&r.mix, end - 2 * WIN, 200.0)) - db(before);
    assert!(
        (held + 12.0).abs() <= 1.0,
        "stays ducked while the key sounds: {held:.2}"
    );
    let back = db(amp(&r.mix, end + (0.40 * SR as f64) as usize, 200.0)) - db(before);
    assert!(
        back.abs() < 0.5,
        "back to its level after hold + release: {back:.2} dB"
    );
    // The stinger itself is not ducked.
    let hit_level = db(amp(&r.mix, onset + 4 * WIN, 3000.0));
    assert!(
        (hit_level - db(0.25)).abs() < 0.5,
        "stinger at {hit_level:.2} dB"
    );
}

#[test]
fn a_snapshot_blends_in_and_out_over_its_time() {
    let mix = r#"(buses: [(name: "music"), (name: "stingers")],
        snapshots: [(name: "underwater", seconds: 0.5,
                     buses: [(bus: "music", gain_db: Some(-6.0), lowpass_hz: Some(400.0))])])"#;
    let music = sine(LOOP, &[(200.0, 0.2), (5000.0, 0.2)]);
    let hit = sine(SR as usize, &[(3000.0, 0.25)]);
    let inputs = [
        TimedInput {
            frame: SR as u64,
            input: Input::Snapshot {
                snapshot: 0,
                intensity: 1.0,
                seconds: None,
            },
        },
        TimedInput {
            frame: 3 * SR as u64,
            input: Input::Snapshot {
                snapshot: 0,
                intensity: 0.0,
                seconds: Some(0.25),
            },
        },
    ];
    let r = render_stems(
        &score(mix, ""),
        "mix-snapshot",
        &[("music.wav", music), ("hit.wav", hit)],
        &inputs,
        4 * SR as usize,
    );
    let s = SR as usize;
    let low0 = amp(&r.mix, s / 2, 200.0);
    let high0 = amp(&r.mix, s / 2, 5000.0);
    assert!((db(low0) - db(0.2)).abs() < 0.2 && (db(high0) - db(0.2)).abs() < 0.3);
    // Half way through the blend: part of the way.
    let mid = db(amp(&r.mix, s + s / 4, 200.0)) - db(low0);
    assert!(
        mid < -1.5 && mid > -5.0,
        "half way through the blend: {mid:.2} dB"
    );
    // In force: -6 dB (plus the low-pass's -0.3 dB at 200 Hz); 5 kHz 3.6 octaves above the
    // cutoff of a 12 dB/octave low-pass.
    let low = db(amp(&r.mix, 2 * s, 200.0)) - db(low0);
    let high = db(amp(&r.mix, 2 * s, 5000.0)) - db(high0);
    println!("underwater: 200 Hz {low:.2} dB, 5 kHz {high:.2} dB");
    assert!(
        (low + 6.3).abs() < 1.0,
        "200 Hz at {low:.2} dB in the snapshot"
    );
    assert!(high < -30.0, "5 kHz filtered out: {high:.2} dB");
    // Out again 0.25 s after the second request: the bus's own settings.
    let low1 = db(amp(&r.mix, 3 * s + s / 2, 200.0)) - db(low0);
    let high1 = db(amp(&r.mix, 3 * s + s / 2, 5000.0)) - db(high0);
    assert!(
        low1.abs() < 0.3 && high1.abs() < 0.5,
        "after blending out: {low1:.2} / {high1:.2} dB"
    );
}

#[test]
fn a_cue_carries_its_snapshot_while_it_plays() {
    let mix = r#"(buses: [(name: "music"), (name: "stingers")],
        snapshots: [(name: "paused", seconds: 0.1, buses: [(bus: "music", gain_db: Some(-20.0))])])"#;
    let cue_b = r#"(name: "b", bars: 4, bus: Some("music"), snapshot: Some("paused"),
                    layers: [(name: "tone", source: File("music.wav"))]),"#;
    let src = score(mix, cue_b).replace(
        "initial_cue: \"a\",",
        "initial_cue: \"a\",\n    transitions: [(from: \"*\", to: \"*\", sync: Immediate)],",
    );
    let music = sine(LOOP, &[(200.0, 0.2)]);
    let hit = sine(SR as usize, &[(3000.0, 0.25)]);
    let r = render_stems(
        &src,
        "mix-cue-snapshot",
        &[("music.wav", music), ("hit.wav", hit)],
        &[TimedInput {
            frame: SR as u64,
            input: Input::RequestCue(1),
        }],
        3 * SR as usize,
    );
    let s = SR as usize;
    let before = db(amp(&r.mix, s / 2, 200.0));
    let during = db(amp(&r.mix, 2 * s, 200.0));
    assert!(
        (during - before + 20.0).abs() < 1.0,
        "cue b plays under its snapshot: {:.2} dB",
        during - before
    );
}

#[test]
fn a_send_to_a_reverb_return_rings_after_the_dry_sound_stops() {
    let with = r#"(buses: [
        (name: "music", sends: [(to: "verb", gain_db: -6.0)]),
        (name: "verb", effects: [Reverb(room: 0.9, mix: 1.0)]),
        (name: "stingers"),
    ])"#;
    let without = r#"(buses: [(name: "music"), (name: "verb", effects: [Reverb(room: 0.9, mix: 1.0)]), (name: "stingers")])"#;
    // Half a second of tone, then silence, in a non-looping cue.
    let mut music = sine(SR as usize / 2, &[(200.0, 0.3)]);
    music.resize(LOOP, [0.0; 2]);
    let hit = sine(SR as usize, &[(3000.0, 0.25)]);
    let tail = |mix: &str, name: &str| {
        let r = render_stems(
            &score(mix, ""),
            name,
            &[("music.wav", music.clone()), ("hit.wav", hit.clone())],
            &[],
            2 * SR as usize,
        );
        // RMS 0.2..0.5 s after the tone ended.
        let w = &r.mix[(0.7 * SR as f64) as usize..SR as usize];
        (w.iter().map(|f| (f[0] * f[0]) as f64).sum::<f64>() / w.len() as f64).sqrt()
    };
    let wet = tail(with, "mix-send");
    let dry = tail(without, "mix-nosend");
    println!(
        "reverb tail: {:.1} dBFS with the send, {:.1} without",
        db(wet),
        db(dry)
    );
    assert!(dry < 1e-6, "no send: silence after the tone ({dry})");
    assert!(
        db(wet) > -50.0,
        "the send rings on in the reverb: {:.1} dBFS",
        db(wet)
    );
}

#[test]
fn mix_mistakes_are_located_errors_with_hints() {
    let cases = [
        (
            r#"(buses: [(name: "music", sends: [(to: "verbb")]), (name: "verb")])"#,
            "verbb",
            "did you mean \"verb\"",
        ),
        (
            r#"(buses: [(name: "music", output: Some("sub")), (name: "sub", output: Some("music"))])"#,
            "cycle",
            "route",
        ),
        (
            r#"(buses: [(name: "music", sidechain: Some((key: "music")))])"#,
            "duck itself",
            "key",
        ),
        (
            r#"(buses: [(name: "music")], snapshots: [(name: "x", buses: [(bus: "music", sends: [(to: "verb")])])])"#,
            "no send",
            "sends",
        ),
        (
            r#"(buses: [(name: "music", effects: [Delay(seconds: 9.0)])])"#,
            "Delay seconds",
            "",
        ),
    ];
    for (mix, what, hint) in cases {
        let src = score(mix, "").replace("bus: Some(\"stingers\"), ", "");
        let e = Score::from_ron(&src, None).expect_err(mix);
        let msg = e.to_string();
        assert!(msg.contains(what), "{mix}: {msg}");
        assert!(msg.contains(hint), "{mix}: no hint {hint:?} in {msg}");
        assert!(located(&msg), "{mix}: not located: {msg}");
    }
    let unknown = score("(buses: [(name: \"music\")])", "");
    let msg = Score::from_ron(&unknown, None).unwrap_err().to_string();
    assert!(msg.contains("stingers") && located(&msg), "{msg}");
}

/// `<score>:LINE:COL: …`
fn located(msg: &str) -> bool {
    let mut parts = msg.split(':');
    parts.next();
    parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
        && parts.next().is_some_and(|c| c.parse::<u32>().is_ok())
}

/// The audio side's meters: each layer's level (its own signal, from its stem output), each
/// bus's, and the output's short-term loudness, read through `Shared` the way a game (the
/// tuning desk) reads them.
#[test]
fn meters_report_each_layers_and_each_buses_real_level_and_the_loudness() {
    let dir = temp_dir("mix-meters");
    write_stem(&dir, "loud.wav", &sine(LOOP, &[(200.0, 0.4)]), SR);
    write_stem(&dir, "quiet.wav", &sine(LOOP, &[(1000.0, 0.04)]), SR);
    let src = r#"(name: "meters", tempo: (bpm: 120.0), initial_cue: "a",
        cues: [(name: "a", bars: 4, layers: [
            (name: "loud", source: File("loud.wav"), bus: Some("low")),
            (name: "quiet", source: File("quiet.wav"), bus: Some("high")),
        ])],
        mix: (buses: [(name: "low", gain_db: -6.0), (name: "high")]),
    )"#;
    let (score, bank) = load(src, &dir, SR);
    let (mut session, mut sound, shared) = leitmotif_engine::Session::new(score, bank, 1);
    sound.set_metering(true);
    let mut buf = vec![[0.0f32; 2]; 512];
    let mut out = Vec::new();
    let mut pos = 0u64;
    while pos < 4 * SR as u64 {
        session.plan(pos + 512);
        sound.render(&mut buf);
        out.extend_from_slice(&buf);
        pos += 512;
    }
    let layers: std::collections::HashMap<&str, _> = shared.layer_levels().into_iter().collect();
    let buses: std::collections::HashMap<&str, _> = shared.bus_levels().into_iter().collect();
    let (loud, quiet) = (layers["loud"], layers["quiet"]);
    println!("meters: layers {layers:?}\n        buses {buses:?}");
    // A sine of amplitude a: RMS a/√2; layer meters are before the bus fader.
    assert!(
        (db(loud.rms as f64) - db(0.4 / 2f64.sqrt())).abs() < 0.2,
        "{loud:?}"
    );
    assert!(
        (db(quiet.rms as f64) - db(0.04 / 2f64.sqrt())).abs() < 0.2,
        "{quiet:?}"
    );
    assert!(
        (loud.peak - 0.4).abs() < 0.01,
        "peak since the start: {loud:?}"
    );
    assert!(
        (db(buses["low"].rms as f64) - db(0.2 / 2f64.sqrt())).abs() < 0.2,
        "the -6 dB fader"
    );
    assert!((db(buses["high"].rms as f64) - db(0.04 / 2f64.sqrt())).abs() < 0.2);
    assert!(buses["master"].rms > buses["low"].rms);
    // A second read: peaks restart from what played since the first.
    assert!(shared.layer_levels().iter().all(|(_, l)| l.peak == 0.0));
    let ours = shared.short_term_lufs() as f64;
    let mut m = ebur128::EbuR128::new(2, SR, ebur128::Mode::S).unwrap();
    let inter: Vec<f32> = out.iter().flat_map(|f| [f[0], f[1]]).collect();
    m.add_frames_f32(&inter).unwrap();
    let theirs = m.loudness_shortterm().unwrap();
    println!("short-term loudness {ours:.2} LUFS (ebur128: {theirs:.2})");
    assert!((ours - theirs).abs() < 0.2, "{ours} vs {theirs}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dynamics`: the music's level follows a parameter, `range_db` below at its minimum; a cue's
/// own dynamics replace the score's; stingers are not touched.
#[test]
fn dynamics_shape_the_level_along_the_parameter() {
    let src = r#"(
    name: "dynamics",
    tempo: (bpm: 120.0),
    parameters: [(name: "tension", min: 0.0, max: 2.0, default: 2.0)],
    dynamics: Some((parameter: "tension", range_db: 12.0)),
    cues: [
        (name: "a", bars: 4, layers: [(name: "tone", source: File("music.wav"))]),
        (name: "b", bars: 4, dynamics: Some((parameter: "tension", range_db: 6.0)),
         layers: [(name: "tone", source: File("music.wav"))]),
    ],
    initial_cue: "a",
    transitions: [(from: "*", to: "*", sync: Immediate)],
    stingers: [(name: "hit", sync: Immediate, variations: [(source: File("hit.wav"), load: Memory)])],
)"#;
    let at = |s: f64, input: Input| TimedInput {
        frame: (s * SR as f64) as u64,
        input,
    };
    let r = render_stems(
        src,
        "mix-dynamics",
        &[
            ("music.wav", sine(LOOP, &[(200.0, 0.2)])),
            ("hit.wav", sine(SR as usize, &[(3000.0, 0.2)])),
        ],
        &[
            at(1.0, Input::SetParameter(0, 0.0)),
            at(1.5, Input::Stinger(0)),
            at(2.0, Input::SetParameter(0, 1.0)),
            at(3.0, Input::RequestCue(1)),
            at(3.0, Input::SetParameter(0, 0.0)),
        ],
        4 * SR as usize,
    );
    let s = SR as usize;
    let full = db(amp(&r.mix, s / 2, 200.0));
    let level = |sec: f64| db(amp(&r.mix, (sec * s as f64) as usize, 200.0)) - full;
    let (low, mid, cue_b) = (level(1.3), level(2.7), level(3.7));
    println!("dynamics: min {low:.2} dB, middle {mid:.2} dB, cue b at min {cue_b:.2} dB");
    assert!(
        (full - db(0.2)).abs() < 0.2,
        "at the maximum: its own level"
    );
    assert!(
        (low + 12.0).abs() < 0.3,
        "at the minimum: -12 dB ({low:.2})"
    );
    assert!(
        (mid + 6.0).abs() < 0.3,
        "half way (tension 1 of 0..2): -6 dB ({mid:.2})"
    );
    assert!(
        (cue_b + 6.0).abs() < 0.3,
        "cue b's own range: -6 dB ({cue_b:.2})"
    );
    let hit = db(amp(&r.mix, (1.75 * s as f64) as usize, 3000.0));
    assert!(
        (hit - db(0.2)).abs() < 0.3,
        "the stinger is not shaped: {hit:.2}"
    );
}
