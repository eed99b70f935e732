//! A picture of a scored timeline, drawn to PNG with tiny-skia: the shots, the bars with their
//! numbers, the cue blocks with the transitions and bridges between them, the tension curve,
//! the mix's short-term loudness, and the hits with their sync error, on a time ruler.
//!
//! Text is `DejaVu Sans`, rasterised with anti-aliasing by `ab_glyph`. Why these: `ab_glyph`
//! is a small, maintained pure-Rust rasteriser (ttf-parser underneath; no system libraries,
//! no build script, seconds to compile) that computes each pixel's exact coverage. The font
//! (from the `dejavu` crate, which embeds the fonts with their Bitstream Vera / Arev licence)
//! is drawn for screens, stays legible at 11–15 px on a dark background, and covers every
//! symbol used here (±, −, →, …). The one maintained crate that ships fonts, egui's
//! `epaint_default_fonts`, offers Ubuntu Light, too thin at these sizes, or the monospaced
//! Hack; the font's last release (2.37) is from 2016, so the `dejavu` crate's age (2019)
//! costs nothing.
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

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use tiny_skia::{
    Color, FillRule, LineCap, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Rect, Stroke,
    Transform,
};

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
    /// Transitions: where the outgoing cue hands over to the incoming one (its fades, and any
    /// bridge), hatched over the cue blocks, their label under the hatching where it fits.
    pub transitions: Vec<PictureSpan>,
    /// Bridges: music composed between two cues, drawn over the cue blocks as dark,
    /// densely hatched spans with their label.
    pub bridges: Vec<PictureSpan>,
    /// Tension curve as (time, value 0..1), joined by straight lines.
    pub tension: Vec<(f64, f32)>,
    /// The mix's loudness for the loudness lane; `None` writes "not measured" there.
    pub loudness: Option<PictureLoudness>,
    /// Hits to mark.
    pub hits: Vec<PictureHit>,
    /// Bar lines as (time, bar number), drawn faintly; the numbers are written every 1, 2,
    /// 4, 8… bars (counting from bar 1), as often as there is room.
    pub bars: Vec<(f64, u32)>,
}

/// A span of the timeline with a label.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureSpan {
    /// Start in seconds.
    pub start_s: f64,
    /// End in seconds.
    pub end_s: f64,
    /// Label, shortened with "…" to fit the span (left out when nothing fits).
    pub label: String,
}

/// The loudness lane: the mix's short-term loudness over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureLoudness {
    /// Short-term loudness as (time, LUFS), joined by straight lines and filled below; the
    /// lane runs from −50 LUFS (anything quieter, −∞ included, sits on its floor) to 0.
    pub short_term: Vec<(f64, f64)>,
    /// Integrated loudness of the mix in LUFS, written in the lane (−∞: silence).
    pub integrated_lufs: f64,
}

/// A hit: where it is, its name, and how far the music's accent landed from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureHit {
    /// Time in seconds.
    pub at_s: f64,
    /// Name.
    pub name: String,
    /// Sync error in frames (music minus picture), shown as "±N fr", green within
    /// ±[`IN_SYNC_FRAMES`], red beyond.
    pub error_frames: i64,
}

/// A hit whose sync error is within this many frames either way is drawn as in sync.
pub const IN_SYNC_FRAMES: i64 = 1;

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

/// The loudness lane's range in LUFS (floor, top).
pub const LOUDNESS_RANGE: (f64, f64) = (-50.0, 0.0);
/// Loudness grid lines in LUFS: EBU R128's −23 and the −14 of streaming services.
const LOUDNESS_GRID: [f64; 2] = [-23.0, -14.0];

const BG: [u8; 3] = [22, 24, 29];
const PANEL: [u8; 3] = [30, 33, 40];
const TEXT: [u8; 3] = [230, 232, 236];
const DIM: [u8; 3] = [140, 146, 158];
const SHOT_A: [u8; 3] = [58, 62, 72];
const SHOT_B: [u8; 3] = [76, 81, 93];
const CUT: [u8; 3] = [170, 176, 188];
const TENSION: [u8; 3] = [255, 140, 66];
const LOUDNESS: [u8; 3] = [96, 170, 235];
const IN_SYNC: [u8; 3] = [88, 204, 116];
const OFF_SYNC: [u8; 3] = [255, 86, 86];
const BRIDGE_BASE: [u8; 3] = [14, 15, 19];
const BRIDGE_HATCH: [u8; 3] = [196, 200, 255];
const BLACK: [u8; 3] = [0, 0, 0];

