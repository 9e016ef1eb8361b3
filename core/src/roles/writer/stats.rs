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
