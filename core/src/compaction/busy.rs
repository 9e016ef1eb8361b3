//! What is already being compacted: pickers skip these tables and refuse to write into a key
//! range another running job writes at the same level, so non-overlapping jobs can run at
//! once (how many is the caller's business: RocksDB's `max_background_compactions`).

use super::CompactionPlan;
use super::overlap::key_range;
use crate::ids::SstId;
use crate::manifest::Manifest;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One compaction in flight, as pickers need to see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningCompaction {
    pub start_level: usize,
    pub output_level: usize,
    pub input_ids: BTreeSet<SstId>,
    /// User-key range of all inputs: the outputs will fall inside it.
    pub smallest_key: Bytes,
    pub largest_key: Bytes,
}

/// The caller's record of work in flight, and of the round-robin cursors (RocksDB keeps
/// those in the version; here the caller carries them between picks).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Busy {
    pub running: Vec<RunningCompaction>,
    /// Per start level: the largest user key of the last round-robin pick.
    pub round_robin_cursors: BTreeMap<usize, Bytes>,
}

impl Busy {
    pub fn new() -> Busy {
        Busy::default()
    }

    /// True when a running compaction reads `id`.
    pub fn is_busy(&self, id: SstId) -> bool {
        self.running.iter().any(|job| job.input_ids.contains(&id))
    }

    /// True when any of `ids` is being compacted.
    pub fn any_busy(&self, mut ids: impl Iterator<Item = SstId>) -> bool {
        ids.any(|id| self.is_busy(id))
    }

    /// True when a running compaction starts at L0 (RocksDB allows one at a time, since
    /// L0 tables overlap).
    pub fn l0_in_progress(&self) -> bool {
        self.running.iter().any(|job| job.start_level == 0)
    }

    /// True when a running compaction writes into `level` within `[smallest, largest]`
    /// (RocksDB's `RangeOverlapWithCompaction`).
    pub fn output_range_overlaps(&self, level: usize, smallest: &[u8], largest: &[u8]) -> bool {
        self.running.iter().any(|job| {
            job.output_level == level
                && smallest <= &job.largest_key[..]
                && &job.smallest_key[..] <= largest
        })
    }

    /// Records `plan` as running; its inputs are looked up in `manifest`, the version it was
    /// picked from. Also moves the round-robin cursor if the plan carries one.
    pub fn register(&mut self, plan: &CompactionPlan, manifest: &Manifest) {
        let input_ids = plan.input_ids();
        let metas: Vec<_> = manifest
            .all_live_ssts()
            .filter(|sst| input_ids.contains(&sst.id))
            .collect();
        // A busy range narrower than the job's would let a picker write into it.
        assert_eq!(
            metas.len(),
            input_ids.len(),
            "a plan's inputs are live in the version it came from"
        );
        let (smallest_key, largest_key) =
            key_range(metas).expect("a plan's inputs are live in the version it came from");
        assert!(
            !self.any_busy(input_ids.iter().copied()),
            "inputs already running"
        );
        if let Some(cursor) = &plan.round_robin_cursor {
            self.round_robin_cursors
                .insert(plan.start_level(), cursor.clone());
        }
        self.running.push(RunningCompaction {
            start_level: plan.start_level(),
            output_level: plan.output_level,
            input_ids,
            smallest_key,
            largest_key,
        });
    }

    /// Forgets the running compaction that reads exactly `plan`'s inputs.
    pub fn release(&mut self, plan: &CompactionPlan) {
        let input_ids = plan.input_ids();
        let running_before = self.running.len();
        self.running.retain(|job| job.input_ids != input_ids);
        // Registered once, released once: a job is never running twice.
        assert_eq!(
            self.running.len() + 1,
            running_before,
            "released a job not running"
        );
    }
}
