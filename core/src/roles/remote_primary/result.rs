//! Wait and install: what the primary does with a result. Validate (job open, inputs still
//! live, outputs present and exactly as described), copy the outputs to their final names,
//! install by manifest CAS (inputs onto the pending list), delete the temporary prefix.

use super::port::PrimaryPort;
use super::schedule::inputs_live;
use super::validate::{Rejection, fetch_validated};
use super::{JobRecord, JobState, RemotePrimary, ResultVerdict};
#[cfg(feature = "bugs")]
use crate::bugs::Bug;
use crate::clock::Clock;
use crate::compaction::CompactionStats;
use crate::ids::SstId;
use crate::layout::sst_path;
use crate::roles::compaction_job::{
    InstallError, InstallOutcome, InstallRequest, delete_tables, install_remote_result,
};
use crate::roles::create::{CreateOutcome, create_resolving};
use crate::roles::manifest_io::ManifestIoError;
use crate::roles::remote::{RemoteOutcome, RemoteResult};
use crate::roles::retry::retry_idempotent;
use crate::roles::writer::WriterError;
use crate::sst::SstMeta;
use crate::store::{GetRange, ObjectStore};
use bytes::Bytes;

impl RemotePrimary {
    /// Handles one result. Never installs a job twice: a result for a closed job is a
    /// duplicate, and the install itself re-validates every input on the newest manifest.
    /// Errors are only the writer's terminal ones (fenced, unresolved install).
    pub async fn on_result<P: PrimaryPort>(
        &mut self,
        port: &mut P,
        result: RemoteResult,
    ) -> Result<ResultVerdict, WriterError> {
        port.check_running()?;
        let received_at = port.clock().monotonic();
        let id = result.job;
        if Some(id.compactor_epoch) != self.compactor_epoch {
            self.stats.foreign_results += 1;
            return Ok(ResultVerdict::Foreign);
        }
        let Some(record) = self.jobs.get(&id.counter).cloned() else {
            if id.counter < self.next_job_counter {
                // Closed and forgotten: late or duplicate, either way never installed now.
                self.stats.late_rejected += 1;
                self.clean_prefix(port, &id.tmp_prefix()).await;
                return Ok(ResultVerdict::LateRejected);
            }
            self.stats.foreign_results += 1;
            return Ok(ResultVerdict::Foreign);
        };
        let late = match record.state {
            JobState::Closed { expired } => {
                self.clean_prefix(port, &id.tmp_prefix()).await;
                if expired {
                    self.stats.late_results += 1;
                    self.stats.late_rejected += 1;
                    return Ok(ResultVerdict::LateRejected);
                }
                self.stats.duplicates_ignored += 1;
                return Ok(ResultVerdict::Duplicate);
            }
            JobState::Abandoned { .. } => {
                self.stats.late_results += 1;
                true
            }
            JobState::InFlight => false,
        };
        self.close(id.counter);
        let verdict = match result.outcome {
            RemoteOutcome::Failed { detail } => {
                self.stats.jobs_failed += 1;
                ResultVerdict::Failed { detail }
            }
            RemoteOutcome::Compacted { outputs, stats } => {
                let install = self
                    .validate_and_install(port, &record, &outputs, stats)
                    .await?;
                match install {
                    Installed::Done { stats, outputs } => {
                        self.stats.jobs_succeeded += 1;
                        self.stats.late_installed += u64::from(late);
                        self.stats.empty_outputs += u64::from(outputs == 0);
                        let now = port.clock().monotonic();
                        ResultVerdict::Installed {
                            stats,
                            outputs,
                            late,
                            install_latency: now.saturating_sub(received_at),
                            job_latency: now.saturating_sub(record.first_dispatched_at),
                        }
                    }
                    Installed::Stale { id } => {
                        self.stats.rejected_stale += 1;
                        ResultVerdict::RejectedStale { id, late }
                    }
                    Installed::Corrupt(detail) => {
                        self.stats.rejected_corrupt += 1;
                        ResultVerdict::RejectedCorrupt { detail }
                    }
                    Installed::Failed(detail) => {
                        self.stats.jobs_failed += 1;
                        ResultVerdict::Failed { detail }
                    }
                    Installed::RefusedInvalid(detail) => {
                        self.stats.refused_invalid += 1;
                        ResultVerdict::RefusedInvalid { detail }
                    }
                }
            }
        };
        self.clean_prefix(port, &id.tmp_prefix()).await;
        let retry_plan = matches!(
            verdict,
            ResultVerdict::Failed { .. }
                | ResultVerdict::RejectedCorrupt { .. }
                | ResultVerdict::RefusedInvalid { .. }
        );
        // A late job's plan was already re-sent or compacted locally when it timed out.
        if retry_plan && !late {
            self.handle_failure(port, &record).await?;
        }
        self.trim_closed();
        Ok(verdict)
    }

