//! Universal compaction as RocksDB does it: the tree as sorted runs newest first (each L0
//! table, then each non-empty level), checked in RocksDB's order — size amplification,
//! then size ratio, then sorted-run count — each picking a contiguous span of runs.

mod options;
mod pick;
mod size_amp;
mod size_ratio;
mod sorted_runs;

pub use options::{StopStyle, UniversalOptions};
pub use pick::pick;
pub use sorted_runs::{SortedRun, sorted_runs};
