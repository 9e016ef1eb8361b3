//! The writer role against an in-memory store: durability, flush, recovery, fencing, and
//! honesty about unknown outcomes.
#![allow(clippy::unwrap_used)]

mod writer_support;

use lsm_core::roles::writer::{Writer, WriterError, WriterOptions};
use lsm_core::store::MemoryStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use writer_support::{
    Fault, RuleStore, TestClock, block_on, delete, mixed_fault_patterns, put, read,
};

fn small_options() -> WriterOptions {
    WriterOptions {
        memtable_size_bytes: 2 << 10,
        ..WriterOptions::default()
    }
}

fn open<S: lsm_core::store::ObjectStore>(store: S, tag: &str) -> Writer<S, TestClock> {
    block_on(Writer::open(
        store,
        TestClock::default(),
        small_options(),
        tag,
    ))
    .unwrap()
}

#[test]
fn committed_writes_are_read_back_through_memtable_and_sst() {
    let store = Arc::new(MemoryStore::new());
    let mut writer = open(store.clone(), "a");
    let mut expected = BTreeMap::new();
    for i in 0..300 {
        let key = format!("key{:03}", i % 97);
        let op = if i % 7 == 3 {
            expected.remove(&key);
            delete(&key)
        } else {
            let value = format!("value{i}");
            expected.insert(key.clone(), value.clone());
            put(&key, &value)
        };
        block_on(writer.commit(&[op])).unwrap();
        if writer.needs_flush() {
            block_on(writer.flush()).unwrap();
        }
    }
    assert!(writer.stats().flushes >= 3, "{:?}", writer.stats());
    assert!(writer.manifest().l0.len() >= 3);
    for i in 0..97 {
        let key = format!("key{i:03}");
        assert_eq!(
            read(&mut writer, &key),
            expected.get(&key).cloned(),
            "{key}"
        );
    }
    let cost = block_on(writer.get(b"key001")).unwrap().cost;
    assert!(cost.sorted_runs >= 1);
}

#[test]
fn a_new_writer_recovers_every_acknowledged_write() {
    let store = Arc::new(MemoryStore::new());
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for incarnation in 0..4 {
        let mut writer = open(store.clone(), &format!("w{incarnation}"));
        for (key, value) in &expected {
            assert_eq!(
                read(&mut writer, key).as_ref(),
                Some(value),
                "incarnation {incarnation}"
            );
        }
        for i in 0..60 {
            let key = format!("k{}", (i * 7 + incarnation) % 40);
            let value = format!("v{incarnation}-{i}");
            block_on(writer.commit(&[put(&key, &value)])).unwrap();
            expected.insert(key, value);
            if i % 25 == 24 {
                block_on(writer.flush()).unwrap();
            }
        }
        // Dropped without a final flush: the tail lives only in the WAL.
    }
    let mut writer = open(store, "last");
    assert_eq!(writer.epoch().0, 5);
    for (key, value) in &expected {
        assert_eq!(read(&mut writer, key).as_ref(), Some(value));
    }
}

#[test]
fn an_older_writer_is_fenced_on_commit_read_check_and_flush() {
    let store = Arc::new(MemoryStore::new());
    let mut old = open(store.clone(), "old");
    block_on(old.commit(&[put("a", "1")])).unwrap();
    block_on(old.confirm_leadership()).unwrap();
    let mut new = open(store.clone(), "new");
    assert!(matches!(
        block_on(old.confirm_leadership()),
        Err(WriterError::Fenced { .. })
    ));
    let mut old_again = open(store.clone(), "old2");
    // `new` is now fenced too, by `old_again`; its commit must fail and not be readable.
    let refused = block_on(new.commit(&[put("a", "2")]));
    assert!(
        matches!(refused, Err(WriterError::Fenced { .. })),
        "{refused:?}"
    );
    assert!(matches!(
        block_on(new.flush()),
        Err(WriterError::Fenced { .. })
    ));
    assert_eq!(read(&mut old_again, "a").as_deref(), Some("1"));
    block_on(old.commit(&[put("z", "zombie")])).unwrap_err();
    assert_eq!(read(&mut old_again, "z"), None);
}

