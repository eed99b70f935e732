use super::*;

const W: u32 = 1600;
const H: u32 = 640;

fn sample() -> TimelinePicture {
    let shots: Vec<(f64, f64, String)> = [0.0, 1.3, 3.4, 4.5, 9.3, 13.5, 20.2, 27.3, 33.0, 43.7]
        .windows(2)
        .enumerate()
        .map(|(i, w)| (w[0], w[1], format!("ZZ100_50{}", i + 1)))
        .collect();
    TimelinePicture {
        title: "Example_Screening.01 - auto-spotted".into(),
        duration_s: 43.7,
        shots,
        cues: vec![
            (0.0, 4.5, "chase".into()),
            (4.5, 20.2, "suspense".into()),
            (20.2, 43.7, "calm".into()),
        ],
        transitions: vec![
            PictureSpan {
                start_s: 3.7,
                end_s: 4.8,
                label: "chase \u{2192} suspense".into(),
            },
            PictureSpan {
                start_s: 17.0,
                end_s: 20.6,
                label: "suspense \u{2192} calm".into(),
            },
        ],
        bridges: vec![PictureSpan {
            start_s: 17.0,
            end_s: 20.2,
            label: "bridge suspense \u{2192} calm".into(),
        }],
        tension: vec![(0.0, 0.9), (4.5, 0.55), (20.2, 0.15), (43.7, 0.15)],
        loudness: Some(PictureLoudness {
            short_term: (1..437)
                .map(|i| {
                    let t = f64::from(i) * 0.1;
                    (t, -30.0 + 12.0 * (t / 5.0).sin() - t / 4.0)
                })
                .collect(),
            integrated_lufs: -27.4,
        }),
        hits: vec![
            PictureHit {
                at_s: 8.1,
                name: "ANIM FIX NEEDED".into(),
                error_frames: 2,
            },
            PictureHit {
                at_s: 9.1,
                name: "ANIM FIX NEEDED".into(),
                error_frames: -1,
            },
            PictureHit {
                at_s: 22.1,
                name: "green marker".into(),
                error_frames: 0,
            },
        ],
        bars: (0..28).map(|b| (f64::from(b) * 1.6, b + 1)).collect(),
    }
}

fn layout() -> Layout {
    Layout::new(W as f32, H as f32, &Fonts::new())
}

/// The x of time `t` on a picture of `duration` seconds.
fn x_of(l: &Layout, t: f64, duration: f64) -> u32 {
    (l.left + (t / duration) as f32 * (l.right - l.left)).round() as u32
}

fn rgb(pm: &Pixmap, x: u32, y: u32) -> [u8; 3] {
    let p = pm.pixel(x, y).unwrap();
    [p.red(), p.green(), p.blue()]
}

fn render(p: &TimelinePicture) -> Pixmap {
    Pixmap::decode_png(&render_png(p, W, H)).expect("decodes")
}

#[test]
fn png_roundtrip_and_cue_colours() {
    let p = TimelinePicture {
        transitions: Vec::new(),
        bridges: Vec::new(),
        ..sample()
    };
    let pm = render(&p);
    assert_eq!((pm.width(), pm.height()), (W, H));
    let l = layout();
    // Sample each cue block near its start, just below the top edge (above the label, off
    // the start edge and bar lines).
    let colours = cue_colours(&p);
    for ((s, _, name), c) in p.cues.iter().zip(colours) {
        let x = x_of(&l, *s, p.duration_s) + 5;
        let y = (l.cues.0 + 4.0) as u32;
        assert_eq!(rgb(&pm, x, y), c, "cue {name} at x={x}, y={y}");
    }
    assert_eq!(cue_colours(&p)[0], CUE_PALETTE[0]);
    // Background in the bottom-right corner.
    assert_eq!(rgb(&pm, W - 2, H - 2), BG);
}

#[test]
fn repeated_cue_names_share_a_colour() {
    let p = TimelinePicture {
        cues: vec![
            (0.0, 1.0, "a".into()),
            (1.0, 2.0, "b".into()),
            (2.0, 3.0, "a".into()),
        ],
        ..Default::default()
    };
    let c = cue_colours(&p);
    assert_eq!(c[0], c[2]);
    assert_ne!(c[0], c[1]);
}

