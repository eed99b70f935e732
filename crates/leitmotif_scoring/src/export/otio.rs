//! The music timeline as OpenTimelineIO JSON (`music.otio`), in the schema versions
//! OpenTimelineIO 0.17 and 0.18 write (Timeline.1, Stack.1, Track.1, Clip.2, Gap.1,
//! ExternalReference.1, TimeRange.1, RationalTime.1).
//!
//! The timeline starts at the picture's first record frame (`global_start_time`). Track
//! "Music" holds one clip per cue, cut from `mix.wav` (its span there as the source range),
//! with gaps between; then one track per written stem, each one clip of the whole
//! `stems/<name>.wav`. Media time is the files' own timecode: their broadcast-WAV time
//! reference is the timeline's first frame, so a media reference's available range starts
//! there. All times are at the cut list's rate. Media paths are relative to the folder.

use leitmotif_film::FrameRate;
use serde_json::{Value, json};

use super::{Cue, MIX};

/// Writes OTIO values at one rate.
struct Otio {
    fps: f64,
    /// First record frame of the timeline (and first media frame of every file).
    origin: i64,
    /// Frames of the files.
    media_frames: i64,
}

impl Otio {
    fn time(&self, value: i64) -> Value {
        json!({"OTIO_SCHEMA": "RationalTime.1", "rate": self.fps, "value": value as f64})
    }

    fn range(&self, start: i64, duration: i64) -> Value {
        json!({"OTIO_SCHEMA": "TimeRange.1", "duration": self.time(duration), "start_time": self.time(start)})
    }

    /// The fields every item has.
    fn item(&self, schema: &str, name: &str, source_range: Value, metadata: Value) -> Value {
        json!({
            "OTIO_SCHEMA": schema,
            "metadata": metadata,
            "name": name,
            "source_range": source_range,
            "effects": [],
            "markers": [],
            "enabled": true,
            "color": null,
        })
    }

    /// A clip of `duration` frames from `start` frames into the file `url`.
    fn clip(&self, name: &str, url: &str, start: i64, duration: i64, metadata: Value) -> Value {
        let range = self.range(self.origin + start, duration);
        let mut clip = self.item("Clip.2", name, range, metadata);
        clip["media_references"] = json!({"DEFAULT_MEDIA": {
            "OTIO_SCHEMA": "ExternalReference.1",
            "metadata": {},
            "name": "",
            "available_range": self.range(self.origin, self.media_frames),
            "available_image_bounds": null,
            "target_url": url,
        }});
        clip["active_media_reference_key"] = json!("DEFAULT_MEDIA");
        clip
    }

    fn gap(&self, duration: i64) -> Value {
        self.item("Gap.1", "", self.range(0, duration), json!({}))
    }

    fn track(&self, name: &str, children: Vec<Value>) -> Value {
        let mut t = self.item("Track.1", name, Value::Null, json!({}));
        t["children"] = Value::Array(children);
        t["kind"] = json!("Audio");
        t
    }
}

/// The OTIO timeline of `cues` and the written `stems` (by name, as in `stems/<name>.wav`)
/// on a timeline starting at record frame `origin`, at `rate`; the files are `media_frames`
/// long.
pub(crate) fn music_otio(
    title: &str,
    rate: FrameRate,
    origin: i64,
    media_frames: i64,
    cues: &[Cue],
    stems: &[String],
) -> String {
    let o = Otio {
        fps: rate.num() as f64 / rate.den() as f64,
        origin,
        media_frames,
    };
    let mut music = Vec::new();
    let mut cursor = 0;
    for c in cues {
        let start = c.start.max(cursor);
        if c.end <= start {
            continue;
        }
        if start > cursor {
            music.push(o.gap(start - cursor));
        }
        let meta = json!({
            "cmx_3600": {"reel": c.number},
            "leitmotif": {"cue": c.name, "number": c.number},
        });
        music.push(o.clip(c.title, MIX, start, c.end - start, meta));
        cursor = c.end;
    }
    let mut tracks = vec![o.track("Music", music)];
    for s in stems {
        let url = format!("stems/{s}.wav");
        let clip = o.clip(s, &url, 0, media_frames, json!({}));
        tracks.push(o.track(s, vec![clip]));
    }
    let mut stack = o.item("Stack.1", "tracks", Value::Null, json!({}));
    stack["children"] = Value::Array(tracks);
    let timeline = json!({
        "OTIO_SCHEMA": "Timeline.1",
        "metadata": {},
        "name": title,
        "global_start_time": o.time(origin),
        "tracks": stack,
    });
    // A `Value` of strings, numbers and booleans always serialises.
    serde_json::to_string_pretty(&timeline).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use leitmotif_film::{Format, ParseOptions, TrackItem, parse_str};

    fn cue(number: &str, title: &'static str, start: i64, end: i64) -> Cue<'static> {
        Cue {
            number: number.into(),
            name: "chase@92.0",
            title,
            start,
            end,
            bpm: 92.0,
            note: None,
        }
    }

    /// Read back by our own OTIO parser: the music track's clips on their frames (gaps
    /// between), cut from the mix at the same timecode, then one whole-length clip per stem.
    #[test]
    fn the_music_timeline_reads_back_through_our_parser() {
        let rate = FrameRate::FPS_29_97_DF;
        let origin = 107_892;
        let cues = [
            cue("M01", "Night Platform", 0, 1199),
            cue("M02", "Nothing", 1199, 1199),
            cue("M03", "Chase", 1500, 2000),
        ];
        let stems = ["calm.pad".to_string(), "chase.drums".to_string()];
        let text = music_otio("Last Train (music)", rate, origin, 2100, &cues, &stems);
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["tracks"]["children"][0]["kind"], "Audio");
        assert_eq!(
            json["global_start_time"]["rate"].as_f64(),
            Some(30000.0 / 1001.0)
        );
        let list = parse_str(&text, Format::Otio, &ParseOptions::default()).unwrap();
        // OTIO has no drop-frame flag: read back at 29.97 non-drop, the same frame counts.
        assert_eq!(list.rate, FrameRate::FPS_29_97_NDF);
        assert!(list.warnings.is_empty(), "{:?}", list.warnings);
        assert_eq!(list.title.as_deref(), Some("Last Train (music)"));
        let got: Vec<_> = list
            .events
            .iter()
            .map(|e| {
                (
                    e.track.as_str(),
                    e.clip_name.as_deref().unwrap_or_default(),
                    e.source_file.as_deref().unwrap_or_default(),
                    e.record_in - origin,
                    e.record_out - origin,
                    e.source_in - origin,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("A1", "Night Platform", "mix.wav", 0, 1199, 0),
                ("A1", "Chase", "mix.wav", 1500, 2000, 1500),
                ("A2", "calm.pad", "stems/calm.pad.wav", 0, 2100, 0),
                ("A3", "chase.drums", "stems/chase.drums.wav", 0, 2100, 0),
            ]
        );
        assert_eq!(list.events[1].reel, "M03");
        assert_eq!(
            list.track_items("A1")[2],
            TrackItem::Clip(1),
            "a gap between the cues"
        );
    }
}
