//! Demonstrates tuning a score live: a slider per parameter, a button per cue and stinger, a
//! master level meter (the real output level, peak and RMS in dBFS, and the mixer's overload
//! counters), a meter per layer (its planned gain), the bar and beat as heard, the pending
//! transition, and hot reload of the score file.
//!
//! ```text
//! cargo run -p leitmotif_examples --example tuning                      # scores/stealth.score.ron
//! cargo run -p leitmotif_examples --example tuning -- noir.score.ron    # any score in scores/
//! ```
//!
//! Edit the score file while it plays: the new version takes over at the next bar (a broken
//! edit is shown with its `file:line:column` and the old version keeps playing).
//!
//! Mouse: drag a slider, click a cue or a stinger. Keys: Up/Down pick a parameter, Left/Right
//! change it (Shift: finer), 1-9 request a cue, F1-F9 fire a stinger, Esc quits.
//!
//! `LEITMOTIF_SCREENSHOT=shot.png` saves a screenshot 3 s after the music starts and exits;
//! `LEITMOTIF_DEMO=1` moves the sliders and fires a stinger by itself.

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

/// Planned-gain meter scale: -36 dB at the left end, +6 dB at the right.
const METER_FLOOR_DB: f32 = -36.0;
const METER_CEIL_DB: f32 = 6.0;

/// Master level meter scale: -60 dBFS at the left end, +6 dBFS at the right (so an over
/// shows past the 0 dBFS tick).
const MASTER_FLOOR_DB: f32 = -60.0;
const MASTER_CEIL_DB: f32 = 6.0;
/// The ticks of the master scale, in dBFS.
const MASTER_TICKS: [f32; 7] = [-48.0, -36.0, -24.0, -18.0, -12.0, -6.0, 0.0];
/// The captions of the two kinds of meters, so nobody takes a planned gain for a level.
const LAYERS_NOTE: &str = "planned gain (dB) of each voice, as the conductor set it: not a measured level (see master output)";
const MASTER_NOTE: &str = "measured: peak and RMS of the last block the audio side rendered (dBFS, before the master volume)";
/// How fast the shown peak falls back (dB per second) and how long its hold line stays.
const PEAK_FALL_DB_PER_S: f32 = 20.0;
const PEAK_HOLD_S: f32 = 1.5;
/// Time constant of the shown RMS (seconds).
const RMS_TAU_S: f32 = 0.3;

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
    .add_plugins(LeitmotifPlugin::default())
    .insert_resource(ClearColor(BACKGROUND))
    .insert_resource(ScoreFile(file))
    .init_resource::<Built>()
    .init_resource::<Selected>()
    .init_resource::<Transport>()
    .init_resource::<EventLog>()
    .add_systems(Startup, setup)
    .add_systems(
        Update,
        (keyboard, buttons, sliders, demo).in_set(LeitmotifSystems::Input),
    )
    .add_systems(
        Update,
        (
            rebuild,
            read_events,
            show_parameters,
            show_meters,
            show_master,
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
    /// When each stinger last sounded (`Time::elapsed_secs`) and its variation: the
    /// conductor does not track stinger voices, so their meters follow `StingerPlayed`.
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

/// What a meter shows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Meter {
    Layer(u16, u16),
    Stinger(u16),
    Segment(u16),
    Bridges,
}

#[derive(Component)]
struct MeterFill(Meter, f32);
#[derive(Component)]
struct MeterDb(Meter);
#[derive(Component)]
struct MeterName(Meter);

/// The two bars of the master level meter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Peak,
    Rms,
}

