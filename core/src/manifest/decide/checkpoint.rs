//! The checkpoint decision: flush (unless it already landed), record, release by retention.

use super::Decision;
use crate::entry::WallMs;
use crate::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, WalId};
use crate::manifest::{Checkpoint, Edit, FlushedTable, Manifest, ManifestError};
use crate::sst::SstMeta;
use std::collections::BTreeSet;

/// A writer incarnation's checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointRequest {
    pub writer_epoch: Epoch,
    /// The table of the memtable being flushed with the checkpoint, and the first WAL
    /// segment it does not cover.
    pub flush: Option<(SstMeta, WalId)>,
    pub name: String,
    pub created_at_ms: WallMs,
    pub expires_at_ms: Option<WallMs>,
    /// Older checkpoints of the same name kept besides the new one.
    pub keep_older: usize,
}

/// Records a checkpoint naming the version this edit creates, carrying the flush unless it
/// already landed, and releasing the oldest checkpoints of its name beyond `keep_older`.
/// Outputs the checkpoint recorded. Sequence numbers only grow, and only this incarnation's
/// flushes move `last_seq` while its epoch is current: at or past the table's largest, an
/// earlier attempt whose reply was lost already installed the flush.
pub fn checkpoint(
    latest: &Manifest,
    request: &CheckpointRequest,
) -> Result<Decision<Checkpoint>, ManifestError> {
    let flush = request
        .flush
        .as_ref()
        .filter(|(meta, _)| {
            !(latest.writer_epoch == request.writer_epoch && latest.last_seq >= meta.largest_seq)
        })
        .map(|(meta, wal_replay_point)| FlushedTable {
            sst: meta.clone(),
            wal_replay_point: *wal_replay_point,
            last_seq: SeqNum(latest.last_seq.0.max(meta.largest_seq.0)),
        });
    // A carried flush never lowers `last_seq`: `apply` would refuse it as a regression.
    assert!(
        flush
            .as_ref()
            .is_none_or(|flushed| flushed.last_seq >= latest.last_seq)
    );
    let version = latest
        .version
        .0
        .checked_add(1)
        .ok_or(ManifestError::Overflow {
            what: "manifest version",
        })?;
    let release = released(latest, &request.name, request.keep_older);
    let checkpoint = Checkpoint {
        id: latest.next_checkpoint_id,
        name: request.name.clone(),
        manifest_version: ManifestVersion(version),
        created_at_ms: request.created_at_ms,
        expires_at_ms: request.expires_at_ms,
    };
    // Paired with `apply`'s `CheckpointIdReused`: the id handed out is the next unused one.
    assert!(
        latest
            .checkpoints
            .iter()
            .all(|listed| listed.id < checkpoint.id),
        "a new checkpoint id is above every listed one"
    );
    let edit = Edit::Checkpoint {
        writer_epoch: request.writer_epoch,
        flush,
        checkpoint: checkpoint.clone(),
        release,
    };
    Ok(Decision::Install {
        edit,
        output: checkpoint,
    })
}

/// The oldest checkpoints named `name`, all but the newest `keep_older` (listed oldest first).
fn released(latest: &Manifest, name: &str, keep_older: usize) -> BTreeSet<CheckpointId> {
    let same_name: Vec<CheckpointId> = latest
        .checkpoints
        .iter()
        .filter(|listed| listed.name == name)
        .map(|listed| listed.id)
        .collect();
    same_name
        .iter()
        .take(same_name.len().saturating_sub(keep_older))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::decide::tests_support::{table, with_checkpoints};

    fn request(flush: Option<(SstMeta, WalId)>, keep_older: usize) -> CheckpointRequest {
        CheckpointRequest {
            writer_epoch: Epoch(0),
            flush,
            name: "writer".to_string(),
            created_at_ms: 100,
            expires_at_ms: Some(200),
            keep_older,
        }
    }

    fn parts(decision: Decision<Checkpoint>) -> (Option<FlushedTable>, BTreeSet<CheckpointId>) {
        let Decision::Install {
            edit: Edit::Checkpoint { flush, release, .. },
            ..
        } = decision
        else {
            panic!("a checkpoint always installs a checkpoint edit");
        };
        (flush, release)
    }

    #[test]
    fn a_checkpoint_names_the_version_its_edit_creates() {
        let latest = with_checkpoints(&[]);
        let decision = checkpoint(&latest, &request(None, 0)).unwrap();
        let recorded = decision.output();
        assert_eq!(recorded.manifest_version.0, latest.version.0 + 1);
        assert_eq!(recorded.id, latest.next_checkpoint_id);
        assert_eq!(recorded.expires_at_ms, Some(200));
    }

    #[test]
    fn retention_releases_the_oldest_of_the_same_name_only() {
        let latest = with_checkpoints(&[("writer", 1), ("other", 2), ("writer", 3)]);
        let (_, release) = parts(checkpoint(&latest, &request(None, 0)).unwrap());
        assert_eq!(release, BTreeSet::from([CheckpointId(1), CheckpointId(3)]));
        let (_, release) = parts(checkpoint(&latest, &request(None, 1)).unwrap());
        assert_eq!(release, BTreeSet::from([CheckpointId(1)]));
    }

    #[test]
    fn a_flush_whose_sequence_numbers_landed_is_not_carried_twice() {
        let mut latest = with_checkpoints(&[]);
        latest.last_seq = SeqNum(40);
        let pending = Some((table(9, 40), WalId(3)));
        let (flush, _) = parts(checkpoint(&latest, &request(pending.clone(), 0)).unwrap());
        assert_eq!(flush, None);
        latest.last_seq = SeqNum(39);
        let (flush, _) = parts(checkpoint(&latest, &request(pending, 0)).unwrap());
        assert_eq!(flush.map(|flushed| flushed.last_seq), Some(SeqNum(40)));
    }

    #[test]
    fn the_version_at_its_maximum_is_an_overflow() {
        let mut latest = with_checkpoints(&[]);
        latest.version = ManifestVersion(u64::MAX);
        assert!(matches!(
            checkpoint(&latest, &request(None, 0)),
            Err(ManifestError::Overflow { .. })
        ));
    }
}
