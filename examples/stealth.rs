//! Demonstrates adaptive music in a small top-down stealth game: guards are `TensionSource`s,
//! so sneaking close to them raises the score's `tension` (explore turns to suspicion); being
//! seen fires the `spotted` stinger and requests `combat`; lying low for a while returns to
//! the quiet cues; reaching the exit requests `victory`. Footsteps and UI clicks play through
//! `bevy_kira_audio` next to the music (Leitmotif runs its own kira manager).
//!
//! ```text
//! cargo run -p leitmotif_examples --example stealth
//! ```
//!
//! Arrows/WASD move, Space knocks out a guard from close by when it is not looking at you
//! (the `takedown` stinger), R restarts, Esc quits.
//!
//! `LEITMOTIF_SCREENSHOT=shot.png` saves a screenshot 3 s after the music starts and exits;
//! `LEITMOTIF_DEMO=1` walks the player towards the nearest guard by itself.

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_kira_audio::prelude::{
    Audio, AudioControl, AudioPlugin, AudioSource, Frame, StaticSoundData, StaticSoundSettings,
};
use bevy_leitmotif::prelude::*;

/// Folder the score is read from.
const SCORES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scores");

const PLAYER_SPEED: f32 = 170.0;
const PLAYER_RADIUS: f32 = 12.0;
const GUARD_SPEED: f32 = 70.0;
const GUARD_RADIUS: f32 = 14.0;
const VIEW_DISTANCE: f32 = 190.0;
const VIEW_HALF_ANGLE: f32 = 0.6;
/// Tension reaches zero this far from a guard.
const TENSION_RADIUS: f32 = 250.0;
/// Seconds out of sight after which the guards give up.
const LIE_LOW_SECONDS: f32 = 6.0;
const TAKEDOWN_DISTANCE: f32 = 42.0;
const STEP_SECONDS: f32 = 0.32;

/// The playing field, in world units (the window is 1280 x 720, the HUD takes the top).
const FIELD_MIN: Vec2 = Vec2::new(-620.0, -338.0);
const FIELD_MAX: Vec2 = Vec2::new(620.0, 272.0);
const START: Vec2 = Vec2::new(-570.0, -290.0);
const GOAL: Vec2 = Vec2::new(565.0, 215.0);
const GOAL_HALF: f32 = 36.0;

const BACKGROUND: Color = Color::srgb(0.043, 0.05, 0.066);
const FLOOR: Color = Color::srgb(0.1, 0.115, 0.14);
const WALL: Color = Color::srgb(0.25, 0.28, 0.34);
const PANEL: Color = Color::srgb(0.075, 0.086, 0.11);
const TRACK: Color = Color::srgb(0.16, 0.18, 0.22);
const TEXT: Color = Color::srgb(0.86, 0.89, 0.93);
const DIM: Color = Color::srgb(0.5, 0.55, 0.63);
const ACCENT: Color = Color::srgb(0.31, 0.82, 0.77);
const AMBER: Color = Color::srgb(0.96, 0.68, 0.33);
const RED: Color = Color::srgb(0.96, 0.36, 0.36);
const GREEN: Color = Color::srgb(0.4, 0.83, 0.5);

/// Walls: centre and half size. They block walking and sight.
const WALLS: [(Vec2, Vec2); 6] = [
    (Vec2::new(-330.0, 120.0), Vec2::new(18.0, 150.0)),
    (Vec2::new(-330.0, -270.0), Vec2::new(18.0, 70.0)),
    (Vec2::new(-20.0, -40.0), Vec2::new(150.0, 18.0)),
    (Vec2::new(250.0, 150.0), Vec2::new(18.0, 120.0)),
    (Vec2::new(330.0, -250.0), Vec2::new(110.0, 18.0)),
    (Vec2::new(-120.0, 200.0), Vec2::new(60.0, 18.0)),
];

/// Guard patrol routes (looped).
fn routes() -> Vec<Vec<Vec2>> {
    vec![
        vec![Vec2::new(-470.0, 160.0), Vec2::new(-470.0, -170.0)],
        vec![
            Vec2::new(-200.0, 100.0),
            Vec2::new(130.0, 100.0),
            Vec2::new(130.0, 230.0),
            Vec2::new(-200.0, 230.0),
        ],
        vec![Vec2::new(40.0, -150.0), Vec2::new(520.0, -150.0)],
        vec![Vec2::new(420.0, 240.0), Vec2::new(420.0, 0.0)],
    ]
}

