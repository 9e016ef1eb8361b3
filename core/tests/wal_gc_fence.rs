//! WAL and manifest garbage collection against the fences they could undo: a zombie
//! writer whose fence segment the collector deleted re-creates it, and an installer that
//! read an old manifest re-creates a deleted version. Neither may be acknowledged.
#![allow(clippy::unwrap_used)]

mod writer_support;

use lsm_core::gc::GcOptions;
use lsm_core::ids::WalId;
use lsm_core::layout::{MANIFEST_PREFIX, WAL_PREFIX, manifest_path, wal_path};
use lsm_core::manifest::decide::Decision;
use lsm_core::roles::gc::GarbageCollector;
use lsm_core::roles::manifest_io::{ManifestIoError, install};
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{Writer, WriterError, WriterOptions};
use lsm_core::store::{MemoryStore, ObjectStore};
use std::sync::Arc;
use writer_support::{RuleStore, TestClock, add_checkpoint, block_on, latest_manifest, put, read};

fn open<S: ObjectStore>(store: S, tag: &str, options: WriterOptions) -> Writer<S, TestClock> {
    block_on(Writer::open(store, TestClock::default(), options, tag)).unwrap()
}

fn collect<S: ObjectStore>(store: S) -> lsm_core::roles::gc::GcPassStats {
    let mut gc = GarbageCollector::new(store, TestClock::default(), GcOptions::default());
    block_on(gc.run_once()).unwrap()
}

fn listed(store: &MemoryStore, prefix: &str) -> Vec<String> {
    block_on(store.list(prefix))
        .unwrap()
        .into_iter()
        .map(|meta| meta.path)
        .collect()
}

type MemoryWriter = Writer<Arc<MemoryStore>, TestClock>;

/// A zombie, the successor that fenced it, and the successor's flush past the fence; the
/// collector then deletes the fence. Returns (zombie, successor, fence id).
fn fence_deleted(
    store: &Arc<MemoryStore>,
    options: WriterOptions,
) -> (MemoryWriter, MemoryWriter, WalId) {
    let mut zombie = open(store.clone(), "zombie", options.clone());
    block_on(zombie.commit(&[put("a", "1")])).unwrap();
    let fence = zombie.next_wal_id();
    let mut successor = open(store.clone(), "successor", options);
    for i in 0..5 {
        block_on(successor.commit(&[put("b", &format!("{i}"))])).unwrap();
    }
    block_on(successor.flush()).unwrap();
    assert!(latest_manifest(store).wal_replay_point > fence);
    let stats = collect(store.clone());
    assert!(stats.wal_deleted >= 1, "{stats:?}");
    assert!(!listed(store, WAL_PREFIX).contains(&wal_path(fence)));
    (zombie, successor, fence)
}

#[test]
fn segments_below_the_replay_point_are_collected_and_recovery_still_works() {
    let store = Arc::new(MemoryStore::new());
    let (_zombie, mut successor, _) = fence_deleted(&store, WriterOptions::default());
    let replay_point = latest_manifest(&store).wal_replay_point;
    for path in listed(&store, WAL_PREFIX) {
        assert!(lsm_core::layout::parse_wal_path(&path).unwrap() >= replay_point);
    }
    block_on(successor.commit(&[put("c", "tail")])).unwrap();
    let mut next = open(store.clone(), "next", WriterOptions::default());
    assert_eq!(read(&mut next, "a").as_deref(), Some("1"));
    assert_eq!(read(&mut next, "b").as_deref(), Some("4"));
    assert_eq!(read(&mut next, "c").as_deref(), Some("tail"));
}

#[test]
fn a_zombie_that_re_creates_its_deleted_fence_does_not_acknowledge() {
    let store = Arc::new(MemoryStore::new());
    let (mut zombie, mut successor, fence) = fence_deleted(&store, WriterOptions::default());
    let refused = block_on(zombie.commit(&[put("z", "zombie")]));
    assert!(
        matches!(refused, Err(WriterError::Unresolved { .. })),
        "{refused:?}"
    );
    // The create itself went through: the ABA happened, and only the epoch check stopped it.
    assert!(listed(&store, WAL_PREFIX).contains(&wal_path(fence)));
    assert!(block_on(zombie.confirm_leadership()).is_err());
    assert_eq!(read(&mut successor, "z"), None);
    // The re-created segment lies below the replay point: the next pass collects it.
    collect(store.clone());
    assert!(!listed(&store, WAL_PREFIX).contains(&wal_path(fence)));
}

