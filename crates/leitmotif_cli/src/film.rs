//! `leitmotif render`: score a cut list offline and write the deliverables.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use leitmotif_core::Score;
use leitmotif_core::conductor::{Conductor, EventKind, Input, TimedInput};
use leitmotif_core::score::{Bridge, Source, Sync as SyncPoint};
use leitmotif_core::time::TempoMap;
use leitmotif_engine::{BankOptions, RenderOptions, SourceBank, wav};
use leitmotif_film::autospot::{Lexicon, auto_spot, timeline_start};
use leitmotif_film::spotting::{SpottingList, parse_spotting_at};
use leitmotif_film::timeline::{PictureHit, TimelinePicture, render_png};
use leitmotif_film::{CutList, FrameRate, ParseOptions};
use serde_json::json;

use crate::commands::parse_rate;
use crate::user;

/// Output sample rate of film renders.
pub const SAMPLE_RATE: u32 = 48_000;

/// Arguments of `leitmotif render`.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The score (`*.score.ron`).
    #[arg(long)]
    pub score: PathBuf,
    /// The cut list (EDL, OTIO, FCP7 XML, FCPXML).
    #[arg(long)]
    pub cues: PathBuf,
    /// A spotting list (RON or CSV); without one, the film is spotted automatically.
    #[arg(long)]
    pub spotting: Option<PathBuf>,
    /// Frame rate of the cut list (EDLs do not state it), e.g. 24, 25, 29.97df.
    #[arg(long)]
    pub fps: Option<String>,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Replace existing outputs.
    #[arg(long)]
    pub force: bool,
    /// Accept record/source duration mismatches in the cut list.
    #[arg(long)]
    pub lenient: bool,
    /// Seed for everything random.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds of music after the last picture frame (ring-out, faded).
    #[arg(long, default_value_t = 3.0)]
    pub tail: f64,
}

/// One spotted cue as fitted to the picture.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Cue name.
    pub cue: String,
    /// Title for the cue sheet.
    pub title: String,
    /// Start and end in timeline frames.
    pub start: i64,
    /// End in timeline frames.
    pub end: i64,
    /// Tempo chosen by the solver.
    pub bpm: f64,
}

/// A cut list scored: the fitted cues and the render.
pub struct FilmRender {
    /// The score as rendered (with tempo-solved cue variants).
    pub score: Arc<Score>,
    /// The cues as placed on the timeline.
    pub placed: Vec<Placed>,
    /// The audio and the plan.
    pub render: leitmotif_engine::OfflineRender,
    /// Frames rendered (picture plus tail).
    pub frames: u64,
    /// The inputs given to the conductor.
    pub inputs: Vec<TimedInput>,
}

