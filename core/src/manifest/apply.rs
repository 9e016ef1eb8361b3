//! `apply`: the pure transition from one manifest to the next.

#[cfg(feature = "bugs")]
use crate::bugs::{Bug, Bugs};
use crate::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, SstId, WalId};
use crate::manifest::compaction::apply_compaction;
use crate::manifest::edit::{Edit, Role};
use crate::manifest::error::{ManifestError, RegressedField};
use crate::manifest::invariants::check_invariants;
use crate::manifest::model::{Checkpoint, Manifest};
use crate::sst::SstMeta;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Validates `edit` against `base` and returns the next manifest (version + 1), or why the
/// edit is refused. Pure and total: never panics, `base` is untouched. Apply to the newest
/// manifest after re-reading it, never to the one a plan was made from.
#[cfg(not(feature = "bugs"))]
pub fn apply(base: &Manifest, edit: &Edit) -> Result<Manifest, ManifestError> {
    transition(base, edit)
}

/// Validates `edit` against `base` and returns the next manifest (version + 1), or why the
/// edit is refused. Pure and total: never panics, `base` is untouched. Apply to the newest
/// manifest after re-reading it, never to the one a plan was made from.
#[cfg(feature = "bugs")]
pub fn apply(base: &Manifest, edit: &Edit) -> Result<Manifest, ManifestError> {
    transition(base, edit, Bugs::NONE)
}

/// [`apply`] with injected defects (`l0-remove-by-position`, `stale-epoch-accepted`); only
/// with the `bugs` feature.
#[cfg(feature = "bugs")]
pub fn apply_with(base: &Manifest, edit: &Edit, bugs: Bugs) -> Result<Manifest, ManifestError> {
    transition(base, edit, bugs)
}

fn transition(
    base: &Manifest,
    edit: &Edit,
    #[cfg(feature = "bugs")] bugs: Bugs,
) -> Result<Manifest, ManifestError> {
    #[cfg(feature = "bugs")]
    let accept_stale = bugs.has(Bug::StaleEpochAccepted);
    #[cfg(not(feature = "bugs"))]
    let accept_stale = false;
    let mut next = base.clone();
    next.version = ManifestVersion(base.version.0.checked_add(1).ok_or(
        ManifestError::Overflow {
            what: "manifest version",
        },
    )?);
    match edit {
        Edit::Flush {
            writer_epoch,
            sst,
            wal_replay_point,
            last_seq,
        } => {
            require_current(Role::Writer, *writer_epoch, base.writer_epoch, accept_stale)?;
            apply_flush(&mut next, sst, *wal_replay_point, *last_seq)?;
        }
        Edit::WriterSetWal {
            writer_epoch,
            wal_replay_point,
            last_seq,
        } => {
            require_current(Role::Writer, *writer_epoch, base.writer_epoch, accept_stale)?;
            set_wal_fields(&mut next, *wal_replay_point, *last_seq)?;
        }
        Edit::FenceWriter { new_epoch } => {
            require_raise(Role::Writer, *new_epoch, base.writer_epoch)?;
            next.writer_epoch = *new_epoch;
        }
        Edit::FenceCompactor { new_epoch } => {
            require_raise(Role::Compactor, *new_epoch, base.compactor_epoch)?;
            next.compactor_epoch = *new_epoch;
        }
        Edit::Compaction {
            compactor_epoch,
            removed,
            added,
            force_delete,
        } => {
            require_current(
                Role::Compactor,
                *compactor_epoch,
                base.compactor_epoch,
                accept_stale,
            )?;
            apply_compaction(
                &mut next,
                removed,
                added,
                *force_delete,
                #[cfg(feature = "bugs")]
                bugs.has(Bug::L0RemoveByPosition),
            )?;
        }
        Edit::Checkpoint {
            writer_epoch,
            flush,
            checkpoint,
            release,
        } => {
            require_current(Role::Writer, *writer_epoch, base.writer_epoch, accept_stale)?;
            if let Some(flush) = flush {
                apply_flush(
                    &mut next,
                    &flush.sst,
                    flush.wal_replay_point,
                    flush.last_seq,
                )?;
            }
            if checkpoint.manifest_version != next.version {
                return Err(ManifestError::CheckpointVersionMismatch {
                    id: checkpoint.id,
                    named: checkpoint.manifest_version,
                    created: next.version,
                });
            }
            remove_checkpoints(&mut next, release)?;
            add_checkpoint(&mut next, checkpoint)?;
        }
        Edit::AddCheckpoint { checkpoint } => add_checkpoint(&mut next, checkpoint)?,
        Edit::RemoveCheckpoints { ids } => remove_checkpoints(&mut next, ids)?,
        Edit::PurgePending { ids } => purge_pending(&mut next, ids)?,
    }
    check_invariants(&next)?;
    assert_monotonic(base, &next);
    Ok(next)
}

