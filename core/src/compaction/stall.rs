//! Write stalls: when the writer must slow down or stop so compaction can catch up
//! (RocksDB's `GetWriteStallConditionAndCause`, without the memtable conditions, which are
//! the writer's own).

use super::sorted_runs::sorted_run_count;
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};

/// Stall thresholds. Defaults are RocksDB's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StallOptions {
    /// RocksDB: `level0_slowdown_writes_trigger`, default 20.
    pub level0_slowdown_writes_trigger: usize,
    /// RocksDB: `level0_stop_writes_trigger`, default 36.
    pub level0_stop_writes_trigger: usize,
    /// RocksDB: `soft_pending_compaction_bytes_limit`, default 64 GiB; 0 disables.
    pub soft_pending_compaction_bytes_limit: u64,
    /// RocksDB: `hard_pending_compaction_bytes_limit`, default 256 GiB; 0 disables.
    pub hard_pending_compaction_bytes_limit: u64,
    /// Universal compaction counts every non-empty level as one more L0 sorted run
    /// (RocksDB's `l0_delay_trigger_count`); leveled and FIFO count L0 tables only.
    pub count_levels_as_sorted_runs: bool,
    /// RocksDB: `disable_auto_compactions`, default false: no compaction-driven stalls.
    pub disable_auto_compactions: bool,
}

impl Default for StallOptions {
    fn default() -> StallOptions {
        StallOptions {
            level0_slowdown_writes_trigger: 20,
            level0_stop_writes_trigger: 36,
            soft_pending_compaction_bytes_limit: 64 << 30,
            hard_pending_compaction_bytes_limit: 256 << 30,
            count_levels_as_sorted_runs: false,
            disable_auto_compactions: false,
        }
    }
}

/// Why writes are held back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StallReason {
    L0SortedRuns { count: usize, trigger: usize },
    PendingCompactionBytes { bytes: u64, limit: u64 },
}

/// What the writer should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StallState {
    Normal,
    Delayed { reason: StallReason },
    Stopped { reason: StallReason },
}

/// Options must be sanitized as [`super::style_stall_state`] does (slowdown trigger at most
/// the stop trigger, soft limit at most the hard one): a picker bug otherwise, asserted.
/// RocksDB's conditions, first match wins: L0 stop, pending bytes hard limit, L0 slowdown,
/// pending bytes soft limit. `pending_compaction_bytes` is
/// [`super::estimated_pending_compaction_bytes`] for leveled compaction and 0 otherwise (as
/// RocksDB estimates it for leveled only).
pub fn stall_state(
    manifest: &Manifest,
    options: &StallOptions,
    pending_compaction_bytes: u64,
) -> StallState {
    if options.disable_auto_compactions {
        return StallState::Normal;
    }
    assert!(options.level0_slowdown_writes_trigger <= options.level0_stop_writes_trigger);
    let limits = (
        options.soft_pending_compaction_bytes_limit,
        options.hard_pending_compaction_bytes_limit,
    );
    assert!(limits.0 == 0 || limits.1 == 0 || limits.0 <= limits.1);
    let count = if options.count_levels_as_sorted_runs {
        sorted_run_count(manifest)
    } else {
        manifest.l0.len()
    };
    let hard = options.hard_pending_compaction_bytes_limit;
    let soft = options.soft_pending_compaction_bytes_limit;
    if count >= options.level0_stop_writes_trigger {
        StallState::Stopped {
            reason: StallReason::L0SortedRuns {
                count,
                trigger: options.level0_stop_writes_trigger,
            },
        }
    } else if hard > 0 && pending_compaction_bytes >= hard {
        StallState::Stopped {
            reason: StallReason::PendingCompactionBytes {
                bytes: pending_compaction_bytes,
                limit: hard,
            },
        }
    } else if count >= options.level0_slowdown_writes_trigger {
        StallState::Delayed {
            reason: StallReason::L0SortedRuns {
                count,
                trigger: options.level0_slowdown_writes_trigger,
            },
        }
    } else if soft > 0 && pending_compaction_bytes >= soft {
        StallState::Delayed {
            reason: StallReason::PendingCompactionBytes {
                bytes: pending_compaction_bytes,
                limit: soft,
            },
        }
    } else {
        StallState::Normal
    }
}
