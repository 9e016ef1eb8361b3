//! Remote compaction (Schedule → OpenAndCompact → result → Install & Purge) with the
//! in-memory store: the happy path, and one named test per failure outcome — worker crash
//! mid-job, late result after a reschedule, stale inputs, corrupt or truncated outputs,
//! empty output, primary crash between schedule and install — plus duplicates, the
//! message codec and the garbage collector's rule for temporary outputs.
#![allow(clippy::unwrap_used)]

mod writer_support;

use bytes::Bytes;
#[cfg(feature = "bugs")]
use lsm_core::bugs::{Bug, Bugs};
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::gc::{GcOptions, plan_tmp_gc};
use lsm_core::ids::Epoch;
use lsm_core::layout::{TMP_PREFIX, sst_path, tmp_job_prefix};
use lsm_core::roles::gc::GarbageCollector;
use lsm_core::roles::remote::{
    RemoteOutcome, RemoteResult, RemoteWorker, decode_job, decode_result, encode_job, encode_result,
};
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{
    Dispatch, RemoteFallback, RemoteOptions, RemotePrimary, ResultVerdict, Writer, WriterOptions,
};
use lsm_core::sst::SstOptions;
use lsm_core::store::{Attributes, GetRange, MemoryStore, ObjectMeta, ObjectStore, PutMode};
use std::sync::Arc;
use std::time::Duration;
use writer_support::{TestClock, block_on, delete, latest_manifest, put, read, sst_objects};

type Store = Arc<MemoryStore>;
type TestWriter = Writer<Store, TestClock>;

const TIMEOUT: Duration = Duration::from_secs(30);

fn writer_options() -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 2 << 10,
        sst: SstOptions {
            block_size_bytes: 512,
            ..SstOptions::default()
        },
        compaction: Some(CompactionStyle::Leveled(LeveledOptions {
            num_levels: 4,
            level0_file_num_compaction_trigger: 4,
            max_bytes_for_level_base: 64 << 10,
            target_file_size_base: 16 << 10,
            ..LeveledOptions::default()
        })),
        ..WriterOptions::default()
    }
}

fn remote_options(fallback: RemoteFallback) -> RemoteOptions {
    RemoteOptions {
        job_timeout: TIMEOUT,
        fallback,
        remote_attempts_max: 2,
        jobs_in_flight_max: 1,
        abandoned_keep: Duration::from_secs(120),
        closed_keep: 16,
        tmp_sweep_interval: Duration::from_secs(10),
    }
}

struct World {
    store: Store,
    clock: TestClock,
    writer: TestWriter,
    primary: RemotePrimary,
}

fn open(store: &Store, clock: &TestClock, tag: &str, fallback: RemoteFallback) -> World {
    open_with(store, clock, tag, fallback, writer_options())
}

fn open_with(
    store: &Store,
    clock: &TestClock,
    tag: &str,
    fallback: RemoteFallback,
    options: WriterOptions,
) -> World {
    let writer = block_on(Writer::open(store.clone(), clock.clone(), options, tag)).unwrap();
    let primary = RemotePrimary::new(remote_options(fallback), writer.compactor_epoch());
    World {
        store: store.clone(),
        clock: clock.clone(),
        writer,
        primary,
    }
}

fn new_world(fallback: RemoteFallback) -> World {
    new_world_with(fallback, writer_options())
}

fn new_world_with(fallback: RemoteFallback, options: WriterOptions) -> World {
    open_with(
        &Arc::new(MemoryStore::new()),
        &TestClock::default(),
        "w1",
        fallback,
        options,
    )
}

/// The writer options with one injected bug.
#[cfg(feature = "bugs")]
fn with_bug(bug: Bug) -> WriterOptions {
    WriterOptions {
        bugs: Bugs::only(bug),
        ..writer_options()
    }
}

/// Four L0 tables with interleaved keys (enough to trigger an L0 merge, not a move).
fn fill_l0(writer: &mut TestWriter) {
    for table in 0..4 {
        let ops: Vec<_> = (0..20)
            .map(|i| {
                put(
                    &format!("key{:03}", i * 4 + table),
                    &format!("v{table}-{i}"),
                )
            })
            .collect();
        block_on(writer.commit(&ops)).unwrap();
        block_on(writer.flush()).unwrap();
    }
    assert_eq!(writer.manifest().l0.len(), 4);
}

