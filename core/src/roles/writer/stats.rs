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
    /// Plans found stale at install: nothing installed, their outputs deleted.
    pub compactions_stale: u64,
    /// Checkpoints this incarnation took (each with any flush it carried).
    pub checkpoints: u64,
    /// Checkpoint installs started, landed or not: makes each install's write tag unique.
    pub checkpoint_attempts: u64,
    /// Tables the embedded compactor deleted at install under `force_delete`.
    pub tables_force_deleted: u64,
}

impl WriterStats {
    /// Adds `other`'s counters to these (totals over incarnations); saturates.
    pub fn accumulate(&mut self, other: &WriterStats) {
        let pairs = [
            (&mut self.commits, other.commits),
            (&mut self.entries_committed, other.entries_committed),
            (&mut self.wal_bytes, other.wal_bytes),
            (&mut self.flushes, other.flushes),
            (&mut self.flush_bytes, other.flush_bytes),
            (&mut self.manifest_installs, other.manifest_installs),
            (&mut self.wal_segments_replayed, other.wal_segments_replayed),
            (&mut self.entries_replayed, other.entries_replayed),
            (&mut self.reads, other.reads),
            (&mut self.leadership_checks, other.leadership_checks),
            (&mut self.compactions, other.compactions),
            (
                &mut self.compaction_input_bytes,
                other.compaction_input_bytes,
            ),
            (
                &mut self.compaction_output_bytes,
                other.compaction_output_bytes,
            ),
            (&mut self.compactions_stale, other.compactions_stale),
            (&mut self.checkpoints, other.checkpoints),
            (&mut self.checkpoint_attempts, other.checkpoint_attempts),
            (&mut self.tables_force_deleted, other.tables_force_deleted),
        ];
        for (total, add) in pairs {
            *total = total.saturating_add(add);
        }
    }
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