fn main() {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "Leitmotif stealth".into(),
                    resolution: WindowResolution::new(1280, 720),
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin {
                file_path: SCORES.into(),
                ..default()
            }),
    )
    .add_plugins((LeitmotifPlugin::default(), AudioPlugin))
    .insert_resource(ClearColor(BACKGROUND))
    .init_resource::<Alert>()
    .init_resource::<Pulse>()
    .add_systems(Startup, (setup, setup_sounds))
    // Music events are observable too.
    .add_observer(|cue: On<CueStarted>| info!("music: {} started", cue.cue))
    .add_observer(|t: On<TransitionStarted>| info!("music: transition {} -> {}", t.from, t.to))
    .add_systems(
        Update,
        (
            (
                quit,
                restart,
                move_player,
                patrol,
                look,
                takedown,
                footsteps,
            ),
            alert,
            hold_cue,
        )
            .chain()
            .in_set(LeitmotifSystems::Input),
    )
    .add_systems(
        Update,
        (read_beats, draw_guards, pulse_goal, hud)
            .chain()
            .after(LeitmotifSystems::Events),
    );
    screenshot::add(&mut app);
    app.run();
}

#[derive(Component)]
struct Player;

#[derive(Component)]
struct Guard {
    route: Vec<Vec2>,
    next: usize,
    /// Seconds left looking around at a waypoint.
    wait: f32,
    /// Facing, in radians (0 = +x).
    facing: f32,
    sees_player: bool,
    knocked_out: bool,
}

#[derive(Component)]
struct Cone;
#[derive(Component)]
struct Body;
#[derive(Component)]
struct Goal;

/// Where the chase stands.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
enum Alert {
    #[default]
    Hidden,
    /// Seen; `lost` seconds since a guard last saw the player.
    Spotted {
        lost: f32,
    },
    Escaped,
}

/// Beat flash for the HUD and the exit.
#[derive(Resource, Default)]
struct Pulse {
    at: f32,
    bar: u32,
    beat: u32,
    downbeat: bool,
    /// The cue a transition under way goes to, until it starts.
    incoming: Option<String>,
}

/// The sound effects, generated at startup.
#[derive(Resource)]
struct Sfx {
    step: Handle<AudioSource>,
    click: Handle<AudioSource>,
}

