//! The `RemoteWorker` role (RocksDB's OpenAndCompact): open the manifest version the job
//! names read-only, read the inputs, merge, write the outputs under the job's temporary
//! prefix, report their metadata. It never touches the manifest nor anything outside
//! `tmp/<job>/`; the primary decides whether the result is installed.

use super::job::{RemoteJob, RemoteOutcome, RemoteResult};
#[cfg(feature = "bugs")]
use crate::bugs::{Bug, Bugs};
use crate::clock::Clock;
use crate::layout::manifest_path;
use crate::roles::compaction_job::{
    CompactionJob, JobError, fetch_inputs, learn_liveness, merge_inputs, newer_segments,
};
use crate::roles::create::{CreateOutcome, create_resolving};
use crate::roles::manifest_io::{ManifestIoError, read_manifest};
use crate::roles::retry::RetryPolicy;
use crate::sst::SstMeta;
use crate::store::ObjectStore;
use std::collections::BTreeMap;
use std::fmt;

/// Why a worker gave up on a job. Whatever it wrote under the prefix is garbage.
#[derive(Clone, Debug, PartialEq)]
pub enum RemoteWorkerError {
    /// The manifest version the job names could not be read.
    Manifest(ManifestIoError),
    /// An input is not live in the manifest version the job names: the job is malformed.
    InputNotInVersion { id: crate::ids::SstId },
    /// Reading, merging or uploading failed.
    Job(JobError),
    /// Only merges travel to workers; moves and deletions read and write nothing.
    NotAMerge,
}

impl fmt::Display for RemoteWorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteWorkerError::Manifest(error) => write!(f, "manifest: {error}"),
            RemoteWorkerError::InputNotInVersion { id } => {
                write!(f, "input {id} is not live in the job's manifest version")
            }
            RemoteWorkerError::Job(error) => write!(f, "job: {error}"),
            RemoteWorkerError::NotAMerge => write!(f, "only merges run remotely"),
        }
    }
}

impl std::error::Error for RemoteWorkerError {}

/// What a worker incarnation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoteWorkerStats {
    pub jobs_compacted: u64,
    pub jobs_failed: u64,
    pub outputs_written: u64,
    pub output_bytes: u64,
}

/// One worker incarnation: stateless between jobs but for its statistics.
pub struct RemoteWorker<S, C> {
    store: S,
    clock: C,
    retry: RetryPolicy,
    /// Distinguishes this incarnation's uploads (node name, restart count).
    tag: String,
    stats: RemoteWorkerStats,
    #[cfg(feature = "bugs")]
    bugs: Bugs,
}

impl<S: ObjectStore, C: Clock> RemoteWorker<S, C> {
    pub fn new(store: S, clock: C, retry: RetryPolicy, tag: &str) -> Self {
        RemoteWorker {
            store,
            clock,
            retry,
            tag: tag.to_string(),
            stats: RemoteWorkerStats::default(),
            #[cfg(feature = "bugs")]
            bugs: Bugs::NONE,
        }
    }

    /// This worker with `bugs` switched on.
    #[cfg(feature = "bugs")]
    pub fn with_bugs(mut self, bugs: Bugs) -> Self {
        self.bugs = bugs;
        self
    }

    pub fn stats(&self) -> RemoteWorkerStats {
        self.stats
    }

    /// Runs `job` and says how it went; a failure is reported, not raised, because the
    /// primary wants to hear it (sooner than its timeout would tell it).
    pub async fn compact(&mut self, job: &RemoteJob) -> RemoteResult {
        let outcome = match self.try_compact(job).await {
            Ok((outputs, stats)) => {
                self.stats.jobs_compacted += 1;
                self.stats.outputs_written += outputs.len() as u64;
                self.stats.output_bytes += stats.output_bytes;
                RemoteOutcome::Compacted { outputs, stats }
            }
            Err(error) => {
                self.stats.jobs_failed += 1;
                RemoteOutcome::Failed {
                    detail: error.to_string(),
                }
            }
        };
        RemoteResult {
            job: job.id,
            outcome,
        }
    }

    /// The time the TTL filter judges by: this worker's wall clock, read now.
    fn filter_now_ms(&self, job: &RemoteJob) -> crate::entry::WallMs {
        #[cfg(feature = "bugs")]
        if self.bugs.has(Bug::TtlFilterWriterClock) {
            return job.now_ms;
        }
        let _ = job;
        self.clock.wall_ms()
    }

    /// Open (read-only), read, merge, write under the prefix.
    pub async fn try_compact(
        &self,
        job: &RemoteJob,
    ) -> Result<(Vec<SstMeta>, crate::compaction::CompactionStats), RemoteWorkerError> {
        if job.plan.kind != crate::compaction::PlanKind::Merge {
            return Err(RemoteWorkerError::NotAMerge);
        }
        let path = manifest_path(job.manifest_version);
        let manifest = read_manifest(&self.store, &self.clock, &self.retry, &path)
            .await
            .map_err(RemoteWorkerError::Manifest)?;
        let mut inputs = Vec::with_capacity(job.plan.input_count());
        for id in job.plan.input_ids() {
            let Some((_, meta)) = manifest.find_live(id) else {
                return Err(RemoteWorkerError::InputNotInVersion { id });
            };
            inputs.push(meta.clone());
        }
        let local = CompactionJob {
            plan: job.plan.clone(),
            inputs,
            // A log-style job learns liveness from the version it was planned on, as a
            // local one does.
            newer_segments: newer_segments(&job.plan, &manifest),
            output_ids: job.output_ids,
            sst: job.sst,
            retry: self.retry,
            now_ms: job.now_ms,
            expire_by_ttl: job.expire_by_ttl,
            write_tag: format!("remote/{}/{}", self.tag, job.id),
        };
        let readers = fetch_inputs(&self.store, &self.clock, &local, &BTreeMap::new())
            .await
            .map_err(RemoteWorkerError::Job)?;
        let liveness = learn_liveness(&self.store, &self.clock, &local, &readers)
            .await
            .map_err(RemoteWorkerError::Job)?;
        // TTL is judged by this worker's own clock; the job's `now_ms` is the primary's.
        let filter_now_ms = self.filter_now_ms(job);
        let output = merge_inputs(&local, &readers, liveness, filter_now_ms)
            .map_err(RemoteWorkerError::Job)?;
        for (encoded, meta) in &output.outputs {
            let path = job.id.output_path(meta.id);
            let tag = format!("{}-tmp{}", local.write_tag, meta.id.0);
            let created = create_resolving(
                &self.store,
                &self.clock,
                &self.retry,
                &path,
                encoded.clone(),
                &tag,
            )
            .await;
            match created {
                Ok(CreateOutcome::Created) => {}
                Ok(CreateOutcome::Taken { .. }) => {
                    return Err(RemoteWorkerError::Job(JobError::IdCollision { path }));
                }
                Err(error) => {
                    return Err(RemoteWorkerError::Job(JobError::Store(error)));
                }
            }
        }
        Ok((output.output_metas(), output.stats))
    }
}
