//! Clips already loaded, found again by file, modification time, size, output rate and load
//! mode: a hot reload (or a second score naming the same file) reuses them instead of
//! decoding again, so two banks never hold two copies of an unchanged stem.
//!
//! Entries are weak: a clip no bank holds any more is freed as usual.

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use leitmotif_core::score::Load;

use super::{Clip, Stem};
use crate::stream::StreamClip;

/// What makes two loads of a file the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    path: PathBuf,
    modified: Option<SystemTime>,
    size: u64,
    rate: u32,
    load: Load,
    /// The stream threshold (bits of the `f64`), which decides `Auto`.
    threshold: u64,
}

impl Key {
    pub fn new(path: &Path, meta: &Metadata, rate: u32, load: Load, threshold: f64) -> Key {
        Key {
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            modified: meta.modified().ok(),
            size: meta.len(),
            rate,
            load,
            threshold: threshold.to_bits(),
        }
    }
}

enum Held {
    Memory(Weak<Stem>),
    Stream(Weak<StreamClip>),
}

static CLIPS: Mutex<Vec<(Key, Held)>> = Mutex::new(Vec::new());

/// The clip loaded for `key`, if some bank still holds it.
pub fn find(key: &Key) -> Option<Clip> {
    let clips = CLIPS.lock().ok()?;
    clips
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, h)| match h {
            Held::Memory(w) => w.upgrade().map(Clip::Memory),
            Held::Stream(w) => w.upgrade().map(Clip::Stream),
        })
}

/// Remembers `clip` for `key` (and forgets clips nobody holds).
pub fn keep(key: Key, clip: &Clip) {
    let Ok(mut clips) = CLIPS.lock() else {
        return;
    };
    clips.retain(|(k, h)| {
        k != &key
            && match h {
                Held::Memory(w) => w.strong_count() > 0,
                Held::Stream(w) => w.strong_count() > 0,
            }
    });
    let held = match clip {
        Clip::Memory(s) => Held::Memory(Arc::downgrade(s)),
        Clip::Stream(c) => Held::Stream(Arc::downgrade(c)),
    };
    clips.push((key, held));
}
