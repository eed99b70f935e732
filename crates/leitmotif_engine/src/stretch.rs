//! Pitch-preserving time-stretch for voices that follow a changed tempo, done on worker
//! threads: the audio thread only reads rings.
//!
//! Built on Signalsmith Stretch (the `signalsmith-stretch` crate, MIT): a phase-vocoder with
//! multi-band peak tracking that keeps transients and pitch over the range a tempo cue asks
//! for (documented: half to twice a stem's speed, best within ±15 %). It is a header-only C++
//! library, so it builds with the C++ compiler and `libclang` (bindgen) and needs no system
//! library at run time. Rubber Band (GPL) and `SoundTouch` (LGPL, weaker on polyphonic material)
//! were the alternatives.
//!
//! * The conductor's `Warp` actions say, for a voice, where in its material it is heard from
//!   a frame on and how fast it goes; the plan is final up to the frame the conductor has
//!   reached (its horizon), a lookahead ahead of the audio.
//! * On a voice's first warp the control side starts a **stretch job** on a
//!   [`StretchPool`] worker and sends the mixer the read end of its ring (a
//!   [`StreamReader`] whose positions are output frames). The worker primes a [`Stretcher`]
//!   from the material before the warp (reading the bank's memory, or its own stream of the
//!   file), then writes the stretched output, frame by frame of the output timeline, but never
//!   past the horizon: what it writes can no longer change. The mixer plays the voice plainly
//!   until the warp's frame and from the ring after it, exactly as it plays a streamed stem.
//! * The output is cut into calls of [`CHUNK`] frames on the conductor's grid of control
//!   blocks, and at every warp, whatever the horizon or the thread timing: a render is the same, bit
//!   for bit, live or offline. Offline the mixer waits for the worker; live a late worker is an
//!   underrun (silence for the frames missed, counted), never a glitch on the grid.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use leitmotif_core::conductor::{CONTROL_BLOCK, STRETCH_RANGE, VoiceId};
use signalsmith_stretch::Stretch;

use crate::bank::{Clip, Loop};
use crate::mixer::{Audio, copy_source};
use crate::stream::{RING_SECONDS, StreamReader, StreamState, Streamer};

/// Output frames over which a stretched voice fades from its plain material (read at the new
/// speed) into the stretcher's sound, after an output latency of the plain material alone. A
/// phase vocoder primed at another speed than 1 neither carries on the plain waveform's phase
/// (switching outright would click) nor is it steady at once (its first output latency can
/// overshoot a little).
pub const CROSSFADE: usize = 512;

/// Output frames a stretch job renders per stretcher call: one control block of the conductor,
/// on its grid of absolute frames (fewer at a warp). The conductor plans whole control blocks,
/// so no call ever straddles the horizon.
pub const CHUNK: usize = CONTROL_BLOCK as usize;

/// One stereo stretcher and its latencies.
pub struct Stretcher {
    inner: Stretch,
    /// Input frames the stretcher holds before they are heard.
    pub input_latency: usize,
    /// Output frames between input and its output.
    pub output_latency: usize,
    /// Input frames worth giving it as pre-roll (a block and an interval).
    pub preroll: usize,
}

impl std::fmt::Debug for Stretcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stretcher")
            .field("input_latency", &self.input_latency)
            .field("output_latency", &self.output_latency)
            .finish()
    }
}

impl Stretcher {
    /// A stretcher for stereo audio at `sample_rate`, warmed up so that processing allocates
    /// nothing afterwards.
    ///
    /// The library's "cheaper" preset: 100 ms blocks, 40 ms interval, and the spectral work of
    /// each interval **split over the calls** of that interval (the default preset, 120 ms and
    /// 30 ms, does all of it in one call and costs about 1.6 times as much), so a worker
    /// serving many voices started together has an even load.
    pub fn new(sample_rate: u32) -> Self {
        let inner = Stretch::preset_cheaper(2, sample_rate);
        let (input_latency, output_latency) = (inner.input_latency(), inner.output_latency());
        let mut s = Stretcher {
            inner,
            input_latency,
            output_latency,
            preroll: (sample_rate as f64 * 0.15).round() as usize,
        };
        s.warm_up(sample_rate);
        s
    }

