//! Prints a few composed bridges and writes a demo cue + bridge as WAV and MIDI to a folder.
//!
//! `cargo run -p leitmotif_gen --example demo -- /tmp/leitmotif-demo`

use std::io::Write;

use leitmotif_core::score::{DrumStyle, Generated, Instrument, Part};
use leitmotif_gen::{
    BridgeRequest, LayerContext, StereoBuffer, compose_bridge, render_bridge, render_layer,
};

fn write_wav(path: &std::path::Path, buf: &StereoBuffer, sr: u32) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let data = (buf.frames() * 4) as u32;
    f.write_all(b"RIFF")?;
    f.write_all(&(36 + data).to_le_bytes())?;
    f.write_all(b"WAVEfmt ")?;
    f.write_all(&16u32.to_le_bytes())?;
    f.write_all(&1u16.to_le_bytes())?;
    f.write_all(&2u16.to_le_bytes())?;
    f.write_all(&sr.to_le_bytes())?;
    f.write_all(&(sr * 4).to_le_bytes())?;
    f.write_all(&4u16.to_le_bytes())?;
    f.write_all(&16u16.to_le_bytes())?;
    f.write_all(b"data")?;
    f.write_all(&data.to_le_bytes())?;
    for s in buf.interleaved() {
        f.write_all(&((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or("leitmotif-demo".into()));
    std::fs::create_dir_all(&dir)?;
    for (fk, fc, tk, tc) in [
        ("D minor", "Dm", "F major", "F"),
        ("C major", "C", "E major", "E"),
        ("A minor", "E7", "Eb major", "Eb"),
    ] {
        let req = BridgeRequest {
            from_key: Some(fk.into()),
            from_chord: fc.into(),
            from_bpm: 96.0,
            to_key: Some(tk.into()),
            to_chord: tc.into(),
            to_bpm: 120.0,
            beats_per_bar: 4,
            bars: 4,
            tension_from: 0.3,
            tension_to: 0.9,
            to_theme: Some(vec![(65, 1.0), (69, 1.0), (72, 2.0)]),
            instruments: vec![Instrument::Strings, Instrument::Keys],
            style: None,
        };
        for seed in 0..3 {
            let s = compose_bridge(&req, seed)?;
            let path: Vec<String> = s
                .chords
                .iter()
                .map(|(b, c)| {
                    let k = if *b == 0.0 { &s.from_key } else { &s.to_key };
                    format!("{b}:{c}({})", k.roman(c))
                })
                .collect();
            println!("{fk} {fc} → {tk} {tc} seed {seed}: {}", path.join("  "));
        }
    }
    let chords: Vec<String> = ["Dm", "Bb", "Gm7", "A7"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ctx = LayerContext {
        sample_rate: 44_100,
        bpm: 96.0,
        beats_per_bar: 4,
        bars: 4,
        pickup_beats: 0,
        tail_beats: 4,
        chords: &chords,
        key: Some("D minor"),
        theme: None,
        seed: 1,
        tension: 0.5,
        style: None,
    };
    let layers = [
        ("pad", Instrument::Pad, Part::Chords, 4),
        ("bass", Instrument::Bass, Part::Bass(4), 2),
        ("arp", Instrument::Pluck, Part::Arpeggio(2), 4),
        ("melody", Instrument::Lead, Part::Melody, 5),
        (
            "drums",
            Instrument::Drums,
            Part::Drums(DrumStyle::Backbeat),
            4,
        ),
        ("keys", Instrument::Keys, Part::Chords, 4),
        (
            "bell",
            Instrument::Bell,
            Part::Ostinato(vec![0, 2, 4, 7]),
            5,
        ),
        ("strings", Instrument::Strings, Part::Chords, 4),
    ];
    let mut mix = StereoBuffer::new(ctx.total_frames());
    for (name, instrument, part, octave) in layers {
        let g = Generated {
            octave,
            ..Generated::new(instrument, part)
        };
        let buf = render_layer(&g, &ctx)?;
        write_wav(&dir.join(format!("layer_{name}.wav")), &buf, 44_100)?;
        if !matches!(name, "keys" | "bell" | "strings") {
            mix.mix(&buf, 0, 0.5);
        }
    }
    write_wav(&dir.join("cue_mix.wav"), &mix, 44_100)?;
    let req = BridgeRequest {
        from_key: Some("D minor".into()),
        from_chord: "A7".into(),
        from_bpm: 96.0,
        to_key: Some("F major".into()),
        to_chord: "F".into(),
        to_bpm: 120.0,
        beats_per_bar: 4,
        bars: 4,
        tension_from: 0.4,
        tension_to: 0.9,
        to_theme: Some(vec![(65, 1.0), (69, 1.0), (72, 2.0)]),
        instruments: vec![Instrument::Strings, Instrument::Lead],
        style: None,
    };
    let s = compose_bridge(&req, 7)?;
    for v in &s.voices {
        let notes: Vec<String> = v
            .notes
            .iter()
            .map(|n| {
                format!(
                    "{}@{}x{}{}",
                    n.pitch,
                    n.start_beat,
                    n.beats,
                    if n.passing { "p" } else { "" }
                )
            })
            .collect();
        println!("{:10} {:?}: {}", v.name, v.instrument, notes.join(" "));
    }
    println!(
        "chords: {:?}",
        s.chords
            .iter()
            .map(|(b, c)| format!("{b}:{c}"))
            .collect::<Vec<_>>()
    );
    let frames = ((s.seconds_at(s.total_beats()) + 1.0) * 44_100.0) as usize;
    write_wav(
        &dir.join("bridge.wav"),
        &render_bridge(&s, 44_100, frames),
        44_100,
    )?;
    std::fs::write(dir.join("bridge.mid"), s.to_smf())?;
    println!("wrote {}", dir.display());
    Ok(())
}
