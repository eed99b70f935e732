//! A picture of a scored timeline, drawn to PNG with tiny-skia: the shots,
//! the cue blocks, the tension curve, the hits with their sync error and the
//! bar lines, on a time ruler. Labels use the 8×8 bitmap font of `font8x8`.
//!
//! ```
//! use leitmotif_film::timeline::{render_png, TimelinePicture};
//! let p = TimelinePicture {
//!     title: "demo".into(),
//!     duration_s: 10.0,
//!     cues: vec![(0.0, 10.0, "calm".into())],
//!     ..Default::default()
//! };
//! let png = render_png(&p, 800, 300);
//! assert_eq!(&png[1..4], b"PNG");
//! ```

use font8x8::UnicodeFonts;
use tiny_skia::{Color, FillRule, LineCap, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform};

/// What to draw. Times are seconds from the start of the timeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelinePicture {
    /// Title drawn at the top.
    pub title: String,
    /// Length of the timeline in seconds (the x axis).
    pub duration_s: f64,
    /// Shots as (start, end, name).
    pub shots: Vec<(f64, f64, String)>,
    /// Cue blocks as (start, end, cue name).
    pub cues: Vec<(f64, f64, String)>,
    /// Tension curve as (time, value 0..1), joined by straight lines.
    pub tension: Vec<(f64, f32)>,
    /// Hits to mark.
    pub hits: Vec<PictureHit>,
    /// Bar-line times, drawn faintly.
    pub bars: Vec<f64>,
}

/// A hit: where it is, its name, and how far the music's accent landed from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureHit {
    /// Time in seconds.
    pub at_s: f64,
    /// Name.
    pub name: String,
    /// Sync error in frames (music minus picture), shown as "±N fr".
    pub error_frames: i64,
}

/// Cue block colours (RGB), assigned to cue names in order of first
/// appearance and reused for repeated names.
pub const CUE_PALETTE: [[u8; 3]; 8] = [
    [78, 121, 167],  // blue
    [242, 142, 43],  // orange
    [89, 161, 79],   // green
    [176, 122, 161], // purple
    [118, 183, 178], // teal
    [237, 201, 72],  // yellow
    [156, 117, 95],  // brown
    [255, 157, 167], // pink
];

const BG: [u8; 3] = [22, 24, 29];
const PANEL: [u8; 3] = [30, 33, 40];
const TEXT: [u8; 3] = [230, 232, 236];
const DIM: [u8; 3] = [140, 146, 158];
const SHOT_A: [u8; 3] = [58, 62, 72];
const SHOT_B: [u8; 3] = [76, 81, 93];
const CUT: [u8; 3] = [170, 176, 188];
const HIT: [u8; 3] = [255, 72, 72];
const TENSION: [u8; 3] = [255, 140, 66];

/// Layout in pixels, derived from the size.
struct Layout {
    left: f32,
    right: f32,
    ruler_y: f32,
    shots: (f32, f32),
    cues: (f32, f32),
    tension: (f32, f32),
    labels_y: f32,
    scale: f32,
}

impl Layout {
    fn new(w: f32, h: f32) -> Layout {
        let scale = if w >= 900.0 && h >= 360.0 { 2.0 } else { 1.0 };
        let left = 12.0 + 8.0 * scale * 8.0; // room for "TENSION "
        let right = w - 16.0;
        let title_h = 8.0 * (scale + 1.0) + 20.0;
        let ruler_y = title_h + 8.0 * scale + 16.0;
        let top = ruler_y + 10.0;
        let label_lanes = 3.0 * (8.0 * scale + 6.0) + 8.0;
        let avail = (h - top - label_lanes - 8.0).max(60.0);
        let shots_h = (avail * 0.18).clamp(14.0, 48.0);
        let cues_h = (avail * 0.26).clamp(16.0, 64.0);
        let gap = 8.0;
        let shots = (top, top + shots_h);
        let cues = (shots.1 + gap, shots.1 + gap + cues_h);
        let tension = (
            cues.1 + gap,
            (h - label_lanes - 4.0).max(cues.1 + gap + 20.0),
        );
        Layout {
            left,
            right,
            ruler_y,
            shots,
            cues,
            tension,
            labels_y: tension.1 + 8.0,
            scale,
        }
    }
}

fn color(c: [u8; 3], alpha: u8) -> Color {
    Color::from_rgba8(c[0], c[1], c[2], alpha)
}

