//! Remote compaction (Schedule → OpenAndCompact → result → Install & Purge) with the
//! in-memory store: the happy path, duplicates, a worker crash mid-job (reschedule or local
//! fallback), late results, and stale inputs.
#![allow(clippy::unwrap_used)]

mod remote_support;
mod writer_support;

use bytes::Bytes;
use lsm_core::roles::remote::RemoteOutcome;
use lsm_core::roles::writer::{RemoteFallback, ResultVerdict};
use lsm_core::store::{Attributes, ObjectStore, PutMode};
use remote_support::*;
use std::time::Duration;
use writer_support::{block_on, latest_manifest, sst_objects};

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
