//! The garbage collector role against a store whose manifests are built edit by edit:
//! deferred deletion waits for a newer checkpoint and for older ones to go, expiry is
//! judged on the collector's clock, and orphans are recognised by fenced epochs (never by
//! age, even when the clock jumps years ahead).
#![allow(clippy::unwrap_used)]

mod gc_support;
mod writer_support;

use gc_support::*;
use lsm_core::clock::Clock;
use lsm_core::gc::GcOptions;
use lsm_core::ids::{Epoch, IdRole};
use writer_support::{TestClock, add_checkpoint};

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