fn worker(world: &World, tag: &str) -> RemoteWorker<Store, TestClock> {
    RemoteWorker::new(
        world.store.clone(),
        world.clock.clone(),
        RetryPolicy::default(),
        tag,
    )
}

/// The job goes over the wire as bytes and the result comes back as bytes.
fn run_remotely(world: &World, dispatch: &Dispatch) -> RemoteResult {
    let job = decode_job(&encode_job(&dispatch.job).unwrap()).unwrap();
    let result = block_on(worker(world, "worker").compact(&job));
    decode_result(&encode_result(&result).unwrap()).unwrap()
}

fn poll(world: &mut World) -> Vec<Dispatch> {
    block_on(world.primary.poll(&mut world.writer)).unwrap()
}

fn deliver(world: &mut World, result: RemoteResult) -> ResultVerdict {
    block_on(world.primary.on_result(&mut world.writer, result)).unwrap()
}

fn advance(clock: &TestClock, by: Duration) {
    block_on(lsm_core::clock::Clock::sleep(clock, by));
}

fn tmp_objects(store: &Store) -> Vec<ObjectMeta> {
    block_on(store.list(TMP_PREFIX)).unwrap()
}

fn assert_all_keys_readable(writer: &mut TestWriter) {
    for table in 0..4 {
        for i in 0..20 {
            let key = format!("key{:03}", i * 4 + table);
            assert_eq!(read(writer, &key), Some(format!("v{table}-{i}")), "{key}");
        }
    }
}

fn single_dispatch(world: &mut World) -> Dispatch {
    let mut dispatches = poll(world);
    assert_eq!(dispatches.len(), 1, "one job in flight at most");
    dispatches.pop().unwrap()
}

#[test]
fn remote_job_installs_and_purges_its_temporary_prefix() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let inputs = world.writer.manifest().l0.clone();
    let dispatch = single_dispatch(&mut world);
    assert_eq!(dispatch.attempt, 0);
    assert_eq!(dispatch.job.output_prefix, dispatch.job.id.tmp_prefix());
    let result = run_remotely(&world, &dispatch);
    assert!(result.output_count() > 0);
    assert!(
        !tmp_objects(&world.store).is_empty(),
        "outputs wait under tmp/"
    );
    let manifest_before = latest_manifest(&world.store).version;
    let verdict = deliver(&mut world, result.clone());
    let ResultVerdict::Installed { outputs, late, .. } = verdict else {
        panic!("not installed: {verdict:?}");
    };
    assert!(!late);
    let manifest = latest_manifest(&world.store);
    assert_eq!(manifest.version.0, manifest_before.0 + 1);
    assert!(manifest.l0.is_empty());
    let pending: Vec<_> = manifest.pending_deletion.iter().map(|p| p.sst.id).collect();
    for input in &inputs {
        assert!(
            pending.contains(&input.id),
            "inputs go onto the pending list"
        );
    }
    let objects = sst_objects(&world.store);
    let RemoteOutcome::Compacted { outputs: metas, .. } = &result.outcome else {
        panic!()
    };
    assert_eq!(metas.len(), outputs);
    for meta in metas {
        assert!(objects.contains(&meta.id), "outputs have their final names");
        assert!(manifest.is_live(meta.id));
    }
    assert!(tmp_objects(&world.store).is_empty(), "the prefix is purged");
    assert_all_keys_readable(&mut world.writer);
    let stats = world.primary.stats();
    assert_eq!((stats.jobs_scheduled, stats.jobs_succeeded), (1, 1));
}

#[test]
fn duplicate_result_installs_nothing_twice() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let result = run_remotely(&world, &dispatch);
    assert!(matches!(
        deliver(&mut world, result.clone()),
        ResultVerdict::Installed { .. }
    ));
    let version = latest_manifest(&world.store).version;
    assert_eq!(
        deliver(&mut world, result.clone()),
        ResultVerdict::Duplicate
    );
    assert_eq!(deliver(&mut world, result), ResultVerdict::Duplicate);
    assert_eq!(latest_manifest(&world.store).version, version);
    assert_eq!(world.primary.stats().duplicates_ignored, 2);
    assert_all_keys_readable(&mut world.writer);
}

