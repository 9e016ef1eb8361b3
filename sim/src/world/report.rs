//! What a run reports: the `--json` object of DESIGN.md's CLI contract, and the human
//! summary printed by default.

use super::config::WorldConfig;
use super::outcome::{Amplification, Failure};
use crate::wrap::write_wrapped;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpsSummary {
    pub total: u64,
    pub ok: u64,
    pub failed: u64,
    pub indeterminate: u64,
    /// Failed because the host asked was not (or no longer) the writer.
    pub not_leader: u64,
    /// Reads of every key after the faults stopped (not in `total`).
    pub final_reads: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProcessSummary {
    pub crashes: u64,
    pub restarts: u64,
    pub pauses: u64,
    pub resumes: u64,
    pub failovers: u64,
    pub writer_opens: u64,
    pub writer_open_failures: u64,
    pub writers_fenced: u64,
    pub writers_poisoned: u64,
}

/// What the LSM protocols did: compactions, fencing, checkpoints, deletion, stalls.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LsmSummary {
    pub topology: String,
    pub durability: String,
    /// Compactions installed (by the writer's embedded compactor or a standalone one).
    pub compactions_installed: u64,
    /// Installs refused because an input was no longer live (their outputs are deleted).
    pub installs_rejected_stale: u64,
    /// Installs refused by fencing (a newer compactor epoch).
    pub installs_rejected_fenced: u64,
    pub compactor_opens: u64,
    pub compactors_fenced: u64,
    /// The most jobs a standalone compactor ran at once (its limit is drawn, 1 to 3).
    pub compactor_jobs_at_once_max: u64,
    pub checkpoints_taken: u64,
    pub checkpoints_verified: u64,
    pub checkpoints_expired: u64,
    pub recoveries_checked: u64,
    /// Tables put on the pending list (deletion deferred) and deleted from it by GC.
    pub deletions_deferred: u64,
    pub deletions_done: u64,
    /// Inputs deleted at install under `--force-delete`.
    pub deletions_forced: u64,
    pub orphans_collected: u64,
    pub gc_passes: u64,
    pub stall_time_ms: u64,
    /// How the tree came to rest after the faults (C4).
    pub rest: String,
    /// Log style with scan or lookup: what liveness and copying cost (`log_style.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_compaction: Option<super::log_style::LogCostSummary>,
    /// Remote compaction's outcomes (topology `remote` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteSummary>,
}

/// What remote compaction did, summed over every primary incarnation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RemoteSummary {
    pub workers: usize,
    /// Dispatches sent (reschedules included).
    pub jobs_scheduled: u64,
    pub jobs_rescheduled: u64,
    /// Results validated and installed.
    pub jobs_succeeded: u64,
    /// Worker-reported failures, and copies or installs that failed.
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
    pub fell_back_local: u64,
    pub rejected_stale: u64,
    /// Outputs missing, truncated or corrupt (caught by size, checksum and entry counts).
    pub rejected_corrupt: u64,
    pub duplicates_ignored: u64,
    /// Results after their job's timeout: installed (first to install wins) or rejected.
    pub late_results: u64,
    pub late_installed: u64,
    pub late_rejected: u64,
    /// Results of a fenced primary's jobs, reaching its successor.
    pub foreign_results: u64,
    /// Installed merges with no output (every entry dropped).
    pub empty_outputs: u64,
    /// Moves and deletions, done locally (they read and write nothing).
    pub local_trivial: u64,
    pub outputs_damaged_by_fault: u64,
    pub results_resent: u64,
    pub tmp_deleted_by_primary: u64,
    pub tmp_collected_by_gc: u64,
    /// From a result's arrival to its install, simulated ms.
    pub install_latency_ms_p50: u64,
    pub install_latency_ms_p99: u64,
    /// From a plan's first dispatch to its install, simulated ms.
    pub job_latency_ms_p50: u64,
    pub job_latency_ms_p99: u64,
}

