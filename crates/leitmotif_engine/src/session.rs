//! The control side of a playing score: runs the conductor ahead of the audio, composes
//! bridges, and feeds the mixer through the ring buffer.

use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::{Action, ActionKind, Conductor, MusicEvent, SourceRef, TimedInput};
use leitmotif_core::score::{Instrument, Source};

use crate::bank::{SourceBank, Stem};
use crate::mixer::{Mixer, Msg};
use crate::sound::{MusicSound, Shared};

/// Capacity of the control → audio ring buffer.
pub const RING_CAPACITY: usize = 16_384;

/// A bridge composed during the session, kept for MIDI export and reports.
#[derive(Debug, Clone)]
pub struct ComposedBridge {
    /// Bridge id.
    pub id: u32,
    /// Outgoing and incoming cue indices.
    pub from: u16,
    /// Incoming cue index.
    pub to: u16,
    /// Start frame.
    pub start: u64,
    /// Length in frames.
    pub frames: u64,
    /// The composition.
    pub score: leitmotif_gen::BridgeScore,
}

/// The control side. See the [module docs](self).
pub struct Session {
    conductor: Conductor,
    producer: rtrb::Producer<Msg>,
    retired: rtrb::Consumer<Arc<Stem>>,
    bank: Arc<SourceBank>,
    actions: Vec<Action>,
    events: Vec<MusicEvent>,
    bridges: Vec<ComposedBridge>,
    /// Bridges being composed on worker threads, joined when their start is planned.
    composing: Vec<(u32, std::thread::JoinHandle<Composed>)>,
    seed: u64,
    /// Messages that did not fit in the ring yet.
    backlog: std::collections::VecDeque<Msg>,
}

impl Session {
    /// A session and the sound to hand to the audio thread (or to drive offline).
    pub fn new(
        score: Arc<Score>,
        bank: Arc<SourceBank>,
        seed: u64,
    ) -> (Session, MusicSound, Arc<Shared>) {
        let (producer, consumer) = rtrb::RingBuffer::new(RING_CAPACITY);
        let (ret_tx, ret_rx) = rtrb::RingBuffer::new(64);
        let shared = Arc::new(Shared::default());
        let sound = MusicSound::new(Mixer::new(bank.clone()), consumer, ret_tx, shared.clone());
        let conductor = Conductor::new(score, bank.sample_rate, seed);
        let session = Session {
            conductor,
            producer,
            retired: ret_rx,
            bank,
            actions: Vec::with_capacity(1024),
            events: Vec::with_capacity(1024),
            bridges: Vec::new(),
            composing: Vec::new(),
            seed,
            backlog: std::collections::VecDeque::new(),
        };
        (session, sound, shared)
    }

    /// The conductor (read-only: positions, parameters, pending transitions).
    pub fn conductor(&self) -> &Conductor {
        &self.conductor
    }

    /// The score.
    pub fn score(&self) -> &Arc<Score> {
        self.conductor.score()
    }

    /// The bank.
    pub fn bank(&self) -> &Arc<SourceBank> {
        &self.bank
    }

    /// Bridges composed so far.
    pub fn bridges(&self) -> &[ComposedBridge] {
        &self.bridges
    }

    /// The actions planned by the last [`advance_to`](Self::advance_to) call, in frame order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Queues an input for the conductor.
    pub fn push(&mut self, input: TimedInput) {
        self.conductor.push(input);
    }

    /// Plans up to `frame` and sends the plan to the audio side; returns the events planned
    /// in this call (in frame order). Bridges announced by the plan are composed and sent
    /// before the actions that start them.
    pub fn advance_to(&mut self, frame: u64) -> &[MusicEvent] {
        while self.retired.pop().is_ok() {}
        self.actions.clear();
        self.events.clear();
        self.conductor
            .advance(frame, &mut self.actions, &mut self.events);
        for i in 0..self.actions.len() {
            let a = self.actions[i];
            match a.kind {
                ActionKind::ComposeBridge { id, .. } => {
                    // Composed off the control thread: the sync point usually leaves time.
                    let (score, bank) = (self.conductor.score().clone(), self.bank.clone());
                    let seed = self.seed ^ (id as u64).wrapping_mul(0x9E37_79B9);
                    let handle = std::thread::spawn(move || compose(a.kind, &score, &bank, seed));
                    self.composing.push((id, handle));
                }
                ActionKind::Start {
                    source: SourceRef::Bridge(id),
                    ..
                } => {
                    self.join_bridge(id);
                    self.send(Msg::Action(a));
                }
                _ => self.send(Msg::Action(a)),
            }
        }
        &self.events
    }

    fn send(&mut self, msg: Msg) {
        while let Some(m) = self.backlog.pop_front() {
            if let Err(rtrb::PushError::Full(m)) = self.producer.push(m) {
                self.backlog.push_front(m);
                break;
            }
        }
        if self.backlog.is_empty() {
            if let Err(rtrb::PushError::Full(m)) = self.producer.push(msg) {
                self.backlog.push_back(m);
            }
        } else {
            self.backlog.push_back(msg);
        }
    }

