//! FCPXML (1.x): rational-second times, spines, connected clips, markers.

use std::collections::HashMap;

use roxmltree::{Document, Node};

use super::{child, event, line_of};
use crate::ParseOptions;
use crate::cutlist::{CutList, Format, Marker, Transition};
use crate::edl::Ctx;
use crate::error::ParseError;
use crate::timecode::{FrameRate, div_round};

/// Seconds as an exact fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Rat(i128, i128);

impl Rat {
    fn add(self, o: Rat) -> Rat {
        Rat(self.0 * o.1 + o.0 * self.1, self.1 * o.1)
    }
    fn sub(self, o: Rat) -> Rat {
        self.add(Rat(-o.0, o.1))
    }
    fn frames(self, rate: FrameRate) -> i64 {
        div_round(
            self.0 * i128::from(rate.num()),
            self.1 * i128::from(rate.den()),
        ) as i64
    }
}

/// "N/Ds", "Ns" or "N.Ms".
fn parse_time(s: &str) -> Option<Rat> {
    let t = s.trim().strip_suffix('s')?;
    let r = if let Some((n, d)) = t.split_once('/') {
        Rat(n.parse().ok()?, d.parse().ok()?)
    } else if let Some((i, f)) = t.split_once('.') {
        let den = 10i128.checked_pow(f.len() as u32)?;
        let sign = if i.starts_with('-') { -1 } else { 1 };
        Rat(
            i.parse::<i128>().ok()? * den + sign * f.parse::<i128>().ok()?,
            den,
        )
    } else {
        Rat(t.parse().ok()?, 1)
    };
    (r.1 > 0 && r.0.abs() < 1 << 80 && r.1 < 1 << 60).then_some(r)
}

struct Reader<'c> {
    ctx: &'c Ctx,
    rate: FrameRate,
    list: CutList,
}

impl Reader<'_> {
    fn time(&self, n: Node, attr: &str) -> Result<Rat, ParseError> {
        match n.attribute(attr) {
            None => Ok(Rat(0, 1)),
            Some(v) => parse_time(v).ok_or_else(|| ParseError::Malformed {
                at: self.ctx.at(line_of(&n), 1),
                event: None,
                found: format!("{attr}=\"{v}\" on <{}>", n.tag_name().name()),
                expected: "a rational time such as \"1001/30000s\" or \"10s\"".into(),
                hint: "FCPXML times are seconds with an 's' suffix".into(),
            }),
        }
    }

    /// Markers of `n` and of everything anchored below it. `map(t)` turns a
    /// time in `n`'s parent's time into timeline time.
    fn walk(
        &mut self,
        n: Node,
        parent_to_tl: Rat,
        parent_start: Rat,
        event: Option<u32>,
    ) -> Result<(), ParseError> {
        // Timeline time of n's own start, and n's local start.
        let offset = self.time(n, "offset")?;
        let tl_start = parent_to_tl.add(offset.sub(parent_start));
        let own_start = if n.has_tag_name("spine") {
            Rat(0, 1)
        } else {
            self.time(n, "start")?
        };
        for c in n.children().filter(|c| c.is_element()) {
            match c.tag_name().name() {
                "marker" | "chapter-marker" => {
                    let t = tl_start.add(self.time(c, "start")?.sub(own_start));
                    let frame = t.frames(self.rate);
                    let mut m = Marker::new(frame, self.rate, c.attribute("value").unwrap_or(""));
                    m.duration_frames = self.time(c, "duration")?.frames(self.rate);
                    m.colour = match c.attribute("completed") {
                        Some("0") => Some("RED".into()),
                        Some("1") => Some("GREEN".into()),
                        _ => None,
                    };
                    m.comment = c.attribute("note").map(String::from);
                    m.event = event;
                    m.line = line_of(&c);
                    self.list.markers.push(m);
                }
                "clip" | "asset-clip" | "ref-clip" | "sync-clip" | "mc-clip" | "gap" | "title"
                | "spine" | "video" | "audio" => self.walk(c, tl_start, own_start, event)?,
                _ => {}
            }
        }
        Ok(())
    }
}

