//! Hot reload keeps the musical position: the edited score takes over at the next bar line at
//! the same cue, bar and beat (its stems that far in), and a transition in progress is never
//! undone. Driven through the plugin's offline backend with the asset server's reload, and
//! checked against offline renders of the new score.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_leitmotif::prelude::*;
use leitmotif_core::Score;
use leitmotif_engine::{RenderOptions, wav};

const SR: u32 = 48_000;
/// One beat and one bar at 120 bpm in 4/4.
const BEAT: u64 = 24_000;
const BAR: u64 = 96_000;
/// Frames the outgoing score takes to fade out at a switch (the deck's switch fade).
const SWITCH_FADE: u64 = 256;

/// A stem of `frames` frames whose every frame tells where it is: a level per bar plus a
/// ripple (`sign` tells versions apart).
fn stem(frames: u64, sign: f32) -> Vec<[f32; 2]> {
    (0..frames)
        .map(|i| {
            let v = sign * (0.05 + 0.04 * (i / BAR) as f32 + 0.01 * (i as f32 * 0.013).sin());
            [v, v]
        })
        .collect()
}

fn write_stem(dir: &Path, name: &str, frames: u64, sign: f32) {
    wav::write_wav(
        &dir.join(name),
        &stem(frames, sign),
        SR,
        wav::WavFormat::Float32,
        None,
    )
    .unwrap();
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "bevy-leitmotif-reload-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the test saw: bars (global bar, cue bar, frame), cues started (cue, frame),
/// transitions started (from, to, frame).
#[derive(Resource, Default)]
struct Seen {
    bars: Vec<(u32, u32, u64)>,
    cues: Vec<(String, u64)>,
    transitions: Vec<(String, String, u64)>,
}

fn record(
    mut seen: ResMut<Seen>,
    mut bars: MessageReader<Bar>,
    mut cues: MessageReader<CueStarted>,
    mut transitions: MessageReader<TransitionStarted>,
) {
    for b in bars.read() {
        let p = b.position;
        seen.bars.push((p.bar, p.cue_bar, p.frame));
    }
    for c in cues.read() {
        seen.cues.push((c.cue.clone(), c.position.frame));
    }
    for t in transitions.read() {
        seen.transitions
            .push((t.from.clone(), t.to.clone(), t.position.frame));
    }
}

/// An app playing `score.ron` from `dir` with the offline backend, capturing the output.
fn app(dir: &Path) -> (App, Handle<ScoreAsset>) {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        StatesPlugin,
        AssetPlugin {
            file_path: dir.to_string_lossy().into_owned(),
            // One reload per edit: the one the test asks for.
            watch_for_changes_override: Some(false),
            ..default()
        },
        LeitmotifPlugin {
            backend: Backend::Offline,
            ..default()
        },
    ))
    .init_resource::<Seen>()
    .insert_resource(MusicCapture::default())
    .add_systems(Update, record.after(LeitmotifSystems::Events));
    let handle = app
        .world()
        .resource::<AssetServer>()
        .load::<ScoreAsset>("score.ron");
    app.world().resource::<Music>().play(handle.clone());
    update_until(&mut app, "the score to load", |m| m.is_playing());
    (app, handle)
}