#[test]
fn degenerate_inputs_render() {
    let png = render_png(&TimelinePicture::default(), 0, 0);
    let pm = Pixmap::decode_png(&png).unwrap();
    assert_eq!((pm.width(), pm.height()), (200, 150));
    let p = TimelinePicture {
        duration_s: f64::NAN,
        tension: vec![(f64::NAN, 0.5)],
        transitions: vec![PictureSpan {
            start_s: f64::INFINITY,
            end_s: -3.0,
            label: "x".into(),
        }],
        bridges: vec![PictureSpan {
            start_s: 9.0,
            end_s: 2.0,
            label: String::new(),
        }],
        loudness: Some(PictureLoudness {
            short_term: vec![(0.5, f64::NEG_INFINITY), (f64::NAN, 3.0), (1.0, f64::NAN)],
            integrated_lufs: f64::NEG_INFINITY,
        }),
        hits: vec![PictureHit {
            at_s: -5.0,
            name: "before".into(),
            error_frames: 0,
        }],
        ..sample()
    };
    let _ = render_png(&p, 640, 240);
    let _ = render_png(&p, 200, 150);
}

/// The topmost pixel of the loudness curve (blue well over red) in column `x`.
fn loudness_top(pm: &Pixmap, l: &Layout, x: u32) -> Option<u32> {
    (l.loudness.0 as u32..l.loudness.1 as u32).find(|&y| {
        let [r, _, b] = rgb(pm, x, y);
        i32::from(b) > i32::from(r) + 60
    })
}

#[test]
fn the_loudness_lane_follows_the_curve() {
    let l = layout();
    // Quiet for 5 s, loud after, with a −∞ (silent) stretch at the end.
    let short_term = (1..=100)
        .map(|i| {
            let t = f64::from(i) * 0.1;
            let v = match t {
                t if t < 5.0 => -40.0,
                t if t < 8.0 => -10.0,
                _ => f64::NEG_INFINITY,
            };
            (t, v)
        })
        .collect();
    let p = TimelinePicture {
        duration_s: 10.0,
        loudness: Some(PictureLoudness {
            short_term,
            integrated_lufs: -14.2,
        }),
        ..Default::default()
    };
    let pm = render(&p);
    let quiet = loudness_top(&pm, &l, x_of(&l, 2.5, 10.0)).expect("curve at 2.5 s");
    let loud = loudness_top(&pm, &l, x_of(&l, 6.5, 10.0)).expect("curve at 6.5 s");
    let silent = loudness_top(&pm, &l, x_of(&l, 9.5, 10.0)).expect("curve at 9.5 s");
    assert!(loud < quiet, "louder is higher: {loud} vs {quiet}");
    for (got, lufs) in [(quiet, -40.0), (loud, -10.0), (silent, -50.0)] {
        let want = l.loudness_y(lufs);
        assert!(
            (got as f32 - want).abs() <= 2.5,
            "{lufs} LUFS at y {got}, expected {want}"
        );
    }
    // The grid lines sit where −23 and −14 LUFS are: lighter than the panel there, in a
    // column far from the curve's edges.
    let x = x_of(&l, 1.0, 10.0);
    for v in LOUDNESS_GRID {
        let y = l.loudness_y(v).round() as u32;
        assert!(rgb(&pm, x, y)[0] > rgb(&pm, x, y + 3)[0], "grid at {v}");
    }
}

#[test]
fn an_unmeasured_loudness_lane_says_so_and_draws_no_curve() {
    let l = layout();
    let p = TimelinePicture {
        duration_s: 10.0,
        loudness: None,
        ..Default::default()
    };
    let pm = render(&p);
    let lane = |y: u32| (l.left as u32..l.right as u32).map(move |x| (x, y));
    let mut texty = 0;
    for y in l.loudness.0 as u32..l.loudness.1 as u32 {
        for (x, y) in lane(y) {
            let [r, g, b] = rgb(&pm, x, y);
            assert!(i32::from(b) <= i32::from(r) + 60, "curve pixel at {x},{y}");
            if r > 90 && g > 90 {
                texty += 1;
            }
        }
    }
    // "not measured", centred: text-coloured pixels around the lane's middle.
    assert!(texty > 50, "{texty} text pixels in the lane");
    let mid = ((l.loudness.0 + l.loudness.1) / 2.0) as u32;
    let centre = (l.left + l.right) as u32 / 2;
    let near = (mid - 10..mid + 10)
        .flat_map(|y| (centre - 60..centre + 60).map(move |x| (x, y)))
        .filter(|&(x, y)| rgb(&pm, x, y)[0] > 90)
        .count();
    assert!(near > 30, "{near} text pixels at the centre");
}

