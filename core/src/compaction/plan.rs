//! What a picker decides: which tables, where the result goes, and why. Ids only, so a plan
//! can travel in a job object and be checked against whatever manifest is current.

use super::leveled::GrandparentCut;
use crate::entry::WallMs;
use crate::ids::{Epoch, SstId};
use crate::manifest::{Edit, Manifest};
use crate::sst::SstMeta;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// How a plan changes the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanKind {
    /// Read the inputs, merge them and write new tables to the output level.
    Merge,
    /// Trivial move: the inputs change level unchanged; nothing is read or written.
    Move,
    /// Deletion only (FIFO, log shift): the inputs leave the tree; nothing is read or
    /// written.
    Delete,
}

/// Why a compaction was picked; the names follow RocksDB's `CompactionReason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompactionReason {
    /// L0 sorted runs reached `level0_file_num_compaction_trigger` (`kLevelL0FilesNum`).
    LevelL0FilesNum,
    /// A level outgrew its target size (`kLevelMaxLevelSize`).
    LevelMaxLevelSize,
    /// L0 → L0 while L0 → base is blocked; RocksDB reports it as `kLevelL0FilesNum`.
    IntraL0,
    /// Universal: newer runs outweigh the oldest by `max_size_amplification_percent`.
    UniversalSizeAmplification,
    /// Universal: runs of similar size (`size_ratio`).
    UniversalSizeRatio,
    /// Universal: too many sorted runs (`kUniversalSortedRunNum`).
    UniversalSortedRunNum,
    /// FIFO: total size above `max_table_files_size` (`kFIFOMaxSize`).
    FifoMaxSize,
    /// FIFO: files older than `ttl` (`kFIFOTtl`).
    FifoTtl,
    /// FIFO with `allow_compaction`: merge small L0 files (`kFIFOReduceNumFiles`).
    FifoReduceNumFiles,
    /// A manual compaction of a key range (`CompactRange`).
    Manual,
    /// Log style, shift: the oldest segments beyond the maximum are dropped.
    LogShift,
    /// Log style, scan: the oldest segments' live records (found by scanning the rest of
    /// the log) are copied into a new segment.
    LogScan,
    /// Log style, lookup: as scan, liveness found by a point lookup per record.
    LogLookup,
}

/// Which wall-clock time the outputs record as `created_at_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputTime {
    /// The `now_ms` of the node running the merge.
    BuildTime,
    /// The newest `created_at_ms` of the inputs: FIFO's TTL judges a table by its newest
    /// data, so a merge must not make old data look young (RocksDB keeps the newest key
    /// time of the inputs for the same reason).
    NewestInput,
}

/// The input tables of one level, in read order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// 0 is L0.
    pub level: usize,
    /// L0: newest first; L1+: by smallest key.
    pub ids: Vec<SstId>,
}

/// A compaction decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionPlan {
    pub kind: PlanKind,
    pub reason: CompactionReason,
    /// Inputs newest first: L0 (newest first), then by level ascending. Never empty.
    pub inputs: Vec<PlanInput>,
    pub output_level: usize,
    /// Decided on the version the plan was made from: no data older than the inputs can
    /// exist below the output (RocksDB's rule: no table outside the inputs in an older
    /// sorted run overlaps their key range). The merge drops tombstones only then.
    pub bottommost: bool,
    /// Outputs are cut once they reach this size, on user-key boundaries; `u64::MAX` for
    /// no limit.
    pub target_file_size_bytes: u64,
    pub output_time: OutputTime,
    /// Leveled merges into L1+: the grandparent boundaries outputs are also cut at
    /// (RocksDB's `level_compaction_dynamic_file_size`); `None` cuts at the target size
    /// only (universal, FIFO, log, intra-L0, manual).
    pub grandparents: Option<GrandparentCut>,
    /// Round-robin priority only: where the start level's cursor moves once this plan is
    /// registered (the largest user key of the start-level inputs).
    pub round_robin_cursor: Option<Bytes>,
}

/// Why a plan cannot become an edit against the current manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// An input is no longer live: another compaction took it; the plan is stale.
    InputNotLive { id: SstId },
    /// Outputs were given for a move or a deletion, which write none.
    OutputsForNonMerge { kind: PlanKind, count: usize },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::InputNotLive { id } => {
                write!(f, "input sst {id} is no longer live; the plan is stale")
            }
            PlanError::OutputsForNonMerge { kind, count } => {
                write!(
                    f,
                    "{count} outputs given for a {kind:?} plan, which writes none"
                )
            }
        }
    }
}

impl std::error::Error for PlanError {}

impl CompactionPlan {
    /// Every input id.
    pub fn input_ids(&self) -> BTreeSet<SstId> {
        self.inputs
            .iter()
            .flat_map(|input| input.ids.iter().copied())
            .collect()
    }

    pub fn input_count(&self) -> usize {
        self.inputs.iter().map(|input| input.ids.len()).sum()
    }

    /// The shallowest input level.
    pub fn start_level(&self) -> usize {
        self.inputs
            .iter()
            .map(|input| input.level)
            .min()
            .unwrap_or(self.output_level)
    }

    /// The manifest edit installing this plan's result: inputs removed by id, `outputs`
    /// (a merge's new tables) added at the output level; a move re-adds the inputs' current
    /// metadata at the output level; a deletion adds nothing. Checks that every input is
    /// still live in `current`, the manifest the edit will be applied to.
    pub fn into_edit(
        &self,
        current: &Manifest,
        outputs: &[SstMeta],
        compactor_epoch: Epoch,
        force_delete: bool,
    ) -> Result<Edit, PlanError> {
        let removed = self.input_ids();
        let mut moved = Vec::new();
        for id in &removed {
            match current.find_live(*id) {
                Some((_, meta)) => moved.push(meta.clone()),
                None => return Err(PlanError::InputNotLive { id: *id }),
            }
        }
        let added = match self.kind {
            PlanKind::Merge => outputs
                .iter()
                .map(|meta| (self.output_level, meta.clone()))
                .collect(),
            PlanKind::Move | PlanKind::Delete if !outputs.is_empty() => {
                return Err(PlanError::OutputsForNonMerge {
                    kind: self.kind,
                    count: outputs.len(),
                });
            }
            PlanKind::Move => moved
                .into_iter()
                .map(|meta| (self.output_level, meta))
                .collect(),
            PlanKind::Delete => Vec::new(),
        };
        Ok(Edit::Compaction {
            compactor_epoch,
            removed,
            added,
            force_delete,
        })
    }

    /// The `created_at_ms` outputs get under [`CompactionPlan::output_time`].
    pub fn output_created_at_ms(&self, inputs: &[&SstMeta], now_ms: WallMs) -> WallMs {
        match self.output_time {
            OutputTime::BuildTime => now_ms,
            OutputTime::NewestInput => inputs
                .iter()
                .map(|meta| meta.created_at_ms)
                .max()
                .unwrap_or(now_ms),
        }
    }
}