/// Fits a spotting list to a cut list and renders it: each cue starts on its frame, tempos
/// are solved for the hits, hits get a stinger on the frame when the score has an
/// `Immediate` stinger. Spotting frames count from the timeline's first frame.
pub fn score_film(
    cut: &CutList,
    mut score: Score,
    spotting: &SpottingList,
    score_path: &Path,
    seed: u64,
    tail: f64,
    sink: Option<&mut leitmotif_engine::Sink<'_>>,
) -> Result<FilmRender> {
    let rate = cut.rate;
    let duration = cut.duration_frames();
    // Spotted cues decide; the score's parameter rules are for games.
    score.rules.clear();
    let placed = place(spotting, &mut score, rate, duration);
    if let Some(first) = placed.first().filter(|p| p.start == 0) {
        // The first spotted cue opens the film: it is the initial cue, no transition needed.
        score.initial_cue = first.cue.clone();
    }
    let score = Arc::new(score);
    let bank = Arc::new(
        SourceBank::load(&score, &BankOptions::for_score(score_path, SAMPLE_RATE))
            .map_err(|e| user(format!("{}: {e}", score_path.display())))?,
    );
    let inputs = inputs(&score, spotting, &placed, rate);
    let frames = sample_of(rate, duration).max(0) as u64 + (tail * SAMPLE_RATE as f64) as u64;
    let opts = RenderOptions {
        frames,
        seed,
        stems: true,
        ..Default::default()
    };
    // The last `tail` seconds fade out; audio goes to `sink`, or into memory without one.
    let tail_len = (tail * SAMPLE_RATE as f64) as u64;
    let fade_from = frames.saturating_sub(tail_len);
    let (mut mix, mut stems): (Vec<[f32; 2]>, Vec<Vec<[f32; 2]>>) = (Vec::new(), Vec::new());
    let (mut faded_mix, mut faded_stems): (Vec<[f32; 2]>, Vec<Vec<[f32; 2]>>) =
        (Vec::new(), Vec::new());
    let mut r = {
        let mut collect = |_: u64, m: &[[f32; 2]], s: &[Vec<[f32; 2]>]| {
            mix.extend_from_slice(m);
            stems.resize_with(s.len(), Vec::new);
            for (d, src) in stems.iter_mut().zip(s) {
                d.extend_from_slice(src);
            }
        };
        let target: &mut leitmotif_engine::Sink<'_> = match sink {
            Some(sink) => sink,
            None => &mut collect,
        };
        leitmotif_engine::render_to(score.clone(), bank, &inputs, &opts, &mut |pos, m, s| {
            if pos + (m.len() as u64) <= fade_from {
                return target(pos, m, s);
            }
            faded_mix.clear();
            faded_mix.extend_from_slice(m);
            fade_block(&mut faded_mix, pos, fade_from, tail_len);
            faded_stems.resize_with(s.len(), Vec::new);
            for (d, src) in faded_stems.iter_mut().zip(s) {
                d.clear();
                d.extend_from_slice(src);
                fade_block(d, pos, fade_from, tail_len);
            }
            target(pos, &faded_mix, &faded_stems)
        })
    };
    r.mix = mix;
    r.stems = stems;
    Ok(FilmRender {
        score,
        placed,
        render: r,
        frames,
        inputs,
    })
}

/// Seconds of a timeline frame.
fn secs(rate: FrameRate, frames: i64) -> f64 {
    rate.frames_to_seconds(frames)
}

/// Output sample frame of a timeline frame (exact for integer rates).
fn sample_of(rate: FrameRate, frames: i64) -> i64 {
    (frames as i128 * SAMPLE_RATE as i128 * rate.den() as i128 / rate.num() as i128) as i64
}