/// Type sizes in pixels.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    title: f32,
    text: f32,
    small: f32,
}

/// Layout in pixels, derived from the size; lanes are (top, bottom).
struct Layout {
    left: f32,
    right: f32,
    sizes: Sizes,
    title_base: f32,
    ruler_y: f32,
    shots: (f32, f32),
    bars: (f32, f32),
    cues: (f32, f32),
    tension: (f32, f32),
    loudness: (f32, f32),
    labels_y: f32,
    lane_h: f32,
}

impl Layout {
    fn new(w: f32, h: f32, fonts: &Fonts) -> Layout {
        let large = w >= 900.0 && h >= 360.0;
        let sizes = if large {
            Sizes {
                title: 22.0,
                text: 15.0,
                small: 13.0,
            }
        } else {
            Sizes {
                title: 15.0,
                text: 12.0,
                small: 11.0,
            }
        };
        let s = sizes.small;
        // Room for the lane names and, right of them, the axis labels.
        let names = ["SHOTS", "BARS", "CUES", "TENSION", "LOUDNESS"]
            .iter()
            .map(|n| fonts.width(n, s, false))
            .fold(0.0, f32::max);
        let axis = fonts.width(&minus("-50"), s, false);
        let left = (12.0 + names + 10.0 + axis + 6.0).round();
        let right = w - 16.0;
        let title_base = (10.0 + sizes.title).round();
        let ruler_y = (title_base + 10.0 + s + 8.0).round();
        let top = ruler_y + 10.0;
        let lane_h = (s + 8.0).round();
        let label_lanes = 3.0 * lane_h + 6.0;
        let gap = 6.0;
        let bars_h = (s + 6.0).round();
        let avail = (h - top - label_lanes - bars_h - 5.0 * gap - 6.0).max(80.0);
        let shots_h = (avail * 0.12).clamp(12.0, 40.0).round();
        let cues_h = (avail * 0.2).clamp(18.0, 64.0).round();
        let rest = avail - shots_h - cues_h;
        let tension_h = (rest * 0.42).round();
        let loudness_h = (rest - tension_h).round();
        let shots = (top, top + shots_h);
        let bars = (shots.1 + 2.0, shots.1 + 2.0 + bars_h);
        let cues = (bars.1 + 2.0, bars.1 + 2.0 + cues_h);
        let tension = (cues.1 + gap, cues.1 + gap + tension_h);
        // Wider: the tension lane's "0" and the loudness lane's "0" are on either side.
        let loudness = (tension.1 + 2.0 * gap, tension.1 + 2.0 * gap + loudness_h);
        Layout {
            left,
            right,
            sizes,
            title_base,
            ruler_y,
            shots,
            bars,
            cues,
            tension,
            loudness,
            labels_y: loudness.1 + 6.0,
            lane_h,
        }
    }

    /// The y of `lufs` in the loudness lane.
    fn loudness_y(&self, lufs: f64) -> f32 {
        let (y0, y1) = (self.loudness.0 + 3.0, self.loudness.1 - 1.0);
        let (lo, hi) = LOUDNESS_RANGE;
        let v = if lufs.is_nan() {
            lo
        } else {
            lufs.clamp(lo, hi)
        };
        y1 - ((v - lo) / (hi - lo)) as f32 * (y1 - y0)
    }

    /// The y of tension `v` in the tension lane.
    fn tension_y(&self, v: f32) -> f32 {
        let (y0, y1) = (self.tension.0 + 4.0, self.tension.1 - 2.0);
        y1 - v.clamp(0.0, 1.0) * (y1 - y0)
    }
}

