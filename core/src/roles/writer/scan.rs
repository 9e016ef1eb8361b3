//! Range reads: the memtable, the memtable being flushed, L0 newest first and every level,
//! merged by core's merging iterator; tombstones and expired puts are hidden as `get` hides
//! them.

use super::{ReadCost, Writer, WriterError};
use crate::clock::Clock;
use crate::codec::DecodeError;
use crate::compaction::ExecuteError;
use crate::entry::Entry;
use crate::layout::sst_path;
use crate::merge::{MergeError, MergeOptions, MergingIterator, NoFilter};
use crate::sst::SstMeta;
use crate::store::ObjectStore;
use bytes::Bytes;
use std::ops::{Bound, RangeBounds};

type Source = Box<dyn Iterator<Item = Result<Entry, DecodeError>> + Send>;

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// The newest durable value of every key in `range`, in key order, at most `limit`
    /// pairs. Like [`Writer::get`] it does not check leadership: call
    /// [`Writer::confirm_leadership`] before answering a client with it.
    pub async fn scan(
        &mut self,
        range: impl RangeBounds<Bytes>,
        limit: usize,
    ) -> Result<Vec<(Bytes, Bytes)>, WriterError> {
        self.check_running()?;
        let start = range.start_bound().map(|key| key.as_ref());
        let end = range.end_bound().map(|key| key.as_ref());
        let now_ms = self.clock.wall_ms();
        // Newest first: of two versions with the same sequence number the earlier wins.
        let mut sources: Vec<Source> = Vec::new();
        let memtable: Vec<Entry> = self.memtable.range(start, end).collect();
        sources.push(Box::new(memtable.into_iter().map(Ok)));
        if let Some(pending) = &self.flushing {
            let flushing: Vec<Entry> = pending.memtable.range(start, end).collect();
            sources.push(Box::new(flushing.into_iter().map(Ok)));
        }
        let tables: Vec<SstMeta> = self
            .manifest
            .l0
            .iter()
            .chain(self.manifest.levels.iter().flatten())
            .filter(|meta| table_in_bounds(meta, start, end))
            .cloned()
            .collect();
        let memtables = sources.len();
        let mut cost = ReadCost::default();
        for meta in &tables {
            let reader = self.reader_for(meta.id, &mut cost).await?;
            sources.push(Box::new(reader.iter_bounds(start, end)));
        }
        // Bottommost: nothing older lies below a read, so tombstones are dropped.
        let merging = MergingIterator::new(sources, MergeOptions { bottommost: true }, NoFilter);
        let mut found = Vec::new();
        for merged in merging {
            let entry = merged.map_err(|error| scan_error(error, &tables, memtables))?;
            if found.len() >= limit {
                break;
            }
            if entry.is_tombstone() || entry.is_expired_at(now_ms) {
                continue;
            }
            assert!(
                found
                    .last()
                    .is_none_or(|(key, _): &(Bytes, Bytes)| key < &entry.key.user_key),
                "a merge yields each user key once, in order"
            );
            found.push((entry.key.user_key.clone(), entry.value.clone()));
        }
        assert!(found.len() <= limit);
        self.stats.reads += 1;
        Ok(found)
    }
}

/// A table that failed to decode is named; anything else is the merge's own refusal.
fn scan_error(error: MergeError, tables: &[SstMeta], memtables: usize) -> WriterError {
    match error {
        MergeError::Source {
            source_index,
            error,
        } if source_index >= memtables => WriterError::CorruptSst {
            path: sst_path(tables[source_index - memtables].id),
            error,
        },
        other => WriterError::Compaction(ExecuteError::Merge(other)),
    }
}

