//! `apply`: one test per rule it enforces, the edits it accepts, and random valid histories.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, SstId, WalId};
use lsm_core::manifest::{
    Checkpoint, Edit, InvariantViolation, MAX_LEVELS, Manifest, ManifestError, PendingDeletion,
    RegressedField, Role, apply, check_invariants,
};
use lsm_core::sst::SstMeta;
use manifest_support::{IdSource, applied, build, checkpoint, edit_for, sst, step_strategy};
use proptest::prelude::*;
use std::collections::BTreeSet;

fn ids(list: &[u64]) -> BTreeSet<SstId> {
    list.iter().map(|id| SstId(*id)).collect()
}

fn flush(m: &Manifest, table: SstMeta) -> Edit {
    Edit::Flush {
        writer_epoch: m.writer_epoch,
        wal_replay_point: WalId(m.wal_replay_point.0 + 1),
        last_seq: SeqNum(table.largest_seq.0.max(m.last_seq.0)),
        sst: table,
    }
}

fn compact(m: &Manifest, removed: &[u64], added: Vec<(usize, SstMeta)>) -> Edit {
    Edit::Compaction {
        compactor_epoch: m.compactor_epoch,
        removed: ids(removed),
        added,
        force_delete: false,
    }
}

/// L0 = [3 (seqs 21..30, keys 0..100), 2 (11..20, keys 50..150), 1 (1..10, keys 0..100)];
/// L1 = [10 (keys 0..40), 11 (keys 60..90), 12 (keys 200..300)].
fn populated() -> Manifest {
    let mut m = Manifest::initial();
    m = applied(
        &m,
        Edit::FenceWriter {
            new_epoch: Epoch(1),
        },
    );
    m = applied(
        &m,
        Edit::FenceCompactor {
            new_epoch: Epoch(1),
        },
    );
    let l1 = vec![
        (1, sst(10, 0, 40, (1, 1))),
        (1, sst(11, 60, 90, (1, 1))),
        (1, sst(12, 200, 300, (1, 1))),
    ];
    m = applied(&m, flush(&m, sst(9, 0, 300, (1, 1))));
    m = applied(&m, compact(&m, &[9], l1));
    m = applied(&m, Edit::PurgePending { ids: ids(&[9]) });
    m = applied(&m, flush(&m, sst(1, 0, 100, (2, 10))));
    m = applied(&m, flush(&m, sst(2, 50, 150, (11, 20))));
    m = applied(&m, flush(&m, sst(3, 0, 100, (21, 30))));
    m
}

fn l0_ids(m: &Manifest) -> Vec<u64> {
    m.l0.iter().map(|t| t.id.0).collect()
}

fn level_ids(m: &Manifest, level: usize) -> Vec<u64> {
    m.level(level).iter().map(|t| t.id.0).collect()
}

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

#[test]
fn removal_of_an_absent_table_is_rejected() {
    let m = populated();
    assert_eq!(
        apply(&m, &compact(&m, &[1, 77], vec![])).unwrap_err(),
        ManifestError::UnknownSst { id: SstId(77) }
    );
}

#[test]
fn removal_of_a_table_already_pending_deletion_is_rejected() {
    let m = populated();
    let m = applied(
        &m,
        compact(&m, &[1, 10, 11], vec![(1, sst(20, 0, 100, (1, 10)))]),
    );
    assert!(m.referenced_by_pending().contains(&SstId(1)));
    assert_eq!(
        apply(&m, &compact(&m, &[1], vec![])).unwrap_err(),
        ManifestError::UnknownSst { id: SstId(1) }
    );
}

#[test]
fn flush_reusing_a_live_or_pending_id_is_rejected() {
    let m = populated();
    assert_eq!(
        apply(&m, &flush(&m, sst(2, 0, 1, (31, 31)))).unwrap_err(),
        ManifestError::DuplicateSst { id: SstId(2) }
    );
    let with_pending = applied(&m, compact(&m, &[12], vec![(2, sst(30, 200, 300, (1, 1)))]));
    assert_eq!(
        apply(
            &with_pending,
            &flush(&with_pending, sst(12, 0, 1, (31, 31)))
        )
        .unwrap_err(),
        ManifestError::DuplicateSst { id: SstId(12) }
    );
}

