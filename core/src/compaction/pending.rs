//! Estimated pending compaction bytes: how much leveled compaction must still rewrite to
//! bring every level under its target (RocksDB's `EstimateCompactionBytesNeeded`), which the
//! write-stall rules compare with the soft and hard limits.

use super::leveled::{LevelTargets, LeveledOptions};
use crate::manifest::Manifest;

/// RocksDB's estimate, on object sizes: L0 counts when it reached its trigger (by files or
/// by `max_bytes_for_level_base`), together with the base level it merges into; then from
/// the base level down, each level's excess over its target (after what flows in from
/// above) counts with the fan-out into the next level (next size ÷ this size, plus one).
pub fn estimated_pending_compaction_bytes(manifest: &Manifest, options: &LeveledOptions) -> u64 {
    let targets = LevelTargets::compute(manifest, options);
    let l0_size = manifest.level_size_bytes(0) as f64;
    let l0_triggered = manifest.l0.len() >= options.level0_file_num_compaction_trigger
        || l0_size >= options.max_bytes_for_level_base as f64;
    let mut estimate = 0f64;
    let mut bytes_to_next_level = 0f64;
    if l0_triggered {
        estimate = l0_size;
        bytes_to_next_level = l0_size;
    }
    let last_input_level = targets.num_levels().saturating_sub(2);
    for level in targets.base_level..=last_input_level {
        let mut level_size = manifest.level_size_bytes(level) as f64;
        if level == targets.base_level && l0_triggered {
            estimate += level_size;
        }
        level_size += bytes_to_next_level;
        bytes_to_next_level = 0.0;
        let target = targets.max_bytes_for_level(level) as f64;
        if level_size > target {
            bytes_to_next_level = level_size - target;
            let next_size = manifest.level_size_bytes(level + 1) as f64;
            if next_size > 0.0 && level_size > 0.0 {
                estimate += bytes_to_next_level * (next_size / level_size + 1.0);
            }
        }
    }
    if estimate >= u64::MAX as f64 {
        u64::MAX
    } else {
        estimate as u64
    }
}
