//! The preview (`preview.mp4`, with `--picture`): the mix under the picture, with the
//! picture's timecode and the playing cue's number and title burnt in, made by ffmpeg run as
//! a program (`ffmpeg`, `ffprobe` on the `PATH`; Debian's `ffmpeg`) with the DejaVu Sans font
//! (Debian's `fonts-dejavu-core`).
//!
//! The picture's first frame is the cut list's first record frame. Its video is re-encoded
//! (H.264; burning in needs it) at the cut list's rate, so the burnt-in timecode, which
//! starts at the timeline's first timecode (`;` for drop-frame), counts its frames; the audio
//! is the mix as AAC. The last picture frame holds to the end of the mix (its tail), and the
//! preview is as long as the mix.

use std::path::{Path, PathBuf};
use std::process::Command;

use leitmotif_film::FrameRate;
use leitmotif_film::timecode::format_frames;

use super::{Cue, MIX, one_line};
use crate::{ScoringError, secs};

/// The preview's file name.
pub const PREVIEW: &str = "preview.mp4";

/// The font of the burnt-in text.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// What ffprobe says of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Picture {
    /// Height in pixels.
    pub height: u32,
}

fn error(path: impl Into<PathBuf>, message: String, hint: &str) -> ScoringError {
    ScoringError::Preview {
        path: path.into(),
        message,
        hint: hint.into(),
    }
}

/// `path` as an argument ffmpeg reads as a file (not an option).
fn file_arg(path: &Path) -> PathBuf {
    if path.to_string_lossy().starts_with('-') {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

/// Runs `tool` with `args`, its output; a missing tool is an error saying how to install it.
fn run(tool: &str, args: &[&std::ffi::OsStr]) -> Result<std::process::Output, ScoringError> {
    Command::new(tool)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            error(
                tool,
                format!("cannot run {tool} (it makes {PREVIEW}): {e}"),
                "install ffmpeg (Debian: apt-get install ffmpeg), or leave out --picture",
            )
        })
}

/// The last lines a tool printed on standard error.
fn last_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join("; ")
}

/// Checks that a preview under `picture` can be made, before anything is rendered: the
/// picture has a video stream ffmpeg reads, and ffmpeg and the font are installed.
pub(crate) fn probe(picture: &Path) -> Result<Picture, ScoringError> {
    let hint = "--picture takes the cut's picture as a video file (e.g. picture.mp4) whose first frame is the cut list's first record frame";
    std::fs::File::open(picture)
        .map_err(|e| error(picture, format!("cannot read the picture: {e}"), hint))?;
    if !Path::new(FONT).exists() {
        return Err(error(
            FONT,
            "the font of the burnt-in timecode is missing".into(),
            "install it (Debian: apt-get install fonts-dejavu-core), or leave out --picture",
        ));
    }
    run("ffmpeg", &["-version".as_ref()])?;
    let arg = file_arg(picture);
    let out = run(
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "v:0".as_ref(),
            "-show_entries".as_ref(),
            "stream=height".as_ref(),
            "-of".as_ref(),
            "csv=p=0".as_ref(),
            arg.as_os_str(),
        ],
    )?;
    let height = String::from_utf8_lossy(&out.stdout).trim().parse::<u32>();
    match height {
        Ok(height) if out.status.success() && height > 0 => Ok(Picture { height }),
        _ => Err(error(
            picture,
            format!(
                "ffprobe finds no video stream in the picture{}",
                match last_lines(&out.stderr) {
                    s if s.is_empty() => String::new(),
                    s => format!(": {s}"),
                }
            ),
            hint,
        )),
    }
}

/// Escapes `value` as one option value of a filter in an ffmpeg filtergraph: first for the
/// option (`\`, `'`, `:`), then for the graph (`\`, `'`, `[`, `]`, `,`, `;`).
fn escape(value: &str) -> String {
    let mut option = String::new();
    for c in value.chars() {
        if matches!(c, '\\' | '\'' | ':') {
            option.push('\\');
        }
        option.push(c);
    }
    let mut graph = String::new();
    for c in option.chars() {
        if matches!(c, '\\' | '\'' | '[' | ']' | ',' | ';') {
            graph.push('\\');
        }
        graph.push(c);
    }
    graph
}

