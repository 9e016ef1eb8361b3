//! What one cell measured, with its model predictions and C5 targets: the rows of
//! `report.md` and the objects of `report.json`.

use crate::matrix::Cell;
use crate::models::{Prediction, predict};
use serde::Serialize;
use sim::world::{RunReport, RunSeries, TargetCheck};

/// Every figure of one cell.
#[derive(Clone, Debug, Serialize)]
pub struct CellResult {
    pub style: String,
    pub workload: String,
    pub verdict: String,
    pub failures: Vec<String>,
    pub wall_time_s: f64,
    pub sim_time_s: f64,
    pub ops_ok: u64,
    pub write_amp: f64,
    pub write_amp_rocksdb: f64,
    pub space_amp: f64,
    pub space_amp_physical: f64,
    pub read_blocks_mean: f64,
    pub read_blocks_p99: u64,
    pub read_sorted_runs_mean: f64,
    /// Measured: time the writer stopped taking writes (RocksDB's stop rule).
    pub write_stall_s: f64,
    /// From the timeline: time the slowdown rule held (the writer does not delay writes).
    pub write_stall_delayed_s: f64,
    pub write_stall_stopped_s: f64,
    pub fifo_tables_dropped: u64,
    pub user_bytes: u64,
    pub store_bytes_put: u64,
    pub live_logical_bytes: u64,
    pub flushes: u64,
    pub compactions: u64,
    pub predictions: Vec<Prediction>,
    /// C5's figures against their targets (empty when C5 did not run).
    pub targets: Vec<TargetCheck>,
    /// The whole run report, series included.
    pub run: RunReport,
}

impl CellResult {
    pub fn new(cell: &Cell, run: RunReport) -> CellResult {
        let a = &run.amplification;
        let series = run.series.clone().unwrap_or_default();
        CellResult {
            style: cell.style.name().to_string(),
            workload: cell.workload.to_string(),
            verdict: run.verdict.clone(),
            failures: run
                .failures
                .iter()
                .map(|failure| format!("{}: {}", failure.check, failure.detail))
                .collect(),
            wall_time_s: run.wall_time_s,
            sim_time_s: run.sim_time_s,
            ops_ok: run.ops.ok,
            write_amp: a.write,
            write_amp_rocksdb: a.write_rocksdb,
            space_amp: a.space,
            space_amp_physical: a.space_physical,
            read_blocks_mean: a.read_blocks_mean,
            read_blocks_p99: a.read_blocks_p99,
            read_sorted_runs_mean: a.read_sorted_runs_mean,
            write_stall_s: run.lsm.stall_time_ms as f64 / 1000.0,
            write_stall_delayed_s: series.stall_delayed_s,
            write_stall_stopped_s: series.stall_stopped_s,
            fifo_tables_dropped: series.fifo_tables_dropped,
            user_bytes: a.user_bytes,
            store_bytes_put: a.store_bytes_put,
            live_logical_bytes: a.live_logical_bytes,
            flushes: run.flushes,
            compactions: run.compactions,
            predictions: predict(&run),
            targets: run
                .c5
                .as_ref()
                .map(|c5| c5.checks.clone())
                .unwrap_or_default(),
            run,
        }
    }

    pub fn series(&self) -> Option<&RunSeries> {
        self.run.series.as_ref()
    }

    /// The C5 target of `figure`, if C5 checked it.
    pub fn target(&self, figure: &str) -> Option<&TargetCheck> {
        self.targets.iter().find(|check| check.figure == figure)
    }

    /// The prediction of `figure`, if the models give one.
    pub fn prediction(&self, figure: &str) -> Option<&Prediction> {
        self.predictions.iter().find(|p| p.figure == figure)
    }
}
