//! Options of leveled compaction. Names and defaults are RocksDB's.

use serde::{Deserialize, Serialize};

/// How a level's file to compact is chosen (RocksDB: `compaction_pri`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompactionPri {
    /// `kByCompensatedSize`: the largest file (tombstones weighted) first.
    ByCompensatedSize,
    /// `kOldestLargestSeqFirst`: the file whose newest data is oldest first.
    OldestLargestSeqFirst,
    /// `kOldestSmallestSeqFirst`: the file whose oldest data is oldest first.
    OldestSmallestSeqFirst,
    /// `kMinOverlappingRatio` (the default): the file with the fewest bytes overlapping in
    /// the next level per byte of its own (compensated) size.
    MinOverlappingRatio,
    /// `kRoundRobin`: files in key order, each pick continuing after the last one.
    RoundRobin,
}

/// Leveled compaction options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeveledOptions {
    /// RocksDB: `num_levels`, default 7 (L0..L6).
    pub num_levels: usize,
    /// RocksDB: `level0_file_num_compaction_trigger`, default 4.
    pub level0_file_num_compaction_trigger: usize,
    /// RocksDB: `max_bytes_for_level_base`, default 256 MiB: the target of L1 (or of the
    /// base level, with dynamic level bytes).
    pub max_bytes_for_level_base: u64,
    /// RocksDB: `max_bytes_for_level_multiplier`, default 10.
    pub max_bytes_for_level_multiplier: f64,
    /// RocksDB: `level_compaction_dynamic_level_bytes`, default true: targets are derived
    /// from the largest level, and L0 compacts into the shallowest level that needs data.
    pub level_compaction_dynamic_level_bytes: bool,
    /// RocksDB: `target_file_size_base`, default 64 MiB.
    pub target_file_size_base: u64,
    /// RocksDB: `target_file_size_multiplier`, default 1.
    pub target_file_size_multiplier: u64,
    /// RocksDB: `max_compaction_bytes`, default 0 meaning 25 × `target_file_size_base`.
    pub max_compaction_bytes: u64,
    /// RocksDB: `compaction_pri`, default `kMinOverlappingRatio`.
    pub compaction_pri: CompactionPri,
}

impl Default for LeveledOptions {
    fn default() -> LeveledOptions {
        LeveledOptions {
            num_levels: 7,
            level0_file_num_compaction_trigger: 4,
            max_bytes_for_level_base: 256 << 20,
            max_bytes_for_level_multiplier: 10.0,
            level_compaction_dynamic_level_bytes: true,
            target_file_size_base: 64 << 20,
            target_file_size_multiplier: 1,
            max_compaction_bytes: 0,
            compaction_pri: CompactionPri::MinOverlappingRatio,
        }
    }
}

impl LeveledOptions {
    /// `max_compaction_bytes` after RocksDB's sanitizing (0 → 25 × target file size).
    pub fn effective_max_compaction_bytes(&self) -> u64 {
        if self.max_compaction_bytes == 0 {
            self.target_file_size_base.saturating_mul(25)
        } else {
            self.max_compaction_bytes
        }
    }

    /// The multiplier, never below 1 (a smaller one would shrink deeper levels).
    pub(crate) fn multiplier(&self) -> f64 {
        if self.max_bytes_for_level_multiplier.is_finite() {
            self.max_bytes_for_level_multiplier.max(1.0)
        } else {
            1.0
        }
    }

    /// At least 2 levels (L0 and one below), at most the manifest's bound.
    pub(crate) fn bounded_num_levels(&self) -> usize {
        self.num_levels
            .clamp(2, crate::manifest::MAX_LEVELS.saturating_add(1))
    }
}
