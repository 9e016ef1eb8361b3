//! A small sorted map of `u32` ids to `u32` ids stored inline up to a few entries: a model
//! state that clones with a copy, not an allocation, in the search's inner loop.

use std::hash::{Hash, Hasher};

/// Entries kept inline; ten keys (the kv histories) fit.
const INLINE: usize = 12;

/// Sorted by key, at most one entry per key. Inline while it fits, so equal maps always
/// have the same representation.
#[derive(Clone, Debug)]
pub enum IdMap {
    Inline {
        len: u8,
        items: [(u32, u32); INLINE],
    },
    Heap(Vec<(u32, u32)>),
}

impl Default for IdMap {
    fn default() -> Self {
        IdMap::Inline {
            len: 0,
            items: [(0, 0); INLINE],
        }
    }
}

impl IdMap {
    pub fn as_slice(&self) -> &[(u32, u32)] {
        match self {
            IdMap::Inline { len, items } => items.get(..usize::from(*len)).unwrap_or(&[]),
            IdMap::Heap(items) => items,
        }
    }

    pub fn get(&self, key: u32) -> Option<u32> {
        let items = self.as_slice();
        let i = items.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        items.get(i).map(|&(_, v)| v)
    }

    /// A copy with `key` set to `value`, or removed when `value` is `None`.
    pub fn with(&self, key: u32, value: Option<u32>) -> IdMap {
        let items = self.as_slice();
        let found = items.binary_search_by_key(&key, |&(k, _)| k);
        let mut next = self.clone();
        match (found, value, &mut next) {
            (Ok(i), Some(v), _) => {
                if let Some(slot) = next.as_mut_slice().get_mut(i) {
                    slot.1 = v;
                }
            }
            (Err(_), None, _) => {}
            (Ok(i), None, IdMap::Inline { len, items }) => {
                let n = usize::from(*len);
                if i < n {
                    items.copy_within(i + 1..n, i);
                    *len -= 1;
                }
            }
            (Err(i), Some(v), IdMap::Inline { len, items }) if usize::from(*len) < INLINE => {
                let n = usize::from(*len);
                items.copy_within(i..n, i + 1);
                if let Some(slot) = items.get_mut(i) {
                    *slot = (key, v);
                }
                *len += 1;
            }
            (Ok(i), None, IdMap::Heap(heap)) => {
                heap.remove(i);
                if heap.len() <= INLINE {
                    next = Self::inline_from(heap);
                }
            }
            (Err(i), Some(v), _) => {
                let mut heap = items.to_vec();
                heap.insert(i, (key, v));
                next = IdMap::Heap(heap);
            }
        }
        next
    }

    fn as_mut_slice(&mut self) -> &mut [(u32, u32)] {
        match self {
            IdMap::Inline { len, items } => items.get_mut(..usize::from(*len)).unwrap_or(&mut []),
            IdMap::Heap(items) => items,
        }
    }

    /// `sorted` (at most `INLINE` entries) stored inline.
    fn inline_from(sorted: &[(u32, u32)]) -> IdMap {
        let mut items = [(0, 0); INLINE];
        for (slot, &item) in items.iter_mut().zip(sorted) {
            *slot = item;
        }
        IdMap::Inline {
            len: sorted.len().min(INLINE) as u8,
            items,
        }
    }
}

impl PartialEq for IdMap {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for IdMap {}

impl Hash for IdMap {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for &(k, v) in self.as_slice() {
            state.write_u64((u64::from(k) << 32) | u64::from(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_remove_and_spill_keep_order_and_equality() {
        let mut m = IdMap::default();
        for k in (0..20u32).rev() {
            m = m.with(k, Some(k * 10));
        }
        assert!(matches!(m, IdMap::Heap(_)));
        assert_eq!(m.get(7), Some(70));
        let keys: Vec<u32> = m.as_slice().iter().map(|&(k, _)| k).collect();
        assert_eq!(keys, (0..20).collect::<Vec<_>>());
        for k in 12..20u32 {
            m = m.with(k, None);
        }
        assert!(matches!(m, IdMap::Inline { len: 12, .. }));
        let mut n = IdMap::default();
        for k in 0..12u32 {
            n = n.with(k, Some(k * 10));
        }
        assert_eq!(m, n);
        assert_eq!(m.with(3, Some(1)).get(3), Some(1));
        assert_eq!(m.with(99, None), m);
    }
}
