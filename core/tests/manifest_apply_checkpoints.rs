//! `apply`: checkpoints, overflow, invariants, accessors and edit names.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{CheckpointId, Epoch, ManifestVersion, SstId};
use lsm_core::manifest::{
    Checkpoint, Edit, InvariantViolation, MAX_LEVELS, ManifestError, PendingDeletion, Role, apply,
    check_invariants,
};
use manifest_support::apply::{compact, flush, ids, populated};
use manifest_support::{applied, checkpoint, sst};
use std::collections::BTreeSet;

#[test]
fn checkpoints_are_added_with_fresh_ids_and_removed_by_id() {
    let m = populated();
    let one = applied(
        &m,
        Edit::AddCheckpoint {
            checkpoint: checkpoint(0, m.version.0),
        },
    );
    let two = applied(
        &one,
        Edit::AddCheckpoint {
            checkpoint: checkpoint(5, m.version.0),
        },
    );
    assert_eq!(two.next_checkpoint_id, CheckpointId(6));
    assert_eq!(
        apply(
            &two,
            &Edit::AddCheckpoint {
                checkpoint: checkpoint(5, 1)
            }
        )
        .unwrap_err(),
        ManifestError::DuplicateCheckpoint {
            id: CheckpointId(5)
        }
    );
    assert_eq!(
        apply(
            &two,
            &Edit::AddCheckpoint {
                checkpoint: checkpoint(3, 1)
            }
        )
        .unwrap_err(),
        ManifestError::CheckpointIdReused {
            id: CheckpointId(3),
            next_checkpoint_id: CheckpointId(6)
        }
    );
    let remove_unknown = Edit::RemoveCheckpoints {
        ids: BTreeSet::from([CheckpointId(0), CheckpointId(4)]),
    };
    assert_eq!(
        apply(&two, &remove_unknown).unwrap_err(),
        ManifestError::UnknownCheckpoint {
            id: CheckpointId(4)
        }
    );
    let removed = applied(
        &two,
        Edit::RemoveCheckpoints {
            ids: BTreeSet::from([CheckpointId(0)]),
        },
    );
    assert_eq!(
        removed
            .checkpoints
            .iter()
            .map(|c| c.id.0)
            .collect::<Vec<_>>(),
        vec![5]
    );
    // A removed id is never handed out again.
    assert!(matches!(
        apply(
            &removed,
            &Edit::AddCheckpoint {
                checkpoint: checkpoint(0, 1)
            }
        ),
        Err(ManifestError::CheckpointIdReused { .. })
    ));
}

#[test]
fn checkpoint_of_a_future_version_is_rejected() {
    let m = populated();
    let future = m.version.0 + 2;
    assert_eq!(
        apply(
            &m,
            &Edit::AddCheckpoint {
                checkpoint: checkpoint(0, future)
            }
        )
        .unwrap_err(),
        ManifestError::Invariant(InvariantViolation::CheckpointFromFuture {
            id: CheckpointId(0),
            manifest_version: ManifestVersion(future),
            version: ManifestVersion(m.version.0 + 1)
        })
    );
}

#[test]
fn checkpoint_expiring_before_its_creation_is_rejected() {
    let m = populated();
    let checkpoint = Checkpoint {
        expires_at_ms: Some(4_999),
        ..checkpoint(0, 1)
    };
    assert!(matches!(
        apply(&m, &Edit::AddCheckpoint { checkpoint }),
        Err(ManifestError::Invariant(
            InvariantViolation::CheckpointExpiresBeforeCreated { .. }
        ))
    ));
}

#[test]
fn pending_tables_obsoleted_after_a_checkpoint_are_needed_by_it() {
    let m = populated();
    let m = applied(
        &m,
        Edit::AddCheckpoint {
            checkpoint: checkpoint(0, m.version.0),
        },
    );
    let m = applied(&m, compact(&m, &[12], vec![(2, sst(30, 200, 300, (1, 1)))]));
    assert_eq!(m.pending_needed_by_checkpoints(), ids(&[12]));
    let m = applied(
        &m,
        Edit::RemoveCheckpoints {
            ids: BTreeSet::from([CheckpointId(0)]),
        },
    );
    assert!(m.pending_needed_by_checkpoints().is_empty());
    let m = applied(
        &m,
        Edit::AddCheckpoint {
            checkpoint: checkpoint(1, m.version.0),
        },
    );
    assert!(m.pending_needed_by_checkpoints().is_empty());
}

