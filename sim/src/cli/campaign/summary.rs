//! What a campaign reports at the end: counts, the failing seeds with their replay
//! commands, the faults exercised, and the coverage table (fault kind × protocol step,
//! counting the seeds in which each pair happened).

use super::child::SeedResult;
use serde::Serialize;
use sim::wrap::write_wrapped;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Failing seeds listed in full in the text summary; the JSON lists all.
const FAILING_LISTED_MAX: usize = 50;

/// Steps in the order the table shows them (others observed follow, sorted), each with
/// the short name its column carries (so the table fits 120 columns; a legend follows it).
const STEPS: [(&str, &str); 14] = [
    ("wal-write", "wal-w"),
    ("sst-upload", "sst-up"),
    ("between-upload-and-cas", "up>cas"),
    ("manifest-cas", "cas"),
    ("manifest-read", "man-r"),
    ("wal-read", "wal-r"),
    ("sst-read", "sst-r"),
    ("sst-list", "list"),
    ("sst-delete", "del"),
    ("leadership-check", "lead"),
    ("gc-pass", "gc"),
    ("compaction", "comp"),
    ("idle", "idle"),
    ("other", "other"),
];
/// Width of a step's column.
const STEP_COLUMN_WIDTH: usize = 6;

#[derive(Clone, Debug, Serialize)]
pub struct FailingSeed {
    pub seed: u64,
    pub checks: Vec<String>,
    pub replay: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub seeds: u64,
    pub passed: u64,
    pub failed: u64,
    pub timeouts: u64,
    pub failing: Vec<FailingSeed>,
    /// Sum of the runs' `faults`.
    pub faults: BTreeMap<String, u64>,
    /// `fault:step` → seeds in which it happened.
    pub coverage: BTreeMap<String, u64>,
    /// Wall time of this invocation and the seeds it ran (resumed ones excluded); 0 for a
    /// merge.
    pub wall_time_s: f64,
    pub seeds_run: u64,
    pub seeds_per_minute: f64,
    /// For `campaign merge`: the files merged, and the selected seeds none of them held
    /// (with `--partial`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_files: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<u64>,
    /// Sum of the seeds' own wall times (what the campaign cost in machine time).
    pub seed_wall_time_s: f64,
}

impl Summary {
    pub fn new(results: &[SeedResult], wall_time_s: f64, seeds_run: u64) -> Summary {
        let mut summary = Summary {
            seeds: results.len() as u64,
            passed: 0,
            failed: 0,
            timeouts: 0,
            failing: Vec::new(),
            faults: BTreeMap::new(),
            coverage: BTreeMap::new(),
            wall_time_s,
            seeds_run,
            seeds_per_minute: if wall_time_s > 0.0 {
                seeds_run as f64 * 60.0 / wall_time_s
            } else {
                0.0
            },
            merged_files: None,
            missing: None,
            seed_wall_time_s: results.iter().map(|result| result.wall_time_s).sum(),
        };
        let mut sorted: Vec<&SeedResult> = results.iter().collect();
        sorted.sort_by_key(|result| result.seed);
        for result in sorted {
            if result.passed() {
                summary.passed += 1;
            } else {
                summary.failed += 1;
                if result.failures.iter().any(|f| f.check == "timeout") {
                    summary.timeouts += 1;
                }
                summary.failing.push(FailingSeed {
                    seed: result.seed,
                    checks: result.failures.iter().map(|f| f.check.clone()).collect(),
                    replay: result.replay.clone(),
                });
            }
            for (kind, count) in &result.faults {
                *summary.faults.entry(kind.clone()).or_insert(0) += count;
            }
            for (pair, count) in &result.coverage {
                if *count > 0 {
                    *summary.coverage.entry(pair.clone()).or_insert(0) += 1;
                }
            }
        }
        summary
    }

    /// The summary of shards' results (`campaign merge`).
    pub fn merged(results: &[SeedResult], files: usize, missing: u64) -> Summary {
        Summary {
            merged_files: Some(files as u64),
            missing: Some(missing),
            ..Summary::new(results, 0.0, 0)
        }
    }

