//! Point reads: memtable, the memtable being flushed, L0 newest first, then each level.

use super::{ReadCost, Writer, WriterError};
use crate::clock::Clock;
use crate::entry::{Entry, Lookup};
use crate::ids::SstId;
use crate::layout::sst_path;
use crate::manifest::Manifest;
use crate::roles::retry::retry_idempotent;
use crate::sst::{LookupKey, SstReader};
use crate::store::{GetRange, ObjectStore};
use bytes::Bytes;

/// The value a read found (`None`: absent, deleted or expired) and what finding it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadResult {
    pub value: Option<Bytes>,
    pub cost: ReadCost,
}

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// The newest durable value of `key`. Does not check leadership: call
    /// [`Writer::confirm_leadership`] before answering a client with it.
    pub async fn get(&mut self, key: &[u8]) -> Result<ReadResult, WriterError> {
        self.check_running()?;
        self.stats.reads += 1;
        let mut cost = ReadCost::default();
        let now_ms = self.clock.wall_ms();
        let resolve = |lookup: Lookup| match lookup {
            Lookup::Found(entry) => Some(visible_value(&entry, now_ms)),
            Lookup::Deleted(_) => Some(None),
            Lookup::Absent => None,
        };
        cost.sorted_runs += 1;
        if let Some(value) = resolve(self.memtable.get(key)) {
            return Ok(ReadResult { value, cost });
        }
        if let Some(pending) = &self.flushing {
            cost.sorted_runs += 1;
            if let Some(value) = resolve(pending.memtable.get(key)) {
                return Ok(ReadResult { value, cost });
            }
        }
        // Ids, not metas: a read past a deep L0 would clone every table's key bounds.
        let ids: Vec<SstId> = (self.manifest.tables_that_may_hold(key))
            .map(|sst| sst.id)
            .collect();
        let probe = LookupKey::new(key);
        for id in ids {
            cost.sorted_runs += 1;
            // A cached reader is probed in place, not cloned: a read past a deep L0 (FIFO)
            // probes hundreds of tables.
            let looked_up = match self.sst_cache.get(&id) {
                Some(reader) => reader.lookup(probe),
                None => self.reader_for(id, &mut cost).await?.lookup(probe),
            };
            let (lookup, stats) = looked_up.map_err(|error| WriterError::CorruptSst {
                path: sst_path(id),
                error,
            })?;
            cost.blocks += stats.blocks_read.len() as u32;
            cost.bytes += stats.bytes_read;
            if let Some(value) = resolve(lookup) {
                return Ok(ReadResult { value, cost });
            }
        }
        Ok(ReadResult { value: None, cost })
    }

    pub(super) async fn reader_for(
        &mut self,
        id: SstId,
        cost: &mut ReadCost,
    ) -> Result<SstReader, WriterError> {
        if let Some(reader) = self.sst_cache.get(&id) {
            return Ok(reader.clone());
        }
        let path = sst_path(id);
        let got = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store.get(&path, GetRange::Whole)
        })
        .await
        .map_err(WriterError::Store)?;
        cost.sst_fetches += 1;
        let reader =
            SstReader::open(got.bytes).map_err(|error| WriterError::CorruptSst { path, error })?;
        self.cache_reader(id, reader.clone());
        Ok(reader)
    }

    /// Moves the writer to `manifest` and drops the cached readers of tables it no longer
    /// names: the writer reads only live tables, so a dead table's bytes would be held for
    /// nothing (a long run otherwise keeps up to `sst_cache_entries_max` dead tables).
    pub(super) fn adopt_manifest(&mut self, manifest: Manifest) {
        assert!(
            manifest.version >= self.manifest.version,
            "the writer's manifest never moves back"
        );
        self.manifest = manifest;
        let live = self.manifest.live_sst_ids();
        self.sst_cache.retain(|id, _| live.contains(id));
    }

    /// Keeps `reader` (of a live table) for later reads; when the cache is full, the lowest
    /// ids go (every cached table is live: [`Writer::adopt_manifest`] drops the others).
    pub(super) fn cache_reader(&mut self, id: SstId, reader: SstReader) {
        assert!(self.manifest.is_live(id), "only live tables are cached");
        // Bounded: each pass removes one of the cache's entries.
        while self.sst_cache.len() >= self.options.sst_cache_entries_max.max(1) {
            self.sst_cache.pop_first();
        }
        self.sst_cache.insert(id, reader);
        assert!(
            self.sst_cache.len() <= self.options.sst_cache_entries_max.max(1),
            "the reader cache stays within its bound"
        );
    }
}

/// A put's value unless it has expired by the reader's clock.
fn visible_value(entry: &Entry, now_ms: u64) -> Option<Bytes> {
    if entry.is_expired_at(now_ms) {
        None
    } else {
        Some(entry.value.clone())
    }
}
