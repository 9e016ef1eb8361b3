//! Read-only access to a checkpoint, or to any manifest version still in the store.
//!
//! A checkpoint names a manifest version; the manifest objects are immutable and every
//! table that version references must stay in the store while the checkpoint is listed
//! (deferred deletion, [`crate::gc`]). Reading one is therefore plain: decode that version
//! and merge its tables. The reader never writes to the store. A missing or damaged table
//! is a typed error naming its path, which the simulator's checks turn into a checkpoint
//! stability or reference integrity failure.

mod content;
mod digest;
mod error;

pub use content::visible_content;
use content::visible_value;
pub use digest::content_digest;
pub use error::{CheckpointReadError, TableDefect};

use crate::checksum::crc32c;
use crate::clock::Clock;
use crate::entry::{Lookup, WallMs};
use crate::ids::{CheckpointId, ManifestVersion, SstId};
use crate::layout::{manifest_path, sst_path};
use crate::manifest::{Checkpoint, Manifest};
use crate::merge::MergeError;
use crate::roles::manifest_io::{ManifestIoError, read_latest_manifest, read_manifest};
use crate::roles::retry::{RetryPolicy, retry_idempotent};
use crate::sst::{SstMeta, SstReader};
use crate::store::{GetRange, ObjectStore, StoreError};
use bytes::Bytes;
use std::collections::BTreeMap;

/// Opened tables kept for later point reads; beyond this the lowest ids go first.
pub const TABLES_CACHED_MAX: usize = 256;

/// One manifest version opened read-only.
pub struct CheckpointReader<S, C> {
    store: S,
    clock: C,
    retry: RetryPolicy,
    manifest: Manifest,
    /// The checkpoint opened, when opened through one.
    checkpoint: Option<Checkpoint>,
    tables: BTreeMap<SstId, SstReader>,
}

impl<S: ObjectStore, C: Clock> CheckpointReader<S, C> {
    /// Opens the checkpoint `id` as listed in the newest manifest; `NotLive` when it is not
    /// listed there (never created, expired and removed, or released).
    pub async fn open(
        store: S,
        clock: C,
        retry: RetryPolicy,
        id: CheckpointId,
    ) -> Result<Self, CheckpointReadError> {
        let newest = read_latest_manifest(&store, &clock, &retry)
            .await
            .map_err(CheckpointReadError::Manifest)?;
        let Some(checkpoint) = newest.checkpoints.iter().find(|c| c.id == id).cloned() else {
            return Err(CheckpointReadError::NotLive {
                id,
                newest_version: newest.version,
            });
        };
        let mut reader =
            Self::open_version(store, clock, retry, checkpoint.manifest_version).await?;
        // Paired with `checkpoints_refer_to_past_versions`: the version named is at or
        // below the newest.
        assert!(reader.manifest.version <= newest.version);
        reader.checkpoint = Some(checkpoint);
        Ok(reader)
    }

    /// Opens manifest version `version`, whether or not a checkpoint protects it (without
    /// one, its tables may be collected at any time). Version 0 is the empty tree, which
    /// is never stored.
    pub async fn open_version(
        store: S,
        clock: C,
        retry: RetryPolicy,
        version: ManifestVersion,
    ) -> Result<Self, CheckpointReadError> {
        let manifest = if version == ManifestVersion(0) {
            Manifest::initial()
        } else {
            let path = manifest_path(version);
            read_manifest(&store, &clock, &retry, &path)
                .await
                .map_err(|error| match error {
                    ManifestIoError::Store(StoreError::NotFound { .. }) => {
                        CheckpointReadError::VersionMissing { version, path }
                    }
                    other => CheckpointReadError::Manifest(other),
                })?
        };
        Ok(CheckpointReader {
            store,
            clock,
            retry,
            manifest,
            checkpoint: None,
            tables: BTreeMap::new(),
        })
    }

