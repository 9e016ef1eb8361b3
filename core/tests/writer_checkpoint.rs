//! Writer checkpoints (one edit: flush + record + release), the `checkpoint` durability
//! mode (no WAL; a crash rolls back to the last checkpoint, exactly) and `no_compactor`.
#![allow(clippy::unwrap_used)]

mod writer_support;

use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::{CompactionStyle, StallState};
use lsm_core::layout::WAL_PREFIX;
use lsm_core::roles::writer::{
    Durability, WRITER_CHECKPOINT_NAME, Writer, WriterError, WriterOptions,
};
use lsm_core::store::{MemoryStore, ObjectStore};
use std::sync::Arc;
use writer_support::{TestClock, block_on, latest_manifest, put, read};

fn options(durability: Durability, retained: usize) -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 2 << 10,
        durability,
        checkpoints_retained: retained,
        checkpoint_lifetime_ms: Some(60_000),
        ..WriterOptions::default()
    }
}

fn open(
    store: &Arc<MemoryStore>,
    options: WriterOptions,
    tag: &str,
) -> Writer<Arc<MemoryStore>, TestClock> {
    block_on(Writer::open(
        store.clone(),
        TestClock::default(),
        options,
        tag,
    ))
    .unwrap()
}

#[test]
fn a_checkpoint_flushes_the_memtable_and_names_the_version_it_creates() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(&store, options(Durability::Wal, 1), "a");
    block_on(writer.commit(&[put("k1", "v1"), put("k2", "v2")])).unwrap();
    let checkpoint = block_on(writer.checkpoint(WRITER_CHECKPOINT_NAME)).unwrap();
    let manifest = latest_manifest(&store);
    assert_eq!(checkpoint.manifest_version, manifest.version);
    assert_eq!(manifest.checkpoints, vec![checkpoint.clone()]);
    assert_eq!(
        manifest.l0.len(),
        1,
        "the memtable went into the checkpoint"
    );
    assert_eq!(writer.memtable_size_bytes(), 0);
    assert_eq!(
        checkpoint.expires_at_ms,
        Some(checkpoint.created_at_ms + 60_000)
    );
    assert_eq!(writer.stats().checkpoints, 1);
    assert_eq!(read(&mut writer, "k2").as_deref(), Some("v2"));
}

#[test]
fn retention_keeps_the_newest_checkpoints_of_one_name() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(&store, options(Durability::Wal, 2), "a");
    let mut taken = Vec::new();
    for round in 0..4 {
        block_on(writer.commit(&[put("k", &format!("v{round}"))])).unwrap();
        taken.push(block_on(writer.checkpoint(WRITER_CHECKPOINT_NAME)).unwrap());
    }
    let other = block_on(writer.checkpoint("backup")).unwrap();
    let listed = latest_manifest(&store).checkpoints;
    assert_eq!(listed, vec![taken[2].clone(), taken[3].clone(), other]);
}

#[test]
fn a_fenced_writer_cannot_take_a_checkpoint() {
    let store = Arc::new(MemoryStore::new());
    let mut old = open(&store, options(Durability::Wal, 1), "old");
    block_on(old.commit(&[put("k", "v")])).unwrap();
    let _new = open(&store, options(Durability::Wal, 1), "new");
    let refused = block_on(old.checkpoint(WRITER_CHECKPOINT_NAME));
    assert!(
        matches!(refused, Err(WriterError::Fenced { .. })),
        "{refused:?}"
    );
    assert!(latest_manifest(&store).checkpoints.is_empty());
}

#[test]
fn checkpoint_mode_writes_no_wal_and_a_crash_rolls_back_to_the_last_checkpoint() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(&store, options(Durability::Checkpoint, 1), "a");
    block_on(writer.commit(&[put("kept", "1")])).unwrap();
    block_on(writer.checkpoint(WRITER_CHECKPOINT_NAME)).unwrap();
    block_on(writer.commit(&[put("lost", "2"), put("kept", "overwritten")])).unwrap();
    assert_eq!(read(&mut writer, "lost").as_deref(), Some("2"));
    assert!(block_on(store.list(WAL_PREFIX)).unwrap().is_empty());
    drop(writer); // a crash: the memtable is gone
    let mut recovered = open(&store, options(Durability::Checkpoint, 1), "b");
    assert_eq!(read(&mut recovered, "kept").as_deref(), Some("1"));
    assert_eq!(read(&mut recovered, "lost"), None);
}

#[test]
fn in_checkpoint_mode_every_flush_is_a_checkpoint() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(&store, options(Durability::Checkpoint, 1), "a");
    let mut flushes = 0;
    for i in 0..200 {
        block_on(writer.commit(&[put(&format!("key{i:03}"), "some value bytes")])).unwrap();
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap().unwrap();
            flushes += 1;
            let manifest = latest_manifest(&store);
            let newest = manifest.checkpoints.last().unwrap();
            assert_eq!(newest.manifest_version, manifest.version);
        }
    }
    assert!(flushes >= 2);
    assert_eq!(writer.stats().checkpoints, flushes);
    assert_eq!(latest_manifest(&store).checkpoints.len(), 1);
}

#[test]
fn without_its_compactor_the_writer_only_adds_l0_and_stalls_by_the_style() {
    let store = Arc::new(MemoryStore::new());
    let leveled = LeveledOptions {
        level0_file_num_compaction_trigger: 2,
        ..LeveledOptions::default()
    };
    let options = WriterOptions {
        memtable_size_bytes: 1 << 10,
        compaction: Some(CompactionStyle::Leveled(leveled)),
        no_compactor: true,
        ..WriterOptions::default()
    };
    let mut writer = open(&store, options, "a");
    assert_eq!(writer.compactor_epoch(), None);
    assert_eq!(latest_manifest(&store).compactor_epoch.0, 0);
    let mut stopped = false;
    for i in 0..2_000 {
        block_on(writer.commit(&[put(&format!("key{:03}", i % 50), "value value value")])).unwrap();
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap();
        }
        assert_eq!(block_on(writer.compact_once()).unwrap(), None);
        if matches!(writer.stall_state(), StallState::Stopped { .. }) {
            stopped = true;
            break;
        }
    }
    assert!(
        stopped,
        "L0 reached the stop trigger: {}",
        writer.manifest().l0.len()
    );
    assert!(latest_manifest(&store).levels.is_empty());
}
