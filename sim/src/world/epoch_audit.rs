//! The epoch audit: every manifest version the store accepts is compared with its
//! predecessor, and may differ from it only by one edit that the current writer and
//! compactor epochs may make. The manifest does not record who wrote it, but every table id
//! names the role and epoch that minted it (`SstId::compose`), and only the incarnation
//! holding an epoch mints under it. So, from core's edits (`Edit`, `apply`):
//!
//! - a fence (`FenceWriter`, `FenceCompactor`) raises one epoch and changes nothing else;
//! - a table new to the manifest enters by a flush or checkpoint (minted by the writer) or
//!   by a compaction install (minted by the compactor), each carrying its role's current
//!   epoch: its id's epoch must be the version's epoch of that role;
//! - one version is one edit, so a compaction's tables never come with a writer's changes
//!   (WAL fields, a new checkpoint, a new writer table).
//!
//! An edit that carries no table (`WriterSetWal`, a compaction that only drops or moves
//! tables) cannot be attributed from the manifest alone; the audit passes it.

use lsm_core::ids::{IdRole, SstId};
use lsm_core::manifest::Manifest;
use std::collections::BTreeSet;

/// What one version changed, as far as the audit can tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub fence_writer: bool,
    pub fence_compactor: bool,
    /// A writer-minted table entered (a flush, alone or in a checkpoint).
    pub flush: bool,
    /// A compactor-minted table entered, or live tables left or changed level.
    pub compaction: bool,
    /// A checkpoint id new to the manifest.
    pub checkpoint: bool,
    /// The replay point or last sequence number moved.
    pub wal_fields: bool,
}

/// The audit of one version against its predecessor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    pub changes: Changes,
    /// Every rule broken, each naming the version, the edit and the epochs.
    pub violations: Vec<String>,
}

/// Audits `next` against `previous` (its predecessor: `next.version == previous.version + 1`).
pub fn audit(previous: &Manifest, next: &Manifest) -> Audit {
    assert_eq!(
        next.version.0,
        previous.version.0 + 1,
        "the audit compares a version with its predecessor"
    );
    let changes = changes(previous, next);
    let mut violations = Vec::new();
    violations.extend(epochs_only_rise(previous, next));
    violations.extend(one_fence_per_version(&changes, next));
    violations.extend(a_fence_changes_nothing_else(previous, next, &changes));
    violations.extend(new_tables_carry_current_epochs(previous, next));
    violations.extend(one_role_per_version(&changes, next));
    Audit {
        changes,
        violations,
    }
}

fn changes(previous: &Manifest, next: &Manifest) -> Changes {
    let new = new_tables(previous, next);
    let before: BTreeSet<(usize, SstId)> = previous
        .live_ssts_with_level()
        .map(|(level, sst)| (level, sst.id))
        .collect();
    let after: BTreeSet<(usize, SstId)> = next
        .live_ssts_with_level()
        .map(|(level, sst)| (level, sst.id))
        .collect();
    let old_checkpoints: BTreeSet<_> = previous.checkpoints.iter().map(|c| c.id).collect();
    Changes {
        fence_writer: next.writer_epoch != previous.writer_epoch,
        fence_compactor: next.compactor_epoch != previous.compactor_epoch,
        flush: new.iter().any(|id| id.role() == Some(IdRole::Writer)),
        compaction: new.iter().any(|id| id.role() == Some(IdRole::Compactor))
            || before.difference(&after).next().is_some(),
        checkpoint: next
            .checkpoints
            .iter()
            .any(|checkpoint| !old_checkpoints.contains(&checkpoint.id)),
        wal_fields: next.wal_replay_point != previous.wal_replay_point
            || next.last_seq != previous.last_seq,
    }
}

/// Live tables of `next` that `previous` knew neither live nor pending.
fn new_tables(previous: &Manifest, next: &Manifest) -> Vec<SstId> {
    let known = previous.referenced_sst_ids();
    next.all_live_ssts()
        .map(|sst| sst.id)
        .filter(|id| !known.contains(id))
        .collect()
}

/// Rule: an epoch is only ever raised.
fn epochs_only_rise(previous: &Manifest, next: &Manifest) -> Vec<String> {
    let mut found = Vec::new();
    let pairs = [
        ("writer", previous.writer_epoch, next.writer_epoch),
        ("compactor", previous.compactor_epoch, next.compactor_epoch),
    ];
    for (role, before, after) in pairs {
        if after < before {
            found.push(format!(
                "v{}: the {role} epoch went down from {before} to {after}",
                next.version.0
            ));
        }
    }
    found
}

/// Rule: one fence per version (each fence is its own edit).
fn one_fence_per_version(changes: &Changes, next: &Manifest) -> Option<String> {
    (changes.fence_writer && changes.fence_compactor).then(|| {
        format!(
            "v{}: both epochs changed in one version (writer {}, compactor {})",
            next.version.0, next.writer_epoch, next.compactor_epoch
        )
    })
}

