//! The writer host's view of the store: the simulated store, counting the host's requests
//! in flight so the process-fault schedule can aim crashes at the middle of a protocol step.

use super::protocol::writer_host_name;
use super::shared::Shared;
use crate::store::{SimStore, StoreOp, protocol_step};
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
    name: String,
}

impl HostStore {
    pub fn new(inner: SimStore, shared: Arc<Shared>, host: usize) -> HostStore {
        HostStore {
            inner,
            shared,
            host,
            name: writer_host_name(host),
        }
    }

    async fn counted<T, E>(
        &self,
        op: StoreOp,
        path: &str,
        request: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let _guard = InFlight::start(&self.shared, self.host);
        let step = protocol_step(op, path);
        let coverage = &self.shared.coverage;
        coverage.request_started(&self.name, step);
        let mut ended = StepEnded {
            coverage,
            node: &self.name,
            step,
            completed_write: false,
        };
        let result = request.await;
        ended.completed_write = op.is_mutation() && result.is_ok();
        result
    }
}

/// Ends a request's step in the coverage state, on completion or on the drop of its future.
struct StepEnded<'a> {
    coverage: &'a super::coverage::Coverage,
    node: &'a str,
    step: &'static str,
    completed_write: bool,
}

impl Drop for StepEnded<'_> {
    fn drop(&mut self) {
        self.coverage
            .request_ended(self.node, self.step, self.completed_write);
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
        self.counted(StoreOp::Get, path, self.inner.get(path, range))
            .await
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        self.counted(StoreOp::Head, path, self.inner.head(path))
            .await
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let op = StoreOp::for_put(&mode);
        self.counted(op, path, self.inner.put(path, bytes, mode, attributes))
            .await
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.counted(StoreOp::Delete, path, self.inner.delete(path))
            .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        self.counted(StoreOp::List, prefix, self.inner.list(prefix))
            .await
    }
}
