//! The spotting model: the list and its cues, hits, parameter moves and
//! tempo changes.

use serde::Serialize;

/// A spotting list: cues, hits, parameter moves and tempo changes, all in
/// frames relative to the timeline's frame 0 (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpottingList {
    /// Cues in start order.
    pub cues: Vec<Spot>,
    /// Hits in time order.
    pub hits: Vec<Hit>,
    /// Parameter moves in time order.
    pub params: Vec<ParamPoint>,
    /// Tempo changes in time order.
    pub tempo: Vec<TempoPoint>,
}

/// A cue placed on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spot {
    /// Name of the score cue (not validated here). Empty for an entry that gave
    /// only a [`note`](Spot::note), until [`assign_cues`](super::assign_cues)
    /// chooses the cue from the note's mood.
    pub cue: String,
    /// First frame.
    pub start: i64,
    /// Frame after the last one (the out-point, `until`); `None` plays until the next cue
    /// (or the end).
    pub end: Option<i64>,
    /// How the cue ends at its out-point (meaningful with [`end`](Spot::end)).
    pub ending: Ending,
    /// Frames of the fade of an [`Ending::Fade`] ending (the entry's `fade`; 2 s unless
    /// given).
    pub fade_frames: i64,
    /// Title for cue sheets, e.g. "1M1 Opening".
    pub title: Option<String>,
    /// The composer's spotting note, e.g. "she realises he is not coming
    /// back": written beside the cue in the cue sheet and report, and, when the
    /// entry names no cue, read as a mood to choose one.
    pub note: Option<String>,
    /// 1-based (line, column) of the note's text in the source, for messages;
    /// (0, 0) without a note or for generated entries.
    pub note_at: (usize, usize),
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

impl Spot {
    /// Whether the entry gave only a note and its cue is still to be chosen
    /// from it (see [`assign_cues`](super::assign_cues)).
    pub fn needs_cue(&self) -> bool {
        self.cue.is_empty()
    }
}

/// How a cue ends at its spotted out-point (`end: Button | Tail | Fade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Ending {
    /// On a downbeat fitted onto the out-point: the music stops there, its last downbeat
    /// sounding and releasing over one beat (a "button").
    #[default]
    Button,
    /// On a downbeat fitted onto the out-point, ringing on past it over the cue's tail
    /// (its `tail_beats`, or two beats when it has none).
    Tail,
    /// Fading to silence over the entry's `fade`, reaching silence on the out-point.
    Fade,
}

impl Ending {
    /// Parses `Button`, `Tail` or `Fade` (any case).
    pub fn parse(text: &str) -> Option<Ending> {
        match text.trim().to_ascii_lowercase().as_str() {
            "button" => Some(Ending::Button),
            "tail" => Some(Ending::Tail),
            "fade" => Some(Ending::Fade),
            _ => None,
        }
    }
}

/// A moment the music should catch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Frame.
    pub at: i64,
    /// How much it matters, 0..1.
    pub importance: f32,
    /// Name, e.g. "door slam".
    pub name: String,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

/// A parameter move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamPoint {
    /// Frame at which the move starts.
    pub at: i64,
    /// Parameter name (not validated here).
    pub param: String,
    /// Target value.
    pub value: f32,
    /// Length of the ramp to `value` in frames; 0 is a step.
    pub ramp_frames: i64,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

/// A tempo change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TempoPoint {
    /// Frame.
    pub at: i64,
    /// New tempo in beats per minute.
    pub bpm: f64,
    /// 1-based source line (0 for generated entries).
    pub line: usize,
}

impl SpottingList {
    /// Shift every time by `-start_frame`, e.g. to make a list parsed with
    /// origin 0 and written in absolute timecode relative to a cut starting
    /// at `start_frame`. Do not use it on lists parsed with
    /// [`parse_spotting_at`](super::parse_spotting_at) (already relative) or written in seconds.
    pub fn to_frames_relative(mut self, start_frame: i64) -> SpottingList {
        for c in &mut self.cues {
            c.start -= start_frame;
            c.end = c.end.map(|e| e - start_frame);
        }
        for h in &mut self.hits {
            h.at -= start_frame;
        }
        for p in &mut self.params {
            p.at -= start_frame;
        }
        for t in &mut self.tempo {
            t.at -= start_frame;
        }
        self
    }

    /// Whether a cue entry still waits for its cue to be chosen from its note
    /// (see [`assign_cues`](super::assign_cues)).
    pub fn has_unassigned_cues(&self) -> bool {
        self.cues.iter().any(Spot::needs_cue)
    }

    /// Whether the list has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.cues.is_empty()
            && self.hits.is_empty()
            && self.params.is_empty()
            && self.tempo.is_empty()
    }

    /// Sort every list by time (stable).
    pub fn sort(&mut self) {
        self.cues.sort_by_key(|c| c.start);
        self.hits.sort_by_key(|h| h.at);
        self.params.sort_by_key(|p| p.at);
        self.tempo.sort_by_key(|t| t.at);
    }
}