/// Rule: a version that changes an epoch is a fence, which changes nothing else.
fn a_fence_changes_nothing_else(
    previous: &Manifest,
    next: &Manifest,
    changes: &Changes,
) -> Option<String> {
    if !changes.fence_writer && !changes.fence_compactor {
        return None;
    }
    let mut rest = next.clone();
    rest.version = previous.version;
    rest.writer_epoch = previous.writer_epoch;
    rest.compactor_epoch = previous.compactor_epoch;
    (rest != *previous).then(|| {
        format!(
            "v{}: a fence (writer epoch {} -> {}, compactor epoch {} -> {}) changed more than its epoch",
            next.version.0,
            previous.writer_epoch,
            next.writer_epoch,
            previous.compactor_epoch,
            next.compactor_epoch
        )
    })
}

/// Rule: a new table was minted by the role that installs it, under that role's current
/// epoch. An older epoch is a fenced incarnation's edit that was accepted.
fn new_tables_carry_current_epochs(previous: &Manifest, next: &Manifest) -> Vec<String> {
    let version = next.version.0;
    let mut found = Vec::new();
    for id in new_tables(previous, next) {
        let (edit, current) = match id.role() {
            Some(IdRole::Writer) => ("flush by writer", next.writer_epoch),
            Some(IdRole::Compactor) => ("compaction by compactor", next.compactor_epoch),
            other => {
                found.push(format!(
                    "v{version}: table {id} was minted by {other:?}, which installs nothing"
                ));
                continue;
            }
        };
        if id.epoch() != current {
            let fenced = if id.epoch() < current {
                "fenced"
            } else {
                "not yet fenced in"
            };
            found.push(format!(
                "v{version}: {edit} epoch {} ({fenced}) added table {id}; current epoch {current}",
                id.epoch()
            ));
        }
    }
    found
}