#[test]
fn compaction_output_reusing_an_id_or_naming_one_twice_is_rejected() {
    let m = populated();
    let reuses_live = compact(&m, &[12], vec![(2, sst(3, 200, 300, (1, 1)))]);
    assert_eq!(
        apply(&m, &reuses_live).unwrap_err(),
        ManifestError::DuplicateSst { id: SstId(3) }
    );
    let twice = compact(
        &m,
        &[12],
        vec![
            (2, sst(40, 200, 250, (1, 1))),
            (2, sst(40, 251, 300, (1, 1))),
        ],
    );
    assert_eq!(
        apply(&m, &twice).unwrap_err(),
        ManifestError::DuplicateSst { id: SstId(40) }
    );
}

#[test]
fn output_overlapping_a_remaining_table_of_its_level_is_rejected() {
    let m = populated();
    // Compacts table 1 alone into L1, where table 10 (keys 0..40) remains: overlap.
    let edit = compact(&m, &[1, 11], vec![(1, sst(20, 0, 100, (1, 10)))]);
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::Invariant(InvariantViolation::LevelOverlap {
            level: 1,
            first: SstId(10),
            second: SstId(20)
        })
    );
}

#[test]
fn outputs_overlapping_each_other_are_rejected() {
    let m = populated();
    let edit = compact(
        &m,
        &[12],
        vec![
            (2, sst(40, 200, 260, (1, 1))),
            (2, sst(41, 250, 300, (1, 1))),
        ],
    );
    assert!(matches!(
        apply(&m, &edit),
        Err(ManifestError::Invariant(InvariantViolation::LevelOverlap {
            level: 2,
            ..
        }))
    ));
}

#[test]
fn an_unsorted_level_breaks_the_invariants_and_blocks_every_edit() {
    let mut m = populated();
    m.levels[0].swap(0, 2);
    assert_eq!(
        check_invariants(&m).unwrap_err(),
        InvariantViolation::LevelUnsorted {
            level: 1,
            first: SstId(12),
            second: SstId(11)
        }
    );
    assert!(matches!(
        apply(
            &m,
            &Edit::FenceWriter {
                new_epoch: Epoch(2)
            }
        ),
        Err(ManifestError::Invariant(
            InvariantViolation::LevelUnsorted { .. }
        ))
    ));
}

#[test]
fn outputs_given_out_of_key_order_are_placed_in_order() {
    let m = populated();
    let edit = compact(
        &m,
        &[12],
        vec![
            (2, sst(41, 251, 300, (1, 1))),
            (2, sst(40, 200, 250, (1, 1))),
        ],
    );
    let next = applied(&m, edit);
    assert_eq!(level_ids(&next, 2), vec![40, 41]);
}

#[test]
fn replay_point_going_backwards_is_rejected() {
    let m = populated();
    let back = WalId(m.wal_replay_point.0 - 1);
    let set_wal = Edit::WriterSetWal {
        writer_epoch: Epoch(1),
        wal_replay_point: back,
        last_seq: m.last_seq,
    };
    assert_eq!(
        apply(&m, &set_wal).unwrap_err(),
        ManifestError::Regression {
            field: RegressedField::WalReplayPoint,
            from: m.wal_replay_point.0,
            to: back.0
        }
    );
    let flush_back = Edit::Flush {
        writer_epoch: Epoch(1),
        sst: sst(4, 0, 1, (31, 31)),
        wal_replay_point: back,
        last_seq: SeqNum(31),
    };
    assert!(matches!(
        apply(&m, &flush_back),
        Err(ManifestError::Regression {
            field: RegressedField::WalReplayPoint,
            ..
        })
    ));
}

