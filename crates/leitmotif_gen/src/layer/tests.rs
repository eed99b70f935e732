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
        style: None,
    }
}

fn part(instrument: Instrument, part: Part, octave: i32) -> Generated {
    Generated {
        octave,
        ..Generated::new(instrument, part)
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
        // The engine stops a finished pass without a fade: the tail ends in silence.
        assert_eq!(
            (buf.left[want - 1], buf.right[want - 1]),
            (0.0, 0.0),
            "{g:?}"
        );
    }
}

/// What the engine plays when it loops a stem `passes` times: pass `k` starts (with its pickup)
/// `k` bodies after pass 0, and every pass plays on to the end of its tail, so pickups and tails
/// overlap across the seams (see `docs/score-format.md`, "Stem layout"). With
/// `pickup_beats == tail_beats == 0` this is exactly the body concatenated `passes` times.
/// Returns the two channels and the frames of the seams (bar 1 of passes 1..passes).
fn engine_loop(
    buf: &StereoBuffer,
    cx: &LayerContext,
    passes: usize,
) -> ([Vec<f32>; 2], Vec<usize>) {
    let pickup = cx.frame_of(0.0);
    let body = cx.frame_of(cx.body_beats()) - pickup;
    let len = (passes - 1) * body + buf.frames();
    let mut out = [vec![0.0f32; len], vec![0.0f32; len]];
    for k in 0..passes {
        for (o, ch) in out.iter_mut().zip([&buf.left, &buf.right]) {
            for (i, x) in ch.iter().enumerate() {
                o[k * body + i] += x;
            }
        }
    }
    (out, (1..passes).map(|k| pickup + k * body).collect())
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
}

/// Seam measurements of a looped layer, worst over seams and channels: (RMS of 50 ms around the
/// seam relative to 50 ms centred 200 ms before it in dB, the largest step within 2 ms of the
/// seam relative to the largest step elsewhere in the looped body).
fn seam_report(buf: &StereoBuffer, cx: &LayerContext) -> (f32, f32) {
    let (chans, seams) = engine_loop(buf, cx, 3);
    let ms = |m: f64| (m / 1000.0 * cx.sample_rate as f64).round() as usize;
    let (half, before, near) = (ms(25.0), ms(200.0), ms(2.0));
    let body = cx.frame_of(cx.body_beats()) - cx.frame_of(0.0);
    let mut worst_db = 0.0f32;
    let mut worst_step = 0.0f32;
    for ch in &chans {
        let step = |i: usize| (ch[i + 1] - ch[i]).abs();
        for &s in &seams {
            let at = rms(&ch[s - half..s + half]);
            let pre = rms(&ch[s - before - half..s - before + half]).max(1e-9);
            let db = 20.0 * (at.max(1e-9) / pre).log10();
            if db.abs() > worst_db.abs() {
                worst_db = db;
            }
        }
        // The middle pass's body, seams excluded.
        let (a, b) = (seams[0], seams[1]);
        let elsewhere = (a + near..b - near)
            .map(step)
            .fold(0.0f32, f32::max)
            .max(1e-9);
        for &s in &seams {
            let at = (s - near..s + near).map(step).fold(0.0f32, f32::max);
            worst_step = worst_step.max(at / elsewhere);
        }
        assert!(b - a == body);
    }
    (worst_db, worst_step)
}

fn sustained_parts() -> Vec<Generated> {
    vec![
        part(Instrument::Pad, Part::Chords, 4),
        part(Instrument::Strings, Part::Chords, 3),
        part(Instrument::Keys, Part::Chords, 4),
        part(Instrument::Bass, Part::Bass(1), 2),
        part(Instrument::Bass, Part::Bass(4), 2),
    ]
}

