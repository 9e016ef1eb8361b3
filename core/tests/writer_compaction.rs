//! The writer's embedded compactor on an in-memory store: every strategy keeps every key
//! readable while tables move, leaves what it obsoletes pending for the garbage collector
//! (no leaks once a checkpoint releases them, never before), survives reopening, cannot act
//! once fenced, and loses no acknowledged write under store faults.
#![allow(clippy::unwrap_used)]

mod writer_support;

use bytes::Bytes;
use lsm_core::compaction::fifo::FifoOptions;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::compaction::{CompactionStyle, StallState};
use lsm_core::gc::GcOptions;
use lsm_core::ids::{Epoch, SstId};
use lsm_core::layout::MANIFEST_PREFIX;
use lsm_core::manifest::{Edit, Manifest, check_invariants};
use lsm_core::roles::gc::GarbageCollector;
use lsm_core::roles::manifest_io::install;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{WRITER_CHECKPOINT_NAME, Writer, WriterError, WriterOptions};
use lsm_core::sst::SstOptions;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, MemoryStore, ObjectMeta, ObjectStore, PutMode,
    StoreError,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use writer_support::{
    Fault, FaultyStore, TestClock, block_on, delete, latest_manifest, manifest_object_count, put,
    read, sst_objects,
};

/// Each strategy's L0 compaction trigger, kept small so that compactions happen often.
const L0_TRIGGER: usize = 4;
/// Bound on `compact_once` calls in one catch-up loop.
const COMPACTIONS_PER_CATCH_UP_MAX: usize = 200;

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

fn universal() -> CompactionStyle {
    CompactionStyle::Universal(UniversalOptions {
        level0_file_num_compaction_trigger: L0_TRIGGER,
        write_buffer_size: 2 << 10,
        target_file_size_base: 8 << 10,
        ..UniversalOptions::default()
    })
}

/// FIFO that never drops data by size (so every key stays readable) but merges L0 spans.
fn fifo() -> CompactionStyle {
    CompactionStyle::Fifo(FifoOptions {
        allow_compaction: true,
        level0_file_num_compaction_trigger: L0_TRIGGER,
        ..FifoOptions::default()
    })
}

fn options(style: Option<CompactionStyle>) -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 2 << 10,
        sst: SstOptions {
            block_size_bytes: 512,
            ..SstOptions::default()
        },
        compaction: style,
        ..WriterOptions::default()
    }
}

fn open<S: ObjectStore>(
    store: S,
    style: Option<CompactionStyle>,
    tag: &str,
) -> Writer<S, TestClock> {
    block_on(Writer::open(
        store,
        TestClock::default(),
        options(style),
        tag,
    ))
    .unwrap()
}

/// Compacts until the strategy has nothing to do; returns how many compactions ran.
fn catch_up<S: ObjectStore>(writer: &mut Writer<S, TestClock>) -> usize {
    for done in 0..COMPACTIONS_PER_CATCH_UP_MAX {
        if block_on(writer.compact_once()).unwrap().is_none() {
            return done;
        }
    }
    panic!("compaction did not converge: {:?}", writer.manifest());
}

/// Releases what compaction left pending the only way core deletes it: a checkpoint taken
/// after the compactions, then a garbage-collector pass (Garnet's rule).
fn collect_garbage<S: ObjectStore + Clone>(writer: &mut Writer<S, TestClock>, store: &S) {
    block_on(writer.checkpoint(WRITER_CHECKPOINT_NAME)).unwrap();
    let mut gc = GarbageCollector::new(store.clone(), TestClock::default(), GcOptions::default());
    block_on(gc.run_once()).unwrap();
    block_on(writer.refresh_manifest()).unwrap();
}

