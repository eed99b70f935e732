//! Tension from the world: sources near the listener raise a score parameter.

use bevy::prelude::*;

use crate::api::Music;

/// The entity whose position tension is measured at (usually the player or the camera).
/// Only the first listener found is used.
#[derive(Component, Debug, Clone, Copy, Default, Reflect)]
#[reflect(Component, Default)]
pub struct MusicListener;

/// Something that makes the music tense when the listener is near: it adds
/// `weight * falloff(distance / radius)` to the tension parameter, where `falloff` is 1 at the
/// source, eases to 0 at `radius` (smoothstep) and is 0 beyond.
#[derive(Component, Debug, Clone, Copy, PartialEq, Reflect)]
#[reflect(Component, Default)]
pub struct TensionSource {
    /// Distance at which the contribution reaches zero.
    pub radius: f32,
    /// Contribution at zero distance.
    pub weight: f32,
}

impl Default for TensionSource {
    fn default() -> Self {
        TensionSource {
            radius: 10.0,
            weight: 1.0,
        }
    }
}

/// The score parameter [`TensionSource`]s drive (default `"tension"`).
#[derive(Resource, Debug, Clone, PartialEq, Eq, Reflect)]
#[reflect(Resource, Default)]
pub struct TensionParameter(pub String);

impl Default for TensionParameter {
    fn default() -> Self {
        TensionParameter("tension".into())
    }
}

/// `1 - smoothstep(0, 1, x)`: 1 at `x = 0`, 0 at `x >= 1`.
pub fn falloff(x: f32) -> f32 {
    // NaN (a zero radius) counts as out of range.
    if x.is_nan() || x >= 1.0 {
        return 0.0;
    }
    let x = x.max(0.0);
    1.0 - x * x * (3.0 - 2.0 * x)
}

/// Where an entity is: its `GlobalTransform` when it has a parent (propagated by
/// `TransformPlugin`), else its own `Transform` (correct without `TransformPlugin`, and one
/// frame fresher).
fn position(t: &Transform, g: &GlobalTransform, parent: bool) -> Vec3 {
    if parent {
        g.translation()
    } else {
        t.translation
    }
}

type Placed = (&'static Transform, &'static GlobalTransform, Has<ChildOf>);

/// Sums the tension sources around the listener into the tension parameter.
pub(crate) fn tension_system(
    listener: Query<Placed, With<MusicListener>>,
    sources: Query<(Placed, &TensionSource)>,
    parameter: Res<TensionParameter>,
    music: Res<Music>,
    mut last: Local<Option<f32>>,
) {
    let Some((t, g, p)) = listener.iter().next() else {
        return;
    };
    let at = position(t, g, p);
    let mut sum = 0.0f32;
    for ((t, g, p), source) in &sources {
        if source.radius <= 0.0 {
            continue;
        }
        let d2 = position(t, g, p).distance_squared(at);
        if d2 >= source.radius * source.radius {
            continue;
        }
        sum += source.weight * falloff(d2.sqrt() / source.radius);
    }
    let Some((min, max)) = music.parameter_range(&parameter.0) else {
        if music.score().is_some() && last.is_none() {
            // The planner warns once that the score has no such parameter.
            *last = Some(sum);
            music.set_parameter(&parameter.0, sum);
        }
        return;
    };
    let value = sum.clamp(min, max);
    if *last != Some(value) || parameter.is_changed() {
        *last = Some(value);
        music.set_parameter(&parameter.0, value);
    }
}
