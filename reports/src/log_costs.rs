//! Log compaction's scan vs lookup: what learning liveness costs per compaction, against
//! the log's length and the live fraction of the compacted records.
//!
//! Each point is one simulated run (no faults, embedded topology, `wal` durability,
//! uniform overwrites, compaction every second of simulated time) with the log style; the
//! figures are the run's per-compaction means from its `lsm.log_compaction` summary. Scan
//! fetches every newer segment whole and decodes all its records; lookup fetches each newer
//! segment's footer, filter and index by range, then only the data blocks its bloom-passing
//! probes need. Both read the candidate segments whole; that part is the same for both and
//! is reported apart. Log length is varied through `compaction_max_segments`; the live
//! fraction (records copied ÷ records judged) is measured, moved by the key space.

use crate::charts::{ChartError, Line, line_chart, style_color};
use crate::matrix::{SEED, Scale};
use crate::pool;
use serde::Serialize;
use sim::world::{
    FaultLevel, LogCompaction, Overrides, Topology, WorldConfig, WorldStyle, parse_durability,
    set_workload, world_preset,
};
use std::cmp::Reverse;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const STRATEGIES: [LogCompaction; 2] = [LogCompaction::Scan, LogCompaction::Lookup];
/// `compaction_max_segments` of the log-length sweep.
const MAX_SEGMENTS: [usize; 4] = [2, 4, 8, 16];
/// Key spaces of the live-fraction sweep, as multiples of the scale's (in eighths).
const KEY_SPACE_EIGHTHS: [u64; 4] = [1, 4, 16, 64];
/// `compaction_max_segments` of the live-fraction sweep.
const LIVE_SWEEP_SEGMENTS: usize = 8;
const COMPACTION_PERIOD_MS: u64 = 1_000;

