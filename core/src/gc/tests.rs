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

fn listed_path(path: String) -> ObjectMeta {
    ObjectMeta {
        path,
        size_bytes: 1,
        etag: ETag("e".into()),
        attributes: Default::default(),
    }
}

fn wal_listing(ids: &[u64]) -> Vec<ObjectMeta> {
    ids.iter()
        .map(|id| listed_path(crate::layout::wal_path(crate::ids::WalId(*id))))
        .collect()
}

#[test]
fn wal_segments_wholly_below_the_replay_point_go_lowest_first() {
    let mut m = manifest_with_pending(vec![]);
    m.wal_replay_point = crate::ids::WalId(5);
    let mut listing = wal_listing(&[7, 1, 4, 5, 6, 2]);
    listing.push(listed_path("wal/not-a-segment".into()));
    let ids: Vec<u64> = plan_wal_gc(&m, &listing, 100)
        .iter()
        .map(|id| id.0)
        .collect();
    assert_eq!(ids, vec![1, 2, 4]);
}

#[test]
fn wal_deletions_per_pass_are_bounded() {
    let mut m = manifest_with_pending(vec![]);
    m.wal_replay_point = crate::ids::WalId(50);
    let listing = wal_listing(&(0..40).collect::<Vec<_>>());
    assert_eq!(plan_wal_gc(&m, &listing, 3).len(), 3);
    assert!(plan_wal_gc(&m, &listing, 0).is_empty());
}

#[test]
fn wal_at_or_after_the_replay_point_is_never_planned_whatever_the_checkpoints() {
    // A checkpoint's content is its version's tables: it never holds a segment back, and
    // no checkpoint lets a segment at or after the replay point go.
    let mut m = manifest_with_pending(vec![checkpoint(1, 2, None)]);
    m.wal_replay_point = crate::ids::WalId(3);
    let ids: Vec<u64> = plan_wal_gc(&m, &wal_listing(&[0, 1, 2, 3, 4]), 100)
        .iter()
        .map(|id| id.0)
        .collect();
    assert_eq!(ids, vec![0, 1, 2]);
}

fn manifest_listing(versions: std::ops::RangeInclusive<u64>) -> Vec<ObjectMeta> {
    versions
        .map(|version| listed_path(crate::layout::manifest_path(ManifestVersion(version))))
        .collect()
}

fn versions_planned(m: &Manifest, listing: &[ObjectMeta], kept: u64) -> Vec<u64> {
    plan_manifest_gc(m, listing, kept, 1000)
        .iter()
        .map(|version| version.0)
        .collect()
}

#[test]
fn manifest_versions_keep_the_newest_n_by_version_number() {
    let m = manifest_with_pending(vec![]);
    assert_eq!(
        versions_planned(&m, &manifest_listing(1..=10), 4),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert!(versions_planned(&m, &manifest_listing(7..=10), 4).is_empty());
    assert!(versions_planned(&m, &[], 4).is_empty());
    // Gaps left by earlier passes do not make older versions count as newer.
    let mut sparse = manifest_listing(2..=2);
    sparse.extend(manifest_listing(9..=10));
    assert_eq!(versions_planned(&m, &sparse, 4), vec![2]);
}

#[test]
fn manifest_versions_a_checkpoint_names_are_kept_expired_or_not() {
    let m = manifest_with_pending(vec![checkpoint(1, 2, Some(0)), checkpoint(2, 5, None)]);
    assert_eq!(
        versions_planned(&m, &manifest_listing(1..=12), 4),
        vec![1, 3, 4, 6, 7, 8]
    );
}

#[test]
fn manifest_deletions_per_pass_are_bounded_oldest_first() {
    let m = manifest_with_pending(vec![]);
    let planned = plan_manifest_gc(&m, &manifest_listing(1..=20), 4, 3);
    assert_eq!(
        planned,
        vec![ManifestVersion(1), ManifestVersion(2), ManifestVersion(3)]
    );
}

#[test]
fn keeping_fewer_manifest_versions_than_the_minimum_is_a_typed_error() {
    for kept in 0..MANIFEST_VERSIONS_KEPT_MIN {
        let options = GcOptions {
            manifest_versions_kept: kept,
            ..GcOptions::default()
        };
        assert_eq!(
            options.validate(),
            Err(GcOptionsError::TooFewManifestVersionsKept {
                kept,
                min: MANIFEST_VERSIONS_KEPT_MIN
            })
        );
    }
    assert_eq!(GcOptions::default().validate(), Ok(()));
}
