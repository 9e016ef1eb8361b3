//! Remote compaction's temporary outputs: a primary crash leaves them for the garbage
//! collector, the primary's sweep, the collector's rule for fenced epochs, and the message
//! codecs.
#![allow(clippy::unwrap_used)]

mod remote_support;
mod writer_support;

use bytes::Bytes;
use lsm_core::gc::{GcOptions, plan_tmp_gc};
use lsm_core::ids::Epoch;
use lsm_core::layout::{sst_path, tmp_job_prefix};
use lsm_core::roles::gc::GarbageCollector;
use lsm_core::roles::remote::{decode_job, decode_result, encode_job, encode_result};
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{RemoteFallback, ResultVerdict};
use lsm_core::store::{Attributes, MemoryStore, ObjectMeta, ObjectStore, PutMode};
use remote_support::*;
use std::sync::Arc;
use writer_support::{TestClock, block_on, latest_manifest};

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
    // Version 1, before job SST options carried the restart interval.
    let mut other_version = encoded.to_vec();
    other_version[8] = 1;
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