#[test]
fn a_fenced_writer_cannot_install_its_flush() {
    let store = Arc::new(MemoryStore::new());
    let mut old = open(store.clone(), "old");
    block_on(old.commit(&[put("a", "1")])).unwrap();
    let _new = open(store.clone(), "new");
    assert!(matches!(
        block_on(old.flush()),
        Err(WriterError::Fenced { .. })
    ));
}

/// Under every mix of lost replies and transient errors, an `Ok` commit is durable, a
/// definite failure is not, and only an unresolved one may go either way.
#[test]
fn commits_are_honest_about_unknown_outcomes() {
    let mut patterns = mixed_fault_patterns();
    patterns.extend([
        vec![Fault::LostReplyDropped; 9],
        vec![Fault::Transient; 9],
        vec![
            Fault::None,
            Fault::None,
            Fault::LostReplyApplied,
            Fault::Transient,
            Fault::LostReplyDropped,
        ],
        // Eight transient errors in a row exhaust a commit's retries: a definite refusal.
        [
            vec![Fault::None; 4],
            vec![Fault::Transient; 8],
            vec![Fault::None; 8],
        ]
        .concat(),
        // Eight lost replies in a row leave a commit unresolved: it may be durable or not.
        [
            vec![Fault::None; 4],
            vec![Fault::LostReplyDropped; 8],
            vec![Fault::None; 8],
        ]
        .concat(),
        [
            vec![Fault::None; 5],
            vec![Fault::LostReplyApplied],
            vec![Fault::LostReplyDropped; 7],
        ]
        .concat(),
    ]);
    let (mut acknowledged_total, mut unresolved_total, mut refused_total) = (0, 0, 0);
    for (pattern_index, pattern) in patterns.into_iter().enumerate() {
        let memory = Arc::new(MemoryStore::new());
        let mut certain: BTreeMap<String, String> = BTreeMap::new();
        let mut maybe: BTreeMap<String, String> = BTreeMap::new();
        let faulty = RuleStore::cycling_puts(memory.clone(), pattern);
        let mut writer = match block_on(Writer::open(
            faulty.clone(),
            TestClock::default(),
            small_options(),
            "f",
        )) {
            Ok(writer) => writer,
            Err(_) => continue,
        };
        for i in 0..120 {
            let key = format!("k{i}");
            let value = format!("v{i}");
            match block_on(writer.commit(&[put(&key, &value)])) {
                Ok(_) => {
                    acknowledged_total += 1;
                    certain.insert(key, value);
                }
                Err(error) if error.outcome_unknown() => {
                    unresolved_total += 1;
                    maybe.insert(key, value);
                    break;
                }
                Err(WriterError::Store(_)) => refused_total += 1,
                Err(other) => panic!("pattern {pattern_index}: unexpected {other:?}"),
            }
            if writer.needs_flush() {
                let _ = block_on(writer.flush());
            }
        }
        let mut recovered = open(memory.clone(), "check");
        for (key, value) in &certain {
            assert_eq!(
                read(&mut recovered, key).as_ref(),
                Some(value),
                "pattern {pattern_index}: lost acknowledged {key}"
            );
        }
        for i in 0..120 {
            let key = format!("k{i}");
            if !certain.contains_key(&key) && !maybe.contains_key(&key) {
                assert_eq!(
                    read(&mut recovered, &key),
                    None,
                    "pattern {pattern_index}: failed write {key} appeared"
                );
            }
        }
    }
    assert!(acknowledged_total > 100, "{acknowledged_total}");
    assert!(unresolved_total >= 1, "{unresolved_total}");
    assert!(refused_total >= 1, "{refused_total}");
}
