//! The load phase: one put per initial record, before the operation stream runs (YCSB's
//! `load`).

use std::iter::FusedIterator;

use crate::error::SpecError;
use crate::op::Op;
use crate::permutation::Permutation;
use crate::rng::StreamRng;
use crate::spec::{TtlSpec, WorkloadSpec};
use crate::values::ValueSampler;

/// Seed offset so the load phase and the operation stream of the same seed draw from
/// different ChaCha streams.
const LOAD_SEED_SALT: u64 = 0x6c6f_6164_5f70_6861; // "load_pha"

/// Puts of every key in `0..spec.key_space`, each once, in a seeded random order (like
/// YCSB's hashed insert order, so a bulk load does not arrive pre-sorted), with the spec's
/// value sizes and TTL: exactly `key_space` operations.
#[derive(Clone, Debug)]
pub struct LoadStream {
    order: Permutation,
    next: u64,
    values: ValueSampler,
    ttl: Option<TtlSpec>,
    rng: StreamRng,
}

impl LoadStream {
    /// Validates `spec` and starts its load phase for `seed`.
    pub fn new(spec: &WorkloadSpec, seed: u64) -> Result<LoadStream, SpecError> {
        spec.validate()?;
        let mut rng = StreamRng::from_seed(seed ^ LOAD_SEED_SALT);
        let round_keys = [
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
        ];
        Ok(LoadStream {
            order: Permutation::new(spec.key_space, round_keys),
            next: 0,
            values: ValueSampler::new(&spec.values),
            ttl: spec.ttl,
            rng,
        })
    }
}

impl Iterator for LoadStream {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        if self.next >= self.order.items() {
            return None;
        }
        let key = self.order.apply(self.next);
        self.next += 1;
        let value_bytes = self.values.next_bytes(&mut self.rng);
        let ttl_ms = self
            .ttl
            .map(|ttl| self.rng.inclusive(ttl.min_ms, ttl.max_ms));
        Some(Op::Put {
            key,
            value_bytes,
            ttl_ms,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.order.items() - self.next;
        match usize::try_from(left) {
            Ok(left) => (left, Some(left)),
            Err(_) => (usize::MAX, None),
        }
    }
}

impl FusedIterator for LoadStream {}
