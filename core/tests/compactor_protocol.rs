//! The standalone compactor against a writer with `no_compactor`, coordinating only through
//! the manifest: interleaved flushes and jobs keep every acknowledged write, concurrent
//! jobs on disjoint inputs both install, a fenced (zombie) compactor installs nothing, and
//! a lost CAS race against a flush is re-applied. Deletion is deferred: compacted inputs
//! stay in the store, on the pending list.
#![allow(clippy::unwrap_used)]

mod compactor_support;
mod writer_support;

use compactor_support::*;
use lsm_core::ids::{Epoch, SstId};
use lsm_core::layout::MANIFEST_PREFIX;
use lsm_core::manifest::check_invariants;
use lsm_core::roles::compaction_job::CompactionJob;
use lsm_core::roles::compactor::{Compactor, JobOutcome, run_job};
use lsm_core::store::MemoryStore;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use writer_support::{
    RuleStore, TestClock, block_on, latest_manifest, manifest_object_count, put, read, sst_objects,
};

#[test]
fn interleaved_writer_and_compactor_keep_every_write() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone(), "w");
    let mut compactor = open_compactor(store.clone(), 1, "c");
    assert_eq!(compactor.epoch(), Epoch(1));
    let mut model = BTreeMap::new();
    let keys = 300;
    let mut in_flight: Option<(CompactionJob, _)> = None;
    let mut installed = 0;
    for round in 0..4 {
        for i in 0..1200 {
            let op = workload_op(&mut model, round, i, keys);
            block_on(writer.commit(&[op])).unwrap();
            if !writer.needs_flush() {
                continue;
            }
            block_on(writer.flush()).unwrap();
            // The job run after the previous flush installs only now, on a manifest that
            // gained an L0 table since it was picked.
            if let Some((job, result)) = in_flight.take() {
                match block_on(compactor.finish_job(job, result)).unwrap() {
                    JobOutcome::Installed { .. } => installed += 1,
                    JobOutcome::Stale { id } => panic!("stale on {id}"),
                }
            }
            block_on(compactor.refresh()).unwrap();
            if let Some(job) = compactor.start_job().unwrap() {
                let result = block_on(run_job(&store, &TestClock::default(), &job));
                in_flight = Some((job, result));
            }
        }
        assert_reads_match(&mut writer, &model, keys, &format!("round {round}"));
    }
    if let Some((job, result)) = in_flight.take() {
        block_on(compactor.finish_job(job, result)).unwrap();
        installed += 1;
    }
    block_on(writer.flush()).unwrap();
    installed += catch_up(&mut compactor, &store);
    let stats = compactor.stats();
    assert_eq!(stats.compactions_installed, installed as u64);
    assert!(installed >= 10, "{stats:?}");
    assert_eq!(
        stats.installs_stale + stats.installs_fenced + stats.jobs_failed,
        0
    );
    let manifest = assert_deferred_deletion(&store, "caught up");
    assert!(
        manifest.l0.len() < L0_TRIGGER,
        "L0 holds {}",
        manifest.l0.len()
    );
    assert!(!manifest.levels.is_empty());
    // Every compacted input is pending and still in the store.
    let objects = sst_objects(&store);
    for pending in &manifest.pending_deletion {
        assert!(objects.contains(&pending.sst.id));
    }
    eprintln!(
        "interleaved: L0 {} tables, levels {:?}, pending {}, {stats:?}",
        manifest.l0.len(),
        manifest.levels.iter().map(Vec::len).collect::<Vec<_>>(),
        manifest.pending_deletion.len()
    );
    drop(writer);
    let mut fresh = open_writer(store.clone(), "fresh");
    assert_reads_match(&mut fresh, &model, keys, "fresh writer");
}

/// Starts every job the compactor allows, runs them all, then finishes them all: they are
/// in flight together. Returns the outcomes.
fn concurrent_step(
    compactor: &mut Compactor<Arc<MemoryStore>, TestClock>,
    store: &Arc<MemoryStore>,
) -> Vec<JobOutcome> {
    block_on(compactor.refresh()).unwrap();
    let mut jobs = Vec::new();
    while let Some(job) = compactor.start_job().unwrap() {
        jobs.push(job);
        assert!(jobs.len() <= 2, "more jobs than max_concurrent_compactions");
    }
    assert_eq!(compactor.running_jobs(), jobs.len());
    let inputs: Vec<BTreeSet<SstId>> = jobs.iter().map(|j| j.plan.input_ids()).collect();
    if let [a, b] = &inputs[..] {
        assert!(a.is_disjoint(b), "overlapping jobs {a:?} {b:?}");
    }
    let results: Vec<_> = jobs
        .iter()
        .map(|job| block_on(run_job(store, &TestClock::default(), job)))
        .collect();
    let mut outcomes = Vec::new();
    for (job, result) in jobs.into_iter().zip(results) {
        outcomes.push(block_on(compactor.finish_job(job, result)).unwrap());
    }
    assert_eq!(compactor.running_jobs(), 0);
    outcomes
}

