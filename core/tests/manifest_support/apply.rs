//! Edits and a populated manifest shared by the `manifest_apply*` tests.

use super::{applied, sst};
use lsm_core::ids::{Epoch, SeqNum, SstId, WalId};
use lsm_core::manifest::{Edit, Manifest};
use lsm_core::sst::SstMeta;
use std::collections::BTreeSet;

pub fn ids(list: &[u64]) -> BTreeSet<SstId> {
    list.iter().map(|id| SstId(*id)).collect()
}

pub fn flush(m: &Manifest, table: SstMeta) -> Edit {
    Edit::Flush {
        writer_epoch: m.writer_epoch,
        wal_replay_point: WalId(m.wal_replay_point.0 + 1),
        last_seq: SeqNum(table.largest_seq.0.max(m.last_seq.0)),
        sst: table,
    }
}

pub fn compact(m: &Manifest, removed: &[u64], added: Vec<(usize, SstMeta)>) -> Edit {
    Edit::Compaction {
        compactor_epoch: m.compactor_epoch,
        removed: ids(removed),
        added,
        force_delete: false,
    }
}

/// L0 = [3 (seqs 21..30, keys 0..100), 2 (11..20, keys 50..150), 1 (1..10, keys 0..100)];
/// L1 = [10 (keys 0..40), 11 (keys 60..90), 12 (keys 200..300)].
pub fn populated() -> Manifest {
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

pub fn l0_ids(m: &Manifest) -> Vec<u64> {
    m.l0.iter().map(|t| t.id.0).collect()
}

pub fn level_ids(m: &Manifest, level: usize) -> Vec<u64> {
    m.level(level).iter().map(|t| t.id.0).collect()
}