/// Pixels in the cue lane between `t0` and `t1` seconds that satisfy `f`.
fn count_in_cues(
    pm: &Pixmap,
    l: &Layout,
    (t0, t1): (f64, f64),
    dur: f64,
    f: impl Fn([u8; 3]) -> bool,
) -> usize {
    let (x0, x1) = (x_of(l, t0, dur), x_of(l, t1, dur));
    (l.cues.0 as u32 + 3..l.cues.1 as u32 - 3)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| f(rgb(pm, x, y)))
        .count()
}

#[test]
fn bridges_and_transitions_are_drawn_where_given_and_nowhere_else() {
    let l = layout();
    let dur = 10.0;
    let p = TimelinePicture {
        duration_s: dur,
        cues: vec![(0.0, 10.0, String::new())],
        transitions: vec![PictureSpan {
            start_s: 1.0,
            end_s: 2.0,
            label: String::new(),
        }],
        bridges: vec![PictureSpan {
            start_s: 5.0,
            end_s: 6.0,
            label: String::new(),
        }],
        ..Default::default()
    };
    let pm = render(&p);
    let block = CUE_PALETTE[0];
    let dark = |c: [u8; 3]| c.iter().all(|&v| v < 45);
    let bridge_hatch = |c: [u8; 3]| c[2] > 150 && c[0] > 100 && c[0] > block[0] + 30;
    let light = |c: [u8; 3]| c.iter().all(|&v| v > 150);
    let cells = |t0: f64, t1: f64| {
        (x_of(&l, t1, dur) - x_of(&l, t0, dur)) as usize * (l.cues.1 - l.cues.0 - 6.0) as usize
    };
    // The bridge: mostly dark, with hatching.
    let inner = (5.05, 5.95);
    assert!(count_in_cues(&pm, &l, inner, dur, dark) > cells(inner.0, inner.1) / 3);
    assert!(count_in_cues(&pm, &l, inner, dur, bridge_hatch) > 20);
    // The transition: light hatching over the block.
    let inner = (1.05, 1.95);
    assert!(count_in_cues(&pm, &l, inner, dur, light) > 20);
    // Elsewhere the block is untouched.
    for outside in [(0.2, 0.9), (2.1, 4.9), (6.1, 9.8)] {
        let other = count_in_cues(&pm, &l, outside, dur, |c| c != block);
        assert_eq!(other, 0, "{outside:?}");
    }
    // Without them, the block is whole.
    let bare = render(&TimelinePicture {
        transitions: Vec::new(),
        bridges: Vec::new(),
        ..p
    });
    assert_eq!(count_in_cues(&bare, &l, (0.2, 9.8), dur, |c| c != block), 0);
}

#[test]
fn text_is_anti_aliased_in_a_proportional_font() {
    let fonts = Fonts::new();
    assert!(fonts.width("iiii", 13.0, false) < fonts.width("WWWW", 13.0, false) / 2.0);
    let mut cv = Canvas {
        pm: Pixmap::new(200, 40).unwrap(),
        fonts,
    };
    let w = cv.text(4.0, 24.0, "Hits \u{b1}1 fr", 15.0, TEXT, 255, false);
    assert!(w > 40.0 && w < 120.0, "width {w}");
    let alphas: Vec<u8> = cv
        .pm
        .pixels()
        .iter()
        .map(|p| p.alpha())
        .filter(|&a| a > 0)
        .collect();
    let partial = alphas.iter().filter(|&&a| a < 250).count();
    let full = alphas.len() - partial;
    assert!(full > 20, "{full} opaque pixels");
    assert!(
        partial > alphas.len() / 5,
        "{partial} of {} partial",
        alphas.len()
    );
    // Nothing drawn right of the text.
    let right = (w + 8.0) as u32;
    assert!((0..40).all(|y| (right..200).all(|x| cv.pm.pixel(x, y).unwrap().alpha() == 0)));
}

