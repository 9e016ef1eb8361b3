//! Write stalls and the pending-compaction-bytes estimate.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use compaction_support::{MIB, levels, table, version};
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::{
    StallOptions, StallReason, StallState, estimated_pending_compaction_bytes, stall_state,
};
use lsm_core::sst::SstMeta;

fn l0(count: u64) -> Vec<SstMeta> {
    (0..count)
        .rev()
        .map(|i| table(100 + i, 0, 1000, (i + 1, i + 1), MIB))
        .collect()
}

#[test]
fn stall_conditions_in_rocksdb_order() {
    let options = StallOptions::default();
    let hard = options.hard_pending_compaction_bytes_limit;
    let soft = options.soft_pending_compaction_bytes_limit;
    let l0_reason = |count, trigger| StallReason::L0SortedRuns { count, trigger };
    // 1. L0 stop wins over everything.
    assert_eq!(
        stall_state(&version(l0(36), Vec::new()), &options, hard),
        StallState::Stopped {
            reason: l0_reason(36, 36)
        }
    );
    // 2. Then the hard pending-bytes limit, even with L0 past the slowdown trigger.
    assert_eq!(
        stall_state(&version(l0(25), Vec::new()), &options, hard),
        StallState::Stopped {
            reason: StallReason::PendingCompactionBytes {
                bytes: hard,
                limit: hard
            }
        }
    );
    // 3. Then the L0 slowdown, even with pending bytes past the soft limit.
    assert_eq!(
        stall_state(&version(l0(25), Vec::new()), &options, soft),
        StallState::Delayed {
            reason: l0_reason(25, 20)
        }
    );
    // 4. Then the soft limit.
    assert_eq!(
        stall_state(&version(l0(5), Vec::new()), &options, soft),
        StallState::Delayed {
            reason: StallReason::PendingCompactionBytes {
                bytes: soft,
                limit: soft
            }
        }
    );
    assert_eq!(
        stall_state(&version(l0(19), Vec::new()), &options, soft - 1),
        StallState::Normal
    );
    // Universal counts non-empty levels as sorted runs.
    let universal = StallOptions {
        count_levels_as_sorted_runs: true,
        ..options
    };
    let manifest = version(l0(19), levels(vec![(6, vec![table(1, 0, 9, (0, 0), MIB)])]));
    assert_eq!(stall_state(&manifest, &options, 0), StallState::Normal);
    assert_eq!(
        stall_state(&manifest, &universal, 0),
        StallState::Delayed {
            reason: l0_reason(20, 20)
        }
    );
}

#[test]
fn pending_compaction_bytes_as_rocksdb_estimates_them() {
    // L0: 4 × 1 MiB (at the trigger). Base L5 (target 16 MiB): 20 MiB. L6: 150 MiB.
    // L0 counts with the base level: 4 + 20; L5 then holds 24 against 16: 8 MiB go down
    // with fan-out 150/24 + 1.
    let manifest = version(
        l0(4),
        levels(vec![
            (5, vec![table(1, 0, 1000, (0, 0), 20 * MIB)]),
            (6, vec![table(2, 0, 1000, (0, 0), 150 * MIB)]),
        ]),
    );
    let options = LeveledOptions {
        max_bytes_for_level_base: 16 * MIB,
        ..LeveledOptions::default()
    };
    let expected = 24.0 * MIB as f64 + 8.0 * MIB as f64 * (150.0 / 24.0 + 1.0);
    assert_eq!(
        estimated_pending_compaction_bytes(&manifest, &options),
        expected as u64
    );
    // Below the trigger, L0 and the base level do not count.
    let quiet = version(
        l0(3),
        levels(vec![(6, vec![table(2, 0, 1000, (0, 0), 150 * MIB)])]),
    );
    assert_eq!(estimated_pending_compaction_bytes(&quiet, &options), 0);
}
