//! What remote compaction did across a run: each primary incarnation's counters, the
//! workers' side of delivery, and the install latencies (simulated milliseconds).

use hdrhistogram::Histogram;
use lsm_core::roles::writer::RemoteStats;
use serde::Serialize;
use std::collections::BTreeMap;

/// Delivery and fault counts seen by the worker nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorkerCounters {
    pub jobs_received: u64,
    pub jobs_undecodable: u64,
    pub results_sent: u64,
    /// Results sent again because no acknowledgement came (at-least-once delivery).
    pub results_resent: u64,
    pub results_acked: u64,
    /// Outputs a worker damaged on purpose after writing (the corrupt-output fault).
    pub outputs_damaged: u64,
}

#[derive(Clone, Debug)]
pub struct RemoteTally {
    /// The last counters of every primary incarnation, by its tag.
    pub primaries: BTreeMap<String, RemoteStats>,
    pub workers: WorkerCounters,
    /// Results the primary could not decode.
    pub results_undecodable: u64,
    /// Temporary objects of fenced primaries deleted by the garbage collector.
    pub tmp_collected_by_gc: u64,
    /// From a result's arrival to its install.
    pub install_latency_ms: Histogram<u64>,
    /// From a plan's first dispatch to its install.
    pub job_latency_ms: Histogram<u64>,
}

impl Default for RemoteTally {
    fn default() -> Self {
        RemoteTally {
            primaries: BTreeMap::new(),
            workers: WorkerCounters::default(),
            results_undecodable: 0,
            tmp_collected_by_gc: 0,
            install_latency_ms: latency_histogram(),
            job_latency_ms: latency_histogram(),
        }
    }
}

impl RemoteTally {
    /// Every primary incarnation's counters, summed.
    pub fn primary_total(&self) -> RemoteStats {
        let mut total = RemoteStats::default();
        for stats in self.primaries.values() {
            total.accumulate(stats);
        }
        total
    }
}

fn latency_histogram() -> Histogram<u64> {
    // 1 ms to ~11.5 days of simulated time with 3 figures: constant, valid bounds.
    Histogram::new_with_bounds(1, 1_000_000_000, 3)
        .expect("1..=1e9 with 3 figures is a valid histogram")
}
