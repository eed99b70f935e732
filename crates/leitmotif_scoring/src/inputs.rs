//! The spotting list as conductor inputs, and the check that it names only what the score has.

use std::path::Path;

use leitmotif_core::Score;
use leitmotif_core::conductor::{Input, TimedInput};
use leitmotif_core::score::Sync as SyncPoint;
use leitmotif_core::timing;
use leitmotif_film::FrameRate;
use leitmotif_film::autospot::Lexicon;
use leitmotif_film::spotting::{CueFromNote, Ending, SpottingList, assign_cues};

use crate::place::Placed;
use crate::{ScoringError, sample_of};

/// The spotting list with the cue of every entry that gave only a note chosen from the
/// note's mood (the score cue with the nearest `mood`, read with the built-in lexicon; see
/// [`leitmotif_film::spotting::assign_cues`]), and what was chosen. `file` names the
/// spotting list in messages. [`check_spotting`] and [`crate::score_film`] do this
/// themselves; call it to show the choices.
pub fn resolve_spotting(
    sp: &SpottingList,
    score: &Score,
    file: Option<&Path>,
) -> Result<(SpottingList, Vec<CueFromNote>), ScoringError> {
    let mut resolved = sp.clone();
    if !sp.has_unassigned_cues() {
        return Ok((resolved, Vec::new()));
    }
    let chosen = assign_cues(&mut resolved, score, &Lexicon::default(), file).map_err(|error| {
        ScoringError::Spotting {
            error: Box::new(error),
        }
    })?;
    Ok((resolved, chosen))
}

/// Refuses a spotting list naming a cue or parameter that `score` lacks, or with a cue to be
/// chosen from a note that cannot be (see [`resolve_spotting`]); `file` is the spotting list
/// (or the cut list it was spotted from) for the message.
pub fn check_spotting(sp: &SpottingList, score: &Score, file: &Path) -> Result<(), ScoringError> {
    let (sp, _) = resolve_spotting(sp, score, Some(file))?;
    if let Some(s) = sp.cues.iter().find(|s| score.cue(&s.cue).is_none()) {
        return Err(ScoringError::UnknownCue {
            file: file.to_path_buf(),
            line: s.line,
            cue: s.cue.clone(),
            known: score.cues.iter().map(|c| c.name.clone()).collect(),
        });
    }
    if let Some(p) = sp
        .params
        .iter()
        .find(|p| score.parameter_index(&p.param).is_none())
    {
        return Err(ScoringError::UnknownParameter {
            file: file.to_path_buf(),
            line: p.line,
            param: p.param.clone(),
            known: score.parameters.iter().map(|p| p.name.clone()).collect(),
        });
    }
    Ok(())
}

