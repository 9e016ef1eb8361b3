//! Why a writer request failed, and what that says about its effect.

use crate::codec::DecodeError;
use crate::compaction::{ExecuteError, PlanError};
use crate::ids::Epoch;
use crate::memtable::MemtableError;
use crate::roles::manifest_io::ManifestIoError;
use crate::sst::SstBuildError;
use crate::store::StoreError;
use crate::wal::{WalDecodeError, WalEncodeError};
use std::fmt;

/// A writer error. For a commit, every variant but [`WriterError::Unresolved`] means the
/// batch was certainly not made durable.
#[derive(Clone, Debug, PartialEq)]
pub enum WriterError {
    /// A newer writer incarnation exists; this one must stop.
    Fenced {
        epoch: Epoch,
        detail: String,
    },
    /// A write's outcome could not be resolved: it may or may not be durable. The writer is
    /// poisoned — only a restart (recovery) learns the truth.
    Unresolved {
        path: String,
    },
    /// An earlier unresolved write poisoned this incarnation.
    Poisoned,
    /// A store request failed for good (retries exhausted); nothing was applied.
    Store(StoreError),
    Manifest(ManifestIoError),
    /// An object in the store does not decode.
    CorruptSst {
        path: String,
        error: DecodeError,
    },
    CorruptWal {
        path: String,
        error: WalDecodeError,
    },
    /// WAL segments after the replay point are not contiguous: one is missing.
    WalGap {
        missing: u64,
    },
    /// The batch cannot be encoded (empty, too large...).
    Encode(WalEncodeError),
    Build(SstBuildError),
    Memtable(MemtableError),
    /// An SST id was taken by another object: ids are meant to be unique.
    IdCollision {
        path: String,
    },
    /// The incarnation of `epoch` has no SST id left: `counter` does not fit an id (a
    /// flush, or the last of a compaction job's block). Reopening under a new epoch
    /// starts the counter again.
    SstIdsExhausted {
        epoch: Epoch,
        counter: u64,
    },
    /// Recovery kept losing the WAL fence race.
    FenceContention {
        attempts: u32,
    },
    /// The embedded compactor's merge failed; nothing was installed.
    Compaction(ExecuteError),
    /// A compaction plan could not become a manifest edit for a reason other than
    /// staleness (a stale plan is not an error: `compact_once` returns `Ok(None)`).
    Plan(PlanError),
}

impl WriterError {
    /// True when the request may have taken effect.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, WriterError::Unresolved { .. })
    }
}

impl fmt::Display for WriterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriterError::Fenced { epoch, detail } => {
                write!(f, "writer epoch {epoch} fenced: {detail}")
            }
            WriterError::Unresolved { path } => write!(f, "{path}: outcome unknown"),
            WriterError::Poisoned => write!(f, "writer poisoned by an unresolved write"),
            WriterError::Store(error) => write!(f, "store: {error}"),
            WriterError::Manifest(error) => write!(f, "manifest: {error}"),
            WriterError::CorruptSst { path, error } => write!(f, "{path}: {error}"),
            WriterError::CorruptWal { path, error } => write!(f, "{path}: {error:?}"),
            WriterError::WalGap { missing } => write!(f, "WAL segment {missing} is missing"),
            WriterError::Encode(error) => write!(f, "WAL encode: {error:?}"),
            WriterError::Build(error) => write!(f, "SST build: {error:?}"),
            WriterError::Memtable(error) => write!(f, "memtable: {error}"),
            WriterError::IdCollision { path } => write!(f, "{path}: id already taken"),
            WriterError::SstIdsExhausted { epoch, counter } => {
                write!(
                    f,
                    "epoch {epoch}: SST counter {counter} exhausts the id space"
                )
            }
            WriterError::FenceContention { attempts } => {
                write!(f, "lost the WAL fence race {attempts} times")
            }
            WriterError::Compaction(error) => write!(f, "compaction: {error}"),
            WriterError::Plan(error) => write!(f, "compaction plan: {error}"),
        }
    }
}

impl std::error::Error for WriterError {}