/// The video filtergraph: the picture at `rate`, its last frame held, the timecode from
/// record frame `origin` at the top left, each cue's number and title at the bottom left
/// while it plays.
pub(crate) fn filtergraph(pic: Picture, rate: FrameRate, origin: i64, cues: &[Cue]) -> String {
    let size = (pic.height / 14).max(10);
    let margin = (pic.height / 40).max(2);
    let style = format!(
        "fontfile={}:fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw={}",
        escape(FONT),
        (size / 5).max(1)
    );
    let (num, den) = (rate.num(), rate.den());
    let mut g = format!(
        "fps={num}/{den},scale=trunc(iw/2)*2:trunc(ih/2)*2,tpad=stop=-1:stop_mode=clone,drawtext={style}:x={margin}:y={margin}:rate={num}/{den}:timecode={}",
        escape(&format_frames(origin, rate))
    );
    for c in cues.iter().filter(|c| c.end > c.start) {
        let text = format!("{} {}", c.number, one_line(c.title));
        let when = format!(
            "gte(t,{:.4})*lt(t,{:.4})",
            secs(rate, c.start),
            secs(rate, c.end)
        );
        g.push_str(&format!(
            ",drawtext={style}:x={margin}:y=h-th-{margin}:expansion=none:text={}:enable={}",
            escape(&text),
            escape(&when)
        ));
    }
    g
}

/// Writes `dir/preview.mp4`: `dir/mix.wav` (`seconds` long) under `picture`, with the
/// burnt-in timecode and cue names.
pub(crate) fn write(
    dir: &Path,
    picture: &Path,
    pic: Picture,
    rate: FrameRate,
    origin: i64,
    cues: &[Cue],
    seconds: f64,
) -> Result<(), ScoringError> {
    let graph = filtergraph(pic, rate, origin, cues);
    let (input, mix, out) = (file_arg(picture), dir.join(MIX), dir.join(PREVIEW));
    let length = format!("{seconds:.6}");
    let mut args: Vec<&std::ffi::OsStr> = Vec::new();
    for a in ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"] {
        args.push(a.as_ref());
    }
    args.extend([input.as_os_str(), "-i".as_ref(), mix.as_os_str()]);
    for a in [
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-filter:v",
        &graph,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "20",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "256k",
        "-t",
        &length,
        "-movflags",
        "+faststart",
    ] {
        args.push(a.as_ref());
    }
    args.push(out.as_os_str());
    let done = run("ffmpeg", &args)?;
    if !done.status.success() {
        let _ = std::fs::remove_file(&out);
        return Err(error(
            picture,
            format!(
                "ffmpeg could not make {PREVIEW} under this picture: {}",
                last_lines(&done.stderr)
            ),
            "check that ffmpeg reads the picture (ffprobe PICTURE); the preview needs ffmpeg's libx264 and aac encoders",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_escaped_for_the_option_and_the_graph() {
        assert_eq!(escape("01:00:00;00"), r"01\\:00\\:00\;00");
        assert_eq!(escape("it's [a], b"), r"it\\\'s \[a\]\, b");
        assert_eq!(escape("gte(t,1)"), r"gte(t\,1)");
    }

    #[test]
    fn the_graph_burns_in_the_timecode_and_each_playing_cue() {
        let cue = |number: &str, start, end| Cue {
            number: number.into(),
            name: "calm",
            title: "Night: Platform",
            start,
            end,
            bpm: 84.0,
            note: None,
        };
        let cues = [cue("M01", 0, 25), cue("M02", 25, 25), cue("M03", 50, 100)];
        let g = filtergraph(Picture { height: 180 }, FrameRate::FPS_25, 90_000, &cues);
        assert!(g.starts_with("fps=25/1,"), "{g}");
        assert!(g.contains(r"rate=25/1:timecode=01\\:00\\:00\\:00"), "{g}");
        assert_eq!(
            g.matches("drawtext=").count(),
            3,
            "no text for a cue of no length: {g}"
        );
        assert!(
            g.contains(r"text=M03 Night\\: Platform:enable=gte(t\,2.0000)*lt(t\,4.0000)"),
            "{g}"
        );
    }
}
