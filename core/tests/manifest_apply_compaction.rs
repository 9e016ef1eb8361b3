//! `apply`: the compaction edit — pending deletion, force delete, version order, trivial moves, purges.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{ManifestVersion, SstId};
use lsm_core::manifest::{Edit, ManifestError, apply};
use manifest_support::apply::{compact, flush, ids, l0_ids, level_ids, populated};
use manifest_support::{applied, sst};

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
