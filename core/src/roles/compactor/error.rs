//! Why a standalone compactor request failed.

use crate::compaction::PlanError;
use crate::ids::Epoch;
use crate::roles::compaction_job::JobError;
use crate::roles::manifest_io::ManifestIoError;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum CompactorError {
    /// A newer compactor epoch exists: this incarnation can never install again.
    Fenced { epoch: Epoch, detail: String },
    /// An install's outcome stayed unknown after every attempt to resolve it; the next
    /// refresh shows whether it landed (its outputs are orphans if not).
    Unresolved { path: String },
    /// Reading or writing the manifest failed (store errors, contention, corruption).
    Manifest(ManifestIoError),
    /// Running a job failed; nothing was installed.
    Job(JobError),
    /// A plan could not become an edit for a reason other than staleness.
    Plan(PlanError),
}

impl CompactorError {
    pub fn is_fenced(&self) -> bool {
        matches!(self, CompactorError::Fenced { .. })
    }
}

impl fmt::Display for CompactorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactorError::Fenced { epoch, detail } => {
                write!(f, "compactor epoch {epoch} fenced: {detail}")
            }
            CompactorError::Unresolved { path } => write!(f, "{path}: install outcome unknown"),
            CompactorError::Manifest(error) => write!(f, "manifest: {error}"),
            CompactorError::Job(error) => write!(f, "job: {error}"),
            CompactorError::Plan(error) => write!(f, "compaction plan: {error}"),
        }
    }
}

impl std::error::Error for CompactorError {}

impl From<JobError> for CompactorError {
    fn from(error: JobError) -> CompactorError {
        CompactorError::Job(error)
    }
}
