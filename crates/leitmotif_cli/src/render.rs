//! `leitmotif render`: score a cut list offline and write the deliverables (the pipeline is
//! [`leitmotif_scoring::render_to_dir`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use leitmotif_core::Score;
use leitmotif_film::ParseOptions;
use leitmotif_film::autospot::{Lexicon, auto_spot, timeline_start};
use leitmotif_film::spotting::parse_spotting_at;
use leitmotif_scoring::{
    Credits, DEFAULT_SAMPLE_RATE, FilmOptions, WriteOptions, check_spotting, existing_output,
    render_to_dir, resolve_spotting,
};

use crate::commands::{parse_rate, read_cut_list};
use crate::{Out, scoring, user};

/// Arguments of `leitmotif render`.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The score (`*.score.ron`).
    #[arg(long)]
    pub score: PathBuf,
    /// The cut list (EDL, OTIO, FCP7 XML, FCPXML).
    #[arg(long)]
    pub cues: PathBuf,
    /// A spotting list (RON or CSV); without one, the film is spotted automatically.
    #[arg(long)]
    pub spotting: Option<PathBuf>,
    /// Frame rate of the cut list (EDLs do not state it), e.g. 24, 25, 29.97df.
    #[arg(long)]
    pub fps: Option<String>,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Replace existing outputs.
    #[arg(long)]
    pub force: bool,
    /// Refuse the cut list's source-side problems and record/source duration mismatches (by
    /// default they are warnings: the music depends on the record side only).
    #[arg(long)]
    pub strict: bool,
    /// What `--strict` left out is the default now; kept so old scripts run (prints a note).
    #[arg(long, hide = true)]
    pub lenient: bool,
    /// Seed for everything random.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds of music after the last picture frame (ring-out, faded).
    #[arg(long, default_value_t = 3.0)]
    pub tail: f64,
    /// Normalise the mix to this integrated loudness in LUFS (EBU R128: -23, ATSC A/85: -24,
    /// …), under the `--true-peak` ceiling; the stems get the same gain.
    #[arg(long, allow_negative_numbers = true, value_parser = loudness_value)]
    pub loudness: Option<f64>,
    /// True-peak ceiling in dBTP for `--loudness`.
    #[arg(long, allow_negative_numbers = true, default_value_t = -1.0, requires = "loudness")]
    pub true_peak: f64,
    /// How far the fitter may move a cue's tempo to meet its hits and out-point, in percent
    /// of the written tempo (recorded stems are time-stretched that much).
    #[arg(long, default_value_t = 8.0, value_parser = tempo_range_value)]
    pub tempo_range: f64,
    /// Composers, publishers and usage of the cues for cuesheet.csv (RON, see
    /// docs/credits-format.md); without it every composer is "unknown" and every usage BI.
    #[arg(long)]
    pub credits: Option<PathBuf>,
    /// The cut's picture (a video whose first frame is the cut list's first record frame):
    /// writes preview.mp4, the mix under it with burnt-in timecode and cue names (needs
    /// ffmpeg).
    #[arg(long)]
    pub picture: Option<PathBuf>,
}

fn tempo_range_value(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=50.0).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} % is outside 0..=50 (e.g. --tempo-range 8)")),
        Err(_) => Err(format!("{s:?} is not a percentage (e.g. --tempo-range 8)")),
    }
}

fn loudness_value(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (-70.0..=0.0).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} LUFS is outside -70..=0 (e.g. --loudness -23)")),
        Err(_) => Err(format!(
            "{s:?} is not a loudness in LUFS (e.g. --loudness -23)"
        )),
    }
}

/// `leitmotif render`.
pub fn render(a: RenderArgs) -> Result<()> {
    let started = std::time::Instant::now();
    if a.lenient {
        eprintln!(
            "note: --lenient is the default now: source-side problems and duration mismatches are warnings (use --strict to refuse them)"
        );
    }
    let opts = ParseOptions {
        strict: a.strict,
        rate: parse_rate(a.fps.as_deref())?,
    };
    let cut = read_cut_list(&a.cues, &opts)?;
    let score = Score::load(&a.score).map_err(user)?;
    // Spotting frames count from the timeline's first frame; `origin` is its record timecode.
    let origin = timeline_start(&cut);
    let spotting = match &a.spotting {
        Some(p) => parse_spotting_at(p, cut.rate, origin).map_err(user)?,
        None => auto_spot(&cut, &score, &Lexicon::default()),
    };
    check_spotting(&spotting, &score, a.spotting.as_deref().unwrap_or(&a.cues)).map_err(scoring)?;
    if let Some(p) = &a.spotting {
        // Cues the spotting notes chose: say so, as the report does.
        let (_, chosen) = resolve_spotting(&spotting, &score, Some(p)).map_err(scoring)?;
        for c in chosen {
            eprintln!("note: {}: {c}", p.display());
        }
    }
    let credits = match &a.credits {
        Some(p) => {
            let c = Credits::load(p).map_err(scoring)?;
            c.check(&spotting, &score).map_err(scoring)?;
            Some(c)
        }
        None => None,
    };
    if !a.force
        && let Some(existing) = existing_output(&a.out)
    {
        return Err(user(format!(
            "{} exists (hint: pass --force to replace the outputs)",
            existing.display()
        )));
    }
    let film = FilmOptions {
        sample_rate: DEFAULT_SAMPLE_RATE,
        seed: a.seed,
        tail_seconds: a.tail,
        allow_outside_stems: true,
        tempo_range: a.tempo_range / 100.0,
        loudness: a
            .loudness
            .map(|lufs| leitmotif_scoring::loudness::LoudnessTarget {
                lufs,
                true_peak_db: a.true_peak,
            }),
    };
    let write = WriteOptions {
        credits,
        picture: a.picture.clone(),
        ..WriteOptions::new(&a.out, a.cues.display().to_string())
    };
    let mut progress = crate::progress::RenderProgress::new();
    let summary = render_to_dir(&cut, score, &spotting, &a.score, &film, &write, &mut |p| {
        progress.update(p)
    });
    // Cleared before any error or warning is printed.
    progress.finish();
    let summary = summary.map_err(scoring)?;
    for w in &cut.warnings {
        eprintln!("warning: {w}");
    }
    for w in &summary.load_warnings {
        eprintln!("warning: {}: {w}", a.score.display());
    }
    if let Some(l) = &summary.loudness {
        writeln!(
            Out::new(),
            "loudness: {:.1} LUFS integrated (target {:.1}; rendered {:.1}, gain {:+.1} dB), true peak {:.1} dBTP (ceiling {:.1}), range {:.1} LU",
            l.integrated_lufs,
            l.target.lufs,
            l.measured_lufs,
            l.gain_db,
            l.true_peak_db,
            l.target.true_peak_db,
            l.range_lu
        )?;
    }
    let secs_audio = summary.seconds();
    let took = started.elapsed().as_secs_f64();
    writeln!(
        Out::new(),
        "{}: {} cues, {} hits (worst {} frames off the beat), {:.1} s of music in {:.2} s ({:.0}× realtime)",
        a.out.display(),
        summary.cues,
        summary.hits,
        summary.worst_hit_frames,
        secs_audio,
        took,
        secs_audio / took.max(1e-9)
    )?;
    Ok(())
}
