//! What the manifest and the pickers know about an SST without opening it.

use crate::entry::WallMs;
use crate::ids::{SeqNum, SstId};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Immutable metadata of one SST object, recorded in the manifest. Pickers and invariants
/// work on this alone, never on open tables.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SstMeta {
    pub id: SstId,
    /// Smallest user key in the table (inclusive).
    pub smallest_key: Bytes,
    /// Largest user key in the table (inclusive).
    pub largest_key: Bytes,
    pub smallest_seq: SeqNum,
    pub largest_seq: SeqNum,
    pub entry_count: u64,
    pub tombstone_count: u64,
    /// Sum of user key and value lengths of every entry (what amplification calls logical).
    pub logical_bytes: u64,
    /// Size of the encoded object.
    pub size_bytes: u64,
    /// Wall-clock time of the node that built it, at build time.
    pub created_at_ms: WallMs,
    /// CRC-32C of the whole encoded object, so a copy or an upload can be verified.
    pub object_crc32c: u32,
}

impl SstMeta {
    /// True when the user-key ranges of the two tables intersect.
    pub fn overlaps(&self, other: &SstMeta) -> bool {
        self.smallest_key <= other.largest_key && other.smallest_key <= self.largest_key
    }

    /// True when the table's user-key range intersects `[smallest, largest]`.
    pub fn overlaps_range(&self, smallest: &[u8], largest: &[u8]) -> bool {
        &self.smallest_key[..] <= largest && smallest <= &self.largest_key[..]
    }

    /// True when `user_key` lies within the table's key range.
    pub fn may_contain_key(&self, user_key: &[u8]) -> bool {
        &self.smallest_key[..] <= user_key && user_key <= &self.largest_key[..]
    }
}
