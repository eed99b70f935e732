//! Stems played from disk: a worker thread decodes ahead into one fixed ring per playing
//! voice; the audio thread only reads rings.
//!
//! * [`StreamClip`] is a file in the bank: its length (from the header) and a preload of its
//!   first [`PRELOAD_SECONDS`], so every start from the top — bar 1, the pickup, each pass of
//!   a loop — is sample-exact without waiting for the disk.
//! * [`Streamer`] owns the worker. When the control side plans a start of a streamed clip it
//!   asks [`Streamer::open`] for a [`StreamReader`] (the ring's read end) and sends it to the
//!   mixer ahead of the start; the worker starts decoding at once, so the lookahead is the
//!   time the disk has. Voices stopped hand their reader back to the control side, which
//!   drops it there; the worker sees the ring abandoned and stops decoding.
//! * A ring that runs dry is never a glitch: the voice plays silence for the frames it
//!   missed, stays on the grid (late frames are skipped when they arrive) and the mixer
//!   counts the underrun. Offline renders wait for the worker instead, so a render is the
//!   same, bit for bit, whatever the disk did.
//! * A file that breaks while it streams (deleted, unreadable, truncated) is a
//!   [`StreamFault`] the worker records with the file, the frame and the decoder's reason
//!   ([`Streamer::take_faults`]); the audio thread only sees the stream end early and plays
//!   silence for the rest.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use leitmotif_core::conductor::VoiceId;

use crate::bank::Loop;
use crate::bank::resample::Segments;

/// Length of the preload of every streamed clip, in seconds.
pub const PRELOAD_SECONDS: f64 = 0.5;
/// Capacity of a voice's ring, in seconds of output.
pub const RING_SECONDS: f64 = 0.5;

/// A file in the bank that plays from disk. See the [module docs](self).
#[derive(Debug)]
pub struct StreamClip {
    /// The file.
    pub path: PathBuf,
    /// Length in output frames.
    pub len: u64,
    /// Output sample rate.
    pub rate: u32,
    preload: Vec<[f32; 2]>,
}

impl StreamClip {
    /// A clip of `path` from its opened reader (nothing read yet): decodes the preload.
    pub fn from_segments(path: &Path, mut seg: Segments) -> Result<StreamClip, String> {
        let rate = seg.rate();
        let want = ((PRELOAD_SECONDS * rate as f64) as u64).min(seg.len()) as usize;
        let mut preload = Vec::with_capacity(want);
        let mut part = Vec::new();
        while preload.len() < want && seg.next(&mut part)? {
            preload.extend_from_slice(&part);
        }
        preload.resize(want, [0.0; 2]);
        Ok(StreamClip {
            path: path.to_path_buf(),
            len: seg.len(),
            rate,
            preload,
        })
    }

    /// The first frames, always in memory.
    pub fn preload(&self) -> &[[f32; 2]] {
        &self.preload
    }

    /// Decodes `frames` output frames from the top, the way the stream plays them (level
    /// analysis; never on the audio thread).
    pub fn read_head(&self, frames: u64) -> Result<Vec<[f32; 2]>, String> {
        let mut seg = Segments::open(&self.path, self.rate)?;
        let mut out = Vec::new();
        let mut sec = Vec::new();
        while (out.len() as u64) < frames.min(self.len) && seg.next(&mut sec)? {
            out.extend_from_slice(&sec);
        }
        out.truncate(frames.min(self.len) as usize);
        Ok(out)
    }
}

/// A streamed file that could not be read to the end: deleted, unreadable or truncated
/// while it played (or before it was first streamed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFault {
    /// The file.
    pub path: PathBuf,
    /// Output frame of the clip (counted from its start) at which reading failed.
    pub frame: u64,
    /// Output sample rate (of `frame`).
    pub rate: u32,
    /// The decoder's or the system's reason.
    pub reason: String,
}

impl std::fmt::Display for StreamFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: could not be read past {:.2} s of the stem: {}",
            self.path.display(),
            self.frame as f64 / f64::from(self.rate.max(1)),
            self.reason
        )
    }
}

/// Faults the workers recorded, for the control side to take.
type Faults = Arc<Mutex<Vec<StreamFault>>>;

/// Most faults kept until taken (a file that keeps failing on every pass of a loop).
const MAX_FAULTS: usize = 256;

/// What the worker and the mixer share about one stream.
#[derive(Debug)]
pub struct StreamState {
    /// The worker will push nothing more (end of the clip, an error, or abandoned).
    pub done: AtomicBool,
    /// Reading failed (the file became unreadable or truncated).
    pub failed: AtomicBool,
    /// The worker, to wake when a waiting (offline) mixer needs frames.
    worker: Thread,
}

