//! Manual compaction of a key range through every level (RocksDB's `CompactRange`): leveled
//! compacts the range out of each level into the next, down to the last level, then
//! optionally rewrites it there; universal merges everything into the last level; FIFO runs
//! its picker once.

use super::leveled::{
    LevelTargets, LeveledOptions, expand_l0_inputs, is_trivial_move, setup_other_inputs,
};
use super::overlap::{key_range, overlapping, total_size};
use super::plan_checks::assert_plan_well_formed;
use super::{
    Busy, CompactionPlan, CompactionReason, CompactionStyle, OutputTime, PlanInput, PlanKind, fifo,
    is_bottommost,
};
use crate::entry::WallMs;
use crate::ids::SstId;
use crate::manifest::Manifest;
use crate::sst::SstMeta;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Whether the last level is rewritten at the end (RocksDB:
/// `CompactRangeOptions::bottommost_level_compaction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BottommostLevelCompaction {
    Skip,
    /// The default: only when a compaction filter would see the data.
    IfHaveCompactionFilter,
    Force,
}

/// What to do next for a manual compaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManualStep {
    /// Execute and apply this plan, then ask again.
    Plan(CompactionPlan),
    /// A needed table is being compacted: finish other work and ask again.
    Wait,
    /// The range has been compacted.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    /// Compacting the range out of `level`.
    Level {
        level: usize,
    },
    /// Rewriting the range within `level`, from after `resume` on.
    Bottommost {
        level: usize,
        resume: Option<Bytes>,
    },
    Done,
}

/// A manual compaction in progress: a small state machine the caller drives with
/// [`ManualCompaction::next_step`], applying each plan before asking again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualCompaction {
    begin: Option<Bytes>,
    end: Option<Bytes>,
    bottommost: BottommostLevelCompaction,
    has_compaction_filter: bool,
    stage: Stage,
}

impl ManualCompaction {
    /// Compacts user keys in `[begin, end]` (`None`: unbounded on that side). Universal and
    /// FIFO ignore the range, as RocksDB does.
    pub fn new(
        begin: Option<Bytes>,
        end: Option<Bytes>,
        bottommost: BottommostLevelCompaction,
        has_compaction_filter: bool,
    ) -> ManualCompaction {
        ManualCompaction {
            begin,
            end,
            bottommost,
            has_compaction_filter,
            stage: Stage::Start,
        }
    }

    /// The next plan for the current manifest.
    pub fn next_step(
        &mut self,
        manifest: &Manifest,
        style: &CompactionStyle,
        busy: &Busy,
        now_ms: WallMs,
    ) -> ManualStep {
        let step = self.decide_step(manifest, style, busy, now_ms);
        match &step {
            ManualStep::Plan(plan) => assert_plan_well_formed(plan, manifest, busy),
            ManualStep::Done => assert_eq!(self.stage, Stage::Done),
            ManualStep::Wait => assert_ne!(self.stage, Stage::Done),
        }
        step
    }

    fn decide_step(
        &mut self,
        manifest: &Manifest,
        style: &CompactionStyle,
        busy: &Busy,
        now_ms: WallMs,
    ) -> ManualStep {
        match style {
            CompactionStyle::Leveled(options) => self.next_leveled(manifest, options, busy),
            CompactionStyle::Universal(options) => {
                if self.stage == Stage::Done {
                    return ManualStep::Done;
                }
                let last_level = options
                    .num_levels
                    .max(manifest.level_count())
                    .saturating_sub(1);
                let step = compact_all(
                    manifest,
                    last_level,
                    options.target_file_size(last_level),
                    busy,
                );
                if step != ManualStep::Wait {
                    self.stage = Stage::Done;
                }
                step
            }
            CompactionStyle::Fifo(options) => {
                if self.stage == Stage::Done {
                    return ManualStep::Done;
                }
                self.stage = Stage::Done;
                match fifo::pick(manifest, options, busy, now_ms) {
                    Some(plan) => ManualStep::Plan(plan),
                    None => ManualStep::Done,
                }
            }
            // Garnet compacts its log on demand the same way it does in the background:
            // the oldest segments beyond the maximum, once.
            CompactionStyle::Log(options) => {
                if self.stage == Stage::Done {
                    return ManualStep::Done;
                }
                self.stage = Stage::Done;
                match super::log::pick(manifest, options, busy) {
                    Some(plan) => ManualStep::Plan(plan),
                    None => ManualStep::Done,
                }
            }
        }
    }

    fn low(&self) -> &[u8] {
        self.begin.as_deref().unwrap_or(&[])
    }

    fn in_range(&self, sst: &SstMeta) -> bool {
        let below_end = self.end.as_ref().is_none_or(|end| sst.smallest_key <= *end);
        below_end && &sst.largest_key[..] >= self.low()
    }

