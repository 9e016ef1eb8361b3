//! Driving role futures without a runtime: the memory store answers at once and the test
//! clock's sleep only advances virtual time, so one poll loop completes any of them.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::store::{MemoryStore, ObjectStore};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

mod faults;
mod rule_store;
#[allow(unused_imports)]
pub use faults::{Possible, compaction_fault_patterns, mixed_fault_patterns, record};
// Each test crate uses a part of the support; the rule store is re-exported for all.
#[allow(unused_imports)]
pub use rule_store::{Action, Hook, Request, Rule, RuleStore};

pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("future did not complete: something waits on a real event");
}

/// Virtual time that moves only when someone sleeps.
#[derive(Clone, Default)]
pub struct TestClock {
    now_ms: Arc<AtomicU64>,
}

impl Clock for TestClock {
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.now_ms.load(Ordering::SeqCst))
    }

    fn wall_ms(&self) -> u64 {
        1_700_000_000_000 + self.now_ms.load(Ordering::SeqCst)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.now_ms
            .fetch_add(duration.as_millis() as u64, Ordering::SeqCst);
        std::future::ready(())
    }
}

/// What the rule store does to a request a fault rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Not applied; a 503.
    Transient,
    /// Applied, but the caller hears nothing.
    LostReplyApplied,
    /// Not applied, and the caller hears nothing.
    LostReplyDropped,
}

/// A put of `key` to `value`, without expiry.
pub fn put(key: &str, value: &str) -> lsm_core::roles::writer::WriteOp {
    lsm_core::roles::writer::WriteOp::Put {
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
        expires_at_ms: None,
    }
}

pub fn delete(key: &str) -> lsm_core::roles::writer::WriteOp {
    lsm_core::roles::writer::WriteOp::Delete {
        key: Bytes::copy_from_slice(key.as_bytes()),
    }
}

/// The writer's current value of `key`, as text.
pub fn read<S: ObjectStore>(
    writer: &mut lsm_core::roles::writer::Writer<S, TestClock>,
    key: &str,
) -> Option<String> {
    block_on(writer.get(key.as_bytes()))
        .unwrap()
        .value
        .map(|v| String::from_utf8(v.to_vec()).unwrap())
}

pub fn latest_manifest<S: ObjectStore>(store: &S) -> lsm_core::manifest::Manifest {
    block_on(lsm_core::roles::manifest_io::read_latest_manifest(
        store,
        &TestClock::default(),
        &lsm_core::roles::retry::RetryPolicy::default(),
    ))
    .unwrap()
}

/// Ids of every SST object in the store (live, pending or orphaned).
pub fn sst_objects(store: &MemoryStore) -> std::collections::BTreeSet<lsm_core::ids::SstId> {
    block_on(store.list(lsm_core::layout::SST_PREFIX))
        .unwrap()
        .iter()
        .filter_map(|meta| lsm_core::layout::parse_sst_path(&meta.path))
        .collect()
}

pub fn manifest_object_count(store: &MemoryStore) -> usize {
    block_on(store.list(lsm_core::layout::MANIFEST_PREFIX))
        .unwrap()
        .len()
}

/// Installs a checkpoint of the newest manifest version; returns it.
pub fn add_checkpoint<S: ObjectStore>(
    store: &S,
    created_at_ms: u64,
    expires_at_ms: Option<u64>,
) -> lsm_core::manifest::Checkpoint {
    static CHECKPOINTS_ADDED: AtomicU64 = AtomicU64::new(0);
    let unique = CHECKPOINTS_ADDED.fetch_add(1, Ordering::SeqCst);
    block_on(lsm_core::roles::manifest_io::install(
        store,
        &TestClock::default(),
        &lsm_core::roles::retry::RetryPolicy::default(),
        16,
        &format!("test/checkpoint/{unique}"),
        |latest| {
            let checkpoint = lsm_core::manifest::Checkpoint {
                id: latest.next_checkpoint_id,
                name: "test".to_string(),
                manifest_version: latest.version,
                created_at_ms,
                expires_at_ms,
            };
            let edit = lsm_core::manifest::Edit::AddCheckpoint {
                checkpoint: checkpoint.clone(),
            };
            Ok(lsm_core::manifest::decide::Decision::Install {
                edit,
                output: checkpoint,
            })
        },
    ))
    .unwrap()
    .output
}

/// Every key `key0000`.. below `keys` reads what `model` holds (absent where it holds none).
pub fn assert_reads_match<S: ObjectStore>(
    writer: &mut lsm_core::roles::writer::Writer<S, TestClock>,
    model: &std::collections::BTreeMap<String, String>,
    keys: usize,
    context: &str,
) {
    for k in 0..keys {
        let key = format!("key{k:04}");
        assert_eq!(
            read(writer, &key).as_ref(),
            model.get(&key),
            "{context}: {key}"
        );
    }
}
