//! How far the music's beats landed from the spotted hits.

use leitmotif_core::conductor::EventKind;
use leitmotif_film::FrameRate;
use leitmotif_film::spotting::SpottingList;

use crate::{FilmRender, sample_of};

/// How a hit was met: the music's nearest beat to it.
#[derive(Debug, Clone, PartialEq)]
pub struct HitResidual {
    /// The hit's name.
    pub name: String,
    /// The hit's timeline frame.
    pub frame: i64,
    /// The hit's sample frame in the render.
    pub sample: i64,
    /// Samples from the hit to the nearest beat (positive: the beat comes after the hit).
    pub samples: i64,
    /// The same in picture frames, rounded (what the report and the picture show).
    pub frames: i64,
    /// Whether that beat is a bar line.
    pub on_bar: bool,
    /// Whether a stinger sounds on the hit's frame.
    pub stinger_on_frame: bool,
}

impl FilmRender {
    /// The residual of every hit of `spotting` (the list the film was scored with; the cut
    /// list's `rate`): the music's nearest beat, as the render's events place it.
    pub fn hit_residuals(&self, spotting: &SpottingList, rate: FrameRate) -> Vec<HitResidual> {
        let sr = self.sample_rate;
        let events = &self.render.events;
        let beats: Vec<i64> = events
            .iter()
            .filter(|e| e.kind == EventKind::Beat)
            .map(|e| e.frame as i64)
            .collect();
        let is_bar = |f: i64| {
            events
                .iter()
                .any(|e| e.kind == EventKind::Bar && e.frame as i64 == f)
        };
        spotting
            .hits
            .iter()
            .map(|h| {
                let at = sample_of(rate, h.at, sr);
                let i = beats.partition_point(|&b| b < at);
                let nearest = [i.checked_sub(1), Some(i)]
                    .into_iter()
                    .flatten()
                    .filter_map(|k| beats.get(k))
                    .min_by_key(|&&b| (b - at).abs())
                    .copied();
                let samples = nearest.map_or(0, |b| b - at);
                HitResidual {
                    name: h.name.clone(),
                    frame: h.at,
                    sample: at,
                    samples,
                    frames: (samples as f64 * rate.fps() / sr as f64).round() as i64,
                    on_bar: nearest.is_some_and(is_bar),
                    stinger_on_frame: events.iter().any(|e| {
                        matches!(e.kind, EventKind::Stinger { .. }) && e.frame as i64 == at
                    }),
                }
            })
            .collect()
    }
}
