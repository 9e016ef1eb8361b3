//! Internal keys and entries: user key ascending, sequence number descending.

use crate::ids::SeqNum;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Wall-clock time in milliseconds since the Unix epoch, as a node's clock reports it.
pub type WallMs = u64;

/// What an entry does to its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    Put = 1,
    Delete = 2,
}

impl EntryKind {
    pub fn from_u8(byte: u8) -> Option<EntryKind> {
        match byte {
            1 => Some(EntryKind::Put),
            2 => Some(EntryKind::Delete),
            _ => None,
        }
    }
}

/// A user key with the sequence number of one of its versions. Orders by user key
/// ascending, then sequence number descending, so the newest version of a key comes first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InternalKey {
    pub user_key: Bytes,
    pub seq: SeqNum,
}

impl InternalKey {
    pub fn new(user_key: impl Into<Bytes>, seq: SeqNum) -> InternalKey {
        InternalKey {
            user_key: user_key.into(),
            seq,
        }
    }
}

impl Ord for InternalKey {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_internal(&self.user_key, self.seq, &other.user_key, other.seq)
    }
}

impl PartialOrd for InternalKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Internal-key order on borrowed parts: user key ascending, sequence number descending.
#[inline]
pub fn compare_internal(a_key: &[u8], a_seq: SeqNum, b_key: &[u8], b_seq: SeqNum) -> Ordering {
    compare_user_keys(a_key, b_key).then_with(|| b_seq.cmp(&a_seq))
}

/// Byte-wise user-key order. Compares the first eight bytes as one big-endian integer
/// first: keys usually differ there, and this avoids a `memcmp` call on the hot paths of
/// memtable inserts and merges.
#[inline]
pub fn compare_user_keys(a: &[u8], b: &[u8]) -> Ordering {
    if let (Some(a_head), Some(b_head)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let order = u64::from_be_bytes(*a_head).cmp(&u64::from_be_bytes(*b_head));
        if order != Ordering::Equal {
            return order;
        }
    }
    a.cmp(b)
}

/// One version of one key: a put (with an optional expiry) or a tombstone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub key: InternalKey,
    pub kind: EntryKind,
    /// Empty for a tombstone.
    pub value: Bytes,
    /// For puts with a TTL: the wall-clock time after which the value is gone. `None` for
    /// tombstones and for puts that never expire.
    pub expires_at_ms: Option<WallMs>,
}

impl Entry {
    pub fn put(user_key: impl Into<Bytes>, seq: SeqNum, value: impl Into<Bytes>) -> Entry {
        Entry {
            key: InternalKey::new(user_key, seq),
            kind: EntryKind::Put,
            value: value.into(),
            expires_at_ms: None,
        }
    }

    pub fn put_expiring(
        user_key: impl Into<Bytes>,
        seq: SeqNum,
        value: impl Into<Bytes>,
        expires_at_ms: WallMs,
    ) -> Entry {
        Entry {
            expires_at_ms: Some(expires_at_ms),
            ..Entry::put(user_key, seq, value)
        }
    }

    pub fn delete(user_key: impl Into<Bytes>, seq: SeqNum) -> Entry {
        Entry {
            key: InternalKey::new(user_key, seq),
            kind: EntryKind::Delete,
            value: Bytes::new(),
            expires_at_ms: None,
        }
    }

    pub fn user_key(&self) -> &[u8] {
        &self.key.user_key
    }

    pub fn seq(&self) -> SeqNum {
        self.key.seq
    }

    pub fn is_tombstone(&self) -> bool {
        self.kind == EntryKind::Delete
    }

    /// True when the entry is a put whose expiry is at or before `now_ms`.
    pub fn is_expired_at(&self, now_ms: WallMs) -> bool {
        matches!(self.expires_at_ms, Some(expiry) if expiry <= now_ms)
    }

    /// Logical size as amplification counts it: user key plus value bytes.
    pub fn logical_size_bytes(&self) -> u64 {
        (self.key.user_key.len() + self.value.len()) as u64
    }
}

/// What a point lookup found for a user key, newest version first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The newest version visible is a put (or an expired put, which the caller judges).
    Found(Entry),
    /// The newest version visible is a tombstone: the key is deleted; stop searching.
    Deleted(SeqNum),
    /// This source holds no version of the key; search older sources.
    Absent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_keys_sort_user_key_ascending_then_newest_first() {
        let mut keys = [
            InternalKey::new(&b"b"[..], SeqNum(1)),
            InternalKey::new(&b"a"[..], SeqNum(1)),
            InternalKey::new(&b"a"[..], SeqNum(9)),
            InternalKey::new(&b"b"[..], SeqNum(5)),
        ];
        keys.sort();
        let got: Vec<(&[u8], u64)> = keys.iter().map(|k| (&k.user_key[..], k.seq.0)).collect();
        assert_eq!(
            got,
            vec![
                (&b"a"[..], 9),
                (&b"a"[..], 1),
                (&b"b"[..], 5),
                (&b"b"[..], 1)
            ]
        );
    }

    #[test]
    fn user_key_order_is_bytewise_for_every_length() {
        let keys: [&[u8]; 9] = [
            b"",
            b"a",
            b"ab",
            b"abcdefgh",
            b"abcdefgh\x00",
            b"abcdefgi",
            b"abcdefghz",
            b"\xff\xff\xff\xff\xff\xff\xff\xff",
            b"b",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(compare_user_keys(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn expiry_is_inclusive_and_absent_for_plain_puts() {
        let e = Entry::put_expiring(&b"k"[..], SeqNum(1), &b"v"[..], 100);
        assert!(!e.is_expired_at(99));
        assert!(e.is_expired_at(100));
        assert!(!Entry::put(&b"k"[..], SeqNum(1), &b"v"[..]).is_expired_at(u64::MAX));
    }
}
