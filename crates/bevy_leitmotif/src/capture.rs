//! [`MusicCapture`]: a recording of what the offline backend played — the rendered frames and
//! every input given to each session — so a game session can be rendered again offline,
//! bit-identically, with `leitmotif_engine::render`.

use bevy::prelude::*;
use leitmotif_core::conductor::TimedInput;

/// Insert this resource (with the [`Offline`](crate::Backend::Offline) backend) to record the
/// music: `frames` holds every rendered frame from the first score's start, `inputs` every
/// input given to a session (session 0 is the first score played; later ones are hot reloads)
/// at the session frame it took effect.
#[derive(Resource, Debug, Default, Clone)]
pub struct MusicCapture {
    /// The rendered output, as heard (after the master volume).
    pub frames: Vec<[f32; 2]>,
    /// `(session, input)` in the order they were given.
    pub inputs: Vec<(u32, TimedInput)>,
}