    /// Runs noise through it (at a range of speeds), so that every buffer the library grows
    /// while processing — its list of spectral peaks — has grown to its largest here.
    fn warm_up(&mut self, sample_rate: u32) {
        // A few analysis intervals of noise (the most peaks a spectrum has) are enough, and
        // keep making a stretcher cheap (the worker's `process` calls then allocate nothing).
        let n = (sample_rate as usize / 6).max(1024);
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let noise: Vec<f32> = (0..2 * n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let mut out = vec![0.0f32; 2 * 256];
        for (i, chunk) in noise.chunks(2 * 320).enumerate() {
            let frames = 128 + (i % 3) * 64;
            self.inner.process(chunk, &mut out[..2 * frames]);
        }
        self.reset();
    }

    /// Forgets all audio (before reuse).
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Runs the material leading up to where a voice is `heard` (at `rate`) through the
    /// stretcher, output discarded, so that its very next output is that position at full
    /// level (a plain pre-roll leaves its output buffer empty: the first 60 ms would fade in).
    /// Reads `source` (with `wrap`, a looped stem's next passes); frames before its start
    /// count as silence. Returns the source frame it has been fed up to, and what it was fed
    /// (source frames up to that one). Not for the audio thread: it allocates, and it waits
    /// for a streamed source.
    pub(crate) fn prime(
        &mut self,
        source: &mut Audio,
        wrap: Option<Loop>,
        heard: f64,
        rate: f64,
    ) -> (usize, Vec<[f32; 2]>) {
        let read_to = (heard + self.lead(rate)).floor().max(0.0) as usize;
        let n = self.preroll + self.output_latency;
        let mut input = vec![[0.0f32; 2]; n];
        let silent = n.saturating_sub(read_to);
        copy_source(
            source,
            wrap,
            read_to.saturating_sub(n),
            &mut input[silent..],
            true,
        );
        // Fed at `rate` (input per output), so its state is that of a voice playing at it.
        let per = (512.0 * rate).round().max(1.0) as usize;
        let mut out = vec![[0.0f32; 2]; 512];
        for chunk in input.chunks(per) {
            let m = ((chunk.len() as f64 / rate).round() as usize).clamp(1, 512);
            self.process(chunk, &mut out[..m]);
        }
        (read_to, input)
    }

    /// Consumes `input` and produces `output` (its own length): the ratio is the speed.
    pub fn process(&mut self, input: &[[f32; 2]], output: &mut [[f32; 2]]) {
        self.inner
            .process(input.as_flattened(), output.as_flattened_mut());
    }

    /// Source frames the read position leads what is heard by, at `rate`.
    pub fn lead(&self, rate: f64) -> f64 {
        self.input_latency as f64 + self.output_latency as f64 * rate
    }
}

/// A warp as the worker follows it: from output `frame` on, the voice is heard at `source`
/// and advances `rate` source frames per output frame.
#[derive(Debug, Clone, Copy)]
struct Span {
    frame: u64,
    source: f64,
    rate: f64,
}

impl Span {
    fn heard_at(&self, frame: u64) -> f64 {
        self.source + self.rate * (frame as f64 - self.frame as f64)
    }
}

enum ToWorker {
    Start(Box<Job>),
    Warp(VoiceId, Span),
}

/// One voice being stretched, on its worker.
struct Job {
    voice: VoiceId,
    clip: Clip,
    wrap: Option<Loop>,
    /// The warp in force at `frame`, and those after it.
    span: Span,
    later: VecDeque<Span>,
    /// The next output frame to write, and the next source frame to read.
    frame: u64,
    pos: usize,
    /// Its stretcher and where it reads its material (both made when it is primed).
    primed: Option<(Box<Stretcher>, Audio)>,
    /// The plain material from where the first warp hears it (for the crossfade), its first
    /// frame's source position, and the crossfade's frames done.
    plain: Vec<[f32; 2]>,
    plain_at: i64,
    faded: usize,
    /// Output frames of the plain material alone before the crossfade.
    hold: usize,
    ring: rtrb::Producer<[f32; 2]>,
    state: Arc<StreamState>,
}

/// What one worker thread keeps between jobs.
struct Scratch {
    input: Vec<[f32; 2]>,
    output: Vec<[f32; 2]>,
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Stretcher>>,
    sample_rate: u32,
    streamer: Option<Arc<Streamer>>,
}

impl Job {
    /// Writes what the horizon allows into the ring; returns whether anything was written,
    /// or `Err` when the job is over (its ring abandoned, or its material ended).
    fn fill(&mut self, horizon: u64, s: &mut Scratch) -> Result<bool, ()> {
        if self.ring.is_abandoned() {
            return Err(());
        }
        if self.primed.is_none() {
            let mut st = s
                .spare
                .pop()
                .unwrap_or_else(|| Box::new(Stretcher::new(s.sample_rate)));
            let (heard, rate) = (self.span.source, self.span.rate);
            let mut source = match &self.clip {
                Clip::Memory(stem) => Audio::Memory(stem.clone()),
                Clip::Stream(clip) => {
                    // Its own stream of the file, from where the pre-roll starts.
                    let from = (heard + st.lead(rate)).floor().max(0.0) as u64;
                    let from = from.saturating_sub((st.preroll + st.output_latency) as u64);
                    let reader = s
                        .streamer
                        .as_ref()
                        .map(|sm| sm.open(clip, self.voice, from, self.wrap));
                    Audio::Stream {
                        clip: clip.clone(),
                        reader,
                    }
                }
            };
            let (read_to, fed) = st.prime(&mut source, self.wrap, heard, rate);
            // The crossfade's plain frames, at up to twice the speed, are within what it was
            // fed (the lead, an input latency and an output latency at the speed, is longer).
            let base = read_to as i64 - fed.len() as i64;
            self.plain_at = heard.floor() as i64;
            let from = (self.plain_at - base).clamp(0, fed.len() as i64) as usize;
            self.plain = fed[from..].to_vec();
            self.hold = st.output_latency;
            self.pos = read_to;
            self.primed = Some((st, source));
        }
        let Some((st, source)) = self.primed.as_mut() else {
            return Err(());
        };
        let len = self.clip.len() as f64;
        let mut wrote = false;
        loop {
            while self.later.front().is_some_and(|w| w.frame <= self.frame) {
                self.span = self.later.pop_front().unwrap_or(self.span);
            }
            let into = (self.frame % CHUNK as u64) as usize;
            let end = (self.frame + (CHUNK - into) as u64)
                .min(self.later.front().map_or(u64::MAX, |w| w.frame));
            let m = (end - self.frame) as usize;
            if end > horizon || self.ring.slots() < m {
                return Ok(wrote);
            }
            let heard = self.span.heard_at(end);
            let rate = self.span.rate;
            let read_to = (heard + st.lead(rate)).floor().max(0.0) as usize;
            let n = read_to.saturating_sub(self.pos).min(s.input.len());
            copy_source(source, self.wrap, self.pos, &mut s.input[..n], true);
            self.pos += n;
            let out = &mut s.output[..m];
            st.process(&s.input[..n], out);
            if self.faded < self.hold + CROSSFADE {
                let (plain, at, hold) = (&self.plain, self.plain_at, self.hold);
                crossfade(
                    plain,
                    at,
                    hold,
                    &mut self.faded,
                    &self.span,
                    self.frame,
                    out,
                );
            }
            if let Ok(chunk) = self.ring.write_chunk_uninit(m) {
                chunk.fill_from_iter(out.iter().copied());
            }
            self.frame = end;
            wrote = true;
            if self.wrap.is_none() && heard >= len {
                return Err(());
            }
        }
    }
}

/// Blends the `plain` material (its first frame at source position `plain_at`) into `out`
/// (just stretched, for output frames from `frame` on) while the crossfade runs: each frame
/// plays the plain material where the voice is heard then (linearly interpolated): alone for
/// `hold` frames, then fading out over [`CROSSFADE`] frames (`faded` of them done).
fn crossfade(
    plain: &[[f32; 2]],
    plain_at: i64,
    hold: usize,
    faded: &mut usize,
    span: &Span,
    frame: u64,
    out: &mut [[f32; 2]],
) {
    let n = plain.len();
    for (j, o) in out.iter_mut().enumerate() {
        let k = *faded;
        if k >= hold + CROSSFADE || n == 0 {
            break;
        }
        let at = span.heard_at(frame + j as u64) - plain_at as f64;
        let i = (at.max(0.0) as usize).min(n - 1);
        let t = (at - i as f64).clamp(0.0, 1.0) as f32;
        let (a, b) = (plain[i], plain[(i + 1).min(n - 1)]);
        let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
        let x = k.saturating_sub(hold) as f32 / CROSSFADE as f32;
        o[0] = p[0] * (1.0 - x) + o[0] * x;
        o[1] = p[1] * (1.0 - x) + o[1] * x;
        *faded += 1;
    }
}

/// One stretching thread.
struct Worker {
    tx: mpsc::Sender<ToWorker>,
    thread: JoinHandle<()>,
    load: Arc<AtomicUsize>,
}

/// The stretch workers of a session (started on the first stretched voice; one per core, at
/// most [`MAX_WORKERS`]), and which voice each one serves. See the [module docs](self).
pub struct StretchPool {
    sample_rate: u32,
    streamer: Option<Arc<Streamer>>,
    workers: Vec<Worker>,
    /// The frame up to which every warp has been sent (shared with the workers).
    horizon: Arc<AtomicU64>,
    /// Time the workers spent stretching, in nanoseconds.
    busy: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    /// Set by [`set_stalled`](StretchPool::set_stalled): the workers write nothing.
    stalled: Arc<AtomicBool>,
    routes: HashMap<VoiceId, usize>,
}

/// Most stretching threads a session starts.
pub const MAX_WORKERS: usize = 4;

impl StretchPool {
    /// A pool for a session at `sample_rate`; streamed clips are read through `streamer`.
    pub fn new(sample_rate: u32, streamer: Option<Arc<Streamer>>) -> StretchPool {
        StretchPool {
            sample_rate,
            streamer,
            workers: Vec::new(),
            horizon: Arc::new(AtomicU64::new(0)),
            busy: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            stalled: Arc::new(AtomicBool::new(false)),
            routes: HashMap::new(),
        }
    }

