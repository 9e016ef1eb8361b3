//! Why running a job (fetch, merge, upload) failed. Nothing was installed; uploaded
//! outputs, if any, are orphans for garbage collection.

use crate::codec::DecodeError;
use crate::compaction::ExecuteError;
use crate::ids::Epoch;
use crate::store::StoreError;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum JobError {
    /// A store request failed for good (retries exhausted, or an error retrying cannot fix;
    /// an upload whose outcome stayed unknown ends here too).
    Store(StoreError),
    /// An input object does not match the checksum the manifest records, or does not decode.
    CorruptSst { path: String, error: DecodeError },
    /// The merge failed.
    Execute(ExecuteError),
    /// The job needed more output ids than its block holds.
    OutputIdsExhausted {
        compactor_epoch: Epoch,
        first_counter: u64,
        count_max: u64,
    },
    /// An output id was taken by another object: ids are meant to be unique.
    IdCollision { path: String },
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Store(error) => write!(f, "store: {error}"),
            JobError::CorruptSst { path, error } => write!(f, "{path}: {error}"),
            JobError::Execute(error) => write!(f, "compaction: {error}"),
            JobError::OutputIdsExhausted {
                compactor_epoch,
                first_counter,
                count_max,
            } => write!(
                f,
                "compactor epoch {compactor_epoch}: output ids {first_counter}+{count_max} exhausted"
            ),
            JobError::IdCollision { path } => write!(f, "{path}: id already taken"),
        }
    }
}

impl std::error::Error for JobError {}
