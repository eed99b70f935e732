//! The musical choices of a bridge request: which key, chord, tempo, tension and instruments the
//! composer starts from and aims at, read from the two cues of a score.

use leitmotif_core::Score;
use leitmotif_core::score::{Cue, Instrument, Source};
use leitmotif_core::timing::mood_tension;

use super::BridgeRequest;

/// What the bridge composer needs to know to join cue `from` (leaving at its body bar
/// `from_bar`) to cue `to` in `bars` bars.
///
/// Choices made here: a cue without chords is heard as its key's tonic (`C` when the score has
/// no key either); the outgoing chord is the one at `from_bar`, the target chord its bar 1; the
/// tension of each side comes from its mood ([`mood_tension`]); the instruments are the target's
/// generated ones first, then the source's.
pub fn bridge_request(
    score: &Score,
    from: usize,
    to: usize,
    from_bar: u32,
    bars: u32,
) -> BridgeRequest {
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
    BridgeRequest {
        from_key: Some(key_of(a)),
        from_chord: chord_at(a, from_bar).unwrap_or_else(|| "C".into()),
        from_bpm: score.cue_tempo(a).bpm,
        to_key: Some(key_of(b)),
        to_chord: chord_at(b, 1).unwrap_or_else(|| "C".into()),
        to_bpm: score.cue_tempo(b).bpm,
        beats_per_bar: score.cue_tempo(a).meter.0,
        bars,
        tension_from: mood_tension(a.mood),
        tension_to: mood_tension(b.mood),
        to_theme,
        instruments,
        style: None,
    }
}
