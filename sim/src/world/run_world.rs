//! The world's main task: sets up the nodes, lets the clients run under faults, quiesces,
//! reads everything back and runs the checks.

use super::amplification_targets;
use super::background_nodes::spawn_background;
use super::client::{ClientPlan, client_main};
use super::config::Topology;
use super::config::WorldConfig;
use super::drain::drain_main;
use super::final_phase::{await_recovery, final_reads};
use super::integrity::IntegrityObserver;
use super::options::{L0_COMPACTION_TRIGGER, writer_options};
use super::outcome::{Amplification, Failure};
use super::protocol::{WRITER_HOSTS, client_ip, writer_host_address, writer_host_name};
use super::quiescence::await_rest;
use super::remote_tally::RemoteTally;
use super::report::{LsmSummary, OpsSummary, ProcessSummary, RemoteSummary, RunReport};
use super::shared::Shared;
use super::store_view::{newest_manifest, sst_bytes_in_store};
use super::supervisor::Supervisor;
use super::violations::Violations;
use super::writer_host::host_main;
use crate::clock::{ClockPlan, SimClock, sim_elapsed};
use crate::lincheck::{CheckOptions, History, Limits, Verdict};
use crate::rng;
use crate::store::{StoreConfig, StoreFaultConfig, StoreNode};
use crate::trace::Trace;
use lsm_core::manifest::Manifest;
use lsm_core::roles::writer::Durability;
use madsim::runtime::Handle;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// C1's search bounds: generous for per-key histories of a run, but finite.
const C1_LIMITS: Limits = Limits {
    max_steps: 200_000_000,
    max_cache_entries: 4_000_000,
};

