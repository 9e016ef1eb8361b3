//! Checkpoints: durable, named references to a manifest version, taken by the writer
//! periodically and on demand (and, in `checkpoint` durability mode, at every flush).
//!
//! A checkpoint is one manifest edit that first flushes the memtable into an L0 table, so
//! it holds every write acknowledged before it was taken, then records the checkpoint and
//! releases older ones of the same name beyond `checkpoints_retained`. Garbage collection
//! deletes a table pending deletion only once no listed checkpoint still reads it.

use super::{Writer, WriterError};
use crate::clock::Clock;
use crate::manifest::Checkpoint;
use crate::manifest::decide::{self, CheckpointRequest};
use crate::sst::SstReader;
use crate::store::ObjectStore;

/// The name of the checkpoints the writer takes for itself (periodic, on demand, and the
/// flushes of `checkpoint` durability mode): retention counts them together.
pub const WRITER_CHECKPOINT_NAME: &str = "writer";

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// Takes a checkpoint named `name` holding every write acknowledged so far, and releases
    /// the oldest checkpoints of that name so that `checkpoints_retained` remain. Returns the
    /// checkpoint recorded. On an error the memtable stays readable and its flush pending;
    /// an `Unresolved` install may have landed (a later checkpoint releases a duplicate).
    pub async fn checkpoint(&mut self, name: &str) -> Result<Checkpoint, WriterError> {
        self.check_running()?;
        if self.flushing.is_none() && !self.memtable.is_empty() {
            self.freeze_for_flush()?;
        }
        let pending = self
            .flushing
            .as_ref()
            .map(|pending| (pending.meta.clone(), pending.wal_replay_point));
        if let Some(flushing) = self.flushing.as_ref() {
            let (meta, encoded) = (flushing.meta.clone(), flushing.encoded.clone());
            self.upload_sst(&meta, encoded).await?;
        }
        let created_at_ms = self.clock.wall_ms();
        let expires_at_ms = self
            .options
            .checkpoint_lifetime_ms
            .map(|lifetime_ms| created_at_ms.saturating_add(lifetime_ms));
        let keep_older = self.options.checkpoints_retained.max(1) - 1;
        self.stats.checkpoint_attempts += 1;
        let tag = self.write_tag(&format!("checkpoint{}", self.stats.checkpoint_attempts));
        let request = CheckpointRequest {
            writer_epoch: self.epoch,
            flush: pending,
            name: name.to_string(),
            created_at_ms,
            expires_at_ms,
            keep_older,
        };
        let installed = self
            .install_own(&tag, |latest| decide::checkpoint(latest, &request))
            .await;
        let (manifest, checkpoint) = match installed {
            Ok(installed) => (installed.manifest, installed.output),
            Err(error) => {
                let error = self.manifest_error(error);
                if matches!(error, WriterError::Fenced { .. }) {
                    return Err(self.stop_if_terminal(error));
                }
                return Err(error);
            }
        };
        // Paired with `decide::checkpoint`: the checkpoint names the version its edit made,
        // and that version holds it and every write of the flush it carried.
        assert_eq!(
            manifest.version, checkpoint.manifest_version,
            "a checkpoint names the version its install created"
        );
        assert!(
            manifest.checkpoints.contains(&checkpoint),
            "the installed manifest holds the checkpoint"
        );
        if let Some(flushing) = &self.flushing {
            assert!(
                manifest.last_seq >= flushing.meta.largest_seq,
                "a checkpoint's manifest covers its flush's writes"
            );
        }
        self.adopt_manifest(manifest);
        if let Some(flushed) = self.flushing.take() {
            if let Ok(reader) = SstReader::open(flushed.encoded) {
                self.cache_reader(flushed.meta.id, reader);
            }
            self.stats.flushes += 1;
            self.stats.flush_bytes += flushed.meta.size_bytes;
        }
        self.stats.checkpoints += 1;
        self.stats.manifest_installs += 1;
        Ok(checkpoint)
    }
}
