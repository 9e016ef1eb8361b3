//! `lsm_model`: puts (some expiring), deletes, flushes, merges and reads over memtables and
//! SSTs, against a `BTreeMap` oracle — core's model test (`core/tests/lsm_model.rs`), driven
//! by the fuzzer instead of proptest so that it steers towards new branches.
//!
//! Sources are kept newest first: the memtable, then SSTs. A merge replaces a run of
//! adjacent SSTs by one (bottommost when the run reaches the oldest source, so tombstones
//! drop there), with a TTL filter at a chosen time: a key whose newest version is an expired
//! put inside the merged run is gone afterwards, whatever the level.

use arbitrary::Arbitrary;
use bytes::Bytes;
use lsm_core::entry::{Entry, Lookup};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::memtable::Memtable;
use lsm_core::merge::{MergeOptions, MergingIterator, NoFilter, TtlFilter};
use lsm_core::sst::{SstOptions, SstReader, build_sst};
use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

/// Operations per input at most: bounds a run whatever the input length.
const OPS_MAX: usize = 512;
/// Distinct user keys: few, so that versions pile up on the same keys.
const KEYS: u8 = 48;

#[derive(Arbitrary, Debug)]
pub struct Input {
    block_size: u16,
    bloom_bits_per_key: u8,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Put {
        key: u8,
        value: u8,
        len: u8,
    },
    PutExpiring {
        key: u8,
        value: u8,
        expires_at_ms: u8,
    },
    Delete {
        key: u8,
    },
    /// Freeze the memtable and flush it to a new newest SST.
    Flush,
    /// Merge `count` adjacent SSTs starting `skip` from the oldest, filtering TTL at `now_ms`.
    Merge {
        skip: u8,
        count: u8,
        now_ms: u8,
    },
    Get {
        key: u8,
    },
    Scan {
        start: (u8, u8),
        end: (u8, u8),
    },
}

/// The oracle's view of a live key: its value, expiry, and where its newest version lives.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Live {
    value: Bytes,
    expires_at_ms: Option<u64>,
    /// Id of the source holding the newest version (the memtable is `MEMTABLE`).
    source: u64,
}

const MEMTABLE: u64 = 0;

enum Source {
    Memtable(Memtable),
    Sst { id: u64, reader: SstReader },
}

struct World {
    options: SstOptions,
    /// Newest first; the memtable is always first.
    sources: Vec<Source>,
    oracle: BTreeMap<Bytes, Live>,
    next_seq: u64,
    next_id: u64,
}

fn key(k: u8) -> Bytes {
    // Key 0 is the empty key: the smallest there is.
    match k % KEYS {
        0 => Bytes::new(),
        k => Bytes::from(format!("key{k:02}")),
    }
}

pub fn run(input: Input) {
    let options = SstOptions {
        block_size_bytes: usize::from(input.block_size % 2048) + 1,
        bloom_bits_per_key: u32::from(input.bloom_bits_per_key % 20),
        // 1..=17: intervals from "every key whole" to past RocksDB's default.
        block_restart_interval: std::num::NonZeroU32::MIN
            .saturating_add(u32::from(input.block_size % 17)),
    };
    let mut world = World {
        options,
        sources: vec![Source::Memtable(Memtable::new())],
        oracle: BTreeMap::new(),
        next_seq: 1,
        next_id: 1,
    };
    for op in input.ops.iter().take(OPS_MAX) {
        world.step(op);
    }
    for k in 0..KEYS {
        world.check_get(k);
    }
    world.check_scan((0, 0), (0, 0));
}

impl World {
    fn step(&mut self, op: &Op) {
        match *op {
            Op::Put { key: k, value, len } => {
                let value = Bytes::from(vec![value; usize::from(len % 40)]);
                let seq = self.seq();
                self.insert(Entry::put(key(k), seq, value), None);
            }
            Op::PutExpiring {
                key: k,
                value,
                expires_at_ms,
            } => {
                let expires_at_ms = u64::from(expires_at_ms);
                let seq = self.seq();
                let entry = Entry::put_expiring(key(k), seq, vec![value], expires_at_ms);
                self.insert(entry, Some(expires_at_ms));
            }
            Op::Delete { key: k } => {
                let seq = self.seq();
                let entry = Entry::delete(key(k), seq);
                self.memtable()
                    .insert(entry)
                    .expect("fresh sequence number");
                self.oracle.remove(&key(k));
            }
            Op::Flush => self.flush(),
            Op::Merge {
                skip,
                count,
                now_ms,
            } => self.merge(skip, count, u64::from(now_ms)),
            Op::Get { key: k } => self.check_get(k),
            Op::Scan { start, end } => self.check_scan(start, end),
        }
    }

    fn seq(&mut self) -> SeqNum {
        let seq = SeqNum(self.next_seq);
        self.next_seq += 1;
        seq
    }

    fn memtable(&mut self) -> &mut Memtable {
        match self.sources.first_mut() {
            Some(Source::Memtable(memtable)) => memtable,
            _ => unreachable!("the memtable is always the newest source"),
        }
    }

