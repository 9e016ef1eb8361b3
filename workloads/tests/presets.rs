//! The named workloads.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;

use support::ops;
use workloads::{
    DEFAULT_KEY_SPACE, KeyDistribution, LoadStream, Op, OpStream, ValueSizes, preset, preset_names,
};

#[test]
fn every_preset_name_parses_and_validates() {
    let names = preset_names();
    assert_eq!(names.len(), 10);
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len());
    for name in names {
        let spec = preset(name).unwrap();
        assert_eq!(spec.name, *name);
        spec.validate().unwrap();
        assert_eq!(spec.values, ValueSizes::Fixed { value_bytes: 100 });
        let expected_keys = if *name == "delete-heavy" {
            1000
        } else {
            DEFAULT_KEY_SPACE
        };
        assert_eq!(spec.key_space, expected_keys, "{name}");
    }
}

#[test]
fn unknown_names_give_none() {
    for name in ["", "ycsb-g", "YCSB-A", "ycsb_a", "uniform"] {
        assert!(preset(name).is_none(), "{name}");
    }
}

#[test]
fn zipfian_presets_use_theta_099() {
    for name in ["ycsb-a", "ycsb-b", "ycsb-c", "ycsb-e", "ycsb-f"] {
        assert_eq!(
            preset(name).unwrap().keys,
            KeyDistribution::ScrambledZipfian { theta: 0.99 }
        );
    }
    assert_eq!(
        preset("ycsb-d").unwrap().keys,
        KeyDistribution::Latest { theta: 0.99 }
    );
}

#[test]
fn with_key_space_sets_the_record_count() {
    let spec = preset("uniform-overwrite").unwrap().with_key_space(50);
    assert_eq!(spec.key_space, 50);
    assert_eq!(OpStream::new(&spec, 1).unwrap().record_count(), 50);
    assert!(ops(&spec, 1, 10_000).iter().all(|op| op.key() < 50));
}

#[test]
fn insert_random_visits_every_key_exactly_once() {
    let spec = preset("insert-random").unwrap();
    let all: Vec<Op> = OpStream::new(&spec, 31).unwrap().collect();
    assert_eq!(all.len(), 10_000, "the stream ends after one pass");
    let keys: BTreeSet<u64> = all.iter().map(Op::key).collect();
    assert_eq!(keys, (0..10_000).collect());
    assert!(all.iter().all(|op| matches!(op, Op::Put { .. })));
    // A random order, not the identity or a reversal.
    let in_order = all.windows(2).filter(|w| w[0].key() < w[1].key()).count();
    assert!(
        (4000..6000).contains(&in_order),
        "{in_order} ascending steps"
    );
    // Another seed, another order.
    let other: Vec<Op> = OpStream::new(&spec, 32).unwrap().collect();
    assert_ne!(all, other);
}

#[test]
fn insert_random_scales_without_arrays() {
    let spec = preset("insert-random")
        .unwrap()
        .with_key_space(workloads::MAX_KEY_SPACE);
    let keys: Vec<u64> = ops(&spec, 33, 100_000).iter().map(Op::key).collect();
    assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), keys.len());
    assert!(keys.iter().all(|&k| k < workloads::MAX_KEY_SPACE));
}

#[test]
fn insert_random_with_odd_small_key_spaces() {
    for key_space in [1u64, 2, 3, 5, 17, 1000, 4097] {
        let spec = preset("insert-random").unwrap().with_key_space(key_space);
        let keys: BTreeSet<u64> = OpStream::new(&spec, 34)
            .unwrap()
            .map(|op| op.key())
            .collect();
        assert_eq!(keys, (0..key_space).collect(), "key space {key_space}");
    }
}

#[test]
fn ycsb_e_scans_1_to_100_records() {
    let spec = preset("ycsb-e").unwrap();
    for op in ops(&spec, 35, 20_000) {
        if let Op::Scan { len, .. } = op {
            assert!((1..=100).contains(&len));
        }
    }
}

#[test]
fn ttl_series_appends_keys_with_a_ttl_and_reads_recent_ones() {
    let spec = preset("ttl-series").unwrap();
    let mut stream = OpStream::new(&spec, 36).unwrap();
    let mut recent_reads = 0;
    let mut total_reads = 0;
    for _ in 0..50_000 {
        let records = stream.record_count();
        match stream.next().unwrap() {
            Op::Put { key, ttl_ms, .. } => {
                assert_eq!(key, records, "sequential inserts");
                assert_eq!(ttl_ms, Some(60_000));
            }
            Op::Get { key } => {
                total_reads += 1;
                if records - key <= 1000 {
                    recent_reads += 1;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // Most reads land on the newest thousand keys.
    assert!(
        recent_reads * 10 > total_reads * 6,
        "{recent_reads}/{total_reads}"
    );
}

#[test]
fn delete_heavy_churns_a_small_key_space() {
    let spec = preset("delete-heavy").unwrap();
    let all = ops(&spec, 37, 20_000);
    assert!(all.iter().all(|op| op.key() < 1000));
    let deletes = all
        .iter()
        .filter(|op| matches!(op, Op::Delete { .. }))
        .count();
    assert!((5500..6500).contains(&deletes), "{deletes}");
}

#[test]
fn load_stream_puts_every_initial_key_once() {
    let spec = preset("ycsb-a").unwrap().with_key_space(5000);
    let load = LoadStream::new(&spec, 38).unwrap();
    assert_eq!(load.size_hint(), (5000, Some(5000)));
    let puts: Vec<Op> = load.collect();
    assert_eq!(puts.len(), 5000);
    let keys: BTreeSet<u64> = puts.iter().map(Op::key).collect();
    assert_eq!(keys, (0..5000).collect());
    assert!(puts.iter().all(|op| matches!(
        op,
        Op::Put {
            value_bytes: 100,
            ttl_ms: None,
            ..
        }
    )));
}

#[test]
fn key_bytes_are_big_endian_then_zero() {
    let bytes = workloads::key_bytes(0x0102_0304_0506_0708);
    assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(workloads::key_bytes(255) < workloads::key_bytes(256));
}
