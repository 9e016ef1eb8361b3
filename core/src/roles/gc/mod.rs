//! The garbage collector role: deletes what compaction left pending once no checkpoint can
//! need it, removes expired checkpoints, and collects the orphans of fenced incarnations.
//!
//! One pass ([`GarbageCollector::run_once`]):
//! 1. LIST `sst/` first, then read the newest manifest, so every listed object that belongs
//!    to the tree is referenced by the manifest read (see [`crate::gc`]).
//! 2. Plan with [`plan_gc`] on this node's wall clock.
//! 3. Remove the expired checkpoints by manifest CAS, re-checked on the newest manifest,
//!    and re-plan on the manifest that holds the removal: a pending table is deleted only
//!    once the checkpoints that protected it are gone from the manifest.
//! 4. Delete the objects (idempotent deletes, transient errors retried).
//! 5. Collect the rest of the bucket, best effort: temporary outputs of fenced primaries,
//!    WAL segments below the replay point, manifest versions beyond the newest few that no
//!    checkpoint names (`manifest/` is listed before the manifest is read).
//! 6. THEN purge the deleted tables from the pending list by a `PurgePending` CAS, keeping
//!    only ids still pending on the newest manifest. Delete-then-purge: a crash in between
//!    leaves a pending entry whose object is gone, which the next pass deletes again (a
//!    no-op) and purges. Purge-then-delete would leak the object.

mod error;
mod stats;

pub use error::GcError;
pub use stats::{GcPassStats, GcStats};

#[cfg(feature = "bugs")]
use crate::bugs::Bug;
use crate::clock::Clock;
#[cfg(feature = "bugs")]
use crate::entry::WallMs;
use crate::gc::{GcOptions, GcPlan, plan_gc, plan_manifest_gc, plan_tmp_gc, plan_wal_gc};
#[cfg(feature = "bugs")]
use crate::gc::{WALLCLOCK_ORPHAN_AGE_MS, wallclock_orphans};
use crate::ids::{CheckpointId, SstId};
use crate::layout::{
    MANIFEST_PREFIX, SST_PREFIX, TMP_PREFIX, WAL_PREFIX, manifest_path, parse_tmp_job, wal_path,
};
use crate::manifest::Manifest;
use crate::manifest::decide::{expire_checkpoints, purge_pending};
use crate::roles::manifest_io::{ManifestIoError, install, read_latest_manifest};
use crate::roles::retry::retry_idempotent;
use crate::store::{ObjectMeta, ObjectStore};
#[cfg(feature = "bugs")]
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// One garbage collector. Any number may run at once (each pass re-validates on the newest
/// manifest), though one per deployment is the intent.
pub struct GarbageCollector<S, C> {
    store: S,
    clock: C,
    options: GcOptions,
    /// Distinguishes this collector's manifest writes from any other's.
    tag: String,
    stats: GcStats,
    /// Only with the `gc-wallclock-orphans` bug: when each unreferenced table was first seen.
    #[cfg(feature = "bugs")]
    first_seen_unreferenced: BTreeMap<SstId, WallMs>,
}

impl<S: ObjectStore, C: Clock> GarbageCollector<S, C> {
    /// `options` must be valid ([`GcOptions::validate`]): the caller checks user input.
    pub fn new(store: S, clock: C, options: GcOptions) -> Self {
        assert_eq!(options.validate(), Ok(()), "invalid GcOptions");
        GarbageCollector {
            store,
            clock,
            options,
            tag: "gc".to_string(),
            stats: GcStats::default(),
            #[cfg(feature = "bugs")]
            first_seen_unreferenced: BTreeMap::new(),
        }
    }

    /// Names this incarnation (node and restart count) in its manifest write tags. The tags
    /// also carry the wall clock and pass number, but only a unique name makes two
    /// collectors' tags certainly differ, which resolving an unknown outcome relies on.
    pub fn with_tag(mut self, tag: &str) -> Self {
        self.tag = tag.to_string();
        self
    }

    pub fn options(&self) -> &GcOptions {
        &self.options
    }

    /// Totals over every pass so far.
    pub fn stats(&self) -> GcStats {
        self.stats
    }

    /// Runs one pass; see the module documentation for its steps. A failed pass still adds
    /// what it did to [`GarbageCollector::stats`] and counts one error.
    pub async fn run_once(&mut self) -> Result<GcPassStats, GcError> {
        self.stats.passes += 1;
        let mut pass = GcPassStats::default();
        let result = self.pass(&mut pass).await;
        self.stats.add(&pass);
        if result.is_err() {
            self.stats.errors += 1;
        }
        result.map(|()| pass)
    }

