//! The normalised cut-list model shared by every format.

use serde::Serialize;

use crate::timecode::{FrameRate, format_frames};

/// The format a cut list was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// CMX 3600 edit decision list.
    Edl,
    /// `OpenTimelineIO` JSON.
    Otio,
    /// Final Cut Pro 7 / Premiere "xmeml".
    Fcp7Xml,
    /// Final Cut Pro X FCPXML.
    FcpXml,
}

/// How an event is entered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Transition {
    /// A straight cut.
    Cut,
    /// A dissolve from the previous source over `frames` frames.
    Dissolve {
        /// Length in frames.
        frames: u32,
    },
    /// A wipe (SMPTE wipe code such as `W001`) over `frames` frames.
    Wipe {
        /// The wipe code, e.g. "W001", or an OTIO transition type.
        code: String,
        /// Length in frames.
        frames: u32,
    },
    /// A key (`K`, `KB`, `KO`).
    Key {
        /// The key code.
        code: String,
        /// Length in frames, if given.
        frames: u32,
    },
}

impl Transition {
    /// Length of the transition in frames (0 for a cut).
    pub fn frames(&self) -> u32 {
        match self {
            Transition::Cut => 0,
            Transition::Dissolve { frames }
            | Transition::Wipe { frames, .. }
            | Transition::Key { frames, .. } => *frames,
        }
    }
}

/// One edit: a source range placed at a record range on a track.
/// All times are frame counts at the cut list's rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Event number (EDL) or position on the timeline (1-based).
    pub number: u32,
    /// The event number as written ("003", "0001").
    pub number_text: String,
    /// Reel / tape / source name.
    pub reel: String,
    /// Track: "V", "A", "A2", "AA", "V1", "A3", ….
    pub track: String,
    /// How the event is entered.
    pub kind: Transition,
    /// Source in (inclusive).
    pub source_in: i64,
    /// Source out (exclusive).
    pub source_out: i64,
    /// Record in (inclusive).
    pub record_in: i64,
    /// Record out (exclusive).
    pub record_out: i64,
    /// Clip name (for a transition, the incoming clip).
    pub clip_name: Option<String>,
    /// Outgoing clip name of a transition.
    pub from_clip_name: Option<String>,
    /// Outgoing reel of a transition.
    pub from_reel: Option<String>,
    /// `* SOURCE FILE:` or media path.
    pub source_file: Option<String>,
    /// Remarks attached to the event, in order.
    pub comments: Vec<String>,
    /// Playback speed as a ratio of the list's rate (1.0 normal, 0.0 freeze,
    /// negative reverse), from an EDL `M2` line.
    pub speed: Option<f64>,
    /// The `M2` frames-per-second value as written.
    pub m2_fps: Option<f64>,
    /// Extra audio channels from an `AUD` line.
    pub extra_audio: Vec<u32>,
    /// 1-based line where the event starts (0 if the format has no lines).
    pub line: usize,
}

impl Event {
    /// Record duration in frames.
    pub fn record_duration(&self) -> i64 {
        self.record_out - self.record_in
    }

    /// Source duration in frames.
    pub fn source_duration(&self) -> i64 {
        self.source_out - self.source_in
    }

    /// Whether the event is on a video track.
    pub fn is_video(&self) -> bool {
        self.track.starts_with('V')
    }

    /// Record in as a timecode string.
    pub fn record_in_tc(&self, rate: FrameRate) -> String {
        format_frames(self.record_in, rate)
    }

    /// Record out as a timecode string.
    pub fn record_out_tc(&self, rate: FrameRate) -> String {
        format_frames(self.record_out, rate)
    }

    /// Source in as a timecode string.
    pub fn source_in_tc(&self, rate: FrameRate) -> String {
        format_frames(self.source_in, rate)
    }

    /// Source out as a timecode string.
    pub fn source_out_tc(&self, rate: FrameRate) -> String {
        format_frames(self.source_out, rate)
    }

    /// Record in in seconds.
    pub fn record_in_seconds(&self, rate: FrameRate) -> f64 {
        rate.frames_to_seconds(self.record_in)
    }

    /// Record out in seconds.
    pub fn record_out_seconds(&self, rate: FrameRate) -> f64 {
        rate.frames_to_seconds(self.record_out)
    }
}

/// A locator on the record timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// Record frame.
    pub frame: i64,
    /// Record time in seconds.
    pub seconds: f64,
    /// Record timecode.
    pub timecode: String,
    /// Colour, upper case ("RED", "BLUE"), if any.
    pub colour: Option<String>,
    /// Name (may be empty).
    pub name: String,
    /// Comment, if any.
    pub comment: Option<String>,
    /// Length in frames (0 for a point marker).
    pub duration_frames: i64,
    /// Number of the event the marker is attached to, if any.
    pub event: Option<u32>,
    /// 1-based line where the marker is written (0 if unknown).
    pub line: usize,
}

