//! Shared by the remote-compaction tests: a world of one writer, its primary and workers on a
//! memory store, and the steps of the protocol one call each.
#![allow(dead_code, clippy::unwrap_used)]

use crate::writer_support::{TestClock, block_on, latest_manifest, put, read};
use bytes::Bytes;
#[cfg(feature = "bugs")]
use lsm_core::bugs::{Bug, Bugs};
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::layout::TMP_PREFIX;
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

pub type Store = Arc<MemoryStore>;
pub type TestWriter = Writer<Store, TestClock>;

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub fn writer_options() -> WriterOptions {
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

pub fn remote_options(fallback: RemoteFallback) -> RemoteOptions {
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

pub struct World {
    pub store: Store,
    pub clock: TestClock,
    pub writer: TestWriter,
    pub primary: RemotePrimary,
}

pub fn open(store: &Store, clock: &TestClock, tag: &str, fallback: RemoteFallback) -> World {
    open_with(store, clock, tag, fallback, writer_options())
}

pub fn open_with(
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

pub fn new_world(fallback: RemoteFallback) -> World {
    new_world_with(fallback, writer_options())
}

pub fn new_world_with(fallback: RemoteFallback, options: WriterOptions) -> World {
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
pub fn with_bug(bug: Bug) -> WriterOptions {
    WriterOptions {
        bugs: Bugs::only(bug),
        ..writer_options()
    }
}

/// Four L0 tables with interleaved keys (enough to trigger an L0 merge, not a move).
pub fn fill_l0(writer: &mut TestWriter) {
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

pub fn worker(world: &World, tag: &str) -> RemoteWorker<Store, TestClock> {
    RemoteWorker::new(
        world.store.clone(),
        world.clock.clone(),
        RetryPolicy::default(),
        tag,
    )
}

/// The job goes over the wire as bytes and the result comes back as bytes.
pub fn run_remotely(world: &World, dispatch: &Dispatch) -> RemoteResult {
    let job = decode_job(&encode_job(&dispatch.job).unwrap()).unwrap();
    let result = block_on(worker(world, "worker").compact(&job));
    decode_result(&encode_result(&result).unwrap()).unwrap()
}

pub fn poll(world: &mut World) -> Vec<Dispatch> {
    block_on(world.primary.poll(&mut world.writer)).unwrap()
}

pub fn deliver(world: &mut World, result: RemoteResult) -> ResultVerdict {
    block_on(world.primary.on_result(&mut world.writer, result)).unwrap()
}

pub fn advance(clock: &TestClock, by: Duration) {
    block_on(lsm_core::clock::Clock::sleep(clock, by));
}

pub fn tmp_objects(store: &Store) -> Vec<ObjectMeta> {
    block_on(store.list(TMP_PREFIX)).unwrap()
}

pub fn assert_all_keys_readable(writer: &mut TestWriter) {
    for table in 0..4 {
        for i in 0..20 {
            let key = format!("key{:03}", i * 4 + table);
            assert_eq!(read(writer, &key), Some(format!("v{table}-{i}")), "{key}");
        }
    }
}

pub fn single_dispatch(world: &mut World) -> Dispatch {
    let mut dispatches = poll(world);
    assert_eq!(dispatches.len(), 1, "one job in flight at most");
    dispatches.pop().unwrap()
}

/// Rewrites the first output of `result` under its temporary name.
pub fn damage_first_output(
    world: &World,
    result: &RemoteResult,
    damage: impl Fn(&[u8]) -> Vec<u8>,
) {
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

pub fn assert_rejected_then_rescheduled(world: &mut World, result: RemoteResult) {
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
