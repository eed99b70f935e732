//! What the timeline picture shows of a render besides the spotting: bar lines numbered
//! within each cue, the transitions and bridges, the loudness lane.

use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, MusicEvent};
use leitmotif_engine::OfflineRender;
use leitmotif_film::timeline::{PictureLoudness, PictureSpan};

use crate::loudness::LoudnessCurve;

/// The bar lines as (seconds, bar number), numbered from each cue's bar 1 as a cue's own
/// score counts them (a bridge goes on counting its outgoing cue's bars); bars before the
/// first cue starts (pickups) are numbered 0, which the picture does not write.
pub(crate) fn bars(events: &[MusicEvent], sample_rate: u32) -> Vec<(f64, u32)> {
    let mut starts: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::CueStarted { .. }))
        .map(|e| e.frame)
        .collect();
    starts.sort_unstable();
    let mut bars: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Bar)
        .map(|e| e.frame)
        .collect();
    bars.sort_unstable();
    bars.dedup();
    let mut out = Vec::with_capacity(bars.len());
    let (mut cue_start, mut n) = (None, 0);
    let mut next = starts.iter().peekable();
    for b in bars {
        while let Some(&&s) = next.peek() {
            if s > b {
                break;
            }
            cue_start = Some(s);
            n = 0;
            next.next();
        }
        if cue_start.is_some() {
            n += 1;
        }
        out.push((b as f64 / f64::from(sample_rate), n));
    }
    out
}

/// The transitions, from each `TransitionStarted` to the `TransitionFinished` between the
/// same cues that follows it (or the end of the render when none does), labelled
/// "from → to".
pub(crate) fn transitions(
    r: &OfflineRender,
    score: &Score,
    end_s: f64,
    sample_rate: u32,
) -> Vec<PictureSpan> {
    let secs = |f: u64| f as f64 / f64::from(sample_rate);
    let name = |c: u16| cue_name(score, c);
    let mut events: Vec<&MusicEvent> = r.events.iter().collect();
    events.sort_by_key(|e| e.frame);
    events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.kind {
            EventKind::TransitionStarted { from, to } => {
                let end = events[i + 1..]
                    .iter()
                    .find(|f| f.kind == EventKind::TransitionFinished { from, to })
                    .map_or(end_s, |f| secs(f.frame));
                Some(PictureSpan {
                    start_s: secs(e.frame),
                    end_s: end,
                    label: format!("{} \u{2192} {}", name(from), name(to)),
                })
            }
            _ => None,
        })
        .collect()
}

/// The bridges composed, labelled "bridge from → to".
pub(crate) fn bridges(r: &OfflineRender, score: &Score, sample_rate: u32) -> Vec<PictureSpan> {
    let secs = |f: u64| f as f64 / f64::from(sample_rate);
    let name = |c: u16| cue_name(score, c);
    r.bridges
        .iter()
        .map(|b| PictureSpan {
            start_s: secs(b.start),
            end_s: secs(b.start + b.frames),
            label: format!("bridge {} \u{2192} {}", name(b.from), name(b.to)),
        })
        .collect()
}

/// A cue's name by index, "?" for one the score lacks.
fn cue_name(score: &Score, c: u16) -> &str {
    score
        .cues
        .get(usize::from(c))
        .map_or("?", |c| c.name.as_str())
}

/// The loudness lane's data.
pub(crate) fn loudness(curve: &LoudnessCurve) -> PictureLoudness {
    PictureLoudness {
        short_term: curve.points().collect(),
        integrated_lufs: curve.integrated_lufs,
    }
}

#[cfg(test)]
mod tests {
    use leitmotif_core::conductor::{EventKind, MusicEvent};

    fn event(frame: u64, kind: EventKind) -> MusicEvent {
        MusicEvent {
            frame,
            position: Default::default(),
            cue_bar: 0,
            kind,
        }
    }

    #[test]
    fn bars_count_from_each_cue_start() {
        // A pickup bar, a cue from frame 10 (bars at 10, 20), a bridge bar at 30, the next
        // cue from 40 (bars at 40, 50); the cue start comes after its bar in the list.
        let mut events: Vec<MusicEvent> = [0, 10, 20, 30, 40, 50]
            .into_iter()
            .map(|f| event(f, EventKind::Bar))
            .collect();
        events.push(event(10, EventKind::CueStarted { cue: 0 }));
        events.push(event(40, EventKind::CueStarted { cue: 1 }));
        let got: Vec<u32> = super::bars(&events, 10).into_iter().map(|b| b.1).collect();
        assert_eq!(got, [0, 1, 2, 3, 1, 2]);
        assert_eq!(super::bars(&events, 10)[2].0, 2.0);
    }
}
