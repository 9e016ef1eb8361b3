//! The leveled picker (RocksDB's `LevelCompactionBuilder::PickCompaction`).

use super::expand::{expand_l0_inputs, setup_other_inputs};
use super::trivial::{extend_trivial_move, is_trivial_move, pick_l0_trivial_move};
use super::{
    CompactionPri, GrandparentCut, LevelTargets, LeveledOptions, files_by_priority, level_scores,
};
use crate::compaction::intra_l0::find_intra_l0;
use crate::compaction::overlap::{key_range, overlapping};
use crate::compaction::{
    Busy, CompactionPlan, CompactionReason, Compensation, OutputTime, PlanInput, PlanKind,
    is_bottommost,
};
use crate::entry::WallMs;
use crate::manifest::Manifest;
use crate::sst::SstMeta;
use std::collections::BTreeSet;

/// RocksDB's `kMinFilesForIntraL0Compaction`.
const MIN_FILES_FOR_INTRA_L0: usize = 4;

/// The first file (or files) chosen on the start level, before expansion.
struct Initial<'a> {
    level: usize,
    output_level: usize,
    inputs: Vec<&'a SstMeta>,
    /// Picked as an L0 trivial move: no expansion, the tables may not overlap.
    l0_trivial_move: bool,
}

/// The next leveled compaction: levels in score order (highest first, only scores ≥ 1);
/// on the first level where a file can be chosen, that file grows into a compaction, or
/// nothing is picked if it cannot. When L0 cannot compact into the base level, a span of
/// L0 tables may be merged within L0 instead, and the base level is not picked from (so
/// L0 → base is not starved). Time plays no part (no TTL or periodic compaction here).
pub fn pick(
    manifest: &Manifest,
    options: &LeveledOptions,
    busy: &Busy,
    _now_ms: WallMs,
) -> Option<CompactionPlan> {
    let targets = LevelTargets::compute(manifest, options);
    let compensation = Compensation::for_manifest(manifest);
    let mut skipped_l0_to_base = false;
    for level_score in level_scores(manifest, options, &targets, &compensation, busy) {
        if level_score.score < 1.0 {
            break;
        }
        let level = level_score.level;
        if skipped_l0_to_base && level == targets.base_level {
            continue;
        }
        let output_level = if level == 0 {
            targets.base_level
        } else {
            level + 1
        };
        let initial = pick_file(manifest, options, &compensation, busy, level, output_level);
        if let Some(initial) = initial {
            return grow(manifest, options, &targets, busy, initial);
        }
        if level == 0 {
            skipped_l0_to_base = true;
            if let Some(plan) = pick_intra_l0(manifest, options, &targets, busy) {
                return Some(plan);
            }
        }
    }
    None
}

/// RocksDB's `PickFileToCompact`: an L0 trivial move if one exists, else the first file in
/// priority order that is not busy, whose range no running job writes at the output level,
/// and whose output-level overlap is not busy (extended into a multi-file move when nothing
/// lies below it).
fn pick_file<'a>(
    manifest: &'a Manifest,
    options: &LeveledOptions,
    compensation: &Compensation,
    busy: &Busy,
    level: usize,
    output_level: usize,
) -> Option<Initial<'a>> {
    // Paired with `LevelTargets::compute`: the base level lies below L0.
    assert!(
        output_level > level,
        "compaction from L{level} into L{output_level}"
    );
    if level == 0 && busy.l0_in_progress() {
        return None;
    }
    let initial = |inputs, l0_trivial_move| Initial {
        level,
        output_level,
        inputs,
        l0_trivial_move,
    };
    if level == 0
        && let Some(inputs) = pick_l0_trivial_move(manifest, output_level, busy)
    {
        return Some(initial(inputs, true));
    }
    let round_robin = options.compaction_pri == CompactionPri::RoundRobin;
    let files = manifest.level(level);
    let cursor = busy.round_robin_cursors.get(&level);
    let order = files_by_priority(
        files,
        manifest.level(level + 1),
        options.compaction_pri,
        compensation,
        cursor,
    );
    for index in order {
        let Some(sst) = files.get(index) else {
            continue;
        };
        let blocked = busy.is_busy(sst.id)
            || busy.output_range_overlaps(output_level, &sst.smallest_key, &sst.largest_key);
        if blocked {
            if round_robin {
                return None;
            }
            continue;
        }
        let below = overlapping(manifest, output_level, &sst.smallest_key, &sst.largest_key);
        if below.is_empty() {
            if level > 0 {
                let max_bytes = options.effective_max_compaction_bytes();
                let moved =
                    extend_trivial_move(manifest, level, index, output_level, max_bytes, busy);
                if moved.len() > 1 {
                    return Some(initial(moved, false));
                }
            }
        } else if busy.any_busy(below.iter().map(|below| below.id)) {
            if round_robin {
                return None;
            }
            continue;
        }
        return Some(initial(vec![sst], false));
    }
    None
}

