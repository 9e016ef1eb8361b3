//! What every manifest must satisfy, as named predicates. [`crate::manifest::apply`] checks
//! them on its result and [`crate::manifest::decode_manifest`] on what it decoded, so a
//! manifest that breaks one is never written nor trusted.

use crate::entry::WallMs;
use crate::ids::{CheckpointId, ManifestVersion, SeqNum, SstId};
use crate::manifest::model::{MAX_LEVELS, Manifest};
use crate::sst::SstMeta;
use std::collections::BTreeSet;
use std::fmt;

/// Which invariant a manifest breaks, with the ids that break it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvariantViolation {
    /// A table's metadata contradicts itself.
    MalformedSstMeta {
        id: SstId,
        defect: &'static str,
    },
    /// The same id appears twice among live and pending tables.
    DuplicateSstId {
        id: SstId,
    },
    TooManyLevels {
        count: usize,
        max: usize,
    },
    /// In an L1+ run, `second` follows `first` but starts at a smaller key.
    LevelUnsorted {
        level: usize,
        first: SstId,
        second: SstId,
    },
    /// In an L1+ run, two neighbouring tables share keys.
    LevelOverlap {
        level: usize,
        first: SstId,
        second: SstId,
    },
    /// L0 must be newest first: `newer` is listed before `older` but holds older data.
    L0NotNewestFirst {
        newer: SstId,
        older: SstId,
    },
    /// A live table holds a sequence number above `last_seq`, which recovery would reuse.
    SstAboveLastSeq {
        id: SstId,
        largest_seq: SeqNum,
        last_seq: SeqNum,
    },
    /// A pending table claims to be obsoleted by a version after this one.
    PendingFromFuture {
        id: SstId,
        obsoleted_at: ManifestVersion,
        version: ManifestVersion,
    },
    /// A checkpoint names a version after this one.
    CheckpointFromFuture {
        id: CheckpointId,
        manifest_version: ManifestVersion,
        version: ManifestVersion,
    },
    /// Checkpoints must be listed by strictly increasing id (so ids are unique).
    CheckpointIdsNotIncreasing {
        previous: CheckpointId,
        id: CheckpointId,
    },
    /// A checkpoint id at or above `next_checkpoint_id`: it could be handed out again.
    CheckpointIdNotAllocated {
        id: CheckpointId,
        next_checkpoint_id: CheckpointId,
    },
    CheckpointExpiresBeforeCreated {
        id: CheckpointId,
        created_at_ms: WallMs,
        expires_at_ms: WallMs,
    },
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use InvariantViolation as V;
        match self {
            V::MalformedSstMeta { id, defect } => write!(f, "sst {id}: {defect}"),
            V::DuplicateSstId { id } => write!(f, "sst id {id} appears more than once"),
            V::TooManyLevels { count, max } => write!(f, "{count} levels, at most {max}"),
            V::LevelUnsorted {
                level,
                first,
                second,
            } => write!(f, "L{level}: sst {second} starts before sst {first}"),
            V::LevelOverlap {
                level,
                first,
                second,
            } => write!(f, "L{level}: sst {first} overlaps sst {second}"),
            V::L0NotNewestFirst { newer, older } => write!(
                f,
                "L0: sst {newer} is listed before sst {older} but holds older data"
            ),
            V::SstAboveLastSeq {
                id,
                largest_seq,
                last_seq,
            } => write!(
                f,
                "sst {id} holds sequence {largest_seq} above last_seq {last_seq}"
            ),
            V::PendingFromFuture {
                id,
                obsoleted_at,
                version,
            } => write!(
                f,
                "pending sst {id} obsoleted at version {obsoleted_at}, after version {version}"
            ),
            V::CheckpointFromFuture {
                id,
                manifest_version,
                version,
            } => write!(
                f,
                "checkpoint {id} names version {manifest_version}, after version {version}"
            ),
            V::CheckpointIdsNotIncreasing { previous, id } => {
                write!(f, "checkpoint {id} listed after checkpoint {previous}")
            }
            V::CheckpointIdNotAllocated {
                id,
                next_checkpoint_id,
            } => write!(
                f,
                "checkpoint {id} is not below next_checkpoint_id {next_checkpoint_id}"
            ),
            V::CheckpointExpiresBeforeCreated {
                id,
                created_at_ms,
                expires_at_ms,
            } => write!(
                f,
                "checkpoint {id} expires at {expires_at_ms} ms, before its creation at {created_at_ms} ms"
            ),
        }
    }
}

impl std::error::Error for InvariantViolation {}

/// Runs every invariant, in a fixed order; returns the first violation.
pub fn check_invariants(manifest: &Manifest) -> Result<(), InvariantViolation> {
    sst_meta_well_formed(manifest)?;
    ids_unique(manifest)?;
    levels_bounded(manifest)?;
    levels_sorted_and_disjoint(manifest)?;
    l0_newest_first(manifest)?;
    live_ssts_within_last_seq(manifest)?;
    pending_obsoleted_in_past(manifest)?;
    checkpoints_refer_to_past_versions(manifest)?;
    checkpoint_ids_increasing_and_allocated(manifest)?;
    checkpoints_expire_after_creation(manifest)
}

/// The defect of one table's metadata, if any.
pub fn sst_meta_defect(sst: &SstMeta) -> Option<&'static str> {
    if sst.smallest_key > sst.largest_key {
        Some("smallest key above largest key")
    } else if sst.smallest_seq > sst.largest_seq {
        Some("smallest sequence number above largest")
    } else if sst.tombstone_count > sst.entry_count {
        Some("more tombstones than entries")
    } else {
        None
    }
}

