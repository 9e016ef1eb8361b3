//! The seeded put streams.

use super::SimWorkload;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Key ids in write order.
pub(super) enum KeyStream {
    /// Uniform over `0..keys`, drawn one at a time.
    Uniform { rng: Box<ChaCha8Rng>, keys: u64 },
    /// A random order of distinct ids, drawn up front (Fisher–Yates on the prefix used).
    Permutation { order: Vec<u32>, next: usize },
}

impl KeyStream {
    pub(super) fn new(workload: SimWorkload, seed: u64, keys: u64, updates: u64) -> KeyStream {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        match workload {
            // Presets draw from their own stream (`writes.rs`); uniform is never used there.
            SimWorkload::UniformOverwrite | SimWorkload::Preset(_) => KeyStream::Uniform {
                rng: Box::new(rng),
                keys,
            },
            SimWorkload::InsertRandom => {
                let keys = u32::try_from(keys).unwrap_or(u32::MAX);
                let mut order: Vec<u32> = (0..keys).collect();
                let take = usize::try_from(updates)
                    .unwrap_or(usize::MAX)
                    .min(order.len());
                let len = order.len();
                for i in 0..take {
                    let j = i + below(&mut rng, (len - i) as u64) as usize;
                    order.swap(i, j);
                }
                order.truncate(take);
                KeyStream::Permutation { order, next: 0 }
            }
        }
    }
}

impl Iterator for KeyStream {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        match self {
            KeyStream::Uniform { rng, keys } => Some(below(rng, *keys)),
            KeyStream::Permutation { order, next } => {
                let key = order.get(*next).copied()?;
                *next += 1;
                Some(u64::from(key))
            }
        }
    }
}

/// A uniform draw in `0..bound` (Lemire's multiply-shift; the bias is below 2^-32 for any
/// bound used here).
fn below(rng: &mut ChaCha8Rng, bound: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(bound)) >> 64) as u64
}

/// The 16-byte key of id `key`: its big-endian bytes, padded with zeros.
pub(super) fn key_bytes(key: u64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&key.to_be_bytes());
    bytes
}
