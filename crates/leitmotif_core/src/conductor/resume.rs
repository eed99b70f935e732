//! Starting the music part-way through a cue, and what a hot reload needs to carry the
//! musical position over to an edited score.

use super::Conductor;
use super::state::Instance;
use crate::score::Score;
use crate::time::{Position, TICKS_PER_BEAT};

impl Conductor {
    /// Starts the music at `at` in cue `cue` (by index) instead of on the initial cue's
    /// pickup: frame 0 is that position. Call it before the first [`advance`](Self::advance).
    ///
    /// `at.bar` counts bars from the cue's bar 1 and may lie past its body: a looping cue is
    /// then in a later pass (bar 6 of a 4-bar loop is bar 2 of its second pass). Every layer
    /// starts `pickup + (frames from the pass's bar 1 to at)` into its stem, at the cue's own
    /// tempo, and its loop goes on wrapping at the pass's end; the pass plays the body its
    /// variation picks for that pass, and when the pass started less than a tail ago the
    /// previous pass's tail rings under it (recorded layers; a live part plays its notes from
    /// `at`, a note sounding there from its middle). Beats, bars and markers carry on from
    /// `at`: `global_bar` is the global bar number of `at`'s bar. `CueStarted` is reported only
    /// when `at` is the downbeat of the cue's bar 1 in its first pass (the cue starts there;
    /// anywhere else it was already playing). `at.beat` is clamped to the cue's meter.
    ///
    /// Returns false, changing nothing, once the plan has started or for a cue the score does
    /// not have.
    pub fn start_at(&mut self, cue: usize, at: Position, global_bar: u32) -> bool {
        if self.started || cue >= self.score.cues.len() {
            return false;
        }
        let c = &self.score.cues[cue];
        let bpb = self.score.cue_tempo(c).meter.0.max(1);
        let at = Position {
            bar: at.bar.max(1),
            beat: at.beat.clamp(1, bpb),
            tick: at.tick.min(TICKS_PER_BEAT as u32 - 1),
        };
        // The cue's own grid has bar 1 at frame 0: bar 1 of this start lies that far back.
        let into = self.cue_maps[cue].frame_at(at);
        let bar_offset = global_bar.saturating_sub(at.bar);
        let id = self.current.id;
        let mut current =
            Instance::new_cue(&self.score, cue, self.sample_rate, -into, bar_offset, id);
        if c.looping && c.bars > 0 {
            current.pass = (at.bar - 1) / c.bars;
            current.pass_end = current.map.frame_at_bar((current.pass + 1) * c.bars + 1);
        }
        self.current = current;
        true
    }

    /// The transition waiting for its sync point, if any: its target cue and the frame it was
    /// requested at (by an input or a cue rule).
    pub fn pending_request(&self) -> Option<(usize, u64)> {
        self.pending
            .as_ref()
            .map(|p| (p.to, p.requested.max(0) as u64))
    }