#[test]
fn looped_sustained_parts_neither_dip_nor_click_at_the_seam() {
    let c = chords();
    let base = ctx(&c, None);
    let contexts = [
        // No pickup, no tail: the engine loops the bare body (concatenation); the ring-out is
        // folded onto the body start.
        LayerContext {
            pickup_beats: 0,
            tail_beats: 0,
            ..base
        },
        // Pickup and a long tail: the ring-out stays in the tail, which overlaps the next pass.
        base,
        // A tail (0.54 s) shorter than the pad's release (0.6 s): split between tail and fold.
        LayerContext {
            tail_beats: 1,
            ..base
        },
    ];
    for cx in &contexts {
        for g in sustained_parts() {
            let buf = render_layer(&g, cx).unwrap();
            let (db, step) = seam_report(&buf, cx);
            eprintln!(
                "pickup {} tail {} bpm {}: {:?} {:?}: seam RMS {db:+.2} dB, seam step {step:.2}× the largest elsewhere",
                cx.pickup_beats, cx.tail_beats, cx.bpm, g.instrument, g.part
            );
            if matches!(g.part, Part::Chords)
                && matches!(g.instrument, Instrument::Pad | Instrument::Strings)
            {
                assert!(db.abs() <= 3.0, "{g:?} in {cx:?}: seam RMS {db:+.2} dB");
            }
            assert!(step <= 2.0, "{g:?} in {cx:?}: seam step {step:.2}×");
        }
    }
}

/// Where the ring past the body end is stored (tail, fold or both) does not change what a loop
/// sounds like: the looped middle pass is the same, up to the peak normalisation's gain.
#[test]
fn the_loop_is_the_same_whether_the_ring_is_in_the_tail_or_folded() {
    let c = chords();
    let base = LayerContext {
        bpm: 170.0,
        ..ctx(&c, None)
    };
    for g in sustained_parts() {
        let middle = |tail_beats: u32| {
            let cx = LayerContext { tail_beats, ..base };
            let buf = render_layer(&g, &cx).unwrap();
            let (_, step) = seam_report(&buf, &cx);
            assert!(
                step <= 2.0,
                "{g:?}, tail {tail_beats}: seam step {step:.2}×"
            );
            let ([left, _], seams) = engine_loop(&buf, &cx, 3);
            // From 0.1 s before the first seam to 0.1 s after the second.
            let pad = (0.1 * SR as f64) as usize;
            left[seams[0] - pad..seams[1] + pad].to_vec()
        };
        let folded = middle(0);
        for tail in [1, 4] {
            let other = middle(tail);
            let dot: f64 = folded.iter().zip(&other).map(|(a, b)| (a * b) as f64).sum();
            let gain = dot / other.iter().map(|b| (b * b) as f64).sum::<f64>();
            let err: f64 = folded
                .iter()
                .zip(&other)
                .map(|(a, b)| (*a as f64 - gain * *b as f64).powi(2))
                .sum();
            let energy: f64 = folded.iter().map(|a| (a * a) as f64).sum();
            let rel = (err / energy).sqrt();
            assert!(rel < 1e-3, "{g:?}, tail {tail}: loops differ by {rel:e}");
        }
    }
}

/// The documented choice for the first pass: with a tail long enough for the release the ring
/// lives in the tail (heard from pass 2 on) and bar 1 starts clean; without a tail it is folded,
/// so bar 1 of the first pass carries the faint release of the last chord.
#[test]
fn the_first_pass_starts_clean_when_the_tail_holds_the_ring() {
    let c = chords();
    let g = part(Instrument::Pad, Part::Chords, 4);
    let start_rms = |cx: &LayerContext| {
        let buf = render_layer(&g, cx).unwrap();
        let s = cx.frame_of(0.0);
        rms(&buf.left[s..s + (0.05 * SR as f64) as usize])
    };
    let with_tail = start_rms(&ctx(&c, None));
    let without = start_rms(&LayerContext {
        tail_beats: 0,
        ..ctx(&c, None)
    });
    assert!(with_tail < 0.005, "{with_tail}");
    assert!(without > 0.05, "{without}");
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
        let (_, step) = seam_report(&buf, &cx);
        assert!(
            step <= 2.0,
            "{g:?}: seam step is {step}× the largest step elsewhere"
        );
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

/// Debian's public-domain General MIDI bank (package `csound-soundfont`), or `LEITMOTIF_SF2`.
fn gm_soundfont() -> Option<std::sync::Arc<rustysynth::SoundFont>> {
    let candidates = [
        std::env::var("LEITMOTIF_SF2").unwrap_or_default(),
        // Where `scripts/fetch-soundfont` puts it.
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scores/real/stems/sf2/sf_GMbank.sf2"
        )
        .into(),
        "/usr/share/sounds/sf2/sf_GMbank.sf2".into(),
        "/tmp/sf/usr/share/sounds/sf2/sf_GMbank.sf2".into(),
    ];
    let Some(path) = candidates
        .iter()
        .map(std::path::Path::new)
        .find(|p| p.is_file())
    else {
        eprintln!(
            "\n*** SKIPPED: no sf_GMbank.sf2 (run scripts/fetch-soundfont, or set LEITMOTIF_SF2) ***\n"
        );
        return None;
    };
    Some(crate::load_soundfont(path).expect("sf_GMbank.sf2 loads"))
}