#[test]
fn two_jobs_on_disjoint_inputs_both_install() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone(), "w");
    let mut compactor = open_compactor(store.clone(), 2, "c");
    let mut model = BTreeMap::new();
    // Mostly ascending keys (a time series with some rewrites of recent keys): new L0
    // tables cover recent keys only, so older level tables can compact beside them.
    let mut pairs_installed = 0;
    let mut flushes = 0;
    for i in 0..9000usize {
        let index = if i % 5 == 3 { i.saturating_sub(7) } else { i };
        let key = format!("key{index:06}");
        let value = format!("value-{i}-{}", "z".repeat(i % 19));
        block_on(writer.commit(&[put(&key, &value)])).unwrap();
        model.insert(key, value);
        if !writer.needs_flush() {
            continue;
        }
        block_on(writer.flush()).unwrap();
        flushes += 1;
        if flushes % 3 != 0 {
            continue;
        }
        let outcomes = concurrent_step(&mut compactor, &store);
        let all_installed = outcomes
            .iter()
            .all(|outcome| matches!(outcome, JobOutcome::Installed { .. }));
        assert!(all_installed, "{outcomes:?}");
        if outcomes.len() == 2 {
            pairs_installed += 1;
        }
    }
    block_on(writer.flush()).unwrap();
    catch_up(&mut compactor, &store);
    eprintln!(
        "two at once: {pairs_installed} pairs in {flushes} flushes, {:?}",
        compactor.stats()
    );
    assert!(pairs_installed >= 1, "never two jobs at once");
    assert_deferred_deletion(&store, "two at once");
    drop(writer);
    let mut fresh = open_writer(store.clone(), "fresh");
    for (key, value) in &model {
        assert_eq!(read(&mut fresh, key).as_ref(), Some(value), "{key}");
    }
}

#[test]
fn a_zombie_compactor_cannot_install() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone(), "w");
    let mut model = BTreeMap::new();
    let mut a = open_compactor(store.clone(), 1, "a");
    flush_tables(&mut writer, &mut model, L0_TRIGGER + 1, 0);
    block_on(a.refresh()).unwrap();
    let job = a.start_job().unwrap().unwrap();
    let result = block_on(run_job(&store, &TestClock::default(), &job));
    assert!(result.is_ok());
    // B starts while A is paused with a finished job.
    let mut b = open_compactor(store.clone(), 1, "b");
    assert_eq!(b.epoch(), Epoch(a.epoch().0 + 1));
    let versions = manifest_object_count(&store);
    let refused = block_on(a.finish_job(job, result));
    assert!(
        matches!(&refused, Err(error) if error.is_fenced()),
        "{refused:?}"
    );
    assert_eq!(
        manifest_object_count(&store),
        versions,
        "A wrote a manifest"
    );
    assert_eq!(a.stats().installs_fenced, 1);
    assert!(
        a.start_job().unwrap().is_none(),
        "a fenced compactor starts nothing"
    );
    assert!(block_on(a.refresh()).unwrap_err().is_fenced());
    // The writer's flushes keep installing, and B compacts.
    flush_tables(&mut writer, &mut model, 2, 1);
    assert_eq!(manifest_object_count(&store), versions + 2);
    catch_up(&mut b, &store);
    let manifest = assert_deferred_deletion(&store, "after B");
    assert!(manifest.l0.len() < L0_TRIGGER);
    assert_eq!(manifest.compactor_epoch, b.epoch());
    let mut fresh = open_writer(store.clone(), "fresh");
    for (key, value) in &model {
        assert_eq!(read(&mut fresh, key).as_ref(), Some(value));
    }
}

#[test]
fn a_flush_racing_a_compaction_install_lands_and_so_does_the_compaction() {
    let memory = Arc::new(MemoryStore::new());
    let racing = RuleStore::new(memory.clone());
    let mut writer = open_writer(memory.clone(), "w");
    let mut model = BTreeMap::new();
    let mut compactor = open_compactor(racing.clone(), 1, "c");
    flush_tables(&mut writer, &mut model, L0_TRIGGER + 1, 0);
    block_on(compactor.refresh()).unwrap();
    let job = compactor.start_job().unwrap().unwrap();
    let result = block_on(run_job(&racing, &TestClock::default(), &job));
    // The writer has a write ready; it flushes between the compactor's read of the newest
    // manifest and its create of the next version, so the compactor's CAS loses once.
    block_on(writer.commit(&[put("raced", "flush")])).unwrap();
    model.insert("raced".to_string(), "flush".to_string());
    let writer = Arc::new(Mutex::new(writer));
    let racer = writer.clone();
    // Just before the first manifest put of the compactor's install.
    racing.before_next_put(
        MANIFEST_PREFIX,
        Some("/install"),
        Box::new(move |_| {
            block_on(racer.lock().unwrap().flush()).unwrap().unwrap();
        }),
    );
    let before = latest_manifest(&memory);
    let outcome = block_on(compactor.finish_job(job.clone(), result)).unwrap();
    assert_eq!(racing.hooks_pending(), 0, "the race never ran");
    let JobOutcome::Installed {
        manifest_version, ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        manifest_version.0,
        before.version.0 + 2,
        "flush first, then the compaction"
    );
    let after = latest_manifest(&memory);
    assert_eq!(after.version, manifest_version);
    let flushed = after.l0.first().unwrap().id;
    assert!(
        !before.live_sst_ids().contains(&flushed),
        "the flush is in L0"
    );
    for id in job.plan.input_ids() {
        assert!(!after.is_live(id), "input {id} still live");
        assert!(after.referenced_by_pending().contains(&id));
    }
    assert_eq!(after.wal_replay_point, {
        let guard = writer.lock().unwrap();
        guard.manifest().wal_replay_point
    });
    check_invariants(&after).unwrap();
    let mut fresh = open_writer(memory.clone(), "fresh");
    for (key, value) in &model {
        assert_eq!(read(&mut fresh, key).as_ref(), Some(value));
    }
}
