//! The embedded compactor: pick → merge → upload → install, one job per call, on the
//! writer's own node (the writer's `compaction` option set; otherwise `no_compactor`).
//!
//! It runs under the compactor epoch the writer fenced in at open, and every install also
//! checks the writer epoch, so a zombie incarnation can install neither. Inputs are
//! re-validated against the newest manifest at install ([`CompactionPlan::into_edit`]); a
//! stale plan is dropped and its outputs become orphans for garbage collection. With no
//! checkpoints to protect here, obsolete tables are deleted right after the install and then
//! purged from the pending list; whatever fails stays pending and is retried by the next
//! call, so the pending list never leaks. The job itself (fetch, merge, upload, install) is
//! [`crate::roles::compaction_job`], shared with the standalone compactor.

use super::{Writer, WriterError};
use crate::bugs::Bug;
use crate::clock::Clock;
use crate::compaction::{
    Busy, CompactionPlan, CompactionStats, CompactionStyle, StallState, style_stall_state,
};
use crate::entry::WallMs;
use crate::ids::{Epoch, SstId};
use crate::layout::sst_path;
use crate::manifest::{Edit, Manifest};
use crate::roles::compaction_job::{
    self, InstallError, InstallOutcome, InstallRequest, JobError, JobOutput, JobSettings,
    OutputIds, delete_tables, install_job_with, require_epochs,
};
use crate::roles::manifest_io::{ManifestIoError, install, read_latest_manifest};
use crate::roles::retry::retry_idempotent;
use crate::sst::SstReader;
use crate::store::ObjectStore;
use std::collections::{BTreeMap, BTreeSet};

