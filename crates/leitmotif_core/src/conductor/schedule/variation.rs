//! Variations: which body of a cue each pass plays (`CueVariation`), and the stinger
//! variation pick with avoid-repeat-last. Every choice is drawn from the session's seed, the
//! cue and the pass (or the stinger's own generator), so the plan stays deterministic.

use rand::{Rng, SeedableRng};

use super::super::{Conductor, SourceRef};
use crate::score::{CueVariation, Source};
use crate::timing::seed;

/// What a cue's variation has played so far (kept across entries of the cue).
#[derive(Debug, Clone, Default)]
pub(in crate::conductor) struct BodyState {
    /// Passes started so far.
    pub pass: u64,
    /// The body of the last pass.
    pub last: Option<u16>,
    /// The current `Shuffle` cycle's order.
    pub order: Vec<u16>,
}

impl Conductor {
    /// The body the next pass of `cue` plays (0: the layers' `source`), advancing its state.
    pub(super) fn next_body(&mut self, cue: usize) -> u16 {
        let c = &self.score.cues[cue];
        let n = c.bodies();
        if n < 2 || c.variation == CueVariation::None {
            return 0;
        }
        let base = seed::variation(self.variation_seed, cue as u64);
        let st = &mut self.bodies[cue];
        let pass = st.pass;
        let body = match &c.variation {
            CueVariation::None => 0,
            CueVariation::Sequence => (pass % n as u64) as u16,
            CueVariation::Shuffle => {
                let at = (pass % n as u64) as usize;
                if at == 0 || st.order.len() != n {
                    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed::mix(base, pass / n as u64));
                    let mut order: Vec<u16> = (0..n as u16).collect();
                    for i in (1..n).rev() {
                        order.swap(i, rng.random_range(0..=i));
                    }
                    // A new cycle never opens with the body the last one closed with.
                    if st.last == Some(order[0]) {
                        order.swap(0, 1 + rng.random_range(0..n - 1));
                    }
                    st.order = order;
                }
                st.order[at]
            }
            CueVariation::Random {
                weights,
                avoid_repeat,
            } => {
                let mut rng = rand_pcg::Pcg64::seed_from_u64(seed::mix(base, pass));
                let avoid = if *avoid_repeat { st.last } else { None };
                weighted(
                    n,
                    |i| weights.get(i).copied().unwrap_or(1.0),
                    avoid,
                    &mut rng,
                ) as u16
            }
        };
        st.pass += 1;
        st.last = Some(body);
        body
    }

    /// Variation of stinger `s` to play: weighted from the conductor's generator, never the
    /// last one played when the stinger has `avoid_repeat` and more than one variation.
    pub(super) fn pick_stinger_variation(&mut self, s: usize) -> usize {
        let st = &self.score.stingers[s];
        let avoid = if st.avoid_repeat {
            self.stinger_last_variation[s]
        } else {
            None
        };
        let score = self.score.clone();
        let vars = &score.stingers[s].variations;
        let v = weighted(vars.len(), |i| vars[i].weight, avoid, &mut self.rng);
        self.stinger_last_variation[s] = Some(v as u16);
        v
    }
}

/// The source of layer `layer` of cue `cue` in body `body`: its `source` in body 0 (and in
/// every body when it has no alternates), otherwise its alternate.
pub(in crate::conductor) fn body_source(
    score: &crate::score::Score,
    cue: usize,
    layer: usize,
    body: u16,
) -> SourceRef {
    let alternates: &[Source] = &score.cues[cue].layers[layer].alternates;
    if body == 0 || alternates.is_empty() {
        SourceRef::Layer {
            cue: cue as u16,
            layer: layer as u16,
        }
    } else {
        SourceRef::Alternate {
            cue: cue as u16,
            layer: layer as u16,
            alternate: body - 1,
        }
    }
}

/// One index of `0..n` in proportion to `weight`, drawn with one `f32` of `rng`; `avoid` is
/// left out when another index has weight.
fn weighted(
    n: usize,
    weight: impl Fn(usize) -> f32,
    avoid: Option<u16>,
    rng: &mut impl Rng,
) -> usize {
    let w = |i: usize| {
        let x = weight(i).max(0.0);
        if avoid == Some(i as u16) { 0.0 } else { x }
    };
    let mut total: f32 = (0..n).map(w).sum();
    let draw = rng.random::<f32>();
    let with_avoided = total <= 0.0;
    if with_avoided {
        total = (0..n).map(|i| weight(i).max(0.0)).sum();
    }
    let w = |i: usize| {
        if with_avoided {
            weight(i).max(0.0)
        } else {
            w(i)
        }
    };
    let mut pick = draw * total;
    let mut chosen = None;
    for i in 0..n {
        let x = w(i);
        if x > 0.0 {
            chosen = Some(i);
            if pick < x {
                break;
            }
            pick -= x;
        }
    }
    chosen.unwrap_or(n.saturating_sub(1))
}