#[test]
fn soundfont_presets_render_through_rustysynth() {
    let Some(font) = gm_soundfont() else { return };
    let c = chords();
    let cx = ctx(&c, None);
    let frames = cx.total_frames();
    for g in [
        part(Instrument::Soundfont(0, 48), Part::Chords, 4),
        part(Instrument::Soundfont(0, 33), Part::Bass(4), 2),
        part(
            Instrument::Soundfont(128, 0),
            Part::Drums(DrumStyle::Backbeat),
            4,
        ),
    ] {
        let buf = render_layer_with(&g, &cx, Some(&font)).unwrap();
        assert_eq!(buf.frames(), frames, "{g:?}");
        assert!(buf.is_finite(), "{g:?}");
        let peak = buf.peak();
        assert!(peak <= 1.0 && peak > 0.3, "{g:?}: peak {peak}");
        let body = &buf.left[cx.frame_of(0.0)..cx.frame_of(16.0)];
        assert!(rms(body) > 0.01, "{g:?}: rms {}", rms(body));
        assert_eq!(
            buf,
            render_layer_with(&g, &cx, Some(&font)).unwrap(),
            "{g:?}"
        );
        // Not the built-in stand-in.
        assert_ne!(buf, render_layer(&g, &cx).unwrap(), "{g:?}");
        let (db, step) = seam_report(&buf, &cx);
        eprintln!("{g:?}: seam RMS {db:+.2} dB, seam step {step:.2}×");
        assert!(step <= 2.0, "{g:?}: seam step {step:.2}×");
        assert_eq!((buf.left[frames - 1], buf.right[frames - 1]), (0.0, 0.0));
    }
    // Drum hits land on the beat grid (events are applied every 8 frames).
    let kit = part(
        Instrument::Soundfont(128, 0),
        Part::Drums(DrumStyle::FourOnFloor),
        4,
    );
    let buf = render_layer_with(&kit, &cx, Some(&font)).unwrap();
    let win = (0.012 * SR as f64) as usize;
    let energy = |from: usize| -> f32 { buf.left[from..from + win].iter().map(|x| x * x).sum() };
    let (mut on, mut off) = (0.0, 0.0);
    for beat in 0..15 {
        on += energy(cx.frame_of(beat as f64));
        off += energy(cx.frame_of(beat as f64 + 1.0 / 3.0));
    }
    assert!(on > 2.0 * off, "on-beat {on} vs off-grid {off}");
    // Strings: a sustained part with a real release, looped without a tail (folded).
    let bare = LayerContext {
        pickup_beats: 0,
        tail_beats: 0,
        ..cx
    };
    let strings = part(Instrument::Soundfont(0, 48), Part::Chords, 4);
    let buf = render_layer_with(&strings, &bare, Some(&font)).unwrap();
    let (db, step) = seam_report(&buf, &bare);
    eprintln!("SoundFont strings, no tail: seam RMS {db:+.2} dB, seam step {step:.2}×");
    assert!(db.abs() <= 3.0 && step <= 2.0, "{db} dB, {step}×");
    // A preset the bank lacks is named.
    let err = render_layer_with(
        &part(Instrument::Soundfont(77, 3), Part::Chords, 4),
        &cx,
        Some(&font),
    )
    .unwrap_err();
    assert!(err.to_string().contains("77:3"), "{err}");
}
