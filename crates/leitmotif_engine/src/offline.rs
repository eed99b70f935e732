//! The one driver every backend runs — plan ahead, flush to the mixer, render — and the
//! whole-score offline renderer built on it.

use std::sync::Arc;

use leitmotif_core::Score;
use leitmotif_core::conductor::{Action, MusicEvent, TimedInput};

use crate::bank::SourceBank;
use crate::session::{ComposedBridge, Session};
use crate::sound::{MusicSound, Shared};
use crate::stream::StreamFault;

/// A session and its sound driven on one thread: each [`render`](Driver::render) plans the
/// block ([`Session::plan`]) and then mixes it. The offline renderer and the benches use it;
/// the Bevy plugin runs the same [`Session::plan`] on its planner and the same
/// [`MusicSound`] on the audio thread (or on its own thread when there is no device).
pub struct Driver {
    session: Session,
    sound: MusicSound,
    shared: Arc<Shared>,
    frame: u64,
    /// Frames planned ahead of the block being rendered (0 offline).
    lookahead: u64,
}

impl Driver {
    /// A driver for `score` over `bank`, seeded `seed`.
    pub fn new(score: Arc<Score>, bank: Arc<SourceBank>, seed: u64) -> Driver {
        Self::with_voices(score, bank, seed, crate::mixer::MAX_VOICES)
    }

    /// [`new`](Self::new) with a mixer of `voices` voices (see [`Session::with_voices`]).
    pub fn with_voices(
        score: Arc<Score>,
        bank: Arc<SourceBank>,
        seed: u64,
        voices: usize,
    ) -> Driver {
        let (session, mut sound, shared) = Session::with_voices(score, bank, seed, voices);
        // One thread plans and renders: wait for streamed stems rather than skip them.
        sound.set_wait_for_streams(true);
        Driver {
            session,
            sound,
            shared,
            frame: 0,
            lookahead: 0,
        }
    }

    /// Whether the mixer waits for streamed stems (the default here) or, like a real-time
    /// audio thread, plays silence for what the disk has not delivered (stall tests).
    pub fn set_wait_for_streams(&mut self, wait: bool) {
        self.sound.set_wait_for_streams(wait);
    }

    /// Behaves as on a device: each block is planned `lookahead` frames ahead of the audio
    /// (as the plugin's planner thread does, see [`device::Lookahead`](crate::device::Lookahead)),
    /// the mixer plays silence for streamed or stretched audio its workers have not delivered
    /// (counted as underruns) and the session renders live notes ahead instead of holding the
    /// plan up for them. Renders are then no longer reproducible bit for bit; soaks and stall
    /// tests use it to hear what a device would.
    pub fn set_real_time(&mut self, lookahead: u64) {
        self.sound.set_wait_for_streams(false);
        self.session.set_wait_for_renders(false);
        self.lookahead = lookahead;
    }

    /// The control side.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Queues an input.
    pub fn push(&mut self, input: TimedInput) {
        self.session.push(input);
    }

    /// What the audio side publishes.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The next frame to render.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Plans and renders the next `out.len()` frames (and the stems into `taps`, from 0);
    /// returns the events planned for them.
    pub fn render(
        &mut self,
        out: &mut [[f32; 2]],
        taps: Option<&mut [Vec<[f32; 2]>]>,
    ) -> &[MusicEvent] {
        let end = self.frame + out.len() as u64;
        self.session.plan(end + self.lookahead);
        self.sound.render_with_taps(out, taps, 0);
        self.frame = end;
        self.session.last_events()
    }

    /// Finishes the bridges still composing and returns the session.
    pub fn finish(mut self) -> Session {
        self.session.finish_composing();
        self.session
    }
}