fn update_until(app: &mut App, what: &str, mut done: impl FnMut(&Music) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(app.world().resource::<Music>()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.update();
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn music(app: &App) -> &Music {
    app.world().resource::<Music>()
}

/// Writes a new version of the score and has the asset server reload it; returns once it
/// plays.
fn reload(app: &mut App, dir: &Path, src: &str, name: &str) {
    std::fs::write(dir.join("score.ron"), src).unwrap();
    app.world().resource::<AssetServer>().reload("score.ron");
    update_until(app, "the reloaded score", |m| {
        m.score().is_some_and(|s| s.name == name)
    });
}

/// The new score, as loaded, rendered offline from the top with `initial` as its first cue.
fn render_from_top(
    app: &App,
    handle: &Handle<ScoreAsset>,
    initial: &str,
    frames: u64,
) -> Vec<[f32; 2]> {
    let asset = app
        .world()
        .resource::<Assets<ScoreAsset>>()
        .get(handle)
        .expect("loaded")
        .clone();
    let mut score: Score = (*asset.score).clone();
    score.initial_cue = initial.to_string();
    leitmotif_engine::render(
        Arc::new(score),
        asset.bank.clone(),
        &[],
        &RenderOptions {
            frames,
            ..Default::default()
        },
    )
    .mix
}

/// The first frame in `from..to` at which the capture differs from `expected` (whose frame
/// `from` is `at`) by more than a hair.
fn first_mismatch(
    captured: &[[f32; 2]],
    expected: &[[f32; 2]],
    from: u64,
    at: u64,
    to: u64,
) -> Option<(u64, f32, f32)> {
    (from..to).find_map(|f| {
        let c = captured[f as usize][0];
        let e = expected[(at + f - from) as usize][0];
        ((c - e).abs() > 1e-5).then_some((f, c, e))
    })
}

/// Bars are numbered on, one every `BAR` from frame 0: none lost, doubled or restarted.
fn assert_bars_go_on(seen: &Seen) {
    for (i, &(bar, _, frame)) in seen.bars.iter().enumerate() {
        assert_eq!(
            (bar, frame),
            (i as u32 + 1, i as u64 * BAR),
            "bars: {:?}",
            seen.bars
        );
    }
}

fn night_score(name: &str, initial: &str, pickup: u32, file: &str) -> String {
    format!(
        r#"Score(
    name: "{name}",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "{initial}",
    cues: [
        (name: "day", bars: 2, layers: [(name: "sun", source: Silence)]),
        (name: "night", bars: 4, pickup_beats: {pickup},
         layers: [(name: "click", source: File("{file}"))]),
    ],
    transitions: [(from: "*", to: "*", sync: NextBar)],
)
"#
    )
}

#[test]
fn a_reload_in_bar_3_of_a_loop_takes_over_at_bar_4_of_the_same_cue_and_loops_on() {
    let dir = temp_dir("position");
    write_stem(&dir, "night1.wav", 4 * BAR, 1.0);
    write_stem(&dir, "night2.wav", BEAT + 4 * BAR, -1.0);
    std::fs::write(
        dir.join("score.ron"),
        night_score("Night v1", "night", 0, "night1.wav"),
    )
    .unwrap();
    let (mut app, handle) = app(&dir);
    update_until(&mut app, "bar 3", |m| m.clock() > 2 * BAR + 8_000);
    // The edit gives the cue a 1-beat pickup and new stems, and makes another cue the initial
    // one: the playing cue goes on at the bar the switch lands on, its stems that far in.
    let v2 = night_score("Night v2", "day", 1, "night2.wav");
    reload(&mut app, &dir, &v2, "Night v2");
    update_until(&mut app, "bar 6", |m| m.clock() > 5 * BAR + BAR / 2);
    assert_eq!(music(&app).current_cue(), Some("night"));

    let seen = app.world().resource::<Seen>();
    assert_bars_go_on(seen);
    let cue_bars: Vec<u32> = seen.bars.iter().map(|b| b.1).collect();
    assert_eq!(
        &cue_bars[..6],
        &[1, 2, 3, 4, 1, 2],
        "the switch at bar 4 plays the loop's bar 4, then wraps: {:?}",
        seen.bars
    );
    assert_eq!(
        seen.cues,
        vec![("night".to_string(), 0)],
        "the cue does not start again"
    );

    // From the switch (bar 4, frame 3 BAR) on, the output is the new score's night from its
    // bar 4 — a pickup plus three bars into its stem — through the loop seam into bar 1 of the
    // next pass (whose pickup overlaps bar 4's last beat).
    let captured = app.world().resource::<MusicCapture>().frames.clone();
    let v1 = stem(4 * BAR, 1.0);
    let sw = 3 * BAR;
    assert!(
        (captured[(sw - 10) as usize][0] - v1[(sw - 10) as usize][0]).abs() < 1e-5,
        "the old version plays up to the switch"
    );
    let expected = render_from_top(&app, &handle, "night", BEAT + 6 * BAR);
    let end = captured.len() as u64;
    assert!(end > 5 * BAR + BAR / 4);
    assert_eq!(
        first_mismatch(
            &captured,
            &expected,
            sw + SWITCH_FADE,
            BEAT + 3 * BAR + SWITCH_FADE,
            end
        ),
        None,
        "(frame, captured, expected): the new score from its bar 4"
    );
}

/// `day` (2 bars) and `night` (4 bars) with stems, a 2-bar segment between them, and the rule
/// from day to night: `sync`, through the segment when `segment` is set.
fn bridge_score(name: &str, sync: &str, segment: bool, night: &str) -> String {
    let bridge = if segment {
        r#", bridge: Segment("dusk")"#
    } else {
        ""
    };
    format!(
        r#"Score(
    name: "{name}",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "day",
    cues: [
        (name: "day", bars: 4, layers: [(name: "sun", source: File("day.wav"))]),
        (name: "night", bars: 4, layers: [(name: "click", source: File("{night}"))]),
    ],
    segments: [(name: "dusk", bars: 2, layers: [(name: "fall", source: Silence)])],
    transitions: [
        (from: "day", to: "night", sync: {sync}{bridge}),
        (from: "*", to: "*", sync: NextBar),
    ],
)
"#
    )
}