#[test]
fn worker_crash_mid_job_times_out_then_reschedules() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let first = single_dispatch(&mut world);
    // The worker wrote part of an output and died: nobody answers.
    let partial = first
        .job
        .id
        .output_path(first.job.output_ids.nth(0).unwrap());
    block_on(world.store.put(
        &partial,
        Bytes::from_static(b"half a table"),
        PutMode::Create,
        Attributes::new(),
    ))
    .unwrap();
    assert!(
        poll(&mut world).is_empty(),
        "nothing new before the timeout"
    );
    advance(&world.clock, TIMEOUT + Duration::from_millis(1));
    let second = single_dispatch(&mut world);
    assert_eq!(second.attempt, 1);
    assert_ne!(
        second.job.id, first.job.id,
        "a reschedule is a new dispatch"
    );
    assert_eq!(second.job.plan, first.job.plan);
    assert_eq!(world.primary.stats().jobs_timed_out, 1);
    let result = run_remotely(&world, &second);
    assert!(matches!(
        deliver(&mut world, result),
        ResultVerdict::Installed { .. }
    ));
    assert_all_keys_readable(&mut world.writer);
    // The crashed job's partial output goes once its job is closed and a sweep runs.
    advance(&world.clock, Duration::from_secs(121));
    poll(&mut world);
    assert!(tmp_objects(&world.store).is_empty());
}

#[test]
fn worker_crash_mid_job_falls_back_to_local_compaction() {
    let mut world = new_world(RemoteFallback::Local);
    fill_l0(&mut world.writer);
    let _lost = single_dispatch(&mut world);
    advance(&world.clock, TIMEOUT + Duration::from_millis(1));
    assert!(
        poll(&mut world).is_empty(),
        "compacted locally, not re-sent"
    );
    let stats = world.primary.stats();
    assert_eq!((stats.jobs_timed_out, stats.fell_back_local), (1, 1));
    assert!(world.writer.manifest().l0.is_empty());
    assert_eq!(world.writer.stats().compactions, 1);
    assert_all_keys_readable(&mut world.writer);
}

#[test]
fn late_result_after_reschedule_is_installed_once() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let first = single_dispatch(&mut world);
    advance(&world.clock, TIMEOUT + Duration::from_millis(1));
    let second = single_dispatch(&mut world);
    let late = run_remotely(&world, &first);
    let fresh = run_remotely(&world, &second);
    let verdict = deliver(&mut world, late);
    assert!(
        matches!(verdict, ResultVerdict::Installed { late: true, .. }),
        "the first result to arrive wins: {verdict:?}"
    );
    let version = latest_manifest(&world.store).version;
    let verdict = deliver(&mut world, fresh.clone());
    assert!(matches!(
        verdict,
        ResultVerdict::RejectedStale { late: false, .. }
    ));
    assert_eq!(latest_manifest(&world.store).version, version);
    let RemoteOutcome::Compacted { outputs, .. } = &fresh.outcome else {
        panic!()
    };
    let objects = sst_objects(&world.store);
    for meta in outputs {
        assert!(
            !objects.contains(&meta.id),
            "the loser's outputs never get final names"
        );
    }
    assert!(tmp_objects(&world.store).is_empty());
    let stats = world.primary.stats();
    assert_eq!((stats.late_results, stats.late_installed), (1, 1));
    assert_all_keys_readable(&mut world.writer);
}

#[test]
fn late_result_after_the_rescheduled_job_installed_is_rejected() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let first = single_dispatch(&mut world);
    advance(&world.clock, TIMEOUT + Duration::from_millis(1));
    let second = single_dispatch(&mut world);
    let fresh = run_remotely(&world, &second);
    assert!(matches!(
        deliver(&mut world, fresh),
        ResultVerdict::Installed { late: false, .. }
    ));
    let late = run_remotely(&world, &first);
    let verdict = deliver(&mut world, late);
    assert!(matches!(
        verdict,
        ResultVerdict::RejectedStale { late: true, .. }
    ));
    assert!(
        tmp_objects(&world.store).is_empty(),
        "rejected and cleaned up"
    );
    assert_eq!(world.writer.stats().compactions, 1);
}

