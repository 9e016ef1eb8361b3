//! The garbage collector role against a store whose manifests are built edit by edit:
//! deferred deletion waits for a newer checkpoint and for older ones to go, expiry is
//! judged on the collector's clock, orphans are recognised by fenced epochs (never by age,
//! even when the clock jumps years ahead), a crash between delete and purge converges, and
//! store faults and lost manifest races are retried.
#![allow(clippy::unwrap_used)]

mod writer_support;

use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::gc::GcOptions;
use lsm_core::ids::{Epoch, IdRole, ManifestVersion, SeqNum, SstId};
use lsm_core::layout::sst_path;
use lsm_core::manifest::decide::Decision;
use lsm_core::manifest::{Edit, Manifest, check_invariants};
use lsm_core::roles::gc::{GarbageCollector, GcError, GcPassStats};
use lsm_core::roles::manifest_io::install;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::sst::SstMeta;
use lsm_core::store::{Attributes, MemoryStore, ObjectStore, PutMode};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use writer_support::{
    ControlledStore, Fault, TestClock, add_checkpoint, block_on, latest_manifest, sst_objects,
};

const TABLE_BYTES: usize = 64;
const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;

/// A test clock moved by hand, forward or back.
#[derive(Clone, Default)]
struct ManualClock {
    base: TestClock,
    offset_ms: Arc<AtomicU64>,
}

impl ManualClock {
    fn set_offset(&self, offset_ms: u64) {
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
struct Tree {
    store: ControlledStore,
    next_counter: u64,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            store: ControlledStore::new(Arc::new(MemoryStore::new())),
            next_counter: 0,
        }
    }

    fn memory(&self) -> &MemoryStore {
        &self.store.inner
    }

    fn fresh(&mut self, role: IdRole, epoch: Epoch) -> SstId {
        self.next_counter += 1;
        SstId::compose(role, epoch, self.next_counter).unwrap()
    }

    /// Puts an object for `id` without referencing it (an upload not yet installed).
    fn upload(&self, id: SstId) {
        block_on(self.memory().put(
            &sst_path(id),
            Bytes::from(vec![7u8; TABLE_BYTES]),
            PutMode::Overwrite,
            Attributes::new(),
        ))
        .unwrap();
    }