/// The typeface, regular and bold.
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Fonts {
    fn new() -> Fonts {
        Fonts {
            regular: FontRef::try_from_slice(dejavu::sans::regular())
                .expect("DejaVu Sans is a valid font"),
            bold: FontRef::try_from_slice(dejavu::sans::bold())
                .expect("DejaVu Sans Bold is a valid font"),
        }
    }

    fn font(&self, bold: bool) -> &FontRef<'static> {
        if bold { &self.bold } else { &self.regular }
    }

    /// Width in pixels of `text` at `size`.
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let f = self.font(bold).as_scaled(PxScale::from(size));
        let mut w = 0.0;
        let mut prev = None;
        for ch in text.chars() {
            let id = f.glyph_id(ch);
            if let Some(p) = prev {
                w += f.kern(p, id);
            }
            w += f.h_advance(id);
            prev = Some(id);
        }
        w
    }

    /// `text` shortened with "…" to fit `max_w` pixels (empty when not even one character
    /// and the ellipsis fit).
    fn fit(&self, text: &str, max_w: f32, size: f32, bold: bool) -> String {
        if self.width(text, size, bold) <= max_w {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        for n in (1..chars.len()).rev() {
            let s: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
            if self.width(&s, size, bold) <= max_w {
                return s;
            }
        }
        String::new()
    }
}

/// The typographic minus for the hyphens of negative numbers.
fn minus(s: &str) -> String {
    s.replace('-', "\u{2212}")
}

/// The pixmap being drawn, with its fonts.
struct Canvas {
    pm: Pixmap,
    fonts: Fonts,
}

fn color(c: [u8; 3], alpha: u8) -> Color {
    Color::from_rgba8(c[0], c[1], c[2], alpha)
}

fn paint(c: [u8; 3], alpha: u8, anti_alias: bool) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color(c, alpha));
    p.anti_alias = anti_alias;
    p
}

impl Canvas {
    /// A filled rectangle, at least one pixel each way.
    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: [u8; 3], alpha: u8) {
        if let Some(r) = Rect::from_ltrb(x0, y0, x1.max(x0 + 1.0), y1.max(y0 + 1.0)) {
            self.pm
                .fill_rect(r, &paint(c, alpha, false), Transform::identity(), None);
        }
    }

    fn fill(&mut self, path: PathBuilder, c: [u8; 3], alpha: u8) {
        if let Some(path) = path.finish() {
            self.pm.fill_path(
                &path,
                &paint(c, alpha, true),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }

    fn stroke(&mut self, path: PathBuilder, c: [u8; 3], alpha: u8, width: f32) {
        if let Some(path) = path.finish() {
            let stroke = Stroke {
                width,
                line_cap: LineCap::Round,
                ..Stroke::default()
            };
            self.pm.stroke_path(
                &path,
                &paint(c, alpha, true),
                &stroke,
                Transform::identity(),
                None,
            );
        }
    }

    /// Diagonal hatching inside a rectangle: lines `spacing` apart rising to the right
    /// (`rising`) or falling.
    fn hatch(
        &mut self,
        (x0, y0, x1, y1): (f32, f32, f32, f32),
        spacing: f32,
        rising: bool,
        c: [u8; 3],
        alpha: u8,
        width: f32,
    ) {
        let h = y1 - y0;
        if x1 <= x0 || h <= 0.0 {
            return;
        }
        let mut pb = PathBuilder::new();
        // Lines x = k + t, y = y1 - t (rising) or y0 + t (falling), t in 0..h, clipped to x0..x1.
        let mut k = (x0 - h).div_euclid(spacing) * spacing;
        while k < x1 {
            let (t0, t1) = ((x0 - k).max(0.0), (x1 - k).min(h));
            if t1 > t0 {
                let y = |t: f32| if rising { y1 - t } else { y0 + t };
                pb.move_to(k + t0, y(t0));
                pb.line_to(k + t1, y(t1));
            }
            k += spacing;
        }
        self.stroke(pb, c, alpha, width);
    }

    /// Draws `text` with its left end at `x` and its baseline at `baseline`, anti-aliased;
    /// returns its width.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f32,
        baseline: f32,
        text: &str,
        size: f32,
        c: [u8; 3],
        alpha: u8,
        bold: bool,
    ) -> f32 {
        let font = self.fonts.font(bold);
        let f = font.as_scaled(PxScale::from(size));
        let (w, h) = (self.pm.width() as i64, self.pm.height() as i64);
        let pixels = self.pm.pixels_mut();
        let baseline = baseline.round();
        let mut caret = x;
        let mut prev = None;
        let opacity = f32::from(alpha) / 255.0;
        for ch in text.chars() {
            let id = f.glyph_id(ch);
            if let Some(p) = prev {
                caret += f.kern(p, id);
            }
            let glyph = id.with_scale_and_position(f.scale(), point(caret, baseline));
            caret += f.h_advance(id);
            prev = Some(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let (px, py) = (
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                );
                if px < 0 || py < 0 || px >= w || py >= h {
                    return;
                }
                let a = (coverage * opacity).clamp(0.0, 1.0);
                if a <= 0.0 {
                    return;
                }
                let d = &mut pixels[(py * w + px) as usize];
                // Source over, premultiplied.
                let over = |s: u8, dst: u8| f32::from(s) * a + f32::from(dst) * (1.0 - a);
                let alpha = over(255, d.alpha()).round().clamp(0.0, 255.0) as u8;
                let ch = |s: u8, dst: u8| (over(s, dst).round().clamp(0.0, 255.0) as u8).min(alpha);
                if let Some(p) = PremultipliedColorU8::from_rgba(
                    ch(c[0], d.red()),
                    ch(c[1], d.green()),
                    ch(c[2], d.blue()),
                    alpha,
                ) {
                    *d = p;
                }
            });
        }
        caret - x
    }

    /// A label on a box of `bg` (so that it reads over lines), left end at `x`.
    fn chip(&mut self, x: f32, mid_y: f32, text: &str, size: f32, c: [u8; 3], bg: [u8; 3]) {
        let w = self.fonts.width(text, size, false);
        let (y0, y1) = (mid_y - size * 0.62, mid_y + size * 0.62);
        self.rect(x - 3.0, y0, x + w + 3.0, y1, bg, 235);
        self.text(x, baseline_mid(mid_y, size), text, size, c, 255, false);
    }
}

