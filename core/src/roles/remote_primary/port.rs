//! The narrow interface through which [`super::RemotePrimary`] works on the writer it sits
//! beside: the writer's I/O and options (read-only), its manifest (read-only), its epochs
//! and stop state, and four bookkeeping calls around an install — reserve output ids, name
//! the install, record what an install changed, compact a plan locally. The writer's own
//! state (memtable, WAL ids, reader cache, statistics) stays private to it.

use crate::clock::Clock;
use crate::compaction::{CompactionPlan, CompactionStats};
use crate::entry::WallMs;
use crate::ids::{Epoch, SstId};
use crate::manifest::Manifest;
use crate::roles::compaction_job::OutputIds;
use crate::roles::manifest_io::ManifestIoError;
use crate::roles::writer::{WriterError, WriterOptions};
use crate::sst::SstMeta;
use crate::store::ObjectStore;
use bytes::Bytes;
use std::future::Future;

/// What the remote-compaction primary may see and change of its writer.
pub trait PrimaryPort {
    type Store: ObjectStore;
    type Clock: Clock;

    fn store(&self) -> &Self::Store;
    fn clock(&self) -> &Self::Clock;
    fn options(&self) -> &WriterOptions;
    /// The newest manifest the writer knows.
    fn manifest(&self) -> &Manifest;

    fn writer_epoch(&self) -> Epoch;
    /// The compactor epoch the writer fenced in at open; `None` without embedded compaction.
    fn compactor_epoch(&self) -> Option<Epoch>;
    /// `Err` once the writer stopped (fenced or an outcome it cannot resolve).
    fn check_running(&self) -> Result<(), WriterError>;
    /// Records a terminal error (fenced, unresolved) so later requests fail fast.
    fn stop_if_terminal(&mut self, error: WriterError) -> WriterError;
    /// The writer's error for a failed manifest install (fenced when the epoch is stale).
    fn manifest_error(&self, error: ManifestIoError) -> WriterError;

    /// A fresh block of the embedded compactor's output ids; `None` without one.
    fn reserve_output_ids(&mut self) -> Option<Result<OutputIds, WriterError>>;
    /// A write tag unique to this install among the writer's installs.
    fn next_install_tag(&mut self, what: &str) -> String;
    /// An install landed as `manifest`: adopt it, cache readers of the `outputs`, count it.
    fn record_install(
        &mut self,
        manifest: Manifest,
        outputs: &[(Bytes, SstMeta)],
        input_bytes: u64,
    );
    /// An install found an input gone.
    fn record_stale_install(&mut self);
    /// These tables were deleted (force delete): drop their readers and count them.
    fn record_tables_deleted(&mut self, deleted: &[SstId]);
    /// Runs `plan` on the writer's embedded compactor and installs it.
    fn compact_plan(
        &mut self,
        plan: CompactionPlan,
        now_ms: WallMs,
    ) -> impl Future<Output = Result<Option<CompactionStats>, WriterError>>;
}
