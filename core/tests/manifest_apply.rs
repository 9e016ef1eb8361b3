//! `apply`: the basics (the initial manifest, a flush, version steps) and its epoch rules.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{Epoch, ManifestVersion, SeqNum, WalId};
use lsm_core::manifest::{Edit, Manifest, ManifestError, Role, apply, check_invariants};
use manifest_support::apply::{compact, l0_ids, level_ids, populated};
use manifest_support::{applied, sst};

#[test]
fn initial_manifest_is_empty_version_zero_and_valid() {
    let m = Manifest::initial();
    assert_eq!(m.version, ManifestVersion(0));
    assert_eq!((m.writer_epoch, m.compactor_epoch), (Epoch(0), Epoch(0)));
    assert_eq!(m.all_live_ssts().count(), 0);
    assert_eq!(m.level_count(), 1);
    check_invariants(&m).unwrap();
}

#[test]
fn flush_adds_the_newest_l0_table_first_and_moves_the_wal_fields() {
    let m = populated();
    assert_eq!(l0_ids(&m), vec![3, 2, 1]);
    assert_eq!(level_ids(&m, 1), vec![10, 11, 12]);
    let next = applied(
        &m,
        Edit::Flush {
            writer_epoch: Epoch(1),
            sst: sst(4, 5, 6, (31, 35)),
            wal_replay_point: WalId(40),
            last_seq: SeqNum(36),
        },
    );
    assert_eq!(next.version.0, m.version.0 + 1);
    assert_eq!(l0_ids(&next), vec![4, 3, 2, 1]);
    assert_eq!(
        (next.wal_replay_point, next.last_seq),
        (WalId(40), SeqNum(36))
    );
}

#[test]
fn every_edit_bumps_the_version_by_one_and_leaves_its_input_alone() {
    let m = populated();
    let before = m.clone();
    let next = applied(
        &m,
        Edit::FenceWriter {
            new_epoch: Epoch(5),
        },
    );
    assert_eq!(m, before);
    assert_eq!(next.version.0, m.version.0 + 1);
}

#[test]
fn stale_writer_epoch_is_rejected() {
    let m = applied(
        &populated(),
        Edit::FenceWriter {
            new_epoch: Epoch(2),
        },
    );
    let edit = Edit::Flush {
        writer_epoch: Epoch(1),
        sst: sst(4, 0, 1, (31, 31)),
        wal_replay_point: m.wal_replay_point,
        last_seq: SeqNum(31),
    };
    let error = apply(&m, &edit).unwrap_err();
    assert_eq!(
        error,
        ManifestError::StaleEpoch {
            role: Role::Writer,
            edit_epoch: Epoch(1),
            current_epoch: Epoch(2)
        }
    );
    assert!(error.is_fenced());
    let set_wal = Edit::WriterSetWal {
        writer_epoch: Epoch(1),
        wal_replay_point: m.wal_replay_point,
        last_seq: m.last_seq,
    };
    assert!(matches!(
        apply(&m, &set_wal),
        Err(ManifestError::StaleEpoch {
            role: Role::Writer,
            ..
        })
    ));
}

#[test]
fn future_writer_epoch_is_rejected_until_fenced_in() {
    let m = populated();
    let edit = Edit::WriterSetWal {
        writer_epoch: Epoch(2),
        wal_replay_point: m.wal_replay_point,
        last_seq: m.last_seq,
    };
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::FutureEpoch {
            role: Role::Writer,
            edit_epoch: Epoch(2),
            current_epoch: Epoch(1)
        }
    );
    let fenced = applied(
        &m,
        Edit::FenceWriter {
            new_epoch: Epoch(2),
        },
    );
    applied(&fenced, edit);
}