    fn install(&self, tag: &str, edit: impl Fn(&Manifest) -> Edit) -> Manifest {
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
    fn flush(&mut self) -> SstId {
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
    fn compact(&mut self, inputs: &[SstId]) -> ManifestVersion {
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

    fn fence_writer(&self) {
        self.install("fence-writer", |m| Edit::FenceWriter {
            new_epoch: Epoch(m.writer_epoch.0 + 1),
        });
    }

    fn fence_compactor(&self) {
        self.install("fence-compactor", |m| Edit::FenceCompactor {
            new_epoch: Epoch(m.compactor_epoch.0 + 1),
        });
    }

    fn manifest(&self) -> Manifest {
        let manifest = latest_manifest(self.memory());
        check_invariants(&manifest).unwrap();
        manifest
    }

    fn objects(&self) -> BTreeSet<SstId> {
        sst_objects(self.memory())
    }

    /// Every table the newest manifest references is in the store.
    fn assert_references_intact(&self) {
        let objects = self.objects();
        for id in self.manifest().referenced_sst_ids() {
            assert!(
                objects.contains(&id),
                "table {id} is referenced but missing"
            );
        }
    }
}

fn table(id: SstId, slot: u64, seq: SeqNum) -> SstMeta {
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

fn fast_retry(attempts_max: u32) -> RetryPolicy {
    RetryPolicy {
        attempts_max,
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(4),
    }
}

fn collector<C: Clock>(
    tree: &Tree,
    clock: C,
    options: GcOptions,
) -> GarbageCollector<ControlledStore, C> {
    GarbageCollector::new(tree.store.clone(), clock, options).with_tag("test-gc")
}

fn pass<C: Clock>(gc: &mut GarbageCollector<ControlledStore, C>) -> GcPassStats {
    block_on(gc.run_once()).unwrap()
}

fn now_ms() -> u64 {
    TestClock::default().wall_ms()
}

#[test]
fn pending_waits_for_a_newer_checkpoint_and_for_older_ones_to_go() {
    let mut tree = Tree::new();
    let a = tree.flush();
    let b = tree.flush();
    let old = add_checkpoint(tree.memory(), now_ms(), Some(now_ms() + 60_000));
    let obsoleted_at = tree.compact(&[a]);
    assert!(old.manifest_version < obsoleted_at);
    let clock = ManualClock::default();
    let mut gc = collector(&tree, clock.clone(), GcOptions::default());

    let first = pass(&mut gc);
    assert_eq!(first.pending_deleted, 0);
    assert_eq!(first.kept.pending_needed_by_checkpoint, 1);
    assert!(tree.objects().contains(&a));

    let newer = add_checkpoint(tree.memory(), now_ms(), None);
    assert!(newer.manifest_version >= obsoleted_at);
    let second = pass(&mut gc);
    assert_eq!(
        second.pending_deleted, 0,
        "the older checkpoint still reads it"
    );
    assert!(tree.objects().contains(&a));

    clock.set_offset(120_000);
    let third = pass(&mut gc);
    assert_eq!(third.checkpoints_expired, 1);
    assert_eq!(third.pending_deleted, 1);
    assert_eq!(third.pending_purged, 1);
    assert_eq!(third.bytes_deleted, TABLE_BYTES as u64);
    let manifest = tree.manifest();
    assert!(manifest.pending_deletion.is_empty());
    assert_eq!(
        manifest
            .checkpoints
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![newer.id]
    );
    assert!(!tree.objects().contains(&a));
    assert!(tree.objects().contains(&b));
    tree.assert_references_intact();
    let totals = gc.stats();
    assert_eq!(totals.passes, 3);
    assert_eq!(totals.pending_deleted, 1);
    assert_eq!(totals.checkpoints_expired, 1);
    assert_eq!(totals.errors, 0);
}

#[test]
fn nothing_pending_goes_without_a_checkpoint_when_waiting() {
    let mut tree = Tree::new();
    let a = tree.flush();
    tree.compact(&[a]);
    let mut gc = collector(&tree, TestClock::default(), GcOptions::default());
    for _ in 0..3 {
        let stats = pass(&mut gc);
        assert_eq!(stats.pending_deleted, 0);
        assert_eq!(stats.kept.pending_awaiting_checkpoint, 1);
    }
    assert!(tree.objects().contains(&a));
}

#[test]
fn checkpoint_expiry_is_judged_on_the_collectors_clock() {
    let tree = Tree::new();
    let expires_at = now_ms() + 1_000;
    let checkpoint = add_checkpoint(tree.memory(), now_ms(), Some(expires_at));
    let forever = add_checkpoint(tree.memory(), now_ms(), None);
    let clock = ManualClock::default();
    let mut gc = collector(&tree, clock.clone(), GcOptions::default());
    assert_eq!(pass(&mut gc).checkpoints_expired, 0);
    clock.set_offset(1_000);
    assert!(clock.wall_ms() >= expires_at);
    assert_eq!(
        pass(&mut gc).checkpoints_expired,
        0,
        "not before its expiry has passed"
    );
    clock.set_offset(YEAR_MS);
    assert_eq!(pass(&mut gc).checkpoints_expired, 1);
    let ids: Vec<_> = tree.manifest().checkpoints.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![forever.id]);
    assert_ne!(checkpoint.id, forever.id);
    assert_eq!(pass(&mut gc).checkpoints_expired, 0);
}

#[test]
fn orphans_of_fenced_epochs_go_and_current_uploads_stay_whatever_the_clock() {
    let mut tree = Tree::new();
    tree.fence_writer();
    tree.fence_compactor();
    let live = tree.flush();
    let old_writer = tree.fresh(IdRole::Writer, Epoch(1));
    let old_compactor = tree.fresh(IdRole::Compactor, Epoch(1));
    tree.upload(old_writer);
    tree.upload(old_compactor);
    tree.fence_writer();
    tree.fence_compactor();
    // In flight: uploads of the current epochs (2), not yet installed.
    let current_writer = tree.fresh(IdRole::Writer, Epoch(2));
    let current_compactor = tree.fresh(IdRole::Compactor, Epoch(2));
    let remote = tree.fresh(IdRole::RemoteWorker, Epoch(0));
    for id in [current_writer, current_compactor, remote] {
        tree.upload(id);
    }
    let clock = ManualClock::default();
    clock.set_offset(10 * YEAR_MS);
    let mut gc = collector(&tree, clock, GcOptions::default());
    let stats = pass(&mut gc);
    assert_eq!(stats.orphans_deleted, 2);
    assert_eq!(stats.bytes_deleted, 2 * TABLE_BYTES as u64);
    assert_eq!(stats.kept.in_flight, 2);
    assert_eq!(stats.kept.remote_worker, 1);
    let objects = tree.objects();
    assert!(!objects.contains(&old_writer));
    assert!(!objects.contains(&old_compactor));
    for id in [live, current_writer, current_compactor, remote] {
        assert!(objects.contains(&id), "{id} was deleted");
    }
    // The live table was flushed by epoch 1 and is referenced: never an orphan.
    assert_eq!(live.epoch(), Epoch(1));
    tree.assert_references_intact();
    assert_eq!(pass(&mut gc).orphans_deleted, 0);
}

/// Three deletable pending tables: the first covered by a checkpoint taken after them.
fn tree_with_deletable_pending() -> (Tree, Vec<SstId>) {
    let mut tree = Tree::new();
    let inputs = vec![tree.flush(), tree.flush(), tree.flush()];
    tree.flush();
    tree.compact(&inputs);
    add_checkpoint(tree.memory(), now_ms(), None);
    (tree, inputs)
}

#[test]
fn a_crash_between_delete_and_purge_converges_on_the_next_pass() {
    let (tree, inputs) = tree_with_deletable_pending();
    let options = GcOptions {
        retry: fast_retry(2),
        ..GcOptions::default()
    };
    let mut gc = collector(&tree, TestClock::default(), options);
    // The purge's manifest write fails for good: the pass stops after deleting.
    tree.store
        .fail_next_puts([Fault::Transient, Fault::Transient]);
    let failed = block_on(gc.run_once());
    assert!(matches!(failed, Err(GcError::Manifest(_))), "{failed:?}");
    let objects = tree.objects();
    assert!(inputs.iter().all(|id| !objects.contains(id)));
    assert_eq!(
        tree.manifest().pending_deletion.len(),
        3,
        "deleted, not yet purged"
    );
    tree.assert_references_intact_except_pending();
    assert_eq!(gc.stats().errors, 1);
    assert_eq!(gc.stats().pending_deleted, 3);

    let retried = pass(&mut gc);
    assert_eq!(retried.pending_deleted, 3, "deleting again is a no-op");
    assert_eq!(retried.pending_purged, 3);
    assert_eq!(
        retried.bytes_deleted, 0,
        "the listing no longer showed them"
    );
    assert!(tree.manifest().pending_deletion.is_empty());
    tree.assert_references_intact();
}

impl Tree {
    /// Live tables are all present (pending ones may already be deleted).
    fn assert_references_intact_except_pending(&self) {
        let objects = self.objects();
        for id in self.manifest().live_sst_ids() {
            assert!(objects.contains(&id), "live table {id} is missing");
        }
    }
}

#[test]
fn transient_store_errors_are_retried() {
    let (tree, inputs) = tree_with_deletable_pending();
    let mut gc = collector(&tree, TestClock::default(), GcOptions::default());
    tree.store
        .fail_next_deletes([Fault::Transient, Fault::LostReplyDropped, Fault::Transient]);
    tree.store
        .fail_next_puts([Fault::Transient, Fault::LostReplyApplied]);
    let stats = pass(&mut gc);
    assert_eq!(stats.pending_deleted, 3);
    assert_eq!(stats.pending_purged, 3);
    let objects = tree.objects();
    assert!(inputs.iter().all(|id| !objects.contains(id)));
    assert!(tree.manifest().pending_deletion.is_empty());
    tree.assert_references_intact();
}

#[test]
fn an_unresolved_delete_is_not_purged_until_a_later_pass() {
    let (tree, _) = tree_with_deletable_pending();
    // Deleted in the order they went pending.
    let order: Vec<SstId> = tree
        .manifest()
        .pending_deletion
        .iter()
        .map(|p| p.sst.id)
        .collect();
    let options = GcOptions {
        retry: fast_retry(2),
        ..GcOptions::default()
    };
    let mut gc = collector(&tree, TestClock::default(), options);
    tree.store.fail_next_deletes([
        Fault::None,
        Fault::LostReplyDropped,
        Fault::LostReplyDropped,
    ]);
    let failed = block_on(gc.run_once());
    assert!(
        matches!(failed, Err(GcError::Unresolved { .. })),
        "{failed:?}"
    );
    let manifest = tree.manifest();
    let pending: Vec<SstId> = manifest.pending_deletion.iter().map(|p| p.sst.id).collect();
    assert_eq!(
        pending,
        order[1..].to_vec(),
        "only the certain delete was purged"
    );
    assert!(tree.objects().contains(&order[2]));
    let stats = pass(&mut gc);
    assert_eq!(stats.pending_purged, 2);
    assert!(tree.manifest().pending_deletion.is_empty());
}

#[test]
fn a_lost_manifest_race_is_reapplied_on_the_newest_manifest() {
    let (mut tree, _) = tree_with_deletable_pending();
    // A rival flush lands on the version the purge wanted.
    let rival = tree.fresh(IdRole::Writer, Epoch(0));
    tree.upload(rival);
    let seq = SeqNum(tree.manifest().last_seq.0 + 1);
    let rival_table = table(rival, 999, seq);
    tree.store.before_next_manifest_put(Box::new(move |memory| {
        block_on(install(
            memory,
            &TestClock::default(),
            &RetryPolicy::default(),
            4,
            "rival-flush",
            |m| {
                let edit = Edit::Flush {
                    writer_epoch: m.writer_epoch,
                    sst: rival_table.clone(),
                    wal_replay_point: m.wal_replay_point,
                    last_seq: seq,
                };
                Ok(Decision::Install { edit, output: () })
            },
        ))
        .unwrap();
    }));
    let mut gc = collector(&tree, TestClock::default(), GcOptions::default());
    let stats = pass(&mut gc);
    assert_eq!(stats.cas_conflicts, 1);
    assert_eq!(stats.pending_purged, 3);
    let manifest = tree.manifest();
    assert!(manifest.pending_deletion.is_empty());
    assert!(
        manifest.is_live(rival),
        "the rival's flush survives the purge"
    );
    assert_eq!(gc.stats().cas_conflicts, 1);
}

#[test]
fn deletions_per_pass_are_bounded() {
    let (tree, _) = tree_with_deletable_pending();
    let options = GcOptions {
        deletes_per_pass_max: 2,
        ..GcOptions::default()
    };
    let mut gc = collector(&tree, TestClock::default(), options);
    let first = pass(&mut gc);
    assert_eq!(first.pending_deleted, 2);
    assert_eq!(first.kept.deferred_by_bound, 1);
    assert_eq!(tree.manifest().pending_deletion.len(), 1);
    let second = pass(&mut gc);
    assert_eq!(second.pending_deleted, 1);
    assert!(tree.manifest().pending_deletion.is_empty());
    assert_eq!(gc.stats().pending_deleted, 3);
}

#[test]
fn only_the_planned_objects_are_deleted() {
    // Nothing live, nothing pending that is still needed, nothing in flight.
    let (mut tree, inputs) = tree_with_deletable_pending();
    let in_flight = tree.fresh(IdRole::Writer, Epoch(0));
    tree.upload(in_flight);
    let mut gc = collector(&tree, TestClock::default(), GcOptions::default());
    pass(&mut gc);
    let mut expected: Vec<String> = inputs.iter().map(|id| sst_path(*id)).collect();
    expected.sort();
    let mut deleted = tree.store.deleted_paths();
    deleted.sort();
    assert_eq!(deleted, expected);
}