    fn spawn(&mut self) {
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_WORKERS);
        for i in 0..n {
            let (tx, rx) = mpsc::channel();
            let load = Arc::new(AtomicUsize::new(0));
            let scratch = Scratch {
                // A call reads at most twice its output, plus a lead's change of rate.
                input: vec![[0.0; 2]; 4 * CHUNK + self.sample_rate as usize / 4],
                output: vec![[0.0; 2]; CHUNK],
                spare: Vec::new(),
                sample_rate: self.sample_rate,
                streamer: self.streamer.clone(),
            };
            let shared = Flags {
                horizon: self.horizon.clone(),
                busy: self.busy.clone(),
                stop: self.stop.clone(),
                stalled: self.stalled.clone(),
                load: load.clone(),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("leitmotif-stretch-{i}"))
                .spawn(move || work(rx, scratch, shared));
            if let Ok(thread) = spawned {
                self.workers.push(Worker { tx, thread, load });
            }
        }
    }

    /// Whether `voice` is being stretched.
    pub fn has(&self, voice: VoiceId) -> bool {
        self.routes.contains_key(&voice)
    }

    /// Starts stretching `voice` (playing `clip`, looped by `wrap`) from its first warp: at
    /// output `frame` it is heard at `source` and goes `rate` source frames per output frame.
    /// Returns the ring's read end, for the mixer.
    pub fn start(
        &mut self,
        voice: VoiceId,
        clip: Clip,
        wrap: Option<Loop>,
        (frame, source, rate): (u64, f64, f64),
    ) -> StreamReader {
        if self.workers.is_empty() {
            self.spawn();
        }
        // Room for the longest lookahead a planner keeps (half a second) and more.
        let cap = ((2.0 * RING_SECONDS * self.sample_rate as f64) as usize).max(4096);
        let (producer, consumer) = rtrb::RingBuffer::new(cap);
        let worker =
            (0..self.workers.len()).min_by_key(|&i| self.workers[i].load.load(Ordering::Acquire));
        let state = Arc::new(StreamState::new(
            worker.map_or_else(std::thread::current, |i| {
                self.workers[i].thread.thread().clone()
            }),
        ));
        let span = Span {
            frame,
            source: source.max(0.0),
            rate: rate.clamp(STRETCH_RANGE.0, STRETCH_RANGE.1),
        };
        let job = Box::new(Job {
            voice,
            clip,
            wrap,
            span,
            later: VecDeque::new(),
            frame,
            pos: 0,
            primed: None,
            plain: Vec::new(),
            plain_at: 0,
            faded: 0,
            hold: 0,
            ring: producer,
            state: state.clone(),
        });
        match worker {
            Some(i) if self.workers[i].tx.send(ToWorker::Start(job)).is_ok() => {
                self.workers[i].load.fetch_add(1, Ordering::AcqRel);
                self.workers[i].thread.thread().unpark();
                self.routes.insert(voice, i);
            }
            _ => state.fail(),
        }
        StreamReader::new(voice, consumer, frame, state)
    }

