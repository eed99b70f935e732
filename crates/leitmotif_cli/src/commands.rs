//! The small subcommands: cues, check, stems, bridge.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use leitmotif_core::Score;
use leitmotif_engine::{SourceBank, wav};
use leitmotif_film::{FrameRate, ParseOptions, parse_cut_list};

use crate::{Out, bank_options, user};

/// Arguments of `leitmotif cues`.
#[derive(Args, Debug)]
pub struct CuesArgs {
    /// The cut list.
    pub file: PathBuf,
    /// Frame rate (EDLs do not state it): 23.976, 24, 25, 29.97, 29.97df, 30, 50, 59.94df, 60.
    #[arg(long)]
    pub fps: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Refuse source-side problems and record/source duration mismatches (by default they
    /// are warnings: the music depends on the record side only).
    #[arg(long)]
    pub strict: bool,
    /// What `--strict` left out is the default now; kept so old scripts run (prints a note).
    #[arg(long, hide = true)]
    pub lenient: bool,
}

/// Parses `--fps`.
pub fn parse_rate(fps: Option<&str>) -> Result<Option<FrameRate>> {
    fps.map(|f| {
        f.parse::<FrameRate>().map_err(|e| {
            user(format!(
                "--fps {f}: {e} (hint: e.g. 24, 25, 29.97df, 23.976)"
            ))
        })
    })
    .transpose()
}

/// Reads a cut list; one with no events at all (an empty file, a title only, or text that is
/// not a cut list) is refused rather than scored as silence.
pub fn read_cut_list(
    path: &std::path::Path,
    opts: &ParseOptions,
) -> Result<leitmotif_film::CutList> {
    let cut = parse_cut_list(path, opts).map_err(user)?;
    if cut.events.is_empty() {
        return Err(user(format!(
            "{}: no events: expected at least one edit (hint: is this the right file, or an empty export?)",
            path.display()
        )));
    }
    Ok(cut)
}

/// `leitmotif cues`.
pub fn cues(a: CuesArgs) -> Result<()> {
    if a.lenient {
        eprintln!(
            "note: --lenient is the default now: source-side problems and duration mismatches are warnings (use --strict to refuse them)"
        );
    }
    let opts = ParseOptions {
        strict: a.strict,
        rate: parse_rate(a.fps.as_deref())?,
    };
    let cut = read_cut_list(&a.file, &opts)?;
    let mut out = Out::new();
    if a.json {
        // Its I/O errors as `io::Error`, so a closed pipe is one.
        serde_json::to_writer_pretty(&mut out, &cut).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    let rate = cut.rate;
    writeln!(
        out,
        "{} — {:?}, {} events, {} markers, {} fps",
        cut.title.as_deref().unwrap_or("(untitled)"),
        cut.format,
        cut.events.len(),
        cut.markers.len(),
        rate.fps()
    )?;
    writeln!(
        out,
        "{:>6}  {:<10} {:<4} {:<12} {:<11} {:<11} {:<11} {:<11} {:>9}  clip",
        "event", "reel", "trk", "transition", "src in", "src out", "rec in", "rec out", "rec s"
    )?;
    for e in &cut.events {
        writeln!(
            out,
            "{:>6}  {:<10} {:<4} {:<12} {:<11} {:<11} {:<11} {:<11} {:>9.3}  {}",
            e.number_text,
            e.reel,
            e.track,
            format!("{:?}", e.kind),
            e.source_in_tc(rate),
            e.source_out_tc(rate),
            e.record_in_tc(rate),
            e.record_out_tc(rate),
            e.record_in_seconds(rate),
            e.clip_name.as_deref().unwrap_or("")
        )?;
    }
    for m in &cut.markers {
        writeln!(
            out,
            "marker  {}  frame {:>7}  {:>9.3} s  {:<8} {}",
            m.timecode,
            m.frame,
            m.seconds,
            m.colour.as_deref().unwrap_or("-"),
            m.name
        )?;
    }
    for w in &cut.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// Arguments of `leitmotif check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Score files.
    #[arg(required = true)]
    pub scores: Vec<PathBuf>,
    /// Also load every stem as a game would: synthesise generated ones, decode files held in
    /// memory, open streamed files (header and first half second; `load` in the score).
    #[arg(long)]
    pub stems: bool,
}

/// `leitmotif check`.
pub fn check(a: CheckArgs) -> Result<()> {
    let mut out = Out::new();
    for path in &a.scores {
        let score = Score::load(path).map_err(user)?;
        if a.stems {
            let bank = SourceBank::load(&score, &bank_options(path, 48_000))
                .map_err(|e| user(format!("{}: {e}", path.display())))?;
            for w in &bank.warnings {
                eprintln!("warning: {}: {w}", path.display());
            }
        }
        writeln!(
            out,
            "{}: ok — \"{}\", {} cues, {} transitions, {} stingers",
            path.display(),
            score.name,
            score.cues.len(),
            score.transitions.len(),
            score.stingers.len()
        )?;
    }
    Ok(())
}

/// Arguments of `leitmotif stems`.
#[derive(Args, Debug)]
pub struct StemsArgs {
    /// The score.
    pub score: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Sample rate.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
}

/// `leitmotif stems`: every cue layer as `cue-layer.wav`.
pub fn stems(a: StemsArgs) -> Result<()> {
    let score = Score::load(&a.score).map_err(user)?;
    let bank = SourceBank::load(&score, &bank_options(&a.score, a.rate)).map_err(user)?;
    for w in &bank.warnings {
        eprintln!("warning: {}: {w}", a.score.display());
    }
    std::fs::create_dir_all(&a.out)?;
    let mut out = Out::new();
    for (ci, (cue, stems)) in score.cues.iter().zip(&bank.layers).enumerate() {
        for (li, (layer, stem)) in cue.layers.iter().zip(stems).enumerate() {
            let path = a.out.join(format!("{}-{}.wav", cue.name, layer.name));
            // A live part is not rendered at load: rendered here, as it plays at its tempo.
            let stem = match bank.live_layer(ci as u16, li as u16) {
                Some(_) => leitmotif_engine::bank::render_cue_layer(
                    &score,
                    bank.style.as_deref(),
                    ci,
                    li,
                    a.rate,
                )
                .map_err(user)?
                .map(Arc::new)
                .ok_or_else(|| anyhow::anyhow!("{}: not a generated layer", path.display()))?,
                None => stem
                    .to_stem()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            };
            wav::write_wav(&path, &stem.frames, a.rate, wav::WavFormat::Int24, None)?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(())
}

/// Arguments of `leitmotif bridge`.
#[derive(Args, Debug)]
pub struct BridgeArgs {
    /// The score.
    #[arg(long)]
    pub score: PathBuf,
    /// Outgoing cue.
    #[arg(long)]
    pub from: String,
    /// Incoming cue.
    #[arg(long)]
    pub to: String,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bars.
    #[arg(long, default_value_t = 2)]
    pub bars: u32,
    /// Output MIDI file.
    #[arg(short, long)]
    pub out: PathBuf,
}

/// `leitmotif bridge`: compose one bridge and write it as MIDI (and a WAV beside it).
pub fn bridge(a: BridgeArgs) -> Result<()> {
    let score = Score::load(&a.score).map_err(user)?;
    let idx = |name: &str| {
        score.cue_index(name).ok_or_else(|| {
            user(format!(
                "{}: unknown cue \"{name}\" (cues: {})",
                a.score.display(),
                score
                    .cues
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    };
    let (from, to) = (idx(&a.from)?, idx(&a.to)?);
    let base = a.score.parent().unwrap_or(std::path::Path::new(""));
    let style = leitmotif_engine::bank::load_style(&score, base).map_err(user)?;
    let bridge =
        leitmotif_scoring::compose_bridge(&score, style, from, to, a.bars, a.seed).map_err(user)?;
    wav::write_atomic(&a.out, &bridge.to_smf())?;
    writeln!(
        Out::new(),
        "{} — {} bars, {} voices",
        a.out.display(),
        a.bars,
        bridge.voices.len()
    )?;
    Ok(())
}
