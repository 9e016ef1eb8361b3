//! Standalone compactor configuration.

#[cfg(feature = "bugs")]
use crate::bugs::Bugs;
use crate::compaction::CompactionStyle;
use crate::compaction::leveled::LeveledOptions;
use crate::roles::retry::RetryPolicy;
use crate::sst::SstOptions;

/// How the standalone compactor picks, builds, retries and how much it runs at once.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactorOptions {
    /// The strategy (RocksDB: `compaction_style`); default leveled with RocksDB's defaults.
    pub style: CompactionStyle,
    pub sst: SstOptions,
    pub retry: RetryPolicy,
    /// Lost manifest races tolerated per install before giving up.
    pub cas_attempts_max: u32,
    /// Jobs running at once, on non-overlapping inputs (RocksDB:
    /// `max_background_compactions`); default 1, and 0 counts as 1.
    pub max_concurrent_compactions: usize,
    /// Delete inputs at install instead of deferring them to the garbage collector
    /// (Garnet's `CompactionForceDelete`). UNSAFE on purpose: a checkpoint may still need
    /// them. Default false.
    pub force_delete: bool,
    /// Injected defects (`compactor-no-revalidate`, `l0-remove-by-position`,
    /// `tombstone-drop-early`); none by default.
    #[cfg(feature = "bugs")]
    pub bugs: Bugs,
}

impl Default for CompactorOptions {
    fn default() -> Self {
        CompactorOptions {
            style: CompactionStyle::Leveled(LeveledOptions::default()),
            sst: SstOptions::default(),
            retry: RetryPolicy::default(),
            cas_attempts_max: 16,
            max_concurrent_compactions: 1,
            force_delete: false,
            #[cfg(feature = "bugs")]
            bugs: Bugs::NONE,
        }
    }
}