/// The baseline that centres capitals of `size` on `y` (the font's cap height is 0.73 em).
fn baseline_mid(y: f32, size: f32) -> f32 {
    y + 0.365 * size
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

/// The colour of a hit with this sync error.
fn sync_colour(error_frames: i64) -> [u8; 3] {
    if error_frames.abs() <= IN_SYNC_FRAMES {
        IN_SYNC
    } else {
        OFF_SYNC
    }
}

/// "±0 fr", "+2 fr", "−1 fr".
fn residual(error_frames: i64) -> String {
    match error_frames {
        0 => "\u{b1}0 fr".to_string(),
        e => minus(&format!("{e:+} fr")),
    }
}

/// How many bars apart bar numbers are written: the smallest of 1, 2, 4, 8… whose labels
/// (`label_w` pixels wide) fit between bar lines `bar_px` apart.
fn bar_number_step(bar_px: f32, label_w: f32) -> u32 {
    (0..10)
        .map(|k| 1u32 << k)
        .find(|&n| n as f32 * bar_px >= label_w + 8.0)
        .unwrap_or(1 << 10)
}

/// How far right of its bar line a bar number starts.
const BAR_LABEL_DX: f32 = 3.0;

/// Which bars get their number written, given their x and number (sorted by x) and the
/// width of a number's label: within each run of bars counted from a bar 1 (a cue), every
/// Nth from bar 1 with N the smallest of 1, 2, 4, 8… that leaves room at the run's usual bar
/// spacing; then, where labels would still touch, each bar 1 wins over the others and an
/// earlier bar over a later one. Bars numbered 0 get no number.
fn bar_labels(bars: &[(f32, u32)], width: impl Fn(u32) -> f32) -> Vec<bool> {
    // Runs: a new one at each bar 1 (and at each bar 0).
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, &(_, n)) in bars.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if n > 1 && bars[i - 1].1 >= 1 => r.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    let mut wanted = vec![false; bars.len()];
    for r in runs {
        let run = &bars[r.clone()];
        let mut gaps: Vec<f32> = run.windows(2).map(|w| w[1].0 - w[0].0).collect();
        gaps.sort_by(f32::total_cmp);
        let gap = gaps.get(gaps.len() / 2).copied().unwrap_or(f32::INFINITY);
        let widest = run.iter().map(|b| width(b.1)).fold(0.0, f32::max);
        let step = bar_number_step(gap, widest);
        for (k, &(_, n)) in r.zip(run) {
            wanted[k] = n >= 1 && (n - 1) % step == 0;
        }
    }
    // Place bar 1s first, then the rest, left to right, none touching another.
    let mut order: Vec<usize> = (0..bars.len()).filter(|&i| wanted[i]).collect();
    order.sort_by_key(|&i| bars[i].1 != 1);
    let mut placed: Vec<(f32, f32)> = Vec::new();
    let mut out = vec![false; bars.len()];
    for i in order {
        let (x, n) = bars[i];
        let span = (x, x + BAR_LABEL_DX + width(n) + 5.0);
        if placed.iter().all(|&(a, b)| span.1 <= a || span.0 >= b) {
            placed.push(span);
            out[i] = true;
        }
    }
    out
}

