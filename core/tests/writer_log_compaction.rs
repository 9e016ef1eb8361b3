//! The log style on the writer's embedded compactor, on an in-memory store: scan and lookup
//! keep every key readable (they copy exactly the live records), shift only ever loses keys
//! (never shows an older value), the log stays within its maximum, compacted segments wait
//! on the pending list for a checkpoint, and each scan or lookup reports its cost.
#![allow(clippy::unwrap_used)]

mod writer_support;

use lsm_core::compaction::log::{LogCompactionStats, LogCompactionType, LogOptions};
use lsm_core::compaction::{CompactionStyle, StallState};
use lsm_core::roles::writer::{Writer, WriterOptions};
use lsm_core::sst::SstOptions;
use lsm_core::store::{MemoryStore, ObjectStore};
use std::collections::BTreeMap;
use std::sync::Arc;
use writer_support::{TestClock, block_on, delete, latest_manifest, put, read};

const MAX_SEGMENTS: usize = 4;
const KEYS: usize = 499;
const COMPACTIONS_PER_ROUND_MAX: usize = 50;

fn options(kind: LogCompactionType) -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 1 << 10,
        sst: SstOptions {
            block_size_bytes: 256,
            ..SstOptions::default()
        },
        compaction: Some(CompactionStyle::Log(LogOptions {
            compaction_type: kind,
            compaction_max_segments: MAX_SEGMENTS,
            ..LogOptions::default()
        })),
        // Deletion waits for a checkpoint: this test checks what is pending.
        ..WriterOptions::default()
    }
}

/// What one workload left: the model, the writer, every scan or lookup's stats, the store.
struct Run {
    model: BTreeMap<String, String>,
    writer: Writer<Arc<MemoryStore>, TestClock>,
    costs: Vec<LogCompactionStats>,
    store: Arc<MemoryStore>,
}

/// Writes, flushes and compacts.
fn run(kind: LogCompactionType) -> Run {
    let store = Arc::new(MemoryStore::new());
    let mut writer = block_on(Writer::open(
        store.clone(),
        TestClock::default(),
        options(kind),
        "log",
    ))
    .unwrap();
    let mut model = BTreeMap::new();
    let mut costs = Vec::new();
    for i in 0..3_000usize {
        let key = format!("key{:04}", (i * 31) % KEYS);
        let op = if i % 11 == 5 {
            model.remove(&key);
            delete(&key)
        } else {
            let value = format!("v{i}");
            model.insert(key.clone(), value.clone());
            put(&key, &value)
        };
        block_on(writer.commit(&[op])).unwrap();
        assert_eq!(writer.stall_state(), StallState::Normal);
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap();
            for _ in 0..COMPACTIONS_PER_ROUND_MAX {
                let Some(stats) = block_on(writer.compact_once()).unwrap() else {
                    break;
                };
                costs.extend(stats.log);
            }
            assert!(writer.manifest().l0.len() <= MAX_SEGMENTS);
        }
    }
    Run {
        model,
        writer,
        costs,
        store,
    }
}

#[test]
fn scan_and_lookup_keep_every_key() {
    for kind in [LogCompactionType::Scan, LogCompactionType::Lookup] {
        let Run {
            model,
            mut writer,
            costs,
            store,
        } = run(kind);
        assert!(costs.len() > 10, "{kind:?}: {} compactions", costs.len());
        for k in 0..KEYS {
            let key = format!("key{k:04}");
            assert_eq!(
                read(&mut writer, &key).as_ref(),
                model.get(&key),
                "{kind:?}"
            );
        }
        let manifest = latest_manifest(&store);
        assert!(
            !manifest.pending_deletion.is_empty(),
            "deletion is deferred"
        );
        for cost in &costs {
            assert_eq!(cost.strategy, kind);
            assert!(cost.records_copied <= cost.records_judged);
            assert!(cost.bytes_read() >= cost.candidate_bytes_read);
        }
    }
}

#[test]
fn lookup_reads_fewer_bytes_than_scan_on_the_same_writes() {
    let total = |costs: &[LogCompactionStats]| {
        let mut sum = LogCompactionStats::default();
        costs.iter().for_each(|cost| sum.accumulate(cost));
        sum
    };
    let scan = total(&run(LogCompactionType::Scan).costs);
    let lookup = total(&run(LogCompactionType::Lookup).costs);
    assert_eq!(scan.records_copied, lookup.records_copied);
    assert!(lookup.liveness_bytes_read < scan.liveness_bytes_read);
    assert!(lookup.liveness_records_examined < scan.liveness_records_examined);
}

#[test]
fn shift_loses_keys_but_never_shows_an_older_value() {
    let Run {
        model,
        mut writer,
        costs,
        ..
    } = run(LogCompactionType::Shift);
    assert!(costs.is_empty(), "shift reads nothing");
    let mut lost = 0;
    for k in 0..KEYS {
        let key = format!("key{k:04}");
        match read(&mut writer, &key) {
            Some(value) => assert_eq!(Some(&value), model.get(&key), "{key}"),
            None => lost += usize::from(model.contains_key(&key)),
        }
    }
    assert!(lost > 0, "shift drops live keys by design");
}

#[test]
fn none_never_compacts() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = block_on(Writer::open(
        store.clone(),
        TestClock::default(),
        options(LogCompactionType::None),
        "none",
    ))
    .unwrap();
    for i in 0..500 {
        block_on(writer.commit(&[put(&format!("k{i}"), "v")])).unwrap();
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap();
        }
        assert_eq!(block_on(writer.compact_once()).unwrap(), None);
    }
    assert!(block_on(store.list("sst/")).unwrap().len() > MAX_SEGMENTS);
}