/// A job whose outputs are uploaded: what to install, and what to report once installed.
pub(super) struct CompactionJob {
    plan: CompactionPlan,
    output: JobOutput,
}

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// Runs at most one compaction chosen by `options.compaction` on the current manifest.
    /// `Ok(None)`: nothing to do, compaction off, or the plan went stale before its install.
    ///
    /// First resolves a compaction whose install outcome was unknown (and returns its
    /// result), then deletes and purges tables left pending by an earlier failure. An
    /// `Unresolved` error means the install may or may not have landed; it does not poison
    /// the writer: the next call finds out. `Fenced`: a newer writer (or compactor) exists.
    pub async fn compact_once(&mut self) -> Result<Option<CompactionStats>, WriterError> {
        self.check_running()?;
        let (Some(style), Some(compactor_epoch)) =
            (self.options.compaction.clone(), self.compactor_epoch)
        else {
            return Ok(None);
        };
        if let Some(job) = self.unresolved_compaction.take() {
            return self.install_compaction(job, true).await;
        }
        if self.options.purge_obsolete {
            self.purge_pending().await?;
        }
        let now_ms = self.clock.wall_ms();
        let Some(mut plan) = style.pick(&self.manifest, &Busy::new(), now_ms) else {
            return Ok(None);
        };
        if self.options.bugs.has(Bug::TombstoneDropEarly) {
            plan.bottommost = true;
        }
        let job = self.run_plan(plan, &style, compactor_epoch, now_ms).await?;
        self.install_compaction(job, false).await
    }

    /// The write-stall state of the current manifest (RocksDB's L0 and pending-bytes
    /// rules), under the thresholds the compaction style implies; RocksDB's defaults on the
    /// L0 count without a style.
    pub fn stall_state(&self) -> StallState {
        style_stall_state(&self.manifest, self.options.compaction.as_ref())
    }

    /// Reads and merges the inputs of a merge plan and uploads its outputs (the shared job
    /// code, with the writer's reader cache); a move or a deletion reads and writes nothing.
    pub(super) async fn run_plan(
        &mut self,
        plan: CompactionPlan,
        style: &CompactionStyle,
        compactor_epoch: Epoch,
        now_ms: WallMs,
    ) -> Result<CompactionJob, WriterError> {
        let first_counter = self.next_compaction_sst_counter;
        let settings = JobSettings {
            output_ids: OutputIds {
                compactor_epoch,
                first_counter,
                count_max: u64::MAX - first_counter,
            },
            sst: self.options.sst,
            retry: self.options.retry,
            now_ms,
            write_tag: self.write_tag("compaction"),
        };
        let job = compaction_job::CompactionJob::new(plan, &self.manifest, style, settings)
            .map_err(WriterError::Plan)?;
        let cached: BTreeMap<SstId, SstReader> = job
            .inputs
            .iter()
            .filter_map(|meta| Some((meta.id, self.sst_cache.get(&meta.id)?.clone())))
            .collect();
        let inputs = compaction_job::fetch_inputs(&self.store, &self.clock, &job, &cached)
            .await
            .map_err(job_error)?;
        let liveness = compaction_job::learn_liveness(&self.store, &self.clock, &job, &inputs)
            .await
            .map_err(job_error)?;
        let output = compaction_job::merge_inputs(&job, &inputs, liveness).map_err(job_error)?;
        // Ids drawn are used up whatever the upload does: a retry picks afresh.
        let drawn = output.outputs.len() as u64;
        self.next_compaction_sst_counter = first_counter.saturating_add(drawn);
        self.stats.compaction_input_bytes += output.stats.input_bytes;
        for (meta, reader) in inputs {
            self.cache_reader(meta.id, reader);
        }
        compaction_job::upload_outputs(&self.store, &self.clock, &job, &output)
            .await
            .map_err(job_error)?;
        self.stats.compaction_output_bytes += output.output_bytes();
        Ok(CompactionJob {
            plan: job.plan,
            output,
        })
    }

    /// Installs `job` on the newest manifest. `resolving`: an earlier install of the same
    /// job ended without an answer, so first look whether it landed.
    pub(super) async fn install_compaction(
        &mut self,
        job: CompactionJob,
        resolving: bool,
    ) -> Result<Option<CompactionStats>, WriterError> {
        let Some(compactor_epoch) = self.compactor_epoch else {
            return Ok(None);
        };
        let tag = self.next_compaction_tag("compaction");
        let metas = job.output.output_metas();
        let request = InstallRequest {
            plan: &job.plan,
            outputs: &metas,
            compactor_epoch,
            writer_epoch: Some(self.epoch),
            force_delete: self.force_delete(),
            resolving,
            retry: &self.options.retry,
            cas_attempts_max: self.options.cas_attempts_max,
            write_tag: &tag,
        };
        let manifest =
            match install_job_with(&self.store, &self.clock, request, self.options.bugs).await {
                Ok(InstallOutcome::Installed(manifest)) => manifest,
                Ok(InstallOutcome::Stale { .. }) => {
                    self.stats.compactions_stale += 1;
                    self.refresh_for_compaction(compactor_epoch).await?;
                    // Never installed and never to be: delete the outputs now rather than leave
                    // them to GC, which spares uploads of a current epoch (they may be in flight).
                    let referenced = self.manifest.referenced_sst_ids();
                    let orphans = metas.iter().map(|meta| meta.id);
                    let orphans = orphans.filter(|id| !referenced.contains(id));
                    delete_tables(&self.store, &self.clock, &self.options.retry, orphans).await;
                    return Ok(None);
                }
                Err(InstallError::Plan(error)) => return Err(WriterError::Plan(error)),
                Err(InstallError::Manifest(ManifestIoError::Unresolved { path })) => {
                    self.unresolved_compaction = Some(job);
                    return Err(WriterError::Unresolved { path });
                }
                Err(InstallError::Manifest(error)) => {
                    let error = self.manifest_error(error);
                    if matches!(error, WriterError::Fenced { .. }) {
                        return Err(self.stop_if_terminal(error));
                    }
                    return Err(error);
                }
            };
        self.manifest = manifest;
        self.stats.compactions += 1;
        self.stats.manifest_installs += 1;
        for (encoded, meta) in &job.output.outputs {
            if let Ok(reader) = SstReader::open(encoded.clone()) {
                self.cache_reader(meta.id, reader);
            }
        }
        if self.force_delete() {
            self.delete_removed_inputs(&job).await;
        } else if self.options.purge_obsolete {
            // The compaction landed whatever the purge does: a fenced purge stops the writer
            // for its next request, other failures leave the tables pending for the next call.
            let _ = self.purge_pending().await;
        }
        Ok(Some(job.output.stats))
    }

    /// Inputs deleted at install: the writer's `force_delete`, or the log style's
    /// `compaction_force_delete`.
    fn force_delete(&self) -> bool {
        self.options.force_delete
            || self
                .options
                .compaction
                .as_ref()
                .is_some_and(CompactionStyle::force_delete)
    }

    /// `force_delete`: the inputs left the manifest without a pending entry, so delete
    /// their objects now (best effort: one that fails stays as an unreferenced object).
    async fn delete_removed_inputs(&mut self, job: &CompactionJob) {
        let kept: BTreeSet<SstId> = job.output.output_metas().iter().map(|m| m.id).collect();
        let removed = job
            .plan
            .input_ids()
            .into_iter()
            .filter(|id| !kept.contains(id));
        let deleted = delete_tables(&self.store, &self.clock, &self.options.retry, removed).await;
        for id in &deleted {
            self.sst_cache.remove(id);
        }
        self.stats.tables_force_deleted += deleted.len() as u64;
    }

    /// Deletes the objects of the tables pending deletion in the current manifest (never a
    /// live one, nor one a listed checkpoint may read), then purges them from the pending
    /// list. Fails only when fenced; any other failure leaves them pending.
    async fn purge_pending(&mut self) -> Result<(), WriterError> {
        let Some(compactor_epoch) = self.compactor_epoch else {
            return Ok(());
        };
        let candidates = deletable_pending(&self.manifest);
        if candidates.is_empty() {
            return Ok(());
        }
        let mut deleted = BTreeSet::new();
        for id in candidates {
            let path = sst_path(id);
            let result = retry_idempotent(&self.clock, &self.options.retry, || {
                self.store.delete(&path)
            })
            .await;
            if result.is_err() {
                self.stats.purge_failures += 1;
                break;
            }
            self.sst_cache.remove(&id);
            deleted.insert(id);
        }
        if deleted.is_empty() {
            return Ok(());
        }
        let writer_epoch = self.epoch;
        let tag = self.next_compaction_tag("purge");
        let mut purged = 0u64;
        let installed = install(
            &self.store,
            &self.clock,
            &self.options.retry,
            self.options.cas_attempts_max,
            &tag,
            |latest| {
                require_epochs(latest, Some(writer_epoch), compactor_epoch)?;
                let ids: BTreeSet<SstId> = latest
                    .referenced_by_pending()
                    .intersection(&deleted)
                    .copied()
                    .collect();
                purged = ids.len() as u64;
                Ok((!ids.is_empty()).then_some(Edit::PurgePending { ids }))
            },
        )
        .await;
        match installed {
            Ok(manifest) => {
                self.manifest = manifest;
                self.stats.tables_deleted += purged;
                if purged > 0 {
                    self.stats.manifest_installs += 1;
                }
                Ok(())
            }
            Err(error) => {
                let error = self.manifest_error(error);
                if matches!(error, WriterError::Fenced { .. }) {
                    return Err(self.stop_if_terminal(error));
                }
                self.stats.purge_failures += 1;
                Ok(())
            }
        }
    }

    /// Reads the newest manifest after a plan went stale; fenced if either epoch moved.
    pub(super) async fn refresh_for_compaction(
        &mut self,
        compactor_epoch: Epoch,
    ) -> Result<(), WriterError> {
        let latest = read_latest_manifest(&self.store, &self.clock, &self.options.retry)
            .await
            .map_err(|error| self.manifest_error(error))?;
        if let Err(rejected) = require_epochs(&latest, Some(self.epoch), compactor_epoch) {
            let fenced = WriterError::Fenced {
                epoch: self.epoch,
                detail: rejected.to_string(),
            };
            return Err(self.stop_if_terminal(fenced));
        }
        self.manifest = latest;
        Ok(())
    }

    /// A write tag unique to one install of the embedded compactor.
    pub(super) fn next_compaction_tag(&mut self, what: &str) -> String {
        self.compaction_installs_started += 1;
        self.write_tag(&format!("{what}{}", self.compaction_installs_started))
    }
}

/// The writer's error for a job that failed before its install.
fn job_error(error: JobError) -> WriterError {
    match error {
        JobError::Store(error) => WriterError::Store(error),
        JobError::CorruptSst { path, error } => WriterError::CorruptSst { path, error },
        JobError::Execute(error) => WriterError::Compaction(error),
        JobError::IdCollision { path } => WriterError::IdCollision { path },
        JobError::OutputIdsExhausted {
            compactor_epoch,
            first_counter,
            ..
        } => WriterError::IdCollision {
            path: format!("compactor epoch {compactor_epoch} sst counter {first_counter}"),
        },
    }
}

/// Pending tables whose objects may go now: not live (ids are never reused, but this is
/// checked rather than assumed) and not needed by a listed checkpoint.
fn deletable_pending(manifest: &Manifest) -> BTreeSet<SstId> {
    let live = manifest.live_sst_ids();
    let needed = manifest.pending_needed_by_checkpoints();
    manifest
        .referenced_by_pending()
        .into_iter()
        .filter(|id| !live.contains(id) && !needed.contains(id))
        .collect()
}