fn paint(c: [u8; 3], alpha: u8) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color(c, alpha));
    p.anti_alias = false;
    p
}

fn rect(pm: &mut Pixmap, x0: f32, y0: f32, x1: f32, y1: f32, c: [u8; 3], alpha: u8) {
    if let Some(r) = Rect::from_ltrb(x0, y0, x1.max(x0 + 1.0), y1.max(y0 + 1.0)) {
        pm.fill_rect(r, &paint(c, alpha), Transform::identity(), None);
    }
}

fn glyph(ch: char) -> [u8; 8] {
    font8x8::BASIC_FONTS
        .get(ch)
        .or_else(|| font8x8::LATIN_FONTS.get(ch))
        .or_else(|| font8x8::BASIC_FONTS.get('?'))
        .unwrap_or([0; 8])
}

/// Width in pixels of `text` at `scale`.
fn text_w(text: &str, scale: f32) -> f32 {
    text.chars().count() as f32 * 8.0 * scale
}

/// `text` cut to fit `max_w` pixels, with ".." when cut.
fn fit(text: &str, max_w: f32, scale: f32) -> String {
    let max = (max_w / (8.0 * scale)).floor().max(0.0) as usize;
    let n = text.chars().count();
    if n <= max {
        text.to_string()
    } else if max >= 3 {
        text.chars().take(max - 2).chain("..".chars()).collect()
    } else {
        String::new()
    }
}

/// Draw `text` with its top-left at (x, y), each font pixel a scale×scale square.
fn text(pm: &mut Pixmap, x: f32, y: f32, s: &str, scale: f32, c: [u8; 3]) {
    let p = paint(c, 255);
    for (i, ch) in s.chars().enumerate() {
        let g = glyph(ch);
        let gx = x + i as f32 * 8.0 * scale;
        for (row, bits) in g.iter().enumerate() {
            // Merge runs of set pixels in a row into one rect.
            let mut col = 0;
            while col < 8 {
                if bits & (1 << col) != 0 {
                    let start = col;
                    while col < 8 && bits & (1 << col) != 0 {
                        col += 1;
                    }
                    if let Some(r) = Rect::from_xywh(
                        gx + start as f32 * scale,
                        y + row as f32 * scale,
                        (col - start) as f32 * scale,
                        scale,
                    ) {
                        pm.fill_rect(r, &p, Transform::identity(), None);
                    }
                } else {
                    col += 1;
                }
            }
        }
    }
}

/// A ruler step in seconds giving labels at least `min_px` apart.
fn ruler_step(duration: f64, plot_w: f64, min_px: f64) -> f64 {
    const STEPS: [f64; 14] = [
        0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
    ];
    STEPS
        .into_iter()
        .find(|s| s / duration * plot_w >= min_px)
        .unwrap_or(3600.0)
}

fn mmss(t: f64, step: f64) -> String {
    let total = t.max(0.0);
    let m = (total / 60.0).floor() as i64;
    let s = total - m as f64 * 60.0;
    if step < 1.0 {
        format!("{m}:{s:04.1}")
    } else {
        format!("{m}:{:02}", s.round() as i64)
    }
}

/// The colour for each cue name, by first appearance.
fn cue_colours(p: &TimelinePicture) -> Vec<[u8; 3]> {
    let mut names: Vec<&str> = Vec::new();
    p.cues
        .iter()
        .map(|(_, _, n)| {
            let i = names.iter().position(|x| *x == n).unwrap_or_else(|| {
                names.push(n);
                names.len() - 1
            });
            CUE_PALETTE[i % CUE_PALETTE.len()]
        })
        .collect()
}