pub(super) fn parse(doc: &Document, ctx: &Ctx, opts: &ParseOptions) -> Result<CutList, ParseError> {
    let root = doc.root_element();
    let formats: HashMap<&str, Node> = root
        .descendants()
        .filter(|n| n.has_tag_name("format"))
        .filter_map(|n| Some((n.attribute("id")?, n)))
        .collect();
    let project = root.descendants().find(|n| n.has_tag_name("project"));
    let seq = project
        .and_then(|p| child(p, "sequence"))
        .or_else(|| root.descendants().find(|n| n.has_tag_name("sequence")))
        .ok_or_else(|| ParseError::Malformed {
            at: ctx.at(line_of(&root), 1),
            event: None,
            found: "fcpxml without a project <sequence>".into(),
            expected: "<project><sequence><spine>…".into(),
            hint: "export a project, not only an event or library".into(),
        })?;
    let frame_duration = seq
        .attribute("format")
        .and_then(|f| formats.get(f))
        .and_then(|f| f.attribute("frameDuration"))
        .and_then(parse_time);
    let mut seq_rate = frame_duration
        .and_then(|fd| {
            FrameRate::new(u32::try_from(fd.1).ok()?, u32::try_from(fd.0).ok()?, false).ok()
        })
        .unwrap_or_default();
    if seq.attribute("tcFormat") == Some("DF") {
        seq_rate = seq_rate.with_drop_frame(true).unwrap_or(seq_rate);
    }
    let rate = opts.rate.unwrap_or(seq_rate);
    let mut r = Reader {
        ctx,
        rate,
        list: CutList::new(Format::FcpXml, rate),
    };
    r.list.title = project.and_then(|p| p.attribute("name")).map(String::from);
    let tc_start = r.time(seq, "tcStart")?;
    let spine = child(seq, "spine").ok_or_else(|| ParseError::Malformed {
        at: ctx.at(line_of(&seq), 1),
        event: None,
        found: "<sequence> without <spine>".into(),
        expected: "a primary storyline <spine>".into(),
        hint: "the project may be empty".into(),
    })?;
    let mut pending: Option<(u32, String)> = None;
    for item in spine.children().filter(|n| n.is_element()) {
        let name = item.tag_name().name();
        let offset = r.time(item, "offset")?;
        let dur = r.time(item, "duration")?;
        let label = item.attribute("name").unwrap_or(name).to_string();
        match name {
            "transition" => {
                pending = Some((dur.frames(rate).max(0) as u32, label));
                continue;
            }
            "gap" => {
                if let Some((_, t)) = pending.take() {
                    r.list
                        .warnings
                        .push(format!("transition {t:?} leads into a gap"));
                }
                r.walk(item, tc_start, Rat(0, 1), None)?;
                continue;
            }
            "clip" | "asset-clip" | "ref-clip" | "sync-clip" | "mc-clip" | "title" | "video"
            | "audio" => {}
            _ => continue,
        }
        let start = r.time(item, "start")?;
        let number = r.list.events.len() as u32 + 1;
        if dur.frames(rate) < 0 {
            return Err(ParseError::Malformed {
                at: r.ctx.at(line_of(&item), 1),
                event: Some(format!("{number:03}")),
                found: format!("<{name}> \"{label}\" with a negative duration"),
                expected: "a duration of 0s or more".into(),
                hint: "the file may be damaged or hand-edited; re-export it".into(),
            });
        }
        let kind = pending
            .take()
            .map_or(Transition::Cut, |(frames, _)| Transition::Dissolve {
                frames,
            });
        let rec = tc_start.add(offset);
        let mut ev = event(
            number,
            "V",
            &label,
            kind,
            (start.frames(rate), start.add(dur).frames(rate)),
            (rec.frames(rate), rec.add(dur).frames(rate)),
            line_of(&item),
        );
        if let Some(reference) = item.attribute("ref") {
            ev.reel = reference.to_string();
        }
        r.list.events.push(ev);
        r.walk(item, tc_start, Rat(0, 1), Some(number))?;
    }
    r.list.markers.sort_by_key(|m| m.frame);
    Ok(r.list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rational_times() {
        assert_eq!(parse_time("105589/15000s"), Some(Rat(105589, 15000)));
        assert_eq!(parse_time("10s"), Some(Rat(10, 1)));
        assert_eq!(parse_time("1.5s"), Some(Rat(15, 10)));
        assert_eq!(parse_time("10"), None);
        assert_eq!(parse_time("1/0s"), None);
        assert_eq!(Rat(1001, 30000).frames(FrameRate::FPS_29_97_NDF), 1);
    }
}
