//! Throughput of the core's data layer on one core: memtable inserts, SST build, SST point
//! lookups, 8-way merge. Prints figures; asserts nothing about speed (machines are noisy).
//!
//! `cargo run --release -p lsm-core --example core_bench [-- --entries N]`

use bytes::Bytes;
use lsm_core::codec::DecodeError;
use lsm_core::entry::{Entry, Lookup};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::memtable::Memtable;
use lsm_core::merge::{MergeOptions, MergingIterator, NoFilter};
use lsm_core::sst::{SstOptions, SstReader, build_sst};
use std::hint::black_box;
use std::time::{Duration, Instant};

const KEY_BYTES: usize = 16;
const VALUE_BYTES: usize = 100;
const REPEATS: usize = 5;

/// splitmix64: a fixed, seedable stream so every run measures the same data.
struct KeyStream(u64);

impl KeyStream {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn key(&mut self) -> Bytes {
        let mut key = Vec::with_capacity(KEY_BYTES);
        key.extend_from_slice(&self.next_u64().to_be_bytes());
        key.extend_from_slice(&self.next_u64().to_be_bytes());
        Bytes::from(key)
    }
}

fn sorted_entries(count: usize, seed: u64, first_seq: u64) -> Vec<Entry> {
    let mut keys = KeyStream(seed);
    let value = Bytes::from(vec![b'v'; VALUE_BYTES]);
    let mut entries: Vec<Entry> = (0..count)
        .map(|i| Entry::put(keys.key(), SeqNum(first_seq + i as u64), value.clone()))
        .collect();
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    entries
}

/// Median of `REPEATS` timings of `run`.
fn median_time(mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..REPEATS).map(|_| run()).collect();
    times.sort();
    times[REPEATS / 2]
}

fn per_second(count: f64, elapsed: Duration) -> f64 {
    count / elapsed.as_secs_f64()
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let entries_total: usize = std::env::args()
        .skip_while(|arg| arg != "--entries")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(400_000);
    let user_bytes = (entries_total * (KEY_BYTES + VALUE_BYTES)) as u64;
    println!(
        "entries: {entries_total} ({KEY_BYTES}-byte keys, {VALUE_BYTES}-byte values); median of {REPEATS}"
    );

    // Memtable inserts, keys in random order.
    let mut keys = KeyStream(1);
    let value = Bytes::from(vec![b'v'; VALUE_BYTES]);
    let unsorted: Vec<Entry> = (0..entries_total)
        .map(|i| Entry::put(keys.key(), SeqNum(i as u64 + 1), value.clone()))
        .collect();
    let elapsed = median_time(|| {
        let batch = unsorted.clone();
        let started = Instant::now();
        let mut memtable = Memtable::new();
        for entry in batch {
            memtable.insert(entry).expect("unique versions");
        }
        let elapsed = started.elapsed();
        black_box(memtable);
        elapsed
    });
    println!(
        "memtable inserts:    {:>10.2} M inserts/s",
        per_second(entries_total as f64, elapsed) / 1e6
    );

    // SST build from sorted entries.
    let sorted = sorted_entries(entries_total, 2, 1);
    let options = SstOptions::default();
    let mut encoded = Bytes::new();
    let elapsed = median_time(|| {
        let started = Instant::now();
        let (bytes, _meta) =
            build_sst(&options, sorted.iter().cloned(), SstId(1), 0).expect("sorted input");
        let elapsed = started.elapsed();
        encoded = bytes;
        elapsed
    });
    println!(
        "SST build:           {:>10.1} MB/s of user data ({} bytes encoded)",
        megabytes(user_bytes) / elapsed.as_secs_f64(),
        encoded.len()
    );

    // Point lookups of existing keys, in random order.
    let reader = SstReader::open(encoded.clone())?;
    let mut probe_order: Vec<&[u8]> = sorted.iter().map(|e| e.user_key()).collect();
    let mut shuffle = KeyStream(3);
    for i in (1..probe_order.len()).rev() {
        let j = (shuffle.next_u64() % (i as u64 + 1)) as usize;
        probe_order.swap(i, j);
    }
    let elapsed = median_time(|| {
        let started = Instant::now();
        for key in &probe_order {
            match reader.get(key) {
                Ok((Lookup::Found(entry), _stats)) => {
                    black_box(entry);
                }
                other => panic!("lookup of a present key failed: {other:?}"),
            }
        }
        started.elapsed()
    });
    println!(
        "SST point lookups:   {:>10.2} M lookups/s",
        per_second(probe_order.len() as f64, elapsed) / 1e6
    );

    // 8-way merge of in-memory sorted sources (disjoint sequence ranges, overlapping keys).
    let ways = 8;
    let per_source = entries_total / ways;
    let sources: Vec<Vec<Entry>> = (0..ways)
        .map(|w| sorted_entries(per_source, 10 + w as u64, (w * per_source) as u64 + 1))
        .collect();
    let merged_bytes = (ways * per_source * (KEY_BYTES + VALUE_BYTES)) as u64;
    let elapsed = median_time(|| {
        let inputs: Vec<std::vec::IntoIter<Result<Entry, DecodeError>>> = sources
            .iter()
            .map(|s| s.iter().cloned().map(Ok).collect::<Vec<_>>().into_iter())
            .collect();
        let started = Instant::now();
        let merging = MergingIterator::new(inputs, MergeOptions { bottommost: false }, NoFilter);
        let mut out = 0u64;
        for entry in merging {
            out += black_box(entry.expect("valid sources")).logical_size_bytes();
        }
        let elapsed = started.elapsed();
        assert_eq!(out, merged_bytes);
        elapsed
    });
    println!(
        "8-way merge:         {:>10.1} MB/s of input",
        megabytes(merged_bytes) / elapsed.as_secs_f64()
    );
    Ok(())
}