    fn next_leveled(
        &mut self,
        manifest: &Manifest,
        options: &LeveledOptions,
        busy: &Busy,
    ) -> ManualStep {
        let targets = LevelTargets::compute(manifest, options);
        // Each pass either returns or moves to a deeper stage, so this is bounded.
        for _ in 0..=targets.num_levels().saturating_mul(2).saturating_add(2) {
            match self.stage.clone() {
                Stage::Done => return ManualStep::Done,
                Stage::Start => {
                    let first = (0..manifest.level_count())
                        .find(|level| manifest.level(*level).iter().any(|sst| self.in_range(sst)));
                    self.stage = match first {
                        Some(level) => Stage::Level { level },
                        None => Stage::Done,
                    };
                }
                Stage::Level { level } => {
                    let last = if options.level_compaction_dynamic_level_bytes {
                        level + 1 == targets.num_levels()
                    } else {
                        level + 1 >= manifest.level_count()
                    };
                    if level > 0 && last {
                        self.stage = Stage::Bottommost {
                            level,
                            resume: None,
                        };
                        continue;
                    }
                    let output_level = if level == 0 && options.level_compaction_dynamic_level_bytes
                    {
                        targets.base_level
                    } else {
                        level + 1
                    };
                    match self.level_plan(manifest, options, &targets, busy, level, output_level) {
                        Some(step) => return step,
                        None => {
                            self.stage = Stage::Level {
                                level: output_level,
                            }
                        }
                    }
                }
                Stage::Bottommost { level, resume } => {
                    return self.bottommost_plan(manifest, options, &targets, busy, level, resume);
                }
            }
        }
        ManualStep::Done
    }

    /// The next chunk of the range out of `level` into `output_level`; `None` once the
    /// level holds nothing of the range.
    fn level_plan(
        &self,
        manifest: &Manifest,
        options: &LeveledOptions,
        targets: &LevelTargets,
        busy: &Busy,
        level: usize,
        output_level: usize,
    ) -> Option<ManualStep> {
        let high = self.end.clone().unwrap_or_else(|| max_key(manifest));
        let mut inputs = overlapping(manifest, level, self.low(), &high);
        if inputs.is_empty() {
            return None;
        }
        let max_bytes = options.effective_max_compaction_bytes();
        if level > 0 {
            truncate_to_limit(manifest, &mut inputs, output_level, max_bytes);
        }
        // Truncating keeps the first table, so every step makes progress.
        assert!(!inputs.is_empty());
        if busy.any_busy(inputs.iter().map(|sst| sst.id)) || (level == 0 && busy.l0_in_progress()) {
            return Some(ManualStep::Wait);
        }
        let inputs = if level == 0 {
            match expand_l0_inputs(manifest, &inputs, output_level, busy) {
                Some(inputs) => inputs,
                None => return Some(ManualStep::Wait),
            }
        } else {
            inputs
        };
        let Some((inputs, below)) = setup_other_inputs(
            manifest,
            level,
            inputs,
            output_level,
            max_bytes,
            false,
            busy,
        ) else {
            return Some(ManualStep::Wait);
        };
        let range = key_range(inputs.iter().chain(below.iter()).copied())?;
        if busy.output_range_overlaps(output_level, &range.0, &range.1) {
            return Some(ManualStep::Wait);
        }
        let trivial = !self.has_compaction_filter
            && is_trivial_move(
                manifest,
                level,
                output_level,
                &inputs,
                !below.is_empty(),
                true,
                max_bytes,
                targets.num_levels(),
            );
        let kind = if trivial {
            PlanKind::Move
        } else {
            PlanKind::Merge
        };
        let target = targets.target_file_size(output_level, options);
        Some(ManualStep::Plan(manual_plan(
            manifest,
            &[(level, inputs.as_slice()), (output_level, below.as_slice())],
            output_level,
            kind,
            target,
        )))
    }

