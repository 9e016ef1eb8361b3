//! A fixed, seedless hasher for the search cache: the same input hashes the same in every
//! run and every process, so the search (and its step counts) is deterministic.

use std::hash::{BuildHasher, Hasher};

/// Multiplier of the word-at-a-time mixing step (an odd constant with well-spread bits).
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// Finalizes a 64-bit value so that every input bit affects the low bits (the cache table
/// indexes by the low bits). The split-mix finalizer.
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Word-at-a-time hasher: rotate, xor, multiply per word; [`Hasher::finish`] mixes once more.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedHasher {
    state: u64,
}

impl FixedHasher {
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for FixedHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        mix64(self.state)
    }
}

/// [`BuildHasher`] for `HashMap`s and `HashSet`s that must not depend on a random seed.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedState;

impl BuildHasher for FixedState {
    type Hasher = FixedHasher;

    fn build_hasher(&self) -> FixedHasher {
        FixedHasher::default()
    }
}

/// Hashes one value with [`FixedHasher`].
pub fn hash_one<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    FixedState.hash_one(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_distinguish_small_inputs() {
        assert_eq!(hash_one(&(1u32, 2u32)), hash_one(&(1u32, 2u32)));
        assert_ne!(hash_one(&(1u32, 2u32)), hash_one(&(2u32, 1u32)));
        assert_ne!(hash_one("ab"), hash_one("ab\0"));
        assert_ne!(mix64(1) & 0xff, mix64(2) & 0xff);
    }
}
