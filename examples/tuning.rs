//! Demonstrates tuning a score live: a slider per parameter, a button per cue and stinger, a
//! slider per mix snapshot, the real levels the audio side measures (each layer's and each
//! bus's peak and RMS in dBFS, a sidechain's gain reduction, the output's peak, RMS and EBU R128
//! loudness, the mixer's overload counters), the bar and beat as heard, the pending transition,
//! and hot reload of the score file.
//!
//! ```text
//! cargo run -p leitmotif_examples --example tuning                      # scores/stealth.score.ron
//! cargo run -p leitmotif_examples --example tuning -- noir.score.ron    # any score in scores/
//! ```
//!
//! Edit the score file while it plays: the new version takes over at the next bar (a broken
//! edit is shown with its `file:line:column` and the old version keeps playing).
//!
//! Mouse: drag a slider (a parameter, or a snapshot's intensity: blended in 0.2 s), click a cue
//! or a stinger. Keys: Up/Down pick a parameter, Left/Right change it (Shift: finer), 1-9
//! request a cue, F1-F9 fire a stinger, a snapshot's initial letter toggles it over its own
//! blend time (stealth: `P` pause, `U` underwater), Esc quits.
//!
//! The meters are measured on the audio side (the plugin's `meters: true`) and read once a
//! frame: a layer meter is its layer name's stem (layers of the same name share one, so a cue's
//! row is lit only while that cue's voice plays; the small number beside it is the voice's
//! planned gain), a bus meter is the bus's output after its effects, duck and fader.
//!
//! `LEITMOTIF_SCREENSHOT=shot.png` saves a screenshot 3 s after the music starts (another
//! delay with `LEITMOTIF_SCREENSHOT_AFTER=seconds`) and exits; `LEITMOTIF_DEMO=1` moves the
//! sliders, blends a snapshot in and out and fires a stinger by itself.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bevy::asset::AssetEvent;
use bevy::color::Mix;
use bevy::prelude::*;
use bevy::ui::RelativeCursorPosition;
use bevy::window::WindowResolution;
use bevy_leitmotif::prelude::*;
use leitmotif_core::Score;
use leitmotif_core::conductor::SourceRef;
use leitmotif_core::score::Source;

/// Folder the scores are read (and watched) from.
const SCORES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scores");

const BACKGROUND: Color = Color::srgb(0.055, 0.063, 0.082);
const PANEL: Color = Color::srgb(0.09, 0.102, 0.133);
const PANEL_BORDER: Color = Color::srgb(0.16, 0.18, 0.23);
const TRACK: Color = Color::srgb(0.14, 0.157, 0.2);
const TEXT: Color = Color::srgb(0.86, 0.89, 0.93);
const DIM: Color = Color::srgb(0.5, 0.55, 0.63);
const ACCENT: Color = Color::srgb(0.31, 0.82, 0.77);
const AMBER: Color = Color::srgb(0.96, 0.68, 0.33);
const RED: Color = Color::srgb(0.96, 0.4, 0.4);
const BUTTON: Color = Color::srgb(0.15, 0.17, 0.22);
const BUTTON_HOVER: Color = Color::srgb(0.2, 0.23, 0.3);

/// The scale of every level meter: -60 dBFS at the left end, +6 dBFS at the right (so an
/// over shows past the 0 dBFS tick). Loudness (LUFS) is drawn on the same numbers.
const FLOOR_DB: f32 = -60.0;
const CEIL_DB: f32 = 6.0;
/// The ticks of the master scale, in dBFS.
const MASTER_TICKS: [f32; 7] = [-48.0, -36.0, -24.0, -18.0, -12.0, -6.0, 0.0];
/// The ticks labelled under the master meter.
const SCALE_LABELS: [f32; 5] = [-48.0, -36.0, -24.0, -12.0, 0.0];
/// A sidechain's gain reduction bar: 0 dB at the left, this at the right.
const DUCK_RANGE_DB: f32 = 12.0;
/// The captions of the meters, so nobody takes a planned gain for a level.
const LAYERS_NOTE: &str = "measured stem of each layer name (same-named layers share one; lit while this cue's voice plays): bar RMS, light bar peak, tick and number peak hold (dBFS); grey number: planned gain (dB)";
const MASTER_NOTE: &str =
    "measured output, before the master volume: peak/RMS (dBFS), EBU R128 loudness (LUFS)";
const BUSES_NOTE: &str =
    "measured after effects, duck and fader: peak hold (dBFS), amber: sidechain gain reduction";
const SNAPSHOTS_NOTE: &str = "bar: intensity asked  |  white line, number: in force";
/// How fast a shown peak falls back (dB per second) and how long its hold line stays (also
/// how long the deepest duck is shown).
const PEAK_FALL_DB_PER_S: f32 = 20.0;
const PEAK_HOLD_S: f32 = 1.5;
/// Time constant of a shown RMS (seconds).
const RMS_TAU_S: f32 = 0.3;
/// Blend time of a snapshot slider's drag (seconds).
const SLIDER_BLEND_S: f32 = 0.2;

fn main() {
    let file = std::env::args()
        .nth(1)
        .map(|a| a.trim_start_matches("scores/").to_string())
        .unwrap_or_else(|| "stealth.score.ron".into());

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("Leitmotif tuning - {file}"),
                    resolution: WindowResolution::new(1280, 720),
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin {
                file_path: SCORES.into(),
                watch_for_changes_override: Some(true),
                ..default()
            }),
    )
    .add_plugins(LeitmotifPlugin {
        meters: true,
        ..default()
    })
    .insert_resource(ClearColor(BACKGROUND))
    .insert_resource(ScoreFile(file))
    .init_resource::<Built>()
    .init_resource::<Selected>()
    .init_resource::<Transport>()
    .init_resource::<EventLog>()
    .init_resource::<Meters>()
    .init_resource::<Asked>()
    .add_systems(Startup, setup)
    .add_systems(
        Update,
        (keyboard, buttons, sliders, demo).in_set(LeitmotifSystems::Input),
    )
    .add_systems(
        Update,
        (
            rebuild,
            rebuild_buses,
            read_events,
            measure,
            show_parameters,
            show_snapshots,
            show_levels,
            show_overloads,
            show_transport,
            show_error,
            show_cue_buttons,
            show_log,
            hover,
        )
            .chain()
            .after(LeitmotifSystems::Events),
    );
    screenshot::add(&mut app);
    app.run();
}

/// The score file, relative to `scores/`.
#[derive(Resource)]
struct ScoreFile(String);

/// The score the panels were built for.
#[derive(Resource, Default)]
struct Built(Option<Arc<Score>>);

/// The parameter the arrow keys change.
#[derive(Resource, Default)]
struct Selected(usize);

/// What the music clock last reported.
#[derive(Resource)]
struct Transport {
    bar: u32,
    beat: u32,
    /// `Time::elapsed_secs` of the last beat (for the flash).
    beat_at: f32,
    /// Whether the last beat was a downbeat.
    downbeat: bool,
    reloads: u32,
    /// The transition under way: from its `TransitionStarted` until its cue starts (after
    /// any bridge).
    moving: Option<(String, String)>,
    /// When each stinger last sounded (`Time::elapsed_secs`) and its variation (all of
    /// them share the `stingers` stem: the one-shots card names the last one).
    stingers: HashMap<String, (f32, u16)>,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            bar: 0,
            beat: 0,
            beat_at: -10.0,
            downbeat: false,
            reloads: 0,
            moving: None,
            stingers: HashMap::new(),
        }
    }
}

/// The last music events, newest first.
#[derive(Resource, Default)]
struct EventLog(VecDeque<(String, Color)>);

/// The node the score-dependent panels are rebuilt under.
#[derive(Component)]
struct Content;

#[derive(Component)]
struct ParamRow(usize);
#[derive(Component)]
struct ParamSlider(usize);
#[derive(Component)]
struct ParamFill(usize);
#[derive(Component)]
struct ParamHeard(usize);
#[derive(Component)]
struct ParamValue(usize);
#[derive(Component)]
struct ParamStep(usize, f32);
#[derive(Component)]
struct CueButton(usize);
#[derive(Component)]
struct StingerButton(usize);
#[derive(Component)]
struct CueCard(usize);
#[derive(Component)]
struct CueBadge(usize);

/// A row of a layer card: what its meter shows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Meter {
    /// A cue's layer (its layer name's stem, while that cue's voice plays).
    Layer(u16, u16),
    /// A segment (its layers' stems, while it plays).
    Segment(u16),
    /// The stingers' stem.
    Stingers,
    /// The composed bridges' stem.
    Bridges,
}

/// Where a level comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Src {
    /// The output (`MusicSnapshot::peak`/`rms`).
    Master,
    /// The output's short-term (3 s) loudness.
    ShortTerm,
    /// The output's momentary (400 ms) loudness.
    Momentary,
    /// A layer card's row.
    Row(Meter),
    /// A bus, by its place in `MusicSnapshot::bus_levels`.
    Bus(u16),
}