impl StreamState {
    /// The state of a stream filled by the thread `worker` (woken by [`wake`](Self::wake)).
    pub fn new(worker: Thread) -> StreamState {
        StreamState {
            done: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            worker,
        }
    }

    /// Marks a stream no worker will ever fill (the worker thread is gone): read as failed.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Release);
        self.done.store(true, Ordering::Release);
    }

    /// Wakes the worker (offline renders waiting for frames).
    pub fn wake(&self) {
        self.worker.unpark();
    }
}

/// The audio thread's end of a stream: the ring's consumer and where it is in the clip.
pub struct StreamReader {
    /// The voice this stream belongs to.
    pub voice: VoiceId,
    /// Frames decoded ahead.
    pub ring: rtrb::Consumer<[f32; 2]>,
    /// Clip position (output frames) of the ring's next frame.
    pub pos: u64,
    /// Shared with the worker.
    pub state: Arc<StreamState>,
    /// A failure of this stream was counted already.
    pub reported: bool,
}

impl StreamReader {
    /// The read end of `ring`, whose next frame is at `pos`.
    pub fn new(
        voice: VoiceId,
        ring: rtrb::Consumer<[f32; 2]>,
        pos: u64,
        state: Arc<StreamState>,
    ) -> StreamReader {
        StreamReader {
            voice,
            ring,
            pos,
            state,
            reported: false,
        }
    }
}

impl std::fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("voice", &self.voice)
            .field("pos", &self.pos)
            .field("ready", &self.ring.slots())
            .finish()
    }
}

struct Open {
    clip: Arc<StreamClip>,
    start: u64,
    /// A looping cue's stem: at the end, decoding goes on a body earlier (the next pass).
    looped: Option<Loop>,
    ring: rtrb::Producer<[f32; 2]>,
    state: Arc<StreamState>,
}

/// One decoding thread and how many streams it serves.
struct Worker {
    tx: mpsc::Sender<Open>,
    thread: JoinHandle<()>,
    load: Arc<AtomicUsize>,
}

/// The decoding workers (one per core, at most [`MAX_WORKERS`]). See the [module docs](self).
pub struct Streamer {
    workers: Vec<Worker>,
    paused: Arc<AtomicBool>,
    faults: Faults,
}

/// Most decoding threads a streamer starts.
pub const MAX_WORKERS: usize = 4;

impl Default for Streamer {
    fn default() -> Self {
        Self::new()
    }
}