/// What no edit takes back: epochs, the replay point, `last_seq` and checkpoint ids only grow.
fn assert_monotonic(base: &Manifest, next: &Manifest) {
    assert!(
        next.writer_epoch >= base.writer_epoch,
        "writer epoch went back"
    );
    assert!(
        next.compactor_epoch >= base.compactor_epoch,
        "compactor epoch went back"
    );
    assert!(next.wal_replay_point >= base.wal_replay_point);
    assert!(next.last_seq >= base.last_seq);
    assert!(next.next_checkpoint_id >= base.next_checkpoint_id);
}

/// A non-fence edit must carry exactly the current epoch of its role. `accept_stale` is
/// only ever true under the `stale-epoch-accepted` bug: an older epoch then passes.
fn require_current(
    role: Role,
    edit_epoch: Epoch,
    current_epoch: Epoch,
    accept_stale: bool,
) -> Result<(), ManifestError> {
    match edit_epoch.cmp(&current_epoch) {
        Ordering::Equal => Ok(()),
        // BUG (`stale-epoch-accepted`): a fenced incarnation's edit is taken.
        Ordering::Less if accept_stale => Ok(()),
        Ordering::Less => Err(ManifestError::StaleEpoch {
            role,
            edit_epoch,
            current_epoch,
        }),
        Ordering::Greater => Err(ManifestError::FutureEpoch {
            role,
            edit_epoch,
            current_epoch,
        }),
    }
}

/// A fence must raise its role's epoch strictly; an equal or lower one lost the race.
fn require_raise(role: Role, new_epoch: Epoch, current_epoch: Epoch) -> Result<(), ManifestError> {
    if new_epoch <= current_epoch {
        return Err(ManifestError::StaleEpoch {
            role,
            edit_epoch: new_epoch,
            current_epoch,
        });
    }
    Ok(())
}

fn apply_flush(
    next: &mut Manifest,
    sst: &SstMeta,
    wal_replay_point: WalId,
    last_seq: SeqNum,
) -> Result<(), ManifestError> {
    let pending = next.pending_deletion.iter().map(|p| &p.sst);
    if next
        .all_live_ssts()
        .chain(pending)
        .any(|known| known.id == sst.id)
    {
        return Err(ManifestError::DuplicateSst { id: sst.id });
    }
    set_wal_fields(next, wal_replay_point, last_seq)?;
    // Paired with `l0_newest_first`: a flush holds the newest data, so it goes first.
    next.l0.insert(0, sst.clone());
    assert!(next.l0.iter().filter(|table| table.id == sst.id).count() == 1);
    Ok(())
}

fn set_wal_fields(
    next: &mut Manifest,
    wal_replay_point: WalId,
    last_seq: SeqNum,
) -> Result<(), ManifestError> {
    if wal_replay_point < next.wal_replay_point {
        return Err(ManifestError::Regression {
            field: RegressedField::WalReplayPoint,
            from: next.wal_replay_point.0,
            to: wal_replay_point.0,
        });
    }
    if last_seq < next.last_seq {
        return Err(ManifestError::Regression {
            field: RegressedField::LastSeq,
            from: next.last_seq.0,
            to: last_seq.0,
        });
    }
    next.wal_replay_point = wal_replay_point;
    next.last_seq = last_seq;
    Ok(())
}

fn add_checkpoint(next: &mut Manifest, checkpoint: &Checkpoint) -> Result<(), ManifestError> {
    let id = checkpoint.id;
    if next.checkpoints.iter().any(|listed| listed.id == id) {
        return Err(ManifestError::DuplicateCheckpoint { id });
    }
    if id < next.next_checkpoint_id {
        return Err(ManifestError::CheckpointIdReused {
            id,
            next_checkpoint_id: next.next_checkpoint_id,
        });
    }
    next.next_checkpoint_id = CheckpointId(id.0.checked_add(1).ok_or(ManifestError::Overflow {
        what: "checkpoint id",
    })?);
    // Ids only grow, so pushing keeps the list sorted by id.
    assert!(
        next.checkpoints.last().is_none_or(|last| last.id < id),
        "a new checkpoint id is above every listed one"
    );
    next.checkpoints.push(checkpoint.clone());
    Ok(())
}

fn remove_checkpoints(
    next: &mut Manifest,
    ids: &BTreeSet<CheckpointId>,
) -> Result<(), ManifestError> {
    for id in ids {
        if !next.checkpoints.iter().any(|listed| listed.id == *id) {
            return Err(ManifestError::UnknownCheckpoint { id: *id });
        }
    }
    let listed_before = next.checkpoints.len();
    next.checkpoints.retain(|listed| !ids.contains(&listed.id));
    // Checkpoint ids are unique, so each named id removes exactly one.
    assert_eq!(listed_before - next.checkpoints.len(), ids.len());
    Ok(())
}

fn purge_pending(next: &mut Manifest, ids: &BTreeSet<SstId>) -> Result<(), ManifestError> {
    for id in ids {
        if !next.pending_deletion.iter().any(|p| p.sst.id == *id) {
            return Err(ManifestError::NotPending { id: *id });
        }
    }
    let pending_before = next.pending_deletion.len();
    next.pending_deletion.retain(|p| !ids.contains(&p.sst.id));
    // Table ids are unique, so each named id purges exactly one entry.
    assert_eq!(pending_before - next.pending_deletion.len(), ids.len());
    Ok(())
}
