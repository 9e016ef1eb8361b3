//! Why a garbage-collection pass stopped early.

use crate::roles::manifest_io::ManifestIoError;
use crate::store::StoreError;
use std::fmt;

/// Every variant leaves the store safe: at worst a deleted pending table is still listed as
/// pending (the next pass purges it) or an object the plan chose is still there.
#[derive(Clone, Debug, PartialEq)]
pub enum GcError {
    /// Listing or deleting failed for good (retries exhausted, or an error retrying cannot
    /// fix).
    Store(StoreError),
    /// Reading the manifest or installing an edit failed (store errors, contention,
    /// corruption, a rejected edit).
    Manifest(ManifestIoError),
    /// A manifest install or a delete ended without an answer after every attempt; the next
    /// pass sees whether it happened.
    Unresolved { path: String },
}

impl GcError {
    pub(super) fn from_manifest(error: ManifestIoError) -> GcError {
        match error {
            ManifestIoError::Unresolved { path } => GcError::Unresolved { path },
            other => GcError::Manifest(other),
        }
    }

    pub(super) fn from_store(error: StoreError) -> GcError {
        match error {
            StoreError::UnknownOutcome { path } => GcError::Unresolved { path },
            other => GcError::Store(other),
        }
    }
}

impl fmt::Display for GcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GcError::Store(error) => write!(f, "gc store request failed: {error}"),
            GcError::Manifest(error) => write!(f, "gc manifest: {error}"),
            GcError::Unresolved { path } => write!(f, "{path}: gc request outcome unknown"),
        }
    }
}

impl std::error::Error for GcError {}
