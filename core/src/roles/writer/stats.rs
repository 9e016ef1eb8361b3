//! What a writer incarnation did.

/// Counters of one writer incarnation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub commits: u64,
    pub entries_committed: u64,
    pub wal_bytes: u64,
    pub flushes: u64,
    pub flush_bytes: u64,
    pub manifest_installs: u64,
    pub wal_segments_replayed: u64,
    pub entries_replayed: u64,
    pub reads: u64,
    pub leadership_checks: u64,
    /// Compactions installed by the embedded compactor (merges, trivial moves, deletions).
    pub compactions: u64,
    /// Bytes of the input tables the embedded compactor read for merges.
    pub compaction_input_bytes: u64,
    /// Bytes of the output tables it uploaded, installed or not (they are PUT either way).
    pub compaction_output_bytes: u64,
    /// Plans found stale at install: their outputs are orphans, left to garbage collection.
    pub compactions_stale: u64,
    /// Obsolete tables whose objects were deleted and purged from the manifest.
    pub tables_deleted: u64,
    /// Purges that failed (a delete or the manifest install); the tables stay pending and
    /// the next `compact_once` retries.
    pub purge_failures: u64,
    /// Checkpoints this incarnation took (each with any flush it carried).
    pub checkpoints: u64,
    /// Checkpoint installs started, landed or not: makes each install's write tag unique.
    pub checkpoint_attempts: u64,
    /// Tables the embedded compactor deleted at install under `force_delete`.
    pub tables_force_deleted: u64,
}

/// What one point read cost: read amplification, measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCost {
    /// Sorted runs consulted: memtables, L0 tables and levels whose range held the key.
    pub sorted_runs: u32,
    /// SST data blocks read.
    pub blocks: u32,
    /// Bytes of those blocks.
    pub bytes: u64,
    /// SST objects fetched from the store because they were not cached.
    pub sst_fetches: u32,
}
