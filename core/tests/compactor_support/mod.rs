//! Shared by the standalone-compactor tests: a writer with `no_compactor`, compactors on
//! the same store, a workload and the checks every test ends with.
#![allow(dead_code, clippy::unwrap_used)]

use crate::writer_support::{TestClock, block_on, delete, latest_manifest, put, sst_objects};
// Every test of these crates checks reads the same way.
#[allow(unused_imports)]
pub use crate::writer_support::assert_reads_match;
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::layout::MANIFEST_PREFIX;
use lsm_core::manifest::{Manifest, check_invariants};
use lsm_core::roles::compactor::{
    Compactor, CompactorError, CompactorOptions, JobOutcome, run_job,
};
use lsm_core::roles::manifest_io::read_manifest;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{WriteOp, Writer, WriterOptions};
use lsm_core::sst::SstOptions;
use lsm_core::store::{MemoryStore, ObjectStore};
use std::collections::BTreeMap;

pub const L0_TRIGGER: usize = 4;
/// Bound on the steps of one catch-up loop.
pub const CATCH_UP_STEPS_MAX: usize = 400;

pub fn leveled() -> CompactionStyle {
    CompactionStyle::Leveled(LeveledOptions {
        num_levels: 5,
        level0_file_num_compaction_trigger: L0_TRIGGER,
        max_bytes_for_level_base: 16 << 10,
        max_bytes_for_level_multiplier: 4.0,
        target_file_size_base: 4 << 10,
        ..LeveledOptions::default()
    })
}

pub fn sst_options() -> SstOptions {
    SstOptions {
        block_size_bytes: 512,
        ..SstOptions::default()
    }
}

pub fn writer_options() -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 2 << 10,
        sst: sst_options(),
        compaction: None,
        ..WriterOptions::default()
    }
}

pub fn compactor_options(max_concurrent_compactions: usize) -> CompactorOptions {
    CompactorOptions {
        style: leveled(),
        sst: sst_options(),
        max_concurrent_compactions,
        ..CompactorOptions::default()
    }
}

pub fn open_writer<S: ObjectStore>(store: S, tag: &str) -> Writer<S, TestClock> {
    block_on(Writer::open(
        store,
        TestClock::default(),
        writer_options(),
        tag,
    ))
    .unwrap()
}

pub fn open_compactor<S: ObjectStore + Clone>(
    store: S,
    max_concurrent_compactions: usize,
    tag: &str,
) -> Compactor<S, TestClock> {
    block_on(Compactor::open(
        store,
        TestClock::default(),
        compactor_options(max_concurrent_compactions),
        tag,
    ))
    .unwrap()
}

/// Every manifest version in the store, oldest first.
pub fn all_manifests(store: &MemoryStore) -> Vec<Manifest> {
    let mut paths: Vec<String> = block_on(store.list(MANIFEST_PREFIX))
        .unwrap()
        .into_iter()
        .map(|meta| meta.path)
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            block_on(read_manifest(
                store,
                &TestClock::default(),
                &RetryPolicy::default(),
                path,
            ))
            .unwrap()
        })
        .collect()
}

/// One compactor step, run to the end: refresh, start, run, finish. `None`: nothing to do.
pub fn compact_step<S: ObjectStore + Clone>(
    compactor: &mut Compactor<S, TestClock>,
    store: &S,
) -> Option<Result<JobOutcome, CompactorError>> {
    if let Err(error) = block_on(compactor.refresh()) {
        return Some(Err(error));
    }
    let job = compactor.start_job().unwrap()?;
    let result = block_on(run_job(store, &TestClock::default(), &job));
    Some(block_on(compactor.finish_job(job, result)))
}

/// Compacts until the strategy has nothing to do; returns the jobs installed.
pub fn catch_up<S: ObjectStore + Clone>(
    compactor: &mut Compactor<S, TestClock>,
    store: &S,
) -> usize {
    let mut installed = 0;
    for _ in 0..CATCH_UP_STEPS_MAX {
        match compact_step(compactor, store) {
            None => return installed,
            Some(Ok(JobOutcome::Installed { .. })) => installed += 1,
            Some(other) => panic!("catch-up step: {other:?}"),
        }
    }
    panic!("compaction did not converge: {:?}", compactor.manifest());
}

pub fn key_of(i: usize, round: usize, keys: usize) -> String {
    format!("key{:04}", (i * 37 + round * 11) % keys)
}

/// Applies op `i` of `round` to `model` and returns it.
pub fn workload_op(
    model: &mut BTreeMap<String, String>,
    round: usize,
    i: usize,
    keys: usize,
) -> WriteOp {
    let key = key_of(i, round, keys);
    if i % 9 == 4 {
        model.remove(&key);
        delete(&key)
    } else {
        let value = format!("value-{round}-{i}-{}", "x".repeat(i % 23));
        model.insert(key.clone(), value.clone());
        put(&key, &value)
    }
}

/// Invariants hold, every table the newest manifest names (live or pending) is in the
/// store, and something is pending: the compactor deleted nothing.
pub fn assert_deferred_deletion(store: &MemoryStore, context: &str) -> Manifest {
    let manifest = latest_manifest(store);
    check_invariants(&manifest).unwrap();
    let objects = sst_objects(store);
    for id in manifest.referenced_sst_ids() {
        assert!(objects.contains(&id), "{context}: table {id} is missing");
    }
    assert!(
        !manifest.pending_deletion.is_empty(),
        "{context}: nothing pending"
    );
    manifest
}

/// Commits and flushes until L0 holds `tables` more tables.
pub fn flush_tables<S: ObjectStore>(
    writer: &mut Writer<S, TestClock>,
    model: &mut BTreeMap<String, String>,
    tables: usize,
    round: usize,
) {
    for flush in 0..tables {
        for i in 0..20 {
            let key = format!("key{:04}", (i * 7 + flush + round) % 60);
            let value = format!("v{round}-{flush}-{i}");
            block_on(writer.commit(&[put(&key, &value)])).unwrap();
            model.insert(key, value);
        }
        block_on(writer.flush()).unwrap().unwrap();
    }
}
