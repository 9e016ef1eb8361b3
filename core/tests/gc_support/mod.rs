//! Shared by the garbage-collector role tests: a clock moved by hand, and a tree whose
//! manifests are built edit by edit on a rule store.
#![allow(dead_code, clippy::unwrap_used)]

use crate::writer_support::{
    RuleStore, TestClock, add_checkpoint, block_on, latest_manifest, sst_objects,
};
use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::gc::GcOptions;
use lsm_core::ids::{Epoch, IdRole, ManifestVersion, SeqNum, SstId};
use lsm_core::layout::sst_path;
use lsm_core::manifest::decide::Decision;
use lsm_core::manifest::{Edit, Manifest, check_invariants};
use lsm_core::roles::gc::{GarbageCollector, GcPassStats};
use lsm_core::roles::manifest_io::install;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::sst::SstMeta;
use lsm_core::store::{Attributes, MemoryStore, ObjectStore, PutMode};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const TABLE_BYTES: usize = 64;
pub const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;

/// A test clock moved by hand, forward or back.
#[derive(Clone, Default)]
pub struct ManualClock {
    base: TestClock,
    offset_ms: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn set_offset(&self, offset_ms: u64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Duration {
        self.base.monotonic()
    }

    fn wall_ms(&self) -> u64 {
        self.base.wall_ms() + self.offset_ms.load(Ordering::SeqCst)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.base.sleep(duration)
    }
}

/// A tree built by hand: each table holds keys `k<slot>a..=k<slot>z`, disjoint from all
/// others, so any table can move to L1 alone.
pub struct Tree {
    pub store: RuleStore,
    pub next_counter: u64,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            store: RuleStore::new(Arc::new(MemoryStore::new())),
            next_counter: 0,
        }
    }

    pub fn memory(&self) -> &MemoryStore {
        &self.store.inner
    }

    pub fn fresh(&mut self, role: IdRole, epoch: Epoch) -> SstId {
        self.next_counter += 1;
        SstId::compose(role, epoch, self.next_counter).unwrap()
    }

    /// Puts an object for `id` without referencing it (an upload not yet installed).
    pub fn upload(&self, id: SstId) {
        block_on(self.memory().put(
            &sst_path(id),
            Bytes::from(vec![7u8; TABLE_BYTES]),
            PutMode::Overwrite,
            Attributes::new(),
        ))
        .unwrap();
    }

    pub fn install(&self, tag: &str, edit: impl Fn(&Manifest) -> Edit) -> Manifest {
        block_on(install(
            self.memory(),
            &TestClock::default(),
            &RetryPolicy::default(),
            4,
            tag,
            |latest| Ok(Decision::install_if(Some(edit(latest)), ())),
        ))
        .unwrap()
        .manifest
    }

    /// Uploads and installs a new L0 table of the current writer epoch.
    pub fn flush(&mut self) -> SstId {
        let latest = latest_manifest(self.memory());
        let id = self.fresh(IdRole::Writer, latest.writer_epoch);
        self.upload(id);
        let seq = SeqNum(latest.last_seq.0 + 1);
        let sst = table(id, self.next_counter, seq);
        self.install(&format!("flush/{id}"), |m| Edit::Flush {
            writer_epoch: m.writer_epoch,
            sst: sst.clone(),
            wal_replay_point: m.wal_replay_point,
            last_seq: seq,
        });
        id
    }

    /// Moves `inputs` (L0 tables) to L1 as new tables of the current compactor epoch; the
    /// inputs go pending. Returns the version that obsoleted them.
    pub fn compact(&mut self, inputs: &[SstId]) -> ManifestVersion {
        let latest = latest_manifest(self.memory());
        let mut added = Vec::new();
        for input in inputs {
            let (_, old) = latest.find_live(*input).unwrap();
            let id = self.fresh(IdRole::Compactor, latest.compactor_epoch);
            self.upload(id);
            added.push((1, SstMeta { id, ..old.clone() }));
        }
        let removed: BTreeSet<SstId> = inputs.iter().copied().collect();
        let next = self.install("compact", |m| Edit::Compaction {
            compactor_epoch: m.compactor_epoch,
            removed: removed.clone(),
            added: added.clone(),
            force_delete: false,
        });
        next.version
    }

    pub fn fence_writer(&self) {
        self.install("fence-writer", |m| Edit::FenceWriter {
            new_epoch: Epoch(m.writer_epoch.0 + 1),
        });
    }

    pub fn fence_compactor(&self) {
        self.install("fence-compactor", |m| Edit::FenceCompactor {
            new_epoch: Epoch(m.compactor_epoch.0 + 1),
        });
    }

    pub fn manifest(&self) -> Manifest {
        let manifest = latest_manifest(self.memory());
        check_invariants(&manifest).unwrap();
        manifest
    }

    pub fn objects(&self) -> BTreeSet<SstId> {
        sst_objects(self.memory())
    }

    /// Every table the newest manifest references is in the store.
    pub fn assert_references_intact(&self) {
        let objects = self.objects();
        for id in self.manifest().referenced_sst_ids() {
            assert!(
                objects.contains(&id),
                "table {id} is referenced but missing"
            );
        }
    }
}

pub fn table(id: SstId, slot: u64, seq: SeqNum) -> SstMeta {
    SstMeta {
        id,
        smallest_key: Bytes::from(format!("k{slot:06}a")),
        largest_key: Bytes::from(format!("k{slot:06}z")),
        smallest_seq: seq,
        largest_seq: seq,
        entry_count: 1,
        tombstone_count: 0,
        logical_bytes: 10,
        size_bytes: TABLE_BYTES as u64,
        created_at_ms: 0,
        object_crc32c: 0,
    }
}

pub fn fast_retry(attempts_max: u32) -> RetryPolicy {
    RetryPolicy {
        attempts_max,
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(4),
    }
}

pub fn collector<C: Clock>(
    tree: &Tree,
    clock: C,
    options: GcOptions,
) -> GarbageCollector<RuleStore, C> {
    GarbageCollector::new(tree.store.clone(), clock, options).with_tag("test-gc")
}

pub fn pass<C: Clock>(gc: &mut GarbageCollector<RuleStore, C>) -> GcPassStats {
    block_on(gc.run_once()).unwrap()
}

pub fn now_ms() -> u64 {
    TestClock::default().wall_ms()
}

/// Three deletable pending tables: the first covered by a checkpoint taken after them.
pub fn tree_with_deletable_pending() -> (Tree, Vec<SstId>) {
    let mut tree = Tree::new();
    let inputs = vec![tree.flush(), tree.flush(), tree.flush()];
    tree.flush();
    tree.compact(&inputs);
    add_checkpoint(tree.memory(), now_ms(), None);
    (tree, inputs)
}

impl Tree {
    /// Live tables are all present (pending ones may already be deleted).
    pub fn assert_references_intact_except_pending(&self) {
        let objects = self.objects();
        for id in self.manifest().live_sst_ids() {
            assert!(objects.contains(&id), "live table {id} is missing");
        }
    }
}
