//! The universal picker (RocksDB's `UniversalCompactionBuilder::PickCompaction`).

use super::size_amp::pick_size_amp;
use super::size_ratio::pick_by_size_ratio;
use super::{SortedRun, UniversalOptions, sorted_runs};
use crate::compaction::overlap::key_range;
use crate::compaction::{
    Busy, CompactionPlan, CompactionReason, Compensation, OutputTime, PlanInput, PlanKind,
    is_bottommost,
};
use crate::entry::WallMs;
use crate::manifest::{MAX_LEVELS, Manifest};
use std::collections::BTreeSet;

/// Bound on the auto-tuned `max_read_amp` computation (its size at least doubles per step).
const AUTO_READ_AMP_STEPS_MAX: usize = 128;

/// The next universal compaction. Nothing while there are fewer sorted runs than
/// `level0_file_num_compaction_trigger`; otherwise, in RocksDB's order: size amplification
/// (all runs from the newest idle one to the oldest, when the newer runs outweigh the
/// oldest by `max_size_amplification_percent`), size ratio (the first span of at least
/// `min_merge_width` similar runs), then sorted-run count reduction (merge just enough
/// runs to get back to `max_read_amp`, ignoring sizes).
pub fn pick(
    manifest: &Manifest,
    options: &UniversalOptions,
    busy: &Busy,
    _now_ms: WallMs,
) -> Option<CompactionPlan> {
    let last_level = last_level(manifest, options);
    let compensation = Compensation::for_manifest(manifest);
    let runs = sorted_runs(manifest, last_level, &compensation, busy);
    let trigger = options.level0_file_num_compaction_trigger;
    if runs.is_empty() || runs.len() < trigger {
        return None;
    }
    let ctx = UniversalContext {
        manifest,
        options,
        busy,
        runs: &runs,
        last_level,
    };
    if let Some(plan) = pick_size_amp(&ctx) {
        return Some(plan);
    }
    let ratio = options.size_ratio;
    if let Some(plan) =
        pick_by_size_ratio(&ctx, ratio, u32::MAX, CompactionReason::UniversalSizeRatio)
    {
        return Some(plan);
    }
    let max_runs = max_read_amp(options, &runs);
    let idle_runs = runs.iter().filter(|run| !run.being_compacted).count();
    if idle_runs <= max_runs {
        return None;
    }
    assert!(max_runs >= 1);
    let files = u32::try_from(idle_runs - max_runs + 1).unwrap_or(u32::MAX);
    pick_by_size_ratio(
        &ctx,
        u32::MAX,
        files,
        CompactionReason::UniversalSortedRunNum,
    )
}

/// What every universal check reads.
pub(super) struct UniversalContext<'a> {
    pub manifest: &'a Manifest,
    pub options: &'a UniversalOptions,
    pub busy: &'a Busy,
    pub runs: &'a [SortedRun],
    /// The deepest level (RocksDB's `MaxOutputLevel`).
    pub last_level: usize,
}

impl UniversalContext<'_> {
    /// A merge of runs `start..=end` into `output_level`; `None` when a running job writes
    /// into that level over the same key range.
    pub fn plan(
        &self,
        start: usize,
        end: usize,
        output_level: usize,
        reason: CompactionReason,
    ) -> Option<CompactionPlan> {
        let picked = self.runs.get(start..=end)?;
        let mut inputs: Vec<PlanInput> = Vec::new();
        let l0: Vec<_> = picked
            .iter()
            .filter(|run| run.level == 0)
            .flat_map(|run| run.ids.iter().copied())
            .collect();
        if !l0.is_empty() {
            inputs.push(PlanInput { level: 0, ids: l0 });
        }
        for run in picked.iter().filter(|run| run.level > 0) {
            inputs.push(PlanInput {
                level: run.level,
                ids: run.ids.clone(),
            });
        }
        let ids: BTreeSet<_> = inputs
            .iter()
            .flat_map(|input| input.ids.iter().copied())
            .collect();
        if output_level != 0 {
            let metas = self
                .manifest
                .all_live_ssts()
                .filter(|sst| ids.contains(&sst.id));
            let (smallest, largest) = key_range(metas)?;
            if self
                .busy
                .output_range_overlaps(output_level, &smallest, &largest)
            {
                return None;
            }
        }
        Some(CompactionPlan {
            kind: PlanKind::Merge,
            reason,
            bottommost: is_bottommost(self.manifest, &ids, output_level),
            inputs,
            output_level,
            target_file_size_bytes: self.options.target_file_size(output_level),
            output_time: OutputTime::BuildTime,
            grandparents: None,
            round_robin_cursor: None,
        })
    }
}

/// The deepest level: `num_levels - 1`, or deeper if the manifest already has data there.
fn last_level(manifest: &Manifest, options: &UniversalOptions) -> usize {
    let configured = options.num_levels.clamp(1, MAX_LEVELS.saturating_add(1));
    let last = configured.max(manifest.level_count()).saturating_sub(1);
    // Paired with `assert_plan_well_formed`: an output level is never past the last.
    assert!(last <= MAX_LEVELS);
    last
}

/// RocksDB's `max_read_amp`: -1 → the trigger; 0 → the fewest runs whose sizes, growing
/// from `write_buffer_size` by `size_ratio`, reach the largest run; above 0 → itself.
fn max_read_amp(options: &UniversalOptions, runs: &[SortedRun]) -> usize {
    match options.max_read_amp {
        limit if limit < 0 => options.level0_file_num_compaction_trigger,
        0 => {
            let max_run_size = runs.iter().map(|run| run.size_bytes).max().unwrap_or(0) as f64;
            let growth = (100.0 + f64::from(options.size_ratio)) / 100.0;
            let mut max_runs = 1usize;
            let mut level_size = options.write_buffer_size.max(1) as f64;
            let mut total = 0f64;
            for _ in 0..AUTO_READ_AMP_STEPS_MAX {
                if level_size >= max_run_size {
                    break;
                }
                total += level_size;
                level_size = growth * total;
                max_runs += 1;
            }
            max_runs
        }
        limit => usize::try_from(limit).unwrap_or(usize::MAX),
    }
}