/// Every table (live or pending) has ordered key and sequence ranges and consistent counts.
pub fn sst_meta_well_formed(manifest: &Manifest) -> Result<(), InvariantViolation> {
    let pending = manifest.pending_deletion.iter().map(|p| &p.sst);
    for sst in manifest.all_live_ssts().chain(pending) {
        if let Some(defect) = sst_meta_defect(sst) {
            return Err(InvariantViolation::MalformedSstMeta { id: sst.id, defect });
        }
    }
    Ok(())
}

/// No id appears twice across L0, the levels and the pending list.
pub fn ids_unique(manifest: &Manifest) -> Result<(), InvariantViolation> {
    let mut seen = BTreeSet::new();
    let pending = manifest.pending_deletion.iter().map(|p| &p.sst);
    for sst in manifest.all_live_ssts().chain(pending) {
        if !seen.insert(sst.id) {
            return Err(InvariantViolation::DuplicateSstId { id: sst.id });
        }
    }
    Ok(())
}

/// At most [`MAX_LEVELS`] levels below L0.
pub fn levels_bounded(manifest: &Manifest) -> Result<(), InvariantViolation> {
    let count = manifest.levels.len();
    if count > MAX_LEVELS {
        return Err(InvariantViolation::TooManyLevels {
            count,
            max: MAX_LEVELS,
        });
    }
    Ok(())
}

/// Each L1+ level is one sorted run: sorted by smallest key, key ranges disjoint.
pub fn levels_sorted_and_disjoint(manifest: &Manifest) -> Result<(), InvariantViolation> {
    for (index, run) in manifest.levels.iter().enumerate() {
        let level = index + 1;
        for pair in run.windows(2) {
            let [first, second] = pair else { continue };
            if first.smallest_key > second.smallest_key {
                return Err(InvariantViolation::LevelUnsorted {
                    level,
                    first: first.id,
                    second: second.id,
                });
            }
            if first.largest_key >= second.smallest_key {
                return Err(InvariantViolation::LevelOverlap {
                    level,
                    first: first.id,
                    second: second.id,
                });
            }
        }
    }
    Ok(())
}

/// L0 is newest first: each table's largest sequence number is at least the next one's.
pub fn l0_newest_first(manifest: &Manifest) -> Result<(), InvariantViolation> {
    for pair in manifest.l0.windows(2) {
        let [newer, older] = pair else { continue };
        if newer.largest_seq < older.largest_seq {
            return Err(InvariantViolation::L0NotNewestFirst {
                newer: newer.id,
                older: older.id,
            });
        }
    }
    Ok(())
}

/// No live table holds a sequence number above `last_seq`: a recovering writer continues
/// numbering after `last_seq` and must not reuse a number already persisted.
pub fn live_ssts_within_last_seq(manifest: &Manifest) -> Result<(), InvariantViolation> {
    for sst in manifest.all_live_ssts() {
        if sst.largest_seq > manifest.last_seq {
            return Err(InvariantViolation::SstAboveLastSeq {
                id: sst.id,
                largest_seq: sst.largest_seq,
                last_seq: manifest.last_seq,
            });
        }
    }
    Ok(())
}

/// Every pending table was obsoleted by this version or an earlier one.
pub fn pending_obsoleted_in_past(manifest: &Manifest) -> Result<(), InvariantViolation> {
    for pending in &manifest.pending_deletion {
        if pending.obsoleted_at > manifest.version {
            return Err(InvariantViolation::PendingFromFuture {
                id: pending.sst.id,
                obsoleted_at: pending.obsoleted_at,
                version: manifest.version,
            });
        }
    }
    Ok(())
}

/// Every checkpoint names this version or an earlier one.
pub fn checkpoints_refer_to_past_versions(manifest: &Manifest) -> Result<(), InvariantViolation> {
    for checkpoint in &manifest.checkpoints {
        if checkpoint.manifest_version > manifest.version {
            return Err(InvariantViolation::CheckpointFromFuture {
                id: checkpoint.id,
                manifest_version: checkpoint.manifest_version,
                version: manifest.version,
            });
        }
    }
    Ok(())
}

/// Checkpoints are listed by strictly increasing id, all below `next_checkpoint_id`.
pub fn checkpoint_ids_increasing_and_allocated(
    manifest: &Manifest,
) -> Result<(), InvariantViolation> {
    let mut previous: Option<CheckpointId> = None;
    for checkpoint in &manifest.checkpoints {
        if let Some(previous) = previous.filter(|previous| checkpoint.id <= *previous) {
            return Err(InvariantViolation::CheckpointIdsNotIncreasing {
                previous,
                id: checkpoint.id,
            });
        }
        if checkpoint.id >= manifest.next_checkpoint_id {
            return Err(InvariantViolation::CheckpointIdNotAllocated {
                id: checkpoint.id,
                next_checkpoint_id: manifest.next_checkpoint_id,
            });
        }
        previous = Some(checkpoint.id);
    }
    Ok(())
}

/// A checkpoint does not expire before it was created.
pub fn checkpoints_expire_after_creation(manifest: &Manifest) -> Result<(), InvariantViolation> {
    for checkpoint in &manifest.checkpoints {
        let early = checkpoint.expires_at_ms;
        if let Some(expires_at_ms) = early.filter(|at| *at < checkpoint.created_at_ms) {
            return Err(InvariantViolation::CheckpointExpiresBeforeCreated {
                id: checkpoint.id,
                created_at_ms: checkpoint.created_at_ms,
                expires_at_ms,
            });
        }
    }
    Ok(())
}
