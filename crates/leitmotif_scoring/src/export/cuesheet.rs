//! The cue sheet (`cuesheet.csv`) in the form performing-rights organisations ask for: one
//! row per cue with its number and title, composers and publishers (each with their PRO, IPI
//! name number and share of the role), usage, in and out timecode, and duration (mm:ss, as
//! cue sheets give it, and seconds). Several composers or publishers of a cue are listed in
//! the same order in each of their columns, separated by "; ".

use leitmotif_film::FrameRate;
use leitmotif_film::timecode::format_frames;

use super::Cue;
use crate::credits::{CueCredits, Party};
use crate::secs;

/// The columns.
pub(crate) const HEADER: [&str; 17] = [
    "cue",
    "title",
    "composer",
    "composer_pro",
    "composer_ipi",
    "composer_share",
    "publisher",
    "publisher_pro",
    "publisher_ipi",
    "publisher_share",
    "usage",
    "in",
    "out",
    "duration",
    "duration_s",
    "bpm",
    "note",
];

/// A percentage to two decimals, without trailing zeros ("50", "33.33").
pub(crate) fn percent(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Seconds as cue sheets give durations: mm:ss, to the nearest second, at least 00:01 for a
/// cue that plays at all.
pub(crate) fn mm_ss(seconds: f64) -> String {
    let s = if seconds > 0.0 {
        seconds.round().max(1.0) as u64
    } else {
        0
    };
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// The four columns of a role: names, PROs, IPIs, shares.
fn role(parties: &[Party]) -> [String; 4] {
    let col = |f: &dyn Fn(&Party) -> String| parties.iter().map(f).collect::<Vec<_>>().join("; ");
    [
        col(&|p| p.name.clone()),
        col(&|p| p.pro.clone()),
        col(&|p| p.ipi.clone().unwrap_or_default()),
        col(&|p| percent(p.share)),
    ]
}

/// The sheet of `cues` with their `credits` (one each, in order), timecodes on a timeline
/// starting at record frame `origin`.
pub(crate) fn cue_sheet(
    cues: &[Cue],
    credits: &[CueCredits],
    rate: FrameRate,
    origin: i64,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let tc = |f: i64| format_frames(f + origin, rate);
    // Writing CSV to memory cannot fail.
    let _ = w.write_record(HEADER);
    for (c, k) in cues.iter().zip(credits) {
        let seconds = secs(rate, c.end - c.start);
        let [cn, cp, ci, cs] = role(&k.composers);
        let [pn, pp, pi, ps] = role(&k.publishers);
        let _ = w.write_record([
            c.number.clone(),
            super::one_line(c.title),
            cn,
            cp,
            ci,
            cs,
            pn,
            pp,
            pi,
            ps,
            k.usage.code().to_string(),
            tc(c.start),
            tc(c.end),
            mm_ss(seconds),
            format!("{seconds:.2}"),
            format!("{:.1}", c.bpm),
            super::one_line(c.note.unwrap_or_default()),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_minutes_and_seconds_and_shares_lose_trailing_zeros() {
        assert_eq!(mm_ss(0.0), "00:00");
        assert_eq!(mm_ss(0.3), "00:01");
        assert_eq!(mm_ss(59.4), "00:59");
        assert_eq!(mm_ss(59.6), "01:00");
        assert_eq!(mm_ss(754.0), "12:34");
        assert_eq!(percent(100.0), "100");
        assert_eq!(percent(33.333), "33.33");
        assert_eq!(percent(12.5), "12.5");
    }

    /// Two composers in parallel columns, quoting where CSV needs it, and the sheet reads
    /// back with a CSV reader into the same fields.
    #[test]
    fn several_parties_share_their_columns_in_order() {
        let party = |name: &str, pro: &str, ipi: Option<&str>, share| Party {
            name: name.into(),
            pro: pro.into(),
            ipi: ipi.map(String::from),
            share,
        };
        let credits = CueCredits {
            composers: vec![
                party("Quill, Ada", "PRS", Some("00523879412"), 60.0),
                party("Ben Ode", "ASCAP", None, 40.0),
            ],
            publishers: vec![party("Night Train Music", "PRS", None, 100.0)],
            usage: crate::credits::Usage::VI,
        };
        let cue = Cue {
            number: "M01".into(),
            name: "chase",
            title: "Last Train \"Chase\"",
            start: 0,
            end: 2997,
            bpm: 132.0,
            note: Some("he runs,\nshots"),
        };
        let rate = FrameRate::FPS_29_97_DF;
        let sheet = cue_sheet(&[cue], &[credits], rate, 107_892);
        let mut r = csv::Reader::from_reader(&sheet[..]);
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].iter().collect::<Vec<_>>(),
            [
                "M01",
                "Last Train \"Chase\"",
                "Quill, Ada; Ben Ode",
                "PRS; ASCAP",
                "00523879412; ",
                "60; 40",
                "Night Train Music",
                "PRS",
                "",
                "100",
                "VI",
                "01:00:00;00",
                // 2997 frames: drop-frame labels skip ;00 and ;01 at minute 1.
                "01:01:39;29",
                "01:40",
                "100.00",
                "132.0",
                "he runs, shots",
            ]
        );
    }
}
