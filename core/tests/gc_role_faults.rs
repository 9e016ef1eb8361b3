//! The garbage collector role when things fail: a crash between delete and purge converges,
//! store faults and lost manifest races are retried, deletions per pass are bounded, and only
//! the planned objects are deleted.
#![allow(clippy::unwrap_used)]

mod gc_support;
mod writer_support;

use gc_support::*;
use lsm_core::gc::GcOptions;
use lsm_core::ids::{Epoch, IdRole, SeqNum, SstId};
use lsm_core::layout::{MANIFEST_PREFIX, sst_path};
use lsm_core::manifest::Edit;
use lsm_core::manifest::decide::Decision;
use lsm_core::roles::gc::GcError;
use lsm_core::roles::manifest_io::install;
use lsm_core::roles::retry::RetryPolicy;
use writer_support::{Fault, Request, TestClock, block_on};

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
        .fail_next(Request::Put, "", [Fault::Transient, Fault::Transient]);
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

#[test]
fn transient_store_errors_are_retried() {
    let (tree, inputs) = tree_with_deletable_pending();
    let mut gc = collector(&tree, TestClock::default(), GcOptions::default());
    tree.store.fail_next(
        Request::Delete,
        "",
        [Fault::Transient, Fault::LostReplyDropped, Fault::Transient],
    );
    tree.store.fail_next(
        Request::Put,
        "",
        [Fault::Transient, Fault::LostReplyApplied],
    );
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
    tree.store.fail_next(
        Request::Delete,
        "",
        [
            Fault::None,
            Fault::LostReplyDropped,
            Fault::LostReplyDropped,
        ],
    );
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
    tree.store.before_next_put(
        MANIFEST_PREFIX,
        None,
        Box::new(move |memory| {
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
        }),
    );
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