/// The deterministic workload: puts and deletes over `keys` keys, recorded in `model`.
fn write_workload<S: ObjectStore>(
    writer: &mut Writer<S, TestClock>,
    model: &mut BTreeMap<String, String>,
    round: usize,
    ops: usize,
    keys: usize,
) {
    for i in 0..ops {
        let key = format!("key{:04}", (i * 37 + round * 11) % keys);
        let op = if i % 9 == 4 {
            model.remove(&key);
            delete(&key)
        } else {
            let value = format!("value-{round}-{i}-{}", "x".repeat(i % 23));
            model.insert(key.clone(), value.clone());
            put(&key, &value)
        };
        block_on(writer.commit(&[op])).unwrap();
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap();
            catch_up(writer);
        }
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

/// Every table the newest manifest names exists, and nothing else does: no leak.
fn assert_store_matches_manifest(store: &MemoryStore, context: &str) -> Manifest {
    let manifest = latest_manifest(store);
    check_invariants(&manifest).unwrap();
    assert!(
        manifest.pending_deletion.is_empty(),
        "{context}: pending {:?}",
        manifest.referenced_by_pending()
    );
    assert_eq!(
        sst_objects(store),
        manifest.live_sst_ids(),
        "{context}: objects under sst/ differ from the live tables"
    );
    manifest
}

fn exercise_style(style: CompactionStyle) {
    let name = style.name();
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(store.clone(), Some(style.clone()), "a");
    assert_eq!(writer.compactor_epoch(), Some(Epoch(1)));
    let mut model = BTreeMap::new();
    let keys = 400;
    for round in 0..4 {
        write_workload(&mut writer, &mut model, round, 1500, keys);
        assert_reads_match(&mut writer, &model, keys, &format!("{name} round {round}"));
    }
    block_on(writer.flush()).unwrap();
    catch_up(&mut writer);
    assert_reads_match(&mut writer, &model, keys, &format!("{name} after catch-up"));
    let stats = writer.stats();
    assert!(stats.compactions >= 5, "{name}: {stats:?}");
    assert_eq!(stats.compactions_stale, 0, "{name}");
    let pending = writer.manifest().referenced_by_pending();
    assert!(!pending.is_empty(), "{name}: compaction defers deletion");
    assert!(
        pending.is_subset(&sst_objects(&store)),
        "{name}: nothing deleted yet"
    );
    collect_garbage(&mut writer, &store);
    let manifest = assert_store_matches_manifest(&store, name);
    assert_eq!(
        writer.manifest(),
        &manifest,
        "{name}: the writer's view is the newest"
    );
    // FIFO merges a span of L0 tables only while bytes per table removed keep falling
    // (RocksDB's rule), so its L0 settles into a few size tiers rather than under the
    // trigger; it must still stay clear of the write-stall triggers.
    let l0_bound = if name == "fifo" { 8 } else { L0_TRIGGER };
    assert!(
        manifest.l0.len() < l0_bound,
        "{name}: L0 holds {} tables",
        manifest.l0.len()
    );
    eprintln!(
        "{name}: L0 {} tables, levels {:?}, {stats:?}",
        manifest.l0.len(),
        manifest.levels.iter().map(Vec::len).collect::<Vec<_>>()
    );
    assert_eq!(writer.stall_state(), StallState::Normal, "{name}");
    let now_ms = lsm_core::clock::Clock::wall_ms(&TestClock::default());
    assert!(
        style.pick(&manifest, &Default::default(), now_ms).is_none(),
        "{name}: work left"
    );
    if name != "fifo" {
        assert!(!manifest.levels.is_empty(), "{name}: nothing left L0");
        assert!(stats.compaction_output_bytes > 0, "{name}");
        assert!(stats.compaction_input_bytes > 0, "{name}");
    }
    // A new incarnation, with compaction on, reads everything back and carries on.
    drop(writer);
    let mut reopened = open(store.clone(), Some(style.clone()), "b");
    assert_eq!(reopened.compactor_epoch(), Some(Epoch(2)));
    assert_reads_match(&mut reopened, &model, keys, &format!("{name} reopened"));
    write_workload(&mut reopened, &mut model, 9, 1500, keys);
    block_on(reopened.flush()).unwrap();
    catch_up(&mut reopened);
    assert_reads_match(
        &mut reopened,
        &model,
        keys,
        &format!("{name} reopened, more"),
    );
    collect_garbage(&mut reopened, &store);
    assert_store_matches_manifest(&store, &format!("{name} reopened"));
    // And one without compaction (an external compactor's deployment) reads it too.
    drop(reopened);
    let mut plain = open(store.clone(), None, "c");
    assert_eq!(plain.compactor_epoch(), None);
    assert_eq!(block_on(plain.compact_once()).unwrap(), None);
    assert_reads_match(
        &mut plain,
        &model,
        keys,
        &format!("{name} without compactor"),
    );
}

#[test]
fn leveled_compaction_keeps_every_key_and_leaks_nothing() {
    exercise_style(leveled());
}

#[test]
fn universal_compaction_keeps_every_key_and_leaks_nothing() {
    exercise_style(universal());
}

#[test]
fn fifo_compaction_keeps_every_key_and_leaks_nothing() {
    exercise_style(fifo());
}

#[test]
fn without_a_style_the_writer_only_adds_l0_and_stalls() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(store.clone(), None, "a");
    let mut l0_tables = 0;
    let mut states = Vec::new();
    for i in 0..40 {
        block_on(writer.commit(&[put(&format!("k{i}"), "v")])).unwrap();
        block_on(writer.flush()).unwrap();
        l0_tables += 1;
        assert_eq!(block_on(writer.compact_once()).unwrap(), None);
        assert_eq!(writer.manifest().l0.len(), l0_tables);
        states.push(writer.stall_state());
    }
    assert_eq!(states[18], StallState::Normal);
    assert!(
        matches!(states[19], StallState::Delayed { .. }),
        "{states:?}"
    );
    assert!(
        matches!(states[35], StallState::Stopped { .. }),
        "{states:?}"
    );
    assert_eq!(writer.stats().compactions, 0);
}