/// Everything one run reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    pub seed: u64,
    /// "pass" or "fail".
    pub verdict: String,
    pub failures: Vec<Failure>,
    pub digest: String,
    pub config: WorldConfig,
    pub sim_time_s: f64,
    pub wall_time_s: f64,
    pub ops: OpsSummary,
    /// Store faults by kind, and clock jumps.
    pub faults: BTreeMap<String, u64>,
    pub crashes: u64,
    pub processes: ProcessSummary,
    pub compactions: u64,
    pub lsm: LsmSummary,
    pub flushes: u64,
    pub manifest_versions: u64,
    pub amplification: Amplification,
    /// One boolean per check that ran.
    pub checks: BTreeMap<String, bool>,
    /// The checks this run's configuration does not call for, with the reason.
    pub checks_skipped: BTreeMap<String, String>,
    /// C1's explanation (the `sim lincheck --html` section of the run's own history) when
    /// C1 failed; written by `sim --seed N --html FILE`, not part of `--json`.
    #[serde(skip)]
    pub c1_explanation: Option<crate::lincheck::html::HtmlSection>,
    /// `fault:step` → count: which faults hit which protocol steps (campaign coverage).
    pub coverage: BTreeMap<String, u64>,
    pub trace_events: u64,
    /// The command that replays this run.
    pub replay: String,
    /// C5's figures and targets (`None`: not run).
    pub c5: Option<super::amplification_targets::C5Report>,
    /// Requests, bytes moved and dollars, by role (`crate::cost`); `None` only before the
    /// run has assembled it.
    pub cost: Option<crate::cost::CostReport>,
    /// The timeline and distributions behind the reports' charts; left out of `--json`
    /// unless `--series` asks for it (it runs to thousands of samples, and campaigns parse
    /// one JSON line per seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<super::timeline::RunSeries>,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The default, human-readable summary: lines of at most [`SUMMARY_COLUMNS`] columns
    /// (a key, a file path or a failure's detail may run longer). `verbose` adds the whole
    /// configuration as JSON.
    pub fn summary(&self, verbose: bool) -> String {
        let mut out = String::new();
        self.write_run(&mut out, verbose);
        self.write_protocols(&mut out);
        self.write_verdict(&mut out);
        out
    }

    /// Seed, the world's shape, time, operations, faults and processes.
    fn write_run(&self, out: &mut String, verbose: bool) {
        let _ = writeln!(out, "seed {}  verdict {}", self.seed, self.verdict);
        let _ = writeln!(out, "{}", world_line(&self.config));
        if verbose {
            let config = serde_json::to_string(&self.config).expect("a config serializes");
            let _ = writeln!(out, "config {config}");
        }
        let _ = writeln!(
            out,
            "time: {:.1} s simulated in {:.3} s wall ({:.0}x)",
            self.sim_time_s,
            self.wall_time_s,
            self.sim_time_s / self.wall_time_s.max(1e-9)
        );
        let ops = &self.ops;
        let _ = writeln!(
            out,
            "ops: {} total, {} ok, {} failed ({} not leader), {} indeterminate; {} final reads",
            ops.total, ops.ok, ops.failed, ops.not_leader, ops.indeterminate, ops.final_reads
        );
        let faults: Vec<String> = self
            .faults
            .iter()
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        write_wrapped(out, "faults:", &faults);
        let p = &self.processes;
        let processes = [
            format!("{} crashes", p.crashes),
            format!("{} restarts", p.restarts),
            format!("{} pauses", p.pauses),
            format!("{} failovers", p.failovers),
            format!(
                "{} writer opens ({} failed)",
                p.writer_opens, p.writer_open_failures
            ),
            format!("{} fenced", p.writers_fenced),
            format!("{} poisoned", p.writers_poisoned),
        ];
        write_wrapped(out, "processes:", &processes);
    }

    /// Flushes, compactions, amplification, the protocols' counts and remote compaction.
    fn write_protocols(&self, out: &mut String) {
        let lsm = [
            format!("{} flushes", self.flushes),
            format!("{} compactions", self.compactions),
            format!("{} manifest versions", self.manifest_versions),
        ];
        write_wrapped(out, "lsm:", &lsm);
        write_wrapped(out, "amplification:", &self.amplification_items());
        let l = &self.lsm;
        let protocols = [
            format!("{} topology", l.topology),
            format!("{} durability", l.durability),
            format!("{} compactions installed", l.compactions_installed),
            format!("{} rejected stale", l.installs_rejected_stale),
            format!("{} fenced", l.installs_rejected_fenced),
            format!(
                "{} checkpoints ({} verified, {} expired)",
                l.checkpoints_taken, l.checkpoints_verified, l.checkpoints_expired
            ),
            format!(
                "deletions {} deferred, {} done, {} forced",
                l.deletions_deferred, l.deletions_done, l.deletions_forced
            ),
            format!("{} orphans collected", l.orphans_collected),
            format!("stalled {} ms", l.stall_time_ms),
        ];
        write_wrapped(out, "protocols:", &protocols);
        if let Some(cost) = &self.cost {
            write_wrapped(out, "cost:", &cost.estimate.items());
        }
        if let Some(r) = &self.lsm.remote {
            write_wrapped(out, "remote:", &remote_items(r));
        }
    }

    /// Each figure, or n/a where its denominator is zero (no user bytes, no flush, nothing
    /// live at the end: a drain that deleted every key).
    fn amplification_items(&self) -> Vec<String> {
        let a = &self.amplification;
        let figure = |value: f64, defined: bool| {
            if defined {
                format!("{value:.2}")
            } else {
                "n/a".to_string()
            }
        };
        let live = a.live_logical_bytes > 0;
        vec![
            format!(
                "write {} (rocksdb {})",
                figure(a.write, a.user_bytes > 0),
                figure(a.write_rocksdb, self.flushes > 0)
            ),
            format!(
                "space {} (physical {})",
                figure(a.space, live),
                figure(a.space_physical, live)
            ),
            format!(
                "read {:.2} blocks mean, p99 {}, {:.2} sorted runs",
                a.read_blocks_mean, a.read_blocks_p99, a.read_sorted_runs_mean
            ),
        ]
    }

    /// Each check's outcome, the failures, the digest and, after a failure, the replay.
    fn write_verdict(&self, out: &mut String) {
        let checks: Vec<String> = self
            .checks
            .iter()
            .map(|(name, ok)| format!("{name} {}", if *ok { "ok" } else { "FAILED" }))
            .collect();
        write_wrapped(out, "checks:", &checks);
        let skipped: Vec<String> = self
            .checks_skipped
            .iter()
            .map(|(name, reason)| format!("{name} skipped: {reason}"))
            .collect();
        for line in skipped {
            let _ = writeln!(out, "  {line}");
        }
        for failure in &self.failures {
            let _ = writeln!(out, "FAILED {}: {}", failure.check, failure.detail);
        }
        let _ = writeln!(
            out,
            "digest {}  ({} trace events)",
            self.digest, self.trace_events
        );
        if !self.passed() {
            let _ = writeln!(out, "replay: {}", self.replay);
        }
    }
}

