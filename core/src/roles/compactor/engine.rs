//! The compaction job engine: one implementation of starting a job (pick, reserve output
//! ids, register it as running) and finishing it (install on the newest manifest, clean up
//! a stale job's outputs, delete inputs under `force_delete`). The standalone [`Compactor`]
//! runs it on its own node; the writer runs the same engine in its own process as its
//! embedded compactor, under the compactor epoch it fenced in at open and its writer epoch.
//!
//! The engine holds no store, clock or manifest: the host passes the manifest a job is
//! picked from and the store a job is installed through, and keeps the newest manifest the
//! engine returns.
//!
//! [`Compactor`]: super::Compactor

use super::stats::CompactorStats;
use super::{CompactorError, CompactorOptions};
#[cfg(feature = "bugs")]
use crate::bugs::Bug;
use crate::clock::Clock;
use crate::compaction::{Busy, CompactionPlan, CompactionStats};
use crate::entry::WallMs;
use crate::ids::{Epoch, ManifestVersion, SstId};
use crate::manifest::Manifest;
use crate::roles::compaction_job::{
    CompactionJob, InstallError, InstallOutcome, InstallRequest, JobError, JobOutput, JobSettings,
    OutputIds, delete_tables, install_job,
};
use crate::roles::manifest_io::{ManifestIoError, read_latest_manifest};
use crate::store::ObjectStore;
use std::collections::BTreeSet;

/// Output ids reserved per job: a merge writes at most this many tables (the counter has 36
/// bits, so an incarnation can start 2^20 jobs before it must be reopened).
pub const OUTPUT_IDS_PER_JOB: u64 = 1 << 16;

/// How a finished job ended, short of an error.
// One per job, and `CompactionStats` carries the log style's costs: boxing it buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Finished {
    /// The result is in `manifest` (installed now, or found there after an install whose
    /// reply was lost). `force_deleted`: input objects deleted at install.
    Installed {
        stats: CompactionStats,
        manifest: Manifest,
        force_deleted: BTreeSet<SstId>,
    },
    /// Input `id` was no longer live on the newest manifest: nothing was installed.
    /// `refreshed`: the newest manifest, when it could be read and still names the epochs.
    /// Unless fenced, the outputs no manifest references were deleted.
    Stale {
        id: SstId,
        refreshed: Option<Manifest>,
    },
}

impl Finished {
    /// The version of the manifest that holds an installed result.
    pub fn installed_version(&self) -> Option<ManifestVersion> {
        match self {
            Finished::Installed { manifest, .. } => Some(manifest.version),
            Finished::Stale { .. } => None,
        }
    }
}

/// One incarnation's compaction bookkeeping: its epochs, its running jobs, its output-id
/// blocks and its statistics.
#[derive(Clone, Debug)]
pub struct JobEngine {
    options: CompactorOptions,
    /// Prefix of every write tag; unique to the incarnation.
    tag: String,
    epoch: Epoch,
    /// An embedded engine also stops once its writer is fenced.
    writer_epoch: Option<Epoch>,
    busy: Busy,
    /// Blocks of output ids reserved so far (jobs started, remote jobs included).
    blocks_reserved: u64,
    /// Install attempts so far: makes each install's write tag unique.
    installs_started: u64,
    /// Set once fenced: this incarnation can never install again.
    fenced: Option<CompactorError>,
    stats: CompactorStats,
}

impl JobEngine {
    /// The engine of an incarnation that holds compactor epoch `epoch` (and, embedded in a
    /// writer, writer epoch `writer_epoch`). `tag` prefixes its write tags.
    pub fn new(
        options: CompactorOptions,
        tag: String,
        epoch: Epoch,
        writer_epoch: Option<Epoch>,
    ) -> JobEngine {
        JobEngine {
            options,
            tag,
            epoch,
            writer_epoch,
            busy: Busy::new(),
            blocks_reserved: 0,
            installs_started: 0,
            fenced: None,
            stats: CompactorStats::default(),
        }
    }

    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn options(&self) -> &CompactorOptions {
        &self.options
    }

    pub fn stats(&self) -> CompactorStats {
        self.stats
    }

    /// Jobs started and not yet finished.
    pub fn running_jobs(&self) -> usize {
        self.busy.running.len()
    }

    /// Why this incarnation stopped, if it did.
    pub fn fenced(&self) -> Option<&CompactorError> {
        self.fenced.as_ref()
    }

    /// Inputs deleted at install: `force_delete`, or the style's own switch.
    pub fn force_delete(&self) -> bool {
        self.options.force_delete || self.options.style.force_delete()
    }

