//! Reading checkpoints built by the real writer and standalone compactor: a checkpoint's
//! content (and digest) is unchanged by later writes, compactions and garbage collection;
//! once it expires and the collector deletes its tables, reading its version fails with a
//! typed error naming the missing table; a corrupt table is named too; TTL is applied only
//! when a time is given; the reader never writes.
#![allow(clippy::unwrap_used)]

mod writer_support;

use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::gc::GcOptions;
use lsm_core::ids::{CheckpointId, ManifestVersion};
use lsm_core::layout::sst_path;
use lsm_core::roles::checkpoint_reader::{
    CheckpointReadError, CheckpointReader, TableDefect, content_digest,
};
use lsm_core::roles::compactor::{Compactor, CompactorOptions, JobOutcome, run_job};
use lsm_core::roles::gc::GarbageCollector;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::roles::writer::{WriteOp, Writer, WriterOptions};
use lsm_core::sst::SstOptions;
use lsm_core::store::{Attributes, GetRange, MemoryStore, ObjectStore, PutMode};
use std::collections::BTreeMap;
use std::sync::Arc;
use writer_support::{TestClock, add_checkpoint, block_on, delete, latest_manifest, put};

const KEYS: usize = 60;

fn sst_options() -> SstOptions {
    SstOptions {
        block_size_bytes: 256,
        ..SstOptions::default()
    }
}

fn open_writer(store: Arc<MemoryStore>) -> Writer<Arc<MemoryStore>, TestClock> {
    let options = WriterOptions {
        memtable_size_bytes: 1 << 10,
        sst: sst_options(),
        compaction: None,
        ..WriterOptions::default()
    };
    block_on(Writer::open(store, TestClock::default(), options, "w")).unwrap()
}

fn open_compactor(store: Arc<MemoryStore>) -> Compactor<Arc<MemoryStore>, TestClock> {
    let options = CompactorOptions {
        style: CompactionStyle::Leveled(LeveledOptions {
            num_levels: 4,
            level0_file_num_compaction_trigger: 2,
            max_bytes_for_level_base: 4 << 10,
            max_bytes_for_level_multiplier: 4.0,
            target_file_size_base: 2 << 10,
            ..LeveledOptions::default()
        }),
        sst: sst_options(),
        ..CompactorOptions::default()
    };
    block_on(Compactor::open(store, TestClock::default(), options, "c")).unwrap()
}

/// Compacts until the strategy has nothing to do; returns the jobs installed.
fn catch_up(
    compactor: &mut Compactor<Arc<MemoryStore>, TestClock>,
    store: &Arc<MemoryStore>,
) -> usize {
    let mut installed = 0;
    for _ in 0..200 {
        block_on(compactor.refresh()).unwrap();
        let Some(job) = compactor.start_job().unwrap() else {
            return installed;
        };
        let result = block_on(run_job(store, &TestClock::default(), &job));
        match block_on(compactor.finish_job(job, result)).unwrap() {
            JobOutcome::Installed { .. } => installed += 1,
            other => panic!("compaction: {other:?}"),
        }
    }
    panic!("compaction did not converge");
}

/// Writes a round of puts and deletes, flushing as it goes and at the end.
fn write_round(
    writer: &mut Writer<Arc<MemoryStore>, TestClock>,
    model: &mut BTreeMap<Bytes, Bytes>,
    round: usize,
) {
    for i in 0..KEYS {
        let key = format!("key{:03}", (i * 7 + round * 3) % KEYS);
        let op = if (i + round).is_multiple_of(5) {
            model.remove(key.as_bytes());
            delete(&key)
        } else {
            let value = format!("v{round}-{i}-{}", "x".repeat(i % 17));
            model.insert(Bytes::from(key.clone()), Bytes::from(value.clone()));
            put(&key, &value)
        };
        block_on(writer.commit(&[op])).unwrap();
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap();
        }
    }
    block_on(writer.flush()).unwrap();
}

fn reader_of(
    store: &Arc<MemoryStore>,
    id: CheckpointId,
) -> Result<CheckpointReader<Arc<MemoryStore>, TestClock>, CheckpointReadError> {
    block_on(CheckpointReader::open(
        store.clone(),
        TestClock::default(),
        RetryPolicy::default(),
        id,
    ))
}