/// Writes enough for several flushes without compacting: L0 reaches the trigger.
fn fill_l0<S: ObjectStore>(
    writer: &mut Writer<S, TestClock>,
    model: &mut BTreeMap<String, String>,
) {
    for flush in 0..(L0_TRIGGER + 2) {
        for i in 0..20 {
            let key = format!("key{:04}", (i * 7 + flush) % 60);
            let value = format!("v{flush}-{i}");
            block_on(writer.commit(&[put(&key, &value)])).unwrap();
            model.insert(key, value);
        }
        block_on(writer.flush()).unwrap();
    }
}

#[test]
fn a_zombie_writer_cannot_compact() {
    let store = Arc::new(MemoryStore::new());
    let mut zombie = open(store.clone(), Some(leveled()), "a");
    let mut model = BTreeMap::new();
    fill_l0(&mut zombie, &mut model);
    assert!(zombie.manifest().l0.len() >= L0_TRIGGER);
    let mut current = open(store.clone(), Some(leveled()), "b");
    assert_eq!(current.compactor_epoch(), Some(Epoch(2)));
    let versions = manifest_object_count(&store);
    let refused = block_on(zombie.compact_once());
    assert!(
        matches!(refused, Err(WriterError::Fenced { .. })),
        "{refused:?}"
    );
    assert!(matches!(
        block_on(zombie.compact_once()),
        Err(WriterError::Fenced { .. })
    ));
    assert_eq!(
        manifest_object_count(&store),
        versions,
        "the zombie installed"
    );
    let manifest = latest_manifest(&store);
    assert_eq!(manifest.l0.len(), zombie.manifest().l0.len());
    for sst in manifest.all_live_ssts() {
        assert!(sst_objects(&store).contains(&sst.id), "{} missing", sst.id);
    }
    assert_reads_match(&mut current, &model, 60, "after the zombie");
    assert!(catch_up(&mut current) >= 1);
    assert_reads_match(&mut current, &model, 60, "after compacting");
    // The zombie's outputs are orphans: neither live nor pending.
    let orphans: BTreeSet<SstId> = sst_objects(&store)
        .difference(&latest_manifest(&store).referenced_sst_ids())
        .copied()
        .collect();
    assert!(!orphans.is_empty());
}

#[test]
fn a_compactor_fenced_by_another_compactor_cannot_install() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(store.clone(), Some(leveled()), "a");
    let mut model = BTreeMap::new();
    fill_l0(&mut writer, &mut model);
    // A standalone compactor starts and fences the compactor epoch; the writer stays.
    block_on(install(
        &*store,
        &TestClock::default(),
        &RetryPolicy::default(),
        4,
        "standalone",
        |latest| lsm_core::manifest::decide::fence_compactor(latest, None),
    ))
    .unwrap();
    let versions = manifest_object_count(&store);
    let refused = block_on(writer.compact_once());
    assert!(
        matches!(refused, Err(WriterError::Fenced { .. })),
        "{refused:?}"
    );
    assert_eq!(manifest_object_count(&store), versions);
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

