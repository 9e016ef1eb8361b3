//! `report.md`: one table per cell (each figure beside its model and its C5 target, with
//! pass or fail), a summary table, and what was measured and how.

use crate::cell_result::CellResult;
use crate::matrix::Scale;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What `report.md` says about the run as a whole.
pub struct Header<'a> {
    pub scale: Scale,
    /// The log-compaction and cost sweeps' scale.
    pub sweep_scale: Scale,
    pub faults: &'a str,
    pub topology: &'a str,
    pub seed: u64,
    pub wall_time_s: f64,
    pub phases: PhaseTimes,
    pub charts: &'a [PathBuf],
}

fn model_cell(cell: &CellResult, figure: &str) -> String {
    cell.prediction(figure).map_or("—".to_string(), |p| {
        format!(
            "{}{:.2} ({})",
            if p.bound { "≤ " } else { "≈ " },
            p.value,
            p.formula
        )
    })
}

fn target_cell(cell: &CellResult, figure: &str) -> (String, String) {
    cell.target(figure)
        .map_or(("—".to_string(), "—".to_string()), |check| {
            (
                format!("≤ {:.2}", check.target),
                if check.passed { "pass" } else { "FAIL" }.to_string(),
            )
        })
}

fn figure_row(out: &mut String, name: &str, measured: String, cell: &CellResult, figure: &str) {
    let (target, verdict) = target_cell(cell, figure);
    let _ = writeln!(
        out,
        "| {name} | {measured} | {} | {target} | {verdict} |",
        model_cell(cell, figure)
    );
}

/// Wall time of each phase of a report, in seconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PhaseTimes {
    /// The matrix cells (worlds, `--jobs` at a time).
    pub matrix_s: f64,
    pub log_costs_s: f64,
    pub costs_s: f64,
    /// compaction-sim against the RocksDB reference.
    pub fidelity_s: f64,
}

/// The whole report.
pub fn render(header: &Header<'_>, cells: &[CellResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Sediment amplification report\n");
    let _ = writeln!(
        out,
        "{} cells, {} client operations each over {} initial keys ({} clients, {} KiB memtables), \
         seed {}, faults `{}`, topology `{}`, durability `wal`; the log-compaction and cost \
         sweeps run {} operations each; {:.1} s of wall time (matrix {:.1} s, log sweep {:.1} s, \
         cost sweep {:.1} s, RocksDB comparison {:.1} s).\n",
        cells.len(),
        header.scale.ops,
        header.scale.key_space,
        header.scale.clients,
        header.scale.memtable_size_bytes >> 10,
        header.seed,
        header.faults,
        header.topology,
        header.sweep_scale.ops,
        header.wall_time_s,
        header.phases.matrix_s,
        header.phases.log_costs_s,
        header.phases.costs_s,
        header.phases.fidelity_s
    );
    summary(&mut out, cells);
    let _ = writeln!(out, "\n## Cells\n");
    for cell in cells {
        cell_section(&mut out, cell);
    }
    let _ = writeln!(out, "## Charts\n");
    // Embedded, so that a Markdown viewer shows them beside the report.
    for chart in header.charts {
        if let Some(name) = chart.file_name().and_then(|name| name.to_str()) {
            let title = name.trim_end_matches(".svg").replace('-', " ");
            let _ = writeln!(out, "![{title}]({name})\n");
        }
    }
    let _ = writeln!(out, "\n{}", METHOD);
    out
}

fn summary(out: &mut String, cells: &[CellResult]) {
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "| style | workload | verdict | write (total) | write (RocksDB) | space | space (physical) | blocks/get mean | p99 | sorted runs/get | stall s | FIFO drops |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for cell in cells {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {} | {:.2} | {:.1} | {} |",
            cell.style,
            cell.workload,
            cell.verdict,
            cell.write_amp,
            cell.write_amp_rocksdb,
            cell.space_amp,
            cell.space_amp_physical,
            cell.read_blocks_mean,
            cell.read_blocks_p99,
            cell.read_sorted_runs_mean,
            cell.write_stall_s,
            cell.fifo_tables_dropped
        );
    }
}

/// How big the flushes were: RocksDB-style write amplification (÷ flush bytes) grows with
/// the number of flushes a tree is fed, and a checkpoint flushes the memtable early.
fn flush_size_note(cell: &CellResult) -> String {
    let config = &cell.run.config;
    let mean_kib = crate::models::run_flush_mean(&cell.run) / 1024.0;
    let memtable_kib = config.writer.memtable_size_bytes as f64 / 1024.0;
    format!(
        "mean {mean_kib:.1} KiB of table from a {memtable_kib:.0} KiB memtable; {} checkpoints \
         every {:.0} s",
        cell.run.lsm.checkpoints_taken,
        config.lsm.checkpoint_interval_ms as f64 / 1000.0
    )
}

