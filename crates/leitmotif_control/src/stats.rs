//! Counters of what the listeners received, applied and refused (atomics: read from any thread).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a message did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Not an OSC packet or MIDI message (garbage, truncated, nested too deep).
    Malformed,
    /// Well formed, but nothing is bound to it (an unknown address, note or name).
    Unmapped,
    /// The argument has the wrong type (a string for a parameter, no argument).
    WrongType,
    /// NaN or infinite.
    NotANumber,
    /// Outside the binding's `input` range (and the binding does not clamp).
    OutOfRange,
}

/// Live counters, shared by a listener and whoever shows them.
#[derive(Debug, Default)]
pub struct Counters {
    received: AtomicU64,
    applied: AtomicU64,
    ignored: AtomicU64,
    malformed: AtomicU64,
    unmapped: AtomicU64,
    wrong_type: AtomicU64,
    not_a_number: AtomicU64,
    out_of_range: AtomicU64,
    /// The last refusal, in words (listener threads only; never the audio thread).
    last: Mutex<Option<String>>,
}

/// A copy of the [`Counters`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages received (each message of an OSC bundle counts; a packet that does not
    /// decode counts once).
    pub received: u64,
    /// Messages that became an [`Action`](crate::Action).
    pub applied: u64,
    /// Messages deliberately ignored: note-offs, a trigger's release (a 0 argument), MIDI
    /// clock and system messages.
    pub ignored: u64,
    /// See [`Refusal::Malformed`].
    pub malformed: u64,
    /// See [`Refusal::Unmapped`].
    pub unmapped: u64,
    /// See [`Refusal::WrongType`].
    pub wrong_type: u64,
    /// See [`Refusal::NotANumber`].
    pub not_a_number: u64,
    /// See [`Refusal::OutOfRange`].
    pub out_of_range: u64,
    /// The last refusal, in words.
    pub last_refusal: Option<String>,
}

impl Stats {
    /// Messages refused, whatever the reason.
    pub fn refused(&self) -> u64 {
        self.malformed + self.unmapped + self.wrong_type + self.not_a_number + self.out_of_range
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} received, {} applied, {} ignored, {} refused",
            self.received,
            self.applied,
            self.ignored,
            self.refused()
        )?;
        if self.refused() > 0 {
            write!(
                f,
                " ({} malformed, {} unmapped, {} wrong type, {} NaN, {} out of range",
                self.malformed,
                self.unmapped,
                self.wrong_type,
                self.not_a_number,
                self.out_of_range
            )?;
            if let Some(last) = &self.last_refusal {
                write!(f, "; last: {last}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl Counters {
    /// Counts a message received.
    pub fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message applied.
    pub fn applied(&self) {
        self.applied.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message ignored on purpose.
    pub fn ignored(&self) {
        self.ignored.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a refused message and keeps `why` as the last refusal.
    pub fn refused(&self, reason: Refusal, why: impl FnOnce() -> String) {
        let c = match reason {
            Refusal::Malformed => &self.malformed,
            Refusal::Unmapped => &self.unmapped,
            Refusal::WrongType => &self.wrong_type,
            Refusal::NotANumber => &self.not_a_number,
            Refusal::OutOfRange => &self.out_of_range,
        };
        c.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(why());
        }
    }

    /// A copy of the counters.
    pub fn stats(&self) -> Stats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            received: g(&self.received),
            applied: g(&self.applied),
            ignored: g(&self.ignored),
            malformed: g(&self.malformed),
            unmapped: g(&self.unmapped),
            wrong_type: g(&self.wrong_type),
            not_a_number: g(&self.not_a_number),
            out_of_range: g(&self.out_of_range),
            last_refusal: self.last.lock().ok().and_then(|l| l.clone()),
        }
    }
}
