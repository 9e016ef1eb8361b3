//! A seeded bijection of `0..n` that needs no table: a four-round Feistel network on a
//! power-of-four domain `0..4^h >= n`, with FNV-1a 64 as the round function, and
//! cycle-walking (apply the network again until the value falls inside `0..n`).
//!
//! Why this shape: `insert-random` must write each of up to 2^40 keys once in a random
//! order, and the scrambled zipfian must spread hot ranks over the key space, both without
//! materialising an array. The domain is less than four times `n`, so a walk takes fewer
//! than four steps on average; it always ends, because the walk follows the cycle of the
//! starting value, which lies inside `0..n`. When `n` grows by one, only the few values
//! whose walk passed through the new id move, so a growing key space keeps its hot keys
//! until `n` crosses a power of four.

/// Feistel rounds; four give a pseudo-random permutation (Luby–Rackoff).
const ROUNDS: usize = 4;

/// A cycle-walk longer than this is treated as impossible (its probability is below
/// (3/4)^65536) and falls back to `index % n`, so the loop stays bounded.
const MAX_WALK_STEPS: u32 = 1 << 16;

/// The bijection of `0..items` chosen by `round_keys`.
#[derive(Clone, Debug)]
pub(crate) struct Permutation {
    items: u64,
    /// Bits of each Feistel half: the domain is `0..2^(2*half_bits)`.
    half_bits: u32,
    round_keys: [u64; ROUNDS],
}

impl Permutation {
    /// `items` is at least 1 (0 is treated as 1).
    pub(crate) fn new(items: u64, round_keys: [u64; ROUNDS]) -> Permutation {
        let items = items.max(1);
        let bits = u64::BITS - (items - 1).leading_zeros();
        Permutation {
            items,
            half_bits: bits.div_ceil(2),
            round_keys,
        }
    }

    pub(crate) fn items(&self) -> u64 {
        self.items
    }

    /// The same keys over `0..items`.
    pub(crate) fn resized(&self, items: u64) -> Permutation {
        Permutation::new(items, self.round_keys)
    }

    /// The image of `index` (taken modulo `items`) in `0..items`.
    pub(crate) fn apply(&self, index: u64) -> u64 {
        let start = index % self.items;
        let mut value = start;
        for _ in 0..MAX_WALK_STEPS {
            value = self.feistel(value);
            if value < self.items {
                return value;
            }
        }
        start
    }

    /// The network on `0..2^(2*half_bits)`; a bijection for any round function.
    fn feistel(&self, value: u64) -> u64 {
        if self.half_bits == 0 {
            return value;
        }
        let mask = (1u64 << self.half_bits) - 1;
        let mut left = value >> self.half_bits;
        let mut right = value & mask;
        for key in self.round_keys {
            let mixed = left ^ self.round(key, right);
            left = right;
            right = mixed;
        }
        (left << self.half_bits) | right
    }

    /// The top `half_bits` of FNV-1a over the key and the half. FNV-1a's low bits only
    /// depend on the inputs' low bits, so the top bits are the ones to keep.
    fn round(&self, key: u64, half: u64) -> u64 {
        let mut bytes = [0u8; 16];
        let (key_bytes, half_bytes) = bytes.split_at_mut(8);
        key_bytes.copy_from_slice(&key.to_le_bytes());
        half_bytes.copy_from_slice(&half.to_le_bytes());
        fnv1a64(&bytes) >> (u64::BITS - self.half_bits)
    }
}

/// FNV-1a, 64-bit.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn is_a_bijection_for_small_sizes() {
        for items in [1u64, 2, 3, 4, 5, 7, 16, 17, 100, 1023, 1025] {
            let permutation = Permutation::new(items, [1, 2, 3, 4]);
            let mut seen = vec![false; items as usize];
            for index in 0..items {
                let image = permutation.apply(index);
                assert!(image < items);
                assert!(!seen[image as usize], "items {items}: {image} twice");
                seen[image as usize] = true;
            }
        }
    }

    #[test]
    fn growth_by_one_moves_few_images() {
        let keys = [11, 22, 33, 44];
        let (small, large) = (Permutation::new(5000, keys), Permutation::new(5001, keys));
        let moved = (0..5000)
            .filter(|&i| small.apply(i) != large.apply(i))
            .count();
        assert_eq!(moved, 1, "only the walk through the new id changes");
    }
}
