//! Auto-spotting: a first-pass spotting list from the cut alone, for when the
//! composer has not written one.
//!
//! 1. **Scenes.** The shots of the primary video track are grouped into
//!    scenes. A scene breaks before a shot that holds a marker, where the cut
//!    rhythm changes a lot (the mean length of the next three shots differs
//!    from that of the last three by more than ×[`RHYTHM_RATIO`]), after
//!    [`TARGET_SCENE_S`] seconds, or earlier than that when the next shot
//!    would take the scene past [`MAX_SCENE_S`]. No break makes a scene
//!    shorter than [`MIN_SCENE_S`]. Scenes therefore always start on a shot
//!    boundary; they tile the timeline (gaps belong to the scene before).
//! 2. **Mood.** Each scene gets (valence, arousal) in -1..1. Arousal from cut
//!    rhythm: shorter average shot length is more tense, normalised on a log
//!    scale between the film's calmest and busiest scene. Evidence from the
//!    [`Lexicon`] (see [`crate::lexicon`]: ~10,700 English words, negation,
//!    intensifiers, scene headings): marker colours (RED tense, GREEN calm, …)
//!    and mood words in clip names, comments (slug lines such as "INT.
//!    SUBWAY PLATFORM - NIGHT" included) and marker names/comments within the
//!    scene, pooled as one weighted mean. With evidence, arousal =
//!    0.4·rhythm + 0.6·evidence and valence = evidence; without, arousal =
//!    rhythm and valence 0.
//! 3. **Cues.** The score cue whose `mood` is nearest (Euclidean) is chosen;
//!    cues without a mood are skipped. If no cue has one, cues are taken in
//!    score order, mapped linearly to tension. Adjacent scenes with the same
//!    cue merge into one [`Spot`].
//! 4. **Parameters and hits.** If the score has a parameter `tension`, each
//!    scene sets it at its start, ramped over 2 s, to the scene's tension
//!    (arousal mapped to 0..1, then into the parameter's `min..max`). Every
//!    marker becomes a [`Hit`] (importance 1.0 for RED, 0.6 otherwise).
//!
//! All frames are relative to the timeline's frame 0, the earliest record in
//! of the cut list (as [`crate::spotting::parse_spotting_at`] returns with
//! `origin` = that frame). Generated entries have `line` 0, except hits,
//! which keep the marker's line in the cut list.

use leitmotif_core::Score;
use serde::Serialize;

pub use crate::lexicon::{Evidence, Lexicon};

use crate::cutlist::{CutList, Shot};
use crate::spotting::{Hit, ParamPoint, Spot, SpottingList};

/// Shortest scene a break may leave, in seconds.
pub const MIN_SCENE_S: f64 = 3.0;
/// A scene breaks at the next shot boundary once it is this long, in seconds.
pub const TARGET_SCENE_S: f64 = 30.0;
/// A scene of at least 20 s breaks rather than grow past this, in seconds.
pub const MAX_SCENE_S: f64 = 40.0;
/// Ratio of mean shot lengths (after vs before) that counts as a rhythm change.
pub const RHYTHM_RATIO: f64 = 2.5;
/// Length of the tension ramp at each scene start, in seconds.
pub const TENSION_RAMP_S: f64 = 2.0;

/// One scene found by auto-spotting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scene {
    /// First frame, relative to the timeline's frame 0 (a shot boundary).
    pub start: i64,
    /// Frame after the scene, relative (the next scene's start or the end).
    pub end: i64,
    /// Indices into [`CutList::shots`] of its shots.
    pub shots: std::ops::Range<usize>,
    /// Average shot length in seconds.
    pub average_shot_s: f64,
    /// Valence, -1..1.
    pub valence: f32,
    /// Arousal, -1..1.
    pub arousal: f32,
    /// Arousal mapped to 0..1.
    pub tension: f32,
    /// Why the scene starts where it does ("start", "marker", "rhythm", "length").
    pub reason: &'static str,
}

/// The timeline's frame 0: the earliest record in (0 for an empty list).
pub fn timeline_start(cut: &CutList) -> i64 {
    cut.events.iter().map(|e| e.record_in).min().unwrap_or(0)
}

