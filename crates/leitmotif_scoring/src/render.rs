//! The pipeline: place the spotted cues, turn the spotting list into conductor inputs, render
//! with the tail faded out.

use std::path::Path;
use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::TimedInput;
use leitmotif_engine::{BankOptions, OfflineRender, RenderOptions, Sink, SourceBank};
use leitmotif_film::CutList;
use leitmotif_film::spotting::{CueFromNote, SpottingList};

use crate::place::{Placed, place};
use crate::{FilmOptions, ScoringError, inputs, sample_of};

/// A cut list scored: the fitted cues and the render.
pub struct FilmRender {
    /// The score as rendered (with tempo-solved cue variants).
    pub score: Arc<Score>,
    /// The cues as placed on the timeline.
    pub placed: Vec<Placed>,
    /// The audio (empty when it went to a sink) and the plan.
    pub render: OfflineRender,
    /// Sample frames rendered (picture plus tail).
    pub frames: u64,
    /// Sample rate of the render.
    pub sample_rate: u32,
    /// The inputs given to the conductor.
    pub inputs: Vec<TimedInput>,
    /// The cues chosen from spotting notes (see [`crate::resolve_spotting`]).
    pub cues_from_notes: Vec<CueFromNote>,
    /// What loading the score's sources warned about (stems within the length tolerance, a
    /// `Soundfont` instrument without a `soundfont`, …), one line each.
    pub load_warnings: Vec<String>,
}

/// Fits a spotting list to a cut list and renders it: each cue's bar 1 lands on its frame,
/// tempos are solved for the hits, hits get a stinger on the frame when the score has an
/// `Immediate` stinger. Spotting frames count from the timeline's first frame; cues and
/// parameters the score lacks are skipped (see [`crate::check_spotting`]). A cue entry that
/// gave only a note plays the score cue nearest the note's mood ([`crate::resolve_spotting`];
/// its errors are located in the spotting list, though without its file name, which
/// [`crate::check_spotting`] gives).
///
/// The score's parameter rules are cleared (spotted cues decide). The last
/// [`FilmOptions::tail_seconds`] fade to silence. Audio goes block by block to `sink`, or into
/// [`OfflineRender::mix`] and [`OfflineRender::stems`] without one. Stem paths are relative to
/// `score_path`'s folder.
pub fn score_film(
    cut: &CutList,
    mut score: Score,
    spotting: &SpottingList,
    score_path: &Path,
    opts: &FilmOptions,
    sink: Option<&mut Sink<'_>>,
) -> Result<FilmRender, ScoringError> {
    let rate = cut.rate;
    let sr = opts.sample_rate;
    let duration = cut.duration_frames();
    let (resolved, cues_from_notes) = crate::resolve_spotting(spotting, &score, None)?;
    let spotting = &resolved;
    score.rules.clear();
    let placed = place(spotting, &mut score, rate, duration, opts.tempo_range, sr);
    if let Some(first) = placed.first() {
        // The first spotted cue is the initial cue: on frame 0 it opens the film with no
        // transition; later, it starts out of the silence before it.
        score.initial_cue = first.cue.clone();
    }
    let score = Arc::new(score);
    let bank_opts = BankOptions {
        allow_outside: opts.allow_outside_stems,
        ..BankOptions::for_score(score_path, sr)
    };
    let bank = SourceBank::load(&score, &bank_opts).map_err(|error| ScoringError::Bank {
        score: score_path.to_path_buf(),
        error,
    })?;
    let load_warnings = bank.warnings.clone();
    let bank = Arc::new(bank);
    let inputs = inputs::inputs(&score, spotting, &placed, rate, sr);
    let tail_len = (opts.tail_seconds * sr as f64) as u64;
    let frames = sample_of(rate, duration, sr).max(0) as u64 + tail_len;
    let render_opts = RenderOptions {
        frames,
        seed: opts.seed,
        stems: true,
        ..Default::default()
    };
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
        let target: &mut Sink<'_> = match sink {
            Some(sink) => sink,
            None => &mut collect,
        };
        leitmotif_engine::render_to(
            score.clone(),
            bank,
            &inputs,
            &render_opts,
            &mut |pos, m, s| {
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
            },
        )
    };
    if let Some(fault) = r.stream_faults.first() {
        return Err(ScoringError::Stream {
            fault: fault.clone(),
        });
    }
    r.mix = mix;
    r.stems = stems;
    Ok(FilmRender {
        score,
        placed,
        render: r,
        frames,
        sample_rate: sr,
        inputs,
        cues_from_notes,
        load_warnings,
    })
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

#[cfg(test)]
mod tests {
    use super::fade_block;

    #[test]
    fn the_tail_fades_linearly_to_silence() {
        let mut buf = vec![[1.0f32, -1.0]; 8];
        fade_block(&mut buf, 10, 12, 4);
        let left: Vec<f32> = buf.iter().map(|f| f[0]).collect();
        assert_eq!(left, [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]);
        assert!(buf.iter().all(|f| f[0] == -f[1]));
    }
}
