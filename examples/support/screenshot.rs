//! `LEITMOTIF_SCREENSHOT=path.png`: a screenshot 3 s after the music starts, then exit.
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
    waited: f32,
    playing: f32,
    taken: bool,
    saved: Arc<AtomicBool>,
}

pub fn add(app: &mut App) {
    let Some(path) = std::env::var_os("LEITMOTIF_SCREENSHOT") else {
        return;
    };
    app.insert_resource(Job {
        path: path.into(),
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
    // 3 s of music, or 60 s if the score never loads.
    if job.playing >= 3.0 || job.waited >= 60.0 {
        job.taken = true;
        let saved = job.saved.clone();
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(job.path.clone()))
            .observe(move |_: On<ScreenshotCaptured>| saved.store(true, Ordering::Release));
    }
}
