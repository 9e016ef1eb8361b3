//! Universal's second and third checks: merging runs of similar size, and merging runs to
//! cut their number (RocksDB's `PickCompactionToReduceSortedRuns`).

use super::StopStyle;
use super::pick::UniversalContext;
use crate::compaction::{CompactionPlan, CompactionReason};

/// From the newest idle run, the first span of consecutive idle runs in which each next run
/// is no bigger than the candidate size × (100 + `ratio`)% — the sum picked so far (total
/// size stop style) or the last run picked (similar size) — holding between
/// `max(min_merge_width, 2)` and `min(max_merge_width, max_files)` runs. The output goes
/// to the last level if the span reaches the oldest run, else just above the next run.
pub(super) fn pick_by_size_ratio(
    ctx: &UniversalContext<'_>,
    ratio: u32,
    max_files: u32,
    reason: CompactionReason,
) -> Option<CompactionPlan> {
    let options = ctx.options;
    let runs = ctx.runs;
    let min_merge_width = usize::try_from(options.min_merge_width.max(2)).unwrap_or(usize::MAX);
    let max_files = usize::try_from(options.max_merge_width.min(max_files)).unwrap_or(usize::MAX);
    let growth = (100.0 + f64::from(ratio)) / 100.0;
    let mut start = 0usize;
    let mut count = 0usize;
    let mut found = false;
    let mut index = 0usize;
    while index < runs.len() {
        count = 0;
        while runs.get(index).is_some_and(|run| run.being_compacted) {
            index += 1;
        }
        let Some(first) = runs.get(index) else { break };
        count = 1;
        let mut candidate_size = first.compensated_size_bytes;
        let mut next = index + 1;
        while count < max_files {
            let Some(run) = runs.get(next) else { break };
            if run.being_compacted || (candidate_size as f64 * growth) < run.size_bytes as f64 {
                break;
            }
            match options.stop_style {
                StopStyle::SimilarSize => {
                    if (run.size_bytes as f64 * growth) < candidate_size as f64 {
                        break;
                    }
                    candidate_size = run.compensated_size_bytes;
                }
                StopStyle::TotalSize => {
                    candidate_size = candidate_size.saturating_add(run.compensated_size_bytes);
                }
            }
            count += 1;
            next += 1;
        }
        if count >= min_merge_width {
            start = index;
            found = true;
            break;
        }
        index += 1;
    }
    if !found || count <= 1 {
        return None;
    }
    let first_after = start + count;
    assert!(count >= min_merge_width && count <= max_files.max(min_merge_width));
    assert!(
        runs[start..first_after]
            .iter()
            .all(|run| !run.being_compacted)
    );
    let output_level = match runs.get(first_after) {
        None => ctx.last_level,
        Some(next) if next.level == 0 => 0,
        Some(next) => next.level - 1,
    };
    ctx.plan(start, first_after - 1, output_level, reason)
}
