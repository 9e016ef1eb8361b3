//! What a campaign reports at the end: counts, the failing seeds with their replay
//! commands, the faults exercised, and the coverage table (fault kind × protocol step,
//! counting the seeds in which each pair happened).

use super::child::SeedResult;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Failing seeds listed in full in the text summary; the JSON lists all.
const FAILING_LISTED_MAX: usize = 50;

/// Steps in the order the table shows them (others observed follow, sorted).
const STEP_ORDER: [&str; 15] = [
    "wal-write",
    "sst-upload",
    "between-upload-and-cas",
    "manifest-cas",
    "manifest-read",
    "wal-read",
    "sst-read",
    "sst-list",
    "sst-delete",
    "leadership-check",
    "gc-pass",
    "compaction",
    "idle",
    "other",
    "",
];

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
    /// Wall time of this invocation and the seeds it ran (resumed ones excluded).
    pub wall_time_s: f64,
    pub seeds_run: u64,
    pub seeds_per_minute: f64,
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

    /// The human-readable report.
    pub fn text(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "campaign {title}");
        let _ = writeln!(
            out,
            "{} seeds: {} passed, {} failed ({} timeouts); ran {} in {:.1} s wall ({:.1} seeds/min)",
            self.seeds,
            self.passed,
            self.failed,
            self.timeouts,
            self.seeds_run,
            self.wall_time_s,
            self.seeds_per_minute
        );
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
        let _ = writeln!(out, "faults exercised: {}", faults.join(", "));
        out.push_str(&self.coverage_table());
        out
    }

    /// Fault kinds as rows, protocol steps as columns, seeds that hit each pair as cells
    /// ("." for none).
    pub fn coverage_table(&self) -> String {
        let mut kinds = BTreeSet::new();
        let mut observed_steps = BTreeSet::new();
        for pair in self.coverage.keys() {
            if let Some((kind, step)) = pair.split_once(':') {
                kinds.insert(kind.to_string());
                observed_steps.insert(step.to_string());
            }
        }
        let mut steps: Vec<String> = STEP_ORDER
            .iter()
            .filter(|step| !step.is_empty())
            .map(|step| step.to_string())
            .collect();
        for step in observed_steps {
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "coverage (seeds in which the fault hit the step; . = never):"
        );
        let kind_width = kinds.iter().map(String::len).max().unwrap_or(4).max(5);
        let _ = write!(out, "{:kind_width$}", "fault");
        for step in &steps {
            let _ = write!(out, " {step:>width$}", width = step.len().max(4));
        }
        out.push('\n');
        for kind in &kinds {
            let _ = write!(out, "{kind:kind_width$}");
            for step in &steps {
                let width = step.len().max(4);
                match self.coverage.get(&format!("{kind}:{step}")) {
                    Some(seeds) => {
                        let _ = write!(out, " {seeds:>width$}");
                    }
                    None => {
                        let _ = write!(out, " {:>width$}", ".");
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}
