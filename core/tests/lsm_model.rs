//! Model test: memtables, SSTs and the merge together behave as one `BTreeMap`.
//! Random puts, deletes and overwrites land in several sources (the oldest flushed to SSTs,
//! the newest still a memtable); point lookups and range scans must match the oracle, and so
//! must the same data after merging every source into one table.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::codec::DecodeError;
use lsm_core::entry::{Entry, Lookup};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::memtable::Memtable;
use lsm_core::merge::{MergeOptions, MergingIterator, NoFilter};
use lsm_core::sst::{SstOptions, SstReader, build_sst};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

#[derive(Clone, Debug)]
enum Op {
    Put(u8, u8),
    Delete(u8),
    /// Ends the current source: it is frozen (and flushed unless it is the last).
    Cut,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..40, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (0u8..40).prop_map(Op::Delete),
        1 => Just(Op::Cut),
    ]
}

fn key(k: u8) -> Bytes {
    Bytes::from(format!("key{k:02}"))
}

/// A source, newest first in the lists below: a memtable or an SST.
enum Source {
    Memtable(Memtable),
    Sst(SstReader),
}

impl Source {
    fn get(&self, user_key: &[u8]) -> Lookup {
        match self {
            Source::Memtable(memtable) => memtable.get(user_key),
            Source::Sst(reader) => reader.get(user_key).unwrap().0,
        }
    }

    fn range(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Vec<Result<Entry, DecodeError>> {
        match self {
            Source::Memtable(memtable) => memtable.range(start, end).map(Ok).collect(),
            Source::Sst(reader) => reader.iter_bounds(start, end).collect(),
        }
    }
}

fn build(ops: &[Op], options: &SstOptions) -> (Vec<Source>, BTreeMap<Bytes, Bytes>) {
    let mut oracle = BTreeMap::new();
    let mut sources = Vec::new();
    let mut memtable = Memtable::new();
    let mut next_id = 1;
    for (seq, op) in ops.iter().enumerate() {
        let seq = SeqNum(seq as u64 + 1);
        match op {
            Op::Put(k, v) => {
                let value = Bytes::from(vec![*v; (*v as usize % 13) + 1]);
                oracle.insert(key(*k), value.clone());
                memtable.insert(Entry::put(key(*k), seq, value)).unwrap();
            }
            Op::Delete(k) => {
                oracle.remove(&key(*k));
                memtable.insert(Entry::delete(key(*k), seq)).unwrap();
            }
            Op::Cut => {
                if !memtable.is_empty() {
                    let frozen = std::mem::take(&mut memtable).freeze();
                    let (bytes, meta) =
                        build_sst(options, frozen.iter(), SstId(next_id), 0).unwrap();
                    assert_eq!(meta.entry_count as usize, frozen.len());
                    next_id += 1;
                    sources.push(Source::Sst(SstReader::open(bytes).unwrap()));
                }
            }
        }
    }
    sources.push(Source::Memtable(memtable));
    sources.reverse();
    (sources, oracle)
}

fn lookup(sources: &[Source], user_key: &[u8]) -> Option<Bytes> {
    for source in sources {
        match source.get(user_key) {
            Lookup::Found(entry) => return Some(entry.value),
            Lookup::Deleted(_) => return None,
            Lookup::Absent => {}
        }
    }
    None
}

fn scan(sources: &[Source], start: Bound<&[u8]>, end: Bound<&[u8]>) -> Vec<(Bytes, Bytes)> {
    let inputs: Vec<_> = sources
        .iter()
        .map(|s| s.range(start, end).into_iter())
        .collect();
    MergingIterator::new(inputs, MergeOptions { bottommost: true }, NoFilter)
        .map(|entry| {
            let entry = entry.unwrap();
            (entry.key.user_key, entry.value)
        })
        .collect()
}

fn bound(choice: (u8, u8)) -> Bound<Bytes> {
    match choice.0 % 3 {
        0 => Bound::Unbounded,
        1 => Bound::Included(key(choice.1)),
        _ => Bound::Excluded(key(choice.1)),
    }
}

fn as_slice(bound: &Bound<Bytes>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(k) => Bound::Included(&k[..]),
        Bound::Excluded(k) => Bound::Excluded(&k[..]),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// A range as two (bound kind, key) choices; see [`bound`].
type RangeChoice = ((u8, u8), (u8, u8));

fn check(sources: &[Source], oracle: &BTreeMap<Bytes, Bytes>, ranges: &[RangeChoice]) {
    for k in 0..42u8 {
        assert_eq!(
            lookup(sources, &key(k)),
            oracle.get(&key(k)).cloned(),
            "key {k}"
        );
    }
    for (start, end) in ranges {
        let (start, end) = (bound(*start), bound(*end));
        let expected: Vec<(Bytes, Bytes)> = oracle
            .iter()
            .filter(|(k, _)| RangeBounds::<Bytes>::contains(&(start.clone(), end.clone()), *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(scan(sources, as_slice(&start), as_slice(&end)), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn memtable_sst_and_merge_agree_with_a_btreemap(
        ops in prop::collection::vec(op(), 0..400),
        ranges in prop::collection::vec(((any::<u8>(), 0u8..42), (any::<u8>(), 0u8..42)), 1..6),
        block_size_bytes in 64usize..600,
        bloom_bits_per_key in 0u32..12,
    ) {
        let options = SstOptions { block_size_bytes, bloom_bits_per_key, ..SstOptions::default() };
        let (sources, oracle) = build(&ops, &options);
        check(&sources, &oracle, &ranges);

        // Compact everything (not bottommost: tombstones stay) into one table: same answers.
        let inputs: Vec<_> = sources
            .iter()
            .map(|s| s.range(Bound::Unbounded, Bound::Unbounded).into_iter())
            .collect();
        let merged: Vec<Entry> =
            MergingIterator::new(inputs, MergeOptions { bottommost: false }, NoFilter)
                .map(Result::unwrap)
                .collect();
        if !merged.is_empty() {
            let (bytes, _) = build_sst(&options, merged.iter(), SstId(999), 0).unwrap();
            let compacted = vec![Source::Sst(SstReader::open(bytes).unwrap())];
            check(&compacted, &oracle, &ranges);
        }
    }
}
