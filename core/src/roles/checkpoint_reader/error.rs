//! Why a checkpoint could not be opened or read.

use crate::codec::DecodeError;
use crate::ids::{CheckpointId, ManifestVersion, SstId};
use crate::roles::manifest_io::ManifestIoError;
use crate::store::StoreError;
use bytes::Bytes;
use std::fmt;

/// What is wrong with a table object that does exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableDefect {
    /// The object's size differs from the size its manifest entry records.
    SizeMismatch { expected: u64, found: u64 },
    /// The object's CRC-32C differs from the one its manifest entry records.
    ChecksumMismatch { expected: u32, found: u32 },
    /// The table does not decode (footer, index, filter or a data block).
    Decode(DecodeError),
    /// The table's entries are out of internal-key order.
    OutOfOrder { user_key: Bytes, seq: u64 },
}

impl fmt::Display for TableDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableDefect::SizeMismatch { expected, found } => {
                write!(f, "{found} bytes, the manifest records {expected}")
            }
            TableDefect::ChecksumMismatch { expected, found } => {
                write!(
                    f,
                    "crc32c {found:#010x}, the manifest records {expected:#010x}"
                )
            }
            TableDefect::Decode(error) => write!(f, "{error}"),
            TableDefect::OutOfOrder { user_key, seq } => {
                write!(f, "entries out of order at {user_key:?}@{seq}")
            }
        }
    }
}

/// One error per failure a checker must tell apart: a checkpoint that is gone is not a
/// table that is missing (the first is legal, the second breaks reference integrity).
#[derive(Clone, Debug, PartialEq)]
pub enum CheckpointReadError {
    /// The newest manifest (of `newest_version`) does not list the checkpoint.
    NotLive {
        id: CheckpointId,
        newest_version: ManifestVersion,
    },
    /// The manifest object of `version` is not in the store.
    VersionMissing {
        version: ManifestVersion,
        path: String,
    },
    /// Reading a manifest failed otherwise (store errors, corruption).
    Manifest(ManifestIoError),
    /// A table the opened version references is not in the store.
    MissingTable { id: SstId, path: String },
    /// A table the opened version references is in the store but damaged.
    CorruptTable {
        id: SstId,
        path: String,
        defect: TableDefect,
    },
    /// Fetching a table failed for good (retries exhausted, or an error retrying cannot fix).
    Store { path: String, error: StoreError },
}

impl CheckpointReadError {
    /// True when a table the version references is missing or damaged: reference integrity
    /// is broken, as opposed to a transient store failure or a checkpoint that was released.
    pub fn is_integrity_violation(&self) -> bool {
        matches!(
            self,
            CheckpointReadError::MissingTable { .. } | CheckpointReadError::CorruptTable { .. }
        )
    }
}

impl fmt::Display for CheckpointReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckpointReadError as E;
        match self {
            E::NotLive { id, newest_version } => write!(
                f,
                "checkpoint {id} is not listed in the newest manifest (version {newest_version})"
            ),
            E::VersionMissing { version, path } => {
                write!(f, "manifest version {version} ({path}) is not in the store")
            }
            E::Manifest(error) => write!(f, "manifest: {error}"),
            E::MissingTable { id, path } => write!(f, "{path}: table {id} is missing"),
            E::CorruptTable { id, path, defect } => {
                write!(f, "{path}: table {id} is corrupt: {defect}")
            }
            E::Store { path, error } => write!(f, "{path}: {error}"),
        }
    }
}

impl std::error::Error for CheckpointReadError {}
