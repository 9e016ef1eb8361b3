//! Universal's first check: size amplification (RocksDB's `PickCompactionToReduceSizeAmp`).

use super::pick::UniversalContext;
use crate::compaction::{CompactionPlan, CompactionReason};

/// When the runs newer than the oldest add up to at least `max_size_amplification_percent`
/// of it, merge them all into it: the longest span of idle runs ending at the oldest,
/// minus the newest L0 tables when leaving them out keeps the merge almost as large and
/// keeps writes further from `level0_stop_writes_trigger`.
pub(super) fn pick_size_amp(ctx: &UniversalContext<'_>) -> Option<CompactionPlan> {
    let end = ctx.runs.len().checked_sub(1)?;
    let oldest = ctx.runs.get(end)?;
    if oldest.being_compacted {
        return None;
    }
    let base_size = oldest.size_bytes;
    let mut start = end;
    let mut candidate_size = 0u64;
    let mut l0_runs = 0usize;
    while start > 0 {
        let Some(run) = ctx.runs.get(start - 1) else {
            break;
        };
        if run.being_compacted {
            break;
        }
        candidate_size = candidate_size.saturating_add(run.compensated_size_bytes);
        l0_runs += usize::from(run.level == 0);
        start -= 1;
    }
    if start == end {
        return None;
    }
    exclude_newest_l0(ctx, l0_runs, end, &mut start, &mut candidate_size);
    assert!(start < end, "the span keeps two runs or more");
    assert!(ctx.runs[start..=end].iter().all(|run| !run.being_compacted));
    let ratio = ctx.options.max_size_amplification_percent;
    if u128::from(candidate_size) * 100 < u128::from(ratio) * u128::from(base_size) {
        return None;
    }
    let output_level = match ctx.runs.get(end + 1) {
        None => ctx.last_level,
        Some(next) => next.level.saturating_sub(1),
    };
    ctx.plan(
        start,
        end,
        output_level,
        CompactionReason::UniversalSizeAmplification,
    )
}

/// RocksDB's `MightExcludeNewL0sToReduceWriteStop`: drops newest L0 runs from the span
/// while the rest stays at least 90% of the candidate size and still over the size
/// amplification limit; keeps at least one L0 run and two runs in all.
fn exclude_newest_l0(
    ctx: &UniversalContext<'_>,
    l0_runs: usize,
    end: usize,
    start: &mut usize,
    candidate_size: &mut u64,
) {
    if l0_runs == 0 {
        return;
    }
    let options = ctx.options;
    let stop_trigger = options.level0_stop_writes_trigger;
    let max_merge_width = usize::try_from(options.max_merge_width).unwrap_or(usize::MAX);
    let min_merge_width = usize::try_from(options.min_merge_width).unwrap_or(usize::MAX);
    let ratio = u128::from(options.max_size_amplification_percent);
    let base_size = u128::from(ctx.runs.get(end).map_or(0, |run| run.size_bytes));
    let span = end - *start;
    let max_to_exclude = (l0_runs - 1).min(span.saturating_sub(1));
    let extra_before_stop = stop_trigger - stop_trigger.min(span + 1);
    let exclude_for_max =
        (max_merge_width - max_merge_width.min(extra_before_stop)).min(max_to_exclude);
    let exclude_for_min =
        (min_merge_width - min_merge_width.min(extra_before_stop)).min(max_to_exclude);
    let original = *candidate_size;
    let mut excluded = 0usize;
    let mut kept_size = original;
    for possible in exclude_for_min..=exclude_for_max {
        let mut size = kept_size;
        for j in excluded..possible {
            let run_size = ctx
                .runs
                .get(*start + j)
                .map_or(0, |run| run.compensated_size_bytes);
            size = size.saturating_sub(run_size);
        }
        if u128::from(size) * 100 < ratio * base_size || size < original / 10 * 9 {
            break;
        }
        excluded = possible;
        kept_size = size;
    }
    assert!(excluded < l0_runs, "at least one L0 run stays in the span");
    assert!(kept_size <= original);
    *start += excluded;
    *candidate_size = kept_size;
}