/// What part of a level a bar or a readout shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    /// The RMS (or the loudness).
    Level,
    /// The falling peak (bars) or the peak hold (readouts).
    Peak,
    /// The peak hold line.
    Hold,
    /// A sidechain's gain reduction (bar: now; readout: the deepest of the last moments).
    Duck,
    /// The planned gain of a row's voices (readout).
    Gain,
    /// A row's name: bright while it plays.
    Name,
}

/// A bar (or line) of a meter: its width (or position) follows the level.
#[derive(Component)]
struct Bar {
    src: Src,
    show: Show,
    /// The fill's opacity (the peak is drawn faintly behind the RMS).
    alpha: f32,
}

/// A meter's number.
#[derive(Component)]
struct Readout {
    src: Src,
    show: Show,
    unit: &'static str,
}

/// The node the bus meters are rebuilt under (from the names the audio side reports).
#[derive(Component)]
struct BusRows;

/// A sidechain's key bus, shown beside its gain reduction while it does not duck.
#[derive(Component)]
struct DuckKey(String);

/// The text of the one-shots card naming the last stinger.
#[derive(Component)]
struct LastStinger;

#[derive(Component)]
struct SnapSlider(usize);
#[derive(Component)]
struct SnapFill(usize);
#[derive(Component)]
struct SnapLine(usize);
#[derive(Component)]
struct SnapValue(usize);

/// The overload counters (shown while one is non-zero) and the audio thread's failure.
#[derive(Component)]
struct OverloadLine;

/// The intensity asked for each snapshot, by name (kept across reloads, as the plugin does).
#[derive(Resource, Default)]
struct Asked(HashMap<String, f32>);

/// Asks for a snapshot's intensity (over its own blend time when `seconds` is `None`).
fn ask(music: &Music, asked: &mut Asked, name: &str, intensity: f32, seconds: Option<f32>) {
    let intensity = intensity.clamp(0.0, 1.0);
    music.set_snapshot(name, intensity, seconds);
    asked.0.insert(name.to_string(), intensity);
}

fn asked_of(asked: &Asked, name: &str) -> f32 {
    asked.0.get(name).copied().unwrap_or(0.0)
}

#[derive(Component)]
struct BeatDot(u32);
/// The transport and status texts.
#[derive(Component, Clone, Copy, PartialEq)]
enum Label {
    Position,
    Cue,
    Pending,
    Status,
}
#[derive(Component)]
struct LogLine(usize);
#[derive(Component)]
struct TransportPanel;
#[derive(Component)]
struct ErrorBanner;
#[derive(Component)]
struct ErrorText;

fn text(value: impl Into<String>, size: f32, color: Color) -> impl Bundle {
    (
        Text::new(value),
        TextFont::from_font_size(size),
        TextColor(color),
    )
}

/// A titled panel; `grow` makes it take the space left in its column or row.
fn panel(title: &str, grow: bool) -> impl Bundle {
    (
        Node {
            flex_direction: FlexDirection::Column,
            flex_grow: if grow { 1.0 } else { 0.0 },
            padding: UiRect::all(Val::Px(12.0)),
            row_gap: Val::Px(8.0),
            border: UiRect::all(Val::Px(1.0)),
            border_radius: BorderRadius::all(Val::Px(6.0)),
            overflow: Overflow::clip(),
            ..default()
        },
        BackgroundColor(PANEL),
        BorderColor::all(PANEL_BORDER),
        children![text(title.to_uppercase(), 13.0, DIM)],
    )
}