/// The HUD texts.
#[derive(Component, Clone, Copy, PartialEq)]
enum Label {
    Status,
    Music,
    /// A parameter's value.
    Value(&'static str),
}
#[derive(Component)]
struct MeterFill(&'static str);
#[derive(Component)]
struct BeatDot;

fn text(value: impl Into<String>, size: f32, color: Color) -> impl Bundle {
    (
        Text::new(value),
        TextFont::from_font_size(size),
        TextColor(color),
    )
}

fn setup(
    mut commands: Commands,
    server: Res<AssetServer>,
    music: Res<Music>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    music.play(server.load("stealth.score.ron"));
    commands.spawn(Camera2d);

    // Floor, walls, exit.
    let size = FIELD_MAX - FIELD_MIN;
    commands.spawn((
        Sprite::from_color(FLOOR, size),
        Transform::from_translation(((FIELD_MIN + FIELD_MAX) / 2.0).extend(0.0)),
    ));
    for (centre, half) in WALLS {
        commands.spawn((
            Sprite::from_color(WALL, half * 2.0),
            Transform::from_translation(centre.extend(3.0)),
        ));
    }
    commands.spawn((
        Sprite::from_color(GREEN.with_alpha(0.35), Vec2::splat(GOAL_HALF * 2.0)),
        Transform::from_translation(GOAL.extend(1.0)),
        Goal,
        children![(
            Text2d::new("EXIT"),
            TextFont::from_font_size(16.0),
            TextColor(GREEN),
            Transform::from_xyz(0.0, 0.0, 1.0),
        )],
    ));

    // Guards: a faint disc where they raise tension, a view cone, a body.
    let reach = meshes.add(
        Annulus::new(TENSION_RADIUS - 1.5, TENSION_RADIUS)
            .mesh()
            .resolution(96),
    );
    let cone = meshes.add(
        CircularSector::new(VIEW_DISTANCE, VIEW_HALF_ANGLE)
            .mesh()
            .resolution(48),
    );
    let body = meshes.add(Circle::new(GUARD_RADIUS));
    for route in routes() {
        let start = route[0];
        let facing = (route[1] - route[0]).to_angle();
        commands.spawn((
            Transform::from_translation(start.extend(2.0)),
            Visibility::default(),
            Guard {
                route,
                next: 1,
                wait: 0.0,
                facing,
                sees_player: false,
                knocked_out: false,
            },
            TensionSource {
                radius: TENSION_RADIUS,
                weight: 0.85,
            },
            children![
                (
                    Mesh2d(reach.clone()),
                    MeshMaterial2d(materials.add(AMBER.with_alpha(0.12))),
                    Transform::from_xyz(0.0, 0.0, -1.5),
                ),
                (
                    Mesh2d(cone.clone()),
                    MeshMaterial2d(materials.add(AMBER.with_alpha(0.22))),
                    Transform::from_xyz(0.0, 0.0, -1.0),
                    Cone,
                ),
                (
                    Mesh2d(body.clone()),
                    MeshMaterial2d(materials.add(AMBER)),
                    Transform::from_xyz(0.0, 0.0, 1.0),
                    Body,
                ),
            ],
        ));
    }

    commands.spawn((
        Mesh2d(meshes.add(Circle::new(PLAYER_RADIUS))),
        MeshMaterial2d(materials.add(ACCENT)),
        Transform::from_translation(START.extend(5.0)),
        Player,
        MusicListener,
    ));

    // HUD: a bar along the top.
    let meter = |name: &'static str, color: Color| {
        (
            Node {
                align_items: AlignItems::Center,
                column_gap: Val::Px(8.0),
                ..default()
            },
            children![
                text(name, 14.0, DIM),
                (
                    Node {
                        width: Val::Px(120.0),
                        height: Val::Px(10.0),
                        border_radius: BorderRadius::all(Val::Px(3.0)),
                        ..default()
                    },
                    BackgroundColor(TRACK),
                    children![(
                        Node {
                            width: Val::Percent(0.0),
                            height: Val::Percent(100.0),
                            border_radius: BorderRadius::all(Val::Px(3.0)),
                            ..default()
                        },
                        BackgroundColor(color),
                        MeterFill(name),
                    )],
                ),
                (text("0.00", 14.0, TEXT), Label::Value(name)),
            ],
        )
    };
    let row = |gap: f32| Node {
        align_items: AlignItems::Center,
        column_gap: Val::Px(gap),
        ..default()
    };
    commands.spawn((
        Node {
            width: Val::Percent(100.0),
            height: Val::Px(88.0),
            padding: UiRect::axes(Val::Px(20.0), Val::Px(12.0)),
            flex_direction: FlexDirection::Column,
            justify_content: JustifyContent::SpaceBetween,
            ..default()
        },
        BackgroundColor(PANEL),
        children![
            (
                row(36.0),
                children![
                    (
                        row(10.0),
                        children![text("LEITMOTIF", 22.0, ACCENT), text("stealth", 22.0, DIM),],
                    ),
                    (
                        Node {
                            width: Val::Px(190.0),
                            ..default()
                        },
                        children![(text("HIDDEN", 22.0, GREEN), Label::Status)],
                    ),
                    meter("tension", AMBER),
                    meter("danger", RED),
                ],
            ),
            (
                row(10.0),
                children![
                    (
                        Node {
                            width: Val::Px(14.0),
                            height: Val::Px(14.0),
                            border_radius: BorderRadius::all(Val::Px(7.0)),
                            ..default()
                        },
                        BackgroundColor(TRACK),
                        BeatDot,
                    ),
                    (text("", 16.0, TEXT), Label::Music),
                ],
            ),
        ],
    ));
    commands.spawn((
        Node {
            position_type: PositionType::Absolute,
            bottom: Val::Px(3.0),
            left: Val::Px(20.0),
            ..default()
        },
        text(
            "Arrows/WASD move    Space: takedown from behind    R: restart    Esc: quit    |    Reach the EXIT unseen; guards nearby raise the tension.",
            13.0,
            DIM,
        ),
    ));
}

/// Generates the footstep (a short noise thump) and the UI click (a short blip).
fn setup_sounds(mut commands: Commands, mut sources: ResMut<Assets<AudioSource>>) {
    const RATE: u32 = 44_100;
    let sound = |frames: Vec<Frame>| AudioSource {
        sound: StaticSoundData {
            sample_rate: RATE,
            frames: frames.into(),
            settings: StaticSoundSettings::default(),
            slice: None,
        },
    };
    let mut seed = 0x2545_f491_u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 * 2.0 - 1.0
    };
    let mut low = 0.0f32;
    let step = (0..(RATE as usize * 7 / 100))
        .map(|i| {
            let t = i as f32 / RATE as f32;
            // Low-passed noise with a fast decay, plus a soft 90 Hz thump.
            low += (noise() - low) * 0.18;
            let s =
                (low * 1.6 + (t * 90.0 * std::f32::consts::TAU).sin() * 0.5) * (-t * 70.0).exp();
            Frame::from_mono(s * 0.8)
        })
        .collect();
    let click = (0..(RATE as usize * 3 / 100))
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let s = (t * 1400.0 * std::f32::consts::TAU).sin() * (-t * 160.0).exp();
            Frame::from_mono(s * 0.5)
        })
        .collect();
    commands.insert_resource(Sfx {
        step: sources.add(sound(step)),
        click: sources.add(sound(click)),
    });
}

