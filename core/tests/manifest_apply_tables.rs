//! `apply`: table rules — ids, overlaps, key and sequence order, WAL fields, metadata.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{Epoch, SeqNum, SstId, WalId};
use lsm_core::manifest::{
    Edit, InvariantViolation, MAX_LEVELS, ManifestError, RegressedField, apply, check_invariants,
};
use manifest_support::apply::{compact, flush, level_ids, populated};
use manifest_support::{applied, sst};

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
