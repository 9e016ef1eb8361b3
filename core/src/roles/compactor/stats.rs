//! What a standalone compactor incarnation did.

/// Counters of one compactor incarnation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompactorStats {
    pub jobs_started: u64,
    /// Jobs whose run failed (fetch, merge or upload): nothing installed.
    pub jobs_failed: u64,
    /// Jobs installed (merges, trivial moves, deletions).
    pub compactions_installed: u64,
    /// Installs refused because an input was no longer live: outputs left as orphans.
    pub installs_stale: u64,
    /// Installs refused because a newer compactor (or a writer with an embedded one) fenced
    /// this incarnation.
    pub installs_fenced: u64,
    /// Install attempts that ended without an answer and were resolved by re-reading.
    pub installs_unresolved: u64,
    /// Bytes of the input tables read by merges that reached install.
    pub input_bytes: u64,
    /// Bytes of the outputs uploaded by jobs that reached install, installed or not.
    pub output_bytes: u64,
    /// Outputs of stale jobs this incarnation deleted itself (the rest wait for GC).
    pub orphans_deleted: u64,
    /// Inputs deleted at install under `force_delete`.
    pub inputs_force_deleted: u64,
}

impl CompactorStats {
    /// Adds another incarnation's counters (a report sums every incarnation's).
    pub fn accumulate(&mut self, other: &CompactorStats) {
        self.jobs_started += other.jobs_started;
        self.jobs_failed += other.jobs_failed;
        self.compactions_installed += other.compactions_installed;
        self.installs_stale += other.installs_stale;
        self.installs_fenced += other.installs_fenced;
        self.installs_unresolved += other.installs_unresolved;
        self.input_bytes += other.input_bytes;
        self.output_bytes += other.output_bytes;
        self.orphans_deleted += other.orphans_deleted;
        self.inputs_force_deleted += other.inputs_force_deleted;
    }
}