/// Render the picture as a PNG of `width`×`height` pixels (at least 200×150).
pub fn render_png(p: &TimelinePicture, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width.max(200), height.max(150));
    let mut pm = Pixmap::new(w, h).expect("non-zero pixmap size");
    pm.fill(color(BG, 255));
    let (wf, hf) = (w as f32, h as f32);
    let l = Layout::new(wf, hf);
    let sc = l.scale;
    let dur = if p.duration_s.is_finite() && p.duration_s > 0.0 {
        p.duration_s
    } else {
        p.cues
            .iter()
            .chain(&p.shots)
            .map(|c| c.1)
            .fold(1.0, f64::max)
    };
    let plot_w = l.right - l.left;
    let x = |t: f64| l.left + ((t / dur).clamp(0.0, 1.0) as f32) * plot_w;

    // Title and summary.
    let tscale = sc + 1.0;
    let summary = format!(
        "{}  {} shots  {} cues  {} hits",
        mmss(dur, 1.0),
        p.shots.len(),
        p.cues.len(),
        p.hits.len()
    );
    let sw = text_w(&summary, sc);
    let title = fit(&p.title, wf - 24.0 - sw - 24.0, tscale);
    text(&mut pm, 12.0, 12.0, &title, tscale, TEXT);
    text(
        &mut pm,
        wf - 12.0 - sw,
        12.0 + 8.0 * (tscale - sc),
        &summary,
        sc,
        DIM,
    );

    // Row panels and labels.
    for (name, (y0, y1)) in [("SHOTS", l.shots), ("CUES", l.cues), ("TENSION", l.tension)] {
        rect(&mut pm, l.left, y0, l.right, y1, PANEL, 255);
        let lsc = if sc > 1.0 { sc - 1.0 } else { 1.0 };
        text(&mut pm, 12.0, (y0 + y1) / 2.0 - 4.0 * lsc, name, lsc, DIM);
    }

    // Ruler.
    let step = ruler_step(dur, f64::from(plot_w), 8.0 * f64::from(sc) * 7.0);
    rect(
        &mut pm,
        l.left,
        l.ruler_y,
        l.right,
        l.ruler_y + 1.0,
        DIM,
        255,
    );
    let mut t = 0.0;
    while t <= dur + 1e-9 {
        let xx = x(t).round();
        rect(
            &mut pm,
            xx,
            l.ruler_y - 5.0,
            xx + 1.0,
            l.ruler_y + 1.0,
            DIM,
            255,
        );
        // Faint grid through the rows.
        rect(&mut pm, xx, l.shots.0, xx + 1.0, l.tension.1, TEXT, 18);
        let label = mmss(t, step);
        let lw = text_w(&label, sc);
        let lx = (xx - lw / 2.0).clamp(l.left - lw / 2.0, l.right - lw);
        text(&mut pm, lx, l.ruler_y - 8.0 - 8.0 * sc, &label, sc, DIM);
        t += step;
    }

    // Bar lines, faint, across cues and tension.
    for &b in &p.bars {
        if b >= 0.0 && b <= dur {
            let xx = x(b).round();
            rect(&mut pm, xx, l.cues.0, xx + 1.0, l.tension.1, TEXT, 28);
        }
    }

    // Shots.
    let small = if sc > 1.0 { sc - 1.0 } else { 1.0 };
    for (i, (s, e, name)) in p.shots.iter().enumerate() {
        let (x0, x1) = (x(*s), x(*e));
        let c = if i % 2 == 0 { SHOT_A } else { SHOT_B };
        rect(&mut pm, x0, l.shots.0, x1, l.shots.1, c, 255);
        rect(
            &mut pm,
            x0.round(),
            l.shots.0,
            x0.round() + 1.0,
            l.shots.1,
            CUT,
            255,
        );
        let label = fit(name, x1 - x0 - 8.0, small);
        if !label.is_empty() {
            let ty = (l.shots.0 + l.shots.1) / 2.0 - 4.0 * small;
            text(&mut pm, x0 + 4.0, ty, &label, small, DIM);
        }
    }
    if let Some(last) = p.shots.last() {
        let xe = x(last.1).round();
        rect(&mut pm, xe - 1.0, l.shots.0, xe, l.shots.1, CUT, 255);
    }

    // Cue blocks.
    let colours = cue_colours(p);
    for ((s, e, name), c) in p.cues.iter().zip(colours) {
        let (x0, x1) = (x(*s), x(*e));
        rect(
            &mut pm,
            x0 + 1.0,
            l.cues.0 + 2.0,
            x1 - 1.0,
            l.cues.1 - 2.0,
            c,
            255,
        );
        // Darker edge at the start of each block.
        let edge = [c[0] / 2, c[1] / 2, c[2] / 2];
        rect(
            &mut pm,
            x0 + 1.0,
            l.cues.0 + 2.0,
            x0 + 3.0,
            l.cues.1 - 2.0,
            edge,
            255,
        );
        let lum = 0.299 * f32::from(c[0]) + 0.587 * f32::from(c[1]) + 0.114 * f32::from(c[2]);
        let fg = if lum > 140.0 {
            [20, 22, 26]
        } else {
            [250, 250, 252]
        };
        let label = fit(name, x1 - x0 - 12.0, sc);
        if !label.is_empty() {
            let ty = (l.cues.0 + l.cues.1) / 2.0 - 4.0 * sc;
            text(&mut pm, x0 + 8.0, ty, &label, sc, fg);
        }
    }

    // Tension curve: filled area plus its outline.
    let (ty0, ty1) = (l.tension.0 + 4.0, l.tension.1 - 2.0);
    let y = |v: f32| ty1 - v.clamp(0.0, 1.0) * (ty1 - ty0);
    rect(&mut pm, l.left, y(0.5), l.right, y(0.5) + 1.0, TEXT, 22);
    for (v, s) in [(1.0, "1"), (0.5, ".5"), (0.0, "0")] {
        let lw = text_w(s, small);
        text(
            &mut pm,
            l.left - 6.0 - lw,
            y(v) - 4.0 * small,
            s,
            small,
            DIM,
        );
    }
    let mut pts: Vec<(f32, f32)> = p
        .tension
        .iter()
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .map(|&(t, v)| (x(t), y(v)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let (Some(&first), Some(&last)) = (pts.first(), pts.last()) {
        let mut line = PathBuilder::new();
        line.move_to(l.left, first.1);
        for &(px, py) in &pts {
            line.line_to(px, py);
        }
        line.line_to(l.right, last.1);
        let mut area = PathBuilder::new();
        area.move_to(l.left, ty1);
        area.line_to(l.left, first.1);
        for &(px, py) in &pts {
            area.line_to(px, py);
        }
        area.line_to(l.right, last.1);
        area.line_to(l.right, ty1);
        area.close();
        let mut fill = paint(TENSION, 70);
        fill.anti_alias = true;
        if let Some(path) = area.finish() {
            pm.fill_path(&path, &fill, FillRule::Winding, Transform::identity(), None);
        }
        let mut stroke_paint = paint(TENSION, 255);
        stroke_paint.anti_alias = true;
        let stroke = Stroke {
            width: sc,
            line_cap: LineCap::Round,
            ..Stroke::default()
        };
        if let Some(path) = line.finish() {
            pm.stroke_path(&path, &stroke_paint, &stroke, Transform::identity(), None);
        }
    }

    // Hits: red lines with a head on the ruler, labels in up to 3 lanes.
    let lane_h = 8.0 * small + 6.0;
    let mut lanes: [f32; 3] = [f32::NEG_INFINITY; 3];
    let mut hits: Vec<&PictureHit> = p.hits.iter().filter(|h| h.at_s.is_finite()).collect();
    hits.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    for hit in hits {
        let xx = x(hit.at_s).round();
        rect(
            &mut pm,
            xx - 1.0,
            l.shots.0,
            xx + 1.0,
            l.tension.1,
            HIT,
            230,
        );
        let mut head = PathBuilder::new();
        head.move_to(xx - 5.0, l.ruler_y + 1.0);
        head.line_to(xx + 5.0, l.ruler_y + 1.0);
        head.line_to(xx, l.ruler_y + 8.0);
        head.close();
        if let Some(path) = head.finish() {
            let mut hp = paint(HIT, 255);
            hp.anti_alias = true;
            pm.fill_path(&path, &hp, FillRule::Winding, Transform::identity(), None);
        }
        let err = match hit.error_frames {
            0 => "\u{b1}0 fr".to_string(),
            e => format!("{e:+} fr"),
        };
        let label = format!("{} {err}", hit.name);
        let lw = text_w(&label, small);
        let lx = (xx - 3.0).min(wf - 8.0 - lw).max(4.0);
        let lane = lanes.iter().position(|&end| end < lx).unwrap_or_else(|| {
            (0..3)
                .min_by(|&a, &b| lanes[a].total_cmp(&lanes[b]))
                .unwrap_or(0)
        });
        lanes[lane] = lx + lw + 8.0;
        let ly = l.labels_y + lane as f32 * lane_h;
        // A thin leader from the line down to the label.
        rect(
            &mut pm,
            xx - 0.5,
            l.tension.1,
            xx + 0.5,
            ly + 4.0 * small,
            HIT,
            150,
        );
        rect(
            &mut pm,
            lx - 2.0,
            ly - 2.0,
            lx + lw + 2.0,
            ly + 8.0 * small + 2.0,
            BG,
            255,
        );
        text(&mut pm, lx, ly, &label, small, [255, 140, 140]);
    }

    pm.encode_png()
        .expect("PNG encoding of an in-memory pixmap")
}

#[cfg(test)]
mod tests;