    /// The opened version.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The checkpoint opened, when opened through [`CheckpointReader::open`].
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref()
    }

    /// The newest value of `key` in the opened version (`None`: absent or deleted). TTL is
    /// not applied; see [`CheckpointReader::get_at`].
    pub async fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>, CheckpointReadError> {
        self.get_at(key, None).await
    }

    /// The newest value of `key`: L0 newest first, then one table per level; a tombstone
    /// hides older versions. With `now_wall_ms`, a put expired by then reads as absent.
    pub async fn get_at(
        &mut self,
        key: &[u8],
        now_wall_ms: Option<WallMs>,
    ) -> Result<Option<Bytes>, CheckpointReadError> {
        let tables: Vec<SstMeta> = (self.manifest.tables_that_may_hold(key)).cloned().collect();
        for meta in tables {
            let reader = self.table(&meta).await?;
            let (lookup, _) = reader.get(key).map_err(|error| corrupt(&meta, error))?;
            match lookup {
                Lookup::Found(entry) => return Ok(visible_value(&entry, now_wall_ms)),
                Lookup::Deleted(_) => return Ok(None),
                Lookup::Absent => {}
            }
        }
        Ok(None)
    }

    /// Every visible key of the opened version with its value, in key order: the newest
    /// version of each key, tombstones hiding older ones, and (with `now_wall_ms`) puts
    /// expired by then hidden. Holds every table in memory while it merges.
    pub async fn scan_all(
        &mut self,
        now_wall_ms: Option<WallMs>,
    ) -> Result<BTreeMap<Bytes, Bytes>, CheckpointReadError> {
        let metas: Vec<SstMeta> = self.manifest.all_live_ssts().cloned().collect();
        let mut tables = Vec::with_capacity(metas.len());
        for meta in &metas {
            tables.push(self.table(meta).await?);
        }
        visible_content(&tables, now_wall_ms).map_err(|error| merge_error(&metas, error))
    }

    /// The opened table `meta` names, fetched and verified on first use.
    async fn table(&mut self, meta: &SstMeta) -> Result<SstReader, CheckpointReadError> {
        if let Some(reader) = self.tables.get(&meta.id) {
            return Ok(reader.clone());
        }
        let reader = fetch_table(&self.store, &self.clock, &self.retry, meta).await?;
        while self.tables.len() >= TABLES_CACHED_MAX {
            self.tables.pop_first();
        }
        self.tables.insert(meta.id, reader.clone());
        assert!(self.tables.len() <= TABLES_CACHED_MAX);
        Ok(reader)
    }
}

/// Fetches a table and checks it against its manifest entry before trusting it.
async fn fetch_table<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    retry: &RetryPolicy,
    meta: &SstMeta,
) -> Result<SstReader, CheckpointReadError> {
    let path = sst_path(meta.id);
    let got = retry_idempotent(clock, retry, || store.get(&path, GetRange::Whole))
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => CheckpointReadError::MissingTable {
                id: meta.id,
                path: path.clone(),
            },
            error => CheckpointReadError::Store {
                path: path.clone(),
                error,
            },
        })?;
    let found_size = got.bytes.len() as u64;
    if found_size != meta.size_bytes {
        return Err(defect(
            meta,
            TableDefect::SizeMismatch {
                expected: meta.size_bytes,
                found: found_size,
            },
        ));
    }
    let found_crc = crc32c(&got.bytes);
    if found_crc != meta.object_crc32c {
        return Err(defect(
            meta,
            TableDefect::ChecksumMismatch {
                expected: meta.object_crc32c,
                found: found_crc,
            },
        ));
    }
    SstReader::open(got.bytes).map_err(|error| corrupt(meta, error))
}

fn defect(meta: &SstMeta, defect: TableDefect) -> CheckpointReadError {
    CheckpointReadError::CorruptTable {
        id: meta.id,
        path: sst_path(meta.id),
        defect,
    }
}

fn corrupt(meta: &SstMeta, error: crate::codec::DecodeError) -> CheckpointReadError {
    defect(meta, TableDefect::Decode(error))
}

/// Names the table behind a merge source.
fn merge_error(metas: &[SstMeta], error: MergeError) -> CheckpointReadError {
    let (source_index, table_defect) = match error {
        MergeError::Source {
            source_index,
            error,
        } => (source_index, TableDefect::Decode(error)),
        MergeError::OutOfOrder {
            source_index,
            user_key,
            seq,
        } => (source_index, TableDefect::OutOfOrder { user_key, seq }),
    };
    // The merge's sources are the tables of `metas`, in the same order.
    assert!(
        source_index < metas.len(),
        "merge source {source_index} unknown"
    );
    defect(&metas[source_index], table_defect)
}