fn cell_section(out: &mut String, cell: &CellResult) {
    let _ = writeln!(out, "### {} × {}\n", cell.style, cell.workload);
    let _ = writeln!(
        out,
        "Verdict **{}**; {} operations answered; {} flushes ({}), {} compactions; {:.0} s simulated in {:.2} s.\n",
        cell.verdict,
        cell.ops_ok,
        cell.flushes,
        flush_size_note(cell),
        cell.compactions,
        cell.sim_time_s,
        cell.wall_time_s
    );
    for failure in &cell.failures {
        let _ = writeln!(out, "- FAILED {failure}");
    }
    let _ = writeln!(out, "| figure | measured | model | target (C5) | C5 |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| write amplification (total) | {:.2} | — | — | — |",
        cell.write_amp
    );
    figure_row(
        out,
        "write amplification (RocksDB-style)",
        format!("{:.2}", cell.write_amp_rocksdb),
        cell,
        "write_rocksdb",
    );
    figure_row(
        out,
        "space amplification (referenced)",
        format!("{:.2}", cell.space_amp),
        cell,
        "space",
    );
    let _ = writeln!(
        out,
        "| space amplification (physical) | {:.2} | — | — | — |",
        cell.space_amp_physical
    );
    figure_row(
        out,
        "SST blocks per get, mean",
        format!("{:.3}", cell.read_blocks_mean),
        cell,
        "read_blocks_mean",
    );
    let _ = writeln!(
        out,
        "| SST blocks per get, p99 | {} | — | — | — |",
        cell.read_blocks_p99
    );
    let _ = writeln!(
        out,
        "| sorted runs per get, mean | {:.2} | — | — | — |",
        cell.read_sorted_runs_mean
    );
    let _ = writeln!(
        out,
        "| write-stall time: writes stopped (measured) · slowdown / stop rules held | {:.1} s · {:.1} s / {:.1} s | — | — | — |",
        cell.write_stall_s, cell.write_stall_delayed_s, cell.write_stall_stopped_s
    );
    if cell.style == "fifo" {
        let _ = writeln!(
            out,
            "| tables dropped by FIFO | {} | — | — | — |",
            cell.fifo_tables_dropped
        );
    }
    let _ = writeln!(out);
}

const METHOD: &str = "## What was measured, and how

Each cell is one seeded run of Sediment's simulated world (`sim::world::run`, the same code
as `sim --seed N`): client nodes send the workload's operations (from the `workloads` crate;
scans are gets of their start key, read-modify-writes a get then a put, TTLs are dropped
because the world's writer writes no expiry yet) to a writer on a simulated object store;
the writer group-commits to a WAL, flushes memtables to L0 tables and runs the style's
compactor. A memtable is flushed when it is full, as RocksDB's is: the writer's checkpoints
(which flush it too) come every 120 s of simulated time and its WAL-segment bound is 1024,
both later than a full memtable (`matrix::flush_when_the_memtable_is_full`; each cell gives
its mean flush size). After the clients finish, the tree is left to quiesce (no compaction
left to pick), a final reader reads every key, and the checks run (C1 linearizability — for FIFO
against a model that lets a dropped key read as absent —, C3, C4 and C5).

- **Write amplification (total)**: bytes of every successful PUT to the store (WAL segments,
  SSTs, manifests) ÷ user bytes (key + value of every acknowledged put and delete).
- **Write amplification (RocksDB-style)**: (flush + compaction output bytes) ÷ flush bytes.
- **Space amplification (referenced)**: SST bytes the newest manifest references ÷ live
  logical bytes (key + value of every key the final reader found). **Physical**: every SST
  byte in the store (pending deletion and orphans included) ÷ the same.
- **Read amplification**: SST data blocks fetched and sorted runs consulted per get, from
  hdrhistogram (mean and p99).
- **Write-stall time**: simulated time the writer stopped taking writes because RocksDB's
  stop rule held (L0 files or sorted runs, pending compaction bytes, under the thresholds
  the writer derives from its style), measured by the writer's host (the summary column).
  Each cell also gives the time the slowdown and the stop rules held for the newest manifest;
  the writer does not throttle on the slowdown rule (it only stops), so that figure is what
  RocksDB's delayed writes would have cost.
- **Model**: the analytical expectation (≈) or bound (≤) from the style's model, evaluated
  on the run's final tree; **target (C5)**: the upper bound C5 holds the run to (formulas in
  `sim/src/world/amplification_targets.rs`).
- Timeline charts sample the store at every manifest install (at most 2048 samples; longer
  runs keep every n-th). CDFs come from the run's hdrhistograms.
";

#[cfg(test)]
mod tests {
    use super::METHOD;
    use crate::matrix::{CHECKPOINT_INTERVAL_MS, WAL_SEGMENTS_FLUSH_TRIGGER};

    #[test]
    fn the_method_states_the_flush_regime_the_matrix_runs() {
        let every = format!(
            "every {} s of simulated time",
            CHECKPOINT_INTERVAL_MS / 1000
        );
        assert!(METHOD.contains(&every), "{every}");
        let bound = format!("WAL-segment bound is {WAL_SEGMENTS_FLUSH_TRIGGER}");
        assert!(METHOD.contains(&bound), "{bound}");
    }
}
