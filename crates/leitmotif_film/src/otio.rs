//! `OpenTimelineIO` JSON (`.otio`).
//!
//! Reads Timeline.1 / Stack.1 / Track.1 / Clip.1-2 / Gap.1 / Transition.1 /
//! Marker.2-3 with `RationalTime`s at any rate, converted to the cut list's
//! rate (the one given in the options, or the first track's). Every track of
//! the top-level stack becomes a track of events ("V"/"A" when there is one
//! of a kind, else "V1", "V2", …); nested stacks inside a track become single
//! events named after the stack.

use std::path::Path;

use serde_json::Value;

use crate::ParseOptions;
use crate::cutlist::{CutList, Event, Format, Marker, Transition};
use crate::edl::Ctx;
use crate::error::ParseError;
use crate::timecode::FrameRate;

fn schema(v: &Value) -> &str {
    v.get("OTIO_SCHEMA").and_then(Value::as_str).unwrap_or("")
}

fn is(v: &Value, name: &str) -> bool {
    schema(v).split('.').next() == Some(name)
}

fn children(v: &Value) -> &[Value] {
    v.get("children")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The first rate of a `RationalTime` below `v`.
fn first_rate(v: &Value) -> Option<f64> {
    match v {
        Value::Object(o) => {
            if is(v, "RationalTime") {
                return o.get("rate").and_then(Value::as_f64).filter(|r| *r > 0.0);
            }
            o.values().find_map(first_rate)
        }
        Value::Array(a) => a.iter().find_map(first_rate),
        _ => None,
    }
}

struct Reader {
    /// Clip markers still in clip time: (index, raw frame, clip source
    /// start, clip duration, clip record in).
    clip_markers: Vec<(usize, i64, i64, i64, i64)>,
    rate: FrameRate,
    list: CutList,
    ctx: Ctx,
}

impl Reader {
    /// Map clip markers to record time. OTIO puts them in the clip's source
    /// time (record in + (t − source start)); the CMX 3600 adapter writes
    /// `LOC` record timecodes there instead. If some marker lies outside its
    /// clip's source range but every one lies inside its clip's record
    /// range, the whole file is read with the adapter's convention.
    fn place_clip_markers(&mut self) {
        let in_source = |&(_, raw, start, dur, _): &(usize, i64, i64, i64, i64)| {
            (start..=start + dur).contains(&raw)
        };
        let in_record =
            |&(_, raw, _, dur, rec): &(usize, i64, i64, i64, i64)| (rec..=rec + dur).contains(&raw);
        let record_convention =
            !self.clip_markers.iter().all(in_source) && self.clip_markers.iter().all(in_record);
        if record_convention {
            self.list.warnings.push(
                "clip markers lie outside their clips' source ranges: read as record time, as the CMX 3600 adapter writes them".into(),
            );
        }
        for &(i, raw, start, _, rec) in &self.clip_markers {
            let frame = if record_convention {
                raw
            } else {
                rec + raw - start
            };
            let m = &mut self.list.markers[i];
            *m = Marker {
                frame,
                seconds: self.rate.frames_to_seconds(frame),
                timecode: crate::timecode::format_frames(frame, self.rate),
                ..m.clone()
            };
        }
    }

    fn malformed(&self, found: String, expected: &str) -> ParseError {
        ParseError::Malformed {
            at: self.ctx.at(0, 0),
            event: None,
            found,
            expected: expected.into(),
            hint: "the file may come from an unsupported OTIO version".into(),
        }
    }

    /// A `RationalTime` in frames at the list's rate.
    fn time(&self, v: &Value) -> Result<i64, ParseError> {
        let value = v.get("value").and_then(Value::as_f64);
        let rate = v
            .get("rate")
            .and_then(Value::as_f64)
            .filter(|r| *r > 0.0 && r.is_finite());
        match (value, rate) {
            // Within ±1e12 frames (centuries), so sums of times cannot overflow.
            (Some(value), Some(rate)) if (value / rate * self.rate.fps()).round().abs() <= 1e12 => {
                Ok((value / rate * self.rate.fps()).round() as i64)
            }
            _ => Err(self.malformed(
                format!("RationalTime {v}"),
                "{\"value\": number, \"rate\": positive number} within ±1e12 frames",
            )),
        }
    }

    /// A `TimeRange` as (start, duration) frames; `None` if absent.
    fn range(&self, v: Option<&Value>) -> Result<Option<(i64, i64)>, ParseError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(r) => {
                let start = r.get("start_time").ok_or_else(|| {
                    self.malformed("TimeRange without start_time".into(), "a TimeRange")
                })?;
                let dur = r.get("duration").ok_or_else(|| {
                    self.malformed("TimeRange without duration".into(), "a TimeRange")
                })?;
                Ok(Some((self.time(start)?, self.time(dur)?)))
            }
        }
    }

    /// Trimmed range of an item: its `source_range`, else its media's available range,
    /// else (for stacks/tracks) its content length from 0.
    fn item_range(&self, v: &Value) -> Result<(i64, i64), ParseError> {
        if let Some(r) = self.range(v.get("source_range"))? {
            return Ok(r);
        }
        if let Some(r) = self.range(
            v.get("media_reference")
                .and_then(|m| m.get("available_range")),
        )? {
            return Ok(r);
        }
        let mut len = 0;
        for c in children(v) {
            if is(c, "Transition") {
                continue;
            }
            let d = self.item_range(c)?.1;
            len = if is(v, "Stack") { len.max(d) } else { len + d };
        }
        Ok((0, len))
    }

    fn marker(
        &mut self,
        m: &Value,
        frame_of: impl Fn(i64) -> (i64, Option<String>),
        event: Option<u32>,
    ) -> Result<(), ParseError> {
        let (start, dur) = self.range(m.get("marked_range"))?.unwrap_or((0, 0));
        let (frame, warning) = frame_of(start);
        let name = m.get("name").and_then(Value::as_str).unwrap_or("");
        if let Some(w) = warning {
            self.list.warnings.push(format!("marker {name:?}: {w}"));
        }
        let mut mk = Marker::new(frame, self.rate, name);
        mk.duration_frames = dur;
        mk.colour = match m.get("color") {
            Some(Value::String(s)) => Some(s.to_ascii_uppercase()),
            Some(c @ Value::Object(_)) => c
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase),
            _ => None,
        }
        .filter(|c| !c.is_empty());
        mk.comment = m
            .get("comment")
            .or_else(|| m.pointer("/metadata/fcp_xml/comment"))
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(String::from);
        mk.event = event;
        self.list.markers.push(mk);
        Ok(())
    }

    fn track(&mut self, track: &Value, label: &str, gst: i64) -> Result<(), ParseError> {
        let trim = self.range(track.get("source_range"))?.map_or(0, |r| r.0);
        let offset = gst - trim;
        for m in track
            .get("markers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.marker(m, |t| (offset + t, None), None)?;
        }
        let mut cursor = 0i64;
        let mut pending: Option<(Transition, String)> = None;
        for item in children(track) {
            if is(item, "Transition") {
                let t = |k: &str| item.get(k).map_or(Ok(0), |v| self.time(v));
                let frames = (t("in_offset")? + t("out_offset")?).max(0) as u32;
                let ty = item
                    .get("transition_type")
                    .and_then(Value::as_str)
                    .unwrap_or("SMPTE_Dissolve");
                let kind = if ty == "SMPTE_Dissolve" {
                    Transition::Dissolve { frames }
                } else {
                    Transition::Wipe {
                        code: ty.to_string(),
                        frames,
                    }
                };
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(ty)
                    .to_string();
                pending = Some((kind, name));
                continue;
            }
            let (start, dur) = self.item_range(item)?;
            let record_in = offset + cursor;
            cursor += dur;
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if is(item, "Gap") {
                if let Some((_, t)) = pending.take() {
                    self.list
                        .warnings
                        .push(format!("{label}: transition {t:?} leads into a gap"));
                }
                for m in item
                    .get("markers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.marker(m, |t| (record_in + t - start, None), None)?;
                }
                continue;
            }
            if !(is(item, "Clip") || is(item, "Stack") || is(item, "Track")) {
                self.list.warnings.push(format!(
                    "{label}: unsupported item {} skipped",
                    schema(item)
                ));
                continue;
            }
            let number = self.list.events.len() as u32 + 1;
            let reel = item
                .pointer("/metadata/cmx_3600/reel")
                .and_then(Value::as_str)
                .map_or_else(|| name.clone(), String::from);
            let media = item.get("media_reference").or_else(|| {
                let key = item
                    .get("active_media_reference_key")
                    .and_then(Value::as_str)?;
                item.get("media_references")?.get(key)
            });
            let mut comments = Vec::new();
            if !is(item, "Clip") {
                comments.push(format!("nested {}", schema(item)));
            }
            self.list.events.push(Event {
                number,
                number_text: format!("{number:03}"),
                reel,
                track: label.to_string(),
                kind: pending.take().map_or(Transition::Cut, |p| p.0),
                source_in: start,
                source_out: start + dur,
                record_in,
                record_out: record_in + dur,
                clip_name: Some(name.clone()),
                from_clip_name: None,
                from_reel: None,
                source_file: media
                    .and_then(|m| m.get("target_url"))
                    .and_then(Value::as_str)
                    .map(String::from),
                comments,
                speed: None,
                m2_fps: None,
                extra_audio: Vec::new(),
                line: 0,
            });
            for m in item
                .get("markers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let before = self.list.markers.len();
                self.marker(m, |t| (t, None), Some(number))?;
                let raw = self.list.markers[before].frame;
                self.clip_markers.push((before, raw, start, dur, record_in));
            }
        }
        if let Some((_, t)) = pending {
            self.list
                .warnings
                .push(format!("{label}: transition {t:?} at the end of the track"));
        }
        Ok(())
    }
}

