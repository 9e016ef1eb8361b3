//! The configurations already explored: the memoization that makes Wing–Gong–Lowe search
//! practical. A configuration is (returned operations linearized, state, never-returned
//! operations applied). One explored with the same returned set and state and a *subset*
//! of the never-returned operations covers it: a never-returned operation precedes nothing
//! in real time and may also never take effect, so every way to finish from the larger set
//! is also a way to finish from the smaller one.
//!
//! Configurations with the same (returned set, state) form a group, found through an
//! open-addressing table; a group keeps its never-returned sets as an antichain (a set
//! that is covered is not stored, and a new set unlinks the stored sets it covers). All
//! data lives in flat arenas, so an insert allocates nothing but a new group's state, and
//! the search's current state is just an entry index.

use super::bitset::BitSet;

/// Slots in the table before the first growth (a power of two).
const INITIAL_SLOTS: usize = 1 << 10;
/// Largest entry count an index can address (0 means "none" in the links).
const MAX_INDEX: usize = (u32::MAX - 1) as usize;

/// What [`StateCache::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    /// A new configuration, stored at this entry index.
    Added(u32),
    /// Covered by one seen before: the search need not explore it.
    Covered,
    /// New, but the cache holds its maximum number of entries: the search must give up.
    Full,
}

/// Explored configurations; entries are never freed during one search.
#[derive(Debug)]
pub struct StateCache<S> {
    done_words: usize,
    maybe_words: usize,
    /// Per group: its returned set, state, hash of both, and first entry + 1 (0: none).
    group_done: Vec<u64>,
    group_states: Vec<S>,
    group_hashes: Vec<u64>,
    group_head: Vec<u32>,
    /// Group index + 1 per slot; 0 is an empty slot. Linear probing, load at most one half.
    table: Vec<u32>,
    /// Per entry: its never-returned set, group, and next entry of the group + 1.
    entry_maybe: Vec<u64>,
    entry_group: Vec<u32>,
    entry_next: Vec<u32>,
    max_entries: usize,
}

fn is_subset(small: &[u64], large: &[u64]) -> bool {
    small.iter().zip(large).all(|(&s, &l)| s & !l == 0)
}

impl<S: Eq> StateCache<S> {
    /// A cache for sets of `done_words` and `maybe_words` words, holding at most
    /// `max_entries` entries.
    pub fn new(done_words: usize, maybe_words: usize, max_entries: usize) -> StateCache<S> {
        StateCache {
            done_words,
            maybe_words,
            group_done: Vec::new(),
            group_states: Vec::new(),
            group_hashes: Vec::new(),
            group_head: Vec::new(),
            table: vec![0; INITIAL_SLOTS],
            entry_maybe: Vec::new(),
            entry_group: Vec::new(),
            entry_next: Vec::new(),
            max_entries: max_entries.min(MAX_INDEX),
        }
    }

    /// Number of entries stored.
    pub fn len(&self) -> usize {
        self.entry_group.len()
    }

    /// The state of entry `index`, which must be an index returned by [`Insert::Added`].
    pub fn state_at(&self, index: u32) -> &S {
        &self.group_states[self.entry_group[index as usize] as usize]
    }

    /// Approximate bytes held by the arenas and the table (not counting memory the states
    /// own on the heap).
    pub fn approx_bytes(&self) -> usize {
        (self.group_done.capacity() + self.group_hashes.capacity() + self.entry_maybe.capacity())
            * 8
            + self.group_states.capacity() * std::mem::size_of::<S>()
            + (self.group_head.capacity()
                + self.table.capacity()
                + self.entry_group.capacity()
                + self.entry_next.capacity())
                * 4
    }

    /// Stores the configuration unless one seen before covers it. `hash` must be a
    /// function of `(done, state)` alone.
    pub fn insert(&mut self, done: &BitSet, maybe: &BitSet, state: S, hash: u64) -> Insert {
        let (slot, group) = self.find_group(done, &state, hash);
        match group {
            Some(group) => {
                if self.covered_in_group(group, maybe.words()) {
                    return Insert::Covered;
                }
                if self.len() >= self.max_entries {
                    return Insert::Full;
                }
                Insert::Added(self.push_entry(group, maybe))
            }
            None => {
                if self.len() >= self.max_entries {
                    return Insert::Full;
                }
                let group = self.group_states.len() as u32;
                self.group_done.extend_from_slice(done.words());
                self.group_states.push(state);
                self.group_hashes.push(hash);
                self.group_head.push(0);
                self.table[slot] = group + 1;
                if self.group_states.len() * 2 > self.table.len() {
                    self.grow();
                }
                Insert::Added(self.push_entry(group, maybe))
            }
        }
    }

