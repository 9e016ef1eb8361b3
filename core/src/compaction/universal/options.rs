//! Options of universal compaction. Names and defaults are RocksDB's
//! (`CompactionOptionsUniversal` plus the column-family options it reads).

use serde::{Deserialize, Serialize};

/// How the size-ratio check accumulates candidates (RocksDB: `stop_style`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopStyle {
    /// `kCompactionStopStyleTotalSize` (default): the next run joins while it is no bigger
    /// than everything picked so far × (100 + size_ratio)%.
    TotalSize,
    /// `kCompactionStopStyleSimilarSize`: the next run joins while it is within size_ratio%
    /// of the last picked run, either way.
    SimilarSize,
}

/// Universal compaction options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniversalOptions {
    /// RocksDB: `num_levels`, default 7: levels 1..=6 hold one sorted run each.
    pub num_levels: usize,
    /// RocksDB: `level0_file_num_compaction_trigger`, default 4: nothing is compacted
    /// with fewer sorted runs.
    pub level0_file_num_compaction_trigger: usize,
    /// RocksDB: `level0_stop_writes_trigger`, default 36: a size-amplification compaction
    /// leaves out some newest L0 tables when that keeps writes away from this limit.
    pub level0_stop_writes_trigger: usize,
    /// RocksDB: `size_ratio`, default 1 (percent).
    pub size_ratio: u32,
    /// RocksDB: `min_merge_width`, default 2.
    pub min_merge_width: u32,
    /// RocksDB: `max_merge_width`, default unbounded (`u32::MAX`).
    pub max_merge_width: u32,
    /// RocksDB: `max_size_amplification_percent`, default 200.
    pub max_size_amplification_percent: u64,
    /// RocksDB: `stop_style`, default total size.
    pub stop_style: StopStyle,
    /// RocksDB: `max_read_amp`, default -1 (use `level0_file_num_compaction_trigger`);
    /// 0 derives a limit from `write_buffer_size` and `size_ratio`; above 0 is the limit.
    pub max_read_amp: i64,
    /// RocksDB: `write_buffer_size`, default 64 MiB (only read when `max_read_amp` is 0).
    pub write_buffer_size: u64,
    /// RocksDB: `target_file_size_base`, default 64 MiB: outputs into L1+ are cut at it.
    pub target_file_size_base: u64,
    /// RocksDB: `target_file_size_multiplier`, default 1.
    pub target_file_size_multiplier: u64,
}

impl Default for UniversalOptions {
    fn default() -> UniversalOptions {
        UniversalOptions {
            num_levels: 7,
            level0_file_num_compaction_trigger: 4,
            level0_stop_writes_trigger: 36,
            size_ratio: 1,
            min_merge_width: 2,
            max_merge_width: u32::MAX,
            max_size_amplification_percent: 200,
            stop_style: StopStyle::TotalSize,
            max_read_amp: -1,
            write_buffer_size: 64 << 20,
            target_file_size_base: 64 << 20,
            target_file_size_multiplier: 1,
        }
    }
}

impl UniversalOptions {
    /// Output file size for `level` (RocksDB's `MaxFileSizeForLevel` for universal): no
    /// limit in L0, `target_file_size_base` in L1, × the multiplier per level below.
    pub fn target_file_size(&self, level: usize) -> u64 {
        if level == 0 {
            return u64::MAX;
        }
        let mut size = self.target_file_size_base.max(1);
        for _ in 1..level {
            size = size.saturating_mul(self.target_file_size_multiplier.max(1));
        }
        assert!(size >= self.target_file_size_base.max(1));
        size
    }
}