/// `leitmotif render`.
pub fn render(a: RenderArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let opts = ParseOptions {
        lenient: a.lenient,
        rate: parse_rate(a.fps.as_deref())?,
    };
    let cut = crate::commands::read_cut_list(&a.cues, &opts)?;
    let score = Score::load(&a.score).map_err(user)?;
    let rate = cut.rate;
    // Spotting frames count from the timeline's first frame; `origin` is its record timecode.
    let origin = timeline_start(&cut);
    let spotting = match &a.spotting {
        Some(p) => parse_spotting_at(p, rate, origin).map_err(user)?,
        None => auto_spot(&cut, &score, &Lexicon::default()),
    };
    check_names(&spotting, &score, a.spotting.as_deref().unwrap_or(&a.cues))?;
    let outputs = ["mix.wav", "cuesheet.csv", "timeline.png", "report.json"];
    if !a.force
        && let Some(existing) = outputs.iter().map(|o| a.out.join(o)).find(|p| p.exists())
    {
        return Err(user(format!(
            "{} exists (hint: pass --force to replace the outputs)",
            existing.display()
        )));
    }
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_message("fitting cues to picture and rendering");
    // Everything is written into a temporary folder (created when the first audio arrives, so
    // a failure before that leaves nothing), then renamed into place.
    let tmp = a.out.join(format!(".leitmotif-tmp-{}", std::process::id()));
    let out_existed = a.out.exists();
    let bext = wav::Bext {
        description: format!(
            "Leitmotif score \"{}\" for {}",
            score.name,
            cut.title.as_deref().unwrap_or("untitled")
        ),
        originator: "Leitmotif".into(),
        time_reference: sample_of(rate, origin).max(0) as u64,
    };
    let mut writers: Option<(wav::WavWriter, Vec<wav::WavWriter>)> = None;
    let mut io_error: Option<anyhow::Error> = None;
    let film = {
        let mut sink = |_: u64, m: &[[f32; 2]], s: &[Vec<[f32; 2]>]| {
            if io_error.is_some() {
                return;
            }
            let mut write = || -> Result<()> {
                if writers.is_none() {
                    std::fs::create_dir_all(tmp.join("stems"))?;
                    std::fs::create_dir_all(tmp.join("bridges"))?;
                    let mix = wav::WavWriter::create(
                        &tmp.join("mix.wav"),
                        SAMPLE_RATE,
                        wav::WavFormat::Int24,
                        Some(&bext),
                    )?;
                    let stems = (0..s.len())
                        .map(|i| {
                            wav::WavWriter::create(
                                &tmp.join("stems").join(format!("{i}.part")),
                                SAMPLE_RATE,
                                wav::WavFormat::Int24,
                                Some(&bext),
                            )
                        })
                        .collect::<std::io::Result<Vec<_>>>()?;
                    writers = Some((mix, stems));
                }
                if let Some((mix, stems)) = writers.as_mut() {
                    mix.write(m)?;
                    for (w, x) in stems.iter_mut().zip(s) {
                        w.write(x)?;
                    }
                }
                Ok(())
            };
            if let Err(e) = write() {
                io_error = Some(e);
            }
        };
        score_film(
            &cut,
            score,
            &spotting,
            &a.score,
            a.seed,
            a.tail,
            Some(&mut sink),
        )
    };
    let cleanup = || {
        let _ = std::fs::remove_dir_all(&tmp);
        if !out_existed {
            let _ = std::fs::remove_dir(&a.out);
        }
    };
    let film = match (film, io_error) {
        (Ok(film), None) => film,
        (Err(e), _) | (Ok(_), Some(e)) => {
            drop(writers);
            cleanup();
            return Err(e);
        }
    };
    let (score, placed, r, frames) = (film.score, film.placed, film.render, film.frames);
    progress.set_message("writing");
    let finished = (|| -> Result<()> {
        let Some((mix, stems)) = writers.take() else {
            return Err(anyhow::anyhow!("nothing was rendered"));
        };
        mix.finish()?;
        for ((i, w), name) in stems.into_iter().enumerate().zip(&r.stem_names) {
            let part = tmp.join("stems").join(format!("{i}.part"));
            if w.audible {
                w.finish()?;
                std::fs::rename(&part, tmp.join("stems").join(format!("{name}.wav")))?;
            } else {
                drop(w);
                std::fs::remove_file(&part)?;
            }
        }
        Ok(())
    })();
    if let Err(e) = finished {
        cleanup();
        return Err(e);
    }
    let result = write_outputs(&tmp, &a, &cut, &score, &placed, &spotting, &r, origin);
    let result = result.and_then(|report| {
        // Replace earlier outputs only now that every new one is complete.
        for entry in ["stems", "bridges"] {
            let dst = a.out.join(entry);
            if dst.exists() {
                std::fs::remove_dir_all(&dst)?;
            }
            std::fs::rename(tmp.join(entry), dst)?;
        }
        for o in outputs {
            std::fs::rename(tmp.join(o), a.out.join(o))?;
        }
        Ok(report)
    });
    if result.is_err() {
        cleanup();
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let report = result?;
    progress.finish_and_clear();
    let secs_audio = frames as f64 / SAMPLE_RATE as f64;
    let took = started.elapsed().as_secs_f64();
    println!(
        "{}: {} cues, {} hits (worst {} frames off the beat), {:.1} s of music in {:.2} s ({:.0}× realtime)",
        a.out.display(),
        placed.len(),
        report.0,
        report.1,
        secs_audio,
        took,
        secs_audio / took.max(1e-9)
    );
    Ok(())
}

fn check_names(sp: &SpottingList, score: &Score, file: &Path) -> Result<()> {
    for s in &sp.cues {
        if score.cue(&s.cue).is_none() {
            let names: Vec<&str> = score.cues.iter().map(|c| c.name.as_str()).collect();
            return Err(user(format!(
                "{}:{}: unknown cue \"{}\" (hint: the score has {})",
                file.display(),
                s.line,
                s.cue,
                names.join(", ")
            )));
        }
    }
    for p in &sp.params {
        if score.parameter_index(&p.param).is_none() {
            let names: Vec<&str> = score.parameters.iter().map(|p| p.name.as_str()).collect();
            let hint = if names.is_empty() {
                "the score has no parameters".to_string()
            } else {
                format!("the score has {}", names.join(", "))
            };
            return Err(user(format!(
                "{}:{}: unknown parameter \"{}\" (hint: {hint})",
                file.display(),
                p.line,
                p.param
            )));
        }
    }
    Ok(())
}

/// Places spotted cues and solves each one's tempo for the hits inside it: candidate tempos
/// within ±8 % of the written tempo (only for cues whose layers are all generated, which can
/// be re-synthesised at any tempo) are ranked by importance-weighted frames between each hit
/// and the nearest strong beat (bar lines count fully, other beats half).
fn place(sp: &SpottingList, score: &mut Score, rate: FrameRate, duration: i64) -> Vec<Placed> {
    let mut cues: Vec<_> = sp.cues.clone();
    cues.sort_by_key(|c| c.start);
    let mut placed = Vec::new();
    for (i, s) in cues.iter().enumerate() {
        let start = s.start;
        let end = cues
            .get(i + 1)
            .map_or(duration, |n| n.start)
            .min(s.end.unwrap_or(i64::MAX))
            .min(duration);
        let Some(ci) = score.cue_index(&s.cue) else {
            continue;
        };
        let cue = &score.cues[ci];
        let tempo = score.cue_tempo(cue).clone();
        let flexible = cue
            .layers
            .iter()
            .all(|l| matches!(l.source, Source::Generated(_) | Source::Silence));
        let hits: Vec<(i64, f32)> = sp
            .hits
            .iter()
            .map(|h| (h.at, h.importance))
            .filter(|h| h.0 >= start && h.0 < end)
            .collect();
        let mut best = (tempo.bpm, f64::MAX);
        if flexible && !hits.is_empty() {
            for k in -80..=80 {
                let bpm = tempo.bpm * (1.0 + k as f64 / 1000.0);
                let cost = hit_cost(bpm, tempo.meter.0, start, &hits, rate);
                if cost < best.1 - 1e-9 {
                    best = (bpm, cost);
                }
            }
        }
        let mut name = s.cue.clone();
        if (best.0 - tempo.bpm).abs() > 1e-9 {
            // A variant of the cue at the solved tempo, synthesised like the original.
            let mut variant = score.cues[ci].clone();
            name = format!("{}@{:.1}", s.cue, best.0);
            variant.name = name.clone();
            let mut t = tempo.clone();
            t.bpm = best.0;
            variant.tempo = Some(t);
            variant.tempo_variants.clear();
            if score.cue(&name).is_none() {
                score.cues.push(variant);
                // The variant follows the transition rules that name its cue.
                let named: Vec<_> = score
                    .transitions
                    .iter()
                    .filter(|t| t.from == s.cue || t.to == s.cue)
                    .cloned()
                    .collect();
                for mut t in named {
                    if t.from == s.cue {
                        t.from = name.clone();
                    }
                    if t.to == s.cue {
                        t.to = name.clone();
                    }
                    if !score
                        .transitions
                        .iter()
                        .any(|x| x.from == t.from && x.to == t.to)
                    {
                        score.transitions.push(t);
                    }
                }
            }
        }
        placed.push(Placed {
            cue: name,
            title: s.title.clone().unwrap_or_else(|| s.cue.clone()),
            start,
            end,
            bpm: best.0,
        });
    }
    placed
}

fn hit_cost(bpm: f64, beats_per_bar: u32, start: i64, hits: &[(i64, f32)], rate: FrameRate) -> f64 {
    hits.iter()
        .map(|&(at, importance)| {
            let beats = secs(rate, at - start) * bpm / 60.0;
            let frames_per_beat = 60.0 / bpm * rate.fps();
            let to_beat = (beats - beats.round()).abs() * frames_per_beat;
            let bars = beats / beats_per_bar as f64;
            let to_bar = (bars - bars.round()).abs() * frames_per_beat * beats_per_bar as f64;
            importance as f64 * to_bar.min(2.0 * to_beat)
        })
        .sum()
}

fn inputs(score: &Score, sp: &SpottingList, placed: &[Placed], rate: FrameRate) -> Vec<TimedInput> {
    let mut v = Vec::new();
    let pickup = |cue: usize| {
        let c = &score.cues[cue];
        let map = TempoMap::from_tempo(score.cue_tempo(c), SAMPLE_RATE, 0);
        -map.frame_at_tick(-(c.pickup_beats as i64) * leitmotif_core::time::TICKS_PER_BEAT)
    };
    let rules = Conductor::new(Arc::new(score.clone()), SAMPLE_RATE, 0);
    let mut prev: Option<usize> = Some(score.cue_index(&score.initial_cue).unwrap_or(0));
    for p in placed
        .iter()
        .filter(|p| !(p.start == 0 && p.cue == score.initial_cue))
    {
        let ci = score.cue_index(&p.cue).unwrap_or(0);
        // A bridge or segment plays before the cue's bar 1: start the transition that much
        // earlier so bar 1 still lands on the spotted frame.
        let between = prev
            .filter(|&f| f != ci)
            .map_or(0, |f| between_frames(score, rules.rule_for(f, ci), f, ci));
        let at = (sample_of(rate, p.start) - pickup(ci) - between).max(0) as u64;
        v.push(TimedInput {
            frame: at,
            input: Input::StartCue(ci),
        });
        prev = Some(ci);
    }
    for pp in &sp.params {
        let Some(pi) = score.parameter_index(&pp.param) else {
            continue;
        };
        let at = sample_of(rate, pp.at).max(0);
        if pp.ramp_frames <= 0 {
            v.push(TimedInput {
                frame: at as u64,
                input: Input::SetParameter(pi, pp.value),
            });
        } else {
            // A ramp: the value before it, stepped every 100 ms towards the target.
            let len = sample_of(rate, pp.ramp_frames);
            let steps = (len / (SAMPLE_RATE as i64 / 10)).max(1);
            let before = sp
                .params
                .iter()
                .filter(|q| q.param == pp.param && q.at < pp.at)
                .max_by_key(|q| q.at)
                .map_or(score.parameters[pi].default, |q| q.value);
            for k in 1..=steps {
                let value = before + (pp.value - before) * k as f32 / steps as f32;
                v.push(TimedInput {
                    frame: (at + len * k / steps) as u64,
                    input: Input::SetParameter(pi, value),
                });
            }
        }
    }
    if let Some(si) = score
        .stingers
        .iter()
        .position(|s| s.sync == SyncPoint::Immediate)
    {
        for h in &sp.hits {
            v.push(TimedInput {
                frame: sample_of(rate, h.at).max(0) as u64,
                input: Input::Stinger(si),
            });
        }
    }
    v.sort_by_key(|i| i.frame);
    v
}

/// Frames of the bridge or segment a transition rule puts before the target's bar 1.
fn between_frames(score: &Score, rule: Option<usize>, from: usize, to: usize) -> i64 {
    let Some(rule) = rule.map(|r| &score.transitions[r]) else {
        return 0;
    };
    let from_tempo = score.cue_tempo(&score.cues[from]);
    let bpb = from_tempo.meter.0;
    match &rule.bridge {
        Bridge::None => 0,
        Bridge::Segment(name) => {
            let bars = score
                .segments
                .iter()
                .find(|s| &s.name == name)
                .map_or(0, |s| s.bars);
            TempoMap::constant(SAMPLE_RATE, 0, from_tempo.bpm, bpb).frame_at_bar(bars + 1)
        }
        Bridge::Generated(bars) => {
            let to_bpm = score.cue_tempo(&score.cues[to]).bpm;
            TempoMap::ramp(SAMPLE_RATE, 0, from_tempo.bpm, to_bpm, bars * bpb, bpb)
                .frame_at_bar(bars + 1)
        }
    }
}

/// Fades the frames of `buf` (starting at `pos`) that fall after `from`, linearly to zero
/// over `len` frames.
fn fade_block(buf: &mut [[f32; 2]], pos: u64, from: u64, len: u64) {
    for (k, f) in buf.iter_mut().enumerate() {
        let at = pos + k as u64;
        if at >= from {
            let g = 1.0 - ((at - from) as f32 / len.max(1) as f32).min(1.0);
            f[0] *= g;
            f[1] *= g;
        }
    }
}

/// Writes every output into `dir`; returns (hit count, worst hit error in frames).
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    dir: &Path,
    a: &RenderArgs,
    cut: &CutList,
    score: &Score,
    placed: &[Placed],
    sp: &SpottingList,
    r: &leitmotif_engine::OfflineRender,
    origin: i64,
) -> Result<(usize, i64)> {
    let rate = cut.rate;
    for b in &r.bridges {
        let name = format!(
            "bridge-{:02}-{}-to-{}.mid",
            b.id, score.cues[b.from as usize].name, score.cues[b.to as usize].name
        );
        wav::write_atomic(
            &dir.join("bridges").join(name.replace('@', "_")),
            &b.score.to_smf(),
        )?;
    }
    // Cue sheet.
    let tc = |f: i64| leitmotif_film::timecode::format_frames(f + origin, rate);
    let mut csv = String::from("cue,title,in,out,duration_s,usage,bpm\n");
    for (i, p) in placed.iter().enumerate() {
        csv.push_str(&format!(
            "M{:02},\"{}\",{},{},{:.2},BI,{:.1}\n",
            i + 1,
            p.title.replace('"', "'"),
            tc(p.start),
            tc(p.end),
            secs(rate, p.end - p.start),
            p.bpm
        ));
    }
    wav::write_atomic(&dir.join("cuesheet.csv"), csv.as_bytes())?;
    // Hits: the music's nearest beat to each hit, in picture frames.
    let beats: Vec<i64> = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Beat)
        .map(|e| e.frame as i64)
        .collect();
    let to_frames =
        |samples: i64| (samples as f64 * rate.fps() / SAMPLE_RATE as f64).round() as i64;
    let mut hits_json = Vec::new();
    let mut pic_hits = Vec::new();
    let mut worst = 0i64;
    for h in &sp.hits {
        let at = sample_of(rate, h.at);
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
        "cut_list": a.cues.display().to_string(),
        "frame_rate": rate.fps(),
        "sample_rate": SAMPLE_RATE,
        "start_timecode": tc(0),
        "cues": placed.iter().map(|p| json!({"cue": p.cue, "title": p.title, "in": tc(p.start), "out": tc(p.end), "start_frame": p.start, "start_sample": sample_of(rate, p.start), "bpm": p.bpm})).collect::<Vec<_>>(),
        "cue_starts": starts,
        "transitions": transitions,
        "hits": hits_json,
        "bridges": r.bridges.iter().map(|b| json!({"id": b.id, "from": score.cues[b.from as usize].name, "to": score.cues[b.to as usize].name, "start_sample": b.start, "frames": b.frames})).collect::<Vec<_>>(),
    });
    wav::write_atomic(
        &dir.join("report.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    // Timeline picture.
    let tension_param = score.parameter_index("tension");
    let mut tension = Vec::new();
    if let Some(pi) = tension_param {
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
        cues: placed
            .iter()
            .map(|p| (secs(rate, p.start), secs(rate, p.end), p.cue.clone()))
            .collect(),
        tension,
        hits: pic_hits,
        bars: r
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Bar)
            .map(|e| e.frame as f64 / SAMPLE_RATE as f64)
            .collect(),
    };
    wav::write_atomic(&dir.join("timeline.png"), &render_png(&picture, 1600, 520))?;
    Ok((sp.hits.len(), worst))
}

/// Composes a bridge between two cues (for `leitmotif bridge`).
pub fn compose_bridge(
    score: &Score,
    from: usize,
    to: usize,
    bars: u32,
    seed: u64,
) -> Result<leitmotif_gen::BridgeScore, leitmotif_gen::GenError> {
    let req =
        leitmotif_engine::session::bridge_request(score, from, to, score.cues[from].bars, bars);
    leitmotif_gen::compose_bridge(&req, seed)
}
