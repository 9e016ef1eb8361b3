//! Remote compaction configuration on the primary.

use std::time::Duration;

/// What the primary does when a remote job times out or fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteFallback {
    /// Dispatch the same plan again (to the next worker) until `remote_attempts_max`
    /// dispatches have failed, then compact locally.
    Reschedule,
    /// Compact locally at once (RocksDB falls back to local compaction when the service
    /// returns a failure).
    Local,
}

/// How the primary schedules and waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteOptions {
    /// A job not answered within this (primary's monotonic clock) is abandoned. Default 30 s.
    pub job_timeout: Duration,
    pub fallback: RemoteFallback,
    /// Dispatches of one plan before falling back to local compaction (with `Reschedule`).
    /// Default 2; 0 counts as 1.
    pub remote_attempts_max: u32,
    /// Jobs in flight at once, on non-overlapping inputs (RocksDB:
    /// `max_background_compactions`). Default 1; 0 counts as 1.
    pub jobs_in_flight_max: usize,
    /// An abandoned job whose result has not come after this long is closed: its result is
    /// then rejected, and its inputs are free for new picks. Default 120 s.
    pub abandoned_keep: Duration,
    /// Closed jobs remembered to recognise duplicate results. Default 256.
    pub closed_keep: usize,
    /// How often the primary sweeps `tmp/` for prefixes no open job owns. Default 10 s.
    pub tmp_sweep_interval: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            job_timeout: Duration::from_secs(30),
            fallback: RemoteFallback::Reschedule,
            remote_attempts_max: 2,
            jobs_in_flight_max: 1,
            abandoned_keep: Duration::from_secs(120),
            closed_keep: 256,
            tmp_sweep_interval: Duration::from_secs(10),
        }
    }
}