fn open_with_retries(
    store: &FaultyStore,
    style: &CompactionStyle,
    tag: &str,
) -> Option<Writer<FaultyStore, TestClock>> {
    (0..6).find_map(|attempt| {
        block_on(Writer::open(
            store.clone(),
            TestClock::default(),
            options(Some(style.clone())),
            &format!("{tag}-{attempt}"),
        ))
        .ok()
    })
}

/// Counters summed over every incarnation of one faulty run.
#[derive(Default, Debug)]
struct FaultRunTally {
    acknowledged: u64,
    unresolved: u64,
    compactions: u64,
    compaction_errors: u64,
    compactions_unresolved: u64,
    compactions_stale: u64,
    reopened: u64,
}

impl FaultRunTally {
    fn add_writer<S: ObjectStore>(&mut self, writer: &Writer<S, TestClock>) {
        let stats = writer.stats();
        self.compactions += stats.compactions;
        self.compactions_stale += stats.compactions_stale;
    }
}

fn run_with_faults(style: &CompactionStyle, pattern: Vec<Fault>, tally: &mut FaultRunTally) {
    let memory = Arc::new(MemoryStore::new());
    let faulty = FaultyStore::new(memory.clone(), pattern);
    let mut possible = Possible::new();
    let mut writer = None;
    let keys = 120;
    for i in 0..1500 {
        if writer.is_none() {
            writer = open_with_retries(&faulty, style, &format!("w{i}"));
            tally.reopened += 1;
        }
        let Some(active) = writer.as_mut() else {
            continue;
        };
        let key = format!("key{:04}", (i * 13) % keys);
        let (op, value) = if i % 11 == 5 {
            (delete(&key), None)
        } else {
            let value = format!("v{i}-{}", "y".repeat(i % 17));
            (put(&key, &value), Some(value))
        };
        match block_on(active.commit(&[op])) {
            Ok(_) => {
                tally.acknowledged += 1;
                record(&mut possible, &key, value, true);
            }
            Err(error) if error.outcome_unknown() => {
                tally.unresolved += 1;
                record(&mut possible, &key, value, false);
            }
            Err(WriterError::Store(_)) => {}
            Err(other) => panic!("unexpected commit error {other:?}"),
        }
        if active.needs_flush() {
            let _ = block_on(active.flush());
        }
        if i % 3 == 0 {
            match block_on(active.compact_once()) {
                Ok(Some(_)) => {}
                Ok(None) => {}
                Err(error) => {
                    tally.compaction_errors += 1;
                    if error.outcome_unknown() {
                        tally.compactions_unresolved += 1;
                    }
                }
            }
        }
        if active.stopped().is_some() {
            tally.add_writer(active);
            writer = None;
        }
    }
    if let Some(active) = &writer {
        tally.add_writer(active);
    }
    drop(writer);
    // Faults over: a clean incarnation must find every acknowledged write, and after it
    // catches up, every table the manifest names must exist and nothing stay pending.
    let mut recovered = open(memory.clone(), Some(style.clone()), "check");
    let check = |writer: &mut Writer<Arc<MemoryStore>, TestClock>, context: &str| {
        for (key, values) in &possible {
            let found = read(writer, key);
            assert!(
                values.contains(&found),
                "{context}: {key} reads {found:?}, expected one of {values:?}"
            );
        }
    };
    check(&mut recovered, "recovered");
    block_on(recovered.flush()).unwrap();
    catch_up(&mut recovered);
    check(&mut recovered, "recovered and compacted");
    collect_garbage(&mut recovered, &memory);
    check(&mut recovered, "collected");
    let manifest = latest_manifest(&memory);
    check_invariants(&manifest).unwrap();
    assert!(manifest.pending_deletion.is_empty());
    let objects = sst_objects(&memory);
    for id in manifest.live_sst_ids() {
        assert!(objects.contains(&id), "live table {id} is missing");
    }
}

