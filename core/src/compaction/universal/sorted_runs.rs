//! The sorted runs universal compaction sees (RocksDB's `CalculateSortedRuns`).

use crate::compaction::{Busy, Compensation};
use crate::ids::SstId;
use crate::manifest::Manifest;
use crate::sst::SstMeta;

/// One L0 table or one whole non-empty level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedRun {
    /// 0 for an L0 table.
    pub level: usize,
    /// The table (L0) or the level's tables by smallest key.
    pub ids: Vec<SstId>,
    pub size_bytes: u64,
    pub compensated_size_bytes: u64,
    /// Any of its tables is being compacted.
    pub being_compacted: bool,
}

/// Runs newest first: L0 tables newest first, then levels 1 ..= `last_level` that hold
/// data.
pub fn sorted_runs(
    manifest: &Manifest,
    last_level: usize,
    compensation: &Compensation,
    busy: &Busy,
) -> Vec<SortedRun> {
    let mut runs: Vec<SortedRun> = manifest
        .l0
        .iter()
        .map(|sst| run_of(0, std::slice::from_ref(sst), compensation, busy))
        .collect();
    for level in 1..=last_level {
        let tables = manifest.level(level);
        if !tables.is_empty() {
            runs.push(run_of(level, tables, compensation, busy));
        }
    }
    // Newest first: L0 runs, then levels strictly deeper each time.
    assert!(runs.windows(2).all(|pair| {
        pair[0].level < pair[1].level || (pair[0].level == 0 && pair[1].level == 0)
    }));
    runs
}

fn run_of(level: usize, tables: &[SstMeta], compensation: &Compensation, busy: &Busy) -> SortedRun {
    SortedRun {
        level,
        ids: tables.iter().map(|sst| sst.id).collect(),
        size_bytes: tables
            .iter()
            .fold(0u64, |sum, sst| sum.saturating_add(sst.size_bytes)),
        compensated_size_bytes: compensation.total(tables),
        being_compacted: busy.any_busy(tables.iter().map(|sst| sst.id)),
    }
}
