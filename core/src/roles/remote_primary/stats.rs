//! What the primary's remote compaction did.

/// Counters of one primary incarnation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RemoteStats {
    /// Dispatches sent (reschedules included).
    pub jobs_scheduled: u64,
    /// Dispatches that re-sent a plan after a timeout or failure.
    pub jobs_rescheduled: u64,
    /// Results installed.
    pub jobs_succeeded: u64,
    /// Results reporting a worker failure, and results whose copy or install failed.
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
    /// Plans compacted locally after their remote dispatches failed or timed out.
    pub fell_back_local: u64,
    /// Local fallbacks that failed (the picker picks the work again later).
    pub local_failures: u64,
    /// Moves and deletions, which read and write nothing: done locally, never dispatched.
    pub local_trivial: u64,
    /// Results refused because an input was no longer live.
    pub rejected_stale: u64,
    /// Results refused because an output was missing, truncated or corrupt.
    pub rejected_corrupt: u64,
    /// Results for jobs already closed.
    pub duplicates_ignored: u64,
    /// Results that arrived after their job's timeout.
    pub late_results: u64,
    /// Late results installed (the first result to install wins).
    pub late_installed: u64,
    /// Late results refused because their job had been abandoned too long.
    pub late_rejected: u64,
    /// Results of other primaries' jobs.
    pub foreign_results: u64,
    /// Installs whose edit the manifest refused as invalid (a protocol bug; never 0 < n
    /// under the correct protocol).
    pub refused_invalid: u64,
    /// Installed merges with no output at all (every entry dropped).
    pub empty_outputs: u64,
    /// Temporary objects deleted (after closing a job, or by a sweep).
    pub tmp_objects_deleted: u64,
    pub tmp_sweeps: u64,
}

impl RemoteStats {
    /// Adds another incarnation's counters.
    pub fn accumulate(&mut self, other: &RemoteStats) {
        let pairs = [
            (&mut self.jobs_scheduled, other.jobs_scheduled),
            (&mut self.jobs_rescheduled, other.jobs_rescheduled),
            (&mut self.jobs_succeeded, other.jobs_succeeded),
            (&mut self.jobs_failed, other.jobs_failed),
            (&mut self.jobs_timed_out, other.jobs_timed_out),
            (&mut self.fell_back_local, other.fell_back_local),
            (&mut self.local_failures, other.local_failures),
            (&mut self.local_trivial, other.local_trivial),
            (&mut self.rejected_stale, other.rejected_stale),
            (&mut self.rejected_corrupt, other.rejected_corrupt),
            (&mut self.duplicates_ignored, other.duplicates_ignored),
            (&mut self.late_results, other.late_results),
            (&mut self.late_installed, other.late_installed),
            (&mut self.late_rejected, other.late_rejected),
            (&mut self.foreign_results, other.foreign_results),
            (&mut self.refused_invalid, other.refused_invalid),
            (&mut self.empty_outputs, other.empty_outputs),
            (&mut self.tmp_objects_deleted, other.tmp_objects_deleted),
            (&mut self.tmp_sweeps, other.tmp_sweeps),
        ];
        for (total, add) in pairs {
            *total = total.saturating_add(add);
        }
    }
}
