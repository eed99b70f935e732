use super::*;

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
        tension: vec![(0.0, 0.9), (4.5, 0.55), (20.2, 0.15), (43.7, 0.15)],
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
        bars: (0..28).map(|b| f64::from(b) * 1.6).collect(),
    }
}

#[test]
fn png_roundtrip_and_cue_colours() {
    let p = sample();
    let (w, h) = (1600u32, 520u32);
    let png = render_png(&p, w, h);
    let pm = Pixmap::decode_png(&png).expect("decodes");
    assert_eq!((pm.width(), pm.height()), (w, h));
    let l = Layout::new(w as f32, h as f32);
    let plot_w = l.right - l.left;
    // Sample each cue block near its start, just below the top edge (above
    // the label, off the start edge and bar lines).
    let colours = cue_colours(&p);
    for ((s, _, name), c) in p.cues.iter().zip(colours) {
        let x = (l.left + (*s / p.duration_s) as f32 * plot_w + 5.0) as u32;
        let y = (l.cues.0 + 4.0) as u32;
        let px = pm.pixel(x, y).unwrap();
        assert_eq!(
            [px.red(), px.green(), px.blue()],
            c,
            "cue {name} at x={x}, y={y}"
        );
    }
    assert_eq!(cue_colours(&p)[0], CUE_PALETTE[0]);
    // Background in the top-right corner.
    let px = pm.pixel(w - 2, h - 2).unwrap();
    assert_eq!([px.red(), px.green(), px.blue()], BG);
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
        hits: vec![PictureHit {
            at_s: -5.0,
            name: "before".into(),
            error_frames: 0,
        }],
        ..sample()
    };
    let _ = render_png(&p, 640, 240);
}

/// Writes the sample to `/tmp/timeline_sample.png` for a visual check.
#[test]
fn write_sample_png() {
    let png = render_png(&sample(), 1600, 520);
    std::fs::write(std::env::temp_dir().join("timeline_sample.png"), png).unwrap();
    let small = render_png(&sample(), 800, 300);
    std::fs::write(
        std::env::temp_dir().join("timeline_sample_small.png"),
        small,
    )
    .unwrap();
}