#[derive(Component)]
struct MasterFill(Level);
#[derive(Component)]
struct MasterDb(Level);
/// The peak hold line of the master meter.
#[derive(Component)]
struct MasterHold;
/// The overload counters (shown while one is non-zero) and the audio thread's failure.
#[derive(Component)]
struct OverloadLine;

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
                "drag a slider or Up/Down + Left/Right (Shift: fine)   |   click a cue or 1-9   |   click a stinger or F1-F9   |   edit the score file to hot reload",
                13.0,
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

    commands.entity(content).with_children(|c| {
        // Left column: parameters, cues, stingers, event log.
        c.spawn(Node {
            width: Val::Px(420.0),
            flex_shrink: 0.0,
            flex_direction: FlexDirection::Column,
            row_gap: Val::Px(10.0),
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
                            padding: UiRect::axes(Val::Px(6.0), Val::Px(4.0)),
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
                        row.spawn((
                            Button,
                            RelativeCursorPosition::default(),
                            Node {
                                flex_grow: 1.0,
                                height: Val::Px(18.0),
                                border_radius: BorderRadius::all(Val::Px(4.0)),
                                ..default()
                            },
                            BackgroundColor(TRACK),
                            ParamSlider(i),
                            children![
                                (
                                    Node {
                                        width: Val::Percent(0.0),
                                        height: Val::Percent(100.0),
                                        border_radius: BorderRadius::all(Val::Px(4.0)),
                                        ..default()
                                    },
                                    BackgroundColor(ACCENT.with_alpha(0.75)),
                                    ParamFill(i),
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
                                    ParamHeard(i),
                                ),
                            ],
                        ));
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

            left.spawn(panel("Cues", false)).with_children(|p| {
                p.spawn(Node {
                    flex_wrap: FlexWrap::Wrap,
                    column_gap: Val::Px(6.0),
                    row_gap: Val::Px(6.0),
                    ..default()
                })
                .with_children(|w| {
                    for (i, cue) in score.cues.iter().enumerate() {
                        w.spawn((
                            button(&format!("{}{}", key_hint(i, ""), cue.name), Val::Auto),
                            CueButton(i),
                        ));
                    }
                });
            });

            left.spawn(panel("Stingers", false)).with_children(|p| {
                if score.stingers.is_empty() {
                    p.spawn(text("(this score has no stingers)", 14.0, DIM));
                }
                p.spawn(Node {
                    flex_wrap: FlexWrap::Wrap,
                    column_gap: Val::Px(6.0),
                    row_gap: Val::Px(6.0),
                    ..default()
                })
                .with_children(|w| {
                    for (i, stinger) in score.stingers.iter().enumerate() {
                        w.spawn((
                            button(&format!("{}{}", key_hint(i, "F"), stinger.name), Val::Auto),
                            StingerButton(i),
                        ));
                    }
                });
            });

            left.spawn(panel("Events", true)).with_children(|p| {
                for i in 0..8 {
                    p.spawn((text("", 13.0, DIM), LogLine(i)));
                }
            });
        });

        // Right: the measured master level, then a card of planned-gain meters per cue, and
        // one for stingers, segments and bridges.
        c.spawn(Node {
            flex_grow: 1.0,
            flex_direction: FlexDirection::Column,
            row_gap: Val::Px(10.0),
            min_width: Val::Px(0.0),
            ..default()
        })
        .with_children(|right| {
            right
                .spawn(panel("Master output", false))
                .with_children(master_meter);
            right
                .spawn(panel("Layers  -  planned gain", true))
                .with_children(|p| {
                    p.spawn(text(LAYERS_NOTE, 12.0, DIM));
                    p.spawn(Node {
                        flex_wrap: FlexWrap::Wrap,
                        column_gap: Val::Px(10.0),
                        row_gap: Val::Px(10.0),
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
                        let mut rows: Vec<(String, Meter)> = score
                            .stingers
                            .iter()
                            .enumerate()
                            .map(|(i, s)| (s.name.clone(), Meter::Stinger(i as u16)))
                            .collect();
                        rows.extend(
                            score
                                .segments
                                .iter()
                                .enumerate()
                                .map(|(i, s)| (s.name.clone(), Meter::Segment(i as u16))),
                        );
                        rows.push(("bridges".into(), Meter::Bridges));
                        card(grid, "one-shots", "stingers  segments  bridges", rows, None);
                    });
                });
        });
    });
}

/// Where `db` sits on the master scale, 0..1.
fn master_x(db: f32) -> f32 {
    ((db - MASTER_FLOOR_DB) / (MASTER_CEIL_DB - MASTER_FLOOR_DB)).clamp(0.0, 1.0)
}

