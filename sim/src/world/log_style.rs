//! The log style in the world (`--style log --log-compaction shift|scan|lookup`): Garnet's
//! log compaction on the writer's embedded compactor or a standalone one. Shift is lossy by
//! design and C1 checks it with the FIFO model (`fifo_style.rs`); scan and lookup must be
//! exact. Compaction runs on Garnet's schedule rather than after every flush: just before
//! each checkpoint (frequency 0, embedded only) or every `log_compaction_frequency_ms` on
//! the compacting node's own clock. What scan and lookup cost is summed into the report.

use super::config::{LogCompaction, Topology, WorldConfig, WorldStyle};
use super::shared::Shared;
use lsm_core::compaction::CompactionStats;
use lsm_core::compaction::log::LogCompactionStats;
use serde::Serialize;
use std::time::Duration;

/// `compact_once` calls before a checkpoint, at most (each compacts the oldest excess).
pub const COMPACTIONS_BEFORE_CHECKPOINT_MAX: usize = 8;

/// The log strategy of the world, if its style is `log`.
pub fn log_kind(config: &WorldConfig) -> Option<LogCompaction> {
    match config.writer.style {
        WorldStyle::Log(kind) => Some(kind),
        _ => None,
    }
}

/// True when the writer compacts its log just before each checkpoint (Garnet's default),
/// and only then.
pub fn compacts_before_checkpoint(config: &WorldConfig) -> bool {
    log_kind(config).is_some()
        && config.lsm.topology == Topology::Embedded
        && config.lsm.log_compaction_frequency_ms == 0
}

/// The period of log compaction on the compacting node, when it runs on a timer.
pub fn compaction_period(config: &WorldConfig) -> Option<Duration> {
    log_kind(config)?;
    let frequency_ms = config.lsm.log_compaction_frequency_ms;
    (frequency_ms > 0).then(|| Duration::from_millis(frequency_ms))
}

/// The L0 count C4 waits for the tree to come under: the log's maximum plus one (a copying
/// strategy keeps at most the maximum; shift too).
pub fn rest_l0_trigger(config: &WorldConfig) -> Option<usize> {
    log_kind(config)?;
    Some(config.lsm.log_max_segments.max(1) + 1)
}

/// Adds an installed compaction's scan or lookup cost to the run's totals.
pub fn record_cost(shared: &Shared, stats: &CompactionStats) {
    if let Some(log) = &stats.log {
        shared.count(|counters| {
            counters.log_compactions += 1;
            counters.log_cost.strategy = log.strategy;
            counters.log_cost.accumulate(log);
        });
    }
}

/// The `--json` summary of what scan or lookup cost, over the compactions installed
/// (bytes are bytes fetched from the store; records are entries decoded).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LogCostSummary {
    pub strategy: String,
    pub max_segments: usize,
    pub frequency_ms: u64,
    pub compactions: u64,
    /// Totals over the compactions, as `LogCompactionStats` defines them.
    pub totals: LogCompactionStats,
    pub bytes_read: u64,
    pub records_examined: u64,
    pub records_copied: u64,
    /// Per compaction: bytes fetched, of which by liveness; records examined, of which by
    /// liveness; records copied.
    pub bytes_read_per_compaction: f64,
    pub liveness_bytes_read_per_compaction: f64,
    pub records_examined_per_compaction: f64,
    pub liveness_records_examined_per_compaction: f64,
    pub records_copied_per_compaction: f64,
    /// Records copied ÷ records judged (candidate keys whose newest version is a put).
    pub live_fraction: f64,
}

/// The summary for a log world (`None` for other styles).
pub fn cost_summary(
    config: &WorldConfig,
    compactions: u64,
    totals: &LogCompactionStats,
) -> Option<LogCostSummary> {
    let kind = log_kind(config)?;
    let per = |value: u64| value as f64 / compactions.max(1) as f64;
    Some(LogCostSummary {
        strategy: kind.name().to_string(),
        max_segments: config.lsm.log_max_segments,
        frequency_ms: config.lsm.log_compaction_frequency_ms,
        compactions,
        totals: *totals,
        bytes_read: totals.bytes_read(),
        records_examined: totals.records_examined(),
        records_copied: totals.records_copied,
        bytes_read_per_compaction: per(totals.bytes_read()),
        liveness_bytes_read_per_compaction: per(totals.liveness_bytes_read),
        records_examined_per_compaction: per(totals.records_examined()),
        liveness_records_examined_per_compaction: per(totals.liveness_records_examined),
        records_copied_per_compaction: per(totals.records_copied),
        live_fraction: totals.records_copied as f64 / totals.records_judged.max(1) as f64,
    })
}