    /// A later warp of a voice being stretched.
    pub fn warp(&mut self, voice: VoiceId, (frame, source, rate): (u64, f64, f64)) {
        if let Some(&i) = self.routes.get(&voice) {
            let span = Span {
                frame,
                source: source.max(0.0),
                rate: rate.clamp(STRETCH_RANGE.0, STRETCH_RANGE.1),
            };
            let _ = self.workers[i].tx.send(ToWorker::Warp(voice, span));
        }
    }

    /// The voice was stopped: no more warps for it (its job ends when the mixer lets go of
    /// its ring).
    pub fn forget(&mut self, voice: VoiceId) {
        self.routes.remove(&voice);
    }

    /// Every warp before `frame` has been sent: the workers may write up to it.
    pub fn set_horizon(&self, frame: u64) {
        self.horizon.fetch_max(frame, Ordering::AcqRel);
        for w in &self.workers {
            w.thread.thread().unpark();
        }
    }

    /// Stops (or resumes) all stretching, as an overloaded machine would (fault tests): voices
    /// whose stretched sound is late play on at their own speed, counted as underruns once
    /// their tempo has changed.
    pub fn set_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::Release);
        for w in &self.workers {
            w.thread.thread().unpark();
        }
    }

    /// Time the workers have spent stretching so far.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy.load(Ordering::Relaxed))
    }
}

