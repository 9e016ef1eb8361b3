//! The set of operations linearized so far, with a hash kept up to date on every change so
//! a cache probe never rehashes the whole set.

use super::hash::mix64;

/// A fixed-capacity bitset over operation indices `0..capacity` with an incremental hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
    /// XOR of `mix64(index + 1)` over the members: order-free, updated in O(1).
    hash: u64,
}

impl BitSet {
    /// An empty set able to hold indices `0..capacity`.
    pub fn new(capacity: usize) -> BitSet {
        BitSet {
            words: vec![0; capacity.div_ceil(64)],
            hash: 0,
        }
    }

    /// Adds `index`; returns false (and changes nothing) if it was present or beyond the
    /// last word.
    pub fn insert(&mut self, index: usize) -> bool {
        let (word, mask) = (index / 64, 1u64 << (index % 64));
        match self.words.get_mut(word) {
            Some(w) if *w & mask == 0 => {
                *w |= mask;
                self.hash ^= mix64(index as u64 + 1);
                true
            }
            _ => false,
        }
    }

    /// Removes `index`; returns false (and changes nothing) if it was absent.
    pub fn remove(&mut self, index: usize) -> bool {
        let (word, mask) = (index / 64, 1u64 << (index % 64));
        match self.words.get_mut(word) {
            Some(w) if *w & mask != 0 => {
                *w &= !mask;
                self.hash ^= mix64(index as u64 + 1);
                true
            }
            _ => false,
        }
    }

    /// The set's hash; equal sets have equal hashes.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The raw words, for storing a copy in the cache.
    pub fn words(&self) -> &[u64] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_and_hash_follow_membership() {
        let mut a = BitSet::new(130);
        let empty_hash = a.hash();
        assert!(a.insert(3) && a.insert(129) && !a.insert(3) && !a.insert(192));
        assert!(!a.remove(4));
        let mut b = BitSet::new(130);
        b.insert(129);
        b.insert(3);
        assert_eq!(a, b);
        assert_eq!(a.hash(), b.hash());
        assert!(a.remove(3) && a.remove(129) && !a.remove(129));
        assert_eq!(a.hash(), empty_hash);
    }
}
