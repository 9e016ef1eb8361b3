//! The embedded compactor: the [`JobEngine`] of the standalone compactor run in the writer's
//! process, one job per call (the writer's `compaction` option set; otherwise
//! `no_compactor`).
//!
//! It runs under the compactor epoch the writer fenced in at open, and every install also
//! checks the writer epoch, so a zombie incarnation can install neither. Starting a job,
//! installing it, cleaning up a stale job's outputs and `force_delete` are the engine's, the
//! same code as the standalone compactor's. Deletion is deferred: compaction inputs go onto
//! the pending list and only the garbage collector ([`crate::roles::gc`]) deletes them, once
//! a checkpoint releases them (Garnet's rule). The writer adds only its reader cache: inputs
//! are read from it when cached, and outputs enter it once installed.

use super::{Writer, WriterError};
use crate::clock::Clock;
use crate::compaction::{CompactionPlan, CompactionStats, StallState, style_stall_state};
use crate::entry::WallMs;
use crate::ids::SstId;
use crate::roles::compaction_job::{self, CompactionJob, JobError, JobOutput, OutputIds};
use crate::roles::compactor::{CompactorError, Finished};
use crate::sst::SstReader;
use crate::store::ObjectStore;
use bytes::Bytes;
use std::collections::BTreeMap;

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// Runs at most one compaction chosen by `options.compaction` on the current manifest.
    /// `Ok(None)`: nothing to do, compaction off, or the plan went stale before its install
    /// (its outputs are deleted). An `Unresolved` error means the install may or may not
    /// have landed; it does not poison the writer: the next pick re-validates on the newest
    /// manifest. `Fenced`: a newer writer (or compactor) exists.
    pub async fn compact_once(&mut self) -> Result<Option<CompactionStats>, WriterError> {
        self.check_running()?;
        let now_ms = self.clock.wall_ms();
        let Some(engine) = self.compactor.as_mut() else {
            return Ok(None);
        };
        // The embedded engine runs one job at a time (`max_concurrent_compactions: 1`).
        assert_eq!(engine.running_jobs(), 0);
        let job = match engine.start_job(&self.manifest, now_ms) {
            Ok(Some(job)) => job,
            Ok(None) => return Ok(None),
            Err(error) => return Err(self.compactor_error(error)),
        };
        self.run_and_install(job).await
    }

    /// Compacts `plan` (picked elsewhere, for example a remote job that fell back to local
    /// compaction) with the embedded compactor. The caller checked its inputs are live.
    pub(super) async fn compact_plan(
        &mut self,
        plan: CompactionPlan,
        now_ms: WallMs,
    ) -> Result<Option<CompactionStats>, WriterError> {
        let Some(engine) = self.compactor.as_mut() else {
            return Ok(None);
        };
        match engine.job_for_plan(plan, &self.manifest, now_ms) {
            Ok(job) => self.run_and_install(job).await,
            Err(error) => Err(self.compactor_error(error)),
        }
    }

    /// The next block of output ids of the embedded compactor (for a remote job); `None`
    /// without embedded compaction.
    pub(super) fn reserve_output_ids(&mut self) -> Option<Result<OutputIds, WriterError>> {
        let reserved = self.compactor.as_mut()?.reserve_output_ids();
        Some(reserved.map_err(|error| self.compactor_error(error)))
    }

    /// The write-stall state of the current manifest (RocksDB's L0 and pending-bytes
    /// rules), under the thresholds the compaction style implies; RocksDB's defaults on the
    /// L0 count without a style.
    pub fn stall_state(&self) -> StallState {
        style_stall_state(&self.manifest, self.options.compaction.as_ref())
    }

    /// Runs `job` (inputs from the reader cache when there) and installs it by the engine.
    async fn run_and_install(
        &mut self,
        job: CompactionJob,
    ) -> Result<Option<CompactionStats>, WriterError> {
        let result = self.run_job(&job).await;
        let outputs: Vec<(Bytes, SstId)> = match &result {
            Ok(output) => output
                .outputs
                .iter()
                .map(|(b, m)| (b.clone(), m.id))
                .collect(),
            Err(_) => Vec::new(),
        };
        let Some(engine) = self.compactor.as_mut() else {
            unreachable!("a job was started without an embedded compactor");
        };
        let finished = engine
            .finish_job(&self.store, &self.clock, &job, result, &self.manifest)
            .await;
        assert_eq!(
            engine.running_jobs(),
            0,
            "a finished job releases its inputs"
        );
        match finished {
            Ok(Finished::Installed {
                stats,
                manifest,
                force_deleted,
            }) => {
                assert!(
                    manifest.version > self.manifest.version,
                    "an installed compaction moves the writer's manifest forward"
                );
                self.adopt_manifest(manifest);
                self.stats.compactions += 1;
                self.stats.manifest_installs += 1;
                for (encoded, id) in outputs {
                    if let Ok(reader) = SstReader::open(encoded) {
                        self.cache_reader(id, reader);
                    }
                }
                for id in &force_deleted {
                    self.sst_cache.remove(id);
                }
                self.stats.tables_force_deleted += force_deleted.len() as u64;
                Ok(Some(stats))
            }
            Ok(Finished::Stale { refreshed, .. }) => {
                self.stats.compactions_stale += 1;
                if let Some(latest) = refreshed {
                    self.adopt_manifest(latest);
                }
                match self.compactor.as_ref().and_then(|e| e.fenced().cloned()) {
                    Some(fenced) => Err(self.compactor_error(fenced)),
                    None => Ok(None),
                }
            }
            Err(error) => Err(self.compactor_error(error)),
        }
    }

    /// Fetches (from the reader cache where possible), merges and uploads; keeps the
    /// inputs' readers and counts the bytes.
    async fn run_job(&mut self, job: &CompactionJob) -> Result<JobOutput, CompactorError> {
        let cached: BTreeMap<SstId, SstReader> = job
            .inputs
            .iter()
            .filter_map(|meta| Some((meta.id, self.sst_cache.get(&meta.id)?.clone())))
            .collect();
        let (output, inputs) =
            compaction_job::run_cached(&self.store, &self.clock, job, &cached).await?;
        self.stats.compaction_input_bytes += output.stats.input_bytes;
        self.stats.compaction_output_bytes += output.output_bytes();
        for (meta, reader) in inputs {
            self.cache_reader(meta.id, reader);
        }
        Ok(output)
    }

    /// The writer's error for one of its embedded compactor's; a fence stops the writer.
    fn compactor_error(&mut self, error: CompactorError) -> WriterError {
        match error {
            CompactorError::Fenced { detail, .. } => self.stop_if_terminal(WriterError::Fenced {
                epoch: self.epoch,
                detail,
            }),
            CompactorError::Unresolved { path } => WriterError::Unresolved { path },
            CompactorError::Manifest(error) => self.manifest_error(error),
            CompactorError::Job(error) => job_error(error),
            CompactorError::Plan(error) => WriterError::Plan(error),
        }
    }

    /// A write tag unique to one install the writer makes for its compactor (remote
    /// results).
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
            count_max,
        } => WriterError::SstIdsExhausted {
            epoch: compactor_epoch,
            counter: first_counter.saturating_add(count_max),
        },
    }
}
