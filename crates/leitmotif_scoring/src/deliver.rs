//! The deliverables besides the audio: bridges as MIDI, the cue sheet, the report, the
//! timeline picture, and the music-cue EDL and OTIO timeline (in [`crate::export`]).

use std::path::Path;

use leitmotif_core::conductor::EventKind;
use leitmotif_engine::wav::write_atomic;
use leitmotif_film::CutList;
use leitmotif_film::autospot::timeline_start;
use leitmotif_film::spotting::SpottingList;
use leitmotif_film::timecode::format_frames;
use leitmotif_film::timeline::{PictureHit, TimelinePicture, render_png};
use serde_json::json;

use crate::{FilmRender, ScoringError, sample_of, secs};

/// What the deliverables of a render are written from.
pub struct Deliverables<'a> {
    /// The cut list scored.
    pub cut: &'a CutList,
    /// The spotting list it was scored with.
    pub spotting: &'a SpottingList,
    /// The render.
    pub film: &'a FilmRender,
    /// How `report.json` names the cut list (e.g. its path as the user gave it).
    pub cut_list_name: &'a str,
    /// What delivery normalisation did (`None`: the mix as rendered).
    pub loudness: Option<crate::loudness::LoudnessReport>,
    /// The written mix's short-term loudness over time, for the timeline picture's loudness
    /// lane (`None`: the lane says "not measured").
    pub loudness_curve: Option<&'a crate::loudness::LoudnessCurve>,
    /// Composers, publishers and usage of the cues for the cue sheet (`None`: composer
    /// "unknown", usage BI, and the report says so).
    pub credits: Option<&'a crate::Credits>,
    /// The stems written, by name (`stems/<name>.wav`), for `music.otio`.
    pub stems: &'a [String],
    /// The picture a preview is made under, for the report ([`crate::render_to_dir`] makes
    /// the preview).
    pub picture: Option<&'a Path>,
}

/// How a render went, for a one-line summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Cues placed.
    pub cues: usize,
    /// Hits spotted.
    pub hits: usize,
    /// The largest distance, in picture frames, from a hit to the music's nearest beat.
    pub worst_hit_frames: i64,
    /// Sample frames rendered (picture plus tail).
    pub frames: u64,
    /// Sample rate of the render.
    pub sample_rate: u32,
    /// What loading the score's sources warned about (also in `report.json`).
    pub load_warnings: Vec<String>,
    /// What delivery normalisation did (also in `report.json`).
    pub loudness: Option<crate::loudness::LoudnessReport>,
}

impl Summary {
    /// Seconds of music rendered.
    pub fn seconds(&self) -> f64 {
        self.frames as f64 / self.sample_rate as f64
    }
}