impl Marker {
    /// A marker at `frame`, with seconds and timecode derived from `rate`.
    pub fn new(frame: i64, rate: FrameRate, name: impl Into<String>) -> Self {
        Marker {
            frame,
            seconds: rate.frames_to_seconds(frame),
            timecode: format_frames(frame, rate),
            colour: None,
            name: name.into(),
            comment: None,
            duration_frames: 0,
            event: None,
            line: 0,
        }
    }
}

/// One element of a track laid out in record order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TrackItem {
    /// An event (index into [`CutList::events`]).
    Clip(usize),
    /// Empty record time.
    Gap {
        /// First frame of the gap.
        start: i64,
        /// Frame after the gap.
        end: i64,
    },
    /// The transition into the event with this index.
    Transition(usize),
}

/// A picture shot: a record interval of the primary video track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shot {
    /// Record in.
    pub start: i64,
    /// Record out (exclusive).
    pub end: i64,
    /// Index into [`CutList::events`].
    pub event: usize,
}

/// A cut list in the normalised model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutList {
    /// Title, if the file has one.
    pub title: Option<String>,
    /// The rate all frame counts are in.
    pub rate: FrameRate,
    /// The format it was read from.
    pub format: Format,
    /// Events in file order.
    pub events: Vec<Event>,
    /// Markers in record order.
    pub markers: Vec<Marker>,
    /// Things that were accepted but look wrong.
    pub warnings: Vec<String>,
}

impl CutList {
    /// An empty cut list.
    pub fn new(format: Format, rate: FrameRate) -> Self {
        CutList {
            title: None,
            rate,
            format,
            events: Vec::new(),
            markers: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Track names in order of first appearance.
    pub fn tracks(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in &self.events {
            if !out.contains(&e.track.as_str()) {
                out.push(&e.track);
            }
        }
        out
    }

    /// The primary video track: "V", else "V1", else the first video track.
    pub fn primary_video_track(&self) -> Option<&str> {
        let tracks = self.tracks();
        ["V", "V1"]
            .into_iter()
            .find(|t| tracks.contains(t))
            .or_else(|| tracks.into_iter().find(|t| t.starts_with('V')))
    }

    /// Indices of the events on `track`, in record order.
    pub fn events_on(&self, track: &str) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.events.len())
            .filter(|&i| self.events[i].track == track)
            .collect();
        idx.sort_by_key(|&i| (self.events[i].record_in, self.events[i].record_out));
        idx
    }

    /// The items of `track` in record order: clips, the gaps between them
    /// (from the track's first record in) and transitions before the events
    /// they lead into. Zero-length events are left out.
    pub fn track_items(&self, track: &str) -> Vec<TrackItem> {
        let mut out = Vec::new();
        let mut cursor: Option<i64> = None;
        for i in self.events_on(track) {
            let e = &self.events[i];
            if e.record_out <= e.record_in {
                continue;
            }
            if let Some(c) = cursor.filter(|&c| e.record_in > c) {
                out.push(TrackItem::Gap {
                    start: c,
                    end: e.record_in,
                });
            }
            if e.kind != Transition::Cut {
                out.push(TrackItem::Transition(i));
            }
            out.push(TrackItem::Clip(i));
            cursor = Some(cursor.map_or(e.record_out, |c| c.max(e.record_out)));
        }
        out
    }

    /// The picture cuts: record intervals of the primary video track in
    /// record order, gaps and zero-length events excluded.
    pub fn shots(&self) -> Vec<Shot> {
        let Some(track) = self.primary_video_track() else {
            return Vec::new();
        };
        self.events_on(track)
            .into_iter()
            .filter(|&i| self.events[i].record_out > self.events[i].record_in)
            .map(|i| Shot {
                start: self.events[i].record_in,
                end: self.events[i].record_out,
                event: i,
            })
            .collect()
    }

    /// Record span from the earliest record in to the latest record out.
    pub fn duration_frames(&self) -> i64 {
        let start = self.events.iter().map(|e| e.record_in).min();
        let end = self.events.iter().map(|e| e.record_out).max();
        match (start, end) {
            (Some(s), Some(e)) => e - s,
            _ => 0,
        }
    }

    /// Record span in seconds.
    pub fn duration_seconds(&self) -> f64 {
        self.rate.frames_to_seconds(self.duration_frames())
    }

    /// The first event with this number.
    pub fn event(&self, number: u32) -> Option<&Event> {
        self.events.iter().find(|e| e.number == number)
    }
}
