//! Final Cut Pro XML: FCP7 / Premiere "xmeml" and FCPXML.

mod fcpxml;
mod xmeml;

use std::path::Path;

use roxmltree::{Document, Node};

use crate::cutlist::{Event, Transition};
use crate::edl::Ctx;
use crate::error::ParseError;
use crate::{CutList, ParseOptions};

/// Parse either XML dialect, chosen by the root element.
pub(crate) fn parse(
    bytes: &[u8],
    path: Option<&Path>,
    opts: &ParseOptions,
) -> Result<CutList, ParseError> {
    let ctx = Ctx {
        path: path.map(Path::to_path_buf),
    };
    let text = crate::edl::decode_text(bytes, &ctx)?;
    let xml_opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = Document::parse_with_options(&text, xml_opts).map_err(|e| {
        let p = e.pos();
        ParseError::Xml {
            at: ctx.at(p.row as usize, p.col as usize),
            message: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    match root.tag_name().name() {
        "xmeml" => xmeml::parse(&doc, &ctx, opts),
        // A bare FCP7 sequence (copied out of a project, or written by a tool that omits the
        // envelope): the sequence is all the music needs.
        "sequence" => xmeml::parse(&doc, &ctx, opts).map(|mut l| {
            l.warnings.insert(
                0,
                format!(
                    "{}: a bare <sequence> root (no <xmeml> around it): read as FCP7 XML",
                    ctx.at(line_of(&root), 1)
                ),
            );
            l
        }),
        "fcpxml" => fcpxml::parse(&doc, &ctx, opts),
        other => Err(ParseError::Malformed {
            at: ctx.at(line_of(&root), 1),
            event: None,
            found: format!("root element <{other}>"),
            expected: "<xmeml>, <sequence> or <fcpxml>".into(),
            hint: "only FCP7 xmeml and FCPXML are supported".into(),
        }),
    }
}

/// 1-based line of a node.
pub(super) fn line_of(n: &Node) -> usize {
    n.document().text_pos_at(n.range().start).row as usize
}

/// First child element named `name`.
pub(super) fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

/// Trimmed text of child `name`.
pub(super) fn child_text<'a>(n: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(n, name).and_then(|c| c.text()).map(str::trim)
}

/// A new event with the common defaults.
#[allow(clippy::too_many_arguments)]
pub(super) fn event(
    number: u32,
    track: &str,
    name: &str,
    kind: Transition,
    source: (i64, i64),
    record: (i64, i64),
    line: usize,
) -> Event {
    Event {
        number,
        number_text: format!("{number:03}"),
        reel: name.to_string(),
        track: track.to_string(),
        kind,
        source_in: source.0,
        source_out: source.1,
        record_in: record.0,
        record_out: record.1,
        clip_name: Some(name.to_string()),
        from_clip_name: None,
        from_reel: None,
        source_file: None,
        comments: Vec::new(),
        speed: None,
        m2_fps: None,
        extra_audio: Vec::new(),
        line,
    }
}