/// Rule: one version is one edit, so a compaction's new tables never come with a writer's
/// changes.
fn one_role_per_version(changes: &Changes, next: &Manifest) -> Option<String> {
    let compactor_tables = changes.compaction && !changes.flush;
    let writer_side = changes.wal_fields || changes.checkpoint;
    (changes.flush && changes.compaction || compactor_tables && writer_side).then(|| {
        format!(
            "v{}: one version mixes a compaction with a writer's edit ({changes:?})",
            next.version.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use lsm_core::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, WalId};
    use lsm_core::manifest::{Checkpoint, Edit, apply};
    use lsm_core::sst::SstMeta;

    fn table(role: IdRole, epoch: u64, counter: u64, seq: u64) -> SstMeta {
        SstMeta {
            id: SstId::compose(role, Epoch(epoch), counter).unwrap_or(SstId(0)),
            smallest_key: Bytes::from_static(b"a"),
            largest_key: Bytes::from_static(b"z"),
            smallest_seq: SeqNum(seq),
            largest_seq: SeqNum(seq),
            entry_count: 1,
            tombstone_count: 0,
            logical_bytes: 1,
            size_bytes: 1,
            created_at_ms: 0,
            object_crc32c: 0,
        }
    }

    fn step(base: &Manifest, edit: Edit) -> Manifest {
        match apply(base, &edit) {
            Ok(next) => next,
            Err(error) => panic!("{edit:?} refused: {error}"),
        }
    }

    /// Writer epoch 2, compactor epoch 3, one flushed table.
    fn base() -> Manifest {
        let mut m = step(
            &Manifest::initial(),
            Edit::FenceWriter {
                new_epoch: Epoch(2),
            },
        );
        m = step(
            &m,
            Edit::FenceCompactor {
                new_epoch: Epoch(3),
            },
        );
        step(&m, flush_edit(&m, table(IdRole::Writer, 2, 1, 1)))
    }

    fn flush_edit(m: &Manifest, sst: SstMeta) -> Edit {
        Edit::Flush {
            writer_epoch: m.writer_epoch,
            wal_replay_point: WalId(m.wal_replay_point.0 + 1),
            last_seq: SeqNum(m.last_seq.0.max(sst.largest_seq.0)),
            sst,
        }
    }

    /// `next` as a store would see it: `previous` changed by hand, one version on.
    fn forged(previous: &Manifest, change: impl FnOnce(&mut Manifest)) -> Manifest {
        let mut next = previous.clone();
        next.version = ManifestVersion(previous.version.0 + 1);
        change(&mut next);
        next
    }

    #[test]
    fn valid_edits_pass_and_are_classified() {
        let m = base();
        let flushed = step(&m, flush_edit(&m, table(IdRole::Writer, 2, 2, 2)));
        let audited = audit(&m, &flushed);
        assert_eq!(audited.violations, Vec::<String>::new());
        assert!(audited.changes.flush && audited.changes.wal_fields);
        let first = m.l0[0].id;
        let compacted = step(
            &flushed,
            Edit::Compaction {
                compactor_epoch: Epoch(3),
                removed: [first].into_iter().collect(),
                added: vec![(1, table(IdRole::Compactor, 3, 1, 1))],
                force_delete: false,
            },
        );
        let audited = audit(&flushed, &compacted);
        assert_eq!(audited.violations, Vec::<String>::new());
        assert!(audited.changes.compaction && !audited.changes.flush);
        let checkpointed = step(
            &compacted,
            Edit::AddCheckpoint {
                checkpoint: Checkpoint {
                    id: CheckpointId(0),
                    name: "writer".to_string(),
                    manifest_version: ManifestVersion(compacted.version.0 + 1),
                    created_at_ms: 0,
                    expires_at_ms: None,
                },
            },
        );
        let audited = audit(&compacted, &checkpointed);
        assert_eq!(audited.violations, Vec::<String>::new());
        assert!(audited.changes.checkpoint);
        let fenced = step(
            &checkpointed,
            Edit::FenceWriter {
                new_epoch: Epoch(7),
            },
        );
        let audited = audit(&checkpointed, &fenced);
        assert_eq!(audited.violations, Vec::<String>::new());
        assert!(audited.changes.fence_writer);
    }

    #[test]
    fn epochs_only_rise_names_the_epochs() {
        let m = base();
        let next = forged(&m, |next| next.writer_epoch = Epoch(1));
        let found = audit(&m, &next).violations;
        assert!(
            found
                .iter()
                .any(|v| v.contains("writer epoch went down from 2 to 1")),
            "{found:?}"
        );
    }

    #[test]
    fn one_fence_per_version_refuses_two_epochs_at_once() {
        let m = base();
        let next = forged(&m, |next| {
            next.writer_epoch = Epoch(4);
            next.compactor_epoch = Epoch(4);
        });
        let found = audit(&m, &next).violations;
        assert!(found.iter().any(|v| v.contains("both epochs")), "{found:?}");
    }

    #[test]
    fn a_fence_changes_nothing_else() {
        let m = base();
        let next = forged(&m, |next| {
            next.writer_epoch = Epoch(4);
            next.wal_replay_point = WalId(9);
        });
        let found = audit(&m, &next).violations;
        assert!(
            found
                .iter()
                .any(|v| v.contains("changed more than its epoch")),
            "{found:?}"
        );
    }

    #[test]
    fn new_tables_carry_current_epochs_catches_a_fenced_writer_flush() {
        let m = base();
        let zombie = table(IdRole::Writer, 1, 9, 5);
        let id = zombie.id;
        let next = forged(&m, |next| {
            next.l0.insert(0, zombie);
            next.wal_replay_point = WalId(5);
            next.last_seq = SeqNum(5);
        });
        let found = audit(&m, &next).violations;
        let expected = format!(
            "v{}: flush by writer epoch 1 (fenced) added table {id}; current epoch 2",
            next.version.0
        );
        assert_eq!(found, vec![expected]);
    }

    #[test]
    fn new_tables_carry_current_epochs_catches_a_fenced_compactor_install() {
        let m = base();
        let zombie = table(IdRole::Compactor, 2, 4, 1);
        let next = forged(&m, |next| {
            let input = next.l0.remove(0);
            next.pending_deletion
                .push(lsm_core::manifest::PendingDeletion {
                    sst: input,
                    obsoleted_at: next.version,
                });
            next.levels.push(vec![zombie]);
        });
        let found = audit(&m, &next).violations;
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("compaction by compactor epoch 2 (fenced)"),
            "{found:?}"
        );
        assert!(found[0].contains("current epoch 3"), "{found:?}");
    }

    #[test]
    fn new_tables_carry_current_epochs_refuses_a_worker_minted_table() {
        let m = base();
        let next = forged(&m, |next| {
            next.levels.push(vec![table(IdRole::RemoteWorker, 0, 1, 1)]);
        });
        let found = audit(&m, &next).violations;
        assert!(
            found.iter().any(|v| v.contains("installs nothing")),
            "{found:?}"
        );
    }

    #[test]
    fn one_role_per_version_refuses_a_compaction_with_wal_fields() {
        let m = base();
        let next = forged(&m, |next| {
            next.levels.push(vec![table(IdRole::Compactor, 3, 1, 1)]);
            next.wal_replay_point = WalId(9);
        });
        let found = audit(&m, &next).violations;
        assert!(found.iter().any(|v| v.contains("mixes")), "{found:?}");
    }

    #[test]
    fn a_trivial_move_and_a_pending_table_are_not_new() {
        let m = base();
        let moved = m.l0[0].clone();
        let next = forged(&m, |next| {
            next.l0.clear();
            next.levels.push(vec![moved]);
        });
        let audited = audit(&m, &next);
        assert_eq!(audited.violations, Vec::<String>::new());
        assert!(audited.changes.compaction && !audited.changes.flush);
    }
}
