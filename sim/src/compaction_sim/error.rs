//! Why a simulation stopped.

use lsm_core::codec::DecodeError;
use lsm_core::compaction::{ExecuteError, PlanError};
use lsm_core::ids::SstId;
use lsm_core::manifest::ManifestError;
use lsm_core::memtable::MemtableError;
use lsm_core::merge::MergeError;
use lsm_core::sst::SstBuildError;
use std::fmt;

/// A failed simulation: bad arguments, or a step of the real code refused.
#[derive(Debug)]
pub enum CompactionSimError {
    /// The arguments cannot describe a run.
    BadArgs(String),
    /// After a flush the picker kept finding work past the bound: the strategy does not
    /// converge on this stream.
    NotConverging {
        flush: u64,
        compactions: u64,
    },
    /// The manifest refused an edit (an invariant would break).
    Apply(ManifestError),
    Plan(PlanError),
    Execute(ExecuteError),
    Build(SstBuildError),
    Merge(MergeError),
    Decode(DecodeError),
    Memtable(MemtableError),
    /// A live table's bytes are missing from the simulated store.
    MissingTable {
        id: SstId,
    },
    /// An id counter ran out of bits.
    IdsExhausted,
    /// `--dump-stream` could not write its file.
    Dump {
        path: String,
        detail: String,
    },
    /// Concurrent schedule: writes are stopped and nothing runs that could unstop them.
    Deadlocked {
        puts: u64,
    },
}

impl CompactionSimError {
    /// True for errors in the arguments (exit status 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            CompactionSimError::BadArgs(_) | CompactionSimError::Dump { .. }
        )
    }
}

impl fmt::Display for CompactionSimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactionSimError::BadArgs(detail) => write!(f, "bad arguments: {detail}"),
            CompactionSimError::NotConverging { flush, compactions } => write!(
                f,
                "did not converge: still picking after {compactions} compactions following flush {flush}"
            ),
            CompactionSimError::Apply(error) => write!(f, "the manifest refused an edit: {error}"),
            CompactionSimError::Plan(error) => write!(f, "plan: {error}"),
            CompactionSimError::Execute(error) => write!(f, "execute: {error}"),
            CompactionSimError::Build(error) => write!(f, "flush: {error}"),
            CompactionSimError::Merge(error) => write!(f, "flush merge: {error}"),
            CompactionSimError::Decode(error) => write!(f, "opening a table: {error}"),
            CompactionSimError::Memtable(error) => write!(f, "memtable: {error}"),
            CompactionSimError::Dump { path, detail } => {
                write!(f, "cannot dump the stream to {path}: {detail}")
            }
            CompactionSimError::Deadlocked { puts } => write!(
                f,
                "writes stopped after {puts} puts with no flush or compaction running to unstop them"
            ),
            CompactionSimError::MissingTable { id } => write!(f, "table {id} is not in the store"),
            CompactionSimError::IdsExhausted => write!(f, "ran out of table ids"),
        }
    }
}

impl std::error::Error for CompactionSimError {}

impl From<ManifestError> for CompactionSimError {
    fn from(error: ManifestError) -> Self {
        CompactionSimError::Apply(error)
    }
}
impl From<PlanError> for CompactionSimError {
    fn from(error: PlanError) -> Self {
        CompactionSimError::Plan(error)
    }
}
impl From<ExecuteError> for CompactionSimError {
    fn from(error: ExecuteError) -> Self {
        CompactionSimError::Execute(error)
    }
}
impl From<SstBuildError> for CompactionSimError {
    fn from(error: SstBuildError) -> Self {
        CompactionSimError::Build(error)
    }
}
impl From<MergeError> for CompactionSimError {
    fn from(error: MergeError) -> Self {
        CompactionSimError::Merge(error)
    }
}
impl From<DecodeError> for CompactionSimError {
    fn from(error: DecodeError) -> Self {
        CompactionSimError::Decode(error)
    }
}
impl From<MemtableError> for CompactionSimError {
    fn from(error: MemtableError) -> Self {
        CompactionSimError::Memtable(error)
    }
}