/// The conductor inputs for placed cues (started early by their pickup and any bridge before
/// bar 1, so bar 1 lands on the spotted frame; the music stopped before the first when it
/// does not open the film), their fitted tempos (a tempo cue at bar 1 where the fit moved a
/// recorded cue, ramps into later hits), their endings at a spotted out-point (a stop),
/// parameter changes (ramps stepped every 100 ms), tempo changes (a tempo cue on the frame:
/// the playing cue's grid changes there and its stems are stretched to it) and hits (the
/// score's first `Immediate` stinger on each), in frame order.
pub(crate) fn inputs(
    score: &Score,
    sp: &SpottingList,
    placed: &[Placed],
    rate: FrameRate,
    sr: u32,
) -> Vec<TimedInput> {
    let mut v = Vec::new();
    let pickup = |cue: usize| timing::pickup_frames(score, &score.cues[cue], sr);
    // What plays before each cue (`None`: silence, nothing to transition from).
    let mut prev: Option<usize> = Some(score.cue_index(&score.initial_cue).unwrap_or(0));
    let mut prev_bpm = prev.map_or(score.tempo.bpm, |c| score.cue_tempo(&score.cues[c]).bpm);
    if placed.first().is_none_or(|p| p.start > 0) {
        // The score's initial cue would play from frame 0: silence until the first cue.
        v.push(TimedInput {
            frame: 0,
            input: Input::Stop { release: 0 },
        });
        prev = None;
    }
    let starts: Vec<i64> = placed
        .iter()
        .map(|p| {
            let ci = score.cue_index(&p.cue).unwrap_or(0);
            sample_of(rate, p.start, sr) - pickup(ci)
        })
        .collect();
    for (i, p) in placed.iter().enumerate() {
        let ci = score.cue_index(&p.cue).unwrap_or(0);
        let bar1 = sample_of(rate, p.start, sr);
        if !(p.start == 0 && p.cue == score.initial_cue && prev.is_some()) {
            // A bridge or segment plays before the cue's bar 1: start the transition that
            // much earlier so bar 1 still lands on the spotted frame.
            let between = prev.filter(|&f| f != ci).map_or(0, |f| {
                let rule = timing::rule_for(score, f, ci);
                timing::between_frames_at(score, rule, f, ci, prev_bpm, sr)
            });
            v.push(TimedInput {
                frame: (bar1 - pickup(ci) - between).max(0) as u64,
                input: Input::StartCue(ci),
            });
        }
        let own = score.cue_tempo(&score.cues[ci]).bpm;
        if (p.bpm - own).abs() > 1e-9 {
            v.push(TimedInput {
                frame: bar1.max(0) as u64,
                input: Input::TempoCue {
                    bpm: p.bpm,
                    ramp_beats: 0,
                    sync: SyncPoint::Immediate,
                },
            });
        }
        for r in &p.ramps {
            v.push(TimedInput {
                frame: r.at,
                input: Input::TempoCue {
                    bpm: r.bpm,
                    ramp_beats: r.beats,
                    sync: SyncPoint::Immediate,
                },
            });
        }
        prev = Some(ci);
        // The tempo it is left at: its last ramp's, or a spotted tempo change's after that.
        let last_ramp = p.ramps.last().map_or(bar1, |r| r.at as i64);
        prev_bpm = sp
            .tempo
            .iter()
            .filter(|t| t.at >= p.start && t.at < p.end)
            .filter(|t| sample_of(rate, t.at, sr) >= last_ramp)
            .max_by_key(|t| t.at)
            .map_or(p.ramps.last().map_or(p.bpm, |r| r.bpm), |t| t.bpm);
        let Some(ending) = p.ending else { continue };
        // A release counted in beats, at the tempo the cue ends at.
        let beats = |n: f64| (n * 60.0 / prev_bpm * sr as f64).round() as i64;
        let out = sample_of(rate, p.end, sr);
        let (stop, release) = match ending {
            Ending::Button => (out, beats(1.0)),
            Ending::Tail => {
                let tail = score.cues[ci].tail_beats;
                (out, beats(if tail > 0 { tail as f64 } else { 2.0 }))
            }
            Ending::Fade => {
                let fade = sample_of(rate, p.fade_frames, sr).min(out - bar1).max(0);
                (out - fade, fade)
            }
        };
        // Never into the next cue's first sound.
        let stop = starts.get(i + 1).map_or(stop, |&n| stop.min(n));
        v.push(TimedInput {
            frame: stop.max(0) as u64,
            input: Input::Stop {
                release: release.clamp(0, u32::MAX as i64) as u32,
            },
        });
        prev = None;
    }
    for pp in &sp.params {
        let Some(pi) = score.parameter_index(&pp.param) else {
            continue;
        };
        let at = sample_of(rate, pp.at, sr).max(0);
        if pp.ramp_frames <= 0 {
            v.push(TimedInput {
                frame: at as u64,
                input: Input::SetParameter(pi, pp.value),
            });
        } else {
            // A ramp: the value before it, stepped every 100 ms towards the target.
            let len = sample_of(rate, pp.ramp_frames, sr);
            let steps = (len / (sr as i64 / 10)).max(1);
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
    for t in &sp.tempo {
        v.push(TimedInput {
            frame: sample_of(rate, t.at, sr).max(0) as u64,
            input: Input::TempoCue {
                bpm: t.bpm,
                ramp_beats: 0,
                sync: SyncPoint::Immediate,
            },
        });
    }
    if let Some(si) = score
        .stingers
        .iter()
        .position(|s| s.sync == SyncPoint::Immediate)
    {
        for h in &sp.hits {
            v.push(TimedInput {
                frame: sample_of(rate, h.at, sr).max(0) as u64,
                input: Input::Stinger(si),
            });
        }
    }
    v.sort_by_key(|i| i.frame);
    v
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use leitmotif_core::Score;
    use leitmotif_film::FrameRate;
    use leitmotif_film::spotting::parse_spotting_str;

    use super::{check_spotting, resolve_spotting};
    use crate::ScoringError;

    fn score(mood: &str) -> Score {
        Score::from_ron(
            &format!(
                r#"Score(name: "s", tempo: (bpm: 120.0), initial_cue: "hush",
                cues: [(name: "hush", bars: 1, layers: [(name: "p", source: Silence)], {mood}),
                       (name: "fight", bars: 1, layers: [(name: "p", source: Silence)])])"#
            ),
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_check_chooses_note_cues_and_locates_what_it_cannot_choose() {
        let sp = parse_spotting_str(
            "kind,at,name,note\ncue,0s,fight,peaceful\ncue,5s,,\"quiet, peaceful\"\n",
            true,
            FrameRate::FPS_24,
            None,
        )
        .unwrap();
        let with_moods = score("mood: Some((0.5, -0.6))");
        check_spotting(&sp, &with_moods, Path::new("s.csv")).unwrap();
        let (resolved, chosen) = resolve_spotting(&sp, &with_moods, None).unwrap();
        assert_eq!(resolved.cues[0].cue, "fight");
        assert_eq!(resolved.cues[1].cue, "hush");
        assert_eq!(chosen.len(), 1);
        // The input is not modified.
        assert_eq!(sp.cues[1].cue, "");
        let e = check_spotting(&sp, &score(""), Path::new("s.csv")).unwrap_err();
        assert!(e.is_input_error());
        assert!(matches!(e, ScoringError::Spotting { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with("s.csv:3:4: ")
                && e.to_string().contains("give the score's cues a `mood"),
            "{e}"
        );
    }
}
