//! Live control end to end: the mapping file's errors, the MIDI parser on recorded bytes (and
//! an ALSA virtual port where the machine has a sequencer), and OSC from a real client
//! (`python-osc`, else liblo's `oscsend`) over localhost into a conductor.

mod control {
    pub mod map;
    pub mod midi;
    pub mod osc;
}

use std::sync::Arc;

use leitmotif_control::{ControlMap, Mapper};
use leitmotif_core::Score;

/// One cue whose "pad" layer's gain follows `tension` (instantly: seek speed 0), a second
/// cue, a stinger.
pub const SCORE: &str = r#"Score(
    name: "Live",
    tempo: (bpm: 120.0, meter: (4, 4)),
    parameters: [(name: "tension", min: 0.0, max: 1.0, default: 0.0)],
    initial_cue: "calm",
    cues: [
        (name: "calm", bars: 2, layers: [
            (name: "pad", source: Generated((instrument: Pad, part: Chords, octave: 3)),
             gain_curve: Some((parameter: "tension", points: [(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]))),
        ]),
        (name: "chase", bars: 2, layers: [
            (name: "drums", source: Generated((instrument: Drums, part: Drums(Driving)))),
        ]),
    ],
    stingers: [(name: "hit", sync: Immediate, variations: [(source: Generated((instrument: Bell, part: Chords, octave: 5)), beats: 1)])],
)"#;

/// The test score, parsed.
pub fn score() -> Arc<Score> {
    Arc::new(Score::from_ron(SCORE, None).expect("test score"))
}

/// A mapper of `map` against the test score.
pub fn mapper(map: &str) -> Mapper {
    let map = ControlMap::from_ron(map, None).expect("test map");
    Mapper::new(&map, &score()).expect("test map against the score")
}

/// Says loudly that a test did not run, and why.
pub fn skipped(why: &str) {
    eprintln!("SKIPPED: {why}");
    eprintln!("SKIPPED: this live-control test did not run; it proves nothing on this machine");
}