fn version_reader(
    store: &Arc<MemoryStore>,
    version: ManifestVersion,
) -> Result<CheckpointReader<Arc<MemoryStore>, TestClock>, CheckpointReadError> {
    block_on(CheckpointReader::open_version(
        store.clone(),
        TestClock::default(),
        RetryPolicy::default(),
        version,
    ))
}

fn now_ms() -> u64 {
    TestClock::default().wall_ms()
}

/// Checks the reader's scan and point reads against `model`.
fn assert_reads(
    reader: &mut CheckpointReader<Arc<MemoryStore>, TestClock>,
    model: &BTreeMap<Bytes, Bytes>,
) {
    let scanned = block_on(reader.scan_all(None)).unwrap();
    assert_eq!(&scanned, model);
    for i in 0..KEYS {
        let key = format!("key{i:03}");
        let got = block_on(reader.get(key.as_bytes())).unwrap();
        assert_eq!(got.as_ref(), model.get(key.as_bytes()), "{key}");
    }
}

#[test]
fn a_checkpoint_reads_the_same_after_writes_compactions_and_collection() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone());
    let mut compactor = open_compactor(store.clone());
    let mut model = BTreeMap::new();
    for round in 0..3 {
        write_round(&mut writer, &mut model, round);
    }
    let checkpoint = add_checkpoint(&*store, now_ms(), Some(now_ms() + 60_000));
    let at_checkpoint = model.clone();
    let mut reader = reader_of(&store, checkpoint.id).unwrap();
    assert_eq!(reader.checkpoint(), Some(&checkpoint));
    assert_reads(&mut reader, &at_checkpoint);
    let digest = content_digest(&block_on(reader.scan_all(None)).unwrap());

    let mut installed = 0;
    for round in 3..8 {
        write_round(&mut writer, &mut model, round);
        installed += catch_up(&mut compactor, &store);
    }
    assert!(installed > 0, "no compaction ran");
    assert_ne!(model, at_checkpoint);
    assert!(!latest_manifest(&*store).pending_deletion.is_empty());
    // A newer checkpoint lets the collector delete what the older one does not need.
    add_checkpoint(&*store, now_ms(), None);
    let mut gc = GarbageCollector::new(store.clone(), TestClock::default(), GcOptions::default());
    block_on(gc.run_once()).unwrap();
    assert_eq!(gc.stats().checkpoints_expired, 0);

    let mut again = reader_of(&store, checkpoint.id).unwrap();
    assert_reads(&mut again, &at_checkpoint);
    assert_eq!(
        content_digest(&block_on(again.scan_all(None)).unwrap()),
        digest
    );
    let newest = latest_manifest(&*store);
    let mut current = version_reader(&store, newest.version).unwrap();
    assert_reads(&mut current, &model);

    // Past its expiry (on the collector's clock) the checkpoint is removed and its tables
    // collected: its version can no longer be read, and the error names a missing table.
    let later = TestClock::default();
    block_on(later.sleep(std::time::Duration::from_secs(120)));
    let mut gc = GarbageCollector::new(store.clone(), later, GcOptions::default());
    let stats = block_on(gc.run_once()).unwrap();
    assert_eq!(stats.checkpoints_expired, 1);
    assert!(stats.pending_deleted > 0);
    match reader_of(&store, checkpoint.id) {
        Err(CheckpointReadError::NotLive { id, .. }) => assert_eq!(id, checkpoint.id),
        other => panic!("expected NotLive, got {:?}", other.err()),
    }
    let mut stale = version_reader(&store, checkpoint.manifest_version).unwrap();
    let error = block_on(stale.scan_all(None)).unwrap_err();
    assert!(error.is_integrity_violation(), "{error}");
    let CheckpointReadError::MissingTable { id, path } = error else {
        panic!("expected MissingTable, got {error}");
    };
    assert_eq!(path, sst_path(id));
    // The newest tree is intact.
    let mut current = version_reader(&store, latest_manifest(&*store).version).unwrap();
    assert_reads(&mut current, &model);
}

