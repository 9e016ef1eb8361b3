//! Garbage collector configuration.

#[cfg(feature = "bugs")]
use crate::bugs::Bugs;
use crate::roles::retry::RetryPolicy;

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
            #[cfg(feature = "bugs")]
            bugs: Bugs::NONE,
        }
    }
}
