//! The embedded compactor: pick → merge → upload → install, one job per call, on the
//! writer's own node (the writer's `compaction` option set; otherwise `no_compactor`).
//!
//! It runs under the compactor epoch the writer fenced in at open, and every install also
//! checks the writer epoch, so a zombie incarnation can install neither. Inputs are
//! re-validated against the newest manifest at install ([`CompactionPlan::into_edit`]); a
//! stale plan is dropped and its outputs become orphans for garbage collection. With no
//! checkpoints to protect here, obsolete tables are deleted right after the install and then
//! purged from the pending list; whatever fails stays pending and is retried by the next
//! call, so the pending list never leaks.

use super::{Writer, WriterError};
use crate::checksum::crc32c;
use crate::clock::Clock;
use crate::codec::DecodeError;
use crate::compaction::{
    Busy, CompactionPlan, CompactionStats, CompactionStyle, PlanError, PlanKind, StallOptions,
    StallState, estimated_pending_compaction_bytes, execute, stall_state,
};
use crate::entry::WallMs;
use crate::ids::{Epoch, IdRole, SstId};
use crate::layout::sst_path;
use crate::manifest::{Edit, Manifest, ManifestError, Role};
use crate::merge::{NoFilter, TtlFilter};
use crate::roles::create::{CreateOutcome, create_resolving};
use crate::roles::manifest_io::{ManifestIoError, install, read_latest_manifest};
use crate::roles::retry::retry_idempotent;
use crate::sst::{SstMeta, SstReader};
use crate::store::{GetRange, ObjectStore};
use bytes::Bytes;
use std::collections::BTreeSet;

/// A job whose outputs are uploaded: what to install, and what to report once installed.
pub(super) struct CompactionJob {
    plan: CompactionPlan,
    /// Encoded outputs with their metadata, in key order (empty for a move or a deletion).
    outputs: Vec<(Bytes, SstMeta)>,
    stats: CompactionStats,
}

