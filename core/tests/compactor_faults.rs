//! The standalone compactor's install step under staleness and store faults: a stale job
//! installs nothing and deletes its own outputs, and faults never lose a write nor install
//! a job twice.
#![allow(clippy::unwrap_used)]

mod compactor_support;
mod writer_support;

use compactor_support::*;
use lsm_core::ids::SstId;
use lsm_core::manifest::{Manifest, check_invariants};
use lsm_core::roles::compaction_job::{InstallOutcome, InstallRequest, OutputIds, install_job};
use lsm_core::roles::compactor::{Compactor, CompactorError, JobOutcome, run_job};
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{Writer, WriterError};
use lsm_core::store::MemoryStore;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use writer_support::{
    Fault, Possible, RuleStore, TestClock, block_on, compaction_fault_patterns, delete,
    latest_manifest, manifest_object_count, put, read, record, sst_objects,
};

#[test]
fn a_stale_job_installs_nothing_and_deletes_its_own_outputs() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone(), "w");
    let mut model = BTreeMap::new();
    let mut compactor = open_compactor(store.clone(), 1, "c");
    flush_tables(&mut writer, &mut model, L0_TRIGGER + 1, 0);
    block_on(compactor.refresh()).unwrap();
    let job = compactor.start_job().unwrap().unwrap();
    let result = block_on(run_job(&store, &TestClock::default(), &job)).unwrap();
    let orphans: BTreeSet<SstId> = result.output_metas().iter().map(|m| m.id).collect();
    assert!(!orphans.is_empty());
    // Another job of the same epoch (say a manual compaction) takes the same inputs first.
    let mut other = job.clone();
    other.output_ids = OutputIds {
        first_counter: 1 << 30,
        ..job.output_ids
    };
    other.write_tag = "manual".to_string();
    let other_output = block_on(run_job(&store, &TestClock::default(), &other)).unwrap();
    let metas = other_output.output_metas();
    let request = InstallRequest {
        plan: &other.plan,
        outputs: &metas,
        compactor_epoch: compactor.epoch(),
        writer_epoch: None,
        force_delete: false,
        resolving: false,
        retry: &RetryPolicy::default(),
        cas_attempts_max: 4,
        write_tag: "manual-install",
        #[cfg(feature = "bugs")]
        bugs: lsm_core::bugs::Bugs::NONE,
    };
    let installed = block_on(install_job(&*store, &TestClock::default(), request)).unwrap();
    assert!(matches!(installed, InstallOutcome::Installed(_)));
    let versions = manifest_object_count(&store);
    let outcome = block_on(compactor.finish_job(job, Ok(result))).unwrap();
    assert!(matches!(outcome, JobOutcome::Stale { .. }), "{outcome:?}");
    assert_eq!(
        manifest_object_count(&store),
        versions,
        "a stale job installed"
    );
    assert_eq!(compactor.stats().installs_stale, 1);
    assert_eq!(compactor.running_jobs(), 0);
    let manifest = latest_manifest(&store);
    let objects = sst_objects(&store);
    assert_eq!(compactor.stats().orphans_deleted, orphans.len() as u64);
    for id in &orphans {
        assert!(!objects.contains(id), "orphan {id} was left behind");
        assert!(
            !manifest.referenced_sst_ids().contains(id),
            "orphan {id} referenced"
        );
    }
    // The compactor carries on from the newest manifest.
    assert_eq!(compactor.manifest(), &manifest);
    let mut fresh = open_writer(store.clone(), "fresh");
    for (key, value) in &model {
        assert_eq!(read(&mut fresh, key).as_ref(), Some(value));
    }
}

/// Counters summed over one faulty run.
#[derive(Default, Debug)]
struct FaultRunTally {
    acknowledged: u64,
    unresolved_commits: u64,
    writers_opened: u64,
    compactors_opened: u64,
    installed: u64,
    stale: u64,
    unresolved_installs: u64,
    /// Install attempts whose reply was lost, resolved by the compactor itself.
    install_attempts_unresolved: u64,
    job_errors: u64,
}

/// Manifest versions whose edit removed a live table from its level (trivial moves
/// included): only compactions do.
fn compaction_versions(manifests: &[Manifest]) -> u64 {
    let placed = |manifest: &Manifest| -> BTreeSet<(usize, SstId)> {
        manifest
            .live_ssts_with_level()
            .map(|(level, sst)| (level, sst.id))
            .collect()
    };
    manifests
        .windows(2)
        .filter(|pair| !placed(&pair[0]).is_subset(&placed(&pair[1])))
        .count() as u64
}

fn compaction_step_with_faults(
    compactor: &mut Option<Compactor<RuleStore, TestClock>>,
    faulty: &RuleStore,
    tally: &mut FaultRunTally,
) {
    let Some(active) = compactor.as_mut() else {
        return;
    };
    match compact_step(active, faulty) {
        None => {}
        Some(Ok(JobOutcome::Installed { .. })) => tally.installed += 1,
        Some(Ok(JobOutcome::Stale { .. })) => tally.stale += 1,
        Some(Err(CompactorError::Unresolved { .. })) => tally.unresolved_installs += 1,
        Some(Err(error)) if error.is_fenced() => panic!("nobody fences this compactor"),
        Some(Err(_)) => tally.job_errors += 1,
    }
}

