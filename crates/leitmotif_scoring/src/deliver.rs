//! The deliverables besides the audio: bridges as MIDI, the cue sheet, the report and the
//! timeline picture.

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
    /// Writes `bridges/*.mid`, `cuesheet.csv`, `report.json` and `timeline.png` into `dir`
    /// (each file atomically). The audio is written by [`crate::render_to_dir`].
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
        // Cue sheet.
        let tc = |f: i64| format_frames(f + origin, rate);
        let mut csv = String::from("cue,title,in,out,duration_s,usage,bpm,note\n");
        // A quoted field on one line: double quotes become single, line breaks spaces.
        let field = |t: &str| t.replace('"', "'").replace(['\r', '\n'], " ");
        for (i, p) in film.placed.iter().enumerate() {
            csv.push_str(&format!(
                "M{:02},\"{}\",{},{},{:.2},BI,{:.1},\"{}\"\n",
                i + 1,
                field(&p.title),
                tc(p.start),
                tc(p.end),
                secs(rate, p.end - p.start),
                p.bpm,
                field(p.note.as_deref().unwrap_or_default())
            ));
        }
        write(Path::new("cuesheet.csv"), csv.as_bytes())?;
        // Hits: the music's nearest beat to each hit, in picture frames.
        let beats: Vec<i64> = r
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Beat)
            .map(|e| e.frame as i64)
            .collect();
        let to_frames = |samples: i64| (samples as f64 * rate.fps() / sr as f64).round() as i64;
        let mut hits_json = Vec::new();
        let mut pic_hits = Vec::new();
        let mut worst = 0i64;
        for h in &sp.hits {
            let at = sample_of(rate, h.at, sr);
            let i = beats.partition_point(|&b| b < at);
            let nearest = [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .filter_map(|k| beats.get(k))
                .min_by_key(|&&b| (b - at).abs())
                .copied()
                .unwrap_or(at);
            let err = to_frames(nearest - at);
            let stinger = r
                .events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Stinger { .. }) && e.frame as i64 == at);
            worst = worst.max(err.abs());
            hits_json.push(json!({"name": h.name, "timecode": tc(h.at), "frame": h.at, "importance": h.importance, "beat_error_frames": err, "stinger_on_frame": stinger}));
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
            "cues": film.placed.iter().map(|p| json!({"cue": p.cue, "title": p.title, "note": p.note, "in": tc(p.start), "out": tc(p.end), "start_frame": p.start, "start_sample": sample_of(rate, p.start, sr), "bpm": p.bpm})).collect::<Vec<_>>(),
            "load_warnings": film.load_warnings,
            "cut_list_warnings": self.cut.warnings,
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
            tension,
            hits: pic_hits,
            bars: r
                .events
                .iter()
                .filter(|e| e.kind == EventKind::Bar)
                .map(|e| e.frame as f64 / sr as f64)
                .collect(),
        };
        write(Path::new("timeline.png"), &render_png(&picture, 1600, 520))?;
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