/// One run: strategy, sweep name, segments compacted at most, key space.
type Spec = (LogCompaction, &'static str, usize, u64);

/// One run's per-compaction costs.
#[derive(Clone, Debug, Serialize)]
pub struct LogCostPoint {
    pub strategy: &'static str,
    pub sweep: &'static str,
    pub max_segments: usize,
    pub key_space: u64,
    pub verdict: String,
    pub compactions: u64,
    /// Mean segments in the log when a compaction ran (candidates plus newer ones).
    pub log_segments_mean: f64,
    pub live_fraction: f64,
    pub liveness_bytes_per_compaction: f64,
    pub liveness_requests_per_compaction: f64,
    pub liveness_records_examined_per_compaction: f64,
    pub candidate_bytes_per_compaction: f64,
    pub records_copied_per_compaction: f64,
}

/// Runs `measure` makes (for a progress bar).
pub fn runs() -> usize {
    STRATEGIES.len() * (MAX_SEGMENTS.len() + KEY_SPACE_EIGHTHS.len())
}

/// Runs both sweeps for both strategies on up to `jobs` threads; `done` is called after each
/// run.
pub fn measure(
    scale: Scale,
    jobs: usize,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<LogCostPoint>, String> {
    let mut specs: Vec<Spec> = Vec::new();
    for strategy in STRATEGIES {
        for max_segments in MAX_SEGMENTS {
            specs.push((strategy, "length", max_segments, scale.key_space));
        }
        for eighths in KEY_SPACE_EIGHTHS {
            let key_space = (scale.key_space * eighths / 8).max(16);
            specs.push((strategy, "live", LIVE_SWEEP_SEGMENTS, key_space));
        }
    }
    assert_eq!(specs.len(), runs());
    let order = costliest_first(&specs);
    pool::run_in_order(
        &specs,
        &order,
        jobs,
        done,
        |(strategy, sweep, max_segments, key_space)| {
            run(*strategy, sweep, *max_segments, *key_space, scale)
        },
    )
}

/// The specs' indices, the costliest first, so that on `--jobs` threads the longest run
/// does not start last and alone: a run's time grows with its key space, lookup's
/// liveness probes cost more than scan's, and more segments mean more to compact.
fn costliest_first(specs: &[Spec]) -> Vec<usize> {
    pool::order_by(specs, |&(strategy, _, max_segments, key_space)| {
        (
            Reverse(key_space),
            strategy != LogCompaction::Lookup,
            Reverse(max_segments),
        )
    })
}

fn run(
    strategy: LogCompaction,
    sweep: &'static str,
    max_segments: usize,
    key_space: u64,
    scale: Scale,
) -> Result<LogCostPoint, String> {
    let overrides = Overrides {
        ops: Some(scale.ops),
        clients: Some(scale.clients),
        style: Some(WorldStyle::Log(strategy)),
        log_compaction: Some(strategy),
        faults: Some(FaultLevel::None),
        topology: Some(Topology::Embedded),
        durability: parse_durability("wal"),
        ..Overrides::default()
    };
    let mut config = WorldConfig::draw(SEED, &overrides);
    config.writer.memtable_size_bytes = scale.memtable_size_bytes;
    config.writer.commit_entries_max = 16;
    config.writer.commit_window_ms = 2;
    config.clients.think_ms_mean = 20;
    config.clients.op_timeout_ms = 10_000;
    config.clients.key_space = key_space;
    config.lsm.log_max_segments = max_segments;
    config.lsm.log_compaction_frequency_ms = COMPACTION_PERIOD_MS;
    if let Some(spec) = world_preset("uniform-overwrite", key_space, scale.ops) {
        set_workload(&mut config.clients, spec);
    }
    let label = format!(
        "log {} max {max_segments} keys {key_space}",
        strategy.name()
    );
    let report = sim::world::run(config, None, format!("reports ({label})"))
        .map_err(|error| format!("{label}: {error}"))?;
    let Some(summary) = report.lsm.log_compaction else {
        return Err(format!("{label}: no log compaction summary"));
    };
    let totals = summary.totals;
    let per = |value: u64| value as f64 / summary.compactions.max(1) as f64;
    Ok(LogCostPoint {
        strategy: strategy.name(),
        sweep,
        max_segments,
        key_space,
        verdict: report.verdict,
        compactions: summary.compactions,
        log_segments_mean: per(totals.candidate_segments + totals.newer_segments),
        live_fraction: summary.live_fraction,
        liveness_bytes_per_compaction: per(totals.liveness_bytes_read),
        liveness_requests_per_compaction: per(totals.liveness_requests),
        liveness_records_examined_per_compaction: per(totals.liveness_records_examined),
        candidate_bytes_per_compaction: per(totals.candidate_bytes_read),
        records_copied_per_compaction: per(totals.records_copied),
    })
}

/// The two charts: liveness KiB per compaction against log length, and against the live
/// fraction; one line per strategy.
pub fn draw(dir: &Path, points: &[LogCostPoint]) -> Result<Vec<PathBuf>, ChartError> {
    let mut written = Vec::new();
    for (sweep, file, x_name, x_of) in [
        (
            "length",
            "log-cost-vs-length",
            "segments in the log at compaction (mean)",
            (|point: &LogCostPoint| point.log_segments_mean) as fn(&LogCostPoint) -> f64,
        ),
        (
            "live",
            "log-cost-vs-live-fraction",
            "live fraction of the compacted records",
            |point: &LogCostPoint| point.live_fraction,
        ),
    ] {
        let lines: Vec<Line> = STRATEGIES
            .iter()
            .enumerate()
            .map(|(index, strategy)| {
                let mut xy: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|point| point.sweep == sweep && point.strategy == strategy.name())
                    .map(|point| (x_of(point), point.liveness_bytes_per_compaction / 1024.0))
                    .collect();
                xy.sort_by(|a, b| a.0.total_cmp(&b.0));
                Line {
                    label: strategy.name().to_string(),
                    color: style_color(index),
                    points: xy,
                }
            })
            .collect();
        let path = dir.join(format!("{file}.svg"));
        line_chart(
            &path,
            "Log compaction: liveness bytes fetched per compaction",
            x_name,
            "KiB fetched per compaction",
            &lines,
        )?;
        written.push(path);
    }
    Ok(written)
}

/// The report's section: what was measured, how, and the table of points.
pub fn markdown(points: &[LogCostPoint]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Log compaction: scan vs lookup\n");
    let _ = writeln!(
        out,
        "Each row is one run of the log style (no faults, embedded, `wal`, uniform \
         overwrites, compaction every {COMPACTION_PERIOD_MS} ms of simulated time), seed \
         {SEED}. Per compaction: liveness = what learning which candidate records are still \
         the newest of their key cost. Scan fetches every newer segment whole and decodes \
         all of its records (its temporary index holds the candidate keys); lookup fetches \
         each newer segment's footer, then its filter and index, then only the data blocks \
         its bloom-passing probes need, each by byte range. Both read the candidate \
         segments whole (the candidate column). Bytes are bytes fetched from the simulated \
         store; records are entries decoded. Copied records keep their sequence numbers, so \
         the new segment sits at the old end of the log and its records are re-read by the \
         next compaction (Garnet copies to the tail, once per lap of the log): the \
         candidate costs are higher than Garnet's, equally for both strategies.\n"
    );
    let _ = writeln!(
        out,
        "| strategy | sweep | max segments | key space | verdict | compactions | log segments | live fraction | liveness KiB | liveness requests | liveness records | candidate KiB | copied records |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for point in points {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            point.strategy,
            point.sweep,
            point.max_segments,
            point.key_space,
            point.verdict,
            point.compactions,
            point.log_segments_mean,
            point.live_fraction,
            point.liveness_bytes_per_compaction / 1024.0,
            point.liveness_requests_per_compaction,
            point.liveness_records_examined_per_compaction,
            point.candidate_bytes_per_compaction / 1024.0,
            point.records_copied_per_compaction
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{LogCompaction, Spec, costliest_first};

    #[test]
    fn the_largest_key_space_starts_first_lookup_before_scan() {
        let specs: Vec<Spec> = vec![
            (LogCompaction::Scan, "length", 2, 8_192),
            (LogCompaction::Scan, "live", 8, 65_536),
            (LogCompaction::Lookup, "length", 16, 8_192),
            (LogCompaction::Lookup, "live", 8, 65_536),
            (LogCompaction::Lookup, "length", 2, 8_192),
        ];
        assert_eq!(costliest_first(&specs), vec![3, 1, 2, 4, 0]);
    }
}
