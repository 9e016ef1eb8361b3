//! Flush: the memtable becomes an L0 SST, uploaded, then installed by manifest CAS.

use super::{Durability, WRITER_CHECKPOINT_NAME, Writer, WriterError};
use crate::clock::Clock;
use crate::ids::{IdRole, SstId, WalId};
use crate::layout::sst_path;
use crate::manifest::decide::{self, FlushRequest};
use crate::memtable::Memtable;
use crate::roles::create::{CreateOutcome, create_resolving};
use crate::sst::{SstMeta, SstReader, build_sst};
use crate::store::ObjectStore;
use bytes::Bytes;

/// A frozen memtable on its way to L0: built once, so a retried flush uploads the same
/// object under the same id.
pub(super) struct PendingFlush {
    pub(super) memtable: Memtable,
    /// Every WAL segment below this one is covered by the memtable (or older SSTs).
    pub(super) wal_replay_point: WalId,
    pub(super) encoded: Bytes,
    pub(super) meta: SstMeta,
}

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// True when a frozen memtable waits to be installed (a flush started and has not
    /// landed yet, for example after a failed upload or install).
    pub fn flush_pending(&self) -> bool {
        self.flushing.is_some()
    }

    /// True when a flush is pending, or the memtable has reached its size limit, or it
    /// holds writes from more WAL segments than recovery should have to replay.
    pub fn needs_flush(&self) -> bool {
        let wal_segments = self
            .next_wal_id
            .0
            .saturating_sub(self.manifest.wal_replay_point.0);
        self.flushing.is_some()
            || self.memtable.size_bytes() >= self.options.memtable_size_bytes
            || (!self.memtable.is_empty()
                && wal_segments >= self.options.wal_segments_flush_trigger)
    }

    /// Flushes the memtable (and first any flush left pending by an earlier failure) to an
    /// L0 SST and installs it. Returns the table installed, or `None` with nothing to flush.
    /// A failure leaves the data readable and the flush pending, to be retried.
    pub async fn flush(&mut self) -> Result<Option<SstMeta>, WriterError> {
        self.check_running()?;
        if self.options.durability == Durability::Checkpoint {
            return self.flush_as_checkpoint().await;
        }
        if self.flushing.is_none() {
            if self.memtable.is_empty() {
                return Ok(None);
            }
            self.freeze_for_flush()?;
        }
        let Some(pending) = self.flushing.as_ref() else {
            return Ok(None);
        };
        let (encoded, meta, replay_point) = (
            pending.encoded.clone(),
            pending.meta.clone(),
            pending.wal_replay_point,
        );
        self.upload_sst(&meta, encoded.clone()).await?;
        let request = FlushRequest {
            writer_epoch: self.epoch,
            sst: meta.clone(),
            wal_replay_point: replay_point,
        };
        let tag = self.write_tag(&format!("flush{}", meta.id.0));
        let installed = self
            .install_own(&tag, |latest| Ok(decide::flush(latest, &request)))
            .await;
        let manifest = match installed {
            Ok(installed) => installed.manifest,
            Err(error) => {
                let error = self.manifest_error(error);
                // An unknown install outcome is resolved by the next attempt (it finds the
                // table live or installs it), so it does not poison the writer.
                if matches!(error, WriterError::Fenced { .. }) {
                    return Err(self.stop_if_terminal(error));
                }
                return Err(error);
            }
        };
        // Paired with `decide::flush`'s rule: the flush holds once the replay point is past.
        assert!(
            manifest.writer_epoch == self.epoch && manifest.wal_replay_point >= replay_point,
            "an installed flush leaves the replay point at or past {}",
            replay_point.0
        );
        self.adopt_manifest(manifest);
        if let Ok(reader) = SstReader::open(encoded) {
            self.cache_reader(meta.id, reader);
        }
        self.flushing = None;
        self.stats.flushes += 1;
        self.stats.flush_bytes += meta.size_bytes;
        self.stats.manifest_installs += 1;
        Ok(Some(meta))
    }

    /// Without a WAL every flush is a checkpoint, so that the newest flushed state is always
    /// one a crash can roll back to exactly.
    async fn flush_as_checkpoint(&mut self) -> Result<Option<SstMeta>, WriterError> {
        if self.flushing.is_none() {
            if self.memtable.is_empty() {
                return Ok(None);
            }
            self.freeze_for_flush()?;
        }
        let meta = self.flushing.as_ref().map(|pending| pending.meta.clone());
        self.checkpoint(WRITER_CHECKPOINT_NAME).await?;
        Ok(meta)
    }

    pub(super) fn freeze_for_flush(&mut self) -> Result<(), WriterError> {
        assert!(self.flushing.is_none(), "one flush in flight at a time");
        let counter = self.next_sst_counter;
        // Checked before the memtable is taken: running out of ids must not drop its writes.
        let id = SstId::compose(IdRole::Writer, self.epoch, counter).ok_or(
            WriterError::SstIdsExhausted {
                epoch: self.epoch,
                counter,
            },
        )?;
        let memtable = std::mem::take(&mut self.memtable);
        // Every write in the memtable holds a sequence number already handed out.
        assert!(memtable.largest_seq() < Some(self.next_seq));
        self.next_sst_counter += 1;
        // Like RocksDB's flush with no snapshots: only each key's newest version survives
        // (tombstones included — older data may lie below).
        let mut previous_key: Option<bytes::Bytes> = None;
        let newest_versions = memtable.iter().filter(|entry| {
            let repeat = previous_key.as_deref() == Some(entry.user_key());
            if !repeat {
                previous_key = Some(entry.key.user_key.clone());
            }
            !repeat
        });
        let built = build_sst(&self.options.sst, newest_versions, id, self.clock.wall_ms());
        let (encoded, meta) = match built {
            Ok(built) => built,
            Err(error) => {
                self.memtable = memtable;
                return Err(WriterError::Build(error));
            }
        };
        // Paired with the memtable's count: the table keeps each key's newest version, the
        // newest write among them.
        assert_eq!(meta.id, id);
        assert_eq!(Some(meta.largest_seq), memtable.largest_seq());
        assert!(meta.entry_count <= memtable.len() as u64);
        self.flushing = Some(PendingFlush {
            memtable,
            wal_replay_point: self.next_wal_id,
            encoded,
            meta,
        });
        Ok(())
    }

    pub(super) async fn upload_sst(
        &mut self,
        meta: &SstMeta,
        encoded: Bytes,
    ) -> Result<(), WriterError> {
        let path = sst_path(meta.id);
        let tag = self.write_tag(&format!("sst{}", meta.id.0));
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
}