fn run_with_faults(pattern: Vec<Fault>, tally: &mut FaultRunTally) {
    let memory = Arc::new(MemoryStore::new());
    let faulty = RuleStore::cycling_puts(memory.clone(), pattern);
    let mut possible = Possible::new();
    let mut writer: Option<Writer<RuleStore, TestClock>> = None;
    let mut compactor: Option<Compactor<RuleStore, TestClock>> = None;
    let keys = 120;
    for i in 0..1500 {
        if writer.is_none() {
            let opened = block_on(Writer::open(
                faulty.clone(),
                TestClock::default(),
                writer_options(),
                &format!("w{i}"),
            ));
            writer = opened.ok();
            tally.writers_opened += u64::from(writer.is_some());
        }
        if compactor.is_none() {
            let opened = block_on(Compactor::open(
                faulty.clone(),
                TestClock::default(),
                compactor_options(2),
                &format!("c{i}"),
            ));
            compactor = opened.ok();
            tally.compactors_opened += u64::from(compactor.is_some());
        }
        if i % 3 == 0 {
            compaction_step_with_faults(&mut compactor, &faulty, tally);
        }
        let Some(active) = writer.as_mut() else {
            continue;
        };
        let key = format!("key{:04}", (i * 13) % keys);
        let (op, value) = if i % 11 == 5 {
            (delete(&key), None)
        } else {
            let value = format!("v{i}-{}", "y".repeat(i % 17 + 40));
            (put(&key, &value), Some(value))
        };
        match block_on(active.commit(&[op])) {
            Ok(_) => {
                tally.acknowledged += 1;
                record(&mut possible, &key, value, true);
            }
            Err(error) if error.outcome_unknown() => {
                tally.unresolved_commits += 1;
                record(&mut possible, &key, value, false);
            }
            Err(WriterError::Store(_)) => {}
            Err(other) => panic!("unexpected commit error {other:?}"),
        }
        if active.needs_flush() {
            let _ = block_on(active.flush());
        }
        if active.stopped().is_some() {
            writer = None;
        }
    }
    drop(writer);
    if let Some(active) = &compactor {
        tally.install_attempts_unresolved += active.stats().installs_unresolved;
    }
    drop(compactor);
    // No job landed twice: every version that removed tables is one install this run
    // reported, or one whose outcome it could not learn; and no version repeats its parent.
    let manifests = all_manifests(&memory);
    let compactions = compaction_versions(&manifests);
    assert!(
        compactions >= tally.installed
            && compactions <= tally.installed + tally.unresolved_installs,
        "{compactions} compaction versions for {tally:?}"
    );
    for pair in manifests.windows(2) {
        let mut parent = pair[0].clone();
        parent.version = pair[1].version;
        assert_ne!(
            parent, pair[1],
            "version {} changes nothing",
            pair[1].version
        );
    }
    // Faults over: a clean writer finds every acknowledged write, before and after a clean
    // compactor catches up; nothing referenced is missing.
    let check = |writer: &mut Writer<Arc<MemoryStore>, TestClock>, context: &str| {
        for (key, values) in &possible {
            let found = read(writer, key);
            assert!(
                values.contains(&found),
                "{context}: {key} reads {found:?}, expected one of {values:?}"
            );
        }
    };
    let mut recovered = open_writer(memory.clone(), "check");
    check(&mut recovered, "recovered");
    block_on(recovered.flush()).unwrap();
    let mut clean = open_compactor(memory.clone(), 2, "clean");
    catch_up(&mut clean, &memory);
    let mut reread = open_writer(memory.clone(), "reread");
    check(&mut reread, "recovered and compacted");
    let manifest = latest_manifest(&memory);
    check_invariants(&manifest).unwrap();
    assert!(manifest.l0.len() < L0_TRIGGER);
    let objects = sst_objects(&memory);
    for id in manifest.referenced_sst_ids() {
        assert!(objects.contains(&id), "table {id} is missing");
    }
}

#[test]
fn faults_never_lose_a_write_nor_install_a_job_twice() {
    let mut patterns = compaction_fault_patterns();
    patterns.push([vec![Fault::None; 11], vec![Fault::Transient; 9]].concat());
    let mut total = FaultRunTally::default();
    for pattern in patterns {
        let mut tally = FaultRunTally::default();
        run_with_faults(pattern.clone(), &mut tally);
        eprintln!("{pattern:?}: {tally:?}");
        total.acknowledged += tally.acknowledged;
        total.installed += tally.installed;
        total.unresolved_installs += tally.unresolved_installs;
        total.stale += tally.stale;
        total.job_errors += tally.job_errors;
        total.install_attempts_unresolved += tally.install_attempts_unresolved;
    }
    eprintln!("total: {total:?}");
    assert!(total.acknowledged > 1000, "{total:?}");
    assert!(total.installed > 20, "{total:?}");
}