/// Whether the segment `a`-`b` crosses a wall.
fn blocked(a: Vec2, b: Vec2) -> bool {
    WALLS
        .iter()
        .any(|&(c, h)| segment_hits_box(a, b, c - h, c + h))
}

/// Slab test of a segment against an axis-aligned box.
fn segment_hits_box(a: Vec2, b: Vec2, min: Vec2, max: Vec2) -> bool {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for axis in 0..2 {
        if d[axis].abs() < 1e-6 {
            if a[axis] < min[axis] || a[axis] > max[axis] {
                return false;
            }
            continue;
        }
        let (mut near, mut far) = (
            (min[axis] - a[axis]) / d[axis],
            (max[axis] - a[axis]) / d[axis],
        );
        if near > far {
            std::mem::swap(&mut near, &mut far);
        }
        t0 = t0.max(near);
        t1 = t1.min(far);
        if t0 > t1 {
            return false;
        }
    }
    true
}

/// Moves a circle by `delta`, one axis at a time, so it slides along walls.
fn slide(from: Vec2, delta: Vec2, radius: f32) -> Vec2 {
    let free = |p: Vec2| {
        WALLS.iter().all(|&(c, h)| {
            let d = (p - c).abs() - h;
            d.max(Vec2::ZERO).length() >= radius
        })
    };
    let mut p = from;
    for step in [Vec2::new(delta.x, 0.0), Vec2::new(0.0, delta.y)] {
        let q = (p + step).clamp(FIELD_MIN + radius, FIELD_MAX - radius);
        if free(q) {
            p = q;
        }
    }
    p
}

#[allow(clippy::too_many_arguments)]
fn restart(
    keys: Res<ButtonInput<KeyCode>>,
    mut commands: Commands,
    mut alert: ResMut<Alert>,
    music: Res<Music>,
    audio: Res<Audio>,
    sfx: Res<Sfx>,
    mut player: Single<&mut Transform, (With<Player>, Without<Guard>)>,
    mut guards: Query<(Entity, &mut Guard, &mut Transform), Without<Player>>,
) {
    if !keys.just_pressed(KeyCode::KeyR) {
        return;
    }
    audio.play(sfx.click.clone()).with_volume(-6.0);
    player.translation = START.extend(5.0);
    for (entity, mut guard, mut t) in &mut guards {
        let route = std::mem::take(&mut guard.route);
        t.translation = route[0].extend(2.0);
        *guard = Guard {
            facing: (route[1] - route[0]).to_angle(),
            next: 1,
            wait: 0.0,
            sees_player: false,
            knocked_out: false,
            route,
        };
        // Knocked-out guards raise tension again.
        commands.entity(entity).insert(TensionSource {
            radius: TENSION_RADIUS,
            weight: 0.85,
        });
    }
    *alert = Alert::Hidden;
    music.set_parameter("danger", 0.0);
    music.request_cue("explore");
}

fn quit(keys: Res<ButtonInput<KeyCode>>, mut exit: MessageWriter<AppExit>) {
    if keys.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
}