    /// The slot where the group of `(done, state)` is or would go, and the group if present.
    fn find_group(&self, done: &BitSet, state: &S, hash: u64) -> (usize, Option<u32>) {
        let mask = self.table.len() - 1;
        let mut slot = hash as usize & mask;
        // At most one half of the slots are full, so an empty slot is always reached.
        for _ in 0..self.table.len() {
            let Some(group) = self.table[slot].checked_sub(1) else {
                break;
            };
            let g = group as usize;
            let start = g * self.done_words;
            if self.group_hashes[g] == hash
                && self.group_done.get(start..start + self.done_words) == Some(done.words())
                && self.group_states[g] == *state
            {
                return (slot, Some(group));
            }
            slot = (slot + 1) & mask;
        }
        (slot, None)
    }

    /// Whether a stored set of `group` is a subset of `maybe`; on the way, unlinks the
    /// stored sets that `maybe` is a strict subset of (the group is an antichain, so when
    /// one of those exists no stored set covers `maybe`, and `maybe` is about to be added).
    fn covered_in_group(&mut self, group: u32, maybe: &[u64]) -> bool {
        let words = self.maybe_words;
        let mut previous: Option<usize> = None;
        let mut link = self.group_head[group as usize];
        // Each entry is visited once; the entry count bounds the walk.
        for _ in 0..=self.entry_group.len() {
            let Some(entry) = link.checked_sub(1).map(|e| e as usize) else {
                break;
            };
            let next = self.entry_next[entry];
            let stored = &self.entry_maybe[entry * words..(entry + 1) * words];
            if is_subset(stored, maybe) {
                return true;
            }
            if is_subset(maybe, stored) {
                match previous {
                    Some(p) => self.entry_next[p] = next,
                    None => self.group_head[group as usize] = next,
                }
            } else {
                previous = Some(entry);
            }
            link = next;
        }
        false
    }

    fn push_entry(&mut self, group: u32, maybe: &BitSet) -> u32 {
        let entry = self.entry_group.len() as u32;
        self.entry_maybe.extend_from_slice(maybe.words());
        self.entry_group.push(group);
        self.entry_next.push(self.group_head[group as usize]);
        self.group_head[group as usize] = entry + 1;
        entry
    }

    fn grow(&mut self) {
        let slots = self.table.len() * 2;
        let mask = slots - 1;
        let mut table = vec![0u32; slots];
        for (group, &hash) in self.group_hashes.iter().enumerate() {
            let mut slot = hash as usize & mask;
            // The new table is at most one quarter full: an empty slot is always reached.
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = group as u32 + 1;
        }
        self.table = table;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_or_covered_configurations_are_found_and_the_bound_holds() {
        let mut cache = StateCache::new(1, 1, 3000);
        let mut done = BitSet::new(64);
        let mut maybe = BitSet::new(64);
        for i in 0..2000u32 {
            assert_eq!(
                cache.insert(&done, &maybe, i, u64::from(i % 7)),
                Insert::Added(i)
            );
        }
        assert_eq!(cache.insert(&done, &maybe, 5, 5), Insert::Covered);
        maybe.insert(3);
        assert_eq!(cache.insert(&done, &maybe, 5, 5), Insert::Covered);
        done.insert(1);
        maybe.insert(4);
        assert_eq!(cache.insert(&done, &maybe, 5, 5), Insert::Added(2000));
        maybe.remove(4);
        assert_eq!(cache.insert(&done, &maybe, 5, 5), Insert::Added(2001));
        maybe.insert(4);
        assert_eq!(cache.insert(&done, &maybe, 5, 5), Insert::Covered);
        maybe.remove(3);
        maybe.remove(4);
        assert_eq!(cache.insert(&done, &maybe, 5, 5), Insert::Added(2002));
        assert_eq!(cache.state_at(2000), &5);
        let mut small = StateCache::new(1, 0, 1);
        let none = BitSet::new(0);
        assert_eq!(small.insert(&done, &none, 1, 1), Insert::Added(0));
        assert_eq!(small.insert(&done, &none, 1, 1), Insert::Covered);
        assert_eq!(small.insert(&done, &none, 2, 1), Insert::Full);
    }
}