#[test]
fn stale_inputs_are_rejected_and_outputs_cleaned() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    // Another compaction took the inputs meanwhile (the writer's own, here).
    assert!(block_on(world.writer.compact_once()).unwrap().is_some());
    let result = run_remotely(&world, &dispatch);
    let verdict = deliver(&mut world, result);
    assert!(
        matches!(verdict, ResultVerdict::RejectedStale { .. }),
        "{verdict:?}"
    );
    assert!(tmp_objects(&world.store).is_empty());
    assert_eq!(world.primary.stats().rejected_stale, 1);
    assert_all_keys_readable(&mut world.writer);
}

/// Rewrites the first output of `result` under its temporary name.
fn damage_first_output(world: &World, result: &RemoteResult, damage: impl Fn(&[u8]) -> Vec<u8>) {
    let RemoteOutcome::Compacted { outputs, .. } = &result.outcome else {
        panic!()
    };
    let path = result.job.output_path(outputs[0].id);
    let got = block_on(world.store.get(&path, GetRange::Whole)).unwrap();
    let damaged = Bytes::from(damage(&got.bytes));
    block_on(
        world
            .store
            .put(&path, damaged, PutMode::Overwrite, Attributes::new()),
    )
    .unwrap();
}

fn assert_rejected_then_rescheduled(world: &mut World, result: RemoteResult) {
    let version = latest_manifest(&world.store).version;
    let verdict = deliver(world, result);
    assert!(
        matches!(verdict, ResultVerdict::RejectedCorrupt { .. }),
        "{verdict:?}"
    );
    assert_eq!(
        latest_manifest(&world.store).version,
        version,
        "nothing installed"
    );
    assert!(tmp_objects(&world.store).is_empty());
    let retry = single_dispatch(world);
    assert_eq!(retry.attempt, 1, "the plan is re-sent");
    let result = run_remotely(world, &retry);
    assert!(matches!(
        deliver(world, result),
        ResultVerdict::Installed { .. }
    ));
    assert_all_keys_readable(&mut world.writer);
}

#[test]
fn corrupt_output_is_detected_by_checksum_and_rejected() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let result = run_remotely(&world, &dispatch);
    damage_first_output(&world, &result, |bytes| {
        let mut flipped = bytes.to_vec();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        flipped
    });
    assert_rejected_then_rescheduled(&mut world, result);
}

#[test]
fn truncated_output_is_rejected() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let result = run_remotely(&world, &dispatch);
    damage_first_output(&world, &result, |bytes| bytes[..bytes.len() / 3].to_vec());
    assert_rejected_then_rescheduled(&mut world, result);
}

#[test]
fn corrupt_output_falls_back_to_local_compaction() {
    let mut world = new_world(RemoteFallback::Local);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let result = run_remotely(&world, &dispatch);
    damage_first_output(&world, &result, |bytes| bytes[..bytes.len() - 1].to_vec());
    let verdict = deliver(&mut world, result);
    assert!(matches!(verdict, ResultVerdict::RejectedCorrupt { .. }));
    assert_eq!(world.primary.stats().fell_back_local, 1);
    assert!(world.writer.manifest().l0.is_empty());
    assert_all_keys_readable(&mut world.writer);
}

/// `remote-stale-install`: the same stale result is no longer refused by the primary; its
/// edit reaches the manifest, which refuses it as invalid (its outputs overlap the newer
/// compaction's in L1), and the primary reports that as the protocol bug it is.
#[cfg(feature = "bugs")]
#[test]
fn bug_remote_stale_install_sends_the_stale_edit() {
    let mut world = new_world_with(
        RemoteFallback::Reschedule,
        with_bug(Bug::RemoteStaleInstall),
    );
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    assert!(block_on(world.writer.compact_once()).unwrap().is_some());
    let version = latest_manifest(&world.store).version;
    let result = run_remotely(&world, &dispatch);
    let verdict = deliver(&mut world, result);
    assert!(
        matches!(verdict, ResultVerdict::RefusedInvalid { .. }),
        "{verdict:?}"
    );
    let stats = world.primary.stats();
    assert_eq!((stats.rejected_stale, stats.refused_invalid), (0, 1));
    assert_eq!(latest_manifest(&world.store).version, version);
    assert!(tmp_objects(&world.store).is_empty());
}

#[test]
fn missing_output_is_rejected() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let result = run_remotely(&world, &dispatch);
    let RemoteOutcome::Compacted { outputs, .. } = &result.outcome else {
        panic!()
    };
    block_on(world.store.delete(&result.job.output_path(outputs[0].id))).unwrap();
    assert_rejected_then_rescheduled(&mut world, result);
}