/// Parse an OTIO JSON document.
pub(crate) fn parse(
    bytes: &[u8],
    path: Option<&Path>,
    opts: &ParseOptions,
) -> Result<CutList, ParseError> {
    let ctx = Ctx {
        path: path.map(Path::to_path_buf),
    };
    let root: Value = serde_json::from_slice(bytes).map_err(|e| ParseError::Json {
        at: ctx.at(e.line(), e.column()),
        message: e.to_string(),
    })?;
    let timeline = if is(&root, "SerializableCollection") {
        children(&root)
            .iter()
            .find(|c| is(c, "Timeline"))
            .unwrap_or(&root)
    } else {
        &root
    };
    let stack = if is(timeline, "Timeline") {
        timeline.get("tracks").unwrap_or(&Value::Null)
    } else {
        timeline
    };
    let tracks: Vec<&Value> = if is(stack, "Stack") {
        children(stack).iter().filter(|t| is(t, "Track")).collect()
    } else if is(stack, "Track") {
        vec![stack]
    } else {
        return Err(ParseError::Malformed {
            at: ctx.at(1, 1),
            event: None,
            found: format!("top-level object {:?}", schema(&root)),
            expected: "an OTIO Timeline, Stack or Track".into(),
            hint: "is this an OpenTimelineIO file?".into(),
        });
    };
    let rate = opts
        .rate
        .or_else(|| {
            tracks
                .first()
                .and_then(|t| first_rate(t))
                .and_then(FrameRate::from_fps_f64)
        })
        .unwrap_or_default();
    let mut r = Reader {
        clip_markers: Vec::new(),
        rate,
        list: CutList::new(Format::Otio, rate),
        ctx,
    };
    r.list.title = timeline
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from);
    let gst = match timeline.get("global_start_time") {
        Some(v @ Value::Object(_)) => r.time(v)?,
        _ => 0,
    };
    if is(stack, "Stack") {
        for m in stack
            .get("markers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            r.marker(m, |t| (gst + t, None), None)?;
        }
    }
    let kind = |t: &Value| {
        if t.get("kind").and_then(Value::as_str) == Some("Audio") {
            "A"
        } else {
            "V"
        }
    };
    for k in ["V", "A"] {
        let of_kind: Vec<&&Value> = tracks.iter().filter(|t| kind(t) == k).collect();
        for (i, t) in of_kind.iter().enumerate() {
            let label = if of_kind.len() == 1 {
                k.to_string()
            } else {
                format!("{k}{}", i + 1)
            };
            r.track(t, &label, gst)?;
        }
    }
    r.place_clip_markers();
    r.list.markers.sort_by_key(|m| m.frame);
    if !is(timeline, "Timeline") {
        r.list.warnings.insert(
            0,
            format!(
                "{}: the document is a bare {} (no Timeline around it): read as the timeline, starting at 0",
                r.ctx.at(1, 1),
                schema(timeline)
            ),
        );
    }
    Ok(r.list)
}