    /// In flight or abandoned → closed: a job is closed by its first result only.
    fn close(&mut self, counter: u64) {
        let record = self
            .jobs
            .get_mut(&counter)
            .expect("a result is closed only for a job on record");
        assert!(record.is_open(), "a closed job is never closed again");
        record.state = JobState::Closed { expired: false };
    }

    /// Everything between a valid-looking result and the manifest: the stale pre-check,
    /// output validation, the copies to final names, the install.
    async fn validate_and_install<P: PrimaryPort>(
        &mut self,
        port: &mut P,
        record: &JobRecord,
        outputs: &[SstMeta],
        stats: CompactionStats,
    ) -> Result<Installed, WriterError> {
        let job = &record.job;
        // BUG (`remote-stale-install`): no liveness pre-check here, none in the install.
        #[cfg(feature = "bugs")]
        let check_live = !port.options().bugs.has(Bug::RemoteStaleInstall);
        #[cfg(not(feature = "bugs"))]
        let check_live = true;
        if check_live && !inputs_live(port, &job.plan) {
            let id = job
                .plan
                .input_ids()
                .into_iter()
                .find(|id| !port.manifest().is_live(*id))
                .expect("inputs_live found an input that is not live");
            return Ok(Installed::Stale { id });
        }
        let retry = port.options().retry;
        let validated =
            match fetch_validated(port.store(), port.clock(), &retry, job, outputs).await {
                Ok(validated) => validated,
                Err(Rejection::Corrupt(detail)) => return Ok(Installed::Corrupt(detail)),
                Err(Rejection::Store(error)) => return Ok(Installed::Failed(error.to_string())),
            };
        let tag = port.next_install_tag(&format!("remote-{}", job.id));
        let copied = match copy_to_final(port, &validated, &tag).await {
            Ok(copied) => copied,
            Err((copied, detail)) => {
                self.delete_copies(port, &copied).await;
                return Ok(Installed::Failed(detail));
            }
        };
        // The primary sits beside one writer incarnation and took its compactor epoch, which
        // `on_result` just matched against the job's.
        let compactor_epoch = port.compactor_epoch();
        assert_eq!(compactor_epoch, self.compactor_epoch);
        let Some(compactor_epoch) = compactor_epoch else {
            unreachable!("a result of this primary's epoch arrived without one");
        };
        let request = InstallRequest {
            plan: &job.plan,
            outputs,
            compactor_epoch,
            writer_epoch: Some(port.writer_epoch()),
            force_delete: port.options().force_delete,
            resolving: false,
            retry: &retry,
            cas_attempts_max: port.options().cas_attempts_max,
            write_tag: &tag,
            #[cfg(feature = "bugs")]
            bugs: port.options().bugs,
        };
        match install_remote_result(port.store(), port.clock(), request).await {
            Ok(InstallOutcome::Installed(manifest)) => {
                port.record_install(manifest, &validated, stats.input_bytes);
                self.after_install(port, record, &validated).await;
                Ok(Installed::Done {
                    stats,
                    outputs: outputs.len(),
                })
            }
            Ok(InstallOutcome::Stale { id }) => {
                port.record_stale_install();
                self.delete_copies(port, &copied).await;
                Ok(Installed::Stale { id })
            }
            Err(InstallError::Manifest(ManifestIoError::Unresolved { path })) => {
                Err(port.stop_if_terminal(WriterError::Unresolved { path }))
            }
            Err(InstallError::Manifest(ManifestIoError::Rejected(rejected)))
                if !rejected.is_fenced() =>
            {
                // Not applied: an invalid edit (see `Installed::RefusedInvalid`).
                self.delete_copies(port, &copied).await;
                Ok(Installed::RefusedInvalid(rejected.to_string()))
            }
            Err(InstallError::Manifest(error)) => {
                let error = port.manifest_error(error);
                if matches!(error, WriterError::Fenced { .. }) {
                    return Err(port.stop_if_terminal(error));
                }
                // Not applied: the copies are unreferenced tables of a current epoch.
                self.delete_copies(port, &copied).await;
                Ok(Installed::Failed(error.to_string()))
            }
            Err(InstallError::Plan(error)) => {
                self.delete_copies(port, &copied).await;
                Ok(Installed::Failed(error.to_string()))
            }
        }
    }

