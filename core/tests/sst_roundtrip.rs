//! SST encode → decode round trips: what goes in comes out, by iteration, point lookup and
//! range; the metadata describes the table; the builder refuses bad input with typed errors.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::checksum::crc32c;
use lsm_core::entry::{Entry, Lookup};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::sst::{
    BLOCK_TRAILER_BYTES, SstBuildError, SstBuilder, SstMeta, SstOptions, SstReader, build_sst,
};
use proptest::prelude::*;
use std::ops::Bound;

fn arb_entry() -> impl Strategy<Value = Entry> {
    let key = prop::collection::vec(b'a'..b'e', 0..5);
    let seq = prop_oneof![0u64..20, Just(u64::MAX), any::<u64>()];
    let value = prop::collection::vec(any::<u8>(), 0..40);
    let expiry = prop::option::of(any::<u64>());
    (key, seq, 0u8..3, value, expiry).prop_map(|(key, seq, kind, value, expiry)| {
        let seq = SeqNum(seq);
        match (kind, expiry) {
            (0, _) => Entry::delete(key, seq),
            (_, Some(expires_at_ms)) => Entry::put_expiring(key, seq, value, expires_at_ms),
            (_, None) => Entry::put(key, seq, value),
        }
    })
}

/// Entries in strictly increasing internal-key order (one per user key and sequence number).
fn arb_sorted_entries(max_len: usize) -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(arb_entry(), 1..max_len).prop_map(|mut entries| {
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries.dedup_by(|a, b| a.key == b.key);
        entries
    })
}

fn arb_options() -> impl Strategy<Value = SstOptions> {
    (0usize..600, 0u32..16, 1u32..20).prop_map(
        |(block_size_bytes, bloom_bits_per_key, interval)| SstOptions {
            block_size_bytes,
            bloom_bits_per_key,
            block_restart_interval: std::num::NonZeroU32::new(interval).unwrap(),
        },
    )
}

fn arb_bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    let key = prop::collection::vec(b'a'..b'f', 0..4);
    prop_oneof![
        Just(Bound::Unbounded),
        key.clone().prop_map(Bound::Included),
        key.prop_map(Bound::Excluded),
    ]
}

fn in_bounds(key: &[u8], start: &Bound<Vec<u8>>, end: &Bound<Vec<u8>>) -> bool {
    let after_start = match start {
        Bound::Included(s) => key >= &s[..],
        Bound::Excluded(s) => key > &s[..],
        Bound::Unbounded => true,
    };
    let before_end = match end {
        Bound::Included(e) => key <= &e[..],
        Bound::Excluded(e) => key < &e[..],
        Bound::Unbounded => true,
    };
    after_start && before_end
}

fn check_meta(meta: &SstMeta, entries: &[Entry], bytes: &Bytes) {
    assert_eq!(meta.id, SstId(42));
    assert_eq!(meta.created_at_ms, 1_000);
    assert_eq!(meta.smallest_key, entries[0].key.user_key);
    assert_eq!(meta.largest_key, entries[entries.len() - 1].key.user_key);
    assert_eq!(
        meta.smallest_seq,
        entries.iter().map(Entry::seq).min().unwrap()
    );
    assert_eq!(
        meta.largest_seq,
        entries.iter().map(Entry::seq).max().unwrap()
    );
    assert_eq!(meta.entry_count, entries.len() as u64);
    let tombstones = entries.iter().filter(|e| e.is_tombstone()).count() as u64;
    assert_eq!(meta.tombstone_count, tombstones);
    let logical: u64 = entries.iter().map(Entry::logical_size_bytes).sum();
    assert_eq!(meta.logical_bytes, logical);
    assert_eq!(meta.size_bytes, bytes.len() as u64);
    assert_eq!(meta.object_crc32c, crc32c(bytes));
}

