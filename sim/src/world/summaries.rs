//! The report's summaries, each from what the run measured: operations, processes, the LSM
//! protocols, remote compaction and amplification.

use super::config::{Topology, WorldConfig};
use super::integrity::IntegrityReport;
use super::log_style;
use super::outcome::Amplification;
use super::quiescence::Rest;
use super::remote_tally::RemoteTally;
use super::report::{LsmSummary, OpsSummary, ProcessSummary, RemoteSummary};
use super::shared::Counters;
use crate::cost::{
    self, BucketOverTime, CostAccounting, CostReport, Placement, PriceTable, StoreTotals,
};
use crate::store::{PrefixUsage, StoreStats};
use hdrhistogram::Histogram;
use lsm_core::manifest::Manifest;
use lsm_core::roles::writer::WriterStats;
use std::collections::BTreeMap;

/// What the store and the roles hold once the run is over.
pub struct EndState {
    /// Every writer incarnation's stats, summed.
    pub writer: WriterStats,
    pub store_bytes_put: u64,
    /// Every SST byte in the store (live, pending, orphaned).
    pub sst_bytes: u64,
    /// The whole bucket by object class, at the end: the same sim instant as the rest
    /// measure (no sim time passes between `quiesce` and `end_state`), so the bucket at
    /// rest when C4 passed.
    pub bucket_usage: BTreeMap<&'static str, PrefixUsage>,
    /// The whole bucket's size over the run.
    pub bucket_over_time: BucketOverTime,
    pub newest: Option<Manifest>,
    pub read_blocks: Histogram<u64>,
    pub read_runs: Histogram<u64>,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The amplification figures of DESIGN.md ("Amplification, defined once").
pub fn amplification(
    counters: &Counters,
    end: &EndState,
    live_logical_bytes: u64,
) -> Amplification {
    let writer = &end.writer;
    let referenced_bytes = end.newest.as_ref().map_or(0, Manifest::live_size_bytes);
    Amplification {
        write: ratio(end.store_bytes_put, counters.user_bytes_written),
        // Compaction output of the writer's embedded compactor and of standalone compactors.
        write_rocksdb: ratio(
            writer.flush_bytes + writer.compaction_output_bytes + counters.compactor_output_bytes,
            writer.flush_bytes,
        ),
        space: ratio(referenced_bytes, live_logical_bytes),
        space_physical: ratio(bucket_bytes(end), live_logical_bytes),
        read_blocks_mean: end.read_blocks.mean(),
        read_blocks_p99: end.read_blocks.value_at_quantile(0.99),
        read_sorted_runs_mean: end.read_runs.mean(),
        user_bytes: counters.user_bytes_written,
        store_bytes_put: end.store_bytes_put,
        live_logical_bytes,
    }
}

/// Every byte in the bucket at the end: SSTs (live, pending deletion, orphaned), WAL
/// segments, manifest versions, `tmp/` and any other object.
pub fn bucket_bytes(end: &EndState) -> u64 {
    let bytes = end.bucket_usage.values().map(|class| class.bytes).sum();
    assert!(
        bytes >= end.sst_bytes,
        "the bucket holds less than its SSTs"
    );
    bytes
}

/// The cost section: the store's tally summed by role, the bucket, the user figures, and
/// the estimate under the default placement and price table (the command line may price
/// the same accounting again under others).
pub fn cost(
    stats: &StoreStats,
    end: &EndState,
    counters: &Counters,
    final_reads: u64,
    live_logical_bytes: u64,
) -> CostReport {
    let mut roles = BTreeMap::new();
    for (node, tally) in &stats.by_node {
        roles
            .entry(cost::role_of(node))
            .or_insert_with(cost::RequestTally::default)
            .add(tally);
    }
    let accounting = CostAccounting {
        roles,
        store_total: store_traffic(stats),
        bucket_at_end: end.bucket_usage.clone(),
        bucket_over_time: end.bucket_over_time,
        user_ops: counters.ops_ok + counters.ops_failed + counters.ops_indeterminate + final_reads,
        user_writes: counters.user_writes,
        user_bytes: counters.user_bytes_written,
        live_logical_bytes,
    };
    let estimate = cost::estimate(
        &accounting,
        &Placement::default(),
        &PriceTable::default_table(),
    );
    assert!(
        accounting.agrees_with_store(),
        "the roles do not sum to the store's tally"
    );
    CostReport {
        accounting,
        estimate,
    }
}

/// The store's own totals.
fn store_traffic(stats: &StoreStats) -> StoreTotals {
    StoreTotals {
        requests: stats.requests_total,
        requests_by_op: stats.requests_by_op.clone(),
        uploaded_bytes: stats.bytes_uploaded_total,
        downloaded_bytes: stats.bytes_downloaded_total,
    }
}

/// Compactions that uploaded outputs: installed or found stale at install, by the writer
/// and by standalone compactors.
pub fn merges(writer: &WriterStats, counters: &Counters) -> u64 {
    writer.compactions
        + writer.compactions_stale
        + counters.compactor.compactions_installed
        + counters.compactor.installs_stale
}

/// The clients' operations (the drain's deletes too, when one was drawn).
pub fn ops_summary(config: &WorldConfig, counters: &Counters, final_reads: u64) -> OpsSummary {
    let drain_deletes = config
        .clients
        .drain
        .as_ref()
        .map_or(0, |drain| drain.deletes());
    OpsSummary {
        total: config.clients.ops_total + drain_deletes,
        ok: counters.ops_ok,
        failed: counters.ops_failed,
        indeterminate: counters.ops_indeterminate,
        not_leader: counters.ops_not_leader,
        final_reads,
    }
}

pub fn process_summary(counters: &Counters) -> ProcessSummary {
    ProcessSummary {
        crashes: counters.crashes,
        restarts: counters.restarts,
        pauses: counters.pauses,
        resumes: counters.resumes,
        failovers: counters.failovers,
        writer_opens: counters.writer_opens,
        writer_open_failures: counters.writer_open_failures,
        writers_fenced: counters.writers_fenced,
        writers_poisoned: counters.writers_poisoned,
    }
}

/// What the LSM protocols did. `counters` as the clients left them; `late`, taken after
/// quiescence, for the log style's cost (compactions of the quiescence phase count too).
pub fn lsm_summary(
    config: &WorldConfig,
    writer: &WriterStats,
    counters: &Counters,
    late: &Counters,
    found: &IntegrityReport,
    rest: &Rest,
    remote: &RemoteTally,
) -> LsmSummary {
    LsmSummary {
        topology: format!("{:?}", config.lsm.topology).to_lowercase(),
        durability: format!("{:?}", config.lsm.durability).to_lowercase(),
        compactions_installed: writer.compactions + counters.compactor.compactions_installed,
        installs_rejected_stale: writer.compactions_stale + counters.compactor.installs_stale,
        installs_rejected_fenced: counters.compactor.installs_fenced,
        compactor_opens: counters.compactor_opens,
        compactors_fenced: counters.compactors_fenced,
        compactor_jobs_at_once_max: counters.compactor_jobs_at_once_max,
        checkpoints_taken: writer.checkpoints,
        checkpoints_verified: found.checkpoint_verifications,
        checkpoints_expired: counters.gc.checkpoints_expired,
        recoveries_checked: found.recoveries_checked,
        deletions_deferred: found.pending_added,
        deletions_done: counters.gc.pending_deleted,
        deletions_forced: writer.tables_force_deleted + counters.compactor.inputs_force_deleted,
        orphans_collected: counters.gc.orphans_deleted + counters.compactor.orphans_deleted,
        // Successful passes, as this report always counted them.
        gc_passes: counters.gc.passes - counters.gc.errors,
        stall_time_ms: counters.stall_ms,
        rest: rest.describe(),
        remote: (config.lsm.topology == Topology::Remote).then(|| remote_summary(config, remote)),
        log_compaction: log_style::cost_summary(config, late.log_compactions, &late.log_cost),
    }
}

/// Remote compaction's outcomes, summed over every primary incarnation.
pub fn remote_summary(config: &WorldConfig, tally: &RemoteTally) -> RemoteSummary {
    let primary = tally.primary_total();
    let quantile = |histogram: &Histogram<u64>, q: f64| {
        if histogram.is_empty() {
            0
        } else {
            histogram.value_at_quantile(q)
        }
    };
    RemoteSummary {
        workers: config.lsm.remote.workers,
        jobs_scheduled: primary.jobs_scheduled,
        jobs_rescheduled: primary.jobs_rescheduled,
        jobs_succeeded: primary.jobs_succeeded,
        jobs_failed: primary.jobs_failed,
        jobs_timed_out: primary.jobs_timed_out,
        fell_back_local: primary.fell_back_local,
        rejected_stale: primary.rejected_stale,
        rejected_corrupt: primary.rejected_corrupt,
        duplicates_ignored: primary.duplicates_ignored,
        late_results: primary.late_results,
        late_installed: primary.late_installed,
        late_rejected: primary.late_rejected,
        foreign_results: primary.foreign_results,
        empty_outputs: primary.empty_outputs,
        local_trivial: primary.local_trivial,
        outputs_damaged_by_fault: tally.workers.outputs_damaged,
        results_resent: tally.workers.results_resent,
        tmp_deleted_by_primary: primary.tmp_objects_deleted,
        tmp_collected_by_gc: tally.tmp_collected_by_gc,
        install_latency_ms_p50: quantile(&tally.install_latency_ms, 0.5),
        install_latency_ms_p99: quantile(&tally.install_latency_ms, 0.99),
        job_latency_ms_p50: quantile(&tally.job_latency_ms, 0.5),
        job_latency_ms_p99: quantile(&tally.job_latency_ms, 0.99),
    }
}
