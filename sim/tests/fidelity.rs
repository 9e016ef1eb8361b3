//! compaction-sim against real RocksDB: the committed reference
//! (`sim/testdata/rocksdb_reference.json`, written by `tools/rocksdb_reference.py` from
//! RocksDB through `rocksdict`, on the same streams and options) holds the simulator to
//! RocksDB's figures. Quiesced: both write amplifications and the time-averaged space
//! amplification within ±10%, the most sorted runs within ±1. Concurrent: compaction-sim
//! replays each RocksDB run at that run's writer, merge and flush rates and table-deletion time,
//! and the median of the replays must lie inside the band of RocksDB's runs widened by 10%.
//! A row outside prints both sides' per-level bytes.
#![allow(clippy::unwrap_used)]

use sim::compaction_sim::fidelity::{Reference, RocksdbRun, median};
use sim::compaction_sim::{CompactionSimReport, SimSchedule, run};
use std::fmt::Write as _;

/// Quiesced: relative error allowed on write and space amplification.
const QUIESCED_TOLERANCE: f64 = 0.10;
/// Quiesced: sorted runs allowed off by this many.
const SORTED_RUNS_TOLERANCE: f64 = 1.0;
/// Concurrent: the reference band is widened by this share on each side.
const BAND_WIDENING: f64 = 0.10;

/// Figures known to fall outside their tolerance, with the cause found: (row, schedule,
/// figure, cause). The tolerance still applies — each must still be outside, so a fix shows
/// up here as a failure asking for its entry to go. None is open now.
const KNOWN_OPEN: &[(&str, &str, &str, &str)] = &[];

/// Splits the rows outside their tolerance into unexpected failures and known open items
/// (printed); a known item now inside is a failure too.
fn judge(
    schedule: &str,
    outside: Vec<(String, String, String)>,
    checked: &[(String, String)],
) -> String {
    let mut failures = String::new();
    for (row, figure, detail) in &outside {
        match KNOWN_OPEN
            .iter()
            .find(|(r, s, f, _)| r == row && *s == schedule && f == figure)
        {
            Some((_, _, _, cause)) => println!("known open: {row} {schedule} {figure}: {cause}"),
            None => {
                let _ = writeln!(failures, "{row} ({schedule}): {figure}: {detail}");
            }
        }
    }
    for (row, s, figure, _) in KNOWN_OPEN.iter().filter(|(_, s, _, _)| *s == schedule) {
        let was_checked = checked.iter().any(|(r, f)| r == row && f == figure);
        let still_outside = outside.iter().any(|(r, f, _)| r == row && f == figure);
        if was_checked && !still_outside {
            let _ = writeln!(
                failures,
                "{row} ({s}): {figure} is inside its tolerance now: remove it from KNOWN_OPEN"
            );
        }
    }
    failures
}

fn reference_figures(run: &RocksdbRun) -> [f64; 4] {
    [
        run.write_amplification,
        run.write_amplification_vs_flush,
        run.space_amplification_mean,
        run.sorted_runs_max as f64,
    ]
}

/// Both sides' bytes written into each level, for a failing row.
fn level_table(sim: &CompactionSimReport, rocksdb: &[&RocksdbRun]) -> String {
    let mut out = String::from("    level   sediment MB   rocksdb MB\n");
    for (level, bytes) in sim.level_bytes_written.iter().enumerate() {
        let theirs: Vec<String> = rocksdb
            .iter()
            .map(|run| {
                let bytes = run.level_bytes_written.get(level).copied().unwrap_or(0);
                let mb = bytes as f64 / 1e6;
                format!("{mb:.1}")
            })
            .collect();
        let _ = writeln!(
            out,
            "    L{level}      {:>9.1}    {}",
            *bytes as f64 / 1e6,
            theirs.join(" / ")
        );
    }
    out
}