/// True when `part` points into `whole`'s buffer (an empty slice trivially does).
fn shares_buffer(whole: &Bytes, part: &Bytes) -> bool {
    part.is_empty() || whole.as_ptr_range().contains(&part.as_ptr())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn iteration_yields_exactly_the_entries(entries in arb_sorted_entries(200), options in arb_options()) {
        let (bytes, meta) = build_sst(&options, &entries, SstId(42), 1_000).unwrap();
        check_meta(&meta, &entries, &bytes);
        let reader = SstReader::open(bytes.clone()).unwrap();
        prop_assert_eq!(reader.has_filter(), options.bloom_bits_per_key > 0);
        let read: Vec<Entry> = reader.iter().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&read, &entries);
        // A key stored whole (every key at interval 1, the table's first key always) is a
        // slice of the table; a delta-encoded key is rebuilt from its prefix, so copied.
        let every_key_whole = options.block_restart_interval.get() == 1;
        for (index, entry) in read.iter().enumerate() {
            if every_key_whole || index == 0 {
                prop_assert!(shares_buffer(&bytes, &entry.key.user_key));
            }
            prop_assert!(shares_buffer(&bytes, &entry.value));
        }
    }

    #[test]
    fn get_returns_the_newest_version_or_absent(
        entries in arb_sorted_entries(200),
        options in arb_options(),
        probes in prop::collection::vec(prop::collection::vec(b'a'..b'f', 0..6), 0..30),
    ) {
        let (bytes, _meta) = build_sst(&options, &entries, SstId(42), 1_000).unwrap();
        let reader = SstReader::open(bytes.clone()).unwrap();
        let mut newest = entries.clone();
        newest.dedup_by(|later, first| later.key.user_key == first.key.user_key);
        for expected in &newest {
            let (lookup, stats) = reader.get(expected.user_key()).unwrap();
            let wanted = if expected.is_tombstone() {
                Lookup::Deleted(expected.seq())
            } else {
                Lookup::Found(expected.clone())
            };
            prop_assert_eq!(&lookup, &wanted);
            if let Lookup::Found(found) = &lookup {
                prop_assert!(shares_buffer(&bytes, &found.value));
            }
            prop_assert_eq!(stats.filter_checked, reader.has_filter());
            prop_assert!(!stats.filter_excluded);
            prop_assert_eq!(stats.blocks_read.len(), 1);
            let handle = reader.block_handle(stats.blocks_read[0] as usize).unwrap();
            prop_assert_eq!(stats.bytes_read, handle.len);
        }
        for probe in probes {
            let present = newest.iter().any(|e| e.user_key() == &probe[..]);
            let (lookup, stats) = reader.get(&probe).unwrap();
            if !present {
                prop_assert_eq!(lookup, Lookup::Absent);
            }
            prop_assert!(stats.blocks_read.len() <= 1);
            if stats.filter_excluded {
                prop_assert!(stats.blocks_read.is_empty() && stats.bytes_read == 0);
            }
        }
    }

    #[test]
    fn range_iteration_matches_a_filter_over_the_input(
        entries in arb_sorted_entries(200),
        options in arb_options(),
        start in arb_bound(),
        end in arb_bound(),
    ) {
        let (bytes, _meta) = build_sst(&options, &entries, SstId(42), 1_000).unwrap();
        let reader = SstReader::open(bytes).unwrap();
        let expected: Vec<&Entry> =
            entries.iter().filter(|e| in_bounds(e.user_key(), &start, &end)).collect();
        let read: Vec<Entry> = reader
            .iter_bounds(start.as_ref().map(|k| &k[..]), end.as_ref().map(|k| &k[..]))
            .collect::<Result<_, _>>()
            .unwrap();
        let read: Vec<&Entry> = read.iter().collect();
        prop_assert_eq!(read, expected);
    }
}

#[test]
fn range_bounds_syntax_works() {
    let entries: Vec<Entry> = (0..50u32)
        .map(|i| Entry::put(format!("k{i:03}"), SeqNum(1), vec![b'v'; 10]))
        .collect();
    let (bytes, _) = build_sst(&SstOptions::default(), &entries, SstId(1), 0).unwrap();
    let reader = SstReader::open(bytes).unwrap();
    let keys = |iter: lsm_core::sst::SstIter| -> Vec<String> {
        iter.map(|e| String::from_utf8(e.unwrap().user_key().to_vec()).unwrap())
            .collect()
    };
    assert_eq!(
        keys(reader.iter_range(&b"k010"[..]..&b"k013"[..])),
        ["k010", "k011", "k012"]
    );
    assert_eq!(keys(reader.iter_range("k047"..)), ["k047", "k048", "k049"]);
    assert_eq!(keys(reader.iter_range(..="k001")), ["k000", "k001"]);
    assert_eq!(keys(reader.iter_range::<&[u8]>(..)).len(), 50);
    assert!(keys(reader.iter_range("k2".."k1")).is_empty());
}

#[test]
fn blocks_respect_the_block_size_and_tile_the_data_region() {
    let entries: Vec<Entry> = (0..2_000u32)
        .map(|i| Entry::put(format!("key{i:08}"), SeqNum(u64::from(i)), vec![b'v'; 100]))
        .collect();
    let options = SstOptions::default();
    let (bytes, _) = build_sst(&options, &entries, SstId(1), 0).unwrap();
    let reader = SstReader::open(bytes).unwrap();
    assert!(reader.block_count() > 40);
    let mut expected_offset = 0;
    for block in 0..reader.block_count() {
        let handle = reader.block_handle(block).unwrap();
        assert_eq!(handle.offset, expected_offset);
        assert!(handle.len <= options.block_size_bytes as u64);
        assert!(handle.len > BLOCK_TRAILER_BYTES as u64);
        if block + 1 < reader.block_count() {
            assert!(handle.len > options.block_size_bytes as u64 - 200);
        }
        expected_offset += handle.len;
    }
    assert!(reader.block_handle(reader.block_count()).is_none());
}