impl Streamer {
    /// Starts the worker threads.
    pub fn new() -> Streamer {
        let paused = Arc::new(AtomicBool::new(false));
        let faults = Faults::default();
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_WORKERS);
        let workers = (0..n)
            .filter_map(|i| {
                let (tx, rx) = mpsc::channel();
                let (p, load) = (paused.clone(), Arc::new(AtomicUsize::new(0)));
                let (l, f) = (load.clone(), faults.clone());
                let thread = std::thread::Builder::new()
                    .name(format!("leitmotif-stream-{i}"))
                    .spawn(move || work(rx, p, l, f))
                    .ok()?;
                Some(Worker { tx, thread, load })
            })
            .collect();
        Streamer {
            workers,
            paused,
            faults,
        }
    }

    /// The files that broke while streaming since the last call, in the order they failed
    /// (at most 256 kept between calls). The control side reports them.
    pub fn take_faults(&self) -> Vec<StreamFault> {
        std::mem::take(&mut *self.faults.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A stream of `clip` from output frame `start`, decoding from now on (on the least busy
    /// worker). Called on the control side (it allocates the ring).
    ///
    /// With `looped` (a layer of a looping cue), decoding does not stop at the clip's end but
    /// goes on with the next pass (a body earlier), so a time-stretched voice can play the
    /// loop on; a plain voice stops at the end and the ring is dropped.
    pub fn open(
        &self,
        clip: &Arc<StreamClip>,
        voice: VoiceId,
        start: u64,
        looped: Option<Loop>,
    ) -> StreamReader {
        let cap = ((RING_SECONDS * clip.rate as f64) as usize).max(4096);
        let (producer, consumer) = rtrb::RingBuffer::new(cap);
        let worker = self
            .workers
            .iter()
            .min_by_key(|w| w.load.load(Ordering::Acquire));
        let state = Arc::new(StreamState::new(
            worker.map_or_else(std::thread::current, |w| w.thread.thread().clone()),
        ));
        let open = Open {
            clip: clip.clone(),
            start,
            looped,
            ring: producer,
            state: state.clone(),
        };
        match worker {
            Some(w) if w.tx.send(open).is_ok() => {
                w.load.fetch_add(1, Ordering::AcqRel);
                w.thread.thread().unpark();
            }
            _ => state.fail(),
        }
        StreamReader::new(voice, consumer, start, state)
    }

    /// Stops (or resumes) all decoding, as a stalled disk would (fault tests and demos).
    pub fn set_stalled(&self, stalled: bool) {
        self.paused.store(stalled, Ordering::Release);
        for w in &self.workers {
            w.thread.thread().unpark();
        }
    }
}

impl Drop for Streamer {
    fn drop(&mut self) {
        for w in std::mem::take(&mut self.workers) {
            drop(w.tx);
            w.thread.thread().unpark();
            let _ = w.thread.join();
        }
    }
}

/// One stream on the worker.
struct Active {
    open: Open,
    seg: Option<Segments>,
    /// Decoded frames not yet in the ring, and how many of them were pushed.
    pending: Vec<[f32; 2]>,
    sent: usize,
    /// Frames of the first decoded segment to drop (the stream starts inside it).
    skip: usize,
    /// Clip frame the next decoded segment starts at.
    decoded: u64,
}

impl Active {
    /// Moves decoded frames into the ring; returns whether anything moved, or `Err` when the
    /// stream is over: `Err(None)` at its end or abandoned, `Err(Some(reason))` when reading
    /// failed.
    fn fill(&mut self) -> Result<bool, Option<String>> {
        if self.open.ring.is_abandoned() {
            return Err(None);
        }
        let seg = match self.seg.as_mut() {
            Some(s) => s,
            None => {
                let mut s =
                    Segments::open(&self.open.clip.path, self.open.clip.rate).map_err(Some)?;
                let segment = s.segment();
                s.seek_segment(self.open.start / segment).map_err(Some)?;
                self.skip = (self.open.start % segment) as usize;
                self.decoded = self.open.start / segment * segment;
                self.seg.insert(s)
            }
        };
        let mut moved = false;
        loop {
            if self.sent == self.pending.len() {
                match seg.next(&mut self.pending) {
                    Ok(true) => {
                        self.decoded += self.pending.len() as u64;
                        self.sent = self.skip.min(self.pending.len());
                        self.skip = 0;
                    }
                    Ok(false) => match self.open.looped {
                        // The next pass: from a body before the end.
                        Some(l) => {
                            let len = self.open.clip.len;
                            let restart = len - (l.body as u64).clamp(1, len);
                            let segment = seg.segment();
                            seg.seek_segment(restart / segment).map_err(Some)?;
                            self.skip = (restart % segment) as usize;
                            self.decoded = restart / segment * segment;
                            self.pending.clear();
                            self.sent = 0;
                        }
                        None => return Err(None),
                    },
                    Err(e) => return Err(Some(e)),
                }
            }
            let free = self.open.ring.slots();
            if free == 0 {
                return Ok(moved);
            }
            let n = free.min(self.pending.len() - self.sent);
            let Ok(chunk) = self.open.ring.write_chunk_uninit(n) else {
                return Ok(moved);
            };
            let src = &self.pending[self.sent..self.sent + n];
            let written = chunk.fill_from_iter(src.iter().copied());
            self.sent += written;
            moved = true;
        }
    }

    /// The fault of this stream, failed for `reason`.
    fn fault(&self, reason: String) -> StreamFault {
        StreamFault {
            path: self.open.clip.path.clone(),
            frame: self.decoded.max(self.open.start),
            rate: self.open.clip.rate,
            reason,
        }
    }
}

fn work(rx: mpsc::Receiver<Open>, paused: Arc<AtomicBool>, load: Arc<AtomicUsize>, faults: Faults) {
    let mut active: Vec<Active> = Vec::new();
    loop {
        loop {
            match rx.try_recv() {
                Ok(open) => active.push(Active {
                    open,
                    seg: None,
                    pending: Vec::new(),
                    sent: 0,
                    skip: 0,
                    decoded: 0,
                }),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        if paused.load(Ordering::Acquire) {
            std::thread::park_timeout(Duration::from_millis(2));
            continue;
        }
        let mut worked = false;
        active.retain_mut(|a| match a.fill() {
            Ok(moved) => {
                worked |= moved;
                true
            }
            Err(failed) => {
                if let Some(reason) = failed {
                    let mut f = faults.lock().unwrap_or_else(PoisonError::into_inner);
                    if f.len() < MAX_FAULTS {
                        f.push(a.fault(reason));
                    }
                    a.open.state.failed.store(true, Ordering::Release);
                }
                a.open.state.done.store(true, Ordering::Release);
                load.fetch_sub(1, Ordering::AcqRel);
                false
            }
        });
        if !worked {
            std::thread::park_timeout(Duration::from_millis(2));
        }
    }
}
