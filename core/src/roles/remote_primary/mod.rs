//! The primary's side of remote compaction: the writer picks with its configured strategy,
//! schedules jobs on workers, waits with a per-job timeout, validates and installs results,
//! and purges the temporary outputs.
//!
//! [`RemotePrimary`] holds the bookkeeping beside one writer incarnation and reaches the
//! writer only through [`PrimaryPort`] (manifest, install bookkeeping, reader cache, epochs);
//! the host owns the transport. The host calls [`RemotePrimary::poll`] between requests (it
//! expires jobs past their timeout, sweeps `tmp/`, and returns the jobs to send) and
//! [`RemotePrimary::on_result`] for every result that arrives.
//!
//! A job id is `(compactor epoch, counter)`; every dispatch, a reschedule included, gets a
//! new one, so a result names exactly one dispatch. Per dispatch the record goes
//! `InFlight` → (`Abandoned` after its timeout) → `Closed`. A result for a closed job is a
//! duplicate (ignored, installs nothing twice); one for an abandoned job is late and is
//! installed only if its inputs are still live — the first result to install wins and every
//! other one for the same inputs is then rejected as stale. While a job is in flight or
//! abandoned with its inputs still live, the picker treats its inputs and output range as
//! busy, so a late result never overlaps a newer job's outputs.
//!
//! Temporary outputs: the primary deletes a job's prefix once the job is closed, and sweeps
//! `tmp/` now and then for prefixes of its own epoch that no open job owns (a worker that
//! wrote after its job was closed) and of older epochs (fenced primaries). The garbage
//! collector collects prefixes of fenced epochs too ([`crate::gc::plan_tmp_gc`]), which
//! covers a primary that crashed between schedule and install. Wall-clock age plays no part.

mod options;
mod port;
mod result;
mod schedule;
mod stats;
mod sweep;
mod validate;

pub use options::{RemoteFallback, RemoteOptions};
pub use port::PrimaryPort;
pub use stats::RemoteStats;

use crate::compaction::CompactionStats;
use crate::ids::{Epoch, SstId};
use crate::roles::remote::RemoteJob;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::time::Duration;

/// A job for the host to send to a worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Dispatch {
    pub job: RemoteJob,
    /// 0 for the first dispatch of a plan, 1 for its first reschedule, and so on.
    pub attempt: u32,
}

/// What became of one result.
#[derive(Clone, Debug, PartialEq)]
// `CompactionStats` carries the log style's costs inline (it is `Copy`); one value per job.
#[allow(clippy::large_enum_variant)]
pub enum ResultVerdict {
    /// Validated, copied to final names and installed (`late`: after the job had timed
    /// out). Latencies on the primary's monotonic clock: from the result's arrival, and from
    /// the plan's first dispatch.
    Installed {
        stats: CompactionStats,
        outputs: usize,
        late: bool,
        install_latency: Duration,
        job_latency: Duration,
    },
    /// Input `id` was no longer live: nothing installed, outputs deleted.
    RejectedStale { id: SstId, late: bool },
    /// An output was missing, truncated, corrupt or inconsistent with its metadata.
    RejectedCorrupt { detail: String },
    /// The worker reported a failure, or validating, copying or installing failed.
    Failed { detail: String },
    /// The install's manifest edit was refused by `apply` as invalid (not fenced): a
    /// protocol bug on the primary's side, never the correct protocol's outcome.
    RefusedInvalid { detail: String },
    /// The job was already closed (installed, rejected or failed): ignored.
    Duplicate,
    /// The job had been abandoned too long ago to be installed: rejected, prefix deleted.
    LateRejected,
    /// A job of another primary (another compactor epoch): ignored.
    Foreign,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    InFlight,
    /// Timed out at this monotonic time; its result may still come and be installed.
    Abandoned {
        since: Duration,
    },
    Closed {
        /// Closed because it stayed abandoned too long: a result is late, not a duplicate.
        expired: bool,
    },
}

#[derive(Clone, Debug)]
struct JobRecord {
    job: RemoteJob,
    attempt: u32,
    /// When the plan was first dispatched (carried over reschedules).
    first_dispatched_at: Duration,
    deadline: Duration,
    state: JobState,
}

impl JobRecord {
    fn is_open(&self) -> bool {
        !matches!(self.state, JobState::Closed { .. })
    }
}

/// The remote-compaction bookkeeping of one writer incarnation.
pub struct RemotePrimary {
    options: RemoteOptions,
    /// The writer's compactor epoch; `None` without embedded compaction (then nothing runs).
    compactor_epoch: Option<Epoch>,
    next_job_counter: u64,
    jobs: BTreeMap<u64, JobRecord>,
    /// Round-robin cursors of the picker, carried between picks.
    cursors: BTreeMap<usize, Bytes>,
    /// Re-dispatches decided while handling a failure, for the next `poll` to return.
    queued: Vec<Dispatch>,
    next_sweep_at: Duration,
    stats: RemoteStats,
}

impl RemotePrimary {
    /// The bookkeeping for a writer whose compactor epoch is `compactor_epoch`
    /// ([`crate::roles::writer::Writer::compactor_epoch`]).
    pub fn new(options: RemoteOptions, compactor_epoch: Option<Epoch>) -> RemotePrimary {
        RemotePrimary {
            options,
            compactor_epoch,
            next_job_counter: 0,
            jobs: BTreeMap::new(),
            cursors: BTreeMap::new(),
            queued: Vec::new(),
            next_sweep_at: Duration::ZERO,
            stats: RemoteStats::default(),
        }
    }

    pub fn stats(&self) -> RemoteStats {
        self.stats
    }

    pub fn options(&self) -> &RemoteOptions {
        &self.options
    }

    /// Jobs dispatched and not yet answered nor timed out.
    pub fn in_flight(&self) -> usize {
        self.jobs
            .values()
            .filter(|record| record.state == JobState::InFlight)
            .count()
    }

    /// The earliest deadline of a job in flight, so the host can wake for it.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.jobs
            .values()
            .filter(|record| record.state == JobState::InFlight)
            .map(|record| record.deadline)
            .min()
    }

    /// True when a job with this counter is in flight or abandoned: its prefix is in use.
    fn owns_prefix(&self, counter: u64) -> bool {
        self.jobs.get(&counter).is_some_and(JobRecord::is_open)
    }

    /// Forgets the oldest closed records beyond the bound.
    fn trim_closed(&mut self) {
        let closed: Vec<u64> = self
            .jobs
            .iter()
            .filter(|(_, record)| !record.is_open())
            .map(|(counter, _)| *counter)
            .collect();
        let excess = closed.len().saturating_sub(self.options.closed_keep);
        let open_before = self.jobs.len() - closed.len();
        for counter in closed.into_iter().take(excess) {
            self.jobs.remove(&counter);
        }
        assert_eq!(
            self.jobs.values().filter(|record| record.is_open()).count(),
            open_before,
            "trimming forgets closed jobs only"
        );
    }
}
