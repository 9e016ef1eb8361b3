//! Starting, running and finishing jobs: pick (skipping running work), run without the
//! compactor, install on the newest manifest.

use super::{Compactor, CompactorError};
use crate::bugs::Bug;
use crate::clock::Clock;
use crate::compaction::CompactionStats;
use crate::ids::{ManifestVersion, SstId};
use crate::roles::compaction_job::{
    self, CompactionJob, InstallError, InstallOutcome, InstallRequest, JobOutput, JobSettings,
    OutputIds, delete_tables, install_job_with,
};
use crate::roles::manifest_io::ManifestIoError;
use crate::store::ObjectStore;
use std::collections::BTreeSet;

/// Output ids reserved per job: a merge writes at most this many tables (the counter has 36
/// bits, so an incarnation can start 2^20 jobs before it must be reopened).
pub const OUTPUT_IDS_PER_JOB: u64 = 1 << 16;

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
    /// outputs are orphans for garbage collection.
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
    /// Picks the next job not overlapping running ones (Busy), registers it; `None` when
    /// nothing is to do, `max_concurrent_compactions` jobs are running, this incarnation is
    /// fenced, or its output ids are used up.
    pub fn start_job(&mut self) -> Option<CompactionJob> {
        let running_max = self.options.max_concurrent_compactions.max(1);
        if self.fenced.is_some() || self.busy.running.len() >= running_max {
            return None;
        }
        let now_ms = self.clock.wall_ms();
        let mut plan = self
            .options
            .style
            .pick(&self.manifest, &self.busy, now_ms)?;
        if self.options.bugs.has(Bug::TombstoneDropEarly) {
            plan.bottommost = true;
        }
        let output_ids = OutputIds {
            compactor_epoch: self.epoch,
            first_counter: self.jobs_started.checked_mul(OUTPUT_IDS_PER_JOB)?,
            count_max: OUTPUT_IDS_PER_JOB,
        };
        output_ids.nth(OUTPUT_IDS_PER_JOB - 1)?;
        let settings = JobSettings {
            output_ids,
            sst: self.options.sst,
            retry: self.options.retry,
            now_ms,
            write_tag: format!(
                "compactor/{}/e{}/job{}",
                self.tag, self.epoch, self.jobs_started
            ),
        };
        let job = CompactionJob::new(plan, &self.manifest, &self.options.style, settings).ok()?;
        self.busy.register(&job.plan, &self.manifest);
        self.jobs_started += 1;
        self.stats.jobs_started += 1;
        Some(job)
    }

    /// Installs a finished job: re-validates on the NEWEST manifest that every input is
    /// still live and the compactor epoch is still ours, retries lost CAS races with a
    /// bound, releases the job's Busy entry whatever happens. A stale job →
    /// `Ok(JobOutcome::Stale)` (its outputs are orphans for GC). An install whose reply is
    /// lost is retried after checking whether it landed, so it never lands twice.
    pub async fn finish_job(
        &mut self,
        job: CompactionJob,
        result: Result<JobOutput, CompactorError>,
    ) -> Result<JobOutcome, CompactorError> {
        self.busy.release(&job.plan);
        let output = match result {
            Ok(output) => output,
            Err(error) => {
                self.stats.jobs_failed += 1;
                return Err(error);
            }
        };
        self.stats.input_bytes += output.stats.input_bytes;
        self.stats.output_bytes += output.output_bytes();
        if let Some(error) = &self.fenced {
            self.stats.installs_fenced += 1;
            return Err(error.clone());
        }
        if job.compactor_epoch() != self.epoch {
            self.stats.installs_fenced += 1;
            let detail = format!("job of compactor epoch {}", job.compactor_epoch());
            return Err(CompactorError::Fenced {
                epoch: job.compactor_epoch(),
                detail,
            });
        }
        let metas = output.output_metas();
        let mut resolving = false;
        let mut unresolved_path = String::new();
        for _ in 0..self.options.retry.attempts() {
            self.installs_started += 1;
            let tag = format!(
                "compactor/{}/e{}/install{}",
                self.tag, self.epoch, self.installs_started
            );
            let request = InstallRequest {
                plan: &job.plan,
                outputs: &metas,
                compactor_epoch: self.epoch,
                writer_epoch: None,
                force_delete: self.force_delete(),
                resolving,
                retry: &self.options.retry,
                cas_attempts_max: self.options.cas_attempts_max,
                write_tag: &tag,
            };
            match install_job_with(&self.store, &self.clock, request, self.options.bugs).await {
                Ok(InstallOutcome::Installed(manifest)) => {
                    let manifest_version = manifest.version;
                    self.manifest = manifest;
                    if self.force_delete() {
                        let kept: BTreeSet<SstId> = metas.iter().map(|meta| meta.id).collect();
                        let removed = job.plan.input_ids();
                        let deleted = self.delete_unreferenced(removed.difference(&kept)).await;
                        self.stats.inputs_force_deleted += deleted;
                    }
                    self.stats.compactions_installed += 1;
                    return Ok(JobOutcome::Installed {
                        stats: output.stats,
                        manifest_version,
                    });
                }
                Ok(InstallOutcome::Stale { id }) => {
                    self.stats.installs_stale += 1;
                    // Best effort: a failure here (fenced included) shows at the next call.
                    let _ = self.refresh().await;
                    if self.fenced.is_none() {
                        let outputs: Vec<SstId> = metas.iter().map(|meta| meta.id).collect();
                        let deleted = self.delete_unreferenced(outputs.iter()).await;
                        self.stats.orphans_deleted += deleted;
                    }
                    return Ok(JobOutcome::Stale { id });
                }
                Err(InstallError::Manifest(ManifestIoError::Unresolved { path })) => {
                    self.stats.installs_unresolved += 1;
                    resolving = true;
                    unresolved_path = path;
                }
                Err(InstallError::Manifest(ManifestIoError::Rejected(rejected)))
                    if rejected.is_fenced() =>
                {
                    self.stats.installs_fenced += 1;
                    return Err(self.fence(rejected.to_string()));
                }
                Err(InstallError::Manifest(error)) => return Err(CompactorError::Manifest(error)),
                Err(InstallError::Plan(error)) => return Err(CompactorError::Plan(error)),
            }
        }
        Err(CompactorError::Unresolved {
            path: unresolved_path,
        })
    }

    /// Inputs deleted at install: `force_delete`, or the log style's
    /// `compaction_force_delete`.
    fn force_delete(&self) -> bool {
        self.options.force_delete || self.options.style.force_delete()
    }

    /// Deletes the objects of `ids` that the newest manifest this compactor knows neither
    /// lists nor keeps pending; returns how many deletes succeeded (best effort).
    async fn delete_unreferenced<'a>(&self, ids: impl Iterator<Item = &'a SstId>) -> u64 {
        let referenced = self.manifest.referenced_sst_ids();
        let unreferenced = ids.copied().filter(|id| !referenced.contains(id));
        delete_tables(&self.store, &self.clock, &self.options.retry, unreferenced)
            .await
            .len() as u64
    }
}