fn move_player(
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    alert: Res<Alert>,
    music: Res<Music>,
    mut player: Single<&mut Transform, (With<Player>, Without<Guard>)>,
    guards: Query<(&Transform, &Guard), Without<Player>>,
) {
    if *alert == Alert::Escaped {
        return;
    }
    let pressed = |a: KeyCode, b: KeyCode| keys.any_pressed([a, b]) as i32 as f32;
    let mut dir = Vec2::new(
        pressed(KeyCode::ArrowRight, KeyCode::KeyD) - pressed(KeyCode::ArrowLeft, KeyCode::KeyA),
        pressed(KeyCode::ArrowUp, KeyCode::KeyW) - pressed(KeyCode::ArrowDown, KeyCode::KeyS),
    );
    let at = player.translation.truncate();
    if std::env::var_os("LEITMOTIF_DEMO").is_some() && music.is_playing() {
        // Walk into the view of the nearest guard and stay there.
        if let Some(target) = guards
            .iter()
            .filter(|(_, g)| !g.knocked_out)
            .map(|(t, g)| t.translation.truncate() + Vec2::from_angle(g.facing) * 110.0)
            .min_by(|a, b| a.distance(at).total_cmp(&b.distance(at)))
            && target.distance(at) > 8.0
        {
            dir = target - at;
        }
    }
    let delta = dir.normalize_or_zero() * PLAYER_SPEED * time.delta_secs();
    let to = slide(at, delta, PLAYER_RADIUS);
    player.translation = to.extend(5.0);
}

fn patrol(time: Res<Time>, music: Res<Music>, mut guards: Query<(&mut Guard, &mut Transform)>) {
    // The level starts with the music.
    if !music.is_playing() {
        return;
    }
    let dt = time.delta_secs();
    for (mut guard, mut t) in &mut guards {
        if guard.knocked_out {
            continue;
        }
        let at = t.translation.truncate();
        if guard.wait > 0.0 {
            // Look around at the waypoint.
            guard.wait -= dt;
            guard.facing += (time.elapsed_secs() * 2.2).sin() * 1.4 * dt;
            continue;
        }
        let target = guard.route[guard.next];
        let to = target - at;
        if to.length() < 2.0 {
            guard.next = (guard.next + 1) % guard.route.len();
            guard.wait = 1.2;
            continue;
        }
        let step = to.normalize() * (GUARD_SPEED * dt).min(to.length());
        t.translation = (at + step).extend(2.0);
        // Turn towards where it walks.
        let want = to.to_angle();
        let diff = (want - guard.facing + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU)
            - std::f32::consts::PI;
        guard.facing += diff.clamp(-4.0 * dt, 4.0 * dt);
    }
}

/// Whether each guard sees the player: within the view distance and cone, not behind a wall.
fn look(
    player: Single<&Transform, With<Player>>,
    mut guards: Query<(&mut Guard, &Transform), Without<Player>>,
) {
    let p = player.translation.truncate();
    for (mut guard, t) in &mut guards {
        let g = t.translation.truncate();
        let to = p - g;
        let facing = Vec2::from_angle(guard.facing);
        guard.sees_player = !guard.knocked_out
            && to.length() < VIEW_DISTANCE + PLAYER_RADIUS
            && facing.angle_to(to).abs() < VIEW_HALF_ANGLE
            && !blocked(g, p);
    }
}

/// Space next to a guard that is not looking: it drops, the `takedown` stinger plays.
fn takedown(
    keys: Res<ButtonInput<KeyCode>>,
    mut commands: Commands,
    music: Res<Music>,
    audio: Res<Audio>,
    sfx: Res<Sfx>,
    player: Single<&Transform, With<Player>>,
    mut guards: Query<(Entity, &mut Guard, &Transform), Without<Player>>,
) {
    if !keys.just_pressed(KeyCode::Space) {
        return;
    }
    let p = player.translation.truncate();
    for (entity, mut guard, t) in &mut guards {
        if guard.knocked_out
            || guard.sees_player
            || t.translation.truncate().distance(p) > TAKEDOWN_DISTANCE
        {
            continue;
        }
        guard.knocked_out = true;
        commands.entity(entity).remove::<TensionSource>();
        music.stinger("takedown");
        audio.play(sfx.click.clone()).with_volume(-4.0);
        break;
    }
}