impl Deliverables<'_> {
    /// Writes `bridges/*.mid`, `cuesheet.csv`, `music.edl`, `music.otio`, `report.json` and
    /// `timeline.png` into `dir` (each file atomically). The audio is written by
    /// [`crate::render_to_dir`]. Refuses credits for a cue the film does not have.
    pub fn write(&self, dir: &Path) -> Result<Summary, ScoringError> {
        let (cut, sp, film) = (self.cut, self.spotting, self.film);
        let (score, r, sr) = (&film.score, &film.render, film.sample_rate);
        let rate = cut.rate;
        let origin = timeline_start(cut);
        let write = |name: &Path, bytes: &[u8]| {
            let path = dir.join(name);
            write_atomic(&path, bytes).map_err(ScoringError::io(path))
        };
        let bridges = dir.join("bridges");
        std::fs::create_dir_all(&bridges).map_err(ScoringError::io(&bridges))?;
        for b in &r.bridges {
            let name = format!(
                "bridge-{:02}-{}-to-{}.mid",
                b.id, score.cues[b.from as usize].name, score.cues[b.to as usize].name
            );
            write(
                &Path::new("bridges").join(name.replace('@', "_")),
                &b.score.to_smf(),
            )?;
        }
        // Cue sheet, EDL, OTIO timeline.
        let exports = crate::export::write(self, dir)?;
        let tc = |f: i64| format_frames(f + origin, rate);
        // Hits: the music's nearest beat to each hit, in picture frames.
        let to_frames = |samples: i64| (samples as f64 * rate.fps() / sr as f64).round() as i64;
        let mut hits_json = Vec::new();
        let mut pic_hits = Vec::new();
        let mut worst = 0i64;
        for (h, res) in sp.hits.iter().zip(film.hit_residuals(sp, rate)) {
            let err = res.frames;
            worst = worst.max(err.abs());
            hits_json.push(json!({"name": h.name, "timecode": tc(h.at), "frame": h.at, "importance": h.importance, "beat_error_frames": err, "beat_error_samples": res.samples, "on_bar_line": res.on_bar, "stinger_on_frame": res.stinger_on_frame}));
            pic_hits.push(PictureHit {
                at_s: secs(rate, h.at),
                name: h.name.clone(),
                error_frames: err,
            });
        }
        let starts: Vec<_> = r.events.iter().filter_map(|e| match e.kind {
            EventKind::CueStarted { cue } => Some(json!({"cue": score.cues[cue as usize].name, "sample": e.frame, "frame": to_frames(e.frame as i64), "timecode": tc(to_frames(e.frame as i64))})),
            _ => None,
        }).collect();
        let transitions: Vec<_> = r.events.iter().filter_map(|e| match e.kind {
            EventKind::TransitionStarted { from, to } => Some(json!({"from": score.cues[from as usize].name, "to": score.cues[to as usize].name, "sample": e.frame, "frame": to_frames(e.frame as i64)})),
            _ => None,
        }).collect();
        let report = json!({
            "score": score.name,
            "cut_list": self.cut_list_name,
            "frame_rate": rate.fps(),
            "sample_rate": sr,
            "start_timecode": tc(0),
            "cues": film.placed.iter().enumerate().map(|(i, p)| json!({"number": format!("M{:02}", i + 1), "cue": p.cue, "title": p.title, "note": p.note, "in": tc(p.start), "out": tc(p.end), "start_frame": p.start, "end_frame": p.end, "start_sample": sample_of(rate, p.start, sr), "bpm": p.bpm})).collect::<Vec<_>>(),
            "load_warnings": film.load_warnings,
            "cut_list_warnings": self.cut.warnings,
            "credits": exports["credits"],
            "exports": exports["exports"],
            "loudness": self.loudness.map(|l| json!({
                "target_lufs": l.target.lufs,
                "true_peak_ceiling_dbtp": l.target.true_peak_db,
                "measured_lufs": l.measured_lufs,
                "gain_db": l.gain_db,
                "integrated_lufs": l.integrated_lufs,
                "true_peak_dbtp": l.true_peak_db,
                "loudness_range_lu": l.range_lu,
            })),
            "cues_from_notes": film.cues_from_notes.iter().map(|c| json!({"line": c.line, "note": c.note, "valence": c.mood.0, "arousal": c.mood.1, "cue": c.cue})).collect::<Vec<_>>(),
            "cue_starts": starts,
            "transitions": transitions,
            "hits": hits_json,
            "bridges": r.bridges.iter().map(|b| json!({"id": b.id, "from": score.cues[b.from as usize].name, "to": score.cues[b.to as usize].name, "start_sample": b.start, "frames": b.frames})).collect::<Vec<_>>(),
        });
        // A `Value` of strings, numbers and booleans always serialises.
        let report = serde_json::to_string_pretty(&report).unwrap_or_default();
        write(Path::new("report.json"), report.as_bytes())?;
        // Timeline picture.
        let mut tension = Vec::new();
        if let Some(pi) = score.parameter_index("tension") {
            let mut value = score.parameters[pi].default;
            tension.push((0.0, value));
            for p in sp.params.iter().filter(|p| p.param == "tension") {
                tension.push((secs(rate, p.at), value));
                value = p.value;
                tension.push((secs(rate, p.at + p.ramp_frames), value));
            }
            tension.push((secs(rate, cut.duration_frames()), value));
        }
        let picture = TimelinePicture {
            title: format!(
                "{} - {}",
                cut.title.as_deref().unwrap_or("untitled"),
                score.name
            ),
            duration_s: secs(rate, cut.duration_frames()),
            shots: cut
                .shots()
                .iter()
                .map(|s| {
                    (
                        secs(rate, s.start - origin),
                        secs(rate, s.end - origin),
                        String::new(),
                    )
                })
                .collect(),
            cues: film
                .placed
                .iter()
                .map(|p| (secs(rate, p.start), secs(rate, p.end), p.cue.clone()))
                .collect(),
            transitions: crate::picture::transitions(
                r,
                score,
                secs(rate, cut.duration_frames()),
                sr,
            ),
            bridges: crate::picture::bridges(r, score, sr),
            tension,
            loudness: self.loudness_curve.map(crate::picture::loudness),
            hits: pic_hits,
            bars: crate::picture::bars(&r.events, sr),
        };
        write(Path::new("timeline.png"), &render_png(&picture, 1600, 640))?;
        Ok(Summary {
            cues: film.placed.len(),
            hits: sp.hits.len(),
            worst_hit_frames: worst,
            frames: film.frames,
            sample_rate: sr,
            load_warnings: film.load_warnings.clone(),
            loudness: self.loudness,
        })
    }
}
