//! Spotting notes as moods: the cue of an entry that gives only a `note` is
//! the score cue nearest the note's mood ([`assign_cues`]).

use std::fmt;
use std::path::Path;

use leitmotif_core::Score;
use serde::Serialize;

use super::{SpotError, SpottingList};
use crate::autospot::nearest_mood_cue;
use crate::error::Location;
use crate::lexicon::Lexicon;

/// A cue chosen from a spotting note by [`assign_cues`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CueFromNote {
    /// 1-based source line of the cue entry.
    pub line: usize,
    /// The note.
    pub note: String,
    /// The note's mood, (valence, arousal) in -1..1.
    pub mood: (f32, f32),
    /// The score cue chosen.
    pub cue: String,
}

impl fmt::Display for CueFromNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: cue \"{}\" chosen from the note \"{}\" (valence {:.2}, arousal {:.2})",
            self.line, self.cue, self.note, self.mood.0, self.mood.1
        )
    }
}

/// Chooses the cue of every cue entry that gave only a note: the note is read
/// with `lexicon` ([`Lexicon::mood`]: negation, intensifiers and all) and the
/// score cue whose `mood` is nearest wins, by the rule auto-spotting uses
/// ([`nearest_mood_cue`]). Entries that name a cue keep it (their note is only
/// carried to the outputs). Returns what was chosen, in list order.
///
/// `path` is the spotting list, for messages. Errors are located at the note:
/// [`SpotError::NoCueMoods`] when no cue of `score` has a mood,
/// [`SpotError::NoMoodInNote`] when the note has no mood word. On an error
/// `list` is left as it was.
pub fn assign_cues(
    list: &mut SpottingList,
    score: &Score,
    lexicon: &Lexicon,
    path: Option<&Path>,
) -> Result<Vec<CueFromNote>, SpotError> {
    let mut chosen: Vec<(usize, CueFromNote)> = Vec::new();
    for (i, spot) in list.cues.iter().enumerate().filter(|(_, s)| s.needs_cue()) {
        let note = spot.note.as_deref().unwrap_or_default();
        let (line, column) = match spot.note_at {
            (0, _) => (spot.line, 0),
            at => at,
        };
        let at = Location::new(path.map(Path::to_path_buf), line, column);
        if score.cues.iter().all(|c| c.mood.is_none()) {
            let cues: Vec<&str> = score.cues.iter().map(|c| c.name.as_str()).collect();
            return Err(SpotError::NoCueMoods {
                at,
                note: note.into(),
                cues: if cues.is_empty() {
                    "none".into()
                } else {
                    cues.join(", ")
                },
            });
        }
        let mood = lexicon.mood(note);
        let Some(((valence, arousal), cue)) =
            mood.and_then(|(v, a)| Some(((v, a), nearest_mood_cue(score, v, a)?)))
        else {
            let example = score
                .cues
                .iter()
                .find(|c| c.mood.is_some())
                .map_or("…", |c| c.name.as_str());
            let csv = path
                .and_then(Path::extension)
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            return Err(SpotError::NoMoodInNote {
                at,
                note: note.into(),
                how: if csv {
                    format!(" in the `name` column, e.g. {example}")
                } else {
                    format!(", e.g. `cue: \"{example}\"`")
                },
            });
        };
        chosen.push((
            i,
            CueFromNote {
                line: spot.line,
                note: note.into(),
                mood: (valence, arousal),
                cue: cue.into(),
            },
        ));
    }
    for (i, c) in &chosen {
        list.cues[*i].cue.clone_from(&c.cue);
    }
    Ok(chosen.into_iter().map(|(_, c)| c).collect())
}