/// Checks that after a reload during a move from day to night (night's bar 1 at `arrival`)
/// the music went on to night and never went back to day: the switch waited for night to
/// land and took place on its bar 1 (the first bar line of the target once the transition is
/// over), where the new score's night plays from its bar 1.
fn assert_landed_in_night(app: &App, handle: &Handle<ScoreAsset>, arrival: u64) {
    assert_eq!(music(app).current_cue(), Some("night"));
    let seen = app.world().resource::<Seen>();
    assert_bars_go_on(seen);
    assert_eq!(
        seen.cues,
        vec![("day".to_string(), 0), ("night".to_string(), arrival)],
        "night starts once, day never again"
    );
    assert_eq!(seen.transitions.len(), 1, "{:?}", seen.transitions);
    let night_bars: Vec<u32> = seen
        .bars
        .iter()
        .filter(|b| b.2 >= arrival)
        .map(|b| b.1)
        .collect();
    assert_eq!(&night_bars[..3], &[1, 2, 3], "{:?}", seen.bars);
    let captured = app.world().resource::<MusicCapture>().frames.clone();
    let expected = render_from_top(app, handle, "night", 3 * BAR);
    let end = (captured.len() as u64).min(arrival + 2 * BAR);
    assert!(end > arrival + BAR);
    assert_eq!(
        first_mismatch(
            &captured,
            &expected,
            arrival + SWITCH_FADE,
            SWITCH_FADE,
            end
        ),
        None,
        "(frame, captured, expected): the new score's night from its bar 1"
    );
}

#[test]
fn a_reload_during_a_bridge_switches_on_the_target_once_it_has_landed() {
    let dir = temp_dir("bridge");
    write_stem(&dir, "day.wav", 4 * BAR, 0.5);
    write_stem(&dir, "night1.wav", 4 * BAR, 1.0);
    write_stem(&dir, "night2.wav", 4 * BAR, -1.0);
    std::fs::write(
        dir.join("score.ron"),
        bridge_score("Dusk v1", "NextBar", true, "night1.wav"),
    )
    .unwrap();
    let (mut app, handle) = app(&dir);
    update_until(&mut app, "half a bar", |m| m.clock() > BAR / 2);
    music(&app).request_cue("night");
    // Day leaves on bar 2, the segment plays bars 2 and 3, night's bar 1 is bar 4.
    update_until(&mut app, "the segment", |m| m.clock() > BAR + BAR / 4);
    assert_eq!(
        app.world().resource::<Seen>().transitions.len(),
        1,
        "the bridge plays"
    );
    let v2 = bridge_score("Dusk v2", "NextBar", true, "night2.wav");
    reload(&mut app, &dir, &v2, "Dusk v2");
    update_until(&mut app, "bar 6", |m| m.clock() > 5 * BAR + BAR / 2);
    assert_landed_in_night(&app, &handle, 3 * BAR);
}

#[test]
fn a_reload_while_a_transition_waits_for_its_sync_point_keeps_the_transition() {
    let dir = temp_dir("pending");
    write_stem(&dir, "day.wav", 4 * BAR, 0.5);
    write_stem(&dir, "night1.wav", 4 * BAR, 1.0);
    write_stem(&dir, "night2.wav", 4 * BAR, -1.0);
    std::fs::write(
        dir.join("score.ron"),
        bridge_score("Wait v1", "EndOfLoop", false, "night1.wav"),
    )
    .unwrap();
    let (mut app, handle) = app(&dir);
    update_until(&mut app, "half a bar", |m| m.clock() > BAR / 2);
    // Day goes to night at the end of its 4-bar loop: night's bar 1 is bar 5.
    music(&app).request_cue("night");
    update_until(&mut app, "bar 2", |m| m.clock() > BAR + BAR / 4);
    assert!(
        music(&app).snapshot().pending.is_some(),
        "the transition waits for its sync point"
    );
    let v2 = bridge_score("Wait v2", "EndOfLoop", false, "night2.wav");
    reload(&mut app, &dir, &v2, "Wait v2");
    update_until(&mut app, "bar 7", |m| m.clock() > 6 * BAR + BAR / 2);
    assert_landed_in_night(&app, &handle, 4 * BAR);
}

