//! FCP7 / Premiere xmeml.

use roxmltree::{Document, Node};

use super::{child, child_text, event, line_of};
use crate::ParseOptions;
use crate::cutlist::{CutList, Format, Marker, Transition};
use crate::edl::Ctx;
use crate::error::ParseError;
use crate::timecode::FrameRate;

/// `<rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>` of `n`, if any.
fn rate_of(n: Node) -> Option<FrameRate> {
    let r = child(n, "rate")?;
    let tb: u32 = child_text(r, "timebase")?.parse().ok()?;
    let ntsc = child_text(r, "ntsc").is_some_and(|t| t.eq_ignore_ascii_case("TRUE"));
    if ntsc {
        FrameRate::new(tb * 1000, 1001, false).ok()
    } else {
        FrameRate::integer(tb).ok()
    }
}

fn num(n: Node, name: &str) -> Option<i64> {
    child_text(n, name).and_then(|t| t.parse().ok())
}

pub(super) fn parse(doc: &Document, ctx: &Ctx, opts: &ParseOptions) -> Result<CutList, ParseError> {
    let root = doc.root_element();
    let seq = root
        .descendants()
        .find(|n| n.has_tag_name("sequence"))
        .ok_or_else(|| ParseError::Malformed {
            at: ctx.at(line_of(&root), 1),
            event: None,
            found: "xmeml without <sequence>".into(),
            expected: "a <sequence> element".into(),
            hint: "export a sequence, not a bin".into(),
        })?;
    let mut seq_rate = rate_of(seq).unwrap_or_default();
    let tc = child(seq, "timecode");
    if tc.and_then(|t| child_text(t, "displayformat")) == Some("DF") {
        seq_rate = seq_rate.with_drop_frame(true).unwrap_or(seq_rate);
    }
    let rate = opts.rate.unwrap_or(seq_rate);
    let to = |f: i64, from: FrameRate| rate.rescale_from(f, from);
    let start_tc = to(tc.and_then(|t| num(t, "frame")).unwrap_or(0), seq_rate);
    let mut list = CutList::new(Format::Fcp7Xml, rate);
    list.title = child_text(seq, "name").map(String::from);
    let media = child(seq, "media");
    for (kind, label) in [("video", "V"), ("audio", "A")] {
        let tracks: Vec<Node> = media
            .and_then(|m| child(m, kind))
            .map(|k| k.children().filter(|t| t.has_tag_name("track")).collect())
            .unwrap_or_default();
        for (ti, track) in tracks.iter().enumerate() {
            let label = format!("{label}{}", ti + 1);
            let mut pending: Option<(i64, i64, String)> = None;
            for item in track.children().filter(|n| n.is_element()) {
                match item.tag_name().name() {
                    "transitionitem" => {
                        let s = num(item, "start").unwrap_or(0);
                        let e = num(item, "end").unwrap_or(s);
                        let name = child(item, "effect")
                            .and_then(|e| child_text(e, "name"))
                            .unwrap_or("transition");
                        pending = Some((s, e, name.to_string()));
                    }
                    "clipitem" | "generatoritem" => {
                        let clip_rate = rate_of(item).unwrap_or(seq_rate);
                        let (cin, cout) =
                            (num(item, "in").unwrap_or(0), num(item, "out").unwrap_or(0));
                        let len = to(cout - cin, clip_rate);
                        let (mut s, mut e) = (
                            num(item, "start").unwrap_or(-1),
                            num(item, "end").unwrap_or(-1),
                        );
                        // -1 means "at a transition": use the transition's bounds, else the clip length.
                        if s < 0 {
                            s = pending.as_ref().map_or(e - len, |p| p.0);
                        }
                        if e < 0 {
                            e = s + len;
                        }
                        let mut kind = Transition::Cut;
                        if let Some((ts, te, name)) = pending.take() {
                            if ts <= s + 1 && te >= s {
                                kind = Transition::Dissolve {
                                    frames: (te - ts).max(0) as u32,
                                };
                            } else {
                                list.warnings.push(format!("{label}: transition {name:?} at {ts}-{te} is not followed by a clip"));
                            }
                        }
                        let name = child_text(item, "name").unwrap_or("");
                        let number = list.events.len() as u32 + 1;
                        if e < s || cout < cin {
                            let (what, a, b) = if e < s {
                                ("ends", e, s)
                            } else {
                                ("source out", cout, cin)
                            };
                            return Err(ParseError::Malformed {
                                at: ctx.at(line_of(&item), 1),
                                event: Some(format!("{number:03}")),
                                found: format!(
                                    "clip \"{name}\" {what} at frame {a}, before its start at frame {b}"
                                ),
                                expected: "<end> at or after <start> and <out> at or after <in>"
                                    .into(),
                                hint: "the file may be damaged or hand-edited; re-export it".into(),
                            });
                        }
                        let (src_in, rec_in) = (to(cin, clip_rate), start_tc + to(s, seq_rate));
                        let mut ev = event(
                            number,
                            &label,
                            name,
                            kind,
                            (src_in, src_in + len),
                            (rec_in, start_tc + to(e, seq_rate)),
                            line_of(&item),
                        );
                        ev.source_file = child(item, "file")
                            .and_then(|f| child_text(f, "pathurl"))
                            .map(String::from);
                        if child_text(item, "enabled") == Some("FALSE") {
                            ev.comments.push("disabled".into());
                        }
                        for m in item.children().filter(|m| m.has_tag_name("marker")) {
                            let at = num(m, "in").unwrap_or(0);
                            let frame = rec_in + to(at - cin, clip_rate);
                            list.markers.push(marker(
                                m,
                                frame,
                                rate,
                                Some(number),
                                to(num(m, "out").unwrap_or(-1) - at, clip_rate),
                            ));
                        }
                        list.events.push(ev);
                    }
                    _ => {}
                }
            }
        }
    }
    for m in seq.children().filter(|m| m.has_tag_name("marker")) {
        let at = num(m, "in").unwrap_or(0);
        let dur = to(num(m, "out").unwrap_or(-1) - at, seq_rate);
        list.markers
            .push(marker(m, start_tc + to(at, seq_rate), rate, None, dur));
    }
    list.markers.sort_by_key(|m| m.frame);
    Ok(list)
}

fn marker(m: Node, frame: i64, rate: FrameRate, event: Option<u32>, dur: i64) -> Marker {
    let mut mk = Marker::new(frame, rate, child_text(m, "name").unwrap_or(""));
    mk.comment = child_text(m, "comment")
        .filter(|c| !c.is_empty())
        .map(String::from);
    mk.duration_frames = dur.max(0);
    mk.event = event;
    mk.line = line_of(&m);
    mk
}
