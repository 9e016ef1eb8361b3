//! The per-entry hook of a merge (RocksDB's compaction filter); TTL expiry is one.

use crate::entry::{Entry, WallMs};

/// What a filter decides for one put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterDecision {
    Keep,
    /// The key is gone: dropped at the bottommost level, turned into a tombstone above it.
    Remove,
}

/// Called once per surviving put (the newest version of its key), never for tombstones.
pub trait CompactionFilter {
    fn decide(&mut self, entry: &Entry) -> FilterDecision;
}

/// Keeps everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFilter;

impl CompactionFilter for NoFilter {
    fn decide(&mut self, _entry: &Entry) -> FilterDecision {
        FilterDecision::Keep
    }
}

/// Removes puts whose expiry is at or before `now_ms`, the wall clock of the node running the
/// merge — so a node whose clock runs ahead expires data early, as in real deployments.
#[derive(Clone, Copy, Debug)]
pub struct TtlFilter {
    pub now_ms: WallMs,
}

impl CompactionFilter for TtlFilter {
    fn decide(&mut self, entry: &Entry) -> FilterDecision {
        if entry.is_expired_at(self.now_ms) {
            FilterDecision::Remove
        } else {
            FilterDecision::Keep
        }
    }
}
