//! The writer role: group-commit WAL, memtable, flush to L0, manifest CAS, fencing and
//! recovery (DESIGN.md, "Writer").
//!
//! A write is acknowledged only after the WAL segment holding it is durable; only then does
//! it enter the memtable, so reads never see a write that could still be lost. Fencing has
//! two halves: the writer epoch in the manifest (a fenced writer cannot install a flush) and
//! create-if-absent WAL segments (a new writer creates the segment the old one would write
//! next, so the old one can neither make a write durable nor, since reads first check that
//! segment, serve a read after the new one took over).
//!
//! With [`WriterOptions::compaction`] set, the writer also hosts an embedded compactor
//! ([`Writer::compact_once`]): the standalone compactor's job engine
//! ([`crate::roles::compactor::JobEngine`]) under a compactor epoch it fences at open.

mod checkpoint;
mod commit;
mod compact;
mod error;
mod flush;
mod leadership;
mod options;
mod primary_port;
mod read;
mod recovery;
mod scan;
mod stats;

pub use crate::roles::remote_primary::{
    Dispatch, PrimaryPort, RemoteFallback, RemoteOptions, RemotePrimary, RemoteStats, ResultVerdict,
};
pub use checkpoint::WRITER_CHECKPOINT_NAME;
pub use commit::{CommitReceipt, WriteOp};
pub use error::WriterError;
pub use options::{Durability, WriterOptions};
pub use read::ReadResult;
pub use stats::{ReadCost, WriterStats};

use crate::clock::Clock;
use crate::ids::{Epoch, SeqNum, SstId, WalId};
use crate::manifest::{Manifest, ManifestError};
use crate::memtable::Memtable;
use crate::roles::compactor::{CompactorStats, JobEngine};
use crate::roles::manifest_io::ManifestIoError;
use crate::sst::SstReader;
use crate::store::ObjectStore;
use std::collections::BTreeMap;

/// One writer incarnation. Methods take `&mut self`: the node that hosts the writer runs one
/// request at a time and does the batching (group commit) itself.
pub struct Writer<S, C> {
    store: S,
    clock: C,
    options: WriterOptions,
    epoch: Epoch,
    /// The newest manifest this writer knows.
    manifest: Manifest,
    /// Durable writes not yet in an SST.
    memtable: Memtable,
    /// A memtable whose SST is uploaded or being uploaded but not yet installed: still read.
    flushing: Option<flush::PendingFlush>,
    next_seq: SeqNum,
    next_wal_id: WalId,
    next_sst_counter: u64,
    sst_cache: BTreeMap<SstId, SstReader>,
    /// The embedded compactor: the standalone compactor's job engine, under the compactor
    /// epoch this incarnation fenced in at open; `None` without embedded compaction.
    compactor: Option<JobEngine>,
    /// Remote-result installs started: makes each install's write tag unique.
    compaction_installs_started: u64,
    /// Set when this incarnation can no longer act (fenced, or an outcome it cannot resolve).
    stopped: Option<WriterError>,
    stats: WriterStats,
}

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The compactor epoch fenced in at open when embedded compaction is on.
    pub fn compactor_epoch(&self) -> Option<Epoch> {
        self.compactor.as_ref().map(JobEngine::epoch)
    }

    /// The embedded compactor's statistics, when compaction is embedded.
    pub fn compactor_stats(&self) -> Option<CompactorStats> {
        self.compactor.as_ref().map(JobEngine::stats)
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    /// The tables whose readers the writer keeps in memory, lowest id first.
    pub fn cached_table_ids(&self) -> impl Iterator<Item = SstId> + '_ {
        self.sst_cache.keys().copied()
    }

    pub fn memtable_size_bytes(&self) -> u64 {
        self.memtable.size_bytes()
    }

    /// The WAL segment the next commit will create.
    pub fn next_wal_id(&self) -> WalId {
        self.next_wal_id
    }

    /// Why this incarnation stopped, if it did.
    pub fn stopped(&self) -> Option<&WriterError> {
        self.stopped.as_ref()
    }

    fn check_running(&self) -> Result<(), WriterError> {
        match &self.stopped {
            None => Ok(()),
            Some(WriterError::Fenced { epoch, detail }) => Err(WriterError::Fenced {
                epoch: *epoch,
                detail: detail.clone(),
            }),
            Some(_) => Err(WriterError::Poisoned),
        }
    }

    /// Records a terminal error (fenced or unresolved) so later requests fail fast.
    fn stop_if_terminal(&mut self, error: WriterError) -> WriterError {
        if matches!(
            error,
            WriterError::Fenced { .. } | WriterError::Unresolved { .. }
        ) && self.stopped.is_none()
        {
            self.stopped = Some(error.clone());
        }
        error
    }

    fn manifest_error(&self, error: ManifestIoError) -> WriterError {
        match error {
            ManifestIoError::Unresolved { path } => WriterError::Unresolved { path },
            ManifestIoError::Rejected(rejected) if rejected.is_fenced() => WriterError::Fenced {
                epoch: self.epoch,
                detail: rejected.to_string(),
            },
            other => WriterError::Manifest(other),
        }
    }

    fn write_tag(&self, what: &str) -> String {
        format!("writer/e{}/{what}", self.epoch.0)
    }

    /// Installs what `decide` makes of the newest manifest under this writer's retry policy
    /// and injected defects (which reach `apply`).
    async fn install_own<T, F>(
        &self,
        tag: &str,
        decide: F,
    ) -> Result<crate::roles::manifest_io::Installed<T>, ManifestIoError>
    where
        F: Fn(&Manifest) -> Result<crate::manifest::decide::Decision<T>, ManifestError>,
    {
        let settings = crate::roles::manifest_io::CasSettings {
            policy: &self.options.retry,
            cas_attempts_max: self.options.cas_attempts_max,
            write_tag: tag,
            #[cfg(feature = "bugs")]
            bugs: self.options.bugs,
        };
        crate::roles::manifest_io::install_decided(&self.store, &self.clock, &settings, decide)
            .await
            .map_err(ManifestIoError::from)
    }
}
