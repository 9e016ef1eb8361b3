//! Driving role futures without a runtime: the memory store answers at once and the test
//! clock's sleep only advances virtual time, so one poll loop completes any of them.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, MemoryStore, ObjectMeta, ObjectStore, PutMode,
    StoreError,
};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

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

/// What the faulty store does to the Nth mutating request.
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

/// A memory store whose puts and deletes fail per a fixed schedule, cycling through it.
#[derive(Clone)]
pub struct FaultyStore {
    pub inner: Arc<MemoryStore>,
    schedule: Arc<Vec<Fault>>,
    mutations: Arc<AtomicU64>,
}

impl FaultyStore {
    pub fn new(inner: Arc<MemoryStore>, schedule: Vec<Fault>) -> FaultyStore {
        FaultyStore {
            inner,
            schedule: Arc::new(schedule),
            mutations: Arc::new(AtomicU64::new(0)),
        }
    }

    fn next_fault(&self) -> Fault {
        let n = self.mutations.fetch_add(1, Ordering::SeqCst) as usize;
        if self.schedule.is_empty() {
            Fault::None
        } else {
            self.schedule[n % self.schedule.len()]
        }
    }
}

impl ObjectStore for FaultyStore {
    fn get(
        &self,
        path: &str,
        range: GetRange,
    ) -> impl Future<Output = Result<GetResult, StoreError>> + Send {
        self.inner.get(path, range)
    }

    fn head(&self, path: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send {
        self.inner.head(path)
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let lost = StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        match self.next_fault() {
            Fault::None => self.inner.put(path, bytes, mode, attributes).await,
            Fault::Transient => Err(StoreError::Transient {
                path: path.to_string(),
                detail: "injected".into(),
            }),
            Fault::LostReplyApplied => {
                let _ = self.inner.put(path, bytes, mode, attributes).await;
                Err(lost)
            }
            Fault::LostReplyDropped => Err(lost),
        }
    }

    fn delete(&self, path: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.delete(path)
    }

    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send {
        self.inner.list(prefix)
    }
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

/// A hook run once, with the inner store, before the next manifest put goes through.
pub type ManifestPutHook = Box<dyn FnOnce(&MemoryStore) + Send>;

/// A memory store whose next puts and deletes fail as queued (then behave), which logs the
/// paths it deleted, and which can stage a rival manifest write just before the next one.
#[derive(Clone)]
pub struct ControlledStore {
    pub inner: Arc<MemoryStore>,
    put_faults: Arc<std::sync::Mutex<std::collections::VecDeque<Fault>>>,
    delete_faults: Arc<std::sync::Mutex<std::collections::VecDeque<Fault>>>,
    deleted: Arc<std::sync::Mutex<Vec<String>>>,
    before_manifest_put: Arc<std::sync::Mutex<Option<ManifestPutHook>>>,
}

impl ControlledStore {
    pub fn new(inner: Arc<MemoryStore>) -> ControlledStore {
        ControlledStore {
            inner,
            put_faults: Default::default(),
            delete_faults: Default::default(),
            deleted: Default::default(),
            before_manifest_put: Default::default(),
        }
    }

    pub fn fail_next_puts(&self, faults: impl IntoIterator<Item = Fault>) {
        self.put_faults.lock().unwrap().extend(faults);
    }

    pub fn fail_next_deletes(&self, faults: impl IntoIterator<Item = Fault>) {
        self.delete_faults.lock().unwrap().extend(faults);
    }

    /// Paths whose delete reached the store, in order.
    pub fn deleted_paths(&self) -> Vec<String> {
        self.deleted.lock().unwrap().clone()
    }

    pub fn before_next_manifest_put(&self, hook: ManifestPutHook) {
        *self.before_manifest_put.lock().unwrap() = Some(hook);
    }

    fn pop(queue: &std::sync::Mutex<std::collections::VecDeque<Fault>>) -> Fault {
        queue.lock().unwrap().pop_front().unwrap_or(Fault::None)
    }
}

impl ObjectStore for ControlledStore {
    fn get(
        &self,
        path: &str,
        range: GetRange,
    ) -> impl Future<Output = Result<GetResult, StoreError>> + Send {
        self.inner.get(path, range)
    }

    fn head(&self, path: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send {
        self.inner.head(path)
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        if path.starts_with(lsm_core::layout::MANIFEST_PREFIX) {
            let hook = self.before_manifest_put.lock().unwrap().take();
            if let Some(hook) = hook {
                hook(&self.inner);
            }
        }
        let lost = StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        match Self::pop(&self.put_faults) {
            Fault::None => self.inner.put(path, bytes, mode, attributes).await,
            Fault::Transient => Err(StoreError::Transient {
                path: path.to_string(),
                detail: "injected".into(),
            }),
            Fault::LostReplyApplied => {
                let _ = self.inner.put(path, bytes, mode, attributes).await;
                Err(lost)
            }
            Fault::LostReplyDropped => Err(lost),
        }
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        let lost = StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        let fault = Self::pop(&self.delete_faults);
        if matches!(fault, Fault::None | Fault::LostReplyApplied) {
            self.deleted.lock().unwrap().push(path.to_string());
        }
        match fault {
            Fault::None => self.inner.delete(path).await,
            Fault::Transient => Err(StoreError::Transient {
                path: path.to_string(),
                detail: "injected".into(),
            }),
            Fault::LostReplyApplied => {
                let _ = self.inner.delete(path).await;
                Err(lost)
            }
            Fault::LostReplyDropped => Err(lost),
        }
    }

    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send {
        self.inner.list(prefix)
    }
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
