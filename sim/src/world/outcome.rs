//! What checks and measurements produce, shared by the checks and the report: a check's
//! outcome, a named failure, and the amplification figures.

use serde::Serialize;

/// What one check found: passed, or failed with a detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    pub check: &'static str,
    /// `None`: passed.
    pub failure: Option<String>,
}

impl CheckOutcome {
    pub fn new(check: &'static str, passed: bool, detail: impl FnOnce() -> String) -> CheckOutcome {
        CheckOutcome {
            check,
            failure: (!passed).then(detail),
        }
    }
}

/// A failed check, named as DESIGN.md names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub check: String,
    pub detail: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Amplification {
    /// Bytes PUT to the store ÷ user bytes written.
    pub write: f64,
    /// (flush + compaction output bytes) ÷ flush bytes, as RocksDB reports it.
    pub write_rocksdb: f64,
    /// SST bytes the newest manifest references ÷ live logical bytes.
    pub space: f64,
    /// Every byte in the bucket (SSTs live, pending and orphaned, WAL segments, manifest
    /// versions, `tmp/`, any other object) ÷ live logical bytes.
    pub space_physical: f64,
    pub read_blocks_mean: f64,
    pub read_blocks_p99: u64,
    pub read_sorted_runs_mean: f64,
    pub user_bytes: u64,
    pub store_bytes_put: u64,
    pub live_logical_bytes: u64,
}
