//! Key windows: eight bytes of a key, taken right after the prefix that every key in a
//! sorted group (a data block, the index) shares, read as a big-endian number and
//! zero-padded. A search compares windows held in one small contiguous array and reads a
//! full key only when two windows tie, so it touches few cache lines even for keys with a
//! long common prefix ("user0000001234", ...).
//!
//! Why it is exact: all keys of the group start with the shared prefix, so they order as
//! their suffixes do; and when two zero-padded eight-byte windows of suffixes differ, they
//! order the suffixes the same way (the first differing byte decides both, and a suffix
//! that ends first pads with zeros, sorting at or before any byte the other holds).

use std::cmp::Ordering;

/// Length of the prefix `a` and `b` share.
pub(crate) fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The window of `key` after its first `shared_len` bytes.
pub(crate) fn window(key: &[u8], shared_len: usize) -> u64 {
    assert!(
        shared_len <= key.len(),
        "shared prefix of {shared_len} bytes is longer than a {}-byte key of its group",
        key.len()
    );
    let mut bytes = [0u8; 8];
    let suffix = &key[shared_len..];
    for (into, byte) in bytes.iter_mut().zip(suffix) {
        *into = *byte;
    }
    u64::from_be_bytes(bytes)
}

/// Where a search key falls relative to a group whose keys all start with `shared`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Before every key of the group.
    Before,
    /// Starts with the shared prefix: search the windows for this one.
    Within(u64),
    /// After every key of the group.
    After,
}

pub(crate) fn place(target: &[u8], shared: &[u8]) -> Placement {
    match target.get(..shared.len()) {
        Some(head) if head == shared => Placement::Within(window(target, shared.len())),
        // Shorter than the prefix or diverging from it: one comparison decides.
        _ => match target.cmp(shared) {
            Ordering::Less | Ordering::Equal => Placement::Before,
            Ordering::Greater => Placement::After,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_order_keys_whenever_they_differ() {
        let keys: [&[u8]; 8] = [
            b"user",
            b"user\x00",
            b"user0",
            b"user00000000",
            b"user000000001",
            b"user1",
            b"user9\xff",
            b"v",
        ];
        let shared_len = 4;
        for a in keys {
            for b in keys {
                if !(a.starts_with(b"user") && b.starts_with(b"user")) {
                    continue;
                }
                let (wa, wb) = (window(a, shared_len), window(b, shared_len));
                if wa != wb {
                    assert_eq!(wa.cmp(&wb), a.cmp(b), "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn placement_outside_the_shared_prefix_is_decided_at_once() {
        assert_eq!(place(b"us", b"user"), Placement::Before);
        assert_eq!(place(b"", b"user"), Placement::Before);
        assert_eq!(place(b"usa", b"user"), Placement::Before);
        assert_eq!(place(b"uz", b"user"), Placement::After);
        assert_eq!(place(b"user", b"user"), Placement::Within(0));
        assert_eq!(
            place(b"anything", b""),
            Placement::Within(window(b"anything", 0))
        );
        assert_eq!(common_prefix_len(b"user1", b"user2"), 4);
        assert_eq!(common_prefix_len(b"", b"x"), 0);
    }
}