impl CompactionJob {
    fn output_metas(&self) -> Vec<SstMeta> {
        self.outputs.iter().map(|(_, meta)| meta.clone()).collect()
    }
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
        self.purge_pending().await?;
        let now_ms = self.clock.wall_ms();
        let Some(plan) = style.pick(&self.manifest, &Busy::new(), now_ms) else {
            return Ok(None);
        };
        let job = self.run_plan(plan, &style, compactor_epoch, now_ms).await?;
        self.install_compaction(job, false).await
    }

    /// The write-stall state of the current manifest (RocksDB's L0 and pending-bytes
    /// rules), under the thresholds the compaction style implies; RocksDB's defaults on the
    /// L0 count without a style.
    pub fn stall_state(&self) -> StallState {
        let (options, pending_bytes) = match &self.options.compaction {
            Some(CompactionStyle::Leveled(leveled)) => (
                stall_options(leveled.level0_file_num_compaction_trigger, None, false),
                estimated_pending_compaction_bytes(&self.manifest, leveled),
            ),
            Some(CompactionStyle::Universal(universal)) => (
                stall_options(
                    universal.level0_file_num_compaction_trigger,
                    Some(universal.level0_stop_writes_trigger),
                    true,
                ),
                0,
            ),
            Some(CompactionStyle::Fifo(fifo)) => (
                stall_options(fifo.level0_file_num_compaction_trigger, None, false),
                0,
            ),
            None => (StallOptions::default(), 0),
        };
        stall_state(&self.manifest, &options, pending_bytes)
    }

    /// Reads and merges the inputs of a merge plan and uploads its outputs; a move or a
    /// deletion reads and writes nothing.
    async fn run_plan(
        &mut self,
        plan: CompactionPlan,
        style: &CompactionStyle,
        compactor_epoch: Epoch,
        now_ms: WallMs,
    ) -> Result<CompactionJob, WriterError> {
        if plan.kind != PlanKind::Merge {
            let stats = table_only_stats(&plan, &self.manifest);
            return Ok(CompactionJob {
                plan,
                outputs: Vec::new(),
                stats,
            });
        }
        let mut inputs = Vec::with_capacity(plan.input_count());
        for id in plan.input_ids() {
            let Some((_, meta)) = self.manifest.find_live(id) else {
                return Err(WriterError::Plan(PlanError::InputNotLive { id }));
            };
            let meta = meta.clone();
            let reader = self.compaction_input(&meta).await?;
            inputs.push((meta, reader));
        }
        let mut counter = self.next_compaction_sst_counter;
        let mut exhausted = false;
        let mut next_id = || {
            let id = SstId::compose(IdRole::Compactor, compactor_epoch, counter);
            counter = counter.saturating_add(1);
            id.unwrap_or_else(|| {
                exhausted = true;
                SstId(0)
            })
        };
        let sst_options = self.options.sst;
        let executed = if expires_by_ttl(style) {
            let filter = TtlFilter { now_ms };
            execute(&plan, &inputs, filter, now_ms, &mut next_id, &sst_options)
        } else {
            execute(&plan, &inputs, NoFilter, now_ms, &mut next_id, &sst_options)
        };
        self.next_compaction_sst_counter = counter;
        if exhausted {
            return Err(WriterError::IdCollision {
                path: format!("compactor epoch {compactor_epoch} sst counter {counter}"),
            });
        }
        let output = executed.map_err(WriterError::Compaction)?;
        self.stats.compaction_input_bytes += output.stats.input_bytes;
        for (encoded, meta) in &output.outputs {
            self.upload_output(meta, encoded.clone()).await?;
            self.stats.compaction_output_bytes += meta.size_bytes;
        }
        Ok(CompactionJob {
            plan,
            outputs: output.outputs,
            stats: output.stats,
        })
    }

    /// An input table, from the reader cache or the store, checked against the checksum the
    /// manifest records for the whole object.
    async fn compaction_input(&mut self, meta: &SstMeta) -> Result<SstReader, WriterError> {
        if let Some(reader) = self.sst_cache.get(&meta.id) {
            return Ok(reader.clone());
        }
        let path = sst_path(meta.id);
        let got = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store.get(&path, GetRange::Whole)
        })
        .await
        .map_err(WriterError::Store)?;
        let computed = crc32c(&got.bytes);
        if computed != meta.object_crc32c {
            let error = DecodeError::ChecksumMismatch {
                what: "sst object",
                offset: 0,
                stored: meta.object_crc32c,
                computed,
            };
            return Err(WriterError::CorruptSst { path, error });
        }
        let reader =
            SstReader::open(got.bytes).map_err(|error| WriterError::CorruptSst { path, error })?;
        self.cache_reader(meta.id, reader.clone());
        Ok(reader)
    }

    /// Uploads one output under its new id; the id being taken is a collision, since ids
    /// carry this incarnation's compactor epoch.
    async fn upload_output(&mut self, meta: &SstMeta, encoded: Bytes) -> Result<(), WriterError> {
        let path = sst_path(meta.id);
        let tag = self.write_tag(&format!("compaction-sst{}", meta.id.0));
        let uploaded = create_resolving(
            &self.store,
            &self.clock,
            &self.options.retry,
            &path,
            encoded,
            &tag,
        )
        .await;
        match uploaded {
            Ok(CreateOutcome::Created) => Ok(()),
            Ok(CreateOutcome::Taken { .. }) => Err(WriterError::IdCollision { path }),
            Err(error) => Err(WriterError::Store(error)),
        }
    }

    /// Installs `job` on the newest manifest. `resolving`: an earlier install of the same
    /// job ended without an answer, so first look whether it landed.
    async fn install_compaction(
        &mut self,
        job: CompactionJob,
        resolving: bool,
    ) -> Result<Option<CompactionStats>, WriterError> {
        let Some(compactor_epoch) = self.compactor_epoch else {
            return Ok(None);
        };
        let writer_epoch = self.epoch;
        let tag = self.next_compaction_tag("compaction");
        let metas = job.output_metas();
        // `install` only carries manifest errors out of the closure; a plan refusal rides
        // beside it and is checked first.
        let mut refusal = None;
        let installed = install(
            &self.store,
            &self.clock,
            &self.options.retry,
            self.options.cas_attempts_max,
            &tag,
            |latest| {
                require_epochs(latest, writer_epoch, compactor_epoch)?;
                if resolving && landed(&job.plan, &metas, latest) {
                    return Ok(None);
                }
                match job.plan.into_edit(latest, &metas, compactor_epoch, false) {
                    Ok(edit) => Ok(Some(edit)),
                    Err(error) => {
                        let stand_in = ManifestError::UnknownSst {
                            id: refused_id(&error, &job.plan),
                        };
                        refusal = Some(error);
                        Err(stand_in)
                    }
                }
            },
        )
        .await;
        let manifest = match (installed, refusal) {
            (Ok(manifest), _) => manifest,
            (Err(_), Some(PlanError::InputNotLive { .. })) => {
                self.stats.compactions_stale += 1;
                self.refresh_for_compaction(compactor_epoch).await?;
                return Ok(None);
            }
            (Err(_), Some(other)) => return Err(WriterError::Plan(other)),
            (Err(ManifestIoError::Unresolved { path }), None) => {
                self.unresolved_compaction = Some(job);
                return Err(WriterError::Unresolved { path });
            }
            (Err(error), None) => {
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
        for (encoded, meta) in job.outputs {
            if let Ok(reader) = SstReader::open(encoded) {
                self.cache_reader(meta.id, reader);
            }
        }
        // The compaction landed whatever the purge does: a fenced purge stops the writer
        // for its next request, other failures leave the tables pending for the next call.
        let _ = self.purge_pending().await;
        Ok(Some(job.stats))
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
                require_epochs(latest, writer_epoch, compactor_epoch)?;
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
    async fn refresh_for_compaction(&mut self, compactor_epoch: Epoch) -> Result<(), WriterError> {
        let latest = read_latest_manifest(&self.store, &self.clock, &self.options.retry)
            .await
            .map_err(|error| self.manifest_error(error))?;
        if let Err(rejected) = require_epochs(&latest, self.epoch, compactor_epoch) {
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
    fn next_compaction_tag(&mut self, what: &str) -> String {
        self.compaction_installs_started += 1;
        self.write_tag(&format!("{what}{}", self.compaction_installs_started))
    }
}

/// Refuses to install on a manifest where this incarnation's writer or compactor epoch has
/// been superseded.
fn require_epochs(
    latest: &Manifest,
    writer_epoch: Epoch,
    compactor_epoch: Epoch,
) -> Result<(), ManifestError> {
    if latest.writer_epoch != writer_epoch {
        return Err(ManifestError::StaleEpoch {
            role: Role::Writer,
            edit_epoch: writer_epoch,
            current_epoch: latest.writer_epoch,
        });
    }
    if latest.compactor_epoch != compactor_epoch {
        return Err(ManifestError::StaleEpoch {
            role: Role::Compactor,
            edit_epoch: compactor_epoch,
            current_epoch: latest.compactor_epoch,
        });
    }
    Ok(())
}

/// True when `latest` already holds the result of `plan`: only this incarnation's compactor
/// edits the tree while its epochs stand (checked first) and it resolves an unknown install
/// before picking again, so nothing else can have produced that result.
fn landed(plan: &CompactionPlan, outputs: &[SstMeta], latest: &Manifest) -> bool {
    let inputs = plan.input_ids();
    match plan.kind {
        // Output ids are new and unique to this job: one known means the edit landed.
        PlanKind::Merge if !outputs.is_empty() => {
            let known = latest.referenced_sst_ids();
            outputs.iter().any(|meta| known.contains(&meta.id))
        }
        PlanKind::Merge | PlanKind::Delete => inputs.iter().all(|id| !latest.is_live(*id)),
        PlanKind::Move => inputs.iter().all(|id| {
            latest
                .find_live(*id)
                .is_some_and(|(level, _)| level == plan.output_level)
        }),
    }
}

/// The id to name in the manifest error that stands in for a plan refusal.
fn refused_id(error: &PlanError, plan: &CompactionPlan) -> SstId {
    match error {
        PlanError::InputNotLive { id } => *id,
        PlanError::OutputsForNonMerge { .. } => {
            plan.input_ids().first().copied().unwrap_or_default()
        }
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

/// Statistics of a move or a deletion, which read and write nothing.
fn table_only_stats(plan: &CompactionPlan, manifest: &Manifest) -> CompactionStats {
    let mut stats = CompactionStats::empty(plan.kind, plan.reason, plan.output_level);
    let ids = plan.input_ids();
    let tables = manifest.all_live_ssts().filter(|sst| ids.contains(&sst.id));
    for sst in tables {
        stats.input_files += 1;
        match plan.kind {
            PlanKind::Move => {
                stats.moved_files += 1;
                stats.moved_bytes = stats.moved_bytes.saturating_add(sst.size_bytes);
            }
            PlanKind::Delete | PlanKind::Merge => {
                stats.deleted_files += 1;
                stats.deleted_bytes = stats.deleted_bytes.saturating_add(sst.size_bytes);
            }
        }
    }
    stats
}

/// Per-entry TTL is enforced in merges only for FIFO with a TTL; elsewhere expired puts
/// are hidden by reads and kept by compaction.
fn expires_by_ttl(style: &CompactionStyle) -> bool {
    matches!(style, CompactionStyle::Fifo(fifo) if fifo.ttl_ms > 0)
}

/// RocksDB's stall thresholds, sanitized as RocksDB does: the slowdown trigger is at least
/// the compaction trigger and the stop trigger at least the slowdown trigger.
fn stall_options(
    compaction_trigger: usize,
    stop_trigger: Option<usize>,
    count_levels_as_sorted_runs: bool,
) -> StallOptions {
    let defaults = StallOptions::default();
    let slowdown = defaults
        .level0_slowdown_writes_trigger
        .max(compaction_trigger);
    let stop = stop_trigger
        .unwrap_or(defaults.level0_stop_writes_trigger)
        .max(slowdown);
    StallOptions {
        level0_slowdown_writes_trigger: slowdown,
        level0_stop_writes_trigger: stop,
        count_levels_as_sorted_runs,
        ..defaults
    }
}
