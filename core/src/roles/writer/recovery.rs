//! Opening a writer: fence older incarnations (and their compactor, when compaction is
//! embedded), replay the WAL, fence the WAL.

use super::{Durability, Writer, WriterError, WriterOptions, WriterStats};
#[cfg(feature = "bugs")]
use crate::bugs::Bug;
use crate::clock::Clock;
use crate::ids::{Epoch, SeqNum, WalId};
use crate::layout::{WAL_PREFIX, parse_wal_path, wal_path};
use crate::manifest::Manifest;
use crate::manifest::decide;
use crate::memtable::Memtable;
use crate::roles::compactor::JobEngine;
use crate::roles::create::CreateOutcome;
use crate::roles::manifest_io::{ManifestIoError, install};
use crate::roles::retry::retry_idempotent;
use crate::store::{GetRange, ObjectStore};
use crate::wal::decode_segment_expecting;
use std::collections::BTreeMap;

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// Starts a new writer incarnation: bumps the writer epoch in the manifest (so an older
    /// writer can no longer install a flush), replays every WAL segment from the replay point
    /// into the memtable, then creates the next segment itself (so an older writer can no
    /// longer make a write durable). `tag` distinguishes this incarnation's writes (for
    /// example the node name and its restart count); it must be unique per call.
    pub async fn open(
        store: S,
        clock: C,
        options: WriterOptions,
        tag: &str,
    ) -> Result<Writer<S, C>, WriterError> {
        let fence_tag = format!("writer-open/{tag}");
        let fenced = install(
            &store,
            &clock,
            &options.retry,
            options.cas_attempts_max,
            &fence_tag,
            decide::fence_writer,
        )
        .await;
        let manifest = fenced.map_err(open_error)?.manifest;
        let epoch = manifest.writer_epoch;
        let (manifest, compactor) = match options.embedded_compactor() {
            Some(engine_options) => {
                let manifest = fence_compactor(&store, &clock, &options, tag, epoch).await?;
                let engine = JobEngine::new(
                    engine_options,
                    format!("writer/e{}/compactor", epoch.0),
                    manifest.compactor_epoch,
                    Some(epoch),
                );
                (manifest, Some(engine))
            }
            None => (manifest, None),
        };
        let mut writer = Writer {
            store,
            clock,
            options,
            epoch,
            next_seq: SeqNum(manifest.last_seq.0 + 1),
            next_wal_id: manifest.wal_replay_point,
            manifest,
            memtable: Memtable::new(),
            flushing: None,
            next_sst_counter: 0,
            sst_cache: BTreeMap::new(),
            compactor,
            compaction_installs_started: 0,
            stopped: None,
            stats: WriterStats::default(),
        };
        if writer.options.durability == Durability::Wal {
            writer.replay_listed_segments().await?;
            writer.fence_wal().await?;
            // Paired with `create_wal_segment`: no new segment lies below the replay point.
            assert!(writer.next_wal_id > writer.manifest.wal_replay_point);
        }
        // Replay continues numbering after every replayed and every persisted write.
        assert!(writer.next_seq > writer.manifest.last_seq);
        assert!(
            writer
                .memtable
                .largest_seq()
                .is_none_or(|largest| largest < writer.next_seq)
        );
        // An incarnation paused between its epoch bump and its WAL fence may finish opening
        // after a newer one started; its WAL fence then succeeds at a later segment. It must
        // not serve: confirm the epoch is still current before acknowledging anything.
        writer.refresh_manifest().await?;
        Ok(writer)
    }

    /// Replays, in order, every segment at or after the replay point that exists now.
    async fn replay_listed_segments(&mut self) -> Result<(), WriterError> {
        let listed = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store.list(WAL_PREFIX)
        })
        .await
        .map_err(WriterError::Store)?;
        let mut ids: Vec<WalId> = listed
            .iter()
            .filter_map(|meta| parse_wal_path(&meta.path))
            .filter(|id| *id >= self.manifest.wal_replay_point)
            .collect();
        ids.sort();
        for id in ids {
            if id != self.next_wal_id {
                return Err(WriterError::WalGap {
                    missing: self.next_wal_id.0,
                });
            }
            self.replay_segment(id).await?;
            assert!(
                self.next_wal_id > id,
                "replay moves past the segment it read"
            );
        }
        Ok(())
    }

    /// Applies the entries of segment `id` newer than the manifest's last sequence number.
    async fn replay_segment(&mut self, id: WalId) -> Result<(), WriterError> {
        let path = wal_path(id);
        let got = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store.get(&path, GetRange::Whole)
        })
        .await
        .map_err(WriterError::Store)?;
        let segment = decode_segment_expecting(&got.bytes, id)
            .map_err(|error| WriterError::CorruptWal { path, error })?;
        assert_eq!(
            id, self.next_wal_id,
            "segments replay in order, without a gap"
        );
        // BUG (`wal-replay-off-by-one`): the segment at the replay point is skipped.
        #[cfg(feature = "bugs")]
        if self.options.bugs.has(Bug::WalReplayOffByOne) && id == self.manifest.wal_replay_point {
            self.stats.wal_segments_replayed += 1;
            self.next_wal_id = WalId(id.0 + 1);
            return Ok(());
        }
        for entry in segment.entries() {
            if entry.seq() <= self.manifest.last_seq {
                continue;
            }
            self.next_seq = SeqNum(self.next_seq.0.max(entry.seq().0 + 1));
            self.memtable
                .insert(entry.clone())
                .map_err(WriterError::Memtable)?;
            self.stats.entries_replayed += 1;
        }
        self.stats.wal_segments_replayed += 1;
        self.next_wal_id = WalId(id.0 + 1);
        Ok(())
    }

    /// Creates an empty segment at the next id. If an older writer got there first, its
    /// segment is durable (it may have acknowledged it): replay it and try the next id.
    async fn fence_wal(&mut self) -> Result<(), WriterError> {
        let attempts = self.options.recovery_fence_attempts_max.max(1);
        for _ in 0..attempts {
            let id = self.next_wal_id;
            match self.create_wal_segment(id, &[], "fence").await? {
                (CreateOutcome::Created, _) => {
                    self.next_wal_id = WalId(id.0 + 1);
                    return Ok(());
                }
                (CreateOutcome::Taken { .. }, _) => self.replay_segment(id).await?,
            }
        }
        Err(WriterError::FenceContention { attempts })
    }

    /// Reads the newest manifest, so reads see tables installed by others.
    pub async fn refresh_manifest(&mut self) -> Result<&Manifest, WriterError> {
        self.check_running()?;
        let latest = crate::roles::manifest_io::read_latest_manifest(
            &self.store,
            &self.clock,
            &self.options.retry,
        )
        .await
        .map_err(|error| self.manifest_error(error))?;
        if latest.writer_epoch != self.epoch {
            assert!(latest.writer_epoch > self.epoch, "writer epoch went back");
            let fenced = WriterError::Fenced {
                epoch: self.epoch,
                detail: format!("manifest names writer epoch {}", latest.writer_epoch),
            };
            return Err(self.stop_if_terminal(fenced));
        }
        self.adopt_manifest(latest);
        Ok(&self.manifest)
    }
}

/// Embedded compaction: bumps the compactor epoch too, so that an older incarnation's
/// compactor (or a standalone one) can no longer install. Refused if another writer fenced
/// `writer_epoch` in the meantime: this incarnation is already a zombie.
async fn fence_compactor<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    options: &WriterOptions,
    tag: &str,
    writer_epoch: Epoch,
) -> Result<Manifest, WriterError> {
    let fence_tag = format!("writer-open/{tag}/compactor");
    let fenced = install(
        store,
        clock,
        &options.retry,
        options.cas_attempts_max,
        &fence_tag,
        |latest| decide::fence_compactor(latest, Some(writer_epoch)),
    )
    .await;
    fenced
        .map(|installed| installed.manifest)
        .map_err(|error| match error {
            ManifestIoError::Rejected(rejected) if rejected.is_fenced() => WriterError::Fenced {
                epoch: writer_epoch,
                detail: rejected.to_string(),
            },
            other => open_error(other),
        })
}

fn open_error(error: ManifestIoError) -> WriterError {
    match error {
        ManifestIoError::Unresolved { path } => WriterError::Unresolved { path },
        other => WriterError::Manifest(other),
    }
}
