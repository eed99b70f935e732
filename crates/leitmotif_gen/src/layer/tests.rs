//! Tests of generated layers.

use leitmotif_core::score::{DrumStyle, Instrument};

use super::*;

const SR: u32 = 22_050;

fn chords() -> Vec<String> {
    ["Dm", "Bb", "Gm7", "A7"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn ctx<'a>(chords: &'a [String], theme: Option<&'a [(i32, f32)]>) -> LayerContext<'a> {
    LayerContext {
        sample_rate: SR,
        bpm: 112.0,
        beats_per_bar: 4,
        bars: 4,
        pickup_beats: 1,
        tail_beats: 4,
        chords,
        key: Some("D minor"),
        theme,
        seed: 11,
        tension: 0.6,
    }
}

fn part(instrument: Instrument, part: Part, octave: i32) -> Generated {
    Generated {
        instrument,
        part,
        octave,
        velocity: 0.8,
        seed: 0,
    }
}

fn all_parts() -> Vec<Generated> {
    vec![
        part(Instrument::Pad, Part::Chords, 4),
        part(Instrument::Keys, Part::Chords, 4),
        part(Instrument::Strings, Part::Chords, 4),
        part(Instrument::Bass, Part::Bass(4), 2),
        part(Instrument::Bass, Part::Bass(1), 2),
        part(Instrument::Pluck, Part::Arpeggio(2), 4),
        part(Instrument::Bell, Part::Arpeggio(4), 5),
        part(Instrument::Lead, Part::Melody, 5),
        part(Instrument::Pluck, Part::Ostinato(vec![0, 4, 7, 4, 2, 4]), 4),
        part(Instrument::Drums, Part::Drums(DrumStyle::Backbeat), 4),
        part(Instrument::Drums, Part::Drums(DrumStyle::Driving), 4),
        part(Instrument::Drums, Part::Drums(DrumStyle::Sparse), 4),
        part(Instrument::Drums, Part::Drums(DrumStyle::HalfTime), 4),
        part(Instrument::Drums, Part::Drums(DrumStyle::FourOnFloor), 4),
        part(Instrument::Pad, Part::Riser, 4),
        part(Instrument::Soundfont(0, 48), Part::Chords, 4),
    ]
}

#[test]
fn every_part_has_exact_length_sane_level_and_sound() {
    let c = chords();
    let cx = ctx(&c, None);
    let want = ((1.0 + 16.0 + 4.0) * 60.0 / 112.0 * SR as f64).round() as usize;
    assert_eq!(cx.total_frames(), want);
    assert_eq!(
        cx.frame_of(0.0),
        (60.0 / 112.0 * SR as f64).round() as usize
    );
    for g in all_parts() {
        let buf = render_layer(&g, &cx).unwrap();
        assert_eq!(buf.frames(), want, "{g:?}");
        assert!(buf.is_finite(), "{g:?}");
        let peak = buf.peak();
        assert!(peak <= 1.0 && peak > 0.3, "{g:?}: peak {peak}");
        let body = &buf.left[cx.frame_of(0.0)..cx.frame_of(16.0)];
        let rms = (body.iter().map(|x| x * x).sum::<f32>() / body.len() as f32).sqrt();
        assert!(rms > 0.01, "{g:?}: rms {rms}");
    }
}

/// The largest sample step at the loop seam compared with the body's own steps.
fn seam_ratio(buf: &StereoBuffer, cx: &LayerContext) -> f32 {
    let (s, e) = (cx.frame_of(0.0), cx.frame_of(cx.body_beats()));
    let mut worst = 0.0f32;
    for ch in [&buf.left, &buf.right] {
        let body = &ch[s..e];
        let mut diffs: Vec<f32> = body.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        diffs.sort_by(f32::total_cmp);
        let typical = diffs[diffs.len() * 99 / 100].max(1e-6);
        let seam = (body[0] - body[body.len() - 1]).abs();
        worst = worst.max(seam / typical);
    }
    worst
}

#[test]
fn looping_parts_have_no_click_at_the_seam() {
    let c = chords();
    let cx = ctx(&c, None);
    for g in [
        part(Instrument::Pad, Part::Chords, 4),
        part(Instrument::Strings, Part::Chords, 3),
        part(Instrument::Bass, Part::Bass(4), 2),
        part(Instrument::Bass, Part::Bass(1), 2),
        part(Instrument::Pluck, Part::Arpeggio(4), 4),
        part(Instrument::Drums, Part::Drums(DrumStyle::Driving), 4),
    ] {
        let buf = render_layer(&g, &cx).unwrap();
        let ratio = seam_ratio(&buf, &cx);
        assert!(ratio < 1.5, "{g:?}: seam step is {ratio}× a typical step");
        // And the body is not silent around the seam for long: the pad plays into the last bar.
        let last_bar = &buf.left[cx.frame_of(12.0)..cx.frame_of(14.0)];
        assert!(last_bar.iter().any(|x| x.abs() > 0.01), "{g:?}");
    }
}

#[test]
fn drum_onsets_sit_on_the_beat_grid() {
    let c = chords();
    let cx = ctx(&c, None);
    for style in [
        DrumStyle::FourOnFloor,
        DrumStyle::Backbeat,
        DrumStyle::Driving,
    ] {
        let buf = render_layer(&part(Instrument::Drums, Part::Drums(style), 4), &cx).unwrap();
        let win = (0.012 * SR as f64) as usize;
        let energy = |from: usize| -> f32 {
            buf.left[from..from + win]
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
        };
        let (mut on, mut off) = (0.0, 0.0);
        for beat in 0..15 {
            on += energy(cx.frame_of(beat as f64));
            // A third of a beat later is between sixteenth-note grid points.
            off += energy(cx.frame_of(beat as f64 + 1.0 / 3.0));
        }
        assert!(on > 2.0 * off, "{style:?}: on-beat {on} vs off-grid {off}");
    }
}

#[test]
fn deterministic_and_seed_dependent() {
    let c = chords();
    let cx = ctx(&c, None);
    let g = part(Instrument::Lead, Part::Melody, 5);
    let a = render_layer(&g, &cx).unwrap();
    assert_eq!(a, render_layer(&g, &cx).unwrap());
    let other = LayerContext { seed: 12, ..cx };
    assert_ne!(a, render_layer(&g, &other).unwrap());
}

#[test]
fn melody_plays_the_theme_in_the_register() {
    let c = chords();
    let theme = [(62, 1.0), (65, 1.0), (-1, 1.0), (69, 1.0), (67, 4.0)];
    let cx = ctx(&c, Some(&theme));
    let frame = Frame {
        ctx: &cx,
        key: Key::parse("D minor").unwrap(),
        chords: c.iter().map(|s| Chord::parse(s).unwrap()).collect(),
        seed: 1,
    };
    let notes = parts::melody(&frame, &part(Instrument::Lead, Part::Melody, 5));
    let pitches: Vec<u8> = notes.iter().take(4).map(|n| n.pitch).collect();
    assert_eq!(pitches, vec![74, 77, 81, 79]);
    assert_eq!(notes[2].start, 3.0);
    // The theme (8 beats) repeats to fill 16 beats.
    assert_eq!(notes.iter().filter(|n| n.start < 16.0).count(), 8);
}

#[test]
fn bass_follows_the_chord_roots() {
    let c = chords();
    let cx = ctx(&c, None);
    let frame = Frame {
        ctx: &cx,
        key: Key::parse("D minor").unwrap(),
        chords: c.iter().map(|s| Chord::parse(s).unwrap()).collect(),
        seed: 1,
    };
    let notes = parts::bass(&frame, &part(Instrument::Bass, Part::Bass(2), 2), 2);
    for (bar, root) in [(0, 2), (1, 10), (2, 7), (3, 9)] {
        let n = notes.iter().find(|n| n.start == bar as f64 * 4.0).unwrap();
        assert_eq!(n.pitch % 12, root, "bar {bar}");
        assert!((34..=52).contains(&n.pitch), "{}", n.pitch);
    }
}

#[test]
fn errors_name_the_problem() {
    let bad = vec!["Dm".to_string(), "Qm7".to_string()];
    let err = render_layer(&part(Instrument::Pad, Part::Chords, 4), &ctx(&bad, None)).unwrap_err();
    assert!(err.to_string().contains("Qm7"), "{err}");
    let c = chords();
    let err = render_layer(
        &part(Instrument::Pluck, Part::Ostinato(vec![]), 4),
        &ctx(&c, None),
    );
    assert!(matches!(err, Err(GenError::UnsupportedPart(_))));
    let mut cx = ctx(&c, None);
    cx.bpm = 0.0;
    assert!(render_layer(&part(Instrument::Pad, Part::Chords, 4), &cx).is_err());
    // No chords at all: a progression is generated in the key.
    let none: Vec<String> = vec![];
    let buf = render_layer(&part(Instrument::Pad, Part::Chords, 4), &ctx(&none, None)).unwrap();
    assert!(buf.peak() > 0.3);
}