/// A footstep every few tenths of a second while the player walks.
fn footsteps(
    time: Res<Time>,
    audio: Res<Audio>,
    sfx: Res<Sfx>,
    player: Single<&Transform, With<Player>>,
    mut last: Local<Option<Vec2>>,
    mut walked: Local<f32>,
    mut count: Local<u32>,
) {
    let p = player.translation.truncate();
    let moved = last.map_or(0.0, |l| l.distance(p));
    *last = Some(p);
    if moved < 0.5 * PLAYER_SPEED * time.delta_secs() {
        *walked = STEP_SECONDS * 0.8;
        return;
    }
    *walked += time.delta_secs();
    if *walked >= STEP_SECONDS {
        *walked = 0.0;
        *count += 1;
        // Alternate feet: slightly different pitch and pan.
        let left = count.is_multiple_of(2);
        audio
            .play(sfx.step.clone())
            .with_volume(-14.0)
            .with_playback_rate(if left { 0.95 } else { 1.07 })
            .with_panning(if left { -0.15 } else { 0.15 });
    }
}

/// Seen: `combat` and the `spotted` stinger; out of sight long enough: back to the quiet cues;
/// at the exit: `victory`.
fn alert(
    time: Res<Time>,
    mut alert: ResMut<Alert>,
    music: Res<Music>,
    audio: Res<Audio>,
    sfx: Res<Sfx>,
    player: Single<&Transform, With<Player>>,
    guards: Query<&Guard>,
) {
    if *alert == Alert::Escaped {
        return;
    }
    if player.translation.truncate().distance(GOAL) < GOAL_HALF {
        *alert = Alert::Escaped;
        music.request_cue("victory");
        music.set_parameter("danger", 0.0);
        audio.play(sfx.click.clone()).with_volume(-3.0);
        return;
    }
    let seen = guards.iter().any(|g| g.sees_player);
    *alert = match *alert {
        Alert::Hidden if seen => {
            info!("spotted: requesting combat");
            music.request_cue("combat");
            music.stinger("spotted");
            Alert::Spotted { lost: 0.0 }
        }
        Alert::Spotted { .. } if seen => Alert::Spotted { lost: 0.0 },
        Alert::Spotted { lost } => {
            let lost = lost + time.delta_secs();
            if lost >= LIE_LOW_SECONDS {
                // The rules only react to tension changes: pick the quiet cue that fits now.
                let tension = music.parameter("tension").unwrap_or(0.0);
                music.request_cue(if tension >= 0.5 {
                    "suspicion"
                } else {
                    "explore"
                });
                Alert::Hidden
            } else {
                Alert::Spotted { lost }
            }
        }
        other => other,
    };
    let danger = match *alert {
        Alert::Spotted { lost } => 1.0 - lost / LIE_LOW_SECONDS,
        _ => 0.0,
    };
    if music.parameter("danger") != Some(danger) {
        music.set_parameter("danger", danger);
    }
}

/// While the game wants `combat` or `victory`, cancels what the score's tension rules ask for
/// (they request `suspicion`/`explore` when tension crosses a threshold).
fn hold_cue(alert: Res<Alert>, music: Res<Music>) {
    let want = match *alert {
        Alert::Spotted { .. } => "combat",
        Alert::Escaped => "victory",
        Alert::Hidden => return,
    };
    let Some(score) = music.score().cloned() else {
        return;
    };
    let pending = music
        .snapshot()
        .pending
        .and_then(|p| score.cues.get(p.cue))
        .map(|c| c.name.clone());
    let drifting = match pending {
        Some(to) => to != want,
        None => music.current_cue() != Some(want),
    };
    if drifting {
        music.request_cue(want);
    }
}

fn read_beats(
    time: Res<Time>,
    mut pulse: ResMut<Pulse>,
    mut beats: MessageReader<Beat>,
    mut started: MessageReader<TransitionStarted>,
    mut cues: MessageReader<CueStarted>,
) {
    // A transition is under way from its start until its cue starts (after any bridge).
    for e in started.read() {
        pulse.incoming = Some(e.to.clone());
    }
    for e in cues.read() {
        if pulse.incoming.as_ref() == Some(&e.cue) {
            pulse.incoming = None;
        }
    }
    for beat in beats.read() {
        pulse.at = time.elapsed_secs();
        pulse.bar = beat.position.bar;
        pulse.beat = beat.position.beat;
        pulse.downbeat = beat.position.beat == 1;
    }
}