    fn insert(&mut self, entry: Entry, expires_at_ms: Option<u64>) {
        let live = Live {
            value: entry.value.clone(),
            expires_at_ms,
            source: MEMTABLE,
        };
        self.oracle.insert(entry.key.user_key.clone(), live);
        self.memtable()
            .insert(entry)
            .expect("fresh sequence number");
    }

    fn flush(&mut self) {
        if self.memtable().is_empty() {
            return;
        }
        let frozen = std::mem::take(self.memtable()).freeze();
        let id = self.fresh_id();
        let (bytes, meta) = build_sst(&self.options, frozen.iter(), SstId(id), 0)
            .expect("a memtable builds a table");
        assert_eq!(meta.entry_count as usize, frozen.len());
        let reader = SstReader::open(bytes).expect("a built table opens");
        self.sources.insert(1, Source::Sst { id, reader });
        for live in self.oracle.values_mut() {
            if live.source == MEMTABLE {
                live.source = id;
            }
        }
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Merges SSTs `sources[first..=last]` (newest first), counted from the oldest.
    fn merge(&mut self, skip: u8, count: u8, now_ms: u64) {
        let tables = self.sources.len() - 1;
        if tables == 0 {
            return;
        }
        let skip = usize::from(skip) % tables;
        let count = usize::from(count) % (tables - skip) + 1;
        let last = self.sources.len() - 1 - skip;
        let first = last + 1 - count;
        let bottommost = skip == 0;
        let inputs: Vec<_> = self.sources[first..=last]
            .iter()
            .map(|source| read_all(source).into_iter())
            .collect();
        let merged: Vec<Entry> =
            MergingIterator::new(inputs, MergeOptions { bottommost }, TtlFilter { now_ms })
                .map(|entry| entry.expect("built tables merge cleanly"))
                .collect();
        let merged_ids: Vec<u64> = self.sources[first..=last]
            .iter()
            .map(|source| match source {
                Source::Sst { id, .. } => *id,
                Source::Memtable(_) => unreachable!("only tables are merged"),
            })
            .collect();
        let replacement = if merged.is_empty() {
            Vec::new()
        } else {
            let id = self.fresh_id();
            let (bytes, _) = build_sst(&self.options, merged.iter(), SstId(id), 0)
                .expect("merged entries build a table");
            let reader = SstReader::open(bytes).expect("a built table opens");
            vec![Source::Sst { id, reader }]
        };
        let new_id = match replacement.first() {
            Some(Source::Sst { id, .. }) => *id,
            _ => 0,
        };
        self.sources.splice(first..=last, replacement);
        self.oracle.retain(|_, live| {
            if !merged_ids.contains(&live.source) {
                return true;
            }
            if live.expires_at_ms.is_some_and(|expiry| expiry <= now_ms) {
                return false;
            }
            live.source = new_id;
            true
        });
    }

    fn check_get(&self, k: u8) {
        let user_key = key(k);
        let mut found = None;
        for source in &self.sources {
            let lookup = match source {
                Source::Memtable(memtable) => memtable.get(&user_key),
                Source::Sst { reader, .. } => reader.get(&user_key).expect("built table").0,
            };
            match lookup {
                Lookup::Found(entry) => {
                    found = Some(entry.value);
                    break;
                }
                Lookup::Deleted(_) => break,
                Lookup::Absent => {}
            }
        }
        let expected = self.oracle.get(&user_key).map(|live| live.value.clone());
        assert_eq!(found, expected, "point lookup of {user_key:?}");
    }

    fn check_scan(&self, start: (u8, u8), end: (u8, u8)) {
        let (start, end) = (bound(start), bound(end));
        let inputs: Vec<_> = self
            .sources
            .iter()
            .map(|source| read_range(source, as_slice(&start), as_slice(&end)).into_iter())
            .collect();
        let scanned: Vec<(Bytes, Bytes)> =
            MergingIterator::new(inputs, MergeOptions { bottommost: true }, NoFilter)
                .map(|entry| {
                    let entry = entry.expect("built tables scan cleanly");
                    (entry.key.user_key, entry.value)
                })
                .collect();
        let range = (start.clone(), end.clone());
        let expected: Vec<(Bytes, Bytes)> = self
            .oracle
            .iter()
            .filter(|(key, _)| RangeBounds::<Bytes>::contains(&range, *key))
            .map(|(key, live)| (key.clone(), live.value.clone()))
            .collect();
        assert_eq!(scanned, expected, "scan {start:?}..{end:?}");
    }
}

fn bound((kind, k): (u8, u8)) -> Bound<Bytes> {
    match kind % 3 {
        0 => Bound::Unbounded,
        1 => Bound::Included(key(k)),
        _ => Bound::Excluded(key(k)),
    }
}

fn read_all(source: &Source) -> Vec<Result<Entry, lsm_core::codec::DecodeError>> {
    read_range(source, Bound::Unbounded, Bound::Unbounded)
}

fn read_range(
    source: &Source,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
) -> Vec<Result<Entry, lsm_core::codec::DecodeError>> {
    match source {
        Source::Memtable(memtable) => memtable.range(start, end).map(Ok).collect(),
        Source::Sst { reader, .. } => reader.iter_bounds(start, end).collect(),
    }
}

fn as_slice(bound: &Bound<Bytes>) -> Bound<&[u8]> {
    bound.as_ref().map(|key| &key[..])
}
