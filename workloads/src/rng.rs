//! The one source of randomness: a ChaCha8 stream seeded from the run's seed, and the small
//! samplers built on it (the workspace has no `rand`).

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Seeded ChaCha8 with uniform helpers.
#[derive(Clone, Debug)]
pub(crate) struct StreamRng {
    inner: ChaCha8Rng,
}

impl StreamRng {
    pub(crate) fn from_seed(seed: u64) -> StreamRng {
        StreamRng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// Uniform in `0..bound` (0 when `bound` is 0) by multiply-shift. Without rejection the
    /// bias is below `bound / 2^64`, under 2^-24 for any key space allowed here, and the draw
    /// takes exactly one word, which keeps streams easy to reason about.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `low..=high`; `low` if the range is empty.
    pub(crate) fn inclusive(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            None => self.next_u64(),
        }
    }
}
