//! The log picker: the oldest segments beyond the maximum.

use super::{LogCompactionType, LogOptions};
use crate::compaction::{
    Busy, CompactionPlan, CompactionReason, OutputTime, PlanInput, PlanKind, is_bottommost,
};
use crate::manifest::Manifest;
use std::collections::BTreeSet;

/// The next log compaction: when L0 holds more than `compaction_max_segments` segments,
/// the oldest ones, so that at most the maximum remain afterwards. Shift drops them (a
/// deletion); scan and lookup merge them into one new segment, which takes one of the
/// places, so they take one segment more (at least two: progress even when every record is
/// live). One log job at a time, never over a busy segment. Pure.
pub fn pick(manifest: &Manifest, options: &LogOptions, busy: &Busy) -> Option<CompactionPlan> {
    let count = manifest.l0.len();
    let (taken, kind, reason) = match options.compaction_type {
        LogCompactionType::None => return None,
        LogCompactionType::Shift => {
            let max = options.compaction_max_segments;
            (
                count.checked_sub(max)?,
                PlanKind::Delete,
                CompactionReason::LogShift,
            )
        }
        LogCompactionType::Scan | LogCompactionType::Lookup => {
            let max = options.compaction_max_segments.max(1);
            let reason = if options.compaction_type == LogCompactionType::Scan {
                CompactionReason::LogScan
            } else {
                CompactionReason::LogLookup
            };
            let excess = count.checked_sub(max)?;
            let taken = if excess == 0 { 0 } else { excess + 1 };
            (taken, PlanKind::Merge, reason)
        }
    };
    if taken == 0 || busy.l0_in_progress() {
        return None;
    }
    let oldest = manifest.l0.get(count.saturating_sub(taken)..)?;
    if busy.any_busy(oldest.iter().map(|sst| sst.id)) {
        return None;
    }
    let ids: Vec<_> = oldest.iter().map(|sst| sst.id).collect();
    let id_set: BTreeSet<_> = ids.iter().copied().collect();
    // At most the maximum remain: shift leaves exactly it, a merge adds its one output.
    let remaining = count - taken + usize::from(kind == PlanKind::Merge);
    assert!(remaining <= options.compaction_max_segments.max(1));
    assert!(
        kind == PlanKind::Delete || taken >= 2,
        "a merge takes two segments or more"
    );
    Some(CompactionPlan {
        kind,
        reason,
        bottommost: kind == PlanKind::Merge && is_bottommost(manifest, &id_set, 0),
        inputs: vec![PlanInput { level: 0, ids }],
        output_level: 0,
        target_file_size_bytes: u64::MAX,
        output_time: OutputTime::NewestInput,
        grandparents: None,
        round_robin_cursor: None,
    })
}