impl Drop for StretchPool {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for w in std::mem::take(&mut self.workers) {
            drop(w.tx);
            w.thread.thread().unpark();
            let _ = w.thread.join();
        }
    }
}

/// What a worker shares with its pool.
struct Flags {
    horizon: Arc<AtomicU64>,
    busy: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    load: Arc<AtomicUsize>,
}

fn work(rx: mpsc::Receiver<ToWorker>, mut s: Scratch, f: Flags) {
    let Flags {
        horizon,
        busy,
        stop,
        stalled,
        load,
    } = f;
    let mut jobs: Vec<Box<Job>> = Vec::new();
    while !stop.load(Ordering::Acquire) {
        // The horizon first: every warp before it was sent before it was published.
        let h = horizon.load(Ordering::Acquire);
        loop {
            match rx.try_recv() {
                Ok(ToWorker::Start(job)) => jobs.push(job),
                Ok(ToWorker::Warp(voice, span)) => {
                    if let Some(j) = jobs.iter_mut().rev().find(|j| j.voice == voice) {
                        j.later.push_back(span);
                    }
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        if stalled.load(Ordering::Acquire) {
            std::thread::park_timeout(Duration::from_millis(2));
            continue;
        }
        let t = Instant::now();
        let mut wrote = false;
        jobs.retain_mut(|j| match j.fill(h, &mut s) {
            Ok(w) => {
                wrote |= w;
                true
            }
            Err(()) => {
                j.state.done.store(true, Ordering::Release);
                load.fetch_sub(1, Ordering::AcqRel);
                if let Some((mut st, _)) = j.primed.take() {
                    st.reset();
                    s.spare.push(st);
                }
                false
            }
        });
        if wrote {
            busy.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        } else {
            std::thread::park_timeout(Duration::from_millis(2));
        }
    }
}