#[test]
fn last_seq_going_backwards_is_rejected() {
    let m = populated();
    let edit = Edit::WriterSetWal {
        writer_epoch: Epoch(1),
        wal_replay_point: m.wal_replay_point,
        last_seq: SeqNum(29),
    };
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::Regression {
            field: RegressedField::LastSeq,
            from: 30,
            to: 29
        }
    );
}

#[test]
fn wal_fields_may_stay_put() {
    let m = populated();
    let edit = Edit::WriterSetWal {
        writer_epoch: Epoch(1),
        wal_replay_point: m.wal_replay_point,
        last_seq: m.last_seq,
    };
    applied(&m, edit);
}

#[test]
fn flushed_table_above_last_seq_is_rejected() {
    let m = populated();
    let edit = Edit::Flush {
        writer_epoch: Epoch(1),
        sst: sst(4, 0, 1, (31, 40)),
        wal_replay_point: m.wal_replay_point,
        last_seq: SeqNum(35),
    };
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::Invariant(InvariantViolation::SstAboveLastSeq {
            id: SstId(4),
            largest_seq: SeqNum(40),
            last_seq: SeqNum(35)
        })
    );
}

#[test]
fn flushed_table_older_than_the_newest_l0_table_is_rejected() {
    let m = populated();
    let edit = flush(&m, sst(4, 0, 1, (5, 25)));
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::Invariant(InvariantViolation::L0NotNewestFirst {
            newer: SstId(4),
            older: SstId(3)
        })
    );
}

#[test]
fn malformed_table_metadata_is_rejected() {
    let m = populated();
    let mut backwards_keys = sst(4, 9, 1, (31, 31));
    assert!(matches!(
        apply(&m, &flush(&m, backwards_keys.clone())),
        Err(ManifestError::Invariant(
            InvariantViolation::MalformedSstMeta { id: SstId(4), .. }
        ))
    ));
    backwards_keys = sst(4, 1, 9, (32, 31));
    assert!(matches!(
        apply(&m, &flush(&m, backwards_keys)),
        Err(ManifestError::Invariant(
            InvariantViolation::MalformedSstMeta { id: SstId(4), .. }
        ))
    ));
    let mut too_many_tombstones = sst(4, 1, 9, (31, 31));
    too_many_tombstones.tombstone_count = too_many_tombstones.entry_count + 1;
    assert!(matches!(
        apply(&m, &flush(&m, too_many_tombstones)),
        Err(ManifestError::Invariant(
            InvariantViolation::MalformedSstMeta { id: SstId(4), .. }
        ))
    ));
}

#[test]
fn outputs_to_level_zero_or_beyond_the_deepest_level_are_rejected() {
    let m = populated();
    for level in [0, MAX_LEVELS + 1] {
        let edit = compact(&m, &[12], vec![(level, sst(40, 200, 300, (1, 1)))]);
        assert_eq!(
            apply(&m, &edit).unwrap_err(),
            ManifestError::LevelOutOfRange {
                level,
                max: MAX_LEVELS
            }
        );
    }
    let deepest = compact(&m, &[12], vec![(MAX_LEVELS, sst(40, 200, 300, (1, 1)))]);
    assert_eq!(applied(&m, deepest).level_count(), MAX_LEVELS + 1);
}

#[test]
fn compaction_sends_inputs_to_pending_at_the_new_version() {
    let m = populated();
    let edit = compact(&m, &[1, 2, 10, 11], vec![(1, sst(20, 0, 150, (1, 20)))]);
    let next = applied(&m, edit);
    assert_eq!(l0_ids(&next), vec![3]);
    assert_eq!(level_ids(&next, 1), vec![20, 12]);
    let pending: Vec<(u64, ManifestVersion)> = next
        .pending_deletion
        .iter()
        .map(|p| (p.sst.id.0, p.obsoleted_at))
        .collect();
    assert_eq!(
        pending,
        vec![
            (2, next.version),
            (1, next.version),
            (10, next.version),
            (11, next.version)
        ]
    );
    assert_eq!(next.referenced_by_pending(), ids(&[1, 2, 10, 11]));
    assert_eq!(next.live_sst_ids(), ids(&[3, 12, 20]));
    assert_eq!(next.referenced_sst_ids(), ids(&[1, 2, 3, 10, 11, 12, 20]));
}

