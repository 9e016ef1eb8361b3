//! Starting, running and finishing jobs on the standalone node: the [`JobEngine`] picks
//! (skipping running work) and installs on the newest manifest; [`run_job`] runs a job
//! without the compactor.
//!
//! [`JobEngine`]: super::JobEngine

use super::engine::Finished;
use super::{Compactor, CompactorError};
use crate::clock::Clock;
use crate::compaction::CompactionStats;
use crate::ids::{ManifestVersion, SstId};
use crate::roles::compaction_job::{self, CompactionJob, JobOutput};
use crate::store::ObjectStore;

/// How a finished job ended, short of an error.
// One per job, and `CompactionStats` carries the log style's costs: boxing it buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum JobOutcome {
    /// The result is in the manifest of `manifest_version` (installed now, or found there
    /// after an install whose reply was lost).
    Installed {
        stats: CompactionStats,
        manifest_version: ManifestVersion,
    },
    /// Input `id` was no longer live on the newest manifest: nothing was installed and the
    /// outputs were deleted.
    Stale { id: SstId },
}

/// Runs one job's I/O and merge without borrowing the compactor, so a host can run several
/// at once (on separate tasks): fetch inputs, merge, upload outputs (create-if-absent,
/// unknown outcomes resolved by read-back). Never touches the manifest.
pub async fn run_job<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
) -> Result<JobOutput, CompactorError> {
    compaction_job::run(store, clock, job)
        .await
        .map_err(CompactorError::Job)
}

impl<S: ObjectStore + Clone, C: Clock + Clone> Compactor<S, C> {
    /// Picks the next job not overlapping running ones (Busy), registers it; `Ok(None)` when
    /// nothing is to do, `max_concurrent_compactions` jobs are running or this incarnation
    /// is fenced. An error: the incarnation's output ids are used up (reopen it).
    pub fn start_job(&mut self) -> Result<Option<CompactionJob>, CompactorError> {
        if self.engine.fenced().is_some() {
            return Ok(None);
        }
        let now_ms = self.clock.wall_ms();
        self.engine.start_job(&self.manifest, now_ms)
    }

    /// Installs a finished job (see [`super::JobEngine::finish_job`]): re-validated on the
    /// newest manifest, its Busy entry released whatever happens. A stale job →
    /// `Ok(JobOutcome::Stale)`, its outputs deleted.
    pub async fn finish_job(
        &mut self,
        job: CompactionJob,
        result: Result<JobOutput, CompactorError>,
    ) -> Result<JobOutcome, CompactorError> {
        let finished = self
            .engine
            .finish_job(&self.store, &self.clock, &job, result, &self.manifest)
            .await?;
        match finished {
            Finished::Installed {
                stats, manifest, ..
            } => {
                let manifest_version = manifest.version;
                assert!(
                    manifest_version > self.manifest.version,
                    "an installed job moves the compactor's manifest forward"
                );
                self.manifest = manifest;
                Ok(JobOutcome::Installed {
                    stats,
                    manifest_version,
                })
            }
            Finished::Stale { id, refreshed } => {
                if let Some(latest) = refreshed {
                    assert!(
                        latest.version >= self.manifest.version,
                        "the compactor's manifest never moves back"
                    );
                    self.manifest = latest;
                }
                Ok(JobOutcome::Stale { id })
            }
        }
    }
}