/// Expands the initial choice into the compaction (RocksDB's `SetupOtherL0FilesIfNeeded`,
/// `SetupOtherInputsIfNeeded` and `GetCompaction`); `None` when a needed table is busy.
fn grow(
    manifest: &Manifest,
    options: &LeveledOptions,
    targets: &LevelTargets,
    busy: &Busy,
    initial: Initial<'_>,
) -> Option<CompactionPlan> {
    let Initial {
        level,
        output_level,
        inputs,
        l0_trivial_move,
    } = initial;
    let max_bytes = options.effective_max_compaction_bytes();
    let (inputs, below) = if l0_trivial_move {
        (inputs, Vec::new())
    } else {
        let inputs = if level == 0 {
            expand_l0_inputs(manifest, &inputs, output_level, busy)?
        } else {
            inputs
        };
        let round_robin = options.compaction_pri == CompactionPri::RoundRobin;
        let (inputs, below) = setup_other_inputs(
            manifest,
            level,
            inputs,
            output_level,
            max_bytes,
            round_robin,
            busy,
        )?;
        let (smallest, largest) = key_range(inputs.iter().chain(below.iter()).copied())?;
        if busy.output_range_overlaps(output_level, &smallest, &largest) {
            return None;
        }
        (inputs, below)
    };
    let trivial = is_trivial_move(
        manifest,
        level,
        output_level,
        &inputs,
        !below.is_empty(),
        level == 0 && !l0_trivial_move,
        max_bytes,
        targets.num_levels(),
    );
    let reason = if level == 0 {
        CompactionReason::LevelL0FilesNum
    } else {
        CompactionReason::LevelMaxLevelSize
    };
    let round_robin_cursor = (options.compaction_pri == CompactionPri::RoundRobin && level > 0)
        .then(|| key_range(inputs.iter().copied()).map(|(_, largest)| largest))
        .flatten();
    let mut plan = build_plan(
        manifest,
        level,
        &inputs,
        output_level,
        &below,
        if trivial {
            PlanKind::Move
        } else {
            PlanKind::Merge
        },
        reason,
        targets.target_file_size(output_level, options),
        max_bytes,
    );
    plan.round_robin_cursor = round_robin_cursor;
    Some(plan)
}

/// L0 → L0 when L0 → base is blocked and L0 holds at least trigger + 2 tables (RocksDB's
/// `PickIntraL0Compaction`).
fn pick_intra_l0(
    manifest: &Manifest,
    options: &LeveledOptions,
    targets: &LevelTargets,
    busy: &Busy,
) -> Option<CompactionPlan> {
    let enough = options.level0_file_num_compaction_trigger.saturating_add(2);
    if manifest.l0.len() < enough {
        return None;
    }
    let span = find_intra_l0(
        &manifest.l0,
        busy,
        MIN_FILES_FOR_INTRA_L0,
        u64::MAX,
        options.effective_max_compaction_bytes(),
    )?;
    assert!(span.len() >= MIN_FILES_FOR_INTRA_L0);
    Some(build_plan(
        manifest,
        0,
        &span,
        0,
        &[],
        PlanKind::Merge,
        CompactionReason::IntraL0,
        targets.target_file_size(0, options),
        options.effective_max_compaction_bytes(),
    ))
}

/// A plan from chosen tables: start-level inputs (L0 kept newest first, L1+ by key), then
/// the output-level inputs; bottommost decided on this version.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_plan(
    manifest: &Manifest,
    level: usize,
    inputs: &[&SstMeta],
    output_level: usize,
    below: &[&SstMeta],
    kind: PlanKind,
    reason: CompactionReason,
    target_file_size_bytes: u64,
    max_compaction_bytes: u64,
) -> CompactionPlan {
    let mut plan_inputs = vec![PlanInput {
        level,
        ids: ordered_ids(manifest, level, inputs),
    }];
    if !below.is_empty() && output_level != level {
        plan_inputs.push(PlanInput {
            level: output_level,
            ids: ordered_ids(manifest, output_level, below),
        });
    }
    let ids: BTreeSet<_> = plan_inputs
        .iter()
        .flat_map(|input| input.ids.iter().copied())
        .collect();
    // RocksDB never cuts outputs into L0 at boundaries, and a move writes nothing.
    let grandparents = (kind == PlanKind::Merge && output_level > 0)
        .then(|| key_range(inputs.iter().chain(below.iter()).copied()))
        .flatten()
        .map(|(smallest, largest)| {
            GrandparentCut::from_version(
                manifest,
                output_level,
                &smallest,
                &largest,
                max_compaction_bytes,
            )
        });
    CompactionPlan {
        kind,
        reason,
        bottommost: is_bottommost(manifest, &ids, output_level),
        inputs: plan_inputs,
        output_level,
        target_file_size_bytes,
        output_time: OutputTime::BuildTime,
        grandparents,
        round_robin_cursor: None,
    }
}

/// `tables`' ids in the level's own order (L0 newest first, L1+ by smallest key).
fn ordered_ids(manifest: &Manifest, level: usize, tables: &[&SstMeta]) -> Vec<crate::ids::SstId> {
    let wanted: BTreeSet<_> = tables.iter().map(|sst| sst.id).collect();
    manifest
        .level(level)
        .iter()
        .filter(|sst| wanted.contains(&sst.id))
        .map(|sst| sst.id)
        .collect()
}
