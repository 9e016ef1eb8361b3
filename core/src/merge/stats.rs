//! What a merge read, wrote and dropped, and why.

use serde::{Deserialize, Serialize};

/// Counters of one merge. Logical bytes are user key plus value lengths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeStats {
    pub entries_in: u64,
    pub entries_out: u64,
    pub logical_bytes_in: u64,
    pub logical_bytes_out: u64,
    /// Older versions hidden by a newer version of the same key.
    pub dropped_shadowed: u64,
    /// Tombstones dropped because the output is bottommost.
    pub dropped_tombstones: u64,
    /// Puts the filter removed and that were dropped (bottommost).
    pub dropped_filtered: u64,
    /// Puts the filter removed that became tombstones (not bottommost).
    pub filtered_to_tombstone: u64,
}