#[test]
fn empty_output_removes_inputs_without_deleting_them() {
    let mut world = new_world(RemoteFallback::Reschedule);
    let keys = ["a", "b", "c"];
    let ops: Vec<_> = keys.iter().map(|key| put(key, "doomed")).collect();
    block_on(world.writer.commit(&ops)).unwrap();
    block_on(world.writer.flush()).unwrap();
    for _ in 0..3 {
        let ops: Vec<_> = keys.iter().map(|key| delete(key)).collect();
        block_on(world.writer.commit(&ops)).unwrap();
        block_on(world.writer.flush()).unwrap();
    }
    let inputs: Vec<_> = world.writer.manifest().l0.iter().map(|m| m.id).collect();
    assert_eq!(inputs.len(), 4);
    let dispatch = single_dispatch(&mut world);
    assert!(dispatch.job.plan.bottommost);
    let result = run_remotely(&world, &dispatch);
    assert_eq!(result.output_count(), 0, "every entry dropped");
    let verdict = deliver(&mut world, result);
    assert!(
        matches!(verdict, ResultVerdict::Installed { outputs: 0, .. }),
        "{verdict:?}"
    );
    let manifest = latest_manifest(&world.store);
    assert_eq!(manifest.live_sst_ids().len(), 0);
    let objects = sst_objects(&world.store);
    for id in &inputs {
        assert!(!manifest.is_live(*id));
        assert!(
            objects.contains(id),
            "an input is never deleted as if it were an output"
        );
        assert!(manifest.pending_deletion.iter().any(|p| p.sst.id == *id));
    }
    assert_eq!(world.primary.stats().empty_outputs, 1);
    for key in keys {
        assert_eq!(read(&mut world.writer, key), None);
    }
}

/// `remote-empty-output-deletes-input`: the install still puts the inputs on the pending
/// list, but their objects are gone at once, so a checkpoint that still reads them (or
/// the garbage collector's bookkeeping) finds them missing.
#[cfg(feature = "bugs")]
#[test]
fn bug_remote_empty_output_deletes_the_inputs() {
    let mut world = new_world_with(
        RemoteFallback::Reschedule,
        with_bug(Bug::RemoteEmptyOutputDeletesInput),
    );
    let keys = ["a", "b", "c"];
    let ops: Vec<_> = keys.iter().map(|key| put(key, "doomed")).collect();
    block_on(world.writer.commit(&ops)).unwrap();
    block_on(world.writer.flush()).unwrap();
    for _ in 0..3 {
        let ops: Vec<_> = keys.iter().map(|key| delete(key)).collect();
        block_on(world.writer.commit(&ops)).unwrap();
        block_on(world.writer.flush()).unwrap();
    }
    let inputs: Vec<_> = world.writer.manifest().l0.iter().map(|m| m.id).collect();
    let dispatch = single_dispatch(&mut world);
    let result = run_remotely(&world, &dispatch);
    assert_eq!(result.output_count(), 0);
    let verdict = deliver(&mut world, result);
    assert!(matches!(
        verdict,
        ResultVerdict::Installed { outputs: 0, .. }
    ));
    let manifest = latest_manifest(&world.store);
    let objects = sst_objects(&world.store);
    for id in &inputs {
        assert!(manifest.pending_deletion.iter().any(|p| p.sst.id == *id));
        assert!(!objects.contains(id), "deleted while still pending");
    }
}

