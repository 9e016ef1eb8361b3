//! The operations a stream emits and the key encoding the store sees.

use serde::{Deserialize, Serialize};

/// One client operation. Keys are ids; [`key_bytes`] gives the stored key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// Point read.
    Get { key: u64 },
    /// Write a value of `value_bytes` bytes; with `ttl_ms`, it expires that long after the
    /// write's time on the writer's wall clock.
    Put {
        key: u64,
        value_bytes: u32,
        ttl_ms: Option<u64>,
    },
    /// Tombstone.
    Delete { key: u64 },
    /// Read up to `len` records in key order from `start_key` (inclusive).
    Scan { start_key: u64, len: u32 },
    /// Read the record, then write a new value of `value_bytes` bytes (YCSB's
    /// read-modify-write).
    ReadModifyWrite { key: u64, value_bytes: u32 },
}

impl Op {
    /// The key the operation targets (the first key for a scan).
    pub fn key(&self) -> u64 {
        match *self {
            Op::Get { key }
            | Op::Put { key, .. }
            | Op::Delete { key }
            | Op::ReadModifyWrite { key, .. } => key,
            Op::Scan { start_key, .. } => start_key,
        }
    }

    /// Whether the operation changes the store.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Op::Put { .. } | Op::Delete { .. } | Op::ReadModifyWrite { .. }
        )
    }
}

/// The 16-byte key of id `key`: its big-endian bytes, then eight zero bytes, so byte order
/// matches id order.
pub fn key_bytes(key: u64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let (id, _) = bytes.split_at_mut(8);
    id.copy_from_slice(&key.to_be_bytes());
    bytes
}
