//! The rule for compaction outputs into L0 (FIFO's intra-L0 merge, universal compaction
//! with no free level, leveled intra-L0): every input in L0, every output in L0, each
//! output placed by sequence number, and no placement that reorders versions.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{Epoch, SstId};
use lsm_core::manifest::{Edit, MAX_LEVELS, Manifest, ManifestError, apply, check_invariants};
use lsm_core::sst::SstMeta;
use manifest_support::{applied, sst};
use std::collections::BTreeSet;

fn ids(list: &[u64]) -> BTreeSet<SstId> {
    list.iter().map(|id| SstId(*id)).collect()
}

fn compact(m: &Manifest, removed: &[u64], added: Vec<(usize, SstMeta)>) -> Edit {
    Edit::Compaction {
        compactor_epoch: m.compactor_epoch,
        removed: ids(removed),
        added,
        force_delete: false,
    }
}

fn flush(m: &Manifest, table: SstMeta) -> Edit {
    Edit::Flush {
        writer_epoch: m.writer_epoch,
        wal_replay_point: lsm_core::ids::WalId(m.wal_replay_point.0 + 1),
        last_seq: m.last_seq.max(table.largest_seq),
        sst: table,
    }
}

/// L0 newest first: 5 (keys 0..100, seqs 50..59), 4 (200..300, 40..49), 3 (0..100, 30..39),
/// 2 (0..100, 20..29), 1 (0..100, 10..19); L1: 10 (keys 0..300).
fn l0_stack() -> Manifest {
    let mut m = applied(
        &Manifest::initial(),
        Edit::FenceCompactor {
            new_epoch: Epoch(1),
        },
    );
    m = applied(&m, flush(&m, sst(9, 0, 300, (1, 1))));
    m = applied(&m, compact(&m, &[9], vec![(1, sst(10, 0, 300, (1, 1)))]));
    m = applied(&m, Edit::PurgePending { ids: ids(&[9]) });
    for (id, low, high, seq) in [
        (1, 0, 100, 10),
        (2, 0, 100, 20),
        (3, 0, 100, 30),
        (4, 200, 300, 40),
        (5, 0, 100, 50),
    ] {
        m = applied(&m, flush(&m, sst(id, low, high, (seq, seq + 9))));
    }
    m
}

fn l0_ids(m: &Manifest) -> Vec<u64> {
    m.l0.iter().map(|t| t.id.0).collect()
}

#[test]
fn l0_output_takes_its_place_by_sequence_number() {
    let m = l0_stack();
    let next = applied(
        &m,
        compact(&m, &[2, 3], vec![(0, sst(20, 0, 100, (20, 39)))]),
    );
    assert_eq!(l0_ids(&next), vec![5, 4, 20, 1]);
    check_invariants(&next).unwrap();
    // Merging the newest tables keeps the output first; merging the oldest keeps it last.
    let next = applied(
        &m,
        compact(&m, &[4, 5], vec![(0, sst(21, 0, 300, (40, 59)))]),
    );
    assert_eq!(l0_ids(&next), vec![21, 3, 2, 1]);
    let next = applied(
        &m,
        compact(&m, &[1, 2], vec![(0, sst(22, 0, 100, (10, 29)))]),
    );
    assert_eq!(l0_ids(&next), vec![5, 4, 3, 22]);
    // Several outputs (cut by size, disjoint keys) all land in the same place.
    let next = applied(
        &m,
        compact(
            &m,
            &[2, 3],
            vec![
                (0, sst(23, 0, 49, (20, 39))),
                (0, sst(24, 50, 100, (21, 38))),
            ],
        ),
    );
    assert_eq!(l0_ids(&next), vec![5, 4, 23, 24, 1]);
    assert_eq!(next.pending_deletion.len(), 2);
}

#[test]
fn l0_output_requires_every_input_and_output_in_l0() {
    let m = l0_stack();
    let from_l1 = compact(&m, &[10], vec![(0, sst(20, 0, 300, (1, 1)))]);
    let refused = ManifestError::LevelOutOfRange {
        level: 0,
        max: MAX_LEVELS,
    };
    assert_eq!(apply(&m, &from_l1).unwrap_err(), refused);
    let mixed_inputs = compact(&m, &[1, 10], vec![(0, sst(20, 0, 300, (1, 19)))]);
    assert_eq!(apply(&m, &mixed_inputs).unwrap_err(), refused);
    let mixed_outputs = compact(
        &m,
        &[1, 2],
        vec![
            (0, sst(20, 0, 50, (10, 29))),
            (1, sst(21, 51, 100, (10, 29))),
        ],
    );
    assert_eq!(apply(&m, &mixed_outputs).unwrap_err(), refused);
}

#[test]
fn l0_output_that_would_reorder_versions_is_refused() {
    // Merging 5 and 2 around 3 (which shares their keys) would put 2's old versions in
    // front of 3's newer ones.
    let m = l0_stack();
    let edit = compact(&m, &[2, 5], vec![(0, sst(20, 0, 100, (20, 59)))]);
    assert!(matches!(
        apply(&m, &edit).unwrap_err(),
        ManifestError::ReordersVersions {
            shadowing: SstId(3),
            ..
        }
    ));
    // Around a table with other keys (4), the same kind of merge is fine.
    let edit = compact(&m, &[3, 5], vec![(0, sst(20, 0, 100, (30, 59)))]);
    assert_eq!(l0_ids(&applied(&m, edit)), vec![20, 4, 2, 1]);
}
