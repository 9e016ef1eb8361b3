//! Writer configuration.

use crate::roles::retry::RetryPolicy;
use crate::sst::SstOptions;

/// How the writer batches, flushes and retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterOptions {
    /// A memtable at or above this size is frozen and flushed to an L0 SST
    /// (RocksDB: `write_buffer_size`, default 64 MiB; small here so flushes happen).
    pub memtable_size_bytes: u64,
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
        }
    }
}
