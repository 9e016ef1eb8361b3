//! The embedded compactor's install step: an unknown outcome is resolved before installing
//! again, default options never delete a table a live checkpoint reads, and a stale plan is
//! dropped with its outputs.
#![allow(clippy::unwrap_used)]

mod embedded_support;
mod writer_support;

use embedded_support::*;
use lsm_core::gc::GcOptions;
use lsm_core::ids::SstId;
use lsm_core::layout::MANIFEST_PREFIX;
use lsm_core::manifest::Edit;
use lsm_core::roles::gc::GarbageCollector;
use lsm_core::roles::manifest_io::install;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{Writer, WriterOptions};
use lsm_core::store::MemoryStore;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use writer_support::{
    Fault, Request, TestClock, block_on, latest_manifest, manifest_object_count, put, sst_objects,
};

#[test]
fn an_unknown_install_outcome_is_resolved_before_installing_again() {
    for first in [Fault::LostReplyApplied, Fault::LostReplyDropped] {
        let (memory, scripted, mut writer, model) = scripted_writer();
        let versions = manifest_object_count(&memory);
        // The first attempt's create goes unanswered (it may apply); the engine's next
        // attempt first looks whether it landed, so it never lands twice.
        let attempts = RetryPolicy::default().attempts() as usize;
        scripted.fail_next(Request::Put, MANIFEST_PREFIX, [first]);
        scripted.fail_next(
            Request::Put,
            MANIFEST_PREFIX,
            vec![Fault::LostReplyDropped; attempts - 1],
        );
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
