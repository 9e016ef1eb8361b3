//! What one compaction job read, wrote and dropped, and why.

use super::{CompactionReason, PlanKind};
use crate::merge::MergeStats;
use serde::{Deserialize, Serialize};

/// Statistics of one job. Bytes are encoded SST bytes unless named logical (user key plus
/// value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionStats {
    pub kind: PlanKind,
    pub reason: CompactionReason,
    pub output_level: usize,
    pub input_files: u64,
    /// Bytes of the input tables read (0 for a move or a deletion).
    pub input_bytes: u64,
    pub output_files: u64,
    pub output_bytes: u64,
    /// Tables that changed level unchanged (trivial move).
    pub moved_files: u64,
    pub moved_bytes: u64,
    /// Tables dropped whole (FIFO).
    pub deleted_files: u64,
    pub deleted_bytes: u64,
    pub entries_in: u64,
    pub entries_out: u64,
    pub logical_bytes_in: u64,
    pub logical_bytes_out: u64,
    /// Older versions hidden by a newer version of the same key.
    pub dropped_shadowed: u64,
    /// Tombstones dropped because the output is bottommost.
    pub dropped_tombstones: u64,
    /// Puts the compaction filter removed, dropped at the bottommost level.
    pub dropped_filtered: u64,
    /// Puts the compaction filter removed that became tombstones above it.
    pub filtered_to_tombstone: u64,
}

impl CompactionStats {
    /// Zero counters for a job of this kind.
    pub fn empty(kind: PlanKind, reason: CompactionReason, output_level: usize) -> CompactionStats {
        CompactionStats {
            kind,
            reason,
            output_level,
            input_files: 0,
            input_bytes: 0,
            output_files: 0,
            output_bytes: 0,
            moved_files: 0,
            moved_bytes: 0,
            deleted_files: 0,
            deleted_bytes: 0,
            entries_in: 0,
            entries_out: 0,
            logical_bytes_in: 0,
            logical_bytes_out: 0,
            dropped_shadowed: 0,
            dropped_tombstones: 0,
            dropped_filtered: 0,
            filtered_to_tombstone: 0,
        }
    }

    /// Copies the merge's entry counters.
    pub fn record_merge(&mut self, merge: &MergeStats) {
        self.entries_in = merge.entries_in;
        self.entries_out = merge.entries_out;
        self.logical_bytes_in = merge.logical_bytes_in;
        self.logical_bytes_out = merge.logical_bytes_out;
        self.dropped_shadowed = merge.dropped_shadowed;
        self.dropped_tombstones = merge.dropped_tombstones;
        self.dropped_filtered = merge.dropped_filtered;
        self.filtered_to_tombstone = merge.filtered_to_tombstone;
    }
}
