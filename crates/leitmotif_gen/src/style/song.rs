//! What a Standard MIDI File holds for style learning: its notes per track, meter and key, a
//! melody (the highest voice), a bass line (the lowest voice) and a chord per bar where other
//! voices carry harmony.

use midly::{MetaMessage, MidiMessage, Timing, TrackEventKind};

use crate::error::GenError;
use crate::midi::parse_smf;
use crate::theory::{Chord, ChordQuality, Key, Mode, PitchClass};

/// Songs longer than this (about 11 hours of 4/4 at 120 BPM) teach no chords.
const MAX_CHORD_BARS: usize = 20_000;

/// A sounding note, in quarter-note beats from the file's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SongNote {
    pub start: f64,
    pub end: f64,
    pub pitch: u8,
}

/// The parts of a file that a style is learned from.
#[derive(Debug, Clone, PartialEq)]
pub struct Song {
    /// Key: the file's first key signature, or estimated from its notes (Krumhansl–Kessler
    /// profiles) when it has none.
    pub key: Key,
    /// Quarter-note beats per bar (the first time signature; 4 when none).
    pub bar_beats: f64,
    /// The highest voice, monophonic: (MIDI pitch or −1 for a rest, beats).
    pub melody: Vec<(i32, f32)>,
    /// The lowest voice when another track plays clearly below the melody.
    pub bass: Option<Vec<(i32, f32)>>,
    /// One chord per bar, when tracks other than the melody's sound in at least half the bars.
    pub chords: Option<Vec<Chord>>,
}

/// Notes per track (drum channel 10 left out), ticks per quarter, first time signature and key
/// signature.
struct Raw {
    tracks: Vec<Vec<SongNote>>,
    bar_beats: Option<f64>,
    key: Option<Key>,
}