    async fn pass(&mut self, pass: &mut GcPassStats) -> Result<(), GcError> {
        let pass_tag = format!(
            "gc/{}/t{}/p{}",
            self.tag,
            self.clock.wall_ms(),
            self.stats.passes
        );
        let listed = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store.list(SST_PREFIX)
        })
        .await
        .map_err(GcError::from_store)?;
        // Listed before the manifest is read, as `plan_manifest_gc` requires.
        let listed_manifests = self.list_best_effort(MANIFEST_PREFIX).await;
        let manifest = read_latest_manifest(&self.store, &self.clock, &self.options.retry)
            .await
            .map_err(GcError::from_manifest)?;
        let now_wall_ms = self.clock.wall_ms();
        let mut plan = plan_gc(&manifest, &listed, now_wall_ms, &self.options);
        if !plan.expired_checkpoints.is_empty() {
            let manifest = self
                .remove_checkpoints(&plan.expired_checkpoints, &pass_tag, pass)
                .await?;
            let first_version = plan.manifest_version;
            plan = plan_gc(&manifest, &listed, now_wall_ms, &self.options);
            assert!(
                plan.manifest_version > first_version,
                "re-planned on the removal"
            );
            if !plan.expired_checkpoints.is_empty() {
                // More checkpoints expired in a race with this pass: their tables stay
                // protected until a pass has removed them from the manifest.
                pass.manifest_version = plan.manifest_version;
                pass.kept = plan.kept;
                return Ok(());
            }
        }
        pass.manifest_version = plan.manifest_version;
        pass.kept = plan.kept;
        #[cfg(feature = "bugs")]
        if self.options.bugs.has(Bug::GcWallclockOrphans) {
            let old = wallclock_orphans(
                &manifest,
                &listed,
                &mut self.first_seen_unreferenced,
                now_wall_ms,
                WALLCLOCK_ORPHAN_AGE_MS,
            );
            let planned: BTreeSet<SstId> = plan.deletes().map(|planned| planned.id).collect();
            let extra = old.into_iter().filter(|old| !planned.contains(&old.id));
            plan.orphans_to_delete.extend(extra);
        }
        self.collect_tmp(&manifest, pass).await;
        self.collect_wal(&manifest, pass).await;
        self.collect_manifests(&manifest, listed_manifests.as_deref(), pass)
            .await;
        let (deleted_pending, failure) = self.delete_planned(&plan, pass).await;
        if !deleted_pending.is_empty() {
            let purged = self.purge(&deleted_pending, &pass_tag, pass).await;
            if failure.is_none() {
                purged?;
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Deletes the temporary outputs of remote jobs whose primary's epoch is fenced in
    /// `manifest` (best effort: what fails waits for the next pass).
    async fn collect_tmp(&self, manifest: &Manifest, pass: &mut GcPassStats) {
        let listed = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store.list(TMP_PREFIX)
        })
        .await;
        let Ok(listed) = listed else {
            return;
        };
        let paths = plan_tmp_gc(manifest, &listed, self.options.deletes_per_pass_max);
        for path in paths {
            let epoch = parse_tmp_job(&path).map(|(epoch, _)| epoch);
            assert!(epoch.is_some_and(|epoch| epoch < manifest.compactor_epoch));
            let deleted = retry_idempotent(&self.clock, &self.options.retry, || {
                self.store.delete(&path)
            })
            .await;
            pass.tmp_deleted += u64::from(deleted.is_ok());
        }
    }

    /// A listing of `prefix`, or `None` when it failed for good (that part of the pass waits
    /// for the next one).
    async fn list_best_effort(&self, prefix: &str) -> Option<Vec<ObjectMeta>> {
        retry_idempotent(&self.clock, &self.options.retry, || self.store.list(prefix))
            .await
            .ok()
    }

    /// Deletes the WAL segments below the replay point of `manifest`, lowest first (best
    /// effort). Why a deleted fence segment cannot be re-created harmfully: [`plan_wal_gc`].
    async fn collect_wal(&self, manifest: &Manifest, pass: &mut GcPassStats) {
        let Some(listed) = self.list_best_effort(WAL_PREFIX).await else {
            return;
        };
        for id in plan_wal_gc(manifest, &listed, self.options.deletes_per_pass_max) {
            assert!(id < manifest.wal_replay_point, "segment {id} is replayed");
            let path = wal_path(id);
            let deleted = retry_idempotent(&self.clock, &self.options.retry, || {
                self.store.delete(&path)
            })
            .await;
            if deleted.is_err() {
                return;
            }
            pass.wal_deleted += 1;
        }
    }

    /// Deletes the manifest versions `plan_manifest_gc` lets go (best effort). `listed` was
    /// taken before `manifest` was read.
    async fn collect_manifests(
        &self,
        manifest: &Manifest,
        listed: Option<&[ObjectMeta]>,
        pass: &mut GcPassStats,
    ) {
        let Some(listed) = listed else { return };
        let versions = plan_manifest_gc(
            manifest,
            listed,
            self.options.manifest_versions_kept,
            self.options.deletes_per_pass_max,
        );
        for version in versions {
            assert!(version < manifest.version, "v{version} is the newest");
            let path = manifest_path(version);
            let deleted = retry_idempotent(&self.clock, &self.options.retry, || {
                self.store.delete(&path)
            })
            .await;
            if deleted.is_err() {
                return;
            }
            pass.manifests_deleted += 1;
        }
    }

    /// Removes the checkpoints of `expired` still listed on the newest manifest; returns the
    /// manifest that no longer lists them.
    async fn remove_checkpoints(
        &self,
        expired: &BTreeSet<CheckpointId>,
        pass_tag: &str,
        pass: &mut GcPassStats,
    ) -> Result<Manifest, GcError> {
        let installed = install(
            &self.store,
            &self.clock,
            &self.options.retry,
            self.options.cas_attempts_max,
            &format!("{pass_tag}/expire"),
            |latest| Ok(expire_checkpoints(latest, expired)),
        )
        .await;
        let installed = installed.map_err(|error| lost_races(error, pass))?;
        pass.cas_conflicts += u64::from(installed.attempts - 1);
        pass.checkpoints_expired += installed.output;
        // Paired with `expire_checkpoints`: removed, or already gone (ids are never reused).
        assert!(
            installed
                .manifest
                .checkpoints
                .iter()
                .all(|listed| !expired.contains(&listed.id)),
            "an expired checkpoint is still listed after its removal"
        );
        Ok(installed.manifest)
    }

    /// Deletes every planned object in order, stopping at the first that fails for good.
    /// Returns the pending tables whose objects are gone, and the failure if any.
    async fn delete_planned(
        &self,
        plan: &GcPlan,
        pass: &mut GcPassStats,
    ) -> (BTreeSet<SstId>, Option<GcError>) {
        let pending: BTreeSet<SstId> = plan.pending_to_delete.iter().map(|d| d.id).collect();
        let mut deleted_pending = BTreeSet::new();
        for planned in plan.deletes() {
            let deleted = retry_idempotent(&self.clock, &self.options.retry, || {
                self.store.delete(&planned.path)
            })
            .await;
            if let Err(error) = deleted {
                return (deleted_pending, Some(GcError::from_store(error)));
            }
            pass.bytes_deleted += planned.listed_size_bytes.unwrap_or(0);
            if pending.contains(&planned.id) {
                assert!(
                    !deleted_pending.contains(&planned.id),
                    "deleted twice in a pass"
                );
                pass.pending_deleted += 1;
                deleted_pending.insert(planned.id);
            } else {
                pass.orphans_deleted += 1;
            }
        }
        (deleted_pending, None)
    }

    /// Removes from the pending list the deleted tables still listed there on the newest
    /// manifest.
    async fn purge(
        &self,
        deleted: &BTreeSet<SstId>,
        pass_tag: &str,
        pass: &mut GcPassStats,
    ) -> Result<(), GcError> {
        let installed = install(
            &self.store,
            &self.clock,
            &self.options.retry,
            self.options.cas_attempts_max,
            &format!("{pass_tag}/purge"),
            |latest| Ok(purge_pending(latest, deleted)),
        )
        .await;
        let installed = installed.map_err(|error| lost_races(error, pass))?;
        pass.cas_conflicts += u64::from(installed.attempts - 1);
        pass.pending_purged += installed.output;
        // Paired with `purge_pending`: a table leaves the pending list once, for good.
        assert!(
            installed
                .manifest
                .pending_deletion
                .iter()
                .all(|pending| !deleted.contains(&pending.sst.id)),
            "a purged table is still pending"
        );
        Ok(())
    }
}

/// The pass's error for a failed install, counting the races it lost when it gave up on
/// contention.
fn lost_races(error: ManifestIoError, pass: &mut GcPassStats) -> GcError {
    if let ManifestIoError::Contention { attempts } = &error {
        pass.cas_conflicts += u64::from(attempts.saturating_sub(1));
    }
    GcError::from_manifest(error)
}