#[test]
fn version_overflow_is_an_error_not_a_panic() {
    let mut m = populated();
    m.version = ManifestVersion(u64::MAX);
    assert_eq!(
        apply(
            &m,
            &Edit::FenceWriter {
                new_epoch: Epoch(9)
            }
        )
        .unwrap_err(),
        ManifestError::Overflow {
            what: "manifest version"
        }
    );
    let mut m = populated();
    m.next_checkpoint_id = CheckpointId(u64::MAX);
    assert!(matches!(
        apply(
            &m,
            &Edit::AddCheckpoint {
                checkpoint: checkpoint(u64::MAX, 1)
            }
        ),
        Err(ManifestError::Overflow {
            what: "checkpoint id"
        })
    ));
}

#[test]
fn invariants_catch_hand_built_damage() {
    let base = populated();
    let mut duplicate = base.clone();
    duplicate.levels[0][2].id = SstId(3);
    assert_eq!(
        check_invariants(&duplicate),
        Err(InvariantViolation::DuplicateSstId { id: SstId(3) })
    );

    let mut deep = base.clone();
    deep.levels.resize_with(MAX_LEVELS + 1, Vec::new);
    assert_eq!(
        check_invariants(&deep),
        Err(InvariantViolation::TooManyLevels {
            count: MAX_LEVELS + 1,
            max: MAX_LEVELS
        })
    );

    let mut pending_future = base.clone();
    pending_future.pending_deletion.push(PendingDeletion {
        sst: sst(50, 0, 1, (1, 1)),
        obsoleted_at: ManifestVersion(base.version.0 + 1),
    });
    assert!(matches!(
        check_invariants(&pending_future),
        Err(InvariantViolation::PendingFromFuture { id: SstId(50), .. })
    ));

    let mut unordered = base.clone();
    unordered.next_checkpoint_id = CheckpointId(10);
    unordered.checkpoints = vec![checkpoint(4, 1), checkpoint(2, 1)];
    assert_eq!(
        check_invariants(&unordered),
        Err(InvariantViolation::CheckpointIdsNotIncreasing {
            previous: CheckpointId(4),
            id: CheckpointId(2)
        })
    );

    let mut unallocated = base;
    unallocated.checkpoints = vec![checkpoint(0, 1)];
    assert_eq!(
        check_invariants(&unallocated),
        Err(InvariantViolation::CheckpointIdNotAllocated {
            id: CheckpointId(0),
            next_checkpoint_id: CheckpointId(0)
        })
    );
}

#[test]
fn level_accessors_report_sizes_and_ranks() {
    let m = populated();
    assert_eq!(m.level_size_bytes(0), 203 + 202 + 201);
    assert_eq!(m.level_size_bytes(1), 210 + 211 + 212);
    assert_eq!(m.level_size_bytes(7), 0);
    assert_eq!(
        m.live_size_bytes(),
        m.level_size_bytes(0) + m.level_size_bytes(1)
    );
    assert_eq!(m.find_live(SstId(11)).map(|(level, _)| level), Some(1));
    assert_eq!(m.find_live(SstId(2)).map(|(level, _)| level), Some(0));
    assert!(m.find_live(SstId(9)).is_none());
    let order: Vec<u64> = m.all_live_ssts().map(|t| t.id.0).collect();
    assert_eq!(order, vec![3, 2, 1, 10, 11, 12]);
}

#[test]
fn edits_name_their_fenced_role() {
    let m = populated();
    assert_eq!(
        flush(&m, sst(4, 0, 1, (31, 31))).fenced_role(),
        Some((Role::Writer, Epoch(1)))
    );
    assert_eq!(
        compact(&m, &[1], vec![]).fenced_role(),
        Some((Role::Compactor, Epoch(1)))
    );
    assert_eq!(Edit::PurgePending { ids: ids(&[1]) }.fenced_role(), None);
    assert_eq!(
        Edit::PurgePending { ids: ids(&[1]) }.kind_name(),
        "purge_pending"
    );
}