    /// Rewrites the range within the last level, a chunk of at most `max_compaction_bytes`
    /// at a time, if the bottommost option asks for it.
    fn bottommost_plan(
        &mut self,
        manifest: &Manifest,
        options: &LeveledOptions,
        targets: &LevelTargets,
        busy: &Busy,
        level: usize,
        resume: Option<Bytes>,
    ) -> ManualStep {
        let wanted = match self.bottommost {
            BottommostLevelCompaction::Skip => false,
            BottommostLevelCompaction::IfHaveCompactionFilter => self.has_compaction_filter,
            BottommostLevelCompaction::Force => true,
        };
        let high = self.end.clone().unwrap_or_else(|| max_key(manifest));
        let mut inputs: Vec<&SstMeta> = overlapping(manifest, level, self.low(), &high)
            .into_iter()
            .filter(|sst| {
                resume
                    .as_ref()
                    .is_none_or(|resume| sst.smallest_key > *resume)
            })
            .collect();
        if !wanted || inputs.is_empty() {
            self.stage = Stage::Done;
            return ManualStep::Done;
        }
        truncate_to_limit(
            manifest,
            &mut inputs,
            level,
            options.effective_max_compaction_bytes(),
        );
        if busy.any_busy(inputs.iter().map(|sst| sst.id)) {
            return ManualStep::Wait;
        }
        let next_resume = key_range(inputs.iter().copied()).map(|(_, largest)| largest);
        // The rewrite walks the range left to right and ends: every step resumes further.
        assert!(next_resume.is_some());
        assert!(
            resume.is_none_or(|resume| next_resume.as_ref().is_some_and(|next| *next > resume))
        );
        self.stage = Stage::Bottommost {
            level,
            resume: next_resume,
        };
        let target = targets.target_file_size(level, options);
        ManualStep::Plan(manual_plan(
            manifest,
            &[(level, inputs.as_slice())],
            level,
            PlanKind::Merge,
            target,
        ))
    }
}

/// Keeps the leading inputs until they and their overlap in `output_level` reach
/// `max_bytes` (the file that reaches it included; the last file never cuts).
fn truncate_to_limit(
    manifest: &Manifest,
    inputs: &mut Vec<&SstMeta>,
    output_level: usize,
    max_bytes: u64,
) {
    let Some(first) = inputs.first().map(|sst| sst.smallest_key.clone()) else {
        return;
    };
    let mut input_total = 0u64;
    for index in 0..inputs.len().saturating_sub(1) {
        let Some(sst) = inputs.get(index) else { break };
        input_total = input_total.saturating_add(sst.size_bytes);
        let below = if output_level == 0 {
            0
        } else {
            total_size(overlapping(
                manifest,
                output_level,
                &first,
                &sst.largest_key,
            ))
        };
        if input_total.saturating_add(below) >= max_bytes {
            inputs.truncate(index + 1);
            return;
        }
    }
}

/// The largest user key in the tree (the end of an unbounded range).
fn max_key(manifest: &Manifest) -> Bytes {
    manifest
        .all_live_ssts()
        .map(|sst| sst.largest_key.clone())
        .max()
        .unwrap_or_default()
}

/// Universal manual compaction: every table into `last_level`.
fn compact_all(manifest: &Manifest, last_level: usize, target: u64, busy: &Busy) -> ManualStep {
    if manifest.all_live_ssts().next().is_none() {
        return ManualStep::Done;
    }
    if busy.any_busy(manifest.all_live_ssts().map(|sst| sst.id)) {
        return ManualStep::Wait;
    }
    let levels: Vec<(usize, Vec<&SstMeta>)> = (0..manifest.level_count())
        .map(|level| (level, manifest.level(level).iter().collect()))
        .collect();
    let borrowed: Vec<(usize, &[&SstMeta])> = levels
        .iter()
        .map(|(level, tables)| (*level, tables.as_slice()))
        .collect();
    let mut plan = manual_plan(manifest, &borrowed, last_level, PlanKind::Merge, target);
    assert_eq!(
        plan.input_count(),
        manifest.all_live_ssts().count(),
        "all of the tree"
    );
    plan.bottommost = true;
    ManualStep::Plan(plan)
}

fn manual_plan(
    manifest: &Manifest,
    levels: &[(usize, &[&SstMeta])],
    output_level: usize,
    kind: PlanKind,
    target_file_size_bytes: u64,
) -> CompactionPlan {
    let mut inputs = Vec::new();
    for (level, tables) in levels {
        let wanted: BTreeSet<SstId> = tables.iter().map(|sst| sst.id).collect();
        let ids: Vec<SstId> = manifest
            .level(*level)
            .iter()
            .filter(|sst| wanted.contains(&sst.id))
            .map(|sst| sst.id)
            .collect();
        if !ids.is_empty() && !inputs.iter().any(|input: &PlanInput| input.level == *level) {
            inputs.push(PlanInput { level: *level, ids });
        }
    }
    let ids: BTreeSet<SstId> = inputs
        .iter()
        .flat_map(|input| input.ids.iter().copied())
        .collect();
    CompactionPlan {
        kind,
        reason: CompactionReason::Manual,
        bottommost: is_bottommost(manifest, &ids, output_level),
        inputs,
        output_level,
        target_file_size_bytes,
        output_time: OutputTime::BuildTime,
        grandparents: None,
        round_robin_cursor: None,
    }
}
