//! What the garbage collector did, per pass and in total.

use crate::gc::GcKept;
use crate::ids::ManifestVersion;

/// What one pass did (up to the point where it stopped, for a failed pass).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcPassStats {
    /// The manifest the deletions were planned on.
    pub manifest_version: ManifestVersion,
    /// Expired checkpoints removed from the manifest by this pass.
    pub checkpoints_expired: u64,
    /// Pending tables whose objects were deleted.
    pub pending_deleted: u64,
    /// Pending entries removed from the manifest (deleted by this pass or an interrupted one).
    pub pending_purged: u64,
    /// Orphan objects deleted.
    pub orphans_deleted: u64,
    /// Temporary objects of remote jobs of fenced primaries deleted.
    pub tmp_deleted: u64,
    /// WAL segments below the replay point deleted.
    pub wal_deleted: u64,
    /// Manifest versions deleted.
    pub manifests_deleted: u64,
    /// Bytes of the deleted objects, as the listing showed them.
    pub bytes_deleted: u64,
    /// Manifest installs that lost a race and were re-applied on the newest manifest.
    pub cas_conflicts: u64,
    /// What the plan left alone, and why.
    pub kept: GcKept,
}

/// Totals over every pass of one collector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    pub passes: u64,
    pub checkpoints_expired: u64,
    pub pending_deleted: u64,
    pub pending_purged: u64,
    pub orphans_deleted: u64,
    pub tmp_deleted: u64,
    pub wal_deleted: u64,
    pub manifests_deleted: u64,
    pub bytes_deleted: u64,
    pub cas_conflicts: u64,
    /// Passes that ended in an error.
    pub errors: u64,
}

impl GcStats {
    /// Adds what one pass did (not the pass itself: `passes` and `errors` are the caller's).
    pub fn add(&mut self, pass: &GcPassStats) {
        self.checkpoints_expired += pass.checkpoints_expired;
        self.pending_deleted += pass.pending_deleted;
        self.pending_purged += pass.pending_purged;
        self.orphans_deleted += pass.orphans_deleted;
        self.tmp_deleted += pass.tmp_deleted;
        self.wal_deleted += pass.wal_deleted;
        self.manifests_deleted += pass.manifests_deleted;
        self.bytes_deleted += pass.bytes_deleted;
        self.cas_conflicts += pass.cas_conflicts;
    }

    /// Adds another collector's totals (a report sums every incarnation's).
    pub fn accumulate(&mut self, other: &GcStats) {
        self.passes += other.passes;
        self.checkpoints_expired += other.checkpoints_expired;
        self.pending_deleted += other.pending_deleted;
        self.pending_purged += other.pending_purged;
        self.orphans_deleted += other.orphans_deleted;
        self.tmp_deleted += other.tmp_deleted;
        self.wal_deleted += other.wal_deleted;
        self.manifests_deleted += other.manifests_deleted;
        self.bytes_deleted += other.bytes_deleted;
        self.cas_conflicts += other.cas_conflicts;
        self.errors += other.errors;
    }
}
