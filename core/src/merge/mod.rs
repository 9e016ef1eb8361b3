//! The k-way merge of sorted entry sources: what compaction, flush and range scans share.
//!
//! Sources are given newest first (memtable, then L0 newest first, then levels). Of all the
//! versions of a user key only the newest survives; a tombstone survives too unless the
//! output is bottommost (nothing older can lie below it, so the tombstone has nothing left to
//! hide). A filter may remove a put: above the bottommost level it becomes a tombstone, as in
//! RocksDB, because dropping it would resurrect an older version in a lower level.

mod filter;
mod iter;
mod stats;

pub use filter::{CompactionFilter, FilterDecision, NoFilter, TtlFilter};
pub use iter::{MergeError, MergingIterator};
pub use stats::MergeStats;

/// How the merge treats what it drops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// True when no older version of any key can exist below the output (the output goes to
    /// the last level holding data, or the merge serves a read): tombstones are dropped.
    pub bottommost: bool,
}

#[cfg(test)]
mod tests;
