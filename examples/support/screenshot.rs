//! `LEITMOTIF_SCREENSHOT=path.png`: a screenshot 3 s after the music starts (or
//! `LEITMOTIF_SCREENSHOT_AFTER` seconds), then exit.
//! Shared by the examples (`#[path = "support/screenshot.rs"] mod screenshot;`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy_leitmotif::prelude::*;

#[derive(Resource)]
struct Job {
    path: PathBuf,
    /// Seconds of music before the screenshot.
    after: f32,
    waited: f32,
    playing: f32,
    taken: bool,
    saved: Arc<AtomicBool>,
}

pub fn add(app: &mut App) {
    let Some(path) = std::env::var_os("LEITMOTIF_SCREENSHOT") else {
        return;
    };
    let after = std::env::var("LEITMOTIF_SCREENSHOT_AFTER")
        .ok()
        .and_then(|s| s.parse::<f32>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(3.0);
    app.insert_resource(Job {
        path: path.into(),
        after,
        waited: 0.0,
        playing: 0.0,
        taken: false,
        saved: Arc::default(),
    })
    .add_systems(Last, take);
}

fn take(
    mut commands: Commands,
    mut job: ResMut<Job>,
    time: Res<Time>,
    music: Res<Music>,
    mut exit: MessageWriter<AppExit>,
) {
    if job.saved.load(Ordering::Acquire) {
        exit.write(AppExit::Success);
        return;
    }
    if job.taken {
        return;
    }
    job.waited += time.delta_secs();
    if music.is_playing() {
        job.playing += time.delta_secs();
    }
    // 3 s (or `after`) of music, or 60 s more if the score never loads.
    if job.playing >= job.after || job.waited >= job.after + 60.0 {
        job.taken = true;
        let saved = job.saved.clone();
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(job.path.clone()))
            .observe(move |_: On<ScreenshotCaptured>| saved.store(true, Ordering::Release));
    }
}
