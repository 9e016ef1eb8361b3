//! Writer configuration.

use crate::compaction::CompactionStyle;
use crate::roles::retry::RetryPolicy;
use crate::sst::SstOptions;

/// How the writer batches, flushes, compacts and retries.
#[derive(Clone, Debug, PartialEq)]
pub struct WriterOptions {
    /// A memtable at or above this size is frozen and flushed to an L0 SST
    /// (RocksDB: `write_buffer_size`, default 64 MiB; small here so flushes happen).
    pub memtable_size_bytes: u64,
    /// A non-empty memtable is also flushed once this many WAL segments lie past the
    /// manifest's replay point, which bounds what recovery must replay (RocksDB flushes on
    /// `max_total_wal_size` for the same reason).
    pub wal_segments_flush_trigger: u64,
    /// Most entries one group commit (one WAL segment) may carry.
    pub commit_entries_max: usize,
    pub sst: SstOptions,
    pub retry: RetryPolicy,
    /// Lost manifest races tolerated per install before giving up.
    pub cas_attempts_max: u32,
    /// WAL segments fenced during recovery before giving up (a racing zombie writes them).
    pub recovery_fence_attempts_max: u32,
    /// SST readers kept open for reads.
    pub sst_cache_entries_max: usize,
    /// The embedded compactor's strategy, run by [`super::Writer::compact_once`]. `None`
    /// (the default) is `no_compactor` (as `zerofs run --no-compactor`): the writer only
    /// adds L0 tables and leaves the tree to an external compactor, stalling writes when L0
    /// grows. `Some` also makes the writer fence the compactor epoch when it opens.
    pub compaction: Option<CompactionStyle>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            memtable_size_bytes: 4 << 20,
            commit_entries_max: 1024,
            sst: SstOptions::default(),
            retry: RetryPolicy::default(),
            cas_attempts_max: 16,
            recovery_fence_attempts_max: 64,
            sst_cache_entries_max: 4096,
            compaction: None,
            wal_segments_flush_trigger: 64,
        }
    }
}