#[test]
fn stale_compactor_epoch_is_rejected() {
    let m = applied(
        &populated(),
        Edit::FenceCompactor {
            new_epoch: Epoch(7),
        },
    );
    let mut edit = compact(&m, &[1], vec![]);
    if let Edit::Compaction {
        compactor_epoch, ..
    } = &mut edit
    {
        *compactor_epoch = Epoch(1);
    }
    let error = apply(&m, &edit).unwrap_err();
    assert_eq!(
        error,
        ManifestError::StaleEpoch {
            role: Role::Compactor,
            edit_epoch: Epoch(1),
            current_epoch: Epoch(7)
        }
    );
    assert!(error.is_fenced());
}

#[test]
fn future_compactor_epoch_is_rejected() {
    let m = populated();
    let mut edit = compact(&m, &[1], vec![]);
    if let Edit::Compaction {
        compactor_epoch, ..
    } = &mut edit
    {
        *compactor_epoch = Epoch(2);
    }
    assert!(matches!(
        apply(&m, &edit),
        Err(ManifestError::FutureEpoch {
            role: Role::Compactor,
            edit_epoch: Epoch(2),
            ..
        })
    ));
}

#[test]
fn fences_must_strictly_raise_the_epoch() {
    let m = populated();
    for stale in [Epoch(0), Epoch(1)] {
        assert_eq!(
            apply(&m, &Edit::FenceWriter { new_epoch: stale }).unwrap_err(),
            ManifestError::StaleEpoch {
                role: Role::Writer,
                edit_epoch: stale,
                current_epoch: Epoch(1)
            }
        );
        assert_eq!(
            apply(&m, &Edit::FenceCompactor { new_epoch: stale }).unwrap_err(),
            ManifestError::StaleEpoch {
                role: Role::Compactor,
                edit_epoch: stale,
                current_epoch: Epoch(1)
            }
        );
    }
    let next = applied(
        &m,
        Edit::FenceCompactor {
            new_epoch: Epoch(9),
        },
    );
    assert_eq!(
        (next.writer_epoch, next.compactor_epoch),
        (Epoch(1), Epoch(9))
    );
}
/// The `stale-epoch-accepted` bug: apply takes a fenced writer's flush and a fenced
/// compactor's compaction, which the correct apply refuses; a newer epoch stays refused.
#[cfg(feature = "bugs")]
#[test]
fn stale_epoch_accepted_bug_takes_fenced_edits() {
    use lsm_core::bugs::{Bug, Bugs};
    use lsm_core::ids::SstId;
    use lsm_core::manifest::apply_with;
    use manifest_support::apply::ids;
    let bug = Bugs::only(Bug::StaleEpochAccepted);
    let m = applied(
        &populated(),
        Edit::FenceWriter {
            new_epoch: Epoch(2),
        },
    );
    let m = applied(
        &m,
        Edit::FenceCompactor {
            new_epoch: Epoch(3),
        },
    );
    let stale_flush = Edit::Flush {
        writer_epoch: Epoch(1),
        sst: sst(4, 0, 1, (31, 31)),
        wal_replay_point: m.wal_replay_point,
        last_seq: SeqNum(31),
    };
    assert!(apply(&m, &stale_flush).is_err());
    let taken = apply_with(&m, &stale_flush, bug).unwrap();
    assert_eq!(taken.writer_epoch, Epoch(2));
    assert!(taken.is_live(SstId(4)));
    let stale_compaction = Edit::Compaction {
        compactor_epoch: Epoch(2),
        removed: ids(&[10]),
        added: vec![(1, sst(20, 0, 40, (1, 1)))],
        force_delete: false,
    };
    assert!(apply(&m, &stale_compaction).is_err());
    assert!(apply_with(&m, &stale_compaction, bug).is_ok());
    let future = Edit::Flush {
        writer_epoch: Epoch(9),
        sst: sst(5, 0, 1, (32, 32)),
        wal_replay_point: m.wal_replay_point,
        last_seq: SeqNum(32),
    };
    assert!(matches!(
        apply_with(&m, &future, bug),
        Err(ManifestError::FutureEpoch { .. })
    ));
}
