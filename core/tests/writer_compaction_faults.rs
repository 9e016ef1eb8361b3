//! The writer's embedded compactor under store faults: no acknowledged write is lost.
#![allow(clippy::unwrap_used)]

mod embedded_support;
mod writer_support;

use embedded_support::*;
use lsm_core::compaction::CompactionStyle;
use lsm_core::manifest::check_invariants;
use lsm_core::roles::writer::{Writer, WriterError};
use lsm_core::store::{MemoryStore, ObjectStore};
use std::sync::Arc;
use writer_support::{
    Fault, Possible, RuleStore, TestClock, block_on, compaction_fault_patterns, delete,
    latest_manifest, put, read, record, sst_objects,
};

fn open_with_retries(
    store: &RuleStore,
    style: &CompactionStyle,
    tag: &str,
) -> Option<Writer<RuleStore, TestClock>> {
    (0..6).find_map(|attempt| {
        block_on(Writer::open(
            store.clone(),
            TestClock::default(),
            options(Some(style.clone())),
            &format!("{tag}-{attempt}"),
        ))
        .ok()
    })
}

/// Counters summed over every incarnation of one faulty run.
#[derive(Default, Debug)]
struct FaultRunTally {
    acknowledged: u64,
    unresolved: u64,
    compactions: u64,
    compaction_errors: u64,
    compactions_unresolved: u64,
    compactions_stale: u64,
    reopened: u64,
}

impl FaultRunTally {
    fn add_writer<S: ObjectStore>(&mut self, writer: &Writer<S, TestClock>) {
        let stats = writer.stats();
        self.compactions += stats.compactions;
        self.compactions_stale += stats.compactions_stale;
    }
}

fn run_with_faults(style: &CompactionStyle, pattern: Vec<Fault>, tally: &mut FaultRunTally) {
    let memory = Arc::new(MemoryStore::new());
    let faulty = RuleStore::cycling_puts(memory.clone(), pattern);
    let mut possible = Possible::new();
    let mut writer = None;
    let keys = 120;
    for i in 0..1500 {
        if writer.is_none() {
            writer = open_with_retries(&faulty, style, &format!("w{i}"));
            tally.reopened += 1;
        }
        let Some(active) = writer.as_mut() else {
            continue;
        };
        let key = format!("key{:04}", (i * 13) % keys);
        let (op, value) = if i % 11 == 5 {
            (delete(&key), None)
        } else {
            let value = format!("v{i}-{}", "y".repeat(i % 17));
            (put(&key, &value), Some(value))
        };
        match block_on(active.commit(&[op])) {
            Ok(_) => {
                tally.acknowledged += 1;
                record(&mut possible, &key, value, true);
            }
            Err(error) if error.outcome_unknown() => {
                tally.unresolved += 1;
                record(&mut possible, &key, value, false);
            }
            Err(WriterError::Store(_)) => {}
            Err(other) => panic!("unexpected commit error {other:?}"),
        }
        if active.needs_flush() {
            let _ = block_on(active.flush());
        }
        if i % 3 == 0 {
            match block_on(active.compact_once()) {
                Ok(Some(_)) => {}
                Ok(None) => {}
                Err(error) => {
                    tally.compaction_errors += 1;
                    if error.outcome_unknown() {
                        tally.compactions_unresolved += 1;
                    }
                }
            }
        }
        if active.stopped().is_some() {
            tally.add_writer(active);
            writer = None;
        }
    }
    if let Some(active) = &writer {
        tally.add_writer(active);
    }
    drop(writer);
    // Faults over: a clean incarnation must find every acknowledged write, and after it
    // catches up, every table the manifest names must exist and nothing stay pending.
    let mut recovered = open(memory.clone(), Some(style.clone()), "check");
    let check = |writer: &mut Writer<Arc<MemoryStore>, TestClock>, context: &str| {
        for (key, values) in &possible {
            let found = read(writer, key);
            assert!(
                values.contains(&found),
                "{context}: {key} reads {found:?}, expected one of {values:?}"
            );
        }
    };
    check(&mut recovered, "recovered");
    block_on(recovered.flush()).unwrap();
    catch_up(&mut recovered);
    check(&mut recovered, "recovered and compacted");
    collect_garbage(&mut recovered, &memory);
    check(&mut recovered, "collected");
    let manifest = latest_manifest(&memory);
    check_invariants(&manifest).unwrap();
    assert!(manifest.pending_deletion.is_empty());
    let objects = sst_objects(&memory);
    for id in manifest.live_sst_ids() {
        assert!(objects.contains(&id), "live table {id} is missing");
    }
}

#[test]
fn faults_never_lose_an_acknowledged_write() {
    let mut patterns = compaction_fault_patterns();
    // Long runs of transient errors: definite failures everywhere.
    patterns.push([vec![Fault::None; 13], vec![Fault::Transient; 8]].concat());
    for style in [leveled(), universal(), fifo()] {
        let mut tally = FaultRunTally::default();
        for pattern in &patterns {
            run_with_faults(&style, pattern.clone(), &mut tally);
        }
        eprintln!("{}: {tally:?}", style.name());
        assert!(tally.acknowledged > 3000, "{}: {tally:?}", style.name());
        assert!(tally.compactions > 20, "{}: {tally:?}", style.name());
        assert!(tally.unresolved > 0, "{}: {tally:?}", style.name());
        assert!(tally.compaction_errors > 0, "{}: {tally:?}", style.name());
    }
}
