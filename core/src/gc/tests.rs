//! Unit tests of the plan's rules on hand-built manifests.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ids::{CheckpointId, Epoch, IdRole, ManifestVersion, SeqNum, SstId};
use crate::layout::sst_path;
use crate::manifest::{Checkpoint, Manifest, PendingDeletion};
use crate::sst::SstMeta;
use crate::store::{ETag, ObjectMeta};
use bytes::Bytes;

fn meta(id: SstId) -> SstMeta {
    SstMeta {
        id,
        smallest_key: Bytes::from_static(b"a"),
        largest_key: Bytes::from_static(b"z"),
        smallest_seq: SeqNum(1),
        largest_seq: SeqNum(1),
        entry_count: 1,
        tombstone_count: 0,
        logical_bytes: 2,
        size_bytes: 100,
        created_at_ms: 0,
        object_crc32c: 0,
    }
}

fn listed(id: SstId, size_bytes: u64) -> ObjectMeta {
    ObjectMeta {
        path: sst_path(id),
        size_bytes,
        etag: ETag("e".into()),
        attributes: Default::default(),
    }
}

fn writer_id(epoch: u64, counter: u64) -> SstId {
    SstId::compose(IdRole::Writer, Epoch(epoch), counter).unwrap()
}

fn compactor_id(epoch: u64, counter: u64) -> SstId {
    SstId::compose(IdRole::Compactor, Epoch(epoch), counter).unwrap()
}

fn checkpoint(id: u64, version: u64, expires_at_ms: Option<u64>) -> Checkpoint {
    Checkpoint {
        id: CheckpointId(id),
        name: "test".to_string(),
        manifest_version: ManifestVersion(version),
        created_at_ms: 0,
        expires_at_ms,
    }
}

/// Version 10, epochs 3/2; one pending table obsoleted at version 6.
fn manifest_with_pending(checkpoints: Vec<Checkpoint>) -> Manifest {
    let mut m = Manifest::initial();
    m.version = ManifestVersion(10);
    m.writer_epoch = Epoch(3);
    m.compactor_epoch = Epoch(2);
    m.pending_deletion.push(PendingDeletion {
        sst: meta(writer_id(1, 0)),
        obsoleted_at: ManifestVersion(6),
    });
    m.next_checkpoint_id = CheckpointId(checkpoints.len() as u64 + 10);
    m.checkpoints = checkpoints;
    m
}

fn pending_ids(plan: &GcPlan) -> Vec<SstId> {
    plan.pending_to_delete.iter().map(|d| d.id).collect()
}

#[test]
fn pending_waits_for_a_checkpoint_taken_after_it_was_obsoleted() {
    let options = GcOptions::default();
    let none = manifest_with_pending(vec![]);
    let plan = plan_gc(&none, &[], 0, &options);
    assert!(plan.pending_to_delete.is_empty());
    assert_eq!(plan.kept.pending_awaiting_checkpoint, 1);

    let older = manifest_with_pending(vec![checkpoint(1, 5, None)]);
    let plan = plan_gc(&older, &[], 0, &options);
    assert!(plan.pending_to_delete.is_empty());
    assert_eq!(plan.kept.pending_needed_by_checkpoint, 1);

    let both = manifest_with_pending(vec![checkpoint(1, 5, None), checkpoint(2, 6, None)]);
    assert!(
        plan_gc(&both, &[], 0, &options)
            .pending_to_delete
            .is_empty()
    );

    let newer = manifest_with_pending(vec![checkpoint(2, 6, None)]);
    let plan = plan_gc(&newer, &[listed(writer_id(1, 0), 77)], 0, &options);
    assert_eq!(pending_ids(&plan), vec![writer_id(1, 0)]);
    assert_eq!(plan.pending_to_delete[0].listed_size_bytes, Some(77));
}

#[test]
fn an_expired_checkpoint_no_longer_protects() {
    let options = GcOptions::default();
    let m = manifest_with_pending(vec![checkpoint(1, 5, Some(1_000)), checkpoint(2, 8, None)]);
    let at_expiry = plan_gc(&m, &[], 1_000, &options);
    assert!(at_expiry.expired_checkpoints.is_empty());
    assert!(at_expiry.pending_to_delete.is_empty());
    let after = plan_gc(&m, &[], 1_001, &options);
    assert_eq!(
        after
            .expired_checkpoints
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![CheckpointId(1)]
    );
    assert_eq!(pending_ids(&after), vec![writer_id(1, 0)]);
}

#[test]
fn orphans_are_unreferenced_uploads_of_fenced_epochs_only() {
    let mut m = manifest_with_pending(vec![]);
    m.l0.push(meta(writer_id(3, 5)));
    let remote = SstId::compose(IdRole::RemoteWorker, Epoch(0), 1).unwrap();
    let junk = ObjectMeta {
        path: "sst/not-a-table".into(),
        ..listed(SstId(0), 1)
    };
    let listing = vec![
        listed(writer_id(2, 9), 10),    // fenced writer: orphan
        listed(writer_id(3, 5), 11),    // live
        listed(writer_id(3, 6), 12),    // current writer: in flight
        listed(writer_id(4, 0), 13),    // newer writer: in flight
        listed(writer_id(1, 0), 14),    // pending: not an orphan
        listed(compactor_id(1, 3), 15), // fenced compactor: orphan
        listed(compactor_id(2, 3), 16), // current compactor: in flight
        listed(remote, 17),             // remote worker: left alone
        listed(SstId(42), 18),          // no role: left alone
        junk,
    ];
    // Even a clock years ahead changes nothing for orphans.
    let plan = plan_gc(&m, &listing, u64::MAX, &GcOptions::default());
    let orphans: Vec<SstId> = plan.orphans_to_delete.iter().map(|d| d.id).collect();
    let mut expected = vec![writer_id(2, 9), compactor_id(1, 3)];
    expected.sort();
    assert_eq!(orphans, expected);
    assert_eq!(plan.kept.in_flight, 3);
    assert_eq!(plan.kept.remote_worker, 1);
    assert_eq!(plan.kept.unknown_role, 1);
    assert_eq!(plan.kept.unparsable, 1);
}

#[test]
fn deletions_per_pass_are_bounded_pending_first() {
    let mut m = manifest_with_pending(vec![checkpoint(1, 9, None)]);
    m.pending_deletion.push(PendingDeletion {
        sst: meta(writer_id(1, 1)),
        obsoleted_at: ManifestVersion(7),
    });
    let listing = vec![listed(writer_id(0, 1), 1), listed(writer_id(0, 2), 1)];
    let options = GcOptions {
        deletes_per_pass_max: 3,
        ..GcOptions::default()
    };
    let plan = plan_gc(&m, &listing, 0, &options);
    assert_eq!(plan.pending_to_delete.len(), 2);
    assert_eq!(plan.orphans_to_delete.len(), 1);
    assert_eq!(plan.kept.deferred_by_bound, 1);
    let none = GcOptions {
        deletes_per_pass_max: 0,
        ..options
    };
    let plan = plan_gc(&m, &listing, 0, &none);
    assert_eq!(plan.delete_count(), 0);
    assert_eq!(plan.kept.deferred_by_bound, 4);
}
