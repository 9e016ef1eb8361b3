//! Writer configuration.

#[cfg(feature = "bugs")]
use crate::bugs::Bugs;
use crate::compaction::CompactionStyle;
use crate::roles::compactor::CompactorOptions;
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
    /// With `compaction` set: leave compaction to a standalone compactor (as `zerofs run
    /// --no-compactor`); the style then only sets the write-stall thresholds. Default false.
    pub no_compactor: bool,
    /// The embedded compactor deletes its inputs at install instead of deferring them
    /// (Garnet's `CompactionForceDelete`). UNSAFE on purpose: a checkpoint may still need
    /// them. Default false: inputs go onto the pending list, and only the garbage collector
    /// ([`crate::roles::gc`]) deletes them, once a checkpoint releases them.
    pub force_delete: bool,
    /// What an acknowledgement promises.
    pub durability: Durability,
    /// Checkpoints of one name kept when the writer takes another (Garnet keeps one).
    pub checkpoints_retained: usize,
    /// A checkpoint expires this long after it was taken (by the wall clock of whoever
    /// judges); `None`: never.
    pub checkpoint_lifetime_ms: Option<u64>,
    /// Injected defects (the writer's WAL and recovery, its embedded compactor); none by
    /// default.
    #[cfg(feature = "bugs")]
    pub bugs: Bugs,
}

/// What survives a crash (Garnet with or without its AOF, ZeroFS with or without its WAL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// A write is acknowledged once its WAL segment is durable; it survives any crash.
    #[default]
    Wal,
    /// No WAL: a write is acknowledged once in the memtable; a crash rolls the state back to
    /// the last durable checkpoint, exactly. Every flush is a checkpoint.
    Checkpoint,
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
            no_compactor: false,
            force_delete: false,
            durability: Durability::Wal,
            checkpoints_retained: 1,
            checkpoint_lifetime_ms: None,
            #[cfg(feature = "bugs")]
            bugs: Bugs::NONE,
        }
    }
}

impl WriterOptions {
    /// The embedded compactor's options: the writer's compaction style run in-process (one
    /// job at a time); `None` without embedded compaction.
    pub fn embedded_compactor(&self) -> Option<CompactorOptions> {
        if self.no_compactor {
            return None;
        }
        Some(CompactorOptions {
            style: self.compaction.clone()?,
            sst: self.sst,
            retry: self.retry,
            cas_attempts_max: self.cas_attempts_max,
            max_concurrent_compactions: 1,
            force_delete: self.force_delete,
            #[cfg(feature = "bugs")]
            bugs: self.bugs,
        })
    }
}