#[test]
fn faults_never_lose_an_acknowledged_write() {
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
        // Long runs of transient errors: definite failures everywhere.
        [vec![Fault::None; 13], vec![Fault::Transient; 8]].concat(),
    ];
    for style in [leveled(), universal(), fifo()] {
        let mut tally = FaultRunTally::default();
        for pattern in &patterns {
            run_with_faults(&style, pattern.clone(), &mut tally);
        }
        eprintln!("{}: {tally:?}", style.name());
        assert!(tally.acknowledged > 3000, "{}: {tally:?}", style.name());
        assert!(tally.compactions > 20, "{}: {tally:?}", style.name());
        assert!(tally.unresolved > 0, "{}: {tally:?}", style.name());
        assert!(tally.compaction_errors > 0, "{}: {tally:?}", style.name());
    }
}

/// A memory store whose manifest puts follow a script of faults and whose deletes can be
/// made to fail, to reach one protocol step at a time.
#[derive(Clone)]
struct ScriptedStore {
    inner: Arc<MemoryStore>,
    manifest_put_faults: Arc<Mutex<VecDeque<Fault>>>,
    deletes_fail: Arc<AtomicBool>,
}

impl ScriptedStore {
    fn new(inner: Arc<MemoryStore>) -> ScriptedStore {
        ScriptedStore {
            inner,
            manifest_put_faults: Arc::default(),
            deletes_fail: Arc::default(),
        }
    }

    fn script_manifest_puts(&self, faults: &[Fault]) {
        self.manifest_put_faults
            .lock()
            .unwrap()
            .extend(faults.iter().copied());
    }

    fn next_manifest_fault(&self, path: &str) -> Fault {
        if !path.starts_with(MANIFEST_PREFIX) {
            return Fault::None;
        }
        self.manifest_put_faults
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Fault::None)
    }
}

impl ObjectStore for ScriptedStore {
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

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let lost = StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        match self.next_manifest_fault(path) {
            Fault::None => self.inner.put(path, bytes, mode, attributes).await,
            Fault::Transient => Err(StoreError::Transient {
                path: path.to_string(),
                detail: "scripted".into(),
            }),
            Fault::LostReplyApplied => {
                let _ = self.inner.put(path, bytes, mode, attributes).await;
                Err(lost)
            }
            Fault::LostReplyDropped => Err(lost),
        }
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        if self.deletes_fail.load(Ordering::SeqCst) {
            return Err(StoreError::Transient {
                path: path.to_string(),
                detail: "scripted".into(),
            });
        }
        self.inner.delete(path).await
    }

    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send {
        self.inner.list(prefix)
    }
}

fn scripted_writer() -> (
    Arc<MemoryStore>,
    ScriptedStore,
    Writer<ScriptedStore, TestClock>,
    BTreeMap<String, String>,
) {
    let memory = Arc::new(MemoryStore::new());
    let scripted = ScriptedStore::new(memory.clone());
    let mut writer = open(scripted.clone(), Some(leveled()), "a");
    let mut model = BTreeMap::new();
    fill_l0(&mut writer, &mut model);
    (memory, scripted, writer, model)
}

#[test]
fn an_unknown_install_outcome_is_resolved_before_installing_again() {
    for first in [Fault::LostReplyApplied, Fault::LostReplyDropped] {
        let (memory, scripted, mut writer, model) = scripted_writer();
        let versions = manifest_object_count(&memory);
        // The first attempt's create goes unanswered (it may apply); the engine's next
        // attempt first looks whether it landed, so it never lands twice.
        let attempts = RetryPolicy::default().attempts() as usize;
        scripted.script_manifest_puts(&[first]);
        scripted.script_manifest_puts(&vec![Fault::LostReplyDropped; attempts - 1]);
        let resolved = block_on(writer.compact_once()).unwrap();
        assert!(resolved.is_some(), "{first:?}: the job itself is reported");
        assert!(
            writer.stopped().is_none(),
            "an unknown outcome must not poison"
        );
        assert_eq!(writer.stats().compactions, 1);
        assert_eq!(
            manifest_object_count(&memory),
            versions + 1,
            "{first:?}: exactly one compaction version"
        );
        assert_eq!(writer.manifest(), &latest_manifest(&memory));
        assert_reads_match(&mut writer, &model, 60, "resolved");
        catch_up(&mut writer);
        collect_garbage(&mut writer, &scripted);
        assert_reads_match(&mut writer, &model, 60, "caught up");
        assert_store_matches_manifest(&memory, &format!("{first:?}"));
    }
}

