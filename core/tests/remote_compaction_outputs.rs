//! Remote compaction's validation of a worker's outputs: corrupt, truncated, missing and
//! empty outputs, and the injected install bugs they would hide.
#![allow(clippy::unwrap_used)]

mod remote_support;
mod writer_support;

#[cfg(feature = "bugs")]
use lsm_core::bugs::Bug;
use lsm_core::roles::remote::RemoteOutcome;
use lsm_core::roles::writer::{RemoteFallback, ResultVerdict};
use lsm_core::store::ObjectStore;
use remote_support::*;
use writer_support::{block_on, delete, latest_manifest, put, read, sst_objects};

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