#[test]
fn force_delete_drops_inputs_without_pending_them() {
    let m = populated();
    let Edit::Compaction {
        compactor_epoch,
        removed,
        added,
        ..
    } = compact(&m, &[1, 2, 10, 11], vec![(1, sst(20, 0, 150, (1, 20)))])
    else {
        unreachable!()
    };
    let edit = Edit::Compaction {
        compactor_epoch,
        removed,
        added,
        force_delete: true,
    };
    let next = applied(&m, edit);
    assert!(next.pending_deletion.is_empty());
    assert_eq!(next.live_sst_ids(), ids(&[3, 12, 20]));
}

#[test]
fn compaction_removes_by_id_even_after_the_writer_flushed_in_between() {
    let planned_on = populated();
    let edit = compact(
        &planned_on,
        &[1, 2, 10, 11],
        vec![(1, sst(20, 0, 150, (1, 20)))],
    );
    // The writer wins the race: two more flushes shift every L0 position.
    let mut newest = applied(&planned_on, flush(&planned_on, sst(4, 0, 500, (31, 40))));
    newest = applied(&newest, flush(&newest, sst(5, 0, 500, (41, 50))));
    let next = applied(&newest, edit);
    assert_eq!(l0_ids(&next), vec![5, 4, 3]);
    assert_eq!(level_ids(&next, 1), vec![20, 12]);
}

#[test]
fn compacting_a_newer_l0_table_past_an_older_overlapping_one_is_rejected() {
    let m = populated();
    // Table 2 (keys 50..150) is newer than table 1 (keys 0..100), which would stay in L0 and
    // be read before table 2's data in L1.
    let edit = compact(&m, &[2, 11], vec![(1, sst(20, 50, 150, (1, 20)))]);
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::ReordersVersions {
            input: SstId(2),
            output: SstId(20),
            shadowing: SstId(1)
        }
    );
}

#[test]
fn compacting_l0_tables_that_overlap_no_older_one_is_accepted() {
    let mut m = populated();
    m = applied(&m, flush(&m, sst(4, 400, 500, (31, 40))));
    // Table 4 is the newest, but no older L0 table overlaps keys 400..500.
    let next = applied(
        &m,
        compact(&m, &[4], vec![(1, sst(20, 400, 500, (31, 40)))]),
    );
    assert_eq!(l0_ids(&next), vec![3, 2, 1]);
    assert_eq!(level_ids(&next, 1), vec![10, 11, 12, 20]);
}

#[test]
fn pushing_data_past_an_overlapping_middle_level_is_rejected() {
    let mut m = populated();
    m = applied(&m, compact(&m, &[12], vec![(2, sst(30, 200, 300, (1, 1)))]));
    m = applied(
        &m,
        compact(&m, &[3, 2, 1, 10, 11], vec![(1, sst(31, 0, 250, (1, 30)))]),
    );
    // L1 = [31 (0..250)], L2 = [30 (200..300)]. Moving 31 to L3 would put it behind 30.
    let edit = compact(&m, &[31], vec![(3, sst(32, 0, 250, (1, 30)))]);
    assert_eq!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::ReordersVersions {
            input: SstId(31),
            output: SstId(32),
            shadowing: SstId(30)
        }
    );
}

#[test]
fn trivial_move_keeps_the_object_live_and_out_of_pending() {
    let m = populated();
    let moved = m.level(1)[2].clone();
    let next = applied(&m, compact(&m, &[12], vec![(2, moved.clone())]));
    assert_eq!(level_ids(&next, 1), vec![10, 11]);
    assert_eq!(next.level(2), &[moved][..]);
    assert!(next.pending_deletion.is_empty());
}

