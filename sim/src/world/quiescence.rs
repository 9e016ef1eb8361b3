//! C4's LSM half: once faults stop and the clients are done, the background processes
//! must bring the tree back to rest — the strategy picks nothing more on the newest
//! manifest (for leveled, L0 is then under its compaction trigger; universal may keep as
//! many sorted runs as its trigger, FIFO up to its size limit in L0), the pending list drained (after a checkpoint newer
//! than every compaction, then a GC pass), no orphan left that the garbage collector may
//! collect (an unreferenced table of a fenced epoch), and no temporary output of a remote
//! job left (the primary purges a job's prefix when it closes the job and sweeps `tmp/`;
//! the garbage collector collects fenced primaries'), and the bucket bounded (`bucket.rs`).
//! C5 measures at this rest.

use super::bucket::Bucket;
use super::store_view::newest_manifest;
use crate::clock::{EPOCH_BASE_MS, sim_elapsed};
use crate::store::{StoreNode, StoreState};
use lsm_core::compaction::{Busy, CompactionStyle};
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
    /// The strategy would start no compaction on the newest manifest.
    pub picker_idle: bool,
    pub l0_tables: usize,
    pub l0_trigger: usize,
    pub pending: usize,
    pub collectable_orphans: usize,
    /// Temporary outputs of remote jobs still in the store: once the tree is at rest no
    /// job is open, so every one of them is past its bound.
    pub tmp_objects: usize,
    /// WAL segments and manifest versions, and their bounds (C4-bucket-bounded).
    pub bucket: Bucket,
    pub waited_ms: u64,
}

impl Rest {
    pub fn describe(&self) -> String {
        format!(
            "after {} ms: picker {}, L0 {} tables (trigger {}), {} pending deletion, {} collectable orphans, {} temporary objects, {}",
            self.waited_ms,
            if self.picker_idle { "idle" } else { "busy" },
            self.l0_tables,
            self.l0_trigger,
            self.pending,
            self.collectable_orphans,
            self.tmp_objects,
            self.bucket.describe()
        )
    }
}

/// Waits (boundedly) for rest; `style` is the strategy every compactor of the run uses.
/// `manifests_kept` is the collector's `manifest_versions_kept`.
pub async fn await_rest(
    store: &StoreNode,
    style: &CompactionStyle,
    l0_trigger: usize,
    manifests_kept: u64,
) -> Rest {
    let polls = QUIESCE_WAIT.as_millis() / QUIESCE_POLL.as_millis();
    let mut rest = Rest::default();
    for poll in 0..=polls {
        let now_ms = EPOCH_BASE_MS + sim_elapsed().as_millis() as u64;
        rest = store.with_state(|state| measure(state, style, l0_trigger, now_ms, manifests_kept));
        rest.waited_ms = (poll * QUIESCE_POLL.as_millis()) as u64;
        if rest.reached {
            return rest;
        }
        madsim::time::sleep(QUIESCE_POLL).await;
    }
    rest
}

fn measure(
    state: &StoreState,
    style: &CompactionStyle,
    l0_trigger: usize,
    now_ms: u64,
    manifests_kept: u64,
) -> Rest {
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
    let picker_idle = style.pick(&newest, &Busy::new(), now_ms).is_none();
    // Leveled at rest has L0 under its trigger (its L0 score is below 1). Universal may rest
    // with exactly `trigger` sorted runs when neither size amplification nor the size ratio
    // asks for a merge and the run count is within its read-amplification bound (RocksDB
    // does the same); FIFO keeps its L0 up to its size limit. For those, an idle picker is
    // the definition of rest.
    let l0_settled = !matches!(style, CompactionStyle::Leveled(_)) || l0_tables < l0_trigger.max(1);
    let tmp_objects = state.list(TMP_PREFIX).len();
    let bucket = Bucket::measure(state, &newest, manifests_kept);
    Rest {
        reached: picker_idle
            && l0_settled
            && pending == 0
            && collectable_orphans == 0
            && tmp_objects == 0
            && bucket.bounded(),
        picker_idle,
        l0_tables,
        l0_trigger,
        pending,
        collectable_orphans,
        tmp_objects,
        bucket,
        waited_ms: 0,
    }
}