/// True when the table's key range meets the bounds.
fn table_in_bounds(meta: &SstMeta, start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    let after_start = match start {
        Bound::Included(key) => &meta.largest_key[..] >= key,
        Bound::Excluded(key) => &meta.largest_key[..] > key,
        Bound::Unbounded => true,
    };
    let before_end = match end {
        Bound::Included(key) => &meta.smallest_key[..] <= key,
        Bound::Excluded(key) => &meta.smallest_key[..] < key,
        Bound::Unbounded => true,
    };
    after_start && before_end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::writer::{WriteOp, WriterOptions};
    use crate::store::MemoryStore;
    use std::collections::BTreeMap;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    /// Time that moves only when someone sleeps or the test advances it.
    #[derive(Clone, Default)]
    struct StepClock {
        now_ms: Arc<AtomicU64>,
    }

    impl Clock for StepClock {
        fn monotonic(&self) -> Duration {
            Duration::from_millis(self.now_ms.load(Ordering::SeqCst))
        }

        fn wall_ms(&self) -> u64 {
            1_000_000 + self.now_ms.load(Ordering::SeqCst)
        }

        fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
            self.now_ms
                .fetch_add(duration.as_millis() as u64, Ordering::SeqCst);
            std::future::ready(())
        }
    }

    /// The in-memory store never waits: polling to completion needs no runtime.
    fn run<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut context = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
    }

    fn put(key: &str, value: &str, expires_at_ms: Option<u64>) -> WriteOp {
        WriteOp::Put {
            key: Bytes::from(key.to_string()),
            value: Bytes::from(value.to_string()),
            expires_at_ms,
        }
    }

    fn key(text: &str) -> Bytes {
        Bytes::from(text.to_string())
    }

    type TestWriter = Writer<Arc<MemoryStore>, StepClock>;

    fn writer(clock: &StepClock) -> TestWriter {
        let options = WriterOptions {
            memtable_size_bytes: 1 << 10,
            ..WriterOptions::default()
        };
        let store = Arc::new(MemoryStore::new());
        run(Writer::open(store, clock.clone(), options, "scan-test")).expect("opens")
    }

    #[test]
    fn scan_merges_memtable_and_tables_newest_first() {
        let clock = StepClock::default();
        let mut writer = writer(&clock);
        let mut model = BTreeMap::new();
        for round in 0..6 {
            for i in 0..40 {
                let name = format!("k{:03}", (i * 7 + round) % 90);
                let op = if (i + round) % 5 == 0 {
                    model.remove(&name);
                    WriteOp::Delete { key: key(&name) }
                } else {
                    let value = format!("v{round}-{i}");
                    model.insert(name.clone(), value.clone());
                    put(&name, &value, None)
                };
                run(writer.commit(&[op])).expect("commits");
            }
            if writer.needs_flush() {
                run(writer.flush()).expect("flushes");
            }
        }
        assert!(
            writer.manifest().l0.len() >= 2,
            "the scan must cross tables"
        );
        let all = run(writer.scan(.., usize::MAX)).expect("scans");
        let expected: Vec<(Bytes, Bytes)> = model
            .iter()
            .map(|(k, v)| (key(k), Bytes::from(v.clone())))
            .collect();
        assert_eq!(all, expected);
        let bounded = run(writer.scan(key("k010")..key("k020"), 3)).expect("scans a range");
        let expected_bounded: Vec<(Bytes, Bytes)> = expected
            .iter()
            .filter(|(k, _)| k >= &key("k010") && k < &key("k020"))
            .take(3)
            .cloned()
            .collect();
        assert_eq!(bounded, expected_bounded);
    }

    #[test]
    fn scan_hides_expired_puts() {
        let clock = StepClock::default();
        let mut writer = writer(&clock);
        let soon = clock.wall_ms() + 50;
        run(writer.commit(&[put("a", "1", Some(soon)), put("b", "2", None)])).expect("commits");
        assert_eq!(run(writer.scan(.., 10)).expect("scans").len(), 2);
        run(clock.sleep(Duration::from_millis(100)));
        let left = run(writer.scan(.., 10)).expect("scans");
        assert_eq!(left, vec![(key("b"), key("2"))]);
    }
}