fn read_raw(bytes: &[u8]) -> Result<Raw, GenError> {
    let smf = parse_smf(bytes)?;
    let ppq = match smf.header.timing {
        Timing::Metrical(t) if t.as_int() > 0 => t.as_int() as f64,
        Timing::Metrical(_) => return Err(GenError::Midi("zero ticks per quarter note".into())),
        Timing::Timecode(..) => {
            return Err(GenError::Midi(
                "SMPTE timecode timing is not supported (a style needs beats)".into(),
            ));
        }
    };
    let mut raw = Raw {
        tracks: Vec::new(),
        bar_beats: None,
        key: None,
    };
    for track in &smf.tracks {
        let mut t = 0u64;
        let mut open: Vec<(u8, u8, u64)> = Vec::new();
        let mut notes = Vec::new();
        for ev in track {
            t = t.saturating_add(ev.delta.as_int() as u64);
            match ev.kind {
                TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, ..))
                    if raw.bar_beats.is_none() && n > 0 && d < 8 =>
                {
                    raw.bar_beats = Some(n as f64 * 4.0 / (1u32 << d) as f64);
                }
                TrackEventKind::Meta(MetaMessage::KeySignature(sf, minor))
                    if raw.key.is_none() && (-7..=7).contains(&sf) =>
                {
                    // Major tonic: sf fifths above C; minor: a minor third below that.
                    let major = PitchClass::new(sf as i32 * 7);
                    raw.key = Some(if minor {
                        Key::new(major.transpose(-3), Mode::NaturalMinor)
                    } else {
                        Key::new(major, Mode::Major)
                    });
                }
                TrackEventKind::Midi { channel, message } if channel.as_int() != 9 => {
                    let ch = channel.as_int();
                    match message {
                        MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                            open.push((ch, key.as_int(), t));
                        }
                        MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                            if let Some(i) =
                                open.iter().position(|o| o.0 == ch && o.1 == key.as_int())
                            {
                                let (_, k, start) = open.remove(i);
                                if t > start {
                                    notes.push(SongNote {
                                        start: start as f64 / ppq,
                                        end: t as f64 / ppq,
                                        pitch: k,
                                    });
                                }
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if !notes.is_empty() {
            notes.sort_by(|a, b| a.start.total_cmp(&b.start).then(b.pitch.cmp(&a.pitch)));
            raw.tracks.push(notes);
        }
    }
    Ok(raw)
}

/// Krumhansl–Kessler key profiles (major, minor), C first.
const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/// The key whose profile correlates best with the duration-weighted pitch classes.
pub(crate) fn estimate_key(notes: impl Iterator<Item = (i32, f64)>) -> Key {
    let mut hist = [0.0f64; 12];
    for (p, d) in notes {
        if p >= 0 {
            hist[p.rem_euclid(12) as usize] += d.max(0.0);
        }
    }
    let corr = |profile: &[f64; 12], tonic: usize| -> f64 {
        let mx = hist.iter().sum::<f64>() / 12.0;
        let my = profile.iter().sum::<f64>() / 12.0;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for i in 0..12 {
            let x = hist[(i + tonic) % 12] - mx;
            let y = profile[i] - my;
            sxy += x * y;
            sxx += x * x;
            syy += y * y;
        }
        if sxx <= 0.0 {
            0.0
        } else {
            sxy / (sxx * syy).sqrt()
        }
    };
    let mut best = (f64::MIN, Key::new(PitchClass::new(0), Mode::Major));
    for tonic in 0..12 {
        for (profile, mode) in [
            (&MAJOR_PROFILE, Mode::Major),
            (&MINOR_PROFILE, Mode::NaturalMinor),
        ] {
            let c = corr(profile, tonic);
            if c > best.0 + 1e-12 {
                best = (c, Key::new(PitchClass::new(tonic as i32), mode));
            }
        }
    }
    best.1
}

/// A monophonic line from notes sorted by onset (highest first at equal onsets): the highest
/// note of each onset (or the lowest when `lowest`), each cut by the next onset; gaps are rests.
fn line(notes: &[SongNote], lowest: bool) -> Vec<(i32, f32)> {
    let mut picked: Vec<SongNote> = Vec::new();
    for n in notes {
        match picked.last_mut() {
            Some(last) if (last.start - n.start).abs() < 1e-6 => {
                if lowest && n.pitch < last.pitch {
                    *last = *n;
                }
            }
            _ => picked.push(*n),
        }
    }
    let mut out = Vec::new();
    let Some(first) = picked.first() else {
        return out;
    };
    let mut cursor = first.start;
    for (i, n) in picked.iter().enumerate() {
        if n.start > cursor + 1e-6 {
            out.push((-1, (n.start - cursor) as f32));
        }
        let stop = picked
            .get(i + 1)
            .map_or(n.end, |next| n.end.min(next.start));
        if stop > n.start {
            out.push((n.pitch as i32, (stop - n.start) as f32));
        }
        cursor = stop.max(cursor);
    }
    out
}

fn mean_pitch(notes: &[SongNote]) -> f64 {
    notes.iter().map(|n| n.pitch as f64).sum::<f64>() / notes.len().max(1) as f64
}

/// The chord (triad or dominant seventh) whose tones best match the duration-weighted pitch
/// classes sounding in `[from, to)`, or `None` when nothing sounds there.
fn chord_in(tracks: &[&Vec<SongNote>], from: f64, to: f64) -> Option<Chord> {
    let mut hist = [0.0f64; 12];
    let mut lowest: Option<(u8, f64)> = None;
    for t in tracks {
        for n in t.iter() {
            let d = n.end.min(to) - n.start.max(from);
            if d > 0.0 {
                hist[(n.pitch % 12) as usize] += d;
                if lowest.is_none_or(|(p, _)| n.pitch < p) {
                    lowest = Some((n.pitch, d));
                }
            }
        }
    }
    let total: f64 = hist.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut best = (f64::MIN, None);
    for root in 0..12 {
        for q in [
            ChordQuality::Major,
            ChordQuality::Minor,
            ChordQuality::Diminished,
            ChordQuality::Dominant7,
        ] {
            let tones = q.intervals();
            let inside: f64 = tones.iter().map(|&i| hist[(root + i as usize) % 12]).sum();
            // Tones of the chord that are heard, less what is heard outside it; sevenths and
            // diminished chords must earn their extra tone.
            let mut s = inside - (total - inside) * 1.2;
            s -= match q {
                ChordQuality::Dominant7 => 0.25 * total,
                ChordQuality::Diminished => 0.15 * total,
                _ => 0.0,
            };
            if lowest.is_some_and(|(p, _)| p as usize % 12 == root) {
                s += 0.1 * total;
            }
            if s > best.0 + 1e-12 {
                best = (s, Some(Chord::new(PitchClass::new(root as i32), q)));
            }
        }
    }
    best.1
}

impl Song {
    /// Reads a Standard MIDI File. Errors name what is wrong with it; a file without pitched
    /// notes is an error too.
    pub fn from_smf(bytes: &[u8]) -> Result<Song, GenError> {
        let raw = read_raw(bytes)?;
        let bar_beats = raw.bar_beats.unwrap_or(4.0);
        // The melody's track: the highest mean pitch among tracks with at least 8 notes (or
        // the longest track when none has that many).
        let candidates: Vec<usize> = (0..raw.tracks.len())
            .filter(|&i| raw.tracks[i].len() >= 8)
            .collect();
        let mel = if candidates.is_empty() {
            (0..raw.tracks.len()).max_by_key(|&i| raw.tracks[i].len())
        } else {
            candidates
                .iter()
                .copied()
                .max_by(|&a, &b| mean_pitch(&raw.tracks[a]).total_cmp(&mean_pitch(&raw.tracks[b])))
        }
        .ok_or_else(|| GenError::Midi("no track holds pitched notes".into()))?;
        let melody = line(&raw.tracks[mel], false);
        let all = raw.tracks.iter().flatten();
        let key = raw
            .key
            .unwrap_or_else(|| estimate_key(all.map(|n| (n.pitch as i32, n.end - n.start))));
        let others: Vec<&Vec<SongNote>> = raw
            .tracks
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != mel)
            .map(|(_, t)| t)
            .collect();
        // The bass: the lowest other track, clearly below the melody.
        let bass = others
            .iter()
            .filter(|t| t.len() >= 8)
            .min_by(|a, b| mean_pitch(a).total_cmp(&mean_pitch(b)))
            .filter(|t| mean_pitch(t) + 7.0 < mean_pitch(&raw.tracks[mel]))
            .map(|t| line(t, true));
        let end = raw
            .tracks
            .iter()
            .flatten()
            .map(|n| n.end)
            .fold(0.0f64, f64::max);
        let bars = (end / bar_beats).ceil() as usize;
        // A chord per bar is learnt from songs, not from a file whose last note ends days in
        // (a 96-byte file with a 2^28-tick delta made 67 M bars and took minutes).
        let chords = if others.is_empty() || bars == 0 || bars > MAX_CHORD_BARS {
            None
        } else {
            let per_bar: Vec<Option<Chord>> = (0..bars)
                .map(|b| chord_in(&others, b as f64 * bar_beats, (b + 1) as f64 * bar_beats))
                .collect();
            let heard = per_bar.iter().filter(|c| c.is_some()).count();
            (heard * 2 >= bars).then(|| per_bar.into_iter().flatten().collect())
        };
        Ok(Song {
            key,
            bar_beats,
            melody,
            bass,
            chords,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fuzz find (cargo fuzz, `midi` target): 96 bytes whose 2^28-tick delta put the last
    /// note 67 M bars in. It reads, without a chord per bar (it took minutes before).
    #[test]
    fn a_note_days_into_the_file_learns_no_chords_per_bar() {
        let hex = "4d546864000000060000000100014d54726b0000001a00904e614e0064ffffff7f8000408164000000060000000100014d54726b0000001a00904e614e0064ffffff7f80004081808000bc7f6403807f4064808000bc7f6403807f4064038000";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        match Song::from_smf(&bytes) {
            Ok(song) => assert!(song.chords.is_none(), "{:?}", song.chords.map(|c| c.len())),
            Err(e) => panic!("a readable file: {e}"),
        }
    }

    #[test]
    fn key_estimation_finds_major_and_minor_keys() {
        let scale = |tonic: i32, steps: &[i32]| {
            steps
                .iter()
                .map(move |s| (tonic + s, if *s == 0 || *s == 7 { 2.0 } else { 1.0 }))
                .collect::<Vec<_>>()
        };
        let g_major = scale(67, &[0, 2, 4, 5, 7, 9, 11, 12, 7, 4, 0]);
        assert_eq!(estimate_key(g_major.into_iter()).name(), "G major");
        let d_minor = scale(62, &[0, 2, 3, 5, 7, 8, 10, 12, 7, 3, 0]);
        assert_eq!(estimate_key(d_minor.into_iter()).name(), "D minor");
    }

    #[test]
    fn the_highest_voice_is_the_melody_and_ties_keep_the_top_note() {
        let n = |start: f64, end: f64, pitch: u8| SongNote { start, end, pitch };
        let notes = [
            n(0.0, 1.0, 72),
            n(0.0, 1.0, 60),
            n(1.0, 2.0, 74),
            n(3.0, 4.0, 76),
        ];
        assert_eq!(
            line(&notes, false),
            vec![(72, 1.0), (74, 1.0), (-1, 1.0), (76, 1.0)]
        );
        assert_eq!(line(&notes, true)[0], (60, 1.0));
    }

    #[test]
    fn chords_are_recognised_from_the_other_voices() {
        let n = |start: f64, end: f64, pitch: u8| SongNote { start, end, pitch };
        let am = vec![n(0.0, 4.0, 57), n(0.0, 4.0, 60), n(0.0, 4.0, 64)];
        let g7 = vec![
            n(0.0, 4.0, 55),
            n(0.0, 4.0, 59),
            n(0.0, 4.0, 62),
            n(0.0, 4.0, 65),
        ];
        assert_eq!(chord_in(&[&am], 0.0, 4.0).unwrap().to_string(), "Am");
        assert_eq!(chord_in(&[&g7], 0.0, 4.0).unwrap().to_string(), "G7");
        assert!(chord_in(&[&am], 4.0, 8.0).is_none());
    }
}
