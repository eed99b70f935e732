//! Seeded random numbers shared by the generators.

use rand::SeedableRng;
use rand_pcg::Pcg64;

/// The generator used everywhere: PCG64, seeded deterministically.
pub(crate) type GenRng = Pcg64;

pub(crate) use leitmotif_core::timing::seed::mix;

/// A generator for `seed`, on the stream named by `tag`.
pub(crate) fn rng(seed: u64, tag: u64) -> GenRng {
    GenRng::seed_from_u64(mix(seed, tag))
}