fn sim_figures(report: &CompactionSimReport) -> [(&'static str, f64); 4] {
    [
        ("write_amplification", report.write_amplification),
        (
            "write_amplification_vs_flush",
            report.write_amplification_vs_flush,
        ),
        ("space_amplification_mean", report.space_amplification_mean),
        ("sorted_runs_max", report.sorted_runs_max as f64),
    ]
}

#[test]
fn quiesced_schedule_matches_rocksdb() {
    let reference = Reference::committed().unwrap();
    let mut outside = Vec::new();
    let mut checked = Vec::new();
    let mut tables = String::new();
    for row in &reference.rows {
        let name = &row.name;
        let report = run(&reference.args(row, SimSchedule::Quiesced)).unwrap();
        let theirs = reference_figures(&row.quiesced);
        let mut bad = Vec::new();
        for ((figure, ours), expected) in sim_figures(&report).into_iter().zip(theirs) {
            let ok = if figure == "sorted_runs_max" {
                (ours - expected).abs() <= SORTED_RUNS_TOLERANCE
            } else {
                (ours / expected - 1.0).abs() <= QUIESCED_TOLERANCE
            };
            println!(
                "{name:<28} quiesced {figure:<30} sediment {ours:>7.3} rocksdb {expected:>7.3} error {:>+6.1}%",
                (ours / expected - 1.0) * 100.0
            );
            checked.push((name.clone(), figure.to_string()));
            if !ok {
                let detail = format!("sediment {ours:.3}, rocksdb {expected:.3}");
                bad.push(format!("{figure}: {detail}"));
                outside.push((name.clone(), figure.to_string(), detail));
            }
        }
        if !bad.is_empty() {
            let _ = writeln!(
                tables,
                "{name} (quiesced): {}\n{}",
                bad.join("; "),
                level_table(&report, &[&row.quiesced])
            );
        }
    }
    let failures = judge("quiesced", outside, &checked);
    assert!(
        failures.is_empty(),
        "rows outside the tolerance:\n{failures}\n{tables}"
    );
}

#[test]
fn concurrent_schedule_falls_in_the_rocksdb_band() {
    let reference = Reference::committed().unwrap();
    let mut outside = Vec::new();
    let mut checked = Vec::new();
    let mut tables = String::new();
    for row in &reference.rows {
        let name = &row.name;
        assert!(
            row.concurrent.len() >= 3,
            "{name}: the band needs at least 3 runs"
        );
        let replays = reference.replay(row).unwrap();
        assert_eq!(replays.len(), row.concurrent.len());
        let runs: Vec<&RocksdbRun> = row.concurrent.iter().collect();
        let mut bad = Vec::new();
        for index in 0..4 {
            let figure = sim_figures(&replays[0])[index].0;
            let ours: Vec<f64> = replays.iter().map(|r| sim_figures(r)[index].1).collect();
            let theirs: Vec<f64> = runs
                .iter()
                .map(|run| reference_figures(run)[index])
                .collect();
            let median_ours = median(ours.iter().copied());
            let low = theirs.iter().copied().fold(f64::INFINITY, f64::min);
            let high = theirs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (low, high) = (low * (1.0 - BAND_WIDENING), high * (1.0 + BAND_WIDENING));
            let (low, high) = if figure == "sorted_runs_max" {
                (low.floor(), high.ceil())
            } else {
                (low, high)
            };
            println!(
                "{name:<28} concurrent {figure:<30} sediment {median_ours:>7.3} (replays {}) band {low:>7.3}..{high:<7.3} (rocksdb {})",
                join(&ours),
                join(&theirs)
            );
            checked.push((name.clone(), figure.to_string()));
            if !(low..=high).contains(&median_ours) {
                let detail = format!("sediment median {median_ours:.3}, band {low:.3}..{high:.3}");
                bad.push(format!("{figure}: {detail}"));
                outside.push((name.clone(), figure.to_string(), detail));
            }
        }
        println!(
            "{name:<28} concurrent stall_time_s sediment {} rocksdb {}",
            join(&replays.iter().map(|r| r.stall_time_s).collect::<Vec<_>>()),
            join(&runs.iter().map(|run| run.stall_time_s).collect::<Vec<_>>())
        );
        if !bad.is_empty() {
            let _ = writeln!(
                tables,
                "{name} (concurrent, first replay against every run): {}\n{}",
                bad.join("; "),
                level_table(&replays[0], &runs)
            );
        }
    }
    let failures = judge("concurrent", outside, &checked);
    assert!(
        failures.is_empty(),
        "rows outside the band:\n{failures}\n{tables}"
    );
}

fn join(values: &[f64]) -> String {
    let shown: Vec<String> = values.iter().map(|value| format!("{value:.2}")).collect();
    shown.join(" ")
}