/// Split the cut into scenes and rate their mood (steps 1–2 of the module docs).
pub fn scenes(cut: &CutList, lexicon: &Lexicon) -> Vec<Scene> {
    let origin = timeline_start(cut);
    let end = origin + cut.duration_frames();
    let shots = cut.shots();
    if shots.is_empty() {
        if end <= origin {
            return Vec::new();
        }
        let mut s = vec![Scene {
            start: 0,
            end: end - origin,
            shots: 0..0,
            average_shot_s: cut.rate.frames_to_seconds(end - origin),
            valence: 0.0,
            arousal: 0.0,
            tension: 0.5,
            reason: "start",
        }];
        rate_scenes(cut, lexicon, &shots, &mut s, origin);
        return s;
    }
    let secs = |f: i64| cut.rate.frames_to_seconds(f);
    let len = |s: &Shot| (s.end - s.start) as f64;
    let mean = |r: &[Shot]| r.iter().map(len).sum::<f64>() / r.len().max(1) as f64;
    let has_marker = |s: &Shot| {
        cut.markers
            .iter()
            .any(|m| m.frame >= s.start && m.frame < s.end)
    };
    // (first shot, reason)
    let mut starts: Vec<(usize, &'static str)> = vec![(0, "start")];
    for i in 1..shots.len() {
        let first = starts.last().map_or(0, |s| s.0);
        let scene_start = if first == 0 {
            origin
        } else {
            shots[first].start
        };
        let cur = secs(shots[i].start - scene_start);
        let rest = secs(end - shots[i].start);
        if cur < MIN_SCENE_S || rest < MIN_SCENE_S {
            continue;
        }
        let before = mean(&shots[i.saturating_sub(3).max(first)..i]);
        let after = mean(&shots[i..(i + 3).min(shots.len())]);
        let ratio = before.max(after) / before.min(after).max(1.0);
        let next_len = secs(shots[i].end - scene_start);
        let reason = if has_marker(&shots[i]) {
            Some("marker")
        } else if ratio >= RHYTHM_RATIO {
            Some("rhythm")
        } else if cur >= TARGET_SCENE_S || (cur >= 20.0 && next_len > MAX_SCENE_S) {
            Some("length")
        } else {
            None
        };
        if let Some(r) = reason {
            starts.push((i, r));
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &(first, reason)) in starts.iter().enumerate() {
        let last = starts.get(k + 1).map_or(shots.len(), |s| s.0);
        let s = if k == 0 { origin } else { shots[first].start };
        let e = starts.get(k + 1).map_or(end, |n| shots[n.0].start);
        out.push(Scene {
            start: s - origin,
            end: e - origin,
            shots: first..last,
            average_shot_s: secs(e - s) / (last - first) as f64,
            valence: 0.0,
            arousal: 0.0,
            tension: 0.5,
            reason,
        });
    }
    rate_scenes(cut, lexicon, &shots, &mut out, origin);
    out
}

fn rate_scenes(
    cut: &CutList,
    lexicon: &Lexicon,
    shots: &[Shot],
    scenes: &mut [Scene],
    origin: i64,
) {
    let ln_asl: Vec<f64> = scenes
        .iter()
        .map(|s| s.average_shot_s.max(1e-3).ln())
        .collect();
    let lo = ln_asl.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ln_asl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (sc, l) in scenes.iter_mut().zip(ln_asl) {
        // 1 for the busiest scene, 0 for the calmest, 0.5 if all alike.
        let rhythm = if hi - lo > 1e-6 {
            (hi - l) / (hi - lo)
        } else {
            0.5
        };
        let rhythm_arousal = (2.0 * rhythm - 1.0) as f32;
        let mut evidence: Vec<Evidence> = Vec::new();
        for sh in &shots[sc.shots.clone()] {
            let ev = &cut.events[sh.event];
            for t in ev.clip_name.iter().chain(ev.comments.iter()) {
                evidence.extend(lexicon.evidence_in(t));
            }
        }
        let (s, e) = (sc.start + origin, sc.end + origin);
        for m in cut.markers.iter().filter(|m| m.frame >= s && m.frame < e) {
            if let Some(c) = m.colour.as_deref()
                && let Some((valence, arousal)) = lexicon.colour(c)
            {
                evidence.push(Evidence {
                    word: c.to_uppercase(),
                    valence,
                    arousal,
                    weight: 1.0,
                    negated: false,
                });
            }
            evidence.extend(lexicon.evidence_in(&m.name));
            if let Some(c) = &m.comment {
                evidence.extend(lexicon.evidence_in(c));
            }
        }
        let (valence, arousal) = match crate::lexicon::combine(&evidence) {
            None => (0.0, rhythm_arousal),
            Some((v, a)) => (v, 0.4 * rhythm_arousal + 0.6 * a),
        };
        sc.valence = valence.clamp(-1.0, 1.0);
        sc.arousal = arousal.clamp(-1.0, 1.0);
        sc.tension = leitmotif_core::timing::mood_tension(Some((sc.valence, sc.arousal)));
    }
}

/// The score cue whose `mood` is nearest (Euclidean) to (valence, arousal);
/// cues without a mood are skipped, and of equally near cues the first wins.
/// `None` if no cue has a mood. Auto-spotting ([`pick_cue`]) and spotting
/// notes ([`crate::spotting::assign_cues`]) both choose cues with it.
pub fn nearest_mood_cue(score: &Score, valence: f32, arousal: f32) -> Option<&str> {
    let with_mood = score.cues.iter().filter_map(|c| c.mood.map(|m| (c, m)));
    let best = with_mood.min_by(|(_, a), (_, b)| {
        let d = |m: &(f32, f32)| (m.0 - valence).powi(2) + (m.1 - arousal).powi(2);
        d(a).total_cmp(&d(b))
    });
    best.map(|(c, _)| c.name.as_str())
}

/// The score cue for a scene's mood: nearest `mood` ([`nearest_mood_cue`]),
/// or by tension in cue order when no cue has a mood. `None` if the score has
/// no cues.
pub fn pick_cue(score: &Score, valence: f32, arousal: f32) -> Option<&str> {
    if let Some(c) = nearest_mood_cue(score, valence, arousal) {
        return Some(c);
    }
    let n = score.cues.len();
    if n == 0 {
        return None;
    }
    let t = leitmotif_core::timing::mood_tension(Some((valence, arousal)));
    let i = (t * (n - 1) as f32).round() as usize;
    Some(&score.cues[i.min(n - 1)].name)
}

/// A spotting list from the cut alone (see the module docs).
pub fn auto_spot(cut: &CutList, score: &Score, lexicon: &Lexicon) -> SpottingList {
    let origin = timeline_start(cut);
    let scenes = scenes(cut, lexicon);
    let mut list = SpottingList::default();
    let tension = score
        .parameter_index("tension")
        .map(|i| &score.parameters[i]);
    let ramp = (TENSION_RAMP_S * cut.rate.fps()).round() as i64;
    let mut run: Option<(usize, usize, &str)> = None; // (first scene, last scene, cue)
    let flush = |run: Option<(usize, usize, &str)>, list: &mut SpottingList| {
        if let Some((a, b, cue)) = run {
            list.cues.push(Spot {
                cue: cue.to_string(),
                start: scenes[a].start,
                end: Some(scenes[b].end),
                ending: Default::default(),
                fade_frames: 0,
                title: Some(if a == b {
                    format!("Scene {}", a + 1)
                } else {
                    format!("Scenes {}-{}", a + 1, b + 1)
                }),
                note: None,
                note_at: (0, 0),
                line: 0,
            });
        }
    };
    for (i, sc) in scenes.iter().enumerate() {
        if let Some(p) = tension {
            list.params.push(ParamPoint {
                at: sc.start,
                param: p.name.clone(),
                value: p.min + sc.tension * (p.max - p.min),
                ramp_frames: ramp,
                line: 0,
            });
        }
        let Some(cue) = pick_cue(score, sc.valence, sc.arousal) else {
            continue;
        };
        match run {
            Some((a, _, c)) if c == cue => run = Some((a, i, c)),
            _ => {
                flush(run, &mut list);
                run = Some((i, i, cue));
            }
        }
    }
    flush(run, &mut list);
    for m in &cut.markers {
        let name = if !m.name.trim().is_empty() {
            m.name.trim().to_string()
        } else if let Some(c) = m.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            c.trim().to_string()
        } else {
            format!(
                "{} marker",
                m.colour.as_deref().unwrap_or("unnamed").to_lowercase()
            )
        };
        let red = m
            .colour
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("RED"));
        list.hits.push(Hit {
            at: m.frame - origin,
            importance: if red { 1.0 } else { 0.6 },
            name,
            line: m.line,
        });
    }
    list.sort();
    list
}

