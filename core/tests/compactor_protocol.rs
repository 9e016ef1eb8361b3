//! The standalone compactor against a writer with `no_compactor`, coordinating only through
//! the manifest: interleaved flushes and jobs keep every acknowledged write, concurrent
//! jobs on disjoint inputs both install, a fenced (zombie) compactor installs nothing, a
//! lost CAS race against a flush is re-applied, a stale job installs nothing, and store
//! faults never lose a write nor install a job twice. Deletion is deferred: compacted
//! inputs stay in the store, on the pending list.
#![allow(clippy::unwrap_used)]

mod writer_support;

use bytes::Bytes;
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::ids::{Epoch, SstId};
use lsm_core::layout::{MANIFEST_PREFIX, WRITE_TAG_ATTRIBUTE};
use lsm_core::manifest::{Manifest, check_invariants};
use lsm_core::roles::compaction_job::{
    CompactionJob, InstallOutcome, InstallRequest, OutputIds, install_job,
};
use lsm_core::roles::compactor::{
    Compactor, CompactorError, CompactorOptions, JobOutcome, run_job,
};
use lsm_core::roles::manifest_io::read_manifest;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{WriteOp, Writer, WriterError, WriterOptions};
use lsm_core::sst::SstOptions;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, MemoryStore, ObjectMeta, ObjectStore, PutMode,
    StoreError,
};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use writer_support::{
    Fault, FaultyStore, TestClock, block_on, delete, latest_manifest, manifest_object_count, put,
    read, sst_objects,
};

const L0_TRIGGER: usize = 4;
/// Bound on the steps of one catch-up loop.
const CATCH_UP_STEPS_MAX: usize = 400;

fn leveled() -> CompactionStyle {
    CompactionStyle::Leveled(LeveledOptions {
        num_levels: 5,
        level0_file_num_compaction_trigger: L0_TRIGGER,
        max_bytes_for_level_base: 16 << 10,
        max_bytes_for_level_multiplier: 4.0,
        target_file_size_base: 4 << 10,
        ..LeveledOptions::default()
    })
}

fn sst_options() -> SstOptions {
    SstOptions {
        block_size_bytes: 512,
        ..SstOptions::default()
    }
}

fn writer_options() -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 2 << 10,
        sst: sst_options(),
        compaction: None,
        ..WriterOptions::default()
    }
}

fn compactor_options(max_concurrent_compactions: usize) -> CompactorOptions {
    CompactorOptions {
        style: leveled(),
        sst: sst_options(),
        max_concurrent_compactions,
        ..CompactorOptions::default()
    }
}

fn open_writer<S: ObjectStore>(store: S, tag: &str) -> Writer<S, TestClock> {
    block_on(Writer::open(
        store,
        TestClock::default(),
        writer_options(),
        tag,
    ))
    .unwrap()
}