/// The master level meter: peak and RMS bars in dBFS with a scale, and the overload line.
fn master_meter(p: &mut ChildSpawnerCommands) {
    for (name, level) in [("peak", Level::Peak), ("rms", Level::Rms)] {
        p.spawn(Node {
            align_items: AlignItems::Center,
            column_gap: Val::Px(8.0),
            ..default()
        })
        .with_children(|row| {
            row.spawn((
                Node {
                    width: Val::Px(40.0),
                    ..default()
                },
                children![text(name, 13.0, TEXT)],
            ));
            row.spawn((
                Node {
                    flex_grow: 1.0,
                    height: Val::Px(12.0),
                    border_radius: BorderRadius::all(Val::Px(2.0)),
                    ..default()
                },
                BackgroundColor(TRACK),
            ))
            .with_children(|track| {
                track.spawn((
                    Node {
                        width: Val::Percent(0.0),
                        height: Val::Percent(100.0),
                        border_radius: BorderRadius::all(Val::Px(2.0)),
                        ..default()
                    },
                    BackgroundColor(ACCENT),
                    MasterFill(level),
                ));
                // Tick lines over the bar.
                for db in MASTER_TICKS {
                    track.spawn((
                        Node {
                            position_type: PositionType::Absolute,
                            left: Val::Percent(master_x(db) * 100.0),
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
                if level == Level::Peak {
                    track.spawn((
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
                        MasterHold,
                    ));
                }
            });
            row.spawn((
                Node {
                    width: Val::Px(96.0),
                    justify_content: JustifyContent::End,
                    ..default()
                },
                children![(text("-inf dBFS", 13.0, TEXT), MasterDb(level))],
            ));
        });
    }
    // The scale, under the bars.
    p.spawn(Node {
        column_gap: Val::Px(8.0),
        ..default()
    })
    .with_children(|row| {
        row.spawn(Node {
            width: Val::Px(40.0),
            ..default()
        });
        row.spawn(Node {
            flex_grow: 1.0,
            height: Val::Px(14.0),
            ..default()
        })
        .with_children(|scale| {
            for db in MASTER_TICKS {
                scale.spawn((
                    Node {
                        position_type: PositionType::Absolute,
                        left: Val::Percent(master_x(db) * 100.0),
                        margin: UiRect::left(Val::Px(-8.0)),
                        ..default()
                    },
                    children![text(format!("{db:.0}"), 11.0, DIM)],
                ));
            }
        });
        row.spawn(Node {
            width: Val::Px(96.0),
            ..default()
        });
    });
    p.spawn((
        Node {
            display: Display::None,
            ..default()
        },
        text("", 13.0, AMBER),
        OverloadLine,
    ));
    p.spawn(text(MASTER_NOTE, 12.0, DIM));
}

/// A card of meters.
fn card(
    grid: &mut ChildSpawnerCommands,
    title: &str,
    info: &str,
    rows: Vec<(String, Meter)>,
    cue: Option<usize>,
) {
    let mut card = grid.spawn((
        Node {
            width: Val::Px(254.0),
            flex_direction: FlexDirection::Column,
            padding: UiRect::all(Val::Px(10.0)),
            row_gap: Val::Px(5.0),
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
            h.spawn(text(title, 16.0, TEXT));
            if let Some(ci) = cue {
                h.spawn((text("", 12.0, ACCENT), CueBadge(ci)));
            }
        });
        c.spawn(text(info, 12.0, DIM));
        for (name, meter) in rows {
            c.spawn(Node {
                align_items: AlignItems::Center,
                column_gap: Val::Px(6.0),
                ..default()
            })
            .with_children(|row| {
                row.spawn((
                    Node {
                        width: Val::Px(72.0),
                        overflow: Overflow::clip(),
                        ..default()
                    },
                    children![(text(name, 13.0, DIM), MeterName(meter))],
                ));
                row.spawn((
                    Node {
                        flex_grow: 1.0,
                        height: Val::Px(9.0),
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
                        BackgroundColor(ACCENT),
                        MeterFill(meter, 0.0),
                    )],
                ));
                row.spawn((
                    Node {
                        width: Val::Px(48.0),
                        justify_content: JustifyContent::End,
                        ..default()
                    },
                    children![(text("", 12.0, DIM), MeterDb(meter))],
                ));
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

/// Click or drag a slider to set its parameter.
fn sliders(
    music: Res<Music>,
    mut selected: ResMut<Selected>,
    sliders: Query<(&Interaction, &RelativeCursorPosition, &ParamSlider)>,
) {
    let Some(score) = music.score().cloned() else {
        return;
    };
    for (interaction, cursor, slider) in &sliders {
        if *interaction != Interaction::Pressed {
            continue;
        }
        let Some(at) = cursor.normalized else {
            continue;
        };
        let p = &score.parameters[slider.0];
        let x = (at.x + 0.5).clamp(0.0, 1.0);
        let v = p.min + x * (p.max - p.min);
        if music.parameter(&p.name) != Some(v) {
            set(&music, &score, slider.0, v);
        }
        selected.0 = slider.0;
    }
}

/// `LEITMOTIF_DEMO=1`: turns the first parameter up, the second halfway, and fires the first
/// stinger, so a screenshot shows the music moving.
fn demo(music: Res<Music>, time: Res<Time>, mut started: Local<Option<f32>>, mut done: Local<u8>) {
    if std::env::var_os("LEITMOTIF_DEMO").is_none() {
        return;
    }
    let Some(score) = music.score().cloned() else {
        return;
    };
    let t0 = *started.get_or_insert(time.elapsed_secs());
    let t = time.elapsed_secs() - t0;
    if *done == 0 && t > 0.3 {
        *done = 1;
        if !score.parameters.is_empty() {
            set(&music, &score, 0, 0.7);
        }
        if score.parameters.len() > 1 {
            set(&music, &score, 1, 0.45);
        }
    }
    if *done == 1 && t > 2.6 {
        *done = 2;
        if let Some(s) = score.stingers.first() {
            music.stinger(&s.name);
        }
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
/// level), the loudest per meter.
fn gains(snapshot: &MusicSnapshot) -> HashMap<Meter, f32> {
    let mut out = HashMap::new();
    for &(source, gain) in &snapshot.voice_gains {
        let meter = match source {
            SourceRef::Layer { cue, layer }
            | SourceRef::Note { cue, layer }
            | SourceRef::Alternate { cue, layer, .. } => Meter::Layer(cue, layer),
            SourceRef::Stinger { stinger, .. } => Meter::Stinger(stinger),
            SourceRef::SegmentLayer { segment, .. } => Meter::Segment(segment),
            SourceRef::Bridge(_) => Meter::Bridges,
        };
        let g = out.entry(meter).or_insert(0.0f32);
        *g = g.max(gain);
    }
    out
}

fn show_meters(
    music: Res<Music>,
    time: Res<Time>,
    transport: Res<Transport>,
    mut fills: Query<(&mut MeterFill, &mut Node, &mut BackgroundColor)>,
    mut dbs: Query<(&MeterDb, &mut Text)>,
    mut names: Query<(&MeterName, &mut TextColor)>,
) {
    let gains = gains(music.snapshot());
    let now = time.elapsed_secs();
    // Level 0..1 and its label, or `None` when silent.
    let level = |m: &Meter| -> Option<(f32, String)> {
        if let Meter::Stinger(i) = m {
            let name = &music.score()?.stingers.get(*i as usize)?.name;
            let (at, variation) = transport.stingers.get(name)?;
            let decay = (-(now - at) * 1.5).exp();
            return (decay > 0.03).then(|| (decay, format!("#{variation}")));
        }
        let g = *gains.get(m).filter(|g| **g > 1e-4)?;
        let db = 20.0 * g.log10();
        let x = ((db - METER_FLOOR_DB) / (METER_CEIL_DB - METER_FLOOR_DB)).clamp(0.0, 1.0);
        Some((x, format!("{db:+.1}")))
    };
    let k = 1.0 - (-time.delta_secs() * 14.0).exp();
    for (mut fill, mut node, mut bg) in &mut fills {
        let target = level(&fill.0).map_or(0.0, |(x, _)| x);
        fill.1 += (target - fill.1) * k;
        node.width = Val::Percent(fill.1 * 100.0);
        let hot = gains.get(&fill.0).is_some_and(|g| *g > 1.0);
        bg.0 = match fill.0 {
            Meter::Stinger(_) => RED,
            _ if hot => AMBER,
            _ => ACCENT,
        };
    }
    for (meter, mut text) in &mut dbs {
        text.0 = level(&meter.0).map_or_else(|| "off".into(), |(_, label)| label);
    }
    for (meter, mut color) in &mut names {
        color.0 = if level(&meter.0).is_some() { TEXT } else { DIM };
    }
}

/// The master meter's ballistics: what the bars show between two blocks of the audio side.
struct MasterState {
    /// Shown peak (dBFS): jumps up, falls at [`PEAK_FALL_DB_PER_S`].
    peak_db: f32,
    /// Peak hold (dBFS) and the seconds it has been held.
    hold_db: f32,
    held: f32,
    /// Smoothed mean square (linear).
    mean_square: f32,
}

impl Default for MasterState {
    fn default() -> Self {
        MasterState {
            peak_db: f32::NEG_INFINITY,
            hold_db: f32::NEG_INFINITY,
            held: 0.0,
            mean_square: 0.0,
        }
    }
}

/// Linear amplitude to dBFS (`-inf` for silence).
fn dbfs(amplitude: f32) -> f32 {
    if amplitude > 0.0 {
        20.0 * amplitude.log10()
    } else {
        f32::NEG_INFINITY
    }
}

fn dbfs_label(db: f32) -> String {
    if db > MASTER_FLOOR_DB - 20.0 {
        format!("{db:+.1} dBFS")
    } else {
        "-inf dBFS".into()
    }
}

/// Type of the master meter's bar query.
type MasterFills<'w, 's> = Query<
    'w,
    's,
    (
        &'static MasterFill,
        &'static mut Node,
        &'static mut BackgroundColor,
    ),
    Without<MasterHold>,
>;
/// Type of the overload line's query.
type OverloadText<'w, 's> = Query<
    'w,
    's,
    (&'static mut Text, &'static mut TextColor, &'static mut Node),
    (
        With<OverloadLine>,
        Without<MasterFill>,
        Without<MasterHold>,
        Without<MasterDb>,
    ),
>;

/// The real output level (peak and RMS of the last block the audio side rendered, read from
/// its atomics), and what the mixer could not do.
fn show_master(
    music: Res<Music>,
    time: Res<Time>,
    mut state: Local<MasterState>,
    mut fills: MasterFills,
    mut hold: Query<&mut Node, (With<MasterHold>, Without<MasterFill>)>,
    mut dbs: Query<(&MasterDb, &mut Text), Without<OverloadLine>>,
    mut overload: OverloadText,
) {
    let snapshot = music.snapshot();
    let dt = time.delta_secs();
    let peak = dbfs(snapshot.peak());
    let rms = snapshot.rms();

    state.peak_db = peak.max(state.peak_db - PEAK_FALL_DB_PER_S * dt);
    state.held += dt;
    if peak >= state.hold_db || state.held > PEAK_HOLD_S {
        state.hold_db = peak.max(state.peak_db);
        state.held = 0.0;
    }
    let k = 1.0 - (-dt / RMS_TAU_S).exp();
    state.mean_square += (rms * rms - state.mean_square) * k;
    let rms_db = 10.0 * state.mean_square.max(1e-12).log10();

    let shown = |level: Level| match level {
        Level::Peak => state.peak_db,
        Level::Rms => rms_db,
    };
    for (fill, mut node, mut bg) in &mut fills {
        let db = shown(fill.0);
        node.width = Val::Percent(master_x(db) * 100.0);
        bg.0 = if db >= 0.0 {
            RED
        } else if db >= -6.0 {
            AMBER
        } else {
            ACCENT
        };
    }
    for mut node in &mut hold {
        if state.hold_db > MASTER_FLOOR_DB {
            node.display = Display::Flex;
            node.left = Val::Percent(master_x(state.hold_db) * 100.0);
        } else {
            node.display = Display::None;
        }
    }
    for (db, mut text) in &mut dbs {
        let label = match db.0 {
            // The peak readout shows the hold, the loudest of the last moments.
            Level::Peak => dbfs_label(state.hold_db),
            Level::Rms => dbfs_label(rms_db),
        };
        if text.0 != label {
            text.0 = label;
        }
    }

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
type PlainButton = (With<Button>, Without<ParamSlider>);

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