    /// Where cue `to` of score `new` takes over from `at` in cue `from` of score `old` (bars
    /// counted from the cue's bar 1, past its body in a later pass of a loop): the same bar of
    /// the body — wrapped into the new body when it is shorter — in the same pass, the same
    /// beat (clamped to the new meter) and tick. What a hot reload passes to
    /// [`start_at`](Self::start_at).
    pub fn carried_position(
        old: &Score,
        from: usize,
        new: &Score,
        to: usize,
        at: Position,
    ) -> Position {
        let bar = at.bar.max(1);
        let (Some(a), Some(b)) = (old.cues.get(from), new.cues.get(to)) else {
            return Position { bar, ..at };
        };
        let old_loop = a.looping && a.bars > 0;
        let (pass, body_bar) = if old_loop {
            ((bar - 1) / a.bars, (bar - 1) % a.bars + 1)
        } else {
            (0, bar)
        };
        let bar = match (old_loop, b.looping && b.bars > 0) {
            (true, true) => pass * b.bars + (body_bar - 1) % b.bars + 1,
            // A loop edited into a one-shot: its one pass.
            (true, false) => body_bar,
            // From a one-shot the bar count itself carries (a new loop wraps it).
            (false, _) => bar,
        };
        let bpb = new.cue_tempo(b).meter.0.max(1);
        Position {
            bar,
            beat: at.beat.clamp(1, bpb),
            tick: at.tick,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::{Action, ActionKind, Conductor, EventKind, MusicEvent};
    use crate::score::Score;
    use crate::time::Position;

    const SR: u32 = 48_000;
    /// One beat at 120 bpm.
    const BEAT: u64 = 24_000;

    /// A 4-bar loop with a 1-beat pickup and a 2-beat tail, a marker, a second cue.
    fn score() -> Arc<Score> {
        let src = r#"Score(
            name: "resume",
            tempo: (bpm: 120.0, meter: (4, 4)),
            initial_cue: "night",
            cues: [
                (name: "night", bars: 4, pickup_beats: 1, tail_beats: 2,
                 markers: [(name: "m", bar: 3, beat: 2)],
                 layers: [(name: "a", source: Silence), (name: "b", source: Silence)]),
                (name: "day", bars: 3, tempo: Some((bpm: 90.0, meter: (3, 4))),
                 layers: [(name: "c", source: Silence)]),
            ],
        )"#;
        Arc::new(Score::from_ron(src, None).expect("parses"))
    }

    fn run(c: &mut Conductor, to: u64) -> (Vec<Action>, Vec<MusicEvent>) {
        let (mut a, mut e) = (Vec::new(), Vec::new());
        c.advance(to, &mut a, &mut e);
        (a, e)
    }

    /// The voices sounding at `t` (started, not stopped): source and frame into it.
    fn sounding(actions: &[Action], t: u64) -> Vec<String> {
        let mut out = Vec::new();
        for a in actions {
            if let ActionKind::Start {
                voice,
                source,
                offset,
                ..
            } = a.kind
            {
                let stopped = actions.iter().any(|s| {
                    matches!(s.kind, ActionKind::Stop { voice: v, .. } if v == voice)
                        && s.frame <= t
                });
                if a.frame <= t && !stopped {
                    out.push(format!("{source:?}@{}", offset + (t - a.frame)));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn started_at_a_position_it_plays_what_the_music_from_the_top_plays_there() {
        let s = score();
        // Bar 5 beat 2: the second pass's bar 1, one beat in, the first pass's tail ringing.
        let at = Position {
            bar: 5,
            beat: 2,
            tick: 0,
        };
        let mut top = Conductor::new(s.clone(), SR, 1);
        let (a_top, e_top) = run(&mut top, 60 * BEAT);
        let f = e_top
            .iter()
            .find(|e| e.kind == EventKind::Beat && e.position == at)
            .expect("the position is reached")
            .frame;
        assert_eq!(f, BEAT + 17 * BEAT, "pickup, 4 bars, one beat");
        let mut resumed = Conductor::new(s, SR, 1);
        assert!(resumed.start_at(0, at, 5));
        let (a_res, e_res) = run(&mut resumed, 60 * BEAT - f);
        for k in 0..60 {
            let t = k * BEAT / 2;
            assert_eq!(
                sounding(&a_res, t),
                sounding(&a_top, f + t),
                "the same stems at the same offsets, {t} frames in"
            );
        }
        assert_eq!(
            sounding(&a_res, 0).len(),
            4,
            "both layers, and both layers' first-pass tails"
        );
        let grid = |e: &&MusicEvent| !matches!(e.kind, EventKind::CueStarted { .. });
        let from_top: Vec<_> = e_top
            .iter()
            .filter(|e| e.frame >= f && e.frame < 60 * BEAT - f)
            .map(|e| (e.frame - f, e.position, e.cue_bar, e.kind))
            .collect();
        let res: Vec<_> = e_res
            .iter()
            .filter(grid)
            .filter(|e| e.frame < 60 * BEAT - 2 * f)
            .map(|e| (e.frame, e.position, e.cue_bar, e.kind))
            .collect();
        assert_eq!(
            &from_top[..res.len()],
            &res[..],
            "beats, bars and markers go on"
        );
        assert!(res.iter().any(|e| matches!(e.3, EventKind::Marker { .. })));
        assert!(
            e_res
                .iter()
                .all(|e| !matches!(e.kind, EventKind::CueStarted { .. })),
            "the cue was already playing"
        );
    }

    #[test]
    fn started_on_bar_1_it_reports_the_cue_starting_and_refuses_once_planned() {
        let s = score();
        let mut c = Conductor::new(s, SR, 1);
        assert!(!c.start_at(7, Position::bar(1), 1), "no such cue");
        assert!(c.start_at(1, Position::bar(1), 9));
        let (a, e) = run(&mut c, 4 * BEAT);
        assert_eq!(e[0].kind, EventKind::CueStarted { cue: 1 });
        assert_eq!((e[0].frame, e[0].position.bar, e[0].cue_bar), (0, 9, 1));
        assert!(
            a.iter()
                .any(|a| matches!(a.kind, ActionKind::Start { offset: 0, .. }) && a.frame == 0),
            "day has no pickup: its stem from the top"
        );
        assert!(!c.start_at(0, Position::bar(2), 1), "too late");
    }

    #[test]
    fn a_carried_position_keeps_the_bar_of_the_body_and_the_pass() {
        let old = score();
        let new = score();
        let p = |bar, beat| Position { bar, beat, tick: 5 };
        // Same cue, same body: unchanged.
        assert_eq!(
            Conductor::carried_position(&old, 0, &new, 0, p(7, 3)),
            p(7, 3)
        );
        // Into a 3-bar loop in 3/4: pass 1 bar 3 of the 4-bar loop → pass 1 bar 3 (bar 6);
        // beat 4 does not exist there.
        assert_eq!(
            Conductor::carried_position(&old, 0, &new, 1, p(7, 4)),
            p(6, 3)
        );
        // Pass 1 bar 4 → bar 4 wraps to bar 1 of the 3-bar body: bar 4.
        assert_eq!(
            Conductor::carried_position(&old, 0, &new, 1, p(8, 1)),
            p(4, 1)
        );
    }
}
