//! The writer's side of [`PrimaryPort`]: the only way the remote-compaction primary reaches
//! the writer's state.

use super::{Writer, WriterError, WriterOptions};
use crate::clock::Clock;
use crate::compaction::{CompactionPlan, CompactionStats};
use crate::entry::WallMs;
use crate::ids::{Epoch, SstId};
use crate::manifest::Manifest;
use crate::roles::compaction_job::OutputIds;
use crate::roles::manifest_io::ManifestIoError;
use crate::roles::remote_primary::PrimaryPort;
use crate::sst::{SstMeta, SstReader};
use crate::store::ObjectStore;
use bytes::Bytes;
use std::future::Future;

impl<S: ObjectStore, C: Clock> PrimaryPort for Writer<S, C> {
    type Store = S;
    type Clock = C;

    fn store(&self) -> &S {
        &self.store
    }

    fn clock(&self) -> &C {
        &self.clock
    }

    fn options(&self) -> &WriterOptions {
        &self.options
    }

    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn writer_epoch(&self) -> Epoch {
        self.epoch
    }

    fn compactor_epoch(&self) -> Option<Epoch> {
        Writer::compactor_epoch(self)
    }

    fn check_running(&self) -> Result<(), WriterError> {
        Writer::check_running(self)
    }

    fn stop_if_terminal(&mut self, error: WriterError) -> WriterError {
        Writer::stop_if_terminal(self, error)
    }

    fn manifest_error(&self, error: ManifestIoError) -> WriterError {
        Writer::manifest_error(self, error)
    }

    fn reserve_output_ids(&mut self) -> Option<Result<OutputIds, WriterError>> {
        Writer::reserve_output_ids(self)
    }

    fn next_install_tag(&mut self, what: &str) -> String {
        self.next_compaction_tag(what)
    }

    fn record_install(
        &mut self,
        manifest: Manifest,
        outputs: &[(Bytes, SstMeta)],
        input_bytes: u64,
    ) {
        assert!(
            manifest.version > self.manifest.version,
            "an install moves the manifest forward: {} after {}",
            manifest.version,
            self.manifest.version
        );
        assert!(
            outputs.iter().all(|(_, meta)| manifest.is_live(meta.id)),
            "every installed output is live in the installed manifest"
        );
        self.adopt_manifest(manifest);
        self.stats.compactions += 1;
        self.stats.manifest_installs += 1;
        self.stats.compaction_input_bytes += input_bytes;
        self.stats.compaction_output_bytes +=
            outputs.iter().map(|(_, meta)| meta.size_bytes).sum::<u64>();
        for (bytes, meta) in outputs {
            if let Ok(reader) = SstReader::open(bytes.clone()) {
                self.cache_reader(meta.id, reader);
            }
        }
    }

    fn record_stale_install(&mut self) {
        self.stats.compactions_stale += 1;
    }

    fn record_tables_deleted(&mut self, deleted: &[SstId]) {
        for id in deleted {
            self.sst_cache.remove(id);
        }
        self.stats.tables_force_deleted += deleted.len() as u64;
    }

    fn compact_plan(
        &mut self,
        plan: CompactionPlan,
        now_ms: WallMs,
    ) -> impl Future<Output = Result<Option<CompactionStats>, WriterError>> {
        Writer::compact_plan(self, plan, now_ms)
    }
}