    /// The human-readable report.
    pub fn text(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "campaign {title}");
        let counts = format!(
            "{} seeds: {} passed, {} failed ({} timeouts)",
            self.seeds, self.passed, self.failed, self.timeouts
        );
        match self.merged_files {
            None => {
                let _ = writeln!(
                    out,
                    "{counts}; ran {} in {:.1} s wall ({:.1} seeds/min)",
                    self.seeds_run, self.wall_time_s, self.seeds_per_minute
                );
            }
            Some(files) => {
                let _ = writeln!(
                    out,
                    "{counts}; merged from {files} files ({:.1} s of seed wall time)",
                    self.seed_wall_time_s
                );
                if let Some(missing) = self.missing.filter(|missing| *missing > 0) {
                    let _ = writeln!(out, "MISSING {missing} seeds (merged with --partial)");
                }
            }
        }
        for failing in self.failing.iter().take(FAILING_LISTED_MAX) {
            let _ = writeln!(
                out,
                "FAILED seed {} [{}]\n  replay: {}",
                failing.seed,
                failing.checks.join(", "),
                failing.replay
            );
        }
        if self.failing.len() > FAILING_LISTED_MAX {
            let _ = writeln!(
                out,
                "... and {} more failing seeds (see --out / --json)",
                self.failing.len() - FAILING_LISTED_MAX
            );
        }
        let faults: Vec<String> = self
            .faults
            .iter()
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        write_wrapped(&mut out, "faults exercised:", &faults);
        out.push_str(&self.coverage_table());
        out
    }

    /// Fault kinds as rows, protocol steps as columns (short names, then a legend), seeds
    /// that hit each pair as cells ("." for none); then the windows reached, a line each.
    pub fn coverage_table(&self) -> String {
        let (faults, windows) = self.split_coverage();
        let kinds: BTreeSet<String> = faults.keys().map(|(kind, _)| kind.clone()).collect();
        // Every fault cell is at a protocol step (`split_coverage`): the columns are fixed.
        let steps: Vec<(String, String)> = STEPS
            .iter()
            .map(|(step, short)| (step.to_string(), short.to_string()))
            .collect();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "coverage (seeds in which the fault hit the step; . = never):"
        );
        let kind_width = kinds.iter().map(String::len).max().unwrap_or(4).max(5);
        let _ = write!(out, "{:kind_width$}", "fault");
        for (_, short) in &steps {
            let _ = write!(out, " {short:>STEP_COLUMN_WIDTH$}");
        }
        out.push('\n');
        for kind in &kinds {
            let _ = write!(out, "{kind:kind_width$}");
            for (step, _) in &steps {
                match faults.get(&(kind.clone(), step.clone())) {
                    Some(seeds) => {
                        let _ = write!(out, " {seeds:>STEP_COLUMN_WIDTH$}");
                    }
                    None => {
                        let _ = write!(out, " {:>STEP_COLUMN_WIDTH$}", ".");
                    }
                }
            }
            out.push('\n');
        }
        let legend: Vec<String> = steps
            .iter()
            .filter(|(step, short)| step != short)
            .map(|(step, short)| format!("{short} = {step}"))
            .collect();
        write_wrapped(&mut out, "steps:", &legend);
        out.push_str(&windows_table(&windows));
        out
    }

    /// The coverage pairs split into faults × protocol steps, and the windows the world
    /// reached: a kind with any stage that is not a protocol step (`zombie-writer: flush`,
    /// `long-pause-writer: checkpoint`) is a window, listed by its stages.
    fn split_coverage(&self) -> (CoverageCells, CoverageCells) {
        let is_step = |step: &str| STEPS.iter().any(|(known, _)| *known == step);
        let mut window_kinds = BTreeSet::new();
        for pair in self.coverage.keys() {
            if let Some((kind, step)) = pair.split_once(':')
                && !is_step(step)
            {
                window_kinds.insert(kind);
            }
        }
        let mut faults = CoverageCells::new();
        let mut windows = CoverageCells::new();
        for (pair, seeds) in &self.coverage {
            if let Some((kind, step)) = pair.split_once(':') {
                let cell = (kind.to_string(), step.to_string());
                if window_kinds.contains(kind) {
                    windows.insert(cell, *seeds);
                } else {
                    faults.insert(cell, *seeds);
                }
            }
        }
        (faults, windows)
    }
}

/// (kind, step) → seeds.
type CoverageCells = BTreeMap<(String, String), u64>;

/// One line per window kind: the seeds that reached each of its stages.
fn windows_table(windows: &CoverageCells) -> String {
    if windows.is_empty() {
        return String::new();
    }
    let mut out = String::from("windows reached (seeds):\n");
    let mut by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ((kind, step), seeds) in windows {
        by_kind
            .entry(kind)
            .or_default()
            .push(format!("{step} {seeds}"));
    }
    for (kind, stages) in by_kind {
        write_wrapped(&mut out, &format!("  {kind}:"), &stages);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::campaign::child::SeedResult;

    fn passing_seed(coverage: BTreeMap<String, u64>) -> SeedResult {
        SeedResult {
            seed: 1,
            verdict: "pass".to_string(),
            failures: Vec::new(),
            replay: String::new(),
            wall_time_s: 1.0,
            sim_time_s: 1.0,
            digest: String::new(),
            faults: BTreeMap::new(),
            coverage,
        }
    }

    #[test]
    fn windows_reached_get_their_own_lines_not_columns_of_the_fault_table() {
        let coverage = BTreeMap::from([
            ("crash:wal-write".to_string(), 3),
            ("zombie-writer:after-flush".to_string(), 7),
            ("zombie-writer:compaction".to_string(), 5),
        ]);
        let result = passing_seed(coverage);
        let table = Summary::new(&[result], 1.0, 1).coverage_table();
        assert!(table.contains("windows reached (seeds):"), "{table}");
        assert!(
            table.contains("  zombie-writer: after-flush 1, compaction 1"),
            "{table}"
        );
        let header = table.lines().nth(1).unwrap();
        assert!(!header.contains("after"), "{table}");
        assert!(
            !table.lines().any(|line| line.starts_with("zombie-writer ")),
            "{table}"
        );
    }

    #[test]
    fn the_coverage_table_fits_120_columns_with_every_kind_and_step() {
        let kinds = [
            "crash",
            "pause",
            "clock_jump",
            "latency_spike",
            "slow_down",
            "transient_500",
            "transient_503",
            "unknown_applied",
            "unknown_not_applied",
            "conflict_409",
        ];
        let mut coverage = BTreeMap::new();
        for kind in kinds {
            for (step, _) in STEPS {
                coverage.insert(format!("{kind}:{step}"), 12_345);
            }
        }
        let result = passing_seed(coverage);
        let table = Summary::new(&[result], 1.0, 1).coverage_table();
        for line in table.lines() {
            assert!(line.len() <= 120, "{} columns: {line}", line.len());
        }
        let legend_lines = table.lines().count() - (1 + 1 + kinds.len());
        assert!((1..=3).contains(&legend_lines), "{table}");
        assert!(table.contains("up>cas = between-upload-and-cas"), "{table}");
    }
}