#[test]
fn a_zombie_whose_fence_was_deleted_does_not_serve_reads() {
    let store = Arc::new(MemoryStore::new());
    let (mut zombie, _successor, _) = fence_deleted(&store, WriterOptions::default());
    let refused = block_on(zombie.confirm_leadership());
    assert!(
        matches!(refused, Err(WriterError::Fenced { .. })),
        "{refused:?}"
    );
}

#[cfg(feature = "bugs")]
#[test]
fn with_the_bug_a_zombie_acknowledges_a_write_no_recovery_sees() {
    use lsm_core::bugs::{Bug, Bugs};
    let options = WriterOptions {
        bugs: Bugs::only(Bug::WalGcFenceAba),
        ..WriterOptions::default()
    };
    let store = Arc::new(MemoryStore::new());
    let (mut zombie, _successor, _) = fence_deleted(&store, options.clone());
    block_on(zombie.confirm_leadership()).unwrap();
    block_on(zombie.commit(&[put("z", "zombie")])).unwrap();
    let mut next = open(store.clone(), "next", options);
    assert_eq!(read(&mut next, "z"), None, "the acknowledged write is lost");
}

/// Installs `count` checkpoints (each a new manifest version).
fn versions(store: &RuleStore, count: usize) {
    for _ in 0..count {
        add_checkpoint(store, 0, Some(0));
    }
}

#[test]
fn manifest_versions_beyond_the_newest_kept_are_collected_except_checkpointed() {
    let store = RuleStore::new(Arc::new(MemoryStore::new()));
    versions(&store, 3);
    let kept = add_checkpoint(&store, 0, None);
    versions(&store, 20);
    let newest = latest_manifest(&store).version;
    // Expired checkpoints go first; the pass that removes them does not yet collect their
    // versions, the next one does.
    let mut gc = GarbageCollector::new(store.clone(), TestClock::default(), GcOptions::default());
    block_on(gc.run_once()).unwrap();
    block_on(gc.run_once()).unwrap();
    let left = listed(&store.inner, MANIFEST_PREFIX);
    let newest_now = latest_manifest(&store).version;
    assert!(newest_now > newest);
    assert!(
        left.contains(&manifest_path(kept.manifest_version)),
        "{left:?}"
    );
    assert!(left.contains(&manifest_path(newest_now)));
    let kept_count = GcOptions::default().manifest_versions_kept as usize;
    assert!(left.len() <= kept_count + 1 + 1, "{left:?}");
}

#[test]
fn an_installer_that_re_creates_a_deleted_version_is_told_its_outcome_is_unknown() {
    let store = RuleStore::new(Arc::new(MemoryStore::new()));
    versions(&store, 3);
    // The installer reads version 3; before its create of version 4 lands, 20 versions are
    // installed by others and the collector deletes version 4 with the rest.
    let rival = store.clone();
    store.before_next_put(
        MANIFEST_PREFIX,
        None,
        Box::new(move |_| {
            versions(&rival, 20);
            let mut gc =
                GarbageCollector::new(rival.clone(), TestClock::default(), GcOptions::default());
            block_on(gc.run_once()).unwrap();
            block_on(gc.run_once()).unwrap();
            assert!(
                !listed(&rival.inner, MANIFEST_PREFIX)
                    .contains(&manifest_path(lsm_core::ids::ManifestVersion(4)))
            );
        }),
    );
    let stale = block_on(install(
        &store,
        &TestClock::default(),
        &RetryPolicy::default(),
        4,
        "stale",
        |latest| {
            Ok(Decision::Install {
                edit: lsm_core::manifest::Edit::RemoveCheckpoints {
                    ids: Default::default(),
                },
                output: latest.version,
            })
        },
    ));
    assert!(
        matches!(stale, Err(ManifestIoError::Unresolved { .. })),
        "{stale:?}"
    );
    assert!(latest_manifest(&store).version.0 > 20);
}
