//! `leitmotif style train` (learn a style from MIDI files) and `leitmotif generate` (write a
//! sketch in a style as MIDI).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use leitmotif_core::score::Instrument;
use leitmotif_engine::wav;
use leitmotif_gen::midi::{Conductor, MidiTrack, write_smf};
use leitmotif_gen::style::StyleModel;
use leitmotif_gen::theory::voice_chord;
use leitmotif_gen::{Chord, Key, Note};

use crate::{Out, user};

/// Arguments of `leitmotif style`.
#[derive(Args, Debug)]
pub struct StyleArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StyleCommand,
}

/// `leitmotif style` subcommands.
#[derive(Subcommand, Debug)]
pub enum StyleCommand {
    /// Learn a style from Standard MIDI Files and write it as NAME.style.ron (a score points to
    /// it with `style: (model: Some("NAME.style.ron"))`).
    Train(TrainArgs),
}

/// Arguments of `leitmotif style train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// MIDI files, or folders (every `*.mid` / `*.midi` inside, sorted).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Where to write the model (`NAME.style.ron`).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Overwrite an existing model file.
    #[arg(long)]
    pub force: bool,
    /// Refuse the whole run when a file cannot be read (by default it is skipped with a
    /// warning).
    #[arg(long)]
    pub strict: bool,
}

/// Arguments of `leitmotif generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// A model written by `leitmotif style train` (the built-in style when left out).
    #[arg(long)]
    pub style: Option<PathBuf>,
    /// Where to write the Standard MIDI File.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Length in bars.
    #[arg(long, default_value_t = 8)]
    pub bars: u32,
    /// Chord symbols, one per bar, repeated (e.g. "Am F C G"); a progression in the style is
    /// generated when left out.
    #[arg(long)]
    pub chords: Option<String>,
    /// Key, e.g. "A minor" (default: the first chord's, or C major).
    #[arg(long)]
    pub key: Option<String>,
    /// Seed: the same seed writes the same file.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Tempo written to the file.
    #[arg(long, default_value_t = 100.0)]
    pub bpm: f64,
    /// Beats (quarter notes) per bar.
    #[arg(long, default_value_t = 4)]
    pub meter: u8,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

fn refuse_overwrite(out: &Path, force: bool) -> Result<()> {
    if out.exists() && !force {
        return Err(user(format!(
            "{}: exists (hint: pass --force to overwrite it)",
            out.display()
        )));
    }
    Ok(())
}