#[test]
fn an_entry_larger_than_a_block_gets_a_block_of_its_own() {
    let options = SstOptions {
        block_size_bytes: 64,
        bloom_bits_per_key: 10,
        ..SstOptions::default()
    };
    let entries = vec![
        Entry::put(&b"a"[..], SeqNum(1), vec![1u8; 10]),
        Entry::put(&b"b"[..], SeqNum(1), vec![2u8; 1_000]),
        Entry::put(&b"c"[..], SeqNum(1), vec![3u8; 10]),
    ];
    let (bytes, _) = build_sst(&options, &entries, SstId(1), 0).unwrap();
    let reader = SstReader::open(bytes).unwrap();
    assert_eq!(reader.block_count(), 3);
    let read: Vec<Entry> = reader.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(read, entries);
}

#[test]
fn builder_rejects_out_of_order_duplicate_and_empty_with_typed_errors() {
    let mut builder = SstBuilder::new(SstOptions::default());
    builder
        .add(&Entry::put(&b"b"[..], SeqNum(5), &b"v"[..]))
        .unwrap();
    assert_eq!(
        builder.add(&Entry::put(&b"a"[..], SeqNum(9), &b"v"[..])),
        Err(SstBuildError::OutOfOrder {
            previous_key: Bytes::from_static(b"b"),
            previous_seq: SeqNum(5),
            user_key: Bytes::from_static(b"a"),
            seq: SeqNum(9),
        })
    );
    // Same user key, newer sequence number: sorts before, so out of order.
    assert!(matches!(
        builder.add(&Entry::put(&b"b"[..], SeqNum(6), &b"v"[..])),
        Err(SstBuildError::OutOfOrder { .. })
    ));
    assert_eq!(
        builder.add(&Entry::delete(&b"b"[..], SeqNum(5))),
        Err(SstBuildError::DuplicateKey {
            user_key: Bytes::from_static(b"b"),
            seq: SeqNum(5),
        })
    );
    // A rejected entry leaves the builder as it was.
    builder.add(&Entry::delete(&b"b"[..], SeqNum(4))).unwrap();
    builder
        .add(&Entry::put(&b"c"[..], SeqNum(1), &b"w"[..]))
        .unwrap();
    assert_eq!(builder.entry_count(), 3);
    let (bytes, meta) = builder.finish(SstId(7), 5).unwrap();
    assert_eq!(meta.entry_count, 3);
    assert_eq!(meta.tombstone_count, 1);
    let reader = SstReader::open(bytes).unwrap();
    assert_eq!(reader.iter().count(), 3);

    let empty = SstBuilder::new(SstOptions::default());
    assert_eq!(empty.finish(SstId(1), 0), Err(SstBuildError::Empty));
    let none: [Entry; 0] = [];
    assert_eq!(
        build_sst(&SstOptions::default(), none, SstId(1), 0),
        Err(SstBuildError::Empty)
    );
    let error = build_sst(
        &SstOptions::default(),
        [
            Entry::put(&b"x"[..], SeqNum(1), &b""[..]),
            Entry::put(&b"x"[..], SeqNum(1), &b""[..]),
        ],
        SstId(1),
        0,
    )
    .unwrap_err();
    assert!(error.to_string().contains("added twice"), "{error}");
}

#[test]
fn meta_key_bounds_do_not_pin_the_callers_buffer() {
    let shared = Bytes::from(vec![b'k'; 64]);
    let entry = Entry::put(shared.slice(0..8), SeqNum(1), &b"v"[..]);
    let (_, meta) = build_sst(&SstOptions::default(), [&entry], SstId(1), 0).unwrap();
    assert!(!shared.as_ptr_range().contains(&meta.smallest_key.as_ptr()));
    assert!(!shared.as_ptr_range().contains(&meta.largest_key.as_ptr()));
}

#[test]
fn a_large_table_round_trips() {
    let entries: Vec<Entry> = (0..100_000u32)
        .map(|i| {
            let key = format!("{:016x}", u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            (key, i)
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .map(|(key, i)| Entry::put(key, SeqNum(u64::from(i)), vec![b'v'; 100]))
        .collect();
    let (bytes, meta) = build_sst(&SstOptions::default(), &entries, SstId(1), 0).unwrap();
    assert_eq!(meta.entry_count, 100_000);
    let reader = SstReader::open(bytes).unwrap();
    for entry in entries.iter().step_by(97) {
        let (lookup, stats) = reader.get(entry.user_key()).unwrap();
        assert_eq!(lookup, Lookup::Found(entry.clone()));
        assert_eq!(stats.blocks_read.len(), 1);
    }
    assert_eq!(reader.iter().count(), entries.len());
}