    /// Flushes messages that did not fit in the ring (call after the audio side consumed).
    pub fn flush(&mut self) {
        while let Some(m) = self.backlog.pop_front() {
            if let Err(rtrb::PushError::Full(m)) = self.producer.push(m) {
                self.backlog.push_front(m);
                break;
            }
        }
    }

    /// Waits for bridge `id` (if it is being composed) and sends its audio to the mixer.
    fn join_bridge(&mut self, id: u32) {
        let Some(k) = self.composing.iter().position(|(b, _)| *b == id) else {
            return;
        };
        let (_, handle) = self.composing.swap_remove(k);
        let Ok(Composed { stem, bridge }) = handle.join() else {
            return;
        };
        if let Some(b) = bridge {
            self.bridges.push(b);
        }
        self.send(Msg::Bridge(id, Arc::new(stem)));
    }

    /// Waits for every bridge still being composed (planned but never started, e.g. replaced
    /// by a later request), so [`bridges`](Self::bridges) lists all of them.
    pub fn finish_composing(&mut self) {
        for (_, handle) in std::mem::take(&mut self.composing) {
            if let Ok(Composed {
                bridge: Some(b), ..
            }) = handle.join()
            {
                self.bridges.push(b);
            }
        }
        self.bridges.sort_by_key(|b| b.id);
    }
}

/// A composed bridge: its audio (silence if composing failed) and its score.
struct Composed {
    stem: Stem,
    bridge: Option<ComposedBridge>,
}

/// Composes and renders the bridge a `ComposeBridge` action announces.
fn compose(kind: ActionKind, score: &Score, bank: &SourceBank, seed: u64) -> Composed {
    let ActionKind::ComposeBridge {
        id,
        from,
        to,
        from_bar,
        bars,
        frames,
        start,
    } = kind
    else {
        return Composed {
            stem: Stem::default(),
            bridge: None,
        };
    };
    let req = bridge_request(score, from as usize, to as usize, from_bar, bars);
    let Ok(composed) = leitmotif_gen::compose_bridge(&req, seed) else {
        return Composed {
            stem: Stem::silence(frames as usize),
            bridge: None,
        };
    };
    let buf = leitmotif_gen::render_bridge(&composed, bank.sample_rate, frames as usize);
    let mut stem = crate::bank::stem_from_buffer(&buf, frames as usize);
    // Match the bridge's level to the cues it joins (the mean of their RMS levels).
    let rms = |c: u16| bank.cue_rms.get(c as usize).copied().unwrap_or(0.0);
    let target = (rms(from) + rms(to)) / 2.0;
    let own = crate::bank::frames_rms(&stem.frames);
    if target > 1e-5 && own > 1e-5 {
        let g = (target / own).clamp(0.1, 4.0);
        for f in &mut stem.frames {
            f[0] *= g;
            f[1] *= g;
        }
    }
    let bridge = ComposedBridge {
        id,
        from,
        to,
        start,
        frames,
        score: composed,
    };
    Composed {
        stem,
        bridge: Some(bridge),
    }
}

/// What the bridge composer needs to know about two cues of a score.
pub fn bridge_request(
    score: &Score,
    from: usize,
    to: usize,
    from_bar: u32,
    bars: u32,
) -> leitmotif_gen::BridgeRequest {
    use leitmotif_core::score::Cue;
    let (a, b) = (&score.cues[from], &score.cues[to]);
    let chord_at = |c: &Cue, bar: u32| {
        if c.chords.is_empty() {
            None
        } else {
            Some(c.chords[(bar.max(1) as usize - 1) % c.chords.len()].clone())
        }
    };
    let key_of = |c: &Cue| {
        c.key
            .clone()
            .or(score.key.clone())
            .unwrap_or_else(|| "C major".into())
    };
    let tension = |c: &Cue| c.mood.map_or(0.5, |(_, a)| (a + 1.0) / 2.0);
    let instruments: Vec<Instrument> = b
        .layers
        .iter()
        .chain(&a.layers)
        .filter_map(|l| match &l.source {
            Source::Generated(g) => Some(g.instrument.clone()),
            _ => None,
        })
        .collect();
    let to_theme = b
        .theme
        .as_ref()
        .and_then(|t| score.themes.iter().find(|th| &th.name == t))
        .map(|t| t.notes.clone());
    leitmotif_gen::BridgeRequest {
        from_key: Some(key_of(a)),
        from_chord: chord_at(a, from_bar).unwrap_or_else(|| "C".into()),
        from_bpm: score.cue_tempo(a).bpm,
        to_key: Some(key_of(b)),
        to_chord: chord_at(b, 1).unwrap_or_else(|| "C".into()),
        to_bpm: score.cue_tempo(b).bpm,
        beats_per_bar: score.cue_tempo(a).meter.0,
        bars,
        tension_from: tension(a),
        tension_to: tension(b),
        to_theme,
        instruments,
    }
}