#[test]
fn primary_crash_between_schedule_and_install_leaves_tmp_for_gc() {
    let store: Store = Arc::new(MemoryStore::new());
    let clock = TestClock::default();
    let mut world = open(&store, &clock, "w1", RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let old_epoch = world.writer.compactor_epoch().unwrap();
    let result = run_remotely(&world, &dispatch);
    let tmp_before = tmp_objects(&store);
    assert!(!tmp_before.is_empty());
    // The primary dies; a new one opens and fences its compactor epoch.
    drop(world);
    let mut world = open(&store, &clock, "w2", RemoteFallback::Reschedule);
    assert!(world.writer.compactor_epoch().unwrap() > old_epoch);
    // The old primary's result reaches the new one: not its job, never installed.
    assert_eq!(deliver(&mut world, result), ResultVerdict::Foreign);
    assert_eq!(tmp_objects(&store).len(), tmp_before.len());
    // The garbage collector collects the fenced primary's temporary outputs.
    let options = GcOptions {
        retry: RetryPolicy::default(),
        ..GcOptions::default()
    };
    let mut gc = GarbageCollector::new(store.clone(), clock.clone(), options);
    let pass = block_on(gc.run_once()).unwrap();
    assert_eq!(pass.tmp_deleted, tmp_before.len() as u64);
    assert!(tmp_objects(&store).is_empty());
    assert_all_keys_readable(&mut world.writer);
}

#[test]
fn primary_sweep_collects_prefixes_no_open_job_owns() {
    let mut world = new_world(RemoteFallback::Reschedule);
    let epoch = world.writer.compactor_epoch().unwrap();
    let own_stray = format!("{}{}", tmp_job_prefix(epoch, 99), "x.sst");
    let older = format!("{}{}", tmp_job_prefix(Epoch(epoch.0 - 1), 0), "y.sst");
    let newer = format!("{}{}", tmp_job_prefix(Epoch(epoch.0 + 1), 0), "z.sst");
    for path in [&own_stray, &older, &newer] {
        block_on(world.store.put(
            path,
            Bytes::from_static(b"t"),
            PutMode::Create,
            Attributes::new(),
        ))
        .unwrap();
    }
    poll(&mut world);
    let left: Vec<String> = tmp_objects(&world.store)
        .into_iter()
        .map(|m| m.path)
        .collect();
    assert_eq!(
        left,
        vec![newer],
        "a newer primary's prefix is not this one's to purge"
    );
}

#[test]
fn plan_tmp_gc_collects_only_fenced_epochs() {
    let mut manifest = latest_manifest(&MemoryStore::new());
    manifest.compactor_epoch = Epoch(5);
    let meta = |path: String| ObjectMeta {
        path,
        size_bytes: 1,
        etag: lsm_core::store::ETag("e".to_string()),
        attributes: Attributes::new(),
    };
    let listed = vec![
        meta(format!("{}a.sst", tmp_job_prefix(Epoch(4), 1))),
        meta(format!("{}b.sst", tmp_job_prefix(Epoch(5), 2))),
        meta(format!("{}c.sst", tmp_job_prefix(Epoch(6), 3))),
        meta("tmp/not-a-job/d.sst".to_string()),
        meta(sst_path(lsm_core::ids::SstId(1))),
    ];
    let planned = plan_tmp_gc(&manifest, &listed, 100);
    assert_eq!(planned, vec![listed[0].path.clone()]);
    assert!(plan_tmp_gc(&manifest, &listed, 0).is_empty());
}

#[test]
fn job_and_result_codecs_reject_corruption_without_panicking() {
    let mut world = new_world(RemoteFallback::Reschedule);
    fill_l0(&mut world.writer);
    let dispatch = single_dispatch(&mut world);
    let encoded = encode_job(&dispatch.job).unwrap();
    assert_eq!(decode_job(&encoded).unwrap(), dispatch.job);
    for index in 0..encoded.len() {
        let mut flipped = encoded.to_vec();
        flipped[index] ^= 0x01;
        assert!(
            decode_job(&flipped).is_err(),
            "flip at {index} went unnoticed"
        );
    }
    for len in 0..encoded.len() {
        assert!(decode_job(&encoded[..len]).is_err());
    }
    let mut other_version = encoded.to_vec();
    other_version[8] = 2;
    assert!(matches!(
        decode_job(&other_version),
        Err(lsm_core::codec::DecodeError::UnsupportedVersion { .. })
    ));
    let result = run_remotely(&world, &dispatch);
    let encoded = encode_result(&result).unwrap();
    assert!(decode_job(&encoded).is_err(), "a result is not a job");
    for index in 0..encoded.len() {
        let mut flipped = encoded.to_vec();
        flipped[index] ^= 0x80;
        assert!(decode_result(&flipped).is_err());
    }
    let mut wrong_prefix = dispatch.job.clone();
    wrong_prefix.output_prefix = "tmp/elsewhere/".to_string();
    assert!(decode_job(&encode_job(&wrong_prefix).unwrap()).is_err());
}
