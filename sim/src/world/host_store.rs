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

/// The coverage key under which each upload the outage refuses is counted.
pub const UPLOAD_OUTAGE_HITS: &str = "upload-outage:sst-upload";

/// In worlds that checkpoint after a failed flush (`checkpoint_after_failed_flush`), the
/// writer's SST uploads fail (transiently, as a 503 would) for `length_ms` out of every
/// `every_ms` of sim time, longer than the retry policy rides out: a flush then fails and
/// stays pending while the writer goes on, which is the window the checkpoint lands in.
#[derive(Clone, Copy, Debug)]
struct UploadOutage {
    every_ms: u64,
    length_ms: u64,
}

impl UploadOutage {
    fn draw(shared: &Shared) -> Option<UploadOutage> {
        let config = &shared.config;
        let wal = config.lsm.durability == lsm_core::roles::writer::Durability::Wal;
        let faults = config.fault_level != super::config::FaultLevel::None;
        if !config.lsm.checkpoint_after_failed_flush || !wal || !faults || config.fault_scale <= 0.0
        {
            return None;
        }
        let mut stream = crate::rng::stream(config.seed, "writer/upload-outage");
        Some(UploadOutage {
            every_ms: crate::rng::uniform_u64(&mut stream, 30_000, 90_000),
            length_ms: crate::rng::uniform_u64(&mut stream, 7_000, 12_000),
        })
    }

    fn active(&self) -> bool {
        let now_ms = crate::clock::sim_elapsed().as_millis() as u64;
        now_ms % self.every_ms >= self.every_ms - self.length_ms
    }
}

#[derive(Clone)]
pub struct HostStore {
    inner: SimStore,
    shared: Arc<Shared>,
    host: usize,
    name: String,
    upload_outage: Option<UploadOutage>,
}

impl HostStore {
    pub fn new(inner: SimStore, shared: Arc<Shared>, host: usize) -> HostStore {
        let upload_outage = UploadOutage::draw(&shared);
        HostStore {
            inner,
            shared,
            host,
            name: writer_host_name(host),
            upload_outage,
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
        let outage = self.upload_outage.is_some_and(|outage| outage.active())
            && protocol_step(op, path) == "sst-upload"
            && !self
                .shared
                .faults_stopped
                .load(std::sync::atomic::Ordering::Relaxed);
        if outage {
            // One hit per refused upload: the run's faults summary counts them.
            self.shared.coverage.hit("upload-outage", "sst-upload");
            return Err(StoreError::Transient {
                path: path.to_string(),
                detail: "the writer's SST uploads are out (upload outage)".to_string(),
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_upload_counts_under_the_faults_summary_key() {
        let coverage = super::super::coverage::Coverage::default();
        coverage.hit("upload-outage", "sst-upload");
        assert_eq!(coverage.snapshot().get(UPLOAD_OUTAGE_HITS), Some(&1));
    }
}
