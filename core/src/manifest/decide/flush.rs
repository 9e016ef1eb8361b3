//! The flush decision: a memtable's table becomes the newest L0 table, once.

use super::Decision;
use crate::ids::{Epoch, SeqNum, WalId};
use crate::manifest::{Edit, Manifest};
use crate::sst::SstMeta;

/// A writer incarnation's flush of one table.
#[derive(Clone, Debug, PartialEq)]
pub struct FlushRequest {
    pub writer_epoch: Epoch,
    pub sst: SstMeta,
    /// The first WAL segment the table does not cover.
    pub wal_replay_point: WalId,
}

/// Adds the table unless the newest manifest already holds this flush. Only this
/// incarnation's flushes move the replay point while its epoch is current, so a replay point
/// at or past ours means this flush already landed (even if the table was compacted away
/// since). The last sequence number never goes back.
pub fn flush(latest: &Manifest, request: &FlushRequest) -> Decision<()> {
    if latest.writer_epoch == request.writer_epoch
        && latest.wal_replay_point >= request.wal_replay_point
    {
        return Decision::Holds(());
    }
    let edit = Edit::Flush {
        writer_epoch: request.writer_epoch,
        sst: request.sst.clone(),
        wal_replay_point: request.wal_replay_point,
        last_seq: SeqNum(latest.last_seq.0.max(request.sst.largest_seq.0)),
    };
    Decision::Install { edit, output: () }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::decide::tests_support::table;

    fn request(epoch: u64, replay_point: u64, largest_seq: u64) -> FlushRequest {
        FlushRequest {
            writer_epoch: Epoch(epoch),
            sst: table(9, largest_seq),
            wal_replay_point: WalId(replay_point),
        }
    }

    #[test]
    fn a_flush_adds_its_table_with_the_larger_last_seq() {
        let mut latest = Manifest::initial();
        latest.writer_epoch = Epoch(1);
        latest.last_seq = SeqNum(50);
        let Decision::Install { edit, .. } = flush(&latest, &request(1, 3, 40)) else {
            panic!("a new flush installs");
        };
        let Edit::Flush { last_seq, .. } = edit else {
            panic!("a flush edit");
        };
        assert_eq!(
            last_seq,
            SeqNum(50),
            "the last sequence number never goes back"
        );
    }

    #[test]
    fn a_replay_point_at_or_past_ours_means_the_flush_landed() {
        let mut latest = Manifest::initial();
        latest.writer_epoch = Epoch(1);
        latest.wal_replay_point = WalId(3);
        assert_eq!(flush(&latest, &request(1, 3, 40)), Decision::Holds(()));
        assert_eq!(flush(&latest, &request(1, 2, 40)), Decision::Holds(()));
        assert!(flush(&latest, &request(1, 4, 40)).edit().is_some());
    }

    #[test]
    fn another_epochs_replay_point_proves_nothing() {
        let mut latest = Manifest::initial();
        latest.writer_epoch = Epoch(2);
        latest.wal_replay_point = WalId(9);
        // Installing is then refused by `apply` as fenced: the decision does not hide it.
        assert!(flush(&latest, &request(1, 3, 40)).edit().is_some());
    }
}