/// Render the picture as a PNG of `width`×`height` pixels (at least 200×150).
pub fn render_png(p: &TimelinePicture, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width.max(200), height.max(150));
    let mut pm = Pixmap::new(w, h).expect("non-zero pixmap size");
    pm.fill(color(BG, 255));
    let mut cv = Canvas {
        pm,
        fonts: Fonts::new(),
    };
    let (wf, hf) = (w as f32, h as f32);
    let l = Layout::new(wf, hf, &cv.fonts);
    let Sizes { title, text, small } = l.sizes;
    let dur = if p.duration_s.is_finite() && p.duration_s > 0.0 {
        p.duration_s
    } else {
        p.cues
            .iter()
            .chain(&p.shots)
            .map(|c| c.1)
            .filter(|t| t.is_finite())
            .fold(1.0, f64::max)
    };
    let plot_w = l.right - l.left;
    let x = |t: f64| l.left + ((t / dur).clamp(0.0, 1.0) as f32) * plot_w;
    let lanes_bottom = l.loudness.1;

    // Title and summary.
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let summary = [
        mmss(dur, 1.0),
        count(p.shots.len(), "shot", "shots"),
        count(p.cues.len(), "cue", "cues"),
        count(p.transitions.len(), "transition", "transitions"),
        count(p.bridges.len(), "bridge", "bridges"),
        count(p.hits.len(), "hit", "hits"),
    ]
    .join("   ");
    let sw = cv.fonts.width(&summary, text, false);
    let t = cv.fonts.fit(&p.title, wf - 24.0 - sw - 24.0, title, true);
    cv.text(12.0, l.title_base, &t, title, TEXT, 255, true);
    cv.text(
        wf - 12.0 - sw,
        l.title_base,
        &summary,
        text,
        DIM,
        255,
        false,
    );

    // Lane panels and names.
    for (name, (y0, y1)) in [
        ("SHOTS", l.shots),
        ("BARS", l.bars),
        ("CUES", l.cues),
        ("TENSION", l.tension),
        ("LOUDNESS", l.loudness),
    ] {
        cv.rect(l.left, y0, l.right, y1, PANEL, 255);
        let mid = if name == "LOUDNESS" {
            (y0 + y1) / 2.0 - small * 0.7
        } else {
            (y0 + y1) / 2.0
        };
        cv.text(12.0, baseline_mid(mid, small), name, small, DIM, 255, false);
        if name == "LOUDNESS" {
            let m = mid + small * 1.4;
            cv.text(12.0, baseline_mid(m, small), "LUFS", small, DIM, 170, false);
        }
    }

    // Ruler, with a faint grid through the lanes.
    let min_px = cv.fonts.width("0:00.0", small, false) + 28.0;
    let step = ruler_step(dur, f64::from(plot_w), f64::from(min_px));
    cv.rect(l.left, l.ruler_y, l.right, l.ruler_y + 1.0, DIM, 255);
    let mut t = 0.0;
    while t <= dur + 1e-9 {
        let xx = x(t).round();
        cv.rect(xx, l.ruler_y - 5.0, xx + 1.0, l.ruler_y + 1.0, DIM, 255);
        cv.rect(xx, l.shots.0, xx + 1.0, lanes_bottom, TEXT, 14);
        let label = mmss(t, step);
        let lw = cv.fonts.width(&label, small, false);
        let lx = (xx - lw / 2.0).clamp(l.left - lw / 2.0, l.right - lw);
        cv.text(lx, l.ruler_y - 9.0, &label, small, DIM, 255, false);
        t += step;
    }

    // Shots.
    for (i, (s, e, name)) in p.shots.iter().enumerate() {
        let (x0, x1) = (x(*s), x(*e));
        let c = if i % 2 == 0 { SHOT_A } else { SHOT_B };
        cv.rect(x0, l.shots.0, x1, l.shots.1, c, 255);
        cv.rect(x0.round(), l.shots.0, x0.round() + 1.0, l.shots.1, CUT, 255);
        let label = cv.fonts.fit(name, x1 - x0 - 8.0, small, false);
        if !label.is_empty() {
            let base = baseline_mid((l.shots.0 + l.shots.1) / 2.0, small);
            cv.text(x0 + 4.0, base, &label, small, DIM, 255, false);
        }
    }
    if let Some(last) = p.shots.last() {
        let xe = x(last.1).round();
        cv.rect(xe - 1.0, l.shots.0, xe, l.shots.1, CUT, 255);
    }

    // Cue blocks (their names come after the spans, which they must not sit under).
    let colours = cue_colours(p);
    for ((s, e, _), &c) in p.cues.iter().zip(&colours) {
        let (x0, x1) = (x(*s), x(*e));
        cv.rect(x0 + 1.0, l.cues.0 + 2.0, x1 - 1.0, l.cues.1 - 2.0, c, 255);
        // Darker edge at the start of each block.
        let edge = [c[0] / 2, c[1] / 2, c[2] / 2];
        cv.rect(
            x0 + 1.0,
            l.cues.0 + 2.0,
            x0 + 3.0,
            l.cues.1 - 2.0,
            edge,
            255,
        );
    }

    // Bar lines: ticks and numbers in their lane, faint lines through cues, tension and
    // loudness (dark over the cue blocks, light over the panels).
    let mut bars: Vec<(f64, u32)> = p
        .bars
        .iter()
        .copied()
        .filter(|(b, _)| b.is_finite() && (0.0..=dur).contains(b))
        .collect();
    bars.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bar_xs: Vec<(f32, u32)> = bars.iter().map(|&(b, n)| (x(b).round(), n)).collect();
    let numbered = bar_labels(&bar_xs, |n| cv.fonts.width(&n.to_string(), small, false));
    for (&(xx, n), numbered) in bar_xs.iter().zip(numbered) {
        let tick_top = if numbered {
            l.bars.0 + 2.0
        } else {
            l.bars.1 - 5.0
        };
        cv.rect(
            xx,
            tick_top,
            xx + 1.0,
            l.bars.1,
            TEXT,
            if numbered { 150 } else { 80 },
        );
        cv.rect(xx, l.cues.0 + 2.0, xx + 1.0, l.cues.1 - 2.0, BLACK, 60);
        cv.rect(xx, l.tension.0, xx + 1.0, lanes_bottom, TEXT, 26);
        if numbered {
            let base = baseline_mid((l.bars.0 + l.bars.1) / 2.0, small);
            cv.text(
                xx + BAR_LABEL_DX,
                base,
                &n.to_string(),
                small,
                DIM,
                255,
                false,
            );
        }
    }

    // Transitions: light hatching with edges; bridges: dark and densely hatched.
    let span_px = |s: &PictureSpan| {
        let (a, b) = (x(s.start_s.min(s.end_s)), x(s.start_s.max(s.end_s)));
        (a, b.max(a + 2.0))
    };
    let (cy0, cy1) = (l.cues.0 + 2.0, l.cues.1 - 2.0);
    let span_label_y = cy1 - small * 0.75;
    for s in p
        .transitions
        .iter()
        .filter(|s| s.start_s.is_finite() && s.end_s.is_finite())
    {
        let (x0, x1) = span_px(s);
        cv.rect(x0, cy0, x1, cy1, BLACK, 40);
        cv.hatch((x0, cy0, x1, cy1), 6.0, true, TEXT, 150, 1.2);
        cv.rect(x0, cy0, x0 + 1.0, cy1, TEXT, 200);
        cv.rect(x1 - 1.0, cy0, x1, cy1, TEXT, 200);
    }
    for s in p
        .bridges
        .iter()
        .filter(|s| s.start_s.is_finite() && s.end_s.is_finite())
    {
        let (x0, x1) = span_px(s);
        cv.rect(x0, cy0, x1, cy1, BRIDGE_BASE, 225);
        cv.hatch((x0, cy0, x1, cy1), 4.0, false, BRIDGE_HATCH, 150, 1.0);
        cv.rect(x0, cy0, x0 + 1.0, cy1, BRIDGE_HATCH, 255);
        cv.rect(x1 - 1.0, cy0, x1, cy1, BRIDGE_HATCH, 255);
    }
    for (spans, fg) in [(&p.transitions, TEXT), (&p.bridges, BRIDGE_HATCH)] {
        for s in spans
            .iter()
            .filter(|s| s.start_s.is_finite() && s.end_s.is_finite())
        {
            let (x0, x1) = span_px(s);
            let label = cv.fonts.fit(&s.label, x1 - x0 - 10.0, small, false);
            // A label cut to a few letters says nothing.
            if !label.is_empty() && (label == s.label || label.chars().count() > 5) {
                cv.chip(x0 + 5.0, span_label_y, &label, small, fg, BRIDGE_BASE);
            }
        }
    }

    // Cue names, after any span covering the start of their block.
    let spans: Vec<(f32, f32)> = p
        .transitions
        .iter()
        .chain(&p.bridges)
        .map(span_px)
        .collect();
    for ((s, e, name), c) in p.cues.iter().zip(colours) {
        let (x0, x1) = (x(*s), x(*e));
        let mut lx = x0 + 8.0;
        for &(a, b) in &spans {
            if a <= lx && b > lx {
                lx = b + 6.0;
            }
        }
        let lum = 0.299 * f32::from(c[0]) + 0.587 * f32::from(c[1]) + 0.114 * f32::from(c[2]);
        let fg = if lum > 140.0 {
            [20, 22, 26]
        } else {
            [250, 250, 252]
        };
        let label = cv.fonts.fit(name, x1 - lx - 4.0, text, true);
        if !label.is_empty() {
            let base = baseline_mid((l.cues.0 + l.cues.1) / 2.0 - small * 0.4, text);
            cv.text(lx, base, &label, text, fg, 255, true);
        }
    }

    // Tension curve: filled area plus its outline.
    let ty1 = l.tension_y(0.0);
    cv.rect(
        l.left,
        l.tension_y(0.5),
        l.right,
        l.tension_y(0.5) + 1.0,
        TEXT,
        22,
    );
    for (v, s) in [(1.0, "1"), (0.5, ".5"), (0.0, "0")] {
        let lw = cv.fonts.width(s, small, false);
        let base = baseline_mid(l.tension_y(v), small);
        cv.text(l.left - 6.0 - lw, base, s, small, DIM, 255, false);
    }
    let tension: Vec<(f64, f64)> = p.tension.iter().map(|&(t, v)| (t, f64::from(v))).collect();
    curve(
        &mut cv,
        &tension,
        x,
        |v| l.tension_y(v as f32),
        ty1,
        (l.left, l.right),
        TENSION,
        70,
        text / 7.5,
    );

    // Loudness lane: grid, then the short-term curve, the integrated value.
    let (lo, hi) = LOUDNESS_RANGE;
    let lane = l.loudness.1 - l.loudness.0;
    for v in LOUDNESS_GRID {
        let y = l.loudness_y(v).round();
        cv.rect(l.left, y, l.right, y + 1.0, TEXT, 40);
    }
    // The grid's labels where they do not touch (−23 first), the range's where there is room.
    let mut axis: Vec<f64> = vec![LOUDNESS_GRID[0]];
    if l.loudness_y(LOUDNESS_GRID[0]) - l.loudness_y(LOUDNESS_GRID[1]) >= small + 2.0 {
        axis.push(LOUDNESS_GRID[1]);
    }
    if lane > 6.0 * small {
        axis.extend([lo, hi]);
    }
    for v in axis {
        let s = minus(&format!("{v:.0}"));
        let lw = cv.fonts.width(&s, small, false);
        let base = baseline_mid(l.loudness_y(v), small);
        cv.text(l.left - 6.0 - lw, base, &s, small, DIM, 255, false);
    }
    match &p.loudness {
        Some(loud) => {
            curve(
                &mut cv,
                &loud.short_term,
                x,
                |v| l.loudness_y(v),
                l.loudness_y(lo),
                (l.left, l.right),
                LOUDNESS,
                110,
                text / 7.5,
            );
            let max = loud
                .short_term
                .iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            let lufs = |v: f64| {
                if v.is_finite() {
                    minus(&format!("{v:.1} LUFS"))
                } else {
                    "silence".to_string()
                }
            };
            let label = format!(
                "integrated {}   max short-term {}",
                lufs(loud.integrated_lufs),
                lufs(max)
            );
            let lw = cv.fonts.width(&label, small, false);
            let mid = l.loudness.0 + small * 0.9;
            cv.chip(l.right - lw - 8.0, mid, &label, small, TEXT, PANEL);
        }
        None => {
            let label = "not measured";
            let lw = cv.fonts.width(label, text, false);
            let base = baseline_mid((l.loudness.0 + l.loudness.1) / 2.0, text);
            cv.text(
                (l.left + l.right - lw) / 2.0,
                base,
                label,
                text,
                DIM,
                255,
                false,
            );
        }
    }

    // Hits: lines in their sync colour with a head on the ruler, labels in up to 3 lanes.
    let mut lanes: [f32; 3] = [f32::NEG_INFINITY; 3];
    let mut hits: Vec<&PictureHit> = p.hits.iter().filter(|h| h.at_s.is_finite()).collect();
    hits.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    for hit in hits {
        let c = sync_colour(hit.error_frames);
        let xx = x(hit.at_s).round();
        cv.rect(xx - 1.0, l.shots.0, xx + 1.0, lanes_bottom, c, 220);
        let mut head = PathBuilder::new();
        head.move_to(xx - 6.0, l.ruler_y + 1.0);
        head.line_to(xx + 6.0, l.ruler_y + 1.0);
        head.line_to(xx, l.ruler_y + 9.0);
        head.close();
        cv.fill(head, c, 255);
        let name = format!("{} ", hit.name);
        let err = residual(hit.error_frames);
        let nw = cv.fonts.width(&name, small, false);
        let ew = cv.fonts.width(&err, small, true);
        let lw = nw + ew;
        let lx = (xx - 3.0).min(wf - 8.0 - lw).max(4.0);
        let lane = lanes.iter().position(|&end| end < lx).unwrap_or_else(|| {
            (0..3)
                .min_by(|&a, &b| lanes[a].total_cmp(&lanes[b]))
                .unwrap_or(0)
        });
        lanes[lane] = lx + lw + 10.0;
        let mid = l.labels_y + (lane as f32 + 0.5) * l.lane_h;
        // A thin leader from the line down to the label.
        cv.rect(xx - 0.5, lanes_bottom, xx + 0.5, mid, c, 150);
        cv.rect(
            lx - 3.0,
            mid - small * 0.65,
            lx + lw + 3.0,
            mid + small * 0.65,
            BG,
            255,
        );
        let base = baseline_mid(mid, small);
        cv.text(lx, base, &name, small, TEXT, 255, false);
        cv.text(lx + nw, base, &err, small, c, 255, true);
    }

    cv.pm
        .encode_png()
        .expect("PNG encoding of an in-memory pixmap")
}