/// A child of a guard: its reach ring, view cone or body.
type GuardPart = (
    &'static mut Transform,
    &'static MeshMaterial2d<ColorMaterial>,
    Has<Cone>,
    Has<Body>,
);

fn draw_guards(
    guards: Query<(&Guard, &Children)>,
    mut parts: Query<GuardPart>,
    mut visibility: Query<&mut Visibility, With<Cone>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    for (guard, children) in &guards {
        for child in children {
            let Ok((mut t, material, cone, body)) = parts.get_mut(*child) else {
                continue;
            };
            let color = if guard.knocked_out {
                Color::srgb(0.35, 0.37, 0.42)
            } else if guard.sees_player {
                RED
            } else {
                AMBER
            };
            if cone {
                // The sector points up (+y); the guard faces `facing` from +x.
                t.rotation = Quat::from_rotation_z(guard.facing - std::f32::consts::FRAC_PI_2);
                if let Some(mut m) = materials.get_mut(&material.0) {
                    m.color = color.with_alpha(if guard.sees_player { 0.4 } else { 0.2 });
                }
                if let Ok(mut v) = visibility.get_mut(*child) {
                    *v = if guard.knocked_out {
                        Visibility::Hidden
                    } else {
                        Visibility::Inherited
                    };
                }
            } else if body && let Some(mut m) = materials.get_mut(&material.0) {
                m.color = color;
            }
        }
    }
}

fn pulse_goal(time: Res<Time>, pulse: Res<Pulse>, mut goal: Single<&mut Transform, With<Goal>>) {
    let flash = (-(time.elapsed_secs() - pulse.at) * 6.0).exp();
    let strength = if pulse.downbeat { 0.16 } else { 0.07 };
    goal.scale = Vec3::splat(1.0 + strength * flash);
}

#[allow(clippy::too_many_arguments)]
fn hud(
    time: Res<Time>,
    alert: Res<Alert>,
    pulse: Res<Pulse>,
    music: Res<Music>,
    mut labels: Query<(&Label, &mut Text, &mut TextColor)>,
    mut fills: Query<(&MeterFill, &mut Node)>,
    mut dot: Single<&mut BackgroundColor, With<BeatDot>>,
) {
    let (status, status_color) = match *alert {
        Alert::Hidden => ("HIDDEN".to_string(), GREEN),
        Alert::Spotted { lost } if lost > 0.0 => {
            (format!("LYING LOW {:.1}", LIE_LOW_SECONDS - lost), AMBER)
        }
        Alert::Spotted { .. } => ("SPOTTED!".to_string(), RED),
        Alert::Escaped => ("ESCAPED!".to_string(), GREEN),
    };
    // The heard (seeking) values, as the music follows them.
    let heard = |name: &str| {
        let score = music.score()?;
        let i = score.parameters.iter().position(|p| p.name == name)?;
        music.snapshot().heard.get(i).copied()
    };
    for (fill, mut node) in &mut fills {
        node.width = Val::Percent(heard(fill.0).unwrap_or(0.0).clamp(0.0, 1.0) * 100.0);
    }
    let pending = music.score().and_then(|score| {
        let p = music.snapshot().pending?;
        score.cues.get(p.cue).map(|c| c.name.clone())
    });
    let info = if !music.is_playing() {
        "music loading...".into()
    } else {
        format!(
            "bar {:>2} beat {}    music: {}{}",
            pulse.bar,
            pulse.beat,
            music.current_cue().unwrap_or("-"),
            match (pending, &pulse.incoming) {
                (Some(p), _) => format!(" -> {p} (pending)"),
                (None, Some(to)) => format!(" -> {to} (transition under way)"),
                (None, None) => String::new(),
            },
        )
    };
    for (label, mut text, mut color) in &mut labels {
        match label {
            Label::Status => {
                text.0.clone_from(&status);
                color.0 = status_color;
            }
            Label::Music => text.0.clone_from(&info),
            Label::Value(name) => text.0 = format!("{:.2}", heard(name).unwrap_or(0.0)),
        }
    }
    let flash = (-(time.elapsed_secs() - pulse.at) * 7.0).exp();
    let hot = if pulse.downbeat { AMBER } else { ACCENT };
    dot.0 = TRACK.mix(&hot, flash);
}

#[path = "support/screenshot.rs"]
mod screenshot;
