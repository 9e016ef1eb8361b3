//! C4's LSM half: once faults stop and the clients are done, the background processes
//! must bring the tree back to rest — L0 under its compaction trigger, the pending list
//! drained (after a checkpoint newer than every compaction, then a GC pass), no orphan
//! left that the garbage collector may collect (an unreferenced table of a fenced epoch),
//! and no temporary output of a remote job left (the primary purges a job's prefix when it
//! closes the job and sweeps `tmp/`; the garbage collector collects fenced primaries').

use super::integrity::newest_manifest;
use crate::store::{StoreNode, StoreState};
use lsm_core::ids::IdRole;
use lsm_core::layout::{SST_PREFIX, TMP_PREFIX, parse_sst_path};
use std::time::Duration;

/// How long the tree may take to come to rest, polled this often.
const QUIESCE_WAIT: Duration = Duration::from_secs(900);
const QUIESCE_POLL: Duration = Duration::from_secs(1);

/// The tree once it came to rest, or when the wait ran out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rest {
    pub reached: bool,
    pub l0_tables: usize,
    pub l0_trigger: usize,
    pub pending: usize,
    pub collectable_orphans: usize,
    /// Temporary outputs of remote jobs still in the store: once the tree is at rest no
    /// job is open, so every one of them is past its bound.
    pub tmp_objects: usize,
    pub waited_ms: u64,
}

impl Rest {
    pub fn describe(&self) -> String {
        format!(
            "after {} ms: L0 {} tables (trigger {}), {} pending deletion, {} collectable orphans, {} temporary objects",
            self.waited_ms,
            self.l0_tables,
            self.l0_trigger,
            self.pending,
            self.collectable_orphans,
            self.tmp_objects
        )
    }
}

pub async fn await_rest(store: &StoreNode, l0_trigger: usize) -> Rest {
    let polls = QUIESCE_WAIT.as_millis() / QUIESCE_POLL.as_millis();
    let mut rest = Rest::default();
    for poll in 0..=polls {
        rest = store.with_state(|state| measure(state, l0_trigger));
        rest.waited_ms = (poll * QUIESCE_POLL.as_millis()) as u64;
        if rest.reached {
            return rest;
        }
        madsim::time::sleep(QUIESCE_POLL).await;
    }
    rest
}

fn measure(state: &StoreState, l0_trigger: usize) -> Rest {
    let Some(newest) = newest_manifest(state) else {
        return Rest::default();
    };
    let referenced = newest.referenced_sst_ids();
    let collectable_orphans = state
        .list(SST_PREFIX)
        .iter()
        .filter_map(|meta| parse_sst_path(&meta.path))
        .filter(|id| !referenced.contains(id))
        .filter(|id| match id.role() {
            Some(IdRole::Writer) => id.epoch() < newest.writer_epoch,
            Some(IdRole::Compactor) => id.epoch() < newest.compactor_epoch,
            _ => false,
        })
        .count();
    let l0_tables = newest.l0.len();
    let pending = newest.pending_deletion.len();
    let tmp_objects = state.list(TMP_PREFIX).len();
    Rest {
        reached: l0_tables < l0_trigger.max(1)
            && pending == 0
            && collectable_orphans == 0
            && tmp_objects == 0,
        l0_tables,
        l0_trigger,
        pending,
        collectable_orphans,
        tmp_objects,
        waited_ms: 0,
    }
}