pub async fn run_world(config: WorldConfig, trace: Trace) -> Result<RunReport, String> {
    let seed = config.seed;
    let store = StoreNode::start(
        StoreConfig::with_faults(config.store_faults.clone()),
        seed,
        trace.clone(),
    )
    .await
    .map_err(|error| format!("store node: {error}"))?;
    let check_recovery = config.lsm.durability == Durability::Checkpoint;
    let integrity = Arc::new(IntegrityObserver::new(trace.clone(), check_recovery));
    if matches!(
        config.writer.style,
        super::config::WorldStyle::Fifo
            | super::config::WorldStyle::Log(super::config::LogCompaction::Shift)
    ) {
        integrity.allow_lossy_recovery();
    }
    store.add_observer(integrity.clone());
    let shared = Arc::new(Shared::new(config.clone(), trace.clone()));
    integrity.timeline.attach(shared.clone());
    let handle = Handle::current();
    let mut hosts = Vec::new();
    let mut clocks = Vec::new();
    for host in 0..WRITER_HOSTS {
        let name = writer_host_name(host);
        let plan = ClockPlan::draw(
            &mut rng::stream(seed, &format!("clock/{name}")),
            &config.clocks,
        );
        let clock = SimClock::new(&name, plan, trace.clone());
        clock.spawn_driver();
        clocks.push(clock.clone());
        let client = store.client(&name);
        let host_shared = shared.clone();
        let node = handle
            .create_node()
            .name(name)
            .ip(writer_host_address(host).ip())
            .init(move || host_main(host_shared.clone(), client.clone(), clock.clone(), host))
            .build();
        hosts.push(node);
    }
    let clients = config.clients.clients.max(1);
    let timeout = Duration::from_millis(config.clients.op_timeout_ms);
    let mut running = Vec::new();
    for index in 0..clients {
        let ops = config.clients.ops_total / u64::from(clients)
            + u64::from(u64::from(index) < config.clients.ops_total % u64::from(clients));
        let node_name = format!("client-{index}");
        let node = handle
            .create_node()
            .name(node_name.clone())
            .ip(client_ip(index))
            .build();
        let plan = ClientPlan {
            index,
            node: node_name,
            ops,
            timeout,
        };
        running.push(node.spawn(client_main(shared.clone(), plan)));
    }
    let (background, background_clocks) = spawn_background(&shared, &store, &trace);
    clocks.extend(background_clocks);
    let stop = Arc::new(AtomicBool::new(false));
    let mut supervisor = Supervisor::new(shared.clone(), hosts, background);
    let supervisor_stop = stop.clone();
    let supervising = madsim::task::spawn(async move {
        supervisor.run(supervisor_stop).await;
        supervisor
    });
    for client in running {
        client
            .await
            .map_err(|error| format!("a client task failed: {error}"))?;
    }
    if let Some(drain) = config.clients.drain.clone() {
        let drainer = handle
            .create_node()
            .name("drainer")
            .ip(client_ip(clients + 1))
            .build();
        drainer
            .spawn(drain_main(shared.clone(), clients + 1, drain, timeout))
            .await
            .map_err(|error| format!("the drain task failed: {error}"))?;
    }
    let faults_end_s = sim_elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let supervisor = supervising
        .await
        .map_err(|error| format!("the supervisor failed: {error}"))?;
    store.set_faults(StoreFaultConfig::none());
    shared.note("main", "faults_stopped", format!("at {faults_end_s:.3} s"));
    let recovered = await_recovery(&shared, &supervisor).await;
    // The clients' figures, before the final reads add theirs.
    let counters = shared.counters();
    let finals = if recovered {
        let reader = handle
            .create_node()
            .name("final-reader")
            .ip(client_ip(clients))
            .build();
        reader
            .spawn(final_reads(shared.clone(), clients))
            .await
            .map_err(|error| format!("the final reader failed: {error}"))??
    } else {
        Default::default()
    };
    let style = writer_options(&config)
        .compaction
        .ok_or_else(|| "the world's writer has no compaction style".to_string())?;
    let l0_trigger = super::log_style::rest_l0_trigger(&config).unwrap_or(L0_COMPACTION_TRIGGER);
    let rest = await_rest(&store, &style, l0_trigger).await;
    // C5 measures the tree at rest, as C4 defines it.
    let quiescent = recovered && rest.reached;
    let sim_time_s = sim_elapsed().as_secs_f64();
    integrity.check_final(&store.snapshot());

    let mut failures = Vec::new();
    let mut checks = BTreeMap::new();
    let history = History::from_operations(shared.take_history())
        .map_err(|error| format!("the history is malformed: {error}"))?;
    let c1 = super::fifo_style::c1_check(
        config.writer.style,
        &history,
        &CheckOptions {
            limits: C1_LIMITS,
            partition: true,
        },
    );
    // Without a WAL an acknowledged write may be lost by design; `checkpoint` mode is
    // checked by C2 and the recovery check instead.
    let c1_applies = config.lsm.durability == Durability::Wal;
    let c1_ok = !c1_applies || matches!(c1.verdict, Verdict::Linearizable);
    if c1_applies {
        checks.insert("C1".to_string(), c1_ok);
    }
    if !c1_ok {
        failures.push(Failure {
            check: "C1".to_string(),
            detail: format!("{} ({} operations)", c1.verdict, history.len()),
        });
    }
    let found = integrity.report();
    let c3_ok = found.reference_integrity.count == 0;
    checks.insert("C3".to_string(), c3_ok);
    if !c3_ok {
        failures.push(Failure {
            check: "C3".to_string(),
            detail: format!(
                "{} violations: {}",
                found.reference_integrity.count,
                found.reference_integrity.first.join("; ")
            ),
        });
    }
    push_violations(
        &mut checks,
        &mut failures,
        "C2",
        &found.checkpoint_stability,
    );
    if check_recovery {
        push_violations(&mut checks, &mut failures, "recovery", &found.recovery);
    }
    let invariants_ok = found.manifest_invariants.count == 0;
    checks.insert("manifest-invariants".to_string(), invariants_ok);
    if !invariants_ok {
        failures.push(Failure {
            check: "manifest-invariants".to_string(),
            detail: format!(
                "{} violations: {}",
                found.manifest_invariants.count,
                found.manifest_invariants.first.join("; ")
            ),
        });
    }
    // Re-validation: no role sent an edit that `apply` had to refuse as invalid.
    let edits_ok = counters.edits_refused_invalid == 0;
    checks.insert("edits-valid".to_string(), edits_ok);
    if !edits_ok {
        failures.push(Failure {
            check: "edits-valid".to_string(),
            detail: format!(
                "{} manifest edits refused as invalid: {}",
                counters.edits_refused_invalid,
                counters.edits_refused_first.join("; ")
            ),
        });
    }
    let c4_ok = recovered && finals.unanswered.is_empty() && rest.reached;
    checks.insert("C4".to_string(), c4_ok);
    if !c4_ok {
        let detail = if !rest.reached {
            format!("the tree did not come to rest: {}", rest.describe())
        } else if recovered {
            format!(
                "{} final reads unanswered (keys {:?})",
                finals.unanswered.len(),
                finals.unanswered.iter().take(10).collect::<Vec<_>>()
            )
        } else {
            "no writer served again after the faults stopped".to_string()
        };
        failures.push(Failure {
            check: "C4".to_string(),
            detail,
        });
    }

    let writer = shared.writer_stats_total();
    let store_stats = store.stats();
    let (store_bytes_put, sst_bytes, newest) = store.with_state(|state| {
        (
            state.bytes_put_total(),
            sst_bytes_in_store(state),
            newest_manifest(state),
        )
    });
    let referenced_bytes = newest.as_ref().map_or(0, Manifest::live_size_bytes);
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    let read_blocks = shared.read_blocks();
    let read_runs = shared.read_runs();
    let amplification = Amplification {
        write: ratio(store_bytes_put, counters.user_bytes_written),
        // Compaction output of the writer's embedded compactor and of standalone compactors.
        write_rocksdb: ratio(
            writer.flush_bytes + writer.compaction_output_bytes + counters.compactor_output_bytes,
            writer.flush_bytes,
        ),
        space: ratio(referenced_bytes, finals.live_logical_bytes),
        space_physical: ratio(sst_bytes, finals.live_logical_bytes),
        read_blocks_mean: read_blocks.mean(),
        read_blocks_p99: read_blocks.value_at_quantile(0.99),
        read_sorted_runs_mean: read_runs.mean(),
        user_bytes: counters.user_bytes_written,
        store_bytes_put,
        live_logical_bytes: finals.live_logical_bytes,
    };
    let c5 = recovered
        .then(|| {
            let inputs = amplification_targets::C5Inputs {
                amplification: &amplification,
                newest: newest.as_ref(),
                flushes: writer.flushes,
                flush_bytes: writer.flush_bytes,
                merges: writer.compactions
                    + writer.compactions_stale
                    + counters.compactor_installs
                    + counters.compactor_installs_stale,
                peak_referenced_bytes: integrity.timeline.peak_live_sst_bytes(),
                reads: read_blocks.len(),
            };
            amplification_targets::check(&config, quiescent, &inputs)
        })
        .flatten();
    if let Some(c5) = &c5 {
        checks.insert("C5".to_string(), c5.passed());
        failures.extend(c5.failure());
    }
    let mut faults: BTreeMap<String, u64> = store_stats.faults_by_kind.clone();
    for clock in &clocks {
        clock.note_jumps();
    }
    let jumps: usize = clocks.iter().map(SimClock::jumps_applied).sum();
    faults.insert("clock_jump".to_string(), jumps as u64);
    let mut coverage = shared.coverage.snapshot();
    for (pair, count) in &store_stats.faults_by_step {
        *coverage.entry(pair.clone()).or_insert(0) += count;
    }
    let ops = OpsSummary {
        // The clients' operations, and the drain's deletes when one was drawn.
        total: config.clients.ops_total
            + config
                .clients
                .drain
                .as_ref()
                .map_or(0, |drain| drain.deletes()),
        ok: counters.ops_ok,
        failed: counters.ops_failed,
        indeterminate: counters.ops_indeterminate,
        not_leader: counters.ops_not_leader,
        final_reads: finals.reads,
    };
    // Compactions of the quiescence phase count too.
    let late = shared.counters();
    let log_compaction =
        super::log_style::cost_summary(&config, late.log_compactions, &late.log_cost);
    let topology = format!("{:?}", config.lsm.topology).to_lowercase();
    let remote = (config.lsm.topology == Topology::Remote)
        .then(|| remote_summary(&config, &shared.remote_tally()));
    let durability = format!("{:?}", config.lsm.durability).to_lowercase();
    Ok(RunReport {
        seed,
        verdict: if failures.is_empty() { "pass" } else { "fail" }.to_string(),
        failures,
        digest: String::new(),
        config,
        sim_time_s,
        wall_time_s: 0.0,
        ops,
        faults,
        crashes: counters.crashes,
        processes: ProcessSummary {
            crashes: counters.crashes,
            restarts: counters.restarts,
            pauses: counters.pauses,
            resumes: counters.resumes,
            failovers: counters.failovers,
            writer_opens: counters.writer_opens,
            writer_open_failures: counters.writer_open_failures,
            writers_fenced: counters.writers_fenced,
            writers_poisoned: counters.writers_poisoned,
        },
        compactions: writer.compactions + counters.compactor_installs,
        lsm: LsmSummary {
            topology,
            durability,
            compactions_installed: writer.compactions + counters.compactor_installs,
            installs_rejected_stale: writer.compactions_stale + counters.compactor_installs_stale,
            installs_rejected_fenced: counters.compactor_installs_fenced,
            compactor_opens: counters.compactor_opens,
            compactors_fenced: counters.compactors_fenced,
            compactor_jobs_at_once_max: counters.compactor_jobs_at_once_max,
            checkpoints_taken: writer.checkpoints,
            checkpoints_verified: found.checkpoint_verifications,
            checkpoints_expired: counters.gc_checkpoints_expired,
            recoveries_checked: found.recoveries_checked,
            deletions_deferred: found.pending_added,
            deletions_done: counters.gc_pending_deleted,
            deletions_forced: writer.tables_force_deleted + counters.compactor_inputs_force_deleted,
            orphans_collected: counters.gc_orphans_deleted + counters.compactor_orphans_deleted,
            gc_passes: counters.gc_passes,
            stall_time_ms: counters.stall_ms,
            rest: rest.describe(),
            remote,
            log_compaction,
        },
        flushes: writer.flushes,
        manifest_versions: found.manifest_versions_seen,
        amplification,
        checks,
        coverage,
        trace_events: 0,
        replay: String::new(),
        c5,
        series: Some(integrity.timeline.series(&shared)),
    })
}

/// Remote compaction's outcomes, summed over every primary incarnation.
fn remote_summary(config: &WorldConfig, tally: &RemoteTally) -> RemoteSummary {
    let primary = tally.primary_total();
    let quantile = |histogram: &hdrhistogram::Histogram<u64>, q: f64| {
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

/// Records check `name` as passed when `found` is empty, and its failure otherwise.
fn push_violations(
    checks: &mut BTreeMap<String, bool>,
    failures: &mut Vec<Failure>,
    name: &str,
    found: &Violations,
) {
    let ok = found.count == 0;
    checks.insert(name.to_string(), ok);
    if !ok {
        failures.push(Failure {
            check: name.to_string(),
            detail: format!("{} violations: {}", found.count, found.first.join("; ")),
        });
    }
}
