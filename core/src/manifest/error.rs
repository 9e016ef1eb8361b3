//! Why an edit was refused, and why bytes are not a manifest.

use crate::codec::DecodeError;
use crate::ids::{CheckpointId, Epoch, ManifestVersion, SstId};
use crate::manifest::edit::Role;
use crate::manifest::invariants::InvariantViolation;
use std::fmt;

/// A WAL field that must never go backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegressedField {
    WalReplayPoint,
    LastSeq,
}

impl fmt::Display for RegressedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegressedField::WalReplayPoint => write!(f, "wal_replay_point"),
            RegressedField::LastSeq => write!(f, "last_seq"),
        }
    }
}

/// Why [`crate::manifest::apply`] refused an edit. The manifest is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestError {
    /// The edit comes from a fenced incarnation (or a fence does not raise the epoch): that
    /// role must stop.
    StaleEpoch {
        role: Role,
        edit_epoch: Epoch,
        current_epoch: Epoch,
    },
    /// The edit carries an epoch that was never installed: fence first.
    FutureEpoch {
        role: Role,
        edit_epoch: Epoch,
        current_epoch: Epoch,
    },
    /// A compaction removes a table that is not live (absent, or already pending deletion).
    UnknownSst { id: SstId },
    /// A new table reuses an id the manifest already knows (live or pending), or an edit
    /// names it twice.
    DuplicateSst { id: SstId },
    /// A trivial move (an id both removed and added) changes the table's metadata.
    MovedSstChanged { id: SstId },
    /// A compaction output names a level beyond the deepest allowed, or level 0 while some
    /// removed table is not in L0.
    LevelOutOfRange { level: usize, max: usize },
    /// A compaction would move the data of `input` into `output` across `shadowing`, a
    /// remaining table whose key range overlaps both and which sits between them in read
    /// order: reads would then see versions in the wrong order.
    ReordersVersions {
        input: SstId,
        output: SstId,
        shadowing: SstId,
    },
    /// A WAL field would go backwards.
    Regression {
        field: RegressedField,
        from: u64,
        to: u64,
    },
    /// A checkpoint to remove is not listed.
    UnknownCheckpoint { id: CheckpointId },
    /// A checkpoint to add is already listed.
    DuplicateCheckpoint { id: CheckpointId },
    /// A checkpoint to add uses an id below `next_checkpoint_id`: ids are never reused.
    CheckpointIdReused {
        id: CheckpointId,
        next_checkpoint_id: CheckpointId,
    },
    /// A checkpoint taken by [`crate::manifest::Edit::Checkpoint`] must name the version
    /// that edit creates.
    CheckpointVersionMismatch {
        id: CheckpointId,
        named: ManifestVersion,
        created: ManifestVersion,
    },
    /// A table to purge is not pending deletion.
    NotPending { id: SstId },
    /// A counter (`what`) would pass `u64::MAX`.
    Overflow { what: &'static str },
    /// The resulting manifest would break an invariant.
    Invariant(InvariantViolation),
}

impl ManifestError {
    /// True when the edit's role has been fenced by a newer incarnation: retrying is futile.
    pub fn is_fenced(&self) -> bool {
        matches!(self, ManifestError::StaleEpoch { .. })
    }
}

impl From<InvariantViolation> for ManifestError {
    fn from(violation: InvariantViolation) -> ManifestError {
        ManifestError::Invariant(violation)
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ManifestError as E;
        match self {
            E::StaleEpoch {
                role,
                edit_epoch,
                current_epoch,
            } => write!(
                f,
                "{role} epoch {edit_epoch} is stale: the manifest is at {current_epoch}"
            ),
            E::FutureEpoch {
                role,
                edit_epoch,
                current_epoch,
            } => write!(
                f,
                "{role} epoch {edit_epoch} was never fenced in: the manifest is at {current_epoch}"
            ),
            E::UnknownSst { id } => write!(f, "sst {id} is not live"),
            E::DuplicateSst { id } => write!(f, "sst id {id} is already in use"),
            E::MovedSstChanged { id } => write!(f, "moved sst {id} changed its metadata"),
            E::LevelOutOfRange { level, max } => {
                write!(f, "output level {level} is outside 1..={max}")
            }
            E::ReordersVersions {
                input,
                output,
                shadowing,
            } => write!(
                f,
                "moving sst {input} into sst {output} crosses overlapping sst {shadowing}"
            ),
            E::Regression { field, from, to } => {
                write!(f, "{field} would go back from {from} to {to}")
            }
            E::UnknownCheckpoint { id } => write!(f, "checkpoint {id} is not listed"),
            E::DuplicateCheckpoint { id } => write!(f, "checkpoint {id} is already listed"),
            E::CheckpointIdReused {
                id,
                next_checkpoint_id,
            } => write!(
                f,
                "checkpoint id {id} is below next_checkpoint_id {next_checkpoint_id}"
            ),
            E::CheckpointVersionMismatch { id, named, created } => write!(
                f,
                "checkpoint {id} names version {named} but the edit creates version {created}"
            ),
            E::NotPending { id } => write!(f, "sst {id} is not pending deletion"),
            E::Overflow { what } => write!(f, "{what} overflows"),
            E::Invariant(violation) => write!(f, "invariant broken: {violation}"),
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Invariant(violation) => Some(violation),
            _ => None,
        }
    }
}

/// Why bytes could not be decoded as a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestDecodeError {
    /// Truncated, bad magic, unsupported version, checksum mismatch, or a body that does
    /// not decode (bincode's message in the detail).
    Decode(DecodeError),
    /// The bytes decode but describe a manifest that breaks an invariant.
    Invariant(InvariantViolation),
}

impl From<DecodeError> for ManifestDecodeError {
    fn from(error: DecodeError) -> ManifestDecodeError {
        ManifestDecodeError::Decode(error)
    }
}

impl fmt::Display for ManifestDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestDecodeError::Decode(error) => write!(f, "manifest: {error}"),
            ManifestDecodeError::Invariant(violation) => {
                write!(f, "manifest breaks an invariant: {violation}")
            }
        }
    }
}

impl std::error::Error for ManifestDecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestDecodeError::Decode(error) => Some(error),
            ManifestDecodeError::Invariant(violation) => Some(violation),
        }
    }
}

/// Why a manifest was not encoded: the decoder would reject the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestEncodeError {
    Invariant(InvariantViolation),
    /// The body exceeds the decoder's size limit.
    TooLarge {
        size_bytes: usize,
        limit_bytes: usize,
    },
    /// bincode refused the value (not expected for this plain-data type).
    Serialize {
        detail: String,
    },
}

impl fmt::Display for ManifestEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestEncodeError::Invariant(violation) => {
                write!(
                    f,
                    "refusing to encode a manifest that breaks an invariant: {violation}"
                )
            }
            ManifestEncodeError::TooLarge {
                size_bytes,
                limit_bytes,
            } => write!(
                f,
                "manifest body of {size_bytes} bytes exceeds the {limit_bytes}-byte limit"
            ),
            ManifestEncodeError::Serialize { detail } => {
                write!(f, "manifest did not serialize: {detail}")
            }
        }
    }
}

impl std::error::Error for ManifestEncodeError {}
