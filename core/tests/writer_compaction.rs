//! The writer's embedded compactor on an in-memory store: every strategy keeps every key
//! readable while tables move, leaves what it obsoletes pending for the garbage collector
//! (no leaks once a checkpoint releases them), stalls without a style, and cannot act once
//! fenced.
#![allow(clippy::unwrap_used)]

mod embedded_support;
mod writer_support;

use embedded_support::*;
use lsm_core::compaction::StallState;
use lsm_core::ids::{Epoch, SstId};
use lsm_core::roles::manifest_io::install;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::WriterError;
use lsm_core::store::MemoryStore;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use writer_support::{
    TestClock, block_on, latest_manifest, manifest_object_count, put, sst_objects,
};

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

#[test]
fn the_reader_cache_drops_a_table_once_the_manifest_no_longer_names_it() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(store.clone(), Some(leveled()), "a");
    let mut model = BTreeMap::new();
    fill_l0(&mut writer, &mut model);
    let inputs = writer.manifest().live_sst_ids();
    assert!(
        inputs
            .iter()
            .all(|id| writer.cached_table_ids().any(|c| c == *id))
    );
    assert!(catch_up(&mut writer) >= 1);
    let live = writer.manifest().live_sst_ids();
    let cached: BTreeSet<SstId> = writer.cached_table_ids().collect();
    assert!(
        cached.is_subset(&live),
        "dead tables cached: {cached:?} live {live:?}"
    );
    assert!(!cached.is_empty(), "the compaction's outputs are cached");
    assert!(
        inputs.iter().any(|id| !live.contains(id)),
        "the compaction replaced some input"
    );
    assert_reads_match(&mut writer, &model, 60, "after compacting");
}