    /// Checks that `latest` still names this engine's epochs; records the fence otherwise.
    pub fn check_epochs(&mut self, latest: &Manifest) -> Result<(), CompactorError> {
        if let Some(error) = &self.fenced {
            return Err(error.clone());
        }
        if let Some(writer_epoch) = self.writer_epoch
            && latest.writer_epoch != writer_epoch
        {
            let detail = format!("manifest names writer epoch {}", latest.writer_epoch);
            return Err(self.fence(detail));
        }
        if latest.compactor_epoch != self.epoch {
            let detail = format!(
                "the manifest's compactor epoch is {}",
                latest.compactor_epoch
            );
            return Err(self.fence(detail));
        }
        Ok(())
    }

    /// Records that a newer compactor (or writer) exists; returns the error to report.
    pub fn fence(&mut self, detail: String) -> CompactorError {
        let error = CompactorError::Fenced {
            epoch: self.epoch,
            detail,
        };
        if self.fenced.is_none() {
            self.fenced = Some(error.clone());
        }
        // Fenced is terminal: the first fence's error is kept and returned from now on.
        assert!(self.fenced.is_some());
        self.fenced.clone().unwrap_or(error)
    }

    /// The next block of output ids. Running out is not a programmer error (an incarnation
    /// that starts 2^20 jobs must be reopened), so it is a typed error.
    pub fn reserve_output_ids(&mut self) -> Result<OutputIds, CompactorError> {
        let exhausted = || {
            CompactorError::Job(JobError::OutputIdsExhausted {
                compactor_epoch: self.epoch,
                first_counter: self.blocks_reserved.saturating_mul(OUTPUT_IDS_PER_JOB),
                count_max: OUTPUT_IDS_PER_JOB,
            })
        };
        let first_counter = self
            .blocks_reserved
            .checked_mul(OUTPUT_IDS_PER_JOB)
            .ok_or_else(exhausted)?;
        let output_ids = OutputIds {
            compactor_epoch: self.epoch,
            first_counter,
            count_max: OUTPUT_IDS_PER_JOB,
        };
        if output_ids.nth(OUTPUT_IDS_PER_JOB - 1).is_none() {
            return Err(exhausted());
        }
        self.blocks_reserved += 1;
        // Blocks never overlap: each starts where the previous one ended.
        assert_eq!(
            output_ids.first_counter + OUTPUT_IDS_PER_JOB,
            self.blocks_reserved * OUTPUT_IDS_PER_JOB
        );
        Ok(output_ids)
    }

    /// Picks the next job on `manifest` not overlapping running ones and registers it;
    /// `None` when nothing is to do or `max_concurrent_compactions` jobs are running.
    pub fn start_job(
        &mut self,
        manifest: &Manifest,
        now_ms: WallMs,
    ) -> Result<Option<CompactionJob>, CompactorError> {
        if let Some(error) = &self.fenced {
            return Err(error.clone());
        }
        let running_max = self.options.max_concurrent_compactions.max(1);
        if self.busy.running.len() >= running_max {
            return Ok(None);
        }
        let Some(plan) = self.options.style.pick(manifest, &self.busy, now_ms) else {
            return Ok(None);
        };
        // BUG (`tombstone-drop-early`): every merge takes itself for the bottommost.
        #[cfg(feature = "bugs")]
        let plan = {
            let mut plan = plan;
            plan.bottommost |= self.options.bugs.has(Bug::TombstoneDropEarly);
            plan
        };
        // A picker only chooses live tables of the manifest it was given.
        self.job_for_plan(plan, manifest, now_ms)
            .map(Some)
            .map_err(|error| match error {
                CompactorError::Plan(error) => panic!("picker chose a plan it cannot run: {error}"),
                other => other,
            })
    }

    /// Registers a job for `plan` (picked here, or elsewhere and re-checked live on
    /// `manifest` by the caller) with a fresh block of output ids.
    pub fn job_for_plan(
        &mut self,
        plan: CompactionPlan,
        manifest: &Manifest,
        now_ms: WallMs,
    ) -> Result<CompactionJob, CompactorError> {
        assert!(
            !self.busy.any_busy(plan.input_ids().into_iter()),
            "a job's inputs are already in a running job"
        );
        let output_ids = self.reserve_output_ids()?;
        let settings = JobSettings {
            output_ids,
            sst: self.options.sst,
            retry: self.options.retry,
            now_ms,
            write_tag: format!(
                "{}/e{}/job{}",
                self.tag, self.epoch, self.stats.jobs_started
            ),
        };
        let job = CompactionJob::new(plan, manifest, &self.options.style, settings)
            .map_err(CompactorError::Plan)?;
        let running_before = self.busy.running.len();
        self.busy.register(&job.plan, manifest);
        // Paired with `finish_job`'s release: one Busy entry per running job.
        assert_eq!(
            self.busy.running.len(),
            running_before + 1,
            "a started job holds one Busy entry"
        );
        assert!(
            self.busy.any_busy(job.plan.input_ids().into_iter()),
            "a running job's inputs are busy"
        );
        self.stats.jobs_started += 1;
        Ok(job)
    }

