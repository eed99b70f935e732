//! The music-cue EDL (`music.edl`): CMX 3600, one audio event per placed cue, for the
//! picture editor's or the dubbing stage's timeline.
//!
//! Each event cuts the cue's span of `mix.wav` onto the record timeline: record timecodes
//! are the cue's in and out on the picture (as in `cuesheet.csv`); source timecodes are the
//! same positions in `mix.wav`, whose broadcast-WAV time reference is the timeline's first
//! frame, so its own timecode runs with the picture's. The reel is the cue's number (M01),
//! `* FROM CLIP NAME:` its title, `* SOURCE FILE:` the mix.

use leitmotif_film::FrameRate;
use leitmotif_film::timecode::format_frames;

use super::{Cue, MIX, one_line};

/// The channel of every event: `AA`, CMX 3600's code for audio channels 1 and 2 together.
/// The mix is one stereo file, so one event carries the pair: Avid writes a stereo pair so,
/// and importers read `AA` as A1 + A2 (Resolve; OpenTimelineIO's `cmx_3600` adapter puts the
/// clip on tracks A1 and A2). `A` and `A2` would be two mono events of one number for one
/// file, which importers may take as two clips or drop the second of.
const STEREO: &str = "AA";

/// The EDL of `cues` on a timeline starting at record frame `origin`, at `rate` (its `FCM:`
/// line says drop-frame or not). Cues of no length are left out.
pub(crate) fn music_edl(title: &str, rate: FrameRate, origin: i64, cues: &[Cue]) -> String {
    let fcm = if rate.is_drop_frame() {
        "DROP FRAME"
    } else {
        "NON-DROP FRAME"
    };
    let mut s = format!("TITLE: {}\nFCM: {fcm}\n", one_line(title));
    let tc = |f: i64| format_frames(origin + f, rate);
    for (n, c) in cues.iter().filter(|c| c.end > c.start).enumerate() {
        let (a, b) = (tc(c.start), tc(c.end));
        s.push_str(&format!(
            "\n{:03}  {:<8} {STEREO:<5} C        {a} {b} {a} {b}\n* FROM CLIP NAME: {}\n* SOURCE FILE: {MIX}\n",
            n + 1,
            c.number,
            one_line(c.title),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use leitmotif_film::{Format, ParseOptions, parse_str};

    fn cue(number: &str, title: &'static str, start: i64, end: i64) -> Cue<'static> {
        Cue {
            number: number.into(),
            name: "calm",
            title,
            start,
            end,
            bpm: 84.0,
            note: None,
        }
    }

    /// Written at each rate, read back by our own EDL parser (at the rate without drop-frame
    /// counting, as `--fps 29.97` reads it: the `FCM:` line switches it): every cue an `AA`
    /// event on its frames, named, pointing at the mix; a cue of no length left out.
    #[test]
    fn the_music_edl_reads_back_through_our_parser() {
        for (rate, read_at, origin, fcm) in [
            (
                FrameRate::FPS_29_97_DF,
                FrameRate::FPS_29_97_NDF,
                107_892,
                "FCM: DROP FRAME",
            ),
            (
                FrameRate::FPS_25,
                FrameRate::FPS_25,
                90_000,
                "FCM: NON-DROP FRAME",
            ),
        ] {
            let cues = [
                cue("M01", "Night Platform", 0, 1199),
                cue("M02", "The Stranger,\nagain", 1199, 2180),
                cue("M03", "Empty", 2180, 2180),
                cue("M04", "Dawn", 2500, 4000),
            ];
            let text = music_edl("The Last Train - Noir (music)", rate, origin, &cues);
            assert_eq!(text.lines().nth(1), Some(fcm), "{text}");
            let list = parse_str(&text, Format::Edl, &ParseOptions::with_rate(read_at)).unwrap();
            assert_eq!(list.rate, rate);
            assert!(list.warnings.is_empty(), "{:?}", list.warnings);
            assert_eq!(list.title.as_deref(), Some("The Last Train - Noir (music)"));
            let got: Vec<_> = list
                .events
                .iter()
                .map(|e| {
                    assert_eq!((e.source_in, e.source_out), (e.record_in, e.record_out));
                    assert_eq!(e.source_file.as_deref(), Some(MIX));
                    assert!(!e.is_video());
                    (
                        e.number,
                        e.reel.as_str(),
                        e.track.as_str(),
                        e.clip_name.as_deref().unwrap_or_default(),
                        e.record_in - origin,
                        e.record_out - origin,
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    (1, "M01", "AA", "Night Platform", 0, 1199),
                    (2, "M02", "AA", "The Stranger, again", 1199, 2180),
                    (3, "M04", "AA", "Dawn", 2500, 4000),
                ],
                "{text}"
            );
        }
    }
}