#[test]
fn default_options_never_delete_a_pending_table_a_live_checkpoint_reads() {
    let store = Arc::new(MemoryStore::new());
    let options = WriterOptions {
        compaction: Some(leveled()),
        ..WriterOptions::default()
    };
    let mut writer = block_on(Writer::open(
        store.clone(),
        TestClock::default(),
        options,
        "a",
    ))
    .unwrap();
    let mut model = BTreeMap::new();
    for table in 0..L0_TRIGGER {
        for i in 0..40 {
            let (key, value) = (format!("key{i:03}"), format!("v{table}-{i}"));
            block_on(writer.commit(&[put(&key, &value)])).unwrap();
            model.insert(key, value);
        }
        block_on(writer.flush()).unwrap();
    }
    let checkpoint = block_on(writer.checkpoint("keep")).unwrap();
    let read_by_checkpoint = writer.manifest().live_sst_ids();
    assert_eq!(writer.manifest().version, checkpoint.manifest_version);
    assert!(catch_up(&mut writer) >= 1, "L0 at its trigger compacts");
    let pending = writer.manifest().referenced_by_pending();
    assert!(
        read_by_checkpoint.is_subset(&pending),
        "the checkpoint's tables are compaction inputs now pending"
    );
    // Neither the embedded compactor nor a default garbage collector deletes them while the
    // checkpoint is listed, however many passes run.
    let mut gc = GarbageCollector::new(store.clone(), TestClock::default(), GcOptions::default());
    for _ in 0..3 {
        block_on(gc.run_once()).unwrap();
        assert!(catch_up(&mut writer) == 0);
    }
    assert!(
        read_by_checkpoint.is_subset(&sst_objects(&store)),
        "a table the live checkpoint reads was deleted"
    );
    assert_reads_match(&mut writer, &model, 40, "checkpoint kept");
    // A newer checkpoint of that name releases it; then, and only then, they go.
    block_on(writer.checkpoint("keep")).unwrap();
    block_on(gc.run_once()).unwrap();
    assert!(read_by_checkpoint.is_disjoint(&sst_objects(&store)));
    assert_reads_match(&mut writer, &model, 40, "released");
}

#[test]
fn a_stale_plan_is_dropped_and_its_outputs_deleted() {
    let (memory, scripted, mut writer, _model) = scripted_writer();
    // Another job under the same compactor epoch (a bug elsewhere) takes an L0 table the
    // writer's plan will name; the writer's view is now stale.
    let taken = writer.manifest().l0.last().unwrap().id;
    let epoch = writer.compactor_epoch().unwrap();
    block_on(install(
        &*memory,
        &TestClock::default(),
        &RetryPolicy::default(),
        4,
        "intruder",
        |_| {
            let edit = Edit::Compaction {
                compactor_epoch: epoch,
                removed: BTreeSet::from([taken]),
                added: Vec::new(),
                force_delete: false,
            };
            Ok(lsm_core::manifest::decide::Decision::Install { edit, output: () })
        },
    ))
    .unwrap();
    assert_eq!(block_on(writer.compact_once()).unwrap(), None);
    assert_eq!(writer.stats().compactions_stale, 1);
    assert_eq!(writer.manifest(), &latest_manifest(&memory), "refreshed");
    let orphans: BTreeSet<SstId> = sst_objects(&memory)
        .difference(&latest_manifest(&memory).referenced_sst_ids())
        .copied()
        .collect();
    assert!(
        orphans.is_empty(),
        "the stale job's outputs are deleted: {orphans:?}"
    );
    // The next call compacts from the fresh view; a checkpoint and GC delete the table taken.
    assert!(block_on(writer.compact_once()).unwrap().is_some());
    catch_up(&mut writer);
    collect_garbage(&mut writer, &scripted);
    let manifest = latest_manifest(&memory);
    assert!(manifest.pending_deletion.is_empty());
    assert!(!sst_objects(&memory).contains(&taken));
}
