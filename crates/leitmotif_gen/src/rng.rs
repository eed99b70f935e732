//! Seeded random numbers shared by the generators.

use rand::SeedableRng;
use rand_pcg::Pcg64;

/// The generator used everywhere: PCG64, seeded deterministically.
pub(crate) type GenRng = Pcg64;

/// `SplitMix64` finaliser: spreads a seed (and a stream tag) over all bits.
pub(crate) fn mix(seed: u64, tag: u64) -> u64 {
    let mut z = seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generator for `seed`, on the stream named by `tag`.
pub(crate) fn rng(seed: u64, tag: u64) -> GenRng {
    GenRng::seed_from_u64(mix(seed, tag))
}