/// The world's shape in one short line (the whole configuration: `--verbose` or `--json`).
fn world_line(config: &WorldConfig) -> String {
    let lsm = &config.lsm;
    format!(
        "world: {} style, {} topology, {} durability, {} clients, {} ops, {} faults",
        config.writer.style.name(),
        value_name(lsm.topology),
        format!("{:?}", lsm.durability).to_lowercase(),
        config.clients.clients,
        config.clients.ops_total,
        value_name(config.fault_level),
    )
}

/// How the command line spells `value`.
fn value_name<T: ValueEnum>(value: T) -> String {
    let possible = value.to_possible_value();
    possible
        .expect("every variant has a command-line name")
        .get_name()
        .to_string()
}

/// Remote compaction's counts, one item each.
fn remote_items(r: &RemoteSummary) -> Vec<String> {
    vec![
        format!("{} workers", r.workers),
        format!(
            "{} scheduled ({} rescheduled)",
            r.jobs_scheduled, r.jobs_rescheduled
        ),
        format!("{} succeeded", r.jobs_succeeded),
        format!("{} failed", r.jobs_failed),
        format!("{} timed out", r.jobs_timed_out),
        format!("{} fell back to local", r.fell_back_local),
        format!("{} rejected stale", r.rejected_stale),
        format!("{} rejected corrupt", r.rejected_corrupt),
        format!("{} duplicates ignored", r.duplicates_ignored),
        format!("{} late ({} installed)", r.late_results, r.late_installed),
        format!("{} empty outputs", r.empty_outputs),
        format!(
            "install latency p50 {} ms p99 {} ms",
            r.install_latency_ms_p50, r.install_latency_ms_p99
        ),
    ]
}