/// The MIDI files `inputs` name: files as given, folders' `*.mid`/`*.midi` sorted.
fn midi_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| user(format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        x.eq_ignore_ascii_case("mid") || x.eq_ignore_ascii_case("midi")
                    })
                })
                .collect();
            if found.is_empty() {
                return Err(user(format!(
                    "{}: no .mid or .midi files in this folder",
                    p.display()
                )));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// `leitmotif style`.
pub fn style(a: StyleArgs) -> Result<()> {
    match a.command {
        StyleCommand::Train(t) => train(t),
    }
}

fn train(a: TrainArgs) -> Result<()> {
    let files = midi_files(&a.files)?;
    if files.iter().any(|f| f == &a.out) {
        return Err(user(format!(
            "{}: is one of the inputs (hint: write the model to NAME.style.ron)",
            a.out.display()
        )));
    }
    refuse_overwrite(&a.out, a.force)?;
    let mut model = StyleModel::new();
    let mut used = Vec::new();
    let mut skipped = 0;
    for f in &files {
        let learned = std::fs::read(f)
            .map_err(|e| e.to_string())
            .and_then(|bytes| model.train_midi(&bytes).map_err(|e| e.to_string()));
        match learned {
            Ok(()) => used.push(f.display().to_string()),
            Err(e) if a.strict => {
                return Err(user(format!(
                    "{}: {e} (hint: leave out --strict to skip it)",
                    f.display()
                )));
            }
            Err(e) => {
                skipped += 1;
                eprintln!("warning: {}: {e} (skipped)", f.display());
            }
        }
    }
    if used.is_empty() {
        return Err(user(format!(
            "none of the {} files could be read as MIDI (see the warnings above)",
            files.len()
        )));
    }
    let text = model.to_ron(&used);
    wav::write_atomic(&a.out, text.as_bytes())?;
    let st = &model.stats;
    writeln!(
        Out::new(),
        "{} — {} files ({skipped} skipped): {} melody notes, {} bass notes, {} bars of chords, \
         {} melodic contexts, {} KB",
        a.out.display(),
        st.files,
        st.notes,
        st.bass_notes,
        st.chord_bars,
        model.contexts(),
        text.len() / 1024
    )?;
    Ok(())
}

/// `leitmotif generate`.
pub fn generate(a: GenerateArgs) -> Result<()> {
    if !(1..=256).contains(&a.bars) {
        return Err(user(format!("--bars {}: use 1 to 256", a.bars)));
    }
    if !(1..=16).contains(&a.meter) {
        return Err(user(format!(
            "--meter {}: use 1 to 16 beats per bar",
            a.meter
        )));
    }
    if !(a.bpm.is_finite() && (20.0..=400.0).contains(&a.bpm)) {
        return Err(user(format!("--bpm {}: use 20 to 400", a.bpm)));
    }
    refuse_overwrite(&a.out, a.force)?;
    let model = match &a.style {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| user(format!("{}: {e}", p.display())))?;
            StyleModel::from_ron(&text).map_err(|e| user(format!("{}:{e}", p.display())))?
        }
        None => StyleModel::builtin(),
    };
    let symbols: Vec<&str> = a
        .chords
        .as_deref()
        .map(|c| c.split([' ', ',', '|']).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let given: Vec<Chord> = symbols
        .iter()
        .map(|s| Chord::parse(s).map_err(|e| user(format!("--chords: {e}"))))
        .collect::<Result<_>>()?;
    if a.chords.is_some() && given.is_empty() {
        return Err(user(
            "--chords: no chord symbols (hint: e.g. --chords \"Am F C G\")",
        ));
    }
    let key = match (&a.key, given.first()) {
        (Some(k), _) => Key::parse(k).map_err(|e| user(format!("--key: {e}")))?,
        (None, Some(c)) => Key::from_chord(c),
        (None, None) => Key::parse("C major").expect("C major parses"),
    };
    let bars = a.bars as usize;
    let per_bar: Vec<Chord> = if given.is_empty() {
        let src = if model.has_chords() {
            model.clone()
        } else {
            StyleModel::builtin()
        };
        src.generate_progression(bars, &key, a.seed)
    } else {
        (0..bars).map(|b| given[b % given.len()]).collect()
    };
    let bpb = a.meter as f64;
    let chords: Vec<(f64, Chord)> = per_bar
        .iter()
        .enumerate()
        .map(|(b, c)| (b as f64 * bpb, *c))
        .collect();
    let len = bars as f64 * bpb;
    let to_notes = |line: &[(i32, f32)], velocity: f32| -> Vec<Note> {
        let mut t = 0.0;
        let mut out = Vec::new();
        for &(p, d) in line {
            if p >= 0 {
                out.push(Note {
                    start_beat: t,
                    beats: d as f64,
                    pitch: p.clamp(0, 127) as u8,
                    velocity,
                    passing: false,
                });
            }
            t += d as f64;
        }
        out
    };
    let melody = to_notes(&model.generate_in(len, &key, &chords, bpb, a.seed), 0.8);
    let bass = model
        .generate_bass(len, &key, &chords, bpb, None, a.seed)
        .map(|l| to_notes(&l, 0.7));
    let harmony: Vec<Note> = chords
        .iter()
        .flat_map(|&(start, c)| {
            voice_chord(&c, 52, 4).into_iter().map(move |p| Note {
                start_beat: start,
                beats: bpb,
                pitch: p,
                velocity: 0.5,
                passing: false,
            })
        })
        .collect();
    let conductor = Conductor {
        tempos: vec![(0.0, a.bpm)],
        meter: (a.meter, 2),
        keys: vec![(0.0, key)],
    };
    let mut tracks = vec![
        MidiTrack {
            name: "melody",
            instrument: &Instrument::Lead,
            notes: &melody,
        },
        MidiTrack {
            name: "chords",
            instrument: &Instrument::Keys,
            notes: &harmony,
        },
    ];
    if let Some(b) = &bass {
        tracks.push(MidiTrack {
            name: "bass",
            instrument: &Instrument::Bass,
            notes: b,
        });
    }
    wav::write_atomic(&a.out, &write_smf(&conductor, &tracks))?;
    let names: Vec<String> = per_bar.iter().map(|c| c.to_string()).collect();
    writeln!(
        Out::new(),
        "{} — {} bars in {} over {}: {} melody notes{}",
        a.out.display(),
        bars,
        key.name(),
        names.join(" "),
        melody.len(),
        bass.as_ref()
            .map_or(String::new(), |b| format!(", {} bass notes", b.len()))
    )?;
    Ok(())
}
