//! Garbage collector configuration.

use super::manifests::MANIFEST_VERSIONS_KEPT_MIN;
#[cfg(feature = "bugs")]
use crate::bugs::Bugs;
use crate::roles::retry::RetryPolicy;
use std::fmt;

/// How the garbage collector decides and how patiently it retries. The deletion rule itself
/// is not an option: Garnet's, always (a pending table goes only once a live checkpoint was
/// taken at or after the version that obsoleted it and no live checkpoint reads it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcOptions {
    /// At most this many objects deleted per pass (pending tables first, then orphans);
    /// the rest wait for the next pass. Default 1000 (S3's batch-delete limit).
    pub deletes_per_pass_max: usize,
    /// Retries of store requests that failed without effect.
    pub retry: RetryPolicy,
    /// Lost manifest races tolerated per install before giving up the pass.
    pub cas_attempts_max: u32,
    /// Never expire the newest checkpoint of a name: its owner maintains it and releases
    /// it by retention. Keeps Garnet's rule live when the collector's clock runs ahead of
    /// the owner's by more than a checkpoint's lifetime. Default false (expiry as written).
    pub keep_newest_per_name: bool,
    /// Manifest versions kept besides those a checkpoint names: the newest this many
    /// version numbers. At least [`MANIFEST_VERSIONS_KEPT_MIN`] (installers rely on it to
    /// detect the re-creation of a deleted version). Default 8.
    pub manifest_versions_kept: u64,
    /// Injected defects (`gc-no-checkpoint-wait`, `gc-wallclock-orphans`); none by default.
    #[cfg(feature = "bugs")]
    pub bugs: Bugs,
}

impl Default for GcOptions {
    fn default() -> Self {
        GcOptions {
            deletes_per_pass_max: 1000,
            retry: RetryPolicy::default(),
            cas_attempts_max: 16,
            keep_newest_per_name: false,
            manifest_versions_kept: 8,
            #[cfg(feature = "bugs")]
            bugs: Bugs::NONE,
        }
    }
}

/// A garbage collector configuration no collector may run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcOptionsError {
    /// `manifest_versions_kept` below [`MANIFEST_VERSIONS_KEPT_MIN`].
    TooFewManifestVersionsKept { kept: u64, min: u64 },
}

impl fmt::Display for GcOptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GcOptionsError::TooFewManifestVersionsKept { kept, min } => write!(
                f,
                "manifest_versions_kept is {kept}; at least {min} must be kept"
            ),
        }
    }
}

impl std::error::Error for GcOptionsError {}

impl GcOptions {
    /// Refuses a configuration no collector may run with (for readers of user
    /// configuration; [`crate::roles::gc::GarbageCollector::new`] asserts it).
    pub fn validate(&self) -> Result<(), GcOptionsError> {
        if self.manifest_versions_kept < MANIFEST_VERSIONS_KEPT_MIN {
            return Err(GcOptionsError::TooFewManifestVersionsKept {
                kept: self.manifest_versions_kept,
                min: MANIFEST_VERSIONS_KEPT_MIN,
            });
        }
        Ok(())
    }
}
