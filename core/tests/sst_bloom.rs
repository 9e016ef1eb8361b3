//! The bloom filter: no false negatives, a false-positive rate near the theory, and
//! `bloom_bits_per_key: 0` builds no filter.
#![allow(clippy::unwrap_used)]

use lsm_core::entry::{Entry, Lookup};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::sst::{LookupKey, SstOptions, SstReader, build_sst};

const PRESENT: u32 = 10_000;
const ABSENT: u32 = 10_000;

fn key(i: u32) -> Vec<u8> {
    format!("user{i:010}").into_bytes()
}

fn table(bloom_bits_per_key: u32) -> SstReader {
    let entries = (0..PRESENT).map(|i| Entry::put(key(i), SeqNum(u64::from(i)), &b"value"[..]));
    let options = SstOptions {
        bloom_bits_per_key,
        ..SstOptions::default()
    };
    let (bytes, _meta) = build_sst(&options, entries, SstId(1), 0).unwrap();
    SstReader::open(bytes).unwrap()
}

/// Fraction of absent keys (neighbours of the present ones, the hardest case for a weak
/// hash) that the filter lets through.
fn false_positive_rate(reader: &SstReader) -> f64 {
    let passed = (PRESENT..PRESENT + ABSENT)
        .filter(|i| reader.filter_may_contain(&key(*i)))
        .count();
    passed as f64 / f64::from(ABSENT)
}

/// (1 - e^(-k/b))^k for b bits per key and k probes.
fn theoretical_rate(bits_per_key: u32, probes: u32) -> f64 {
    let k = f64::from(probes);
    (1.0 - (-k / f64::from(bits_per_key)).exp()).powf(k)
}

#[test]
fn no_false_negatives_and_about_one_percent_false_positives_at_10_bits() {
    let reader = table(10);
    assert!(reader.has_filter());
    for i in 0..PRESENT {
        let (lookup, stats) = reader.get(&key(i)).unwrap();
        assert!(matches!(lookup, Lookup::Found(_)), "key {i}");
        assert!(stats.filter_checked && !stats.filter_excluded);
    }
    let rate = false_positive_rate(&reader);
    eprintln!(
        "10 bits/key: false-positive rate {:.3}% (theory {:.3}%), filter {} bytes",
        rate * 100.0,
        theoretical_rate(10, 7) * 100.0,
        reader.filter_size_bytes()
    );
    assert!(rate < 0.02, "false-positive rate {rate}");
}

#[test]
fn false_positive_rate_follows_the_theory_across_densities() {
    for (bits_per_key, probes) in [(4, 3), (6, 4), (10, 7)] {
        let rate = false_positive_rate(&table(bits_per_key));
        let theory = theoretical_rate(bits_per_key, probes);
        eprintln!("{bits_per_key} bits/key: {rate:.4} (theory {theory:.4})");
        assert!(
            rate < theory * 1.5 + 0.002,
            "{bits_per_key} bits/key: rate {rate}, theory {theory}"
        );
    }
}

#[test]
fn excluded_keys_read_no_block() {
    let reader = table(10);
    let mut excluded = 0;
    for i in PRESENT..PRESENT + 1_000 {
        let (lookup, stats) = reader.get(&key(i)).unwrap();
        assert_eq!(lookup, Lookup::Absent);
        if stats.filter_excluded {
            excluded += 1;
            assert!(stats.blocks_read.is_empty());
            assert_eq!(stats.bytes_read, 0);
        }
    }
    assert!(excluded > 950, "{excluded} of 1000 excluded");
}

#[test]
fn zero_bits_per_key_builds_no_filter() {
    let reader = table(0);
    assert!(!reader.has_filter());
    assert_eq!(reader.filter_size_bytes(), 0);
    // Without a filter every absent key inside the key range costs a block read.
    let (lookup, stats) = reader.get(b"user0000000005x").unwrap();
    assert_eq!(lookup, Lookup::Absent);
    assert!(!stats.filter_checked && !stats.filter_excluded);
    assert_eq!(stats.blocks_read.len(), 1);
    assert!(stats.bytes_read > 0);
    assert!(reader.filter_may_contain(b"anything"));
}

#[test]
fn a_lookup_with_its_key_hashed_once_is_filtered_as_the_key_itself_is() {
    let reader = table(10);
    let mut excluded = 0;
    // Present keys, then absent ones: most excluded by the filter, a few false positives.
    for i in (0..PRESENT + ABSENT).step_by(7) {
        let key = key(i);
        let (lookup, stats) = reader.lookup(LookupKey::new(&key)).unwrap();
        assert!(stats.filter_checked, "key {i}");
        assert_eq!(
            stats.filter_excluded,
            !reader.filter_may_contain(&key),
            "key {i}"
        );
        assert_eq!(matches!(lookup, Lookup::Found(_)), i < PRESENT, "key {i}");
        excluded += u32::from(stats.filter_excluded);
    }
    assert!(
        excluded > ABSENT / 7 * 9 / 10,
        "the filter excluded only {excluded} absent keys"
    );
}