/// One bar at 60 bpm in 4/4: long cues, to outlast the switch's 30 s wait.
const SLOW_BAR: u64 = 192_000;

/// At 60 bpm: `day` (`day_bars`), `night` (2 bars), a `segment` of `segment_bars`, day to
/// night by `sync` (through the segment when it has bars).
fn slow_score(name: &str, day_bars: u32, sync: &str, segment_bars: u32) -> String {
    let bridge = if segment_bars > 0 {
        r#", bridge: Segment("long")"#
    } else {
        ""
    };
    let bars = segment_bars.max(1);
    format!(
        r#"Score(
    name: "{name}",
    tempo: (bpm: 60.0, meter: (4, 4)),
    initial_cue: "day",
    cues: [
        (name: "day", bars: {day_bars}, layers: [(name: "sun", source: Silence)]),
        (name: "night", bars: 2, layers: [(name: "moon", source: Silence)]),
    ],
    segments: [(name: "long", bars: {bars}, layers: [(name: "fall", source: Silence)])],
    transitions: [
        (from: "day", to: "night", sync: {sync}{bridge}),
        (from: "*", to: "*", sync: NextBar),
    ],
)
"#
    )
}

/// Every bar number once, in order, whatever the grid did at the switch.
fn assert_bars_counted_on(seen: &Seen) {
    for (i, b) in seen.bars.iter().enumerate() {
        assert_eq!(b.0, i as u32 + 1, "bars: {:?}", seen.bars);
    }
}

#[test]
fn at_the_switch_deadline_a_pending_transition_is_asked_of_the_new_score() {
    let dir = temp_dir("deadline-pending");
    std::fs::write(
        dir.join("score.ron"),
        slow_score("Long v1", 16, "EndOfLoop", 0),
    )
    .unwrap();
    let (mut app, _) = app(&dir);
    update_until(&mut app, "half a second", |m| m.clock() > SR as u64 / 2);
    // Day leaves at the end of its 16-bar loop (64 s): longer than the switch waits.
    music(&app).request_cue("night");
    update_until(&mut app, "two seconds", |m| m.clock() > 2 * SR as u64);
    reload(
        &mut app,
        &dir,
        &slow_score("Long v2", 16, "EndOfLoop", 0),
        "Long v2",
    );
    let clock = music(&app).clock();
    assert!(
        clock > 30 * SR as u64 && clock < 16 * SLOW_BAR,
        "switched at the deadline, before the transition (clock {clock})"
    );
    assert_eq!(music(&app).current_cue(), Some("day"), "day goes on");
    update_until(&mut app, "night", |m| m.clock() > 16 * SLOW_BAR + SLOW_BAR);
    assert_eq!(music(&app).current_cue(), Some("night"));
    let seen = app.world().resource::<Seen>();
    assert_eq!(
        seen.cues,
        vec![("day".to_string(), 0), ("night".to_string(), 16 * SLOW_BAR)],
        "the new score made the transition where the old one would have"
    );
    assert_bars_counted_on(seen);
    for (i, b) in seen.bars.iter().enumerate() {
        assert_eq!(
            b.2,
            i as u64 * SLOW_BAR,
            "the grid went on: {:?}",
            seen.bars
        );
    }
}

#[test]
fn at_the_switch_deadline_during_a_long_segment_the_new_score_starts_the_target() {
    let dir = temp_dir("deadline-segment");
    std::fs::write(
        dir.join("score.ron"),
        slow_score("Seg v1", 2, "NextBar", 10),
    )
    .unwrap();
    let (mut app, _) = app(&dir);
    update_until(&mut app, "half a second", |m| m.clock() > SR as u64 / 2);
    // Day leaves on bar 2 (4 s) into a 10-bar segment: night's bar 1 would be at 44 s.
    music(&app).request_cue("night");
    update_until(&mut app, "the segment", |m| m.clock() > 6 * SR as u64);
    reload(
        &mut app,
        &dir,
        &slow_score("Seg v2", 2, "NextBar", 10),
        "Seg v2",
    );
    assert_eq!(music(&app).current_cue(), Some("night"));
    update_until(&mut app, "46 s", |m| m.clock() > 46 * SR as u64);
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.cues.len(), 2, "{:?}", seen.cues);
    let (cue, at) = &seen.cues[1];
    assert_eq!(cue, "night");
    assert!(
        *at > 30 * SR as u64 && *at < 11 * SLOW_BAR,
        "night starts from its bar 1 at the switch, not at the segment's end: {at}"
    );
    assert_bars_counted_on(seen);
    let first_night_bar = seen.bars.iter().find(|b| b.2 >= *at).unwrap();
    assert_eq!(
        (first_night_bar.1, first_night_bar.2),
        (1, *at),
        "{:?}",
        seen.bars
    );
    assert_eq!(music(&app).current_cue(), Some("night"));
}