#[test]
fn a_corrupt_table_is_a_typed_error_naming_it() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone());
    let mut model = BTreeMap::new();
    write_round(&mut writer, &mut model, 0);
    let manifest = latest_manifest(&*store);
    let victim = manifest.l0[0].clone();
    let path = sst_path(victim.id);
    let original = block_on(store.get(&path, GetRange::Whole)).unwrap().bytes;
    let mut damaged = original.to_vec();
    damaged[3] ^= 0x10;
    let put_back = |bytes: Vec<u8>| {
        block_on(store.put(
            &path,
            Bytes::from(bytes),
            PutMode::Overwrite,
            Attributes::new(),
        ))
        .unwrap();
    };
    put_back(damaged);
    let mut reader = version_reader(&store, manifest.version).unwrap();
    match block_on(reader.scan_all(None)) {
        Err(CheckpointReadError::CorruptTable {
            id,
            path: named,
            defect,
        }) => {
            assert_eq!(id, victim.id);
            assert_eq!(named, path);
            assert!(
                matches!(defect, TableDefect::ChecksumMismatch { .. }),
                "{defect}"
            );
        }
        other => panic!("expected CorruptTable, got {other:?}"),
    }
    put_back(original[..original.len() - 1].to_vec());
    let mut reader = version_reader(&store, manifest.version).unwrap();
    let key = victim.smallest_key.clone();
    match block_on(reader.get(&key)) {
        Err(CheckpointReadError::CorruptTable { defect, .. }) => {
            assert!(
                matches!(defect, TableDefect::SizeMismatch { .. }),
                "{defect}"
            );
        }
        other => panic!("expected CorruptTable, got {other:?}"),
    }
}

#[test]
fn ttl_hides_expired_puts_only_when_a_time_is_given() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open_writer(store.clone());
    let expires_at_ms = now_ms() + 1_000;
    let ops = [
        WriteOp::Put {
            key: Bytes::from_static(b"short"),
            value: Bytes::from_static(b"lived"),
            expires_at_ms: Some(expires_at_ms),
        },
        put("forever", "here"),
    ];
    block_on(writer.commit(&ops)).unwrap();
    block_on(writer.flush()).unwrap();
    let manifest = latest_manifest(&*store);
    let mut reader = version_reader(&store, manifest.version).unwrap();
    assert_eq!(block_on(reader.scan_all(None)).unwrap().len(), 2);
    assert_eq!(
        block_on(reader.scan_all(Some(expires_at_ms - 1)))
            .unwrap()
            .len(),
        2
    );
    let after = block_on(reader.scan_all(Some(expires_at_ms))).unwrap();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        vec![&Bytes::from_static(b"forever")]
    );
    assert_eq!(
        block_on(reader.get(b"short")).unwrap(),
        Some(Bytes::from_static(b"lived"))
    );
    assert_eq!(
        block_on(reader.get_at(b"short", Some(expires_at_ms))).unwrap(),
        None
    );
}

#[test]
fn versions_are_opened_read_only_and_missing_ones_are_typed() {
    let store = Arc::new(MemoryStore::new());
    let mut empty = version_reader(&store, ManifestVersion(0)).unwrap();
    assert!(block_on(empty.scan_all(None)).unwrap().is_empty());
    match version_reader(&store, ManifestVersion(99)) {
        Err(CheckpointReadError::VersionMissing { version, .. }) => {
            assert_eq!(version, ManifestVersion(99))
        }
        other => panic!("expected VersionMissing, got {:?}", other.err()),
    }
    match reader_of(&store, CheckpointId(0)) {
        Err(CheckpointReadError::NotLive { .. }) => {}
        other => panic!("expected NotLive, got {:?}", other.err()),
    }
    let mut writer = open_writer(store.clone());
    let mut model = BTreeMap::new();
    write_round(&mut writer, &mut model, 0);
    let before: Vec<_> = block_on(store.list("")).unwrap();
    let version = latest_manifest(&*store).version;
    let mut reader = version_reader(&store, version).unwrap();
    assert_reads(&mut reader, &model);
    assert_eq!(
        block_on(store.list("")).unwrap(),
        before,
        "the reader wrote something"
    );
}
