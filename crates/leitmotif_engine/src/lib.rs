//! Leitmotif's engine: the conductor's plan played sample-accurately, live through kira or
//! offline into buffers and files.
//!
//! * [`SourceBank`] holds every stem, stinger and segment of a score decoded and resampled to
//!   the output rate (generated layers are synthesised by `leitmotif_gen` at load).
//! * [`Mixer`] is the realtime part: a fixed pool of voices that start, stop and ramp on the
//!   exact frame an [`Action`](leitmotif_core::conductor::Action) names, inside kira's 128-frame
//!   chunks, sum into the score's buses (effects, sends, sidechain ducking, snapshots: see
//!   [`leitmotif_core::score::Mix`]) and pass a limiter.
//! * [`MusicSound`] wraps the mixer as a kira [`Sound`](kira::sound::Sound), fed by a
//!   preallocated `rtrb` ring buffer; [`Session`] is its control side.
//! * [`Driver`] runs the one loop every backend runs (plan ahead → flush → render);
//!   [`render`] drives a whole score offline with it, and [`wav`] writes the result.

pub mod bank;
pub mod device;
pub mod meter;
pub mod mixer;
pub mod offline;
pub mod session;
pub mod sound;
pub mod stream;
pub mod stretch;
pub mod wav;

pub use bank::{BankOptions, Clip, LoadError, SourceBank, Stem};
pub use mixer::{Mixer, Msg, Overloads};
pub use offline::{Driver, OfflineRender, RenderOptions, Sink, render, render_to};
pub use session::Session;
pub use sound::{MusicSound, Shared, render_into_frames};
pub use stream::StreamFault;