    /// After an install: the inputs' objects under the unsafe `force_delete`.
    async fn after_install<P: PrimaryPort>(
        &mut self,
        port: &mut P,
        record: &JobRecord,
        validated: &[(Bytes, SstMeta)],
    ) {
        // BUG (`remote-empty-output-deletes-input`): an empty result's inputs are deleted
        // at once, as if they were this job's outputs to clean up, while the install left
        // them on the pending list for GC to delete after a newer checkpoint.
        #[cfg(feature = "bugs")]
        let empty_deletes_inputs =
            validated.is_empty() && port.options().bugs.has(Bug::RemoteEmptyOutputDeletesInput);
        // Without the bug, what the result held plays no part in deleting its inputs.
        #[cfg(not(feature = "bugs"))]
        let empty_deletes_inputs = {
            let _ = validated;
            false
        };
        if port.options().force_delete || empty_deletes_inputs {
            let retry = port.options().retry;
            let inputs = record.job.plan.input_ids();
            let deleted = delete_tables(port.store(), port.clock(), &retry, inputs).await;
            // The install took the inputs out of the tree before any of them was deleted.
            assert!(deleted.iter().all(|id| !port.manifest().is_live(*id)));
            port.record_tables_deleted(&deleted.into_iter().collect::<Vec<_>>());
        }
    }

    /// Deletes copies this primary made under final names, unless the newest manifest it
    /// knows references them (never an input: only ids this job's copies created).
    async fn delete_copies<P: PrimaryPort>(&mut self, port: &P, copied: &[SstId]) {
        let referenced = port.manifest().referenced_sst_ids();
        let orphans = copied.iter().copied().filter(|id| !referenced.contains(id));
        let retry = port.options().retry;
        delete_tables(port.store(), port.clock(), &retry, orphans).await;
    }
}

/// How validate-and-install ended, short of a terminal error.
// `CompactionStats` carries the log style's costs inline (it is `Copy`); one value per job.
#[allow(clippy::large_enum_variant)]
enum Installed {
    Done {
        stats: CompactionStats,
        outputs: usize,
    },
    Stale {
        id: SstId,
    },
    Corrupt(String),
    Failed(String),
    /// `apply` refused the edit as invalid (not fenced): the plan or the edit was wrong.
    RefusedInvalid(String),
}

/// The store has no copy or rename: writes each validated output under its final name,
/// create-if-absent. An object already there with the same checksum is an earlier copy of
/// this very output (ids are unique to the job's block) and counts as copied. Returns the
/// ids copied, or those copied so far and why it stopped.
async fn copy_to_final<P: PrimaryPort>(
    port: &P,
    validated: &[(Bytes, SstMeta)],
    tag: &str,
) -> Result<Vec<SstId>, (Vec<SstId>, String)> {
    let retry = port.options().retry;
    let mut copied = Vec::with_capacity(validated.len());
    for (bytes, meta) in validated {
        let path = sst_path(meta.id);
        let write_tag = format!("{tag}/copy{}", meta.id.0);
        let created = create_resolving(
            port.store(),
            port.clock(),
            &retry,
            &path,
            bytes.clone(),
            &write_tag,
        )
        .await;
        match created {
            Ok(CreateOutcome::Created) => copied.push(meta.id),
            Ok(CreateOutcome::Taken { .. }) => {
                let existing = retry_idempotent(port.clock(), &retry, || {
                    port.store().get(&path, GetRange::Whole)
                })
                .await;
                match existing {
                    Ok(got) if crate::checksum::crc32c(&got.bytes) == meta.object_crc32c => {}
                    Ok(_) => return Err((copied, format!("{path}: id already taken"))),
                    Err(error) => return Err((copied, error.to_string())),
                }
            }
            Err(error) => {
                // An unknown outcome may still land: the object is then an unreferenced
                // table of this epoch, deleted below if it exists by then, else collected
                // once the epoch is fenced.
                copied.push(meta.id);
                return Err((copied, error.to_string()));
            }
        }
    }
    Ok(copied)
}