    /// Installs a finished job: re-validates on the NEWEST manifest that every input is
    /// still live and the epochs are still ours, retries lost CAS races with a bound,
    /// releases the job's Busy entry whatever happens. A stale job's outputs are deleted
    /// (never installed, never to be). An install whose reply is lost is retried after
    /// checking whether it landed, so it never lands twice.
    pub async fn finish_job<S: ObjectStore, C: Clock>(
        &mut self,
        store: &S,
        clock: &C,
        job: &CompactionJob,
        result: Result<JobOutput, CompactorError>,
        known: &Manifest,
    ) -> Result<Finished, CompactorError> {
        let running_before = self.busy.running.len();
        self.busy.release(&job.plan);
        assert!(
            self.busy.running.len() < running_before,
            "finished a job that was not running"
        );
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
        self.install_output(store, clock, job, &output, known).await
    }

    /// The install loop of [`JobEngine::finish_job`].
    async fn install_output<S: ObjectStore, C: Clock>(
        &mut self,
        store: &S,
        clock: &C,
        job: &CompactionJob,
        output: &JobOutput,
        known: &Manifest,
    ) -> Result<Finished, CompactorError> {
        let metas = output.output_metas();
        let mut resolving = false;
        let mut unresolved_path = String::new();
        for _ in 0..self.options.retry.attempts() {
            self.installs_started += 1;
            let tag = format!(
                "{}/e{}/install{}",
                self.tag, self.epoch, self.installs_started
            );
            let request = InstallRequest {
                plan: &job.plan,
                outputs: &metas,
                compactor_epoch: self.epoch,
                writer_epoch: self.writer_epoch,
                force_delete: self.force_delete(),
                resolving,
                retry: &self.options.retry,
                cas_attempts_max: self.options.cas_attempts_max,
                write_tag: &tag,
                #[cfg(feature = "bugs")]
                bugs: self.options.bugs,
            };
            match install_job(store, clock, request).await {
                Ok(InstallOutcome::Installed(manifest)) => {
                    // Paired with `landed`: an installed job's outputs are in the manifest.
                    let referenced = manifest.referenced_sst_ids();
                    assert!(
                        metas.iter().all(|meta| referenced.contains(&meta.id)),
                        "an installed job's outputs are referenced by the manifest"
                    );
                    let force_deleted = if self.force_delete() {
                        let kept: BTreeSet<SstId> = metas.iter().map(|meta| meta.id).collect();
                        let removed = job.plan.input_ids();
                        let removed = removed.difference(&kept).copied();
                        self.delete_unreferenced(store, clock, &manifest, removed)
                            .await
                    } else {
                        BTreeSet::new()
                    };
                    // Only this job's inputs are force-deleted, and none of them is live.
                    assert!(force_deleted.is_subset(&job.plan.input_ids()));
                    assert!(force_deleted.iter().all(|id| !manifest.is_live(*id)));
                    self.stats.inputs_force_deleted += force_deleted.len() as u64;
                    self.stats.compactions_installed += 1;
                    return Ok(Finished::Installed {
                        stats: output.stats,
                        manifest,
                        force_deleted,
                    });
                }
                Ok(InstallOutcome::Stale { id }) => {
                    self.stats.installs_stale += 1;
                    let refreshed = self.refresh(store, clock).await;
                    // Table ids are never reused: an input gone once stays gone.
                    assert!(refreshed.as_ref().is_none_or(|latest| !latest.is_live(id)));
                    if self.fenced.is_none() {
                        let newest = refreshed.as_ref().unwrap_or(known);
                        let outputs = metas.iter().map(|meta| meta.id);
                        let deleted = self
                            .delete_unreferenced(store, clock, newest, outputs)
                            .await;
                        self.stats.orphans_deleted += deleted.len() as u64;
                    }
                    return Ok(Finished::Stale { id, refreshed });
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

    /// The newest manifest if it still names this engine's epochs (best effort: a failed
    /// read or a fence shows at the next call).
    async fn refresh<S: ObjectStore, C: Clock>(
        &mut self,
        store: &S,
        clock: &C,
    ) -> Option<Manifest> {
        let latest = read_latest_manifest(store, clock, &self.options.retry)
            .await
            .ok()?;
        self.check_epochs(&latest).ok()?;
        Some(latest)
    }

    /// Deletes the objects of `ids` that `manifest` neither lists nor keeps pending;
    /// returns those deleted (best effort).
    async fn delete_unreferenced<S: ObjectStore, C: Clock>(
        &self,
        store: &S,
        clock: &C,
        manifest: &Manifest,
        ids: impl Iterator<Item = SstId>,
    ) -> BTreeSet<SstId> {
        let referenced = manifest.referenced_sst_ids();
        let unreferenced = ids.filter(|id| !referenced.contains(id));
        delete_tables(store, clock, &self.options.retry, unreferenced).await
    }
}