#[test]
fn trivial_move_that_changes_the_metadata_is_rejected() {
    let m = populated();
    let mut changed = m.level(1)[2].clone();
    changed.size_bytes += 1;
    assert_eq!(
        apply(&m, &compact(&m, &[12], vec![(2, changed)])).unwrap_err(),
        ManifestError::MovedSstChanged { id: SstId(12) }
    );
    let not_removed = m.level(1)[2].clone();
    assert_eq!(
        apply(&m, &compact(&m, &[11], vec![(2, not_removed)])).unwrap_err(),
        ManifestError::DuplicateSst { id: SstId(12) }
    );
}

#[test]
fn purge_of_a_non_pending_id_is_rejected() {
    let m = populated();
    let m = applied(&m, compact(&m, &[12], vec![(2, sst(30, 200, 300, (1, 1)))]));
    for id in [3, 99] {
        assert_eq!(
            apply(
                &m,
                &Edit::PurgePending {
                    ids: ids(&[12, id])
                }
            )
            .unwrap_err(),
            ManifestError::NotPending { id: SstId(id) }
        );
    }
    let purged = applied(&m, Edit::PurgePending { ids: ids(&[12]) });
    assert!(purged.pending_deletion.is_empty());
}

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random histories of valid edits are all accepted, keep every invariant, and change
    /// exactly what each edit says.
    #[test]
    fn random_valid_histories_are_accepted_and_keep_the_invariants(
        steps in prop::collection::vec(step_strategy(), 0..80)
    ) {
        let mut m = Manifest::initial();
        let mut ids = IdSource::default();
        for step in &steps {
            let Some(edit) = edit_for(&m, step, &mut ids) else { continue };
            let next = applied(&m, edit.clone());
            prop_assert_eq!(next.version.0, m.version.0 + 1);
            prop_assert!(check_invariants(&next).is_ok());
            if let Edit::Compaction { removed, added, force_delete, .. } = &edit {
                let added_ids: BTreeSet<SstId> = added.iter().map(|(_, t)| t.id).collect();
                let mut expected_live = m.live_sst_ids();
                expected_live.retain(|id| !removed.contains(id));
                expected_live.extend(added_ids.iter().copied());
                prop_assert_eq!(next.live_sst_ids(), expected_live);
                let mut expected_pending = m.referenced_by_pending();
                if !force_delete {
                    expected_pending.extend(removed.difference(&added_ids).copied());
                }
                prop_assert_eq!(next.referenced_by_pending(), expected_pending);
            }
            m = next;
        }
        let (rebuilt, _) = build(&steps);
        prop_assert_eq!(rebuilt, m);
    }

    /// Any writer or compactor edit from a fenced incarnation is refused, whatever it is.
    #[test]
    fn edits_from_fenced_incarnations_are_always_refused(
        steps in prop::collection::vec(step_strategy(), 0..40),
        extra in step_strategy(),
    ) {
        let (m, _) = build(&steps);
        let fenced = applied(&m, Edit::FenceWriter { new_epoch: Epoch(m.writer_epoch.0 + 1) });
        let fenced =
            applied(&fenced, Edit::FenceCompactor { new_epoch: Epoch(m.compactor_epoch.0 + 1) });
        let edit = edit_for(&m, &extra, &mut IdSource::default());
        let is_fence = matches!(edit, Some(Edit::FenceWriter { .. } | Edit::FenceCompactor { .. }));
        if let Some(edit) = edit.filter(|e| e.fenced_role().is_some() && !is_fence) {
            let result = apply(&fenced, &edit);
            prop_assert!(matches!(result, Err(ManifestError::StaleEpoch { .. })), "{:?}", result);
        }
    }
}

/// The `stale-epoch-accepted` bug: apply takes a fenced writer's flush and a fenced
/// compactor's compaction, which the correct apply refuses; a newer epoch stays refused.
#[cfg(feature = "bugs")]
#[test]
fn stale_epoch_accepted_bug_takes_fenced_edits() {
    use lsm_core::bugs::{Bug, Bugs};
    use lsm_core::manifest::apply_with;
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
