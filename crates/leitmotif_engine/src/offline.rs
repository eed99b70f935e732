//! Offline rendering: a kira backend that renders on demand, and a whole-score renderer.

use std::sync::Arc;

use kira::backend::{Backend, Renderer};
use leitmotif_core::Score;
use leitmotif_core::conductor::{Action, MusicEvent, TimedInput};

use crate::bank::SourceBank;
use crate::session::{ComposedBridge, Session};

/// A kira [`Backend`] with no device: [`OfflineBackend::render`] pulls frames as fast as the
/// CPU allows.
pub struct OfflineBackend {
    renderer: Option<Renderer>,
    sample_rate: u32,
}

impl Backend for OfflineBackend {
    type Settings = u32;
    type Error = std::convert::Infallible;

    fn setup(sample_rate: u32, _internal_buffer_size: usize) -> Result<(Self, u32), Self::Error> {
        Ok((
            OfflineBackend {
                renderer: None,
                sample_rate,
            },
            sample_rate,
        ))
    }

    fn start(&mut self, renderer: Renderer) -> Result<(), Self::Error> {
        self.renderer = Some(renderer);
        Ok(())
    }
}

impl OfflineBackend {
    /// The sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Renders interleaved stereo into `out` (length a multiple of 2).
    pub fn render(&mut self, out: &mut [f32]) {
        if let Some(r) = self.renderer.as_mut() {
            r.on_start_processing();
            r.process(out, 2);
        } else {
            out.fill(0.0);
        }
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
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            frames: 0,
            seed: 0,
            stems: false,
            block: 512,
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
    let (mut session, mut sound, _shared) = Session::new(score, bank.clone(), opts.seed);
    for i in inputs {
        session.push(i.clone());
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
        let events = session.advance_to((pos + n) as u64);
        out.events.extend_from_slice(events);
        out.actions.extend_from_slice(session.actions());
        session.flush();
        for s in &mut stems {
            s[..n].fill([0.0; 2]);
        }
        sound.render_with_taps(&mut mix[..n], opts.stems.then_some(&mut stems[..]), 0);
        if n < block {
            for s in &mut stems {
                s.truncate(n);
            }
        }
        sink(pos as u64, &mix[..n], &stems);
        pos += n;
    }
    session.finish_composing();
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
