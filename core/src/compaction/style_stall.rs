//! The write-stall thresholds each compaction style implies, in one place for the writer and
//! for anything that replays its rules (the simulator's timeline).

use super::pending::estimated_pending_compaction_bytes;
use super::stall::{StallOptions, StallState, stall_state};
use super::style::CompactionStyle;
use crate::manifest::Manifest;

/// The stall state of `manifest` under the thresholds `style` implies: RocksDB's defaults,
/// raised to the style's compaction trigger where that is higher; universal counts every
/// non-empty level as a sorted run and has its own stop trigger; FIFO never stalls on L0
/// (RocksDB sanitizes its L0 triggers to the maximum: FIFO sheds L0 tables by dropping them,
/// so the count says nothing about compaction debt); the log style never stalls, as Garnet's
/// log does not. Without a style, RocksDB's defaults.
pub fn style_stall_state(manifest: &Manifest, style: Option<&CompactionStyle>) -> StallState {
    let (options, pending_bytes) = style_stall_inputs(manifest, style);
    stall_state(manifest, &options, pending_bytes)
}

/// What [`style_stall_state`] decides from: the thresholds `style` implies and the
/// estimated pending compaction bytes (RocksDB's compaction debt; 0 but for leveled).
pub fn style_stall_inputs(
    manifest: &Manifest,
    style: Option<&CompactionStyle>,
) -> (StallOptions, u64) {
    match style {
        Some(CompactionStyle::Leveled(leveled)) => (
            raised(leveled.level0_file_num_compaction_trigger, None, false),
            estimated_pending_compaction_bytes(manifest, leveled),
        ),
        Some(CompactionStyle::Universal(universal)) => (
            raised(
                universal.level0_file_num_compaction_trigger,
                Some(universal.level0_stop_writes_trigger),
                true,
            ),
            0,
        ),
        Some(CompactionStyle::Fifo(_)) => (
            StallOptions {
                level0_slowdown_writes_trigger: usize::MAX,
                level0_stop_writes_trigger: usize::MAX,
                ..StallOptions::default()
            },
            0,
        ),
        // Garnet's log never holds writes back: it grows until compaction catches up.
        Some(CompactionStyle::Log(_)) => (
            StallOptions {
                disable_auto_compactions: true,
                ..StallOptions::default()
            },
            0,
        ),
        None => (StallOptions::default(), 0),
    }
}

/// RocksDB's stall thresholds, sanitized as RocksDB does: the slowdown trigger is at least
/// the compaction trigger and the stop trigger at least the slowdown trigger.
fn raised(
    compaction_trigger: usize,
    stop_trigger: Option<usize>,
    count_levels_as_sorted_runs: bool,
) -> StallOptions {
    let defaults = StallOptions::default();
    let slowdown = defaults
        .level0_slowdown_writes_trigger
        .max(compaction_trigger);
    let stop = stop_trigger
        .unwrap_or(defaults.level0_stop_writes_trigger)
        .max(slowdown);
    assert!(compaction_trigger <= slowdown && slowdown <= stop);
    StallOptions {
        level0_slowdown_writes_trigger: slowdown,
        level0_stop_writes_trigger: stop,
        count_levels_as_sorted_runs,
        ..defaults
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::fifo::FifoOptions;
    use crate::compaction::leveled::LeveledOptions;
    use crate::ids::{SeqNum, SstId};
    use crate::manifest::Manifest;
    use crate::sst::SstMeta;
    use bytes::Bytes;

    fn with_l0_tables(count: u64) -> Manifest {
        let mut manifest = Manifest::initial();
        manifest.l0 = (0..count)
            .rev()
            .map(|id| SstMeta {
                id: SstId(id + 1),
                smallest_key: Bytes::from_static(b"a"),
                largest_key: Bytes::from_static(b"z"),
                smallest_seq: SeqNum(id + 1),
                largest_seq: SeqNum(id + 1),
                entry_count: 1,
                tombstone_count: 0,
                logical_bytes: 2,
                size_bytes: 1_000,
                created_at_ms: 0,
                object_crc32c: 0,
            })
            .collect();
        manifest
    }

    #[test]
    fn fifo_never_stalls_on_l0_while_leveled_stops_at_its_trigger() {
        let crowded = with_l0_tables(100);
        let fifo = CompactionStyle::Fifo(FifoOptions::default());
        assert_eq!(style_stall_state(&crowded, Some(&fifo)), StallState::Normal);
        let leveled = CompactionStyle::Leveled(LeveledOptions::default());
        assert!(matches!(
            style_stall_state(&crowded, Some(&leveled)),
            StallState::Stopped { .. }
        ));
        assert!(matches!(
            style_stall_state(&crowded, None),
            StallState::Stopped { .. }
        ));
    }
}
