//! `leitmotif`: score a cut list offline, check scores, write stems and bridges.

use leitmotif_cli::{UserError, commands, render, style};

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod live;

/// Adaptive music middleware: scores cut lists and plays game music.
#[derive(Parser, Debug)]
#[command(name = "leitmotif", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and show a cut list (CMX 3600 EDL, OTIO, FCP7 XML, FCPXML), normalised.
    Cues(commands::CuesArgs),
    /// Validate scores.
    Check(commands::CheckArgs),
    /// Score a cut list: write mix.wav, stems/, cuesheet.csv, timeline.png, report.json,
    /// music.edl, music.otio (and preview.mp4 with --picture).
    Render(render::RenderArgs),
    /// Write the generated stems of a score as WAV files.
    Stems(commands::StemsArgs),
    /// Compose a bridge between two cues and write it as a Standard MIDI File.
    Bridge(commands::BridgeArgs),
    /// Play a score on the sound card, driven live by OSC and MIDI through a mapping file.
    Live(live::LiveArgs),
    /// Learn a musical style from MIDI files.
    Style(style::StyleArgs),
    /// Write a melody (with chords, and a bass line when the style has one) in a style as a
    /// Standard MIDI File.
    Generate(style::GenerateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cues(a) => commands::cues(a),
        Command::Check(a) => commands::check(a),
        Command::Render(a) => render::render(a),
        Command::Stems(a) => commands::stems(a),
        Command::Bridge(a) => commands::bridge(a),
        Command::Live(a) => live::live(a),
        Command::Style(a) => style::style(a),
        Command::Generate(a) => style::generate(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe is no error (stdout goes quiet instead, see `Out`; this catches
            // one arriving any other way, however wrapped).
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let mut err = std::io::stderr().lock();
            if e.downcast_ref::<UserError>().is_some() {
                let _ = writeln!(err, "error: {e}");
                ExitCode::from(2)
            } else {
                let _ = writeln!(err, "error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
