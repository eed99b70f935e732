//! Snapshots in the plan: each snapshot's intensity (set by the game, or carried by the cue
//! playing) moves at the control rate, and the bus settings it implies go to the mixer as
//! [`ActionKind::Bus`] ramps. Deterministic like the rest of the plan: offline and live
//! renders of the same inputs blend the same way.

use super::super::{Action, ActionKind, CONTROL_BLOCK, Conductor};
use super::Out;
use crate::score::Score;
use crate::score::mix::{BusParam, HIGHPASS_OPEN, LOWPASS_OPEN, db_to_gain};

/// One bus's mix settings (gains in dB, cutoffs in Hz).
#[derive(Debug, Clone, PartialEq)]
struct BusValues {
    gain_db: f32,
    lowpass: f32,
    highpass: f32,
    sends_db: Vec<f32>,
}

/// A snapshot's intensity from each of its two sources.
#[derive(Debug, Clone, Copy, Default)]
struct Level {
    game: f32,
    game_target: f32,
    /// Per control block.
    game_step: f32,
    cue: f32,
}

/// Snapshot intensities and the bus settings the mixer was last sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct MixState {
    levels: Vec<Level>,
    /// The buses' own settings, in the mixer's numbering.
    base: Vec<BusValues>,
    sent: Vec<BusValues>,
    /// Each bus's name and the buses its sends feed, in the mixer's numbering.
    names: Vec<(String, Vec<String>)>,
    /// Some bus ducks by sidechain: the planned stinger ducking is off (the signal does it).
    pub(super) sidechained: bool,
}

fn lerp(a: f32, b: f32, w: f32) -> f32 {
    a + (b - a) * w
}

/// Cutoffs blend in octaves.
fn lerp_hz(a: f32, b: f32, w: f32) -> f32 {
    (a.max(1.0).log2() + (b.max(1.0).log2() - a.max(1.0).log2()) * w).exp2()
}

impl MixState {
    pub(crate) fn new(score: &Score) -> MixState {
        let base: Vec<BusValues> = score
            .mix
            .numbered()
            .iter()
            .map(|b| BusValues {
                gain_db: b.gain_db,
                // Resolved against the sample rate when sent (0 = open).
                lowpass: b.lowpass_hz.unwrap_or(0.0),
                highpass: b.highpass_hz.unwrap_or(HIGHPASS_OPEN),
                sends_db: b.sends.iter().map(|s| s.gain_db).collect(),
            })
            .collect();
        let names = score
            .mix
            .numbered()
            .into_iter()
            .map(|b| (b.name, b.sends.into_iter().map(|s| s.to).collect()))
            .collect();
        MixState {
            names,
            levels: vec![Level::default(); score.mix.snapshots.len()],
            sent: base.clone(),
            base,
            sidechained: score.mix.numbered().iter().any(|b| b.sidechain.is_some()),
        }
    }
}

impl Conductor {
    /// The game's request for a snapshot; false when there is no such snapshot.
    pub(super) fn set_snapshot(&mut self, s: usize, intensity: f32, seconds: Option<f32>) -> bool {
        let Some(snap) = self.score.mix.snapshots.get(s) else {
            return false;
        };
        let target = if intensity.is_nan() {
            0.0
        } else {
            intensity.clamp(0.0, 1.0)
        };
        let secs = seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(snap.seconds);
        let blocks = (secs * self.sample_rate as f32 / CONTROL_BLOCK as f32).max(1.0);
        let l = &mut self.mix.levels[s];
        l.game_target = target;
        l.game_step = (target - l.game).abs() / blocks;
        true
    }

    /// Each snapshot's intensity in force (the game's and the playing cue's, summed, at most 1),
    /// in the score's order.
    pub fn snapshot_levels(&self) -> Vec<f32> {
        self.mix
            .levels
            .iter()
            .map(|l| (l.game + l.cue).min(1.0))
            .collect()
    }

    /// Moves the snapshots' intensities on by one control block and sends the bus settings
    /// that changed, ramped over the block from `b0`.
    pub(super) fn update_mix(&mut self, b0: i64, out: &mut Out<'_>) {
        if self.mix.levels.is_empty() {
            return;
        }
        let sr = self.sample_rate as f32;
        let carried = self
            .current
            .cue()
            .and_then(|c| self.score.cues[c].snapshot.as_deref())
            .and_then(|n| self.score.mix.snapshot_index(n));
        let mut moved = false;
        for (i, l) in self.mix.levels.iter_mut().enumerate() {
            let d = l.game_target - l.game;
            if d != 0.0 {
                l.game = if d.abs() <= l.game_step {
                    l.game_target
                } else {
                    l.game + l.game_step * d.signum()
                };
                moved = true;
            }
            let target = if carried == Some(i) { 1.0 } else { 0.0 };
            let d = target - l.cue;
            if d != 0.0 {
                let blocks =
                    (self.score.mix.snapshots[i].seconds * sr / CONTROL_BLOCK as f32).max(1.0);
                let step = 1.0 / blocks;
                l.cue = if d.abs() <= step {
                    target
                } else {
                    l.cue + step * d.signum()
                };
                moved = true;
            }
        }
        if !moved {
            return;
        }
        let mix = &self.score.mix;
        let open_lp = LOWPASS_OPEN * sr;
        for (b, base) in self.mix.base.iter().enumerate() {
            let mut v = base.clone();
            if v.lowpass == 0.0 {
                v.lowpass = open_lp;
            }
            let (name, sends) = &self.mix.names[b];
            for (s, l) in mix.snapshots.iter().zip(&self.mix.levels) {
                let w = (l.game + l.cue).min(1.0);
                if w <= 0.0 {
                    continue;
                }
                for st in s.buses.iter().filter(|st| st.bus == *name) {
                    if let Some(g) = st.gain_db {
                        v.gain_db = lerp(v.gain_db, g, w);
                    }
                    if let Some(f) = st.lowpass_hz {
                        v.lowpass = lerp_hz(v.lowpass, f.min(open_lp), w);
                    }
                    if let Some(f) = st.highpass_hz {
                        v.highpass = lerp_hz(v.highpass, f, w);
                    }
                    for send in &st.sends {
                        if let Some(k) = sends.iter().position(|x| *x == send.to) {
                            v.sends_db[k] = lerp(v.sends_db[k], send.gain_db, w);
                        }
                    }
                }
            }
            let sent = &mut self.mix.sent[b];
            if sent.lowpass == 0.0 {
                sent.lowpass = open_lp;
            }
            let mut emit = |param: BusParam, value: f32| {
                out.actions.push(Action {
                    frame: b0.max(0) as u64,
                    kind: ActionKind::Bus {
                        bus: b as u16,
                        param,
                        value,
                        frames: CONTROL_BLOCK as u32,
                    },
                });
            };
            if v.gain_db != sent.gain_db {
                emit(BusParam::Gain, db_to_gain(v.gain_db));
            }
            if v.lowpass != sent.lowpass {
                emit(BusParam::LowPass, v.lowpass);
            }
            if v.highpass != sent.highpass {
                emit(BusParam::HighPass, v.highpass);
            }
            for (k, (&a, &was)) in v.sends_db.iter().zip(&sent.sends_db).enumerate() {
                if a != was {
                    emit(BusParam::Send(k as u8), db_to_gain(a));
                }
            }
            *sent = v;
        }
    }
}