/// Combine an automatic and a manual spotting list: manual cues win. Each
/// auto cue is cut back to the parts no manual cue covers (a manual cue
/// without `until` covers up to the next manual cue, or to the end);
/// manual hits, parameter moves and tempo changes are added (an auto hit at
/// the same frame and name as a manual one is dropped).
pub fn merge(auto: SpottingList, manual: SpottingList) -> SpottingList {
    let mut manual = manual;
    manual.sort();
    let span_end = |cues: &[Spot], i: usize| {
        cues[i]
            .end
            .or_else(|| cues.get(i + 1).map(|n| n.start))
            .unwrap_or(i64::MAX)
    };
    let covered: Vec<(i64, i64)> = (0..manual.cues.len())
        .map(|i| (manual.cues[i].start, span_end(&manual.cues, i)))
        .collect();
    let mut auto = auto;
    auto.sort();
    let mut cues = Vec::new();
    for (i, a) in auto.cues.iter().enumerate() {
        let mut pieces = vec![(a.start, span_end(&auto.cues, i))];
        for &(ms, me) in &covered {
            pieces = pieces
                .into_iter()
                .flat_map(|(s, e)| {
                    if me <= s || ms >= e {
                        vec![(s, e)]
                    } else {
                        [(s, ms), (me, e)]
                            .into_iter()
                            .filter(|(x, y)| y > x)
                            .collect()
                    }
                })
                .collect();
        }
        for (s, e) in pieces {
            cues.push(Spot {
                cue: a.cue.clone(),
                start: s,
                end: if e == i64::MAX { None } else { Some(e) },
                ending: a.ending,
                fade_frames: a.fade_frames,
                title: a.title.clone(),
                note: a.note.clone(),
                note_at: a.note_at,
                line: a.line,
            });
        }
    }
    cues.extend(manual.cues);
    let mut hits: Vec<Hit> = auto
        .hits
        .into_iter()
        .filter(|h| {
            !manual
                .hits
                .iter()
                .any(|m| m.at == h.at && m.name.eq_ignore_ascii_case(&h.name))
        })
        .collect();
    hits.extend(manual.hits);
    let mut params = auto.params;
    params.extend(manual.params);
    let mut tempo = auto.tempo;
    tempo.extend(manual.tempo);
    let mut out = SpottingList {
        cues,
        hits,
        params,
        tempo,
    };
    out.sort();
    out
}
