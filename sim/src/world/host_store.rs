//! The writer host's view of the store: the simulated store, counting the host's requests
//! in flight so the process-fault schedule can aim crashes at the middle of a protocol step.

use super::shared::Shared;
use crate::store::SimStore;
use bytes::Bytes;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};
use std::future::Future;
use std::sync::Arc;

#[derive(Clone)]
pub struct HostStore {
    inner: SimStore,
    shared: Arc<Shared>,
    host: usize,
}

impl HostStore {
    pub fn new(inner: SimStore, shared: Arc<Shared>, host: usize) -> HostStore {
        HostStore {
            inner,
            shared,
            host,
        }
    }

    async fn counted<T>(&self, request: impl Future<Output = T>) -> T {
        let _guard = InFlight::start(&self.shared, self.host);
        request.await
    }
}

/// Counts one request from start to completion — or to the drop of its future, which is
/// what a kill does to it.
struct InFlight<'a> {
    shared: &'a Shared,
    host: usize,
}

impl<'a> InFlight<'a> {
    fn start(shared: &'a Shared, host: usize) -> InFlight<'a> {
        shared.in_flight_change(host, true);
        InFlight { shared, host }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.shared.in_flight_change(self.host, false);
    }
}

impl ObjectStore for HostStore {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        self.counted(self.inner.get(path, range)).await
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        self.counted(self.inner.head(path)).await
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        self.counted(self.inner.put(path, bytes, mode, attributes))
            .await
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.counted(self.inner.delete(path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        self.counted(self.inner.list(prefix)).await
    }
}