/// Options of an offline render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Frames to render.
    pub frames: u64,
    /// Seed for everything random.
    pub seed: u64,
    /// Also sum each layer (by name) into its own stem.
    pub stems: bool,
    /// Frames rendered per block (the conductor plans one block ahead).
    pub block: usize,
    /// Voices the mixer can play at once ([`MAX_VOICES`](crate::mixer::MAX_VOICES) by
    /// default): a start beyond them is refused, counted and reported as an
    /// `EventKind::Overloaded` event.
    pub voices: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            frames: 0,
            seed: 0,
            stems: false,
            block: 512,
            voices: crate::mixer::MAX_VOICES,
        }
    }
}

/// The result of an offline render.
#[derive(Debug, Clone, Default)]
pub struct OfflineRender {
    /// The mix.
    pub mix: Vec<[f32; 2]>,
    /// Per-layer stems (`SourceBank::tap_names` order), when asked for.
    pub stems: Vec<Vec<[f32; 2]>>,
    /// Names of the stems.
    pub stem_names: Vec<String>,
    /// Every musical event.
    pub events: Vec<MusicEvent>,
    /// The whole plan.
    pub actions: Vec<Action>,
    /// Bridges composed.
    pub bridges: Vec<ComposedBridge>,
    /// Streamed stems that could not be read to the end (their missing frames rendered as
    /// silence): a render with any is not what the score says.
    pub stream_faults: Vec<StreamFault>,
}

/// Receives rendered audio block by block: the frame the block starts at, the mix, and (when
/// stems are asked for) one buffer per stem (`SourceBank::tap_names` order).
pub type Sink<'a> = dyn FnMut(u64, &[[f32; 2]], &[Vec<[f32; 2]>]) + 'a;

/// Renders a score offline with timed inputs, through the same mixer the live path uses,
/// streaming the audio to `sink` so that feature-length renders need no more memory than a
/// block. Returns the plan, events and bridges (with empty `mix`/`stems`).
///
/// The conductor plans each block before the mixer renders it, exactly as the live control
/// thread does ahead of the audio. Same score, bank, inputs and seed ⇒ bit-identical output.
pub fn render_to(
    score: Arc<Score>,
    bank: Arc<SourceBank>,
    inputs: &[TimedInput],
    opts: &RenderOptions,
    sink: &mut Sink<'_>,
) -> OfflineRender {
    let mut driver = Driver::with_voices(score, bank.clone(), opts.seed, opts.voices);
    for i in inputs {
        driver.push(i.clone());
    }
    let total = opts.frames as usize;
    let block = opts.block.max(1);
    let mut out = OfflineRender::default();
    let mut mix = vec![[0.0f32; 2]; block];
    let mut stems = Vec::new();
    if opts.stems {
        stems = vec![vec![[0.0f32; 2]; block]; bank.tap_names.len()];
        out.stem_names = bank.tap_names.clone();
    }
    let mut pos = 0usize;
    while pos < total {
        let n = block.min(total - pos);
        for s in &mut stems {
            s.truncate(n);
            s[..n].fill([0.0; 2]);
        }
        let events = driver.render(&mut mix[..n], opts.stems.then_some(&mut stems[..]));
        out.events.extend_from_slice(events);
        out.actions.extend_from_slice(driver.session().actions());
        sink(pos as u64, &mix[..n], &stems);
        pos += n;
    }
    let session = driver.finish();
    out.stream_faults = session.take_stream_faults();
    out.bridges = session.bridges().to_vec();
    out
}

/// Renders a score offline into memory. See [`render_to`].
pub fn render(
    score: Arc<Score>,
    bank: Arc<SourceBank>,
    inputs: &[TimedInput],
    opts: &RenderOptions,
) -> OfflineRender {
    let total = opts.frames as usize;
    let mut mix = Vec::with_capacity(total);
    let mut stems: Vec<Vec<[f32; 2]>> = Vec::new();
    let mut out = render_to(score, bank, inputs, opts, &mut |_, m, s| {
        mix.extend_from_slice(m);
        if stems.len() < s.len() {
            stems.resize_with(s.len(), || Vec::with_capacity(total));
        }
        for (dst, src) in stems.iter_mut().zip(s) {
            dst.extend_from_slice(src);
        }
    });
    out.mix = mix;
    out.stems = stems;
    out
}