/// `StemUnreadable` messages seen.
#[derive(Resource, Default)]
struct Faults(Vec<StemUnreadable>);

fn record_faults(mut faults: ResMut<Faults>, mut read: MessageReader<StemUnreadable>) {
    faults.0.extend(read.read().cloned());
}

/// A streamed stem deleted while a hot reload is on its way: the reload is refused with the
/// file named (the music keeps the version that plays), and when the old score then starts the
/// cue whose file is gone, its preload plays, then silence, a `StemUnreadable` message names
/// the file — and the bar grid goes on as before. Nothing panics.
#[test]
fn a_stem_deleted_during_a_hot_reload_is_named_and_the_music_goes_on() {
    let dir = temp_dir("deleted");
    write_stem(&dir, "night.wav", 8 * BAR, 1.0);
    let src = |name: &str| {
        format!(
            r#"Score(
    name: "{name}",
    tempo: (bpm: 120.0, meter: (4, 4)),
    initial_cue: "day",
    cues: [
        (name: "day", bars: 2, layers: [(name: "sun", source: Silence)]),
        (name: "night", bars: 8, layers: [(name: "click", source: File("night.wav"), load: Stream)]),
    ],
    transitions: [(from: "*", to: "*", sync: NextBar)],
)
"#
        )
    };
    std::fs::write(dir.join("score.ron"), src("v1")).unwrap();
    let (mut app, _) = app(&dir);
    app.init_resource::<Faults>()
        .add_systems(Update, record_faults.after(LeitmotifSystems::Events));
    update_until(&mut app, "a bar of day", |m| m.clock() > BAR);

    std::fs::remove_file(dir.join("night.wav")).unwrap();
    std::fs::write(dir.join("score.ron"), src("v2")).unwrap();
    app.world().resource::<AssetServer>().reload("score.ron");
    update_until(&mut app, "the reload to fail", |m| m.last_error().is_some());
    let refused = music(&app).last_error().unwrap().to_string();
    assert!(
        refused.contains("night.wav"),
        "the refusal names the deleted file: {refused}"
    );
    assert_eq!(music(&app).score().unwrap().name, "v1", "v1 plays on");

    music(&app).request_cue("night");
    update_until(&mut app, "night to start", |m| {
        m.current_cue() == Some("night")
    });
    let started = {
        let seen = app.world().resource::<Seen>();
        seen.cues.iter().rfind(|(c, _)| c == "night").map(|c| c.1)
    };
    let started = started.expect("a CueStarted for night");
    update_until(&mut app, "two bars of night", |m| {
        m.clock() > started + 2 * BAR
    });
    let faults = &app.world().resource::<Faults>().0;
    assert_eq!(faults.len(), 1, "one report of the lost file: {faults:?}");
    assert!(
        faults[0].path.ends_with("night.wav") && faults[0].stem_seconds < 1.0,
        "{:?}",
        faults[0]
    );
    assert!(faults[0].position.frame >= started - BAR);
    let heard = &app.world().resource::<MusicCapture>().frames;
    let loud = |from: u64, to: u64| {
        heard[from as usize..to as usize]
            .iter()
            .fold(0.0f32, |m, f| m.max(f[0].abs()))
    };
    // The preload (the first half second) sounds; after it, silence where the file is gone.
    assert!(
        loud(started, started + SR as u64 / 4) > 0.04,
        "the preload plays"
    );
    assert_eq!(
        loud(started + SR as u64 * 6 / 10, started + 2 * BAR),
        0.0,
        "silence where the file is missing"
    );
    // The grid did not move: every bar is a bar apart, through the fault.
    let seen = app.world().resource::<Seen>();
    assert_bars_go_on(seen);
    assert!(seen.bars.iter().any(|b| b.2 > started + BAR));
}
