//! What one compaction job read, wrote and dropped, and why.

use super::log::LogCompactionStats;
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
    /// Entry counts of the merge (zero for a move or a deletion).
    pub merge: MergeStats,
    /// Scan and lookup (log style): what liveness read and what was copied.
    pub log: Option<LogCompactionStats>,
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
            merge: MergeStats::default(),
            log: None,
        }
    }

    /// Keeps the merge's entry counters.
    pub fn record_merge(&mut self, merge: &MergeStats) {
        assert_eq!(
            self.kind,
            PlanKind::Merge,
            "only a merge has merge counters"
        );
        assert!(merge.entries_out <= merge.entries_in);
        self.merge = *merge;
    }
}