/// A curve of (time, value) points joined by straight lines, held flat to the plot's edges,
/// filled down to `floor_y` with `fill_alpha` and outlined.
#[allow(clippy::too_many_arguments)]
fn curve(
    cv: &mut Canvas,
    points: &[(f64, f64)],
    x: impl Fn(f64) -> f32,
    y: impl Fn(f64) -> f32,
    floor_y: f32,
    (left, right): (f32, f32),
    c: [u8; 3],
    fill_alpha: u8,
    width: f32,
) {
    let mut pts: Vec<(f32, f32)> = points
        .iter()
        .filter(|(t, v)| t.is_finite() && !v.is_nan())
        .map(|&(t, v)| (x(t), y(v)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (Some(&first), Some(&last)) = (pts.first(), pts.last()) else {
        return;
    };
    let mut line = PathBuilder::new();
    line.move_to(left, first.1);
    let mut area = PathBuilder::new();
    area.move_to(left, floor_y);
    area.line_to(left, first.1);
    for &(px, py) in &pts {
        line.line_to(px, py);
        area.line_to(px, py);
    }
    line.line_to(right, last.1);
    area.line_to(right, last.1);
    area.line_to(right, floor_y);
    area.close();
    cv.fill(area, c, fill_alpha);
    cv.stroke(line, c, 255, width.max(1.0));
}

#[cfg(test)]
mod tests;