fn open_compactor<S: ObjectStore + Clone>(
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
fn all_manifests(store: &MemoryStore) -> Vec<Manifest> {
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
fn compact_step<S: ObjectStore + Clone>(
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
fn catch_up<S: ObjectStore + Clone>(compactor: &mut Compactor<S, TestClock>, store: &S) -> usize {
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

fn key_of(i: usize, round: usize, keys: usize) -> String {
    format!("key{:04}", (i * 37 + round * 11) % keys)
}

/// Applies op `i` of `round` to `model` and returns it.
fn workload_op(
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

fn assert_reads_match<S: ObjectStore>(
    writer: &mut Writer<S, TestClock>,
    model: &BTreeMap<String, String>,
    keys: usize,
    context: &str,
) {
    for k in 0..keys {
        let key = format!("key{k:04}");
        assert_eq!(
            read(writer, &key).as_ref(),
            model.get(&key),
            "{context}: {key}"
        );
    }
}

/// Invariants hold, every table the newest manifest names (live or pending) is in the
/// store, and something is pending: the compactor deleted nothing.
fn assert_deferred_deletion(store: &MemoryStore, context: &str) -> Manifest {
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

/// Commits and flushes until L0 holds `tables` more tables.
fn flush_tables<S: ObjectStore>(
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

/// What runs inside the store, between another role's read and its write.
type Hook = Box<dyn FnOnce() + Send>;

/// A memory store that runs a hook just before the first manifest put whose write tag
/// contains `trigger`: the test makes another role win the race there.
#[derive(Clone)]
struct RacingStore {
    inner: Arc<MemoryStore>,
    trigger: &'static str,
    hook: Arc<Mutex<Option<Hook>>>,
}

impl ObjectStore for RacingStore {
    fn get(
        &self,
        path: &str,
        range: GetRange,
    ) -> impl Future<Output = Result<GetResult, StoreError>> + Send {
        self.inner.get(path, range)
    }

    fn head(&self, path: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send {
        self.inner.head(path)
    }

    fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> impl Future<Output = Result<ETag, StoreError>> + Send {
        let tagged = attributes
            .get(WRITE_TAG_ATTRIBUTE)
            .is_some_and(|tag| tag.contains(self.trigger));
        if path.starts_with(MANIFEST_PREFIX) && tagged {
            let hook = self.hook.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
        }
        self.inner.put(path, bytes, mode, attributes)
    }

    fn delete(&self, path: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.delete(path)
    }

    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send {
        self.inner.list(prefix)
    }
}

#[test]
fn a_flush_racing_a_compaction_install_lands_and_so_does_the_compaction() {
    let memory = Arc::new(MemoryStore::new());
    let racing = RacingStore {
        inner: memory.clone(),
        trigger: "/install",
        hook: Arc::new(Mutex::new(None)),
    };
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
    *racing.hook.lock().unwrap() = Some(Box::new(move || {
        block_on(racer.lock().unwrap().flush()).unwrap().unwrap();
    }));
    let before = latest_manifest(&memory);
    let outcome = block_on(compactor.finish_job(job.clone(), result)).unwrap();
    assert!(racing.hook.lock().unwrap().is_none(), "the race never ran");
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

/// The acceptable values of each key: exactly one once a write was acknowledged, several
/// after writes whose outcome stayed unknown.
type Possible = BTreeMap<String, BTreeSet<Option<String>>>;

fn record(possible: &mut Possible, key: &str, value: Option<String>, certain: bool) {
    let entry = possible
        .entry(key.to_string())
        .or_insert_with(|| BTreeSet::from([None]));
    if certain {
        entry.clear();
    }
    entry.insert(value);
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
    compactor: &mut Option<Compactor<FaultyStore, TestClock>>,
    faulty: &FaultyStore,
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
    let faulty = FaultyStore::new(memory.clone(), pattern);
    let mut possible = Possible::new();
    let mut writer: Option<Writer<FaultyStore, TestClock>> = None;
    let mut compactor: Option<Compactor<FaultyStore, TestClock>> = None;
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
    let patterns: Vec<Vec<Fault>> = vec![
        vec![Fault::None, Fault::LostReplyApplied],
        vec![Fault::None, Fault::LostReplyDropped, Fault::None],
        vec![
            Fault::Transient,
            Fault::None,
            Fault::LostReplyApplied,
            Fault::LostReplyDropped,
        ],
        [
            vec![Fault::None; 6],
            vec![Fault::LostReplyApplied],
            vec![Fault::Transient; 3],
            vec![Fault::LostReplyDropped; 2],
        ]
        .concat(),
        // Runs of lost replies long enough to exhaust every retry: unresolved installs.
        [vec![Fault::None; 23], vec![Fault::LostReplyDropped; 8]].concat(),
        [vec![Fault::None; 17], vec![Fault::LostReplyApplied; 8]].concat(),
        [vec![Fault::None; 11], vec![Fault::Transient; 9]].concat(),
    ];
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
