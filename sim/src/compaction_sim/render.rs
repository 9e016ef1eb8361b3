//! The report for people.

use super::{CompactionSimReport, LevelShape};
use std::fmt::Write;

/// A few lines: the run, the tree's shape over time, the final shape and the figures.
pub fn render_human(report: &CompactionSimReport) -> String {
    let mut out = String::new();
    let style = serde_json::to_value(report.style)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let workload = serde_json::to_value(report.workload)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "compaction-sim: style {style}, workload {workload}, seed {}",
        report.seed
    );
    let _ = writeln!(
        out,
        "  {} puts over {} keys ({}-byte keys, {}-byte values), {} flushes",
        report.puts, report.keys, report.key_bytes, report.value_bytes, report.flushes
    );
    let _ = writeln!(out, "tree shape (after flush n and its compactions):");
    for sample in &report.shape {
        let _ = writeln!(
            out,
            "  flush {:>5}  runs {:>3}  {}",
            sample.flush,
            sample.sorted_runs,
            shape_line(&sample.levels)
        );
    }
    let _ = writeln!(out, "final shape: {}", shape_line(&report.final_shape));
    let _ = writeln!(
        out,
        "compactions: {} merges, {} trivial moves, {} deletions (at most {} after one flush)",
        report.compactions,
        report.trivial_moves,
        report.deletions,
        report.max_compactions_per_flush
    );
    for (reason, totals) in &report.by_reason {
        let _ = writeln!(
            out,
            "  {reason:<28} {:>6} jobs  read {}  written {}  moved {} files  deleted {} files",
            totals.jobs,
            mib(totals.input_bytes),
            mib(totals.output_bytes),
            totals.moved_files,
            totals.deleted_files
        );
    }
    let _ = writeln!(
        out,
        "bytes: user {}  flushed {}  compaction written {}  read {}",
        mib(report.user_bytes),
        mib(report.flush_bytes),
        mib(report.compaction_bytes_written),
        mib(report.compaction_bytes_read)
    );
    let _ = writeln!(
        out,
        "write amplification  {:.3}   ((flush + compaction bytes) / user bytes; {:.3} / flush bytes)",
        report.write_amplification, report.write_amplification_vs_flush
    );
    let _ = writeln!(
        out,
        "space amplification  {:.3}   (SST bytes {} / live bytes {} of {} keys)",
        report.space_amplification,
        mib(report.sst_bytes),
        mib(report.live_logical_bytes),
        report.live_keys
    );
    let _ = writeln!(
        out,
        "sorted runs          max {}  final {}",
        report.sorted_runs_max, report.sorted_runs_final
    );
    out
}

fn shape_line(levels: &[LevelShape]) -> String {
    let parts: Vec<String> = levels
        .iter()
        .filter(|level| level.files > 0)
        .map(|level| format!("L{} {}×{}", level.level, level.files, mib(level.size_bytes)))
        .collect();
    if parts.is_empty() {
        "empty".to_string()
    } else {
        parts.join(" | ")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}