fn button(label: &str, width: Val) -> impl Bundle {
    (
        Button,
        Node {
            width,
            height: Val::Px(30.0),
            padding: UiRect::horizontal(Val::Px(10.0)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            border: UiRect::all(Val::Px(1.0)),
            border_radius: BorderRadius::all(Val::Px(4.0)),
            ..default()
        },
        BackgroundColor(BUTTON),
        BorderColor::all(PANEL_BORDER),
        children![text(label, 14.0, TEXT)],
    )
}

fn setup(
    mut commands: Commands,
    server: Res<AssetServer>,
    file: Res<ScoreFile>,
    music: Res<Music>,
) {
    music.play(server.load(file.0.clone()));
    commands.spawn(Camera2d);

    commands.spawn((
        Node {
            width: Val::Percent(100.0),
            height: Val::Percent(100.0),
            flex_direction: FlexDirection::Column,
            padding: UiRect::all(Val::Px(12.0)),
            row_gap: Val::Px(10.0),
            ..default()
        },
        children![
            // Header: title, file, status.
            (
                Node {
                    justify_content: JustifyContent::SpaceBetween,
                    align_items: AlignItems::End,
                    ..default()
                },
                children![
                    (
                        Node {
                            column_gap: Val::Px(14.0),
                            align_items: AlignItems::End,
                            ..default()
                        },
                        children![
                            text("LEITMOTIF", 22.0, ACCENT),
                            text("score tuning", 16.0, DIM),
                            text(format!("scores/{}", file.0), 16.0, TEXT),
                        ],
                    ),
                    (text("loading...", 14.0, DIM), Label::Status),
                ],
            ),
            // A failed reload, while there is one.
            (
                Node {
                    display: Display::None,
                    padding: UiRect::axes(Val::Px(14.0), Val::Px(8.0)),
                    border: UiRect::all(Val::Px(1.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    ..default()
                },
                BackgroundColor(RED.with_alpha(0.12)),
                BorderColor::all(RED),
                ErrorBanner,
                children![(text("", 14.0, RED), ErrorText)],
            ),
            // Transport.
            (
                Node {
                    padding: UiRect::axes(Val::Px(16.0), Val::Px(10.0)),
                    column_gap: Val::Px(28.0),
                    align_items: AlignItems::Center,
                    border: UiRect::all(Val::Px(1.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    ..default()
                },
                BackgroundColor(PANEL),
                BorderColor::all(PANEL_BORDER),
                TransportPanel,
                children![
                    (text("bar -  beat -", 26.0, TEXT), Label::Position),
                    (
                        Node {
                            column_gap: Val::Px(8.0),
                            ..default()
                        },
                        Children::spawn(SpawnIter((1..=8).map(|i| (
                            Node {
                                width: Val::Px(22.0),
                                height: Val::Px(22.0),
                                border_radius: BorderRadius::all(Val::Px(11.0)),
                                ..default()
                            },
                            BackgroundColor(TRACK),
                            BeatDot(i),
                        )))),
                    ),
                    (text("", 18.0, ACCENT), Label::Cue),
                    (text("", 16.0, AMBER), Label::Pending),
                ],
            ),
            // Score-dependent panels, built when the score (re)loads.
            (
                Node {
                    flex_grow: 1.0,
                    column_gap: Val::Px(10.0),
                    min_height: Val::Px(0.0),
                    ..default()
                },
                Content,
            ),
            text(
                "parameter: drag, Up/Down + Left/Right (Shift: fine)  |  cue: click, 1-9  |  stinger: click, F1-F9  |  snapshot: drag, its first letter  |  edit the score to hot reload",
                12.0,
                DIM,
            ),
        ],
    ));
}

/// Builds the panels for the playing score, again whenever a new version takes over.
fn rebuild(
    mut commands: Commands,
    music: Res<Music>,
    mut built: ResMut<Built>,
    mut selected: ResMut<Selected>,
    content: Single<Entity, With<Content>>,
) {
    let Some(score) = music.score() else {
        return;
    };
    if built.0.as_ref().is_some_and(|b| Arc::ptr_eq(b, score)) {
        return;
    }
    built.0 = Some(score.clone());
    selected.0 = selected.0.min(score.parameters.len().saturating_sub(1));
    let content = *content;
    commands.entity(content).despawn_children();

    let key_hint = |i: usize, prefix: &str| {
        if i < 9 {
            format!("{prefix}{} ", i + 1)
        } else {
            String::new()
        }
    };
    let snapshot_keys = snapshot_keys(score);

    commands.entity(content).with_children(|c| {
        // Left column: parameters, cues, stingers, snapshots, event log.
        c.spawn(Node {
            width: Val::Px(420.0),
            flex_shrink: 0.0,
            flex_direction: FlexDirection::Column,
            row_gap: Val::Px(8.0),
            ..default()
        })
        .with_children(|left| {
            left.spawn(panel("Parameters", false)).with_children(|p| {
                if score.parameters.is_empty() {
                    p.spawn(text("(this score has no parameters)", 14.0, DIM));
                }
                for (i, param) in score.parameters.iter().enumerate() {
                    p.spawn((
                        Node {
                            align_items: AlignItems::Center,
                            column_gap: Val::Px(8.0),
                            padding: UiRect::axes(Val::Px(6.0), Val::Px(2.0)),
                            border_radius: BorderRadius::all(Val::Px(4.0)),
                            ..default()
                        },
                        ParamRow(i),
                    ))
                    .with_children(|row| {
                        row.spawn((
                            Node {
                                width: Val::Px(80.0),
                                ..default()
                            },
                            children![text(param.name.clone(), 15.0, TEXT)],
                        ));
                        row.spawn((button("-", Val::Px(30.0)), ParamStep(i, -1.0)));
                        row.spawn(slider(ParamSlider(i), ParamFill(i), ParamHeard(i)));
                        row.spawn((button("+", Val::Px(30.0)), ParamStep(i, 1.0)));
                        row.spawn((
                            Node {
                                width: Val::Px(44.0),
                                justify_content: JustifyContent::End,
                                ..default()
                            },
                            children![(text("", 15.0, TEXT), ParamValue(i))],
                        ));
                    });
                }
                p.spawn(text(
                    "bar: value set   |   white line: value heard (seeking)",
                    12.0,
                    DIM,
                ));
            });

            left.spawn(panel("Cues  &  stingers", false))
                .with_children(|p| {
                    let wrap = Node {
                        flex_wrap: FlexWrap::Wrap,
                        column_gap: Val::Px(6.0),
                        row_gap: Val::Px(6.0),
                        ..default()
                    };
                    p.spawn(wrap.clone()).with_children(|w| {
                        for (i, cue) in score.cues.iter().enumerate() {
                            w.spawn((
                                button(&format!("{}{}", key_hint(i, ""), cue.name), Val::Auto),
                                CueButton(i),
                            ));
                        }
                    });
                    if score.stingers.is_empty() {
                        p.spawn(text("(this score has no stingers)", 13.0, DIM));
                    }
                    p.spawn(wrap).with_children(|w| {
                        for (i, stinger) in score.stingers.iter().enumerate() {
                            w.spawn((
                                button(&format!("{}{}", key_hint(i, "F"), stinger.name), Val::Auto),
                                StingerButton(i),
                            ));
                        }
                    });
                });

            left.spawn(panel("Snapshots", false)).with_children(|p| {
                if score.mix.snapshots.is_empty() {
                    p.spawn(text("(this score has no mix snapshots)", 14.0, DIM));
                }
                for (i, snap) in score.mix.snapshots.iter().enumerate() {
                    let key = snapshot_keys[i].map_or(String::new(), |(_, c)| format!("{c} "));
                    p.spawn(Node {
                        align_items: AlignItems::Center,
                        column_gap: Val::Px(8.0),
                        padding: UiRect::horizontal(Val::Px(6.0)),
                        ..default()
                    })
                    .with_children(|row| {
                        row.spawn((
                            Node {
                                width: Val::Px(118.0),
                                overflow: Overflow::clip(),
                                ..default()
                            },
                            children![text(format!("{key}{}", snap.name), 15.0, TEXT)],
                        ));
                        row.spawn(slider(SnapSlider(i), SnapFill(i), SnapLine(i)));
                        row.spawn((
                            Node {
                                width: Val::Px(44.0),
                                justify_content: JustifyContent::End,
                                ..default()
                            },
                            children![(text("", 15.0, TEXT), SnapValue(i))],
                        ));
                    });
                }
                if !score.mix.snapshots.is_empty() {
                    p.spawn(text(SNAPSHOTS_NOTE, 12.0, DIM));
                }
            });

            // The log takes the height left, and is cut rather than pushing the column out.
            left.spawn(panel("Events", true))
                .insert(Node {
                    flex_direction: FlexDirection::Column,
                    flex_grow: 1.0,
                    flex_basis: Val::Px(0.0),
                    min_height: Val::Px(0.0),
                    padding: UiRect::all(Val::Px(12.0)),
                    row_gap: Val::Px(4.0),
                    border: UiRect::all(Val::Px(1.0)),
                    border_radius: BorderRadius::all(Val::Px(6.0)),
                    overflow: Overflow::clip(),
                    ..default()
                })
                .with_children(|p| {
                    for i in 0..8 {
                        p.spawn((text("", 13.0, DIM), LogLine(i)));
                    }
                });
        });

        // Right: the measured output and buses side by side, then a card of layer meters per
        // cue, and one for stingers, segments and bridges.
        c.spawn(Node {
            flex_grow: 1.0,
            flex_direction: FlexDirection::Column,
            row_gap: Val::Px(8.0),
            min_width: Val::Px(0.0),
            ..default()
        })
        .with_children(|right| {
            right
                .spawn(Node {
                    column_gap: Val::Px(8.0),
                    flex_shrink: 0.0,
                    ..default()
                })
                .with_children(|top| {
                    top.spawn(panel("Master output", false))
                        .insert(Node {
                            width: Val::Percent(52.0),
                            flex_direction: FlexDirection::Column,
                            padding: UiRect::all(Val::Px(10.0)),
                            row_gap: Val::Px(5.0),
                            border: UiRect::all(Val::Px(1.0)),
                            border_radius: BorderRadius::all(Val::Px(6.0)),
                            overflow: Overflow::clip(),
                            ..default()
                        })
                        .with_children(master_meter);
                    top.spawn(panel("Buses", true))
                        .insert(Node {
                            flex_grow: 1.0,
                            flex_direction: FlexDirection::Column,
                            padding: UiRect::all(Val::Px(10.0)),
                            row_gap: Val::Px(5.0),
                            border: UiRect::all(Val::Px(1.0)),
                            border_radius: BorderRadius::all(Val::Px(6.0)),
                            overflow: Overflow::clip(),
                            min_width: Val::Px(0.0),
                            ..default()
                        })
                        .with_children(|p| {
                            p.spawn((
                                Node {
                                    flex_direction: FlexDirection::Column,
                                    row_gap: Val::Px(5.0),
                                    ..default()
                                },
                                BusRows,
                            ));
                            p.spawn(text(BUSES_NOTE, 11.0, DIM));
                        });
                });
            right
                .spawn(panel("Layers  -  measured", true))
                .with_children(|p| {
                    p.spawn(text(LAYERS_NOTE, 11.0, DIM));
                    p.spawn(Node {
                        flex_wrap: FlexWrap::Wrap,
                        column_gap: Val::Px(8.0),
                        row_gap: Val::Px(8.0),
                        align_items: AlignItems::Start,
                        ..default()
                    })
                    .with_children(|grid| {
                        for (ci, cue) in score.cues.iter().enumerate() {
                            let tempo = cue.tempo.as_ref().unwrap_or(&score.tempo);
                            let info = format!(
                                "{} bars  {} bpm  {}/{}{}",
                                cue.bars,
                                tempo.bpm,
                                tempo.meter.0,
                                tempo.meter.1,
                                if cue.looping { "" } else { "  one-shot" }
                            );
                            // Generated parts played live: their notes follow the tempo and the
                            // parameters (density, register, velocity, articulation curves).
                            let live: Vec<String> = cue
                                .layers
                                .iter()
                                .filter(|l| matches!(&l.source, Source::Generated(g) if g.live))
                                .map(|l| {
                                    let shaped = matches!(&l.source, Source::Generated(g)
                                        if g.live_curves().iter().any(Option::is_some));
                                    format!("{}{}", l.name, if shaped { "*" } else { "" })
                                })
                                .collect();
                            let info = if live.is_empty() {
                                info
                            } else {
                                let hint = if live.iter().any(|n| n.ends_with('*')) {
                                    "  (*: shaped by parameters)"
                                } else {
                                    ""
                                };
                                format!("{info}\nlive: {}{hint}", live.join(" "))
                            };
                            let rows: Vec<(String, Meter)> = cue
                                .layers
                                .iter()
                                .enumerate()
                                .map(|(li, l)| (l.name.clone(), Meter::Layer(ci as u16, li as u16)))
                                .collect();
                            card(grid, &cue.name, &info, rows, Some(ci));
                        }
                        let mut rows: Vec<(String, Meter)> = Vec::new();
                        if !score.stingers.is_empty() {
                            rows.push(("stingers".into(), Meter::Stingers));
                        }
                        rows.extend(
                            score
                                .segments
                                .iter()
                                .enumerate()
                                .map(|(i, s)| (s.name.clone(), Meter::Segment(i as u16))),
                        );
                        rows.push(("bridges".into(), Meter::Bridges));
                        card(grid, "one-shots", "", rows, None);
                    });
                });
        });
    });
}

/// A slider: a track to click or drag (`marker` names it), a fill (the value set) and a line
/// (the value in force).
fn slider(marker: impl Bundle, fill: impl Bundle, line: impl Bundle) -> impl Bundle {
    (
        Button,
        RelativeCursorPosition::default(),
        Node {
            flex_grow: 1.0,
            height: Val::Px(18.0),
            border_radius: BorderRadius::all(Val::Px(4.0)),
            ..default()
        },
        BackgroundColor(TRACK),
        marker,
        children![
            (
                Node {
                    width: Val::Percent(0.0),
                    height: Val::Percent(100.0),
                    border_radius: BorderRadius::all(Val::Px(4.0)),
                    ..default()
                },
                BackgroundColor(ACCENT.with_alpha(0.75)),
                fill,
            ),
            (
                Node {
                    position_type: PositionType::Absolute,
                    left: Val::Percent(0.0),
                    width: Val::Px(3.0),
                    top: Val::Px(-3.0),
                    bottom: Val::Px(-3.0),
                    ..default()
                },
                BackgroundColor(TEXT),
                line,
            ),
        ],
    )
}

/// The key of each snapshot of `score` (its initial letter, when no earlier snapshot took it).
fn snapshot_keys(score: &Score) -> Vec<Option<(KeyCode, char)>> {
    const LETTERS: [KeyCode; 26] = [
        KeyCode::KeyA,
        KeyCode::KeyB,
        KeyCode::KeyC,
        KeyCode::KeyD,
        KeyCode::KeyE,
        KeyCode::KeyF,
        KeyCode::KeyG,
        KeyCode::KeyH,
        KeyCode::KeyI,
        KeyCode::KeyJ,
        KeyCode::KeyK,
        KeyCode::KeyL,
        KeyCode::KeyM,
        KeyCode::KeyN,
        KeyCode::KeyO,
        KeyCode::KeyP,
        KeyCode::KeyQ,
        KeyCode::KeyR,
        KeyCode::KeyS,
        KeyCode::KeyT,
        KeyCode::KeyU,
        KeyCode::KeyV,
        KeyCode::KeyW,
        KeyCode::KeyX,
        KeyCode::KeyY,
        KeyCode::KeyZ,
    ];
    let mut taken = Vec::new();
    score
        .mix
        .snapshots
        .iter()
        .map(|s| {
            let c = s.name.chars().next()?.to_ascii_uppercase();
            if !c.is_ascii_uppercase() || taken.contains(&c) {
                return None;
            }
            taken.push(c);
            Some((LETTERS[(c as u8 - b'A') as usize], c))
        })
        .collect()
}

/// Where `db` sits on the meter scale, 0..1.
fn meter_x(db: f32) -> f32 {
    ((db - FLOOR_DB) / (CEIL_DB - FLOOR_DB)).clamp(0.0, 1.0)
}

/// A meter's track: the falling peak drawn faintly (when `peak`), the level (RMS or loudness)
/// over it, the `ticks`, and the peak hold line (when `peak`).
fn track(p: &mut ChildSpawnerCommands, src: Src, height: f32, peak: bool, ticks: &[f32]) {
    let fill = |show: Show, alpha: f32| {
        (
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(0.0),
                width: Val::Percent(0.0),
                height: Val::Percent(100.0),
                border_radius: BorderRadius::all(Val::Px(2.0)),
                ..default()
            },
            BackgroundColor(ACCENT.with_alpha(alpha)),
            Bar { src, show, alpha },
        )
    };
    p.spawn((
        Node {
            flex_grow: 1.0,
            height: Val::Px(height),
            border_radius: BorderRadius::all(Val::Px(2.0)),
            ..default()
        },
        BackgroundColor(TRACK),
    ))
    .with_children(|t| {
        if peak {
            t.spawn(fill(Show::Peak, 0.3));
        }
        t.spawn(fill(Show::Level, 1.0));
        ticks_and_hold(t, src, ticks, peak);
    });
}

/// A meter track's scale ticks (0 dB in red) and, when `hold`, its peak hold line.
fn ticks_and_hold(t: &mut ChildSpawnerCommands, src: Src, ticks: &[f32], hold: bool) {
    for &db in ticks {
        t.spawn((
            Node {
                position_type: PositionType::Absolute,
                left: Val::Percent(meter_x(db) * 100.0),
                width: Val::Px(1.0),
                height: Val::Percent(100.0),
                ..default()
            },
            BackgroundColor(if db == 0.0 {
                RED.with_alpha(0.7)
            } else {
                BACKGROUND.with_alpha(0.6)
            }),
        ));
    }
    if hold {
        t.spawn((
            Node {
                position_type: PositionType::Absolute,
                left: Val::Percent(0.0),
                width: Val::Px(2.0),
                top: Val::Px(-2.0),
                bottom: Val::Px(-2.0),
                display: Display::None,
                ..default()
            },
            BackgroundColor(TEXT),
            Bar {
                src,
                show: Show::Hold,
                alpha: 1.0,
            },
        ));
    }
}

/// A fixed-width box holding a right-aligned readout.
fn readout(p: &mut ChildSpawnerCommands, width: f32, size: f32, color: Color, readout: Readout) {
    p.spawn((
        Node {
            width: Val::Px(width),
            flex_shrink: 0.0,
            justify_content: JustifyContent::End,
            ..default()
        },
        children![(text("", size, color), readout)],
    ));
}

/// A fixed-width label.
fn label(p: &mut ChildSpawnerCommands, width: f32, name: impl Into<String>, size: f32) {
    p.spawn((
        Node {
            width: Val::Px(width),
            flex_shrink: 0.0,
            overflow: Overflow::clip(),
            ..default()
        },
        children![text(name, size, TEXT)],
    ));
}

/// The master meter: peak (with its hold) and RMS of the output in dBFS, its short-term and
/// momentary loudness in LUFS, a scale, and the overload line.
fn master_meter(p: &mut ChildSpawnerCommands) {
    let rows = [
        ("peak", Src::Master, Show::Peak, " dBFS"),
        ("rms", Src::Master, Show::Level, " dBFS"),
        ("LUFS S", Src::ShortTerm, Show::Level, " LUFS"),
        ("LUFS M", Src::Momentary, Show::Level, " LUFS"),
    ];
    for (name, src, show, unit) in rows {
        p.spawn(Node {
            align_items: AlignItems::Center,
            column_gap: Val::Px(8.0),
            ..default()
        })
        .with_children(|row| {
            label(row, 50.0, name, 13.0);
            // The peak row draws the falling peak solid, with its hold line.
            row.spawn((
                Node {
                    flex_grow: 1.0,
                    height: Val::Px(11.0),
                    border_radius: BorderRadius::all(Val::Px(2.0)),
                    ..default()
                },
                BackgroundColor(TRACK),
            ))
            .with_children(|t| {
                t.spawn((
                    Node {
                        position_type: PositionType::Absolute,
                        left: Val::Px(0.0),
                        width: Val::Percent(0.0),
                        height: Val::Percent(100.0),
                        border_radius: BorderRadius::all(Val::Px(2.0)),
                        ..default()
                    },
                    BackgroundColor(ACCENT),
                    Bar {
                        src,
                        show,
                        alpha: 1.0,
                    },
                ));
                ticks_and_hold(t, src, &MASTER_TICKS, show == Show::Peak);
            });
            readout(row, 86.0, 13.0, TEXT, Readout { src, show, unit });
        });
    }
    // The scale, under the bars.
    p.spawn(Node {
        column_gap: Val::Px(8.0),
        ..default()
    })
    .with_children(|row| {
        row.spawn(Node {
            width: Val::Px(50.0),
            flex_shrink: 0.0,
            ..default()
        });
        row.spawn(Node {
            flex_grow: 1.0,
            height: Val::Px(13.0),
            ..default()
        })
        .with_children(|scale| {
            for db in SCALE_LABELS {
                scale.spawn((
                    Node {
                        position_type: PositionType::Absolute,
                        left: Val::Percent(meter_x(db) * 100.0),
                        margin: UiRect::left(Val::Px(-8.0)),
                        ..default()
                    },
                    children![text(format!("{db:.0}"), 10.0, DIM)],
                ));
            }
        });
        row.spawn(Node {
            width: Val::Px(86.0),
            flex_shrink: 0.0,
            ..default()
        });
    });
    p.spawn((
        Node {
            display: Display::None,
            ..default()
        },
        text("", 12.0, AMBER),
        OverloadLine,
    ));
    p.spawn(text(MASTER_NOTE, 11.0, DIM));
}

/// Builds the bus meters when the audio side reports other bus names (a new score, or a new
/// version of it, has taken over).
fn rebuild_buses(
    mut commands: Commands,
    meters: Res<Meters>,
    built: Res<Built>,
    rows: Query<Entity, With<BusRows>>,
    mut shown: Local<Option<(Entity, Vec<String>)>>,
) {
    let Ok(parent) = rows.single() else {
        return;
    };
    let names: Vec<String> = meters.buses.iter().map(|b| b.name.clone()).collect();
    if shown
        .as_ref()
        .is_some_and(|(e, n)| *e == parent && *n == names)
    {
        return;
    }
    *shown = Some((parent, names.clone()));
    commands.entity(parent).despawn_children();
    let mix = built.0.as_ref().map(|s| &s.mix);
    commands.entity(parent).with_children(|p| {
        if names.is_empty() {
            p.spawn(text("(no output yet)", 13.0, DIM));
        }
        for (i, name) in names.iter().enumerate() {
            let src = Src::Bus(i as u16);
            let key = mix
                .and_then(|m| m.buses.iter().find(|b| b.name == *name))
                .and_then(|b| b.sidechain.as_ref())
                .map(|s| s.key.clone());
            p.spawn(Node {
                align_items: AlignItems::Center,
                column_gap: Val::Px(6.0),
                ..default()
            })
            .with_children(|row| {
                label(row, 62.0, name.clone(), 13.0);
                track(row, src, 11.0, true, &[0.0]);
                readout(
                    row,
                    40.0,
                    12.0,
                    TEXT,
                    Readout {
                        src,
                        show: Show::Peak,
                        unit: "",
                    },
                );
                // The sidechain's gain reduction: amber from the left, 0 to -12 dB.
                let Some(key) = key else {
                    row.spawn(Node {
                        width: Val::Px(114.0),
                        flex_shrink: 0.0,
                        ..default()
                    });
                    return;
                };
                row.spawn((
                    Node {
                        width: Val::Px(34.0),
                        flex_shrink: 0.0,
                        height: Val::Px(7.0),
                        border_radius: BorderRadius::all(Val::Px(2.0)),
                        ..default()
                    },
                    BackgroundColor(TRACK),
                    children![(
                        Node {
                            width: Val::Percent(0.0),
                            height: Val::Percent(100.0),
                            border_radius: BorderRadius::all(Val::Px(2.0)),
                            ..default()
                        },
                        BackgroundColor(AMBER),
                        Bar {
                            src,
                            show: Show::Duck,
                            alpha: 1.0,
                        },
                    )],
                ));
                row.spawn((
                    Node {
                        width: Val::Px(74.0),
                        flex_shrink: 0.0,
                        overflow: Overflow::clip(),
                        ..default()
                    },
                    children![(
                        text(format!("by {key}"), 11.0, DIM),
                        Readout {
                            src,
                            show: Show::Duck,
                            unit: " dB",
                        },
                        DuckKey(key),
                    )],
                ));
            });
        }
    });
}

/// A card of layer meters.
fn card(
    grid: &mut ChildSpawnerCommands,
    title: &str,
    info: &str,
    rows: Vec<(String, Meter)>,
    cue: Option<usize>,
) {
    let mut card = grid.spawn((
        Node {
            width: Val::Px(258.0),
            flex_direction: FlexDirection::Column,
            padding: UiRect::axes(Val::Px(8.0), Val::Px(6.0)),
            row_gap: Val::Px(3.0),
            border: UiRect::all(Val::Px(1.0)),
            border_radius: BorderRadius::all(Val::Px(5.0)),
            ..default()
        },
        BackgroundColor(BACKGROUND),
        BorderColor::all(PANEL_BORDER),
    ));
    if let Some(ci) = cue {
        card.insert(CueCard(ci));
    }
    card.with_children(|c| {
        let mut header = c.spawn(Node {
            justify_content: JustifyContent::SpaceBetween,
            align_items: AlignItems::Center,
            ..default()
        });
        header.with_children(|h| {
            h.spawn(text(title, 15.0, TEXT));
            if let Some(ci) = cue {
                h.spawn((text("", 11.0, ACCENT), CueBadge(ci)));
            } else {
                h.spawn((text("", 11.0, RED), LastStinger));
            }
        });
        if !info.is_empty() {
            c.spawn(text(info, 11.0, DIM));
        }
        for (name, meter) in rows {
            let src = Src::Row(meter);
            c.spawn(Node {
                align_items: AlignItems::Center,
                column_gap: Val::Px(5.0),
                ..default()
            })
            .with_children(|row| {
                row.spawn((
                    Node {
                        width: Val::Px(60.0),
                        flex_shrink: 0.0,
                        overflow: Overflow::clip(),
                        ..default()
                    },
                    children![(
                        text(name, 12.0, DIM),
                        Readout {
                            src,
                            show: Show::Name,
                            unit: "",
                        }
                    )],
                ));
                track(row, src, 9.0, true, &[0.0]);
                readout(
                    row,
                    38.0,
                    12.0,
                    TEXT,
                    Readout {
                        src,
                        show: Show::Peak,
                        unit: "",
                    },
                );
                readout(
                    row,
                    32.0,
                    10.0,
                    DIM,
                    Readout {
                        src,
                        show: Show::Gain,
                        unit: "",
                    },
                );
            });
        }
    });
}

/// Sets a parameter, clamped to its range.
fn set(music: &Music, score: &Score, index: usize, value: f32) {
    if let Some(p) = score.parameters.get(index) {
        music.set_parameter(&p.name, value.clamp(p.min, p.max));
    }
}

/// The value last set for a parameter (its default until then).
fn value_of(music: &Music, score: &Score, index: usize) -> f32 {
    let p = &score.parameters[index];
    music.parameter(&p.name).unwrap_or(p.default)
}

fn keyboard(
    keys: Res<ButtonInput<KeyCode>>,
    music: Res<Music>,
    mut selected: ResMut<Selected>,
    mut asked: ResMut<Asked>,
    mut exit: MessageWriter<AppExit>,
) {
    if keys.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
    let Some(score) = music.score().cloned() else {
        return;
    };
    let n = score.parameters.len();
    if n > 0 {
        if keys.just_pressed(KeyCode::ArrowDown) {
            selected.0 = (selected.0 + 1) % n;
        }
        if keys.just_pressed(KeyCode::ArrowUp) {
            selected.0 = (selected.0 + n - 1) % n;
        }
        let fine = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
        let step = if fine { 0.01 } else { 0.05 };
        let dir = keys.just_pressed(KeyCode::ArrowRight) as i32
            - keys.just_pressed(KeyCode::ArrowLeft) as i32;
        if dir != 0 {
            let i = selected.0.min(n - 1);
            let p = &score.parameters[i];
            let v = value_of(&music, &score, i) + dir as f32 * step * (p.max - p.min);
            set(&music, &score, i, v);
        }
    }
    const DIGITS: [KeyCode; 9] = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
        KeyCode::Digit7,
        KeyCode::Digit8,
        KeyCode::Digit9,
    ];
    const FKEYS: [KeyCode; 9] = [
        KeyCode::F1,
        KeyCode::F2,
        KeyCode::F3,
        KeyCode::F4,
        KeyCode::F5,
        KeyCode::F6,
        KeyCode::F7,
        KeyCode::F8,
        KeyCode::F9,
    ];
    for (i, key) in DIGITS.iter().enumerate() {
        if keys.just_pressed(*key)
            && let Some(cue) = score.cues.get(i)
        {
            music.request_cue(&cue.name);
        }
    }
    for (i, key) in FKEYS.iter().enumerate() {
        if keys.just_pressed(*key)
            && let Some(stinger) = score.stingers.get(i)
        {
            music.stinger(&stinger.name);
        }
    }
    // A snapshot's letter toggles it, over the snapshot's own blend time.
    for (snap, key) in score.mix.snapshots.iter().zip(snapshot_keys(&score)) {
        if let Some((key, _)) = key
            && keys.just_pressed(key)
        {
            let to = if asked_of(&asked, &snap.name) >= 0.5 {
                0.0
            } else {
                1.0
            };
            ask(&music, &mut asked, &snap.name, to, None);
        }
    }
}

/// Cue, stinger and +/- buttons.
fn buttons(
    music: Res<Music>,
    mut selected: ResMut<Selected>,
    cues: Query<(&Interaction, &CueButton), Changed<Interaction>>,
    stingers: Query<(&Interaction, &StingerButton), Changed<Interaction>>,
    steps: Query<(&Interaction, &ParamStep), Changed<Interaction>>,
) {
    let Some(score) = music.score().cloned() else {
        return;
    };
    for (interaction, cue) in &cues {
        if *interaction == Interaction::Pressed {
            music.request_cue(&score.cues[cue.0].name);
        }
    }
    for (interaction, stinger) in &stingers {
        if *interaction == Interaction::Pressed {
            music.stinger(&score.stingers[stinger.0].name);
        }
    }
    for (interaction, step) in &steps {
        if *interaction == Interaction::Pressed {
            let p = &score.parameters[step.0];
            let v = value_of(&music, &score, step.0) + step.1 * 0.05 * (p.max - p.min);
            set(&music, &score, step.0, v);
            selected.0 = step.0;
        }
    }
}

/// Where a pressed slider is held, 0..1 (`None` while it is not pressed).
fn dragged(interaction: &Interaction, cursor: &RelativeCursorPosition) -> Option<f32> {
    if *interaction != Interaction::Pressed {
        return None;
    }
    cursor.normalized.map(|at| (at.x + 0.5).clamp(0.0, 1.0))
}

/// Click or drag a slider to set its parameter, or a snapshot's intensity.
fn sliders(
    music: Res<Music>,
    mut selected: ResMut<Selected>,
    mut asked: ResMut<Asked>,
    params: Query<(&Interaction, &RelativeCursorPosition, &ParamSlider)>,
    snapshots: Query<(&Interaction, &RelativeCursorPosition, &SnapSlider)>,
) {
    let Some(score) = music.score().cloned() else {
        return;
    };
    for (interaction, cursor, slider) in &params {
        let Some(x) = dragged(interaction, cursor) else {
            continue;
        };
        let p = &score.parameters[slider.0];
        let v = p.min + x * (p.max - p.min);
        if music.parameter(&p.name) != Some(v) {
            set(&music, &score, slider.0, v);
        }
        selected.0 = slider.0;
    }
    for (interaction, cursor, slider) in &snapshots {
        let Some(x) = dragged(interaction, cursor) else {
            continue;
        };
        let Some(snap) = score.mix.snapshots.get(slider.0) else {
            continue;
        };
        let v = (x * 100.0).round() / 100.0;
        if asked.0.get(&snap.name) != Some(&v) {
            ask(&music, &mut asked, &snap.name, v, Some(SLIDER_BLEND_S));
        }
    }
}

/// `LEITMOTIF_DEMO=1`: turns the first parameter up and the second halfway, blends a snapshot
/// ("underwater" when there is one) in part-way, fires the first stinger (so the sidechain
/// ducks the music), then blends the snapshot out and fires the stinger again, so a screenshot
/// shows the music moving.
fn demo(
    music: Res<Music>,
    time: Res<Time>,
    mut asked: ResMut<Asked>,
    mut started: Local<Option<f32>>,
    mut done: Local<usize>,
) {
    if std::env::var_os("LEITMOTIF_DEMO").is_none() {
        return;
    }
    let Some(score) = music.score().cloned() else {
        return;
    };
    let t0 = *started.get_or_insert(time.elapsed_secs());
    let t = time.elapsed_secs() - t0;
    let snapshot = score
        .mix
        .snapshots
        .iter()
        .find(|s| s.name == "underwater")
        .or(score.mix.snapshots.first())
        .map(|s| s.name.clone());
    const STEPS: [f32; 5] = [0.3, 0.5, 1.6, 6.0, 8.0];
    while STEPS.get(*done).is_some_and(|at| t > *at) {
        match *done {
            0 => {
                if !score.parameters.is_empty() {
                    set(&music, &score, 0, 0.7);
                }
                if score.parameters.len() > 1 {
                    set(&music, &score, 1, 0.45);
                }
            }
            1 | 3 => {
                if let Some(name) = &snapshot {
                    let (to, secs) = if *done == 1 { (0.7, 1.2) } else { (0.0, 2.0) };
                    ask(&music, &mut asked, name, to, Some(secs));
                }
            }
            _ => {
                if let Some(s) = score.stingers.first() {
                    music.stinger(&s.name);
                }
            }
        }
        *done += 1;
    }
}

/// Bar and beat as heard, and a log of the other events.
#[allow(clippy::too_many_arguments)]
fn read_events(
    time: Res<Time>,
    mut transport: ResMut<Transport>,
    mut log: ResMut<EventLog>,
    mut beats: MessageReader<Beat>,
    mut cues: MessageReader<CueStarted>,
    mut started: MessageReader<TransitionStarted>,
    mut finished: MessageReader<TransitionFinished>,
    mut stingers: MessageReader<StingerPlayed>,
    mut markers: MessageReader<Marker>,
    mut assets: MessageReader<AssetEvent<ScoreAsset>>,
    music: Res<Music>,
) {
    for beat in beats.read() {
        transport.bar = beat.position.bar;
        transport.beat = beat.position.beat;
        transport.beat_at = time.elapsed_secs();
        transport.downbeat = beat.position.beat == 1;
    }
    let at = |p: &MusicPosition| format!("{:>4}.{}", p.bar, p.beat);
    let mut push = |line: String, color: Color| {
        log.0.push_front((line, color));
        log.0.truncate(8);
    };
    for e in started.read() {
        transport.moving = Some((e.from.clone(), e.to.clone()));
        push(
            format!(
                "{}  transition      {} -> {}",
                at(&e.position),
                e.from,
                e.to
            ),
            AMBER,
        );
    }
    for e in cues.read() {
        if transport
            .moving
            .as_ref()
            .is_some_and(|(_, to)| *to == e.cue)
        {
            transport.moving = None;
        }
        push(
            format!("{}  cue started     {}", at(&e.position), e.cue),
            ACCENT,
        );
    }
    for e in finished.read() {
        push(
            format!(
                "{}  transition done {} -> {}",
                at(&e.position),
                e.from,
                e.to
            ),
            DIM,
        );
    }
    for e in stingers.read() {
        transport
            .stingers
            .insert(e.stinger.clone(), (time.elapsed_secs(), e.variation));
        push(
            format!(
                "{}  stinger         {} (#{})",
                at(&e.position),
                e.stinger,
                e.variation
            ),
            RED,
        );
    }
    for e in markers.read() {
        push(
            format!("{}  marker          {}", at(&e.position), e.name),
            TEXT,
        );
    }
    let id = music.handle().map(|h| h.id());
    for e in assets.read() {
        if let AssetEvent::Modified { id: changed } = e
            && Some(*changed) == id
        {
            transport.reloads += 1;
            push(
                "      score file changed: switching at the next bar".into(),
                ACCENT,
            );
        }
    }
}

fn show_parameters(
    music: Res<Music>,
    built: Res<Built>,
    selected: Res<Selected>,
    mut fills: Query<(&ParamFill, &mut Node), Without<ParamHeard>>,
    mut heard: Query<(&ParamHeard, &mut Node), Without<ParamFill>>,
    mut values: Query<(&ParamValue, &mut Text)>,
    mut rows: Query<(&ParamRow, &mut BackgroundColor)>,
) {
    let Some(score) = built.0.as_ref() else {
        return;
    };
    let snapshot = music.snapshot();
    let fraction = |i: usize, v: f32| {
        let p = &score.parameters[i];
        ((v - p.min) / (p.max - p.min).max(f32::EPSILON)).clamp(0.0, 1.0) * 100.0
    };
    for (fill, mut node) in &mut fills {
        node.width = Val::Percent(fraction(fill.0, value_of(&music, score, fill.0)));
    }
    for (h, mut node) in &mut heard {
        let v = snapshot
            .heard
            .get(h.0)
            .copied()
            .unwrap_or(score.parameters[h.0].default);
        node.left = Val::Percent(fraction(h.0, v));
    }
    for (value, mut text) in &mut values {
        text.0 = format!("{:.2}", value_of(&music, score, value.0));
    }
    for (row, mut bg) in &mut rows {
        bg.0 = if row.0 == selected.0 {
            BUTTON
        } else {
            Color::NONE
        };
    }
}

/// Planned gains of the live voices (what the conductor asked the mixer for, not a measured
/// level), the loudest per row.
fn gains(snapshot: &MusicSnapshot) -> HashMap<Meter, f32> {
    let mut out = HashMap::new();
    for &(source, gain) in &snapshot.voice_gains {
        let meter = match source {
            SourceRef::Layer { cue, layer }
            | SourceRef::Note { cue, layer }
            | SourceRef::Alternate { cue, layer, .. } => Meter::Layer(cue, layer),
            SourceRef::Stinger { .. } => Meter::Stingers,
            SourceRef::SegmentLayer { segment, .. } => Meter::Segment(segment),
            SourceRef::Bridge(_) => Meter::Bridges,
        };
        let g = out.entry(meter).or_insert(0.0f32);
        *g = g.max(gain);
    }
    out
}

/// Linear amplitude to dBFS (`-inf` for silence).
fn dbfs(amplitude: f32) -> f32 {
    if amplitude > 0.0 {
        20.0 * amplitude.log10()
    } else {
        f32::NEG_INFINITY
    }
}

/// A meter's ballistics: what it shows between two reads of the audio side.
#[derive(Clone, Copy)]
struct Ballistics {
    /// Shown peak (dBFS): jumps up, falls at [`PEAK_FALL_DB_PER_S`].
    peak_db: f32,
    /// Peak hold (dBFS) and the seconds it has been held.
    hold_db: f32,
    held: f32,
    /// Smoothed mean square (linear).
    mean_square: f32,
}

impl Default for Ballistics {
    fn default() -> Self {
        Ballistics {
            peak_db: f32::NEG_INFINITY,
            hold_db: f32::NEG_INFINITY,
            held: 0.0,
            mean_square: 0.0,
        }
    }
}

impl Ballistics {
    /// Takes a read: the peak since the last one and the RMS of the last block (linear).
    fn update(&mut self, peak: f32, rms: f32, dt: f32) {
        let peak = dbfs(peak);
        self.peak_db = peak.max(self.peak_db - PEAK_FALL_DB_PER_S * dt);
        self.held += dt;
        if peak >= self.hold_db || self.held > PEAK_HOLD_S {
            self.hold_db = peak.max(self.peak_db);
            self.held = 0.0;
        }
        let k = 1.0 - (-dt / RMS_TAU_S).exp();
        self.mean_square += (rms * rms - self.mean_square) * k;
    }

    fn rms_db(&self) -> f32 {
        if self.mean_square > 1e-12 {
            10.0 * self.mean_square.log10()
        } else {
            f32::NEG_INFINITY
        }
    }
}

/// A bus's meter: its level and its sidechain's gain reduction (now, and the deepest of the
/// last [`PEAK_HOLD_S`]).
struct BusMeter {
    name: String,
    level: Ballistics,
    duck_db: f32,
    duck_hold_db: f32,
    duck_held: f32,
}

impl BusMeter {
    fn new(name: String) -> BusMeter {
        BusMeter {
            name,
            level: Ballistics::default(),
            duck_db: 0.0,
            duck_hold_db: 0.0,
            duck_held: 0.0,
        }
    }
}

/// What the audio side measured, read once a frame by [`measure`] (reading resets the peaks,
/// so nothing else reads them).
#[derive(Resource, Default)]
struct Meters {
    master: Ballistics,
    /// By layer name (the stems the audio side measures, `stingers` and `bridges` included).
    layers: HashMap<String, Ballistics>,
    /// In the audio side's order (the master first).
    buses: Vec<BusMeter>,
    short_term: f32,
    momentary: f32,
    /// The planned gain of each row's loudest voice, for the rows that play.
    gains: HashMap<Meter, f32>,
}

/// One meter's values as shown (dBFS; loudness in LUFS as `level`).
#[derive(Clone, Copy)]
struct Reading {
    peak: f32,
    hold: f32,
    level: f32,
    duck: f32,
    duck_hold: f32,
    /// The planned gain (linear) of a row's voices.
    gain: Option<f32>,
}

impl Reading {
    fn of(b: &Ballistics) -> Reading {
        Reading {
            peak: b.peak_db,
            hold: b.hold_db,
            level: b.rms_db(),
            duck: 0.0,
            duck_hold: 0.0,
            gain: None,
        }
    }

    fn loudness(lufs: f32) -> Reading {
        Reading {
            level: lufs,
            ..Reading::of(&Ballistics::default())
        }
    }
}

impl Meters {
    /// What `src` shows, `None` for a row that does not play.
    fn reading(&self, src: Src, score: Option<&Score>) -> Option<Reading> {
        match src {
            Src::Master => Some(Reading::of(&self.master)),
            Src::ShortTerm => Some(Reading::loudness(self.short_term)),
            Src::Momentary => Some(Reading::loudness(self.momentary)),
            Src::Bus(i) => self.buses.get(i as usize).map(|b| Reading {
                duck: b.duck_db,
                duck_hold: b.duck_hold_db,
                ..Reading::of(&b.level)
            }),
            Src::Row(meter) => {
                let score = score?;
                let gain = self.gains.get(&meter).copied();
                // A layer or segment row is lit only while its own voices play: its stem is
                // shared with the layers of the same name in other cues.
                let names: Vec<&str> = match meter {
                    Meter::Layer(c, l) => {
                        gain?;
                        vec![
                            score
                                .cues
                                .get(c as usize)?
                                .layers
                                .get(l as usize)?
                                .name
                                .as_str(),
                        ]
                    }
                    Meter::Segment(i) => {
                        gain?;
                        let segment = score.segments.get(i as usize)?;
                        segment.layers.iter().map(|l| l.name.as_str()).collect()
                    }
                    Meter::Stingers => vec!["stingers"],
                    Meter::Bridges => vec!["bridges"],
                };
                let mut r = Reading {
                    gain,
                    ..Reading::of(&Ballistics::default())
                };
                for b in names.into_iter().filter_map(|n| self.layers.get(n)) {
                    r.peak = r.peak.max(b.peak_db);
                    r.hold = r.hold.max(b.hold_db);
                    r.level = r.level.max(b.rms_db());
                }
                (gain.is_some() || r.hold > FLOOR_DB).then_some(r)
            }
        }
    }
}

/// Reads the audio side's meters (atomics) once a frame and runs their ballistics.
fn measure(music: Res<Music>, time: Res<Time>, mut meters: ResMut<Meters>) {
    let snapshot = music.snapshot();
    let dt = time.delta_secs();
    let m = &mut *meters;
    m.master.update(snapshot.peak(), snapshot.rms(), dt);
    let layers = snapshot.layer_levels();
    m.layers
        .retain(|name, _| layers.iter().any(|(n, _)| n == name));
    for (name, level) in layers {
        m.layers
            .entry(name)
            .or_default()
            .update(level.peak, level.rms, dt);
    }
    let buses = snapshot.bus_levels();
    if buses.len() != m.buses.len() || buses.iter().zip(&m.buses).any(|((n, _), b)| *n != b.name) {
        m.buses = buses
            .iter()
            .map(|(n, _)| BusMeter::new(n.clone()))
            .collect();
    }
    for ((_, level), bus) in buses.iter().zip(&mut m.buses) {
        bus.level.update(level.peak, level.rms, dt);
        bus.duck_db = level.duck_db;
        bus.duck_held += dt;
        if level.duck_db <= bus.duck_hold_db || bus.duck_held > PEAK_HOLD_S {
            bus.duck_hold_db = level.duck_db;
            bus.duck_held = 0.0;
        }
    }
    m.short_term = snapshot.short_term_lufs();
    m.momentary = snapshot.momentary_lufs();
    m.gains = gains(snapshot);
}

/// A level's colour: amber from -6 dBFS, red from 0 (loudness: always the accent).
fn level_color(src: Src, db: f32) -> Color {
    if matches!(src, Src::ShortTerm | Src::Momentary) {
        ACCENT
    } else if db >= 0.0 {
        RED
    } else if db >= -6.0 {
        AMBER
    } else {
        ACCENT
    }
}

/// Every meter's bars and numbers, from [`Meters`].
fn show_levels(
    meters: Res<Meters>,
    built: Res<Built>,
    transport: Res<Transport>,
    time: Res<Time>,
    mut bars: Query<(&Bar, &mut Node, &mut BackgroundColor)>,
    mut readouts: Query<(&Readout, Option<&DuckKey>, &mut Text, &mut TextColor)>,
    mut last: Query<&mut Text, (With<LastStinger>, Without<Readout>)>,
) {
    let score = built.0.as_deref();
    for (bar, mut node, mut bg) in &mut bars {
        let r = meters.reading(bar.src, score);
        match bar.show {
            Show::Hold => match r.filter(|r| r.hold > FLOOR_DB) {
                Some(r) => {
                    node.display = Display::Flex;
                    node.left = Val::Percent(meter_x(r.hold) * 100.0);
                }
                None => node.display = Display::None,
            },
            Show::Duck => {
                let duck = r.map_or(0.0, |r| r.duck);
                node.width = Val::Percent((-duck / DUCK_RANGE_DB).clamp(0.0, 1.0) * 100.0);
            }
            show => {
                let db = r.map_or(f32::NEG_INFINITY, |r| {
                    if show == Show::Peak { r.peak } else { r.level }
                });
                node.width = Val::Percent(meter_x(db) * 100.0);
                bg.0 = level_color(bar.src, db).with_alpha(bar.alpha);
            }
        }
    }
    for (readout, key, mut text, mut color) in &mut readouts {
        let r = meters.reading(readout.src, score);
        let (shown, c) = match readout.show {
            Show::Name => {
                color.0 = if r.is_some() { TEXT } else { DIM };
                continue;
            }
            Show::Gain => (
                match r.and_then(|r| r.gain) {
                    None => String::new(),
                    Some(g) if g <= 1e-4 => "mute".into(),
                    Some(g) => format!("{:+.1}", dbfs(g)),
                },
                DIM,
            ),
            Show::Duck => match r.filter(|r| r.duck_hold < -0.05) {
                Some(r) => (format!("{:+.1}{}", r.duck_hold, readout.unit), AMBER),
                None => (key.map_or(String::new(), |k| format!("by {}", k.0)), DIM),
            },
            show => match r {
                None => ("off".into(), DIM),
                Some(r) => {
                    // The peak readout shows the hold, the loudest of the last moments.
                    let v = if show == Show::Level { r.level } else { r.hold };
                    let s = if v.is_finite() && v > FLOOR_DB - 20.0 {
                        format!("{v:+.1}{}", readout.unit)
                    } else if matches!(readout.src, Src::ShortTerm | Src::Momentary) {
                        format!("\u{2014}{}", readout.unit)
                    } else {
                        format!("-inf{}", readout.unit)
                    };
                    (s, TEXT)
                }
            },
        };
        if text.0 != shown {
            text.0 = shown;
        }
        color.0 = c;
    }
    // The last stinger, while it may still sound.
    let now = time.elapsed_secs();
    let shown = transport
        .stingers
        .iter()
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .filter(|(_, (at, _))| now - at < 3.0)
        .map_or(String::new(), |(name, (_, v))| format!("{name} #{v}"));
    for mut text in &mut last {
        if text.0 != shown {
            text.0.clone_from(&shown);
        }
    }
}

/// What the mixer could not do, and the audio thread's failure.
fn show_overloads(
    music: Res<Music>,
    mut overload: Query<(&mut Text, &mut TextColor, &mut Node), With<OverloadLine>>,
) {
    let snapshot = music.snapshot();
    let o = snapshot.overloads();
    let mut lines = Vec::new();
    if snapshot.failed() {
        lines.push("audio thread failed: the music is silenced".to_string());
    }
    let counters = [
        ("voice pool full", o.voice_pool_full),
        ("queue full", o.queue_full),
        ("started past end", o.started_past_end),
        ("missing source", o.missing_source),
        ("late actions", o.late_actions),
    ];
    if counters.iter().any(|(_, n)| *n > 0) {
        lines.push(format!(
            "overloads   {}",
            counters
                .iter()
                .map(|(name, n)| format!("{name} {n}"))
                .collect::<Vec<_>>()
                .join("   ")
        ));
    }
    for (mut text, mut color, mut node) in &mut overload {
        if lines.is_empty() {
            node.display = Display::None;
        } else {
            node.display = Display::Flex;
            let shown = lines.join("\n");
            if text.0 != shown {
                text.0 = shown;
            }
            color.0 = if snapshot.failed() { RED } else { AMBER };
        }
    }
}

/// Each snapshot's slider: the intensity asked (bar) and in force (line and number; more than
/// asked while the playing cue carries it).
fn show_snapshots(
    music: Res<Music>,
    built: Res<Built>,
    asked: Res<Asked>,
    mut fills: Query<(&SnapFill, &mut Node), Without<SnapLine>>,
    mut lines: Query<(&SnapLine, &mut Node), Without<SnapFill>>,
    mut values: Query<(&SnapValue, &mut Text, &mut TextColor)>,
) {
    let Some(score) = built.0.as_ref() else {
        return;
    };
    let in_force = |i: usize| -> Option<(f32, f32)> {
        let name = &score.mix.snapshots.get(i)?.name;
        let now = music
            .snapshot()
            .snapshots
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |(_, v)| *v);
        Some((asked_of(&asked, name), now))
    };
    for (fill, mut node) in &mut fills {
        if let Some((a, _)) = in_force(fill.0) {
            node.width = Val::Percent(a * 100.0);
        }
    }
    for (line, mut node) in &mut lines {
        if let Some((_, v)) = in_force(line.0) {
            node.left = Val::Percent(v * 100.0);
        }
    }
    for (value, mut text, mut color) in &mut values {
        if let Some((a, v)) = in_force(value.0) {
            let shown = format!("{v:.2}");
            if text.0 != shown {
                text.0 = shown;
            }
            color.0 = if (a - v).abs() > 0.005 { AMBER } else { TEXT };
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn show_transport(
    music: Res<Music>,
    time: Res<Time>,
    transport: Res<Transport>,
    mut labels: Query<(&Label, &mut Text, &mut TextColor)>,
    mut dots: Query<(&BeatDot, &mut Node, &mut BackgroundColor)>,
    mut panel: Single<&mut BorderColor, With<TransportPanel>>,
) {
    let Some(score) = music.score() else {
        return;
    };
    let cue_index = music.current_cue().and_then(|c| score.cue_index(c));
    let meter = cue_index
        .and_then(|i| score.cues[i].tempo.as_ref())
        .unwrap_or(&score.tempo)
        .meter
        .0;
    let position =
        (transport.bar > 0).then(|| format!("bar {:>3}  beat {}", transport.bar, transport.beat));
    let cue = format!("playing  {}", music.current_cue().unwrap_or("-"));
    let pending = music.snapshot().pending.and_then(|p| {
        let secs = p.frame.saturating_sub(music.clock()) as f64 / music.sample_rate() as f64;
        Some((score.cues.get(p.cue)?.name.clone(), p.at, secs))
    });
    let busy = pending.is_some() || transport.moving.is_some();
    let pending = match pending {
        Some((to, at, secs)) => format!(
            "pending  -> {to}  at bar {} beat {}  (in {secs:.1} s)",
            at.bar, at.beat
        ),
        None => match &transport.moving {
            Some((from, to)) => format!("transition under way  {from} -> {to}"),
            None => "no transition pending".into(),
        },
    };
    let status = format!(
        "\"{}\"   {:?} output   {} reload{}   {:.1} s",
        score.name,
        music.backend(),
        transport.reloads,
        if transport.reloads == 1 { "" } else { "s" },
        music.clock_seconds()
    );
    for (label, mut text, mut color) in &mut labels {
        match label {
            Label::Position => {
                if let Some(p) = &position {
                    text.0.clone_from(p);
                }
            }
            Label::Cue => text.0.clone_from(&cue),
            Label::Pending => {
                text.0.clone_from(&pending);
                color.0 = if busy { AMBER } else { DIM };
            }
            Label::Status => {
                text.0.clone_from(&status);
                color.0 = if music.last_error().is_some() {
                    RED
                } else {
                    DIM
                };
            }
        }
    }
    let flash = (-(time.elapsed_secs() - transport.beat_at) * 7.0).exp();
    for (dot, mut node, mut bg) in &mut dots {
        node.display = if dot.0 <= meter {
            Display::Flex
        } else {
            Display::None
        };
        let base = if dot.0 < transport.beat {
            TRACK.mix(&ACCENT, 0.25)
        } else {
            TRACK
        };
        let hot = if transport.downbeat { AMBER } else { ACCENT };
        bg.0 = if dot.0 == transport.beat {
            TRACK.mix(&hot, 0.45 + 0.55 * flash)
        } else {
            base
        };
    }
    let bar_flash = if transport.downbeat { flash } else { 0.0 };
    panel.set_all(PANEL_BORDER.mix(&AMBER, bar_flash * 0.8));
}

/// A failed reload: its `file:line:column` message, until a good version loads.
fn show_error(
    music: Res<Music>,
    mut banner: Single<&mut Node, With<ErrorBanner>>,
    mut text: Single<&mut Text, With<ErrorText>>,
) {
    match music.last_error() {
        Some(error) => {
            banner.display = Display::Flex;
            let shown = format!("reload failed, the previous version keeps playing:  {error}");
            if text.0 != shown {
                text.0 = shown;
            }
        }
        None => banner.display = Display::None,
    }
}

fn show_cue_buttons(
    music: Res<Music>,
    transport: Res<Transport>,
    built: Res<Built>,
    mut buttons: Query<(&CueButton, &mut BorderColor)>,
    mut cards: Query<(&CueCard, &mut BorderColor), Without<CueButton>>,
    mut badges: Query<(&CueBadge, &mut Text, &mut TextColor)>,
) {
    let Some(score) = built.0.as_ref() else {
        return;
    };
    let current = music.current_cue().and_then(|c| score.cue_index(c));
    let pending = music.snapshot().pending.map(|p| p.cue);
    let incoming = transport
        .moving
        .as_ref()
        .and_then(|(_, to)| score.cue_index(to));
    let color = |i: usize| {
        if pending == Some(i) || incoming == Some(i) {
            AMBER
        } else if current == Some(i) {
            ACCENT
        } else {
            PANEL_BORDER
        }
    };
    for (b, mut border) in &mut buttons {
        border.set_all(color(b.0));
    }
    for (c, mut border) in &mut cards {
        border.set_all(color(c.0));
    }
    for (b, mut text, mut tc) in &mut badges {
        (text.0, tc.0) = if pending == Some(b.0) {
            ("PENDING".into(), AMBER)
        } else if incoming == Some(b.0) {
            ("INCOMING".into(), AMBER)
        } else if current == Some(b.0) {
            ("PLAYING".into(), ACCENT)
        } else {
            (String::new(), DIM)
        };
    }
}

fn show_log(log: Res<EventLog>, mut lines: Query<(&LogLine, &mut Text, &mut TextColor)>) {
    if !log.is_changed() {
        return;
    }
    for (line, mut text, mut color) in &mut lines {
        match log.0.get(line.0) {
            Some((t, c)) => {
                text.0 = t.clone();
                color.0 = *c;
            }
            None => text.0 = String::new(),
        }
    }
}

/// Buttons other than the sliders.
type PlainButton = (With<Button>, Without<ParamSlider>, Without<SnapSlider>);

fn hover(mut buttons: Query<(&Interaction, &mut BackgroundColor), PlainButton>) {
    for (interaction, mut bg) in &mut buttons {
        bg.0 = match interaction {
            Interaction::Pressed => ACCENT.mix(&BUTTON, 0.5),
            Interaction::Hovered => BUTTON_HOVER,
            Interaction::None => BUTTON,
        };
    }
}

#[path = "support/screenshot.rs"]
mod screenshot;