#[test]
fn residuals_are_green_within_a_frame_and_red_beyond() {
    assert_eq!(residual(0), "\u{b1}0 fr");
    assert_eq!(residual(-1), "\u{2212}1 fr");
    assert_eq!(residual(4), "+4 fr");
    let l = layout();
    let p = TimelinePicture {
        duration_s: 10.0,
        hits: [(2.0, 1), (4.0, -1), (6.0, 4), (8.0, -2)]
            .into_iter()
            .map(|(at_s, error_frames)| PictureHit {
                at_s,
                name: "h".into(),
                error_frames,
            })
            .collect(),
        ..Default::default()
    };
    let pm = render(&p);
    let y = ((l.tension.0 + l.tension.1) / 2.0) as u32;
    for h in &p.hits {
        let [r, g, _] = rgb(&pm, x_of(&l, h.at_s, 10.0), y).map(i32::from);
        if h.error_frames.abs() <= 1 {
            assert!(
                g > r + 60,
                "hit at {} ({} fr): {r},{g}",
                h.at_s,
                h.error_frames
            );
        } else {
            assert!(
                r > g + 60,
                "hit at {} ({} fr): {r},{g}",
                h.at_s,
                h.error_frames
            );
        }
    }
    // The labels' residuals carry the same colours (away from the hits' leader lines).
    let lines: Vec<u32> = p.hits.iter().map(|h| x_of(&l, h.at_s, 10.0)).collect();
    let (in_sync, off) = (0..H)
        .filter(|&y| y as f32 > l.labels_y)
        .flat_map(|y| (0..W).map(move |x| (x, y)))
        .filter(|(x, _)| lines.iter().all(|&lx| x.abs_diff(lx) > 2))
        .map(|(x, y)| rgb(&pm, x, y))
        .fold((0, 0), |(a, b), [r, g, _]| {
            let (r, g) = (i32::from(r), i32::from(g));
            (a + usize::from(g > r + 60), b + usize::from(r > g + 60))
        });
    assert!(
        in_sync > 30 && off > 30,
        "{in_sync} green, {off} red label pixels"
    );
}

#[test]
fn bar_lines_are_faint_and_numbered_as_room_allows() {
    assert_eq!(bar_number_step(100.0, 20.0), 1);
    assert_eq!(bar_number_step(10.0, 20.0), 4);
    assert_eq!(bar_number_step(3.0, 20.0), 16);
    let l = layout();
    let dur = 10.0;
    let p = TimelinePicture {
        duration_s: dur,
        cues: vec![(0.0, 10.0, String::new())],
        bars: (0..10).map(|b| (f64::from(b) + 0.5, b + 1)).collect(),
        ..Default::default()
    };
    let pm = render(&p);
    let y_cue = (l.cues.0 + 6.0) as u32;
    let y_tension = ((l.tension.0 + l.tension.1) / 2.0) as u32;
    for b in &p.bars {
        let x = x_of(&l, b.0, dur);
        let (on, off) = (rgb(&pm, x, y_cue), rgb(&pm, x + 3, y_cue));
        let d = i32::from(off[2]) - i32::from(on[2]);
        assert!(
            d > 10 && d < 100,
            "bar {} over the cue: {on:?} vs {off:?}",
            b.1
        );
        let (on, off) = (rgb(&pm, x, y_tension), rgb(&pm, x + 3, y_tension));
        let d = i32::from(on[0]) - i32::from(off[0]);
        assert!(
            d > 5 && d < 60,
            "bar {} over tension: {on:?} vs {off:?}",
            b.1
        );
        // Every bar has room for its number here: text right of the line in the bar lane.
        let numbered = (l.bars.0 as u32..l.bars.1 as u32)
            .flat_map(|y| (x + 2..x + 14).map(move |x| (x, y)))
            .filter(|&(x, y)| rgb(&pm, x, y)[0] > 90)
            .count();
        assert!(numbered > 5, "bar {} number: {numbered} pixels", b.1);
    }
}

#[test]
fn each_cue_counts_its_bars_and_its_bar_1_is_always_written() {
    let width = |_: u32| 10.0;
    // Bars 20 px apart: room for every number; the next cue's bar 1 lands 8 px after bar 10
    // and wins over it.
    let mut bars: Vec<(f32, u32)> = (0..10).map(|i| (i as f32 * 20.0, i + 1)).collect();
    bars.extend([(188.0, 1), (208.0, 2), (228.0, 3)]);
    let got = bar_labels(&bars, width);
    let want: Vec<bool> = (0..13).map(|i| i != 9).collect();
    assert_eq!(got, want);
    // Bars 5 px apart: every 4th from bar 1; a pickup (bar 0) gets no number.
    let mut bars = vec![(0.0, 0)];
    bars.extend((0..12).map(|i| (10.0 + i as f32 * 5.0, i + 1)));
    let written: Vec<u32> = bar_labels(&bars, width)
        .into_iter()
        .zip(&bars)
        .filter_map(|(w, b)| w.then_some(b.1))
        .collect();
    assert_eq!(written, [1, 5, 9]);
}

/// Writes the sample to `/tmp/timeline_sample.png` for a visual check.
#[test]
fn write_sample_png() {
    let png = render_png(&sample(), W, H);
    std::fs::write(std::env::temp_dir().join("timeline_sample.png"), png).unwrap();
    let small = render_png(&sample(), 800, 300);
    std::fs::write(
        std::env::temp_dir().join("timeline_sample_small.png"),
        small,
    )
    .unwrap();
}
