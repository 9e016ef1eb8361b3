//! The world's main task, in phases: set up the nodes, let the clients run under faults,
//! stop the faults and wait for a writer to recover and read everything back, wait for the
//! tree to quiesce, run the checks, and assemble the report.

use super::amplification_targets::{self, C5Inputs, C5Report};
use super::background_nodes::spawn_background;
use super::c7::{C7_SKIPPED_NO_TTL, TtlContext};
use super::checks::{self, Verdicts};
use super::client::{ClientPlan, client_main};
use super::config::{WorldConfig, lossy_style};
use super::drain::drain_main;
use super::final_phase::{FinalReads, await_recovery, final_reads};
use super::host_store::UPLOAD_OUTAGE_HITS;
use super::integrity::{IntegrityObserver, IntegrityReport};
use super::log_style;
use super::options::{L0_COMPACTION_TRIGGER, gc_options, writer_options};
use super::outcome::Amplification;
use super::protocol::{WRITER_HOSTS, client_ip, writer_host_address, writer_host_name};
use super::quiescence::{Rest, await_rest};
use super::report::RunReport;
use super::shared::{Counters, Shared};
use super::store_view::{newest_manifest, sst_bytes_in_store};
use super::summaries::{self, EndState};
use super::supervisor::Supervisor;
use super::ttl::latest_judge_wall_ms;
use super::writer_host::host_main;
use crate::clock::{ClockPlan, SimClock, sim_elapsed, sim_elapsed_ns};
use crate::cost::BucketMeter;
use crate::lincheck::History;
use crate::rng;
use crate::store::{StoreConfig, StoreFaultConfig, StoreNode, StoreStats};
use crate::trace::Trace;
use lsm_core::roles::writer::Durability;
use madsim::runtime::{Handle, NodeHandle};
use madsim::task::JoinHandle;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The nodes of a running world and what watches them.
struct World {
    store: StoreNode,
    integrity: Arc<IntegrityObserver>,
    shared: Arc<Shared>,
    /// Every node's clock (writer hosts, then background nodes), for the jump count.
    clocks: Vec<SimClock>,
    /// The whole bucket's size over time (the storage bill).
    bucket: Arc<BucketMeter>,
}

/// The tasks of the fault phase.
struct FaultPhase {
    clients: Vec<JoinHandle<()>>,
    supervising: JoinHandle<Supervisor>,
    stop: Arc<AtomicBool>,
}

/// What the recovery phase found.
struct Recovery {
    recovered: bool,
    /// The counters as the clients (and the drain) left them, before the final reads.
    counters: Counters,
    finals: FinalReads,
}

pub async fn run_world(config: WorldConfig, trace: Trace) -> Result<RunReport, String> {
    let (mut world, hosts) = set_up(&config, &trace).await?;
    let phase = start_fault_phase(&mut world, hosts, &trace);
    let supervisor = finish_fault_phase(&world, phase).await?;
    let recovery = recover(&world, &supervisor).await?;
    let rest = quiesce(&world).await?;
    let sim_time_s = sim_elapsed().as_secs_f64();
    world.integrity.check_final(&world.store.snapshot());
    let found = world.integrity.report();
    let mut verdicts = run_checks(&world, &found, &recovery, &rest)?;
    let end = end_state(&world);
    let amplification =
        summaries::amplification(&recovery.counters, &end, recovery.finals.live_logical_bytes);
    let c5 = c5_check(&world, &recovery, &rest, &end, &amplification);
    match &c5 {
        Some(c5) => verdicts.record(c5.outcome()),
        None if !recovery.recovered => verdicts.skip("C5", "no writer recovered after the faults"),
        None => verdicts.skip("C5", "--no-c5"),
    }
    let cost = Some(summaries::cost(
        &world.store.stats(),
        &end,
        &recovery.counters,
        recovery.finals.reads,
        recovery.finals.live_logical_bytes,
    ));
    let report = RunReport {
        sim_time_s,
        amplification,
        c5,
        cost,
        ..assemble(config, &world, &verdicts, &found, (&recovery, &rest, &end))
    };
    Ok(report)
}

/// The store (watched by the integrity observer), the shared state and the writer hosts.
async fn set_up(config: &WorldConfig, trace: &Trace) -> Result<(World, Vec<NodeHandle>), String> {
    let store = StoreNode::start(
        StoreConfig::with_faults(config.store_faults.clone()),
        config.seed,
        trace.clone(),
    )
    .await
    .map_err(|error| format!("store node: {error}"))?;
    let check_recovery = config.lsm.durability == Durability::Checkpoint;
    let integrity = Arc::new(IntegrityObserver::new(trace.clone(), check_recovery));
    if lossy_style(config.writer.style) {
        integrity.allow_lossy_recovery();
    } else if config.clients.ttl.is_some() {
        let config = config.clone();
        integrity.allow_expiring_recovery(Arc::new(move |elapsed_ns| {
            latest_judge_wall_ms(&config, elapsed_ns)
        }));
    }
    store.add_observer(integrity.clone());
    let bucket = Arc::new(BucketMeter::new());
    store.add_observer(bucket.clone());
    let shared = Arc::new(Shared::new(config.clone(), trace.clone()));
    store.add_observer(shared.wal_fence.clone());
    integrity.timeline.attach(shared.clone());
    let (hosts, clocks) = start_writer_hosts(&shared, &store, trace);
    let world = World {
        store,
        integrity,
        shared,
        clocks,
        bucket,
    };
    Ok((world, hosts))
}

/// Starts the writer hosts (active and standby), each with its own clock.
fn start_writer_hosts(
    shared: &Arc<Shared>,
    store: &StoreNode,
    trace: &Trace,
) -> (Vec<NodeHandle>, Vec<SimClock>) {
    let config = &shared.config;
    let mut hosts = Vec::new();
    let mut clocks = Vec::new();
    for host in 0..WRITER_HOSTS {
        let name = writer_host_name(host);
        let plan = ClockPlan::draw(
            &mut rng::stream(config.seed, &format!("clock/{name}")),
            &config.clocks,
        );
        let clock = SimClock::new(&name, plan, trace.clone());
        clock.spawn_driver();
        clocks.push(clock.clone());
        let client = store.client(&name);
        let host_shared = shared.clone();
        let node = Handle::current()
            .create_node()
            .name(name)
            .ip(writer_host_address(host).ip())
            .init(move || host_main(host_shared.clone(), client.clone(), clock.clone(), host))
            .build();
        hosts.push(node);
    }
    (hosts, clocks)
}

/// Starts the clients, the background nodes and the supervisor that injects incidents.
fn start_fault_phase(world: &mut World, hosts: Vec<NodeHandle>, trace: &Trace) -> FaultPhase {
    let clients = start_clients(&world.shared);
    let (background, background_clocks) = spawn_background(&world.shared, &world.store, trace);
    world.clocks.extend(background_clocks);
    let stop = Arc::new(AtomicBool::new(false));
    let windows = world.integrity.windows.clone();
    let mut supervisor = Supervisor::new(world.shared.clone(), hosts, background, windows);
    let supervisor_stop = stop.clone();
    let supervising = madsim::task::spawn(async move {
        supervisor.run(supervisor_stop).await;
        supervisor
    });
    FaultPhase {
        clients,
        supervising,
        stop,
    }
}

/// One client node per configured client, the operations shared out evenly.
fn start_clients(shared: &Arc<Shared>) -> Vec<JoinHandle<()>> {
    let config = &shared.config;
    let clients = config.clients.clients.max(1);
    let timeout = Duration::from_millis(config.clients.op_timeout_ms);
    let mut running = Vec::new();
    for index in 0..clients {
        let ops = config.clients.ops_total / u64::from(clients)
            + u64::from(u64::from(index) < config.clients.ops_total % u64::from(clients));
        let node_name = format!("client-{index}");
        let node = Handle::current()
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
    running
}

/// Waits for the clients and then the drain (if drawn), stops the incidents and the store's
/// faults; returns the supervisor (recovery may need it to restart a host).
async fn finish_fault_phase(world: &World, phase: FaultPhase) -> Result<Supervisor, String> {
    for client in phase.clients {
        client
            .await
            .map_err(|error| format!("a client task failed: {error}"))?;
    }
    let config = &world.shared.config;
    let clients = config.clients.clients.max(1);
    if let Some(drain) = config.clients.drain.clone() {
        let timeout = Duration::from_millis(config.clients.op_timeout_ms);
        let drainer = Handle::current()
            .create_node()
            .name("drainer")
            .ip(client_ip(clients + 1))
            .build();
        drainer
            .spawn(drain_main(
                world.shared.clone(),
                clients + 1,
                drain,
                timeout,
            ))
            .await
            .map_err(|error| format!("the drain task failed: {error}"))?;
    }
    let faults_end_s = sim_elapsed().as_secs_f64();
    phase.stop.store(true, Ordering::Relaxed);
    world.shared.faults_stopped.store(true, Ordering::Relaxed);
    let supervisor = phase
        .supervising
        .await
        .map_err(|error| format!("the supervisor failed: {error}"))?;
    world.store.set_faults(StoreFaultConfig::none());
    let at = format!("at {faults_end_s:.3} s");
    world.shared.note("main", "faults_stopped", at);
    Ok(supervisor)
}

/// Waits for a writer to serve again, then reads every key back (if one does).
async fn recover(world: &World, supervisor: &Supervisor) -> Result<Recovery, String> {
    let recovered = await_recovery(&world.shared, supervisor).await;
    // The clients' figures, before the final reads add theirs.
    let counters = world.shared.counters();
    let finals = if recovered {
        let clients = world.shared.config.clients.clients.max(1);
        let reader = Handle::current()
            .create_node()
            .name("final-reader")
            .ip(client_ip(clients))
            .build();
        reader
            .spawn(final_reads(world.shared.clone(), clients))
            .await
            .map_err(|error| format!("the final reader failed: {error}"))??
    } else {
        FinalReads::default()
    };
    Ok(Recovery {
        recovered,
        counters,
        finals,
    })
}

/// Waits (boundedly) for the tree to come to rest under the run's strategy.
async fn quiesce(world: &World) -> Result<Rest, String> {
    let config = &world.shared.config;
    let style = writer_options(config)
        .compaction
        .ok_or_else(|| "the world's writer has no compaction style".to_string())?;
    let l0_trigger = log_style::rest_l0_trigger(config).unwrap_or(L0_COMPACTION_TRIGGER);
    let manifests_kept = gc_options(config).manifest_versions_kept;
    let rest = await_rest(&world.store, &style, l0_trigger, manifests_kept).await;
    let (created, recreated) = world.shared.wal_fence.creations();
    let detail = format!(
        "{}; {created} WAL segments created in the run, {recreated} re-created after deletion",
        rest.bucket.describe()
    );
    world.shared.note("main", "bucket_at_rest", detail);
    Ok(rest)
}

/// C1, C7 (or why it was skipped), C3, C2, recovery, manifest invariants, epoch audit,
/// edits-valid and C4, in that order.
fn run_checks(
    world: &World,
    found: &IntegrityReport,
    recovery: &Recovery,
    rest: &Rest,
) -> Result<Verdicts, String> {
    let config = &world.shared.config;
    let history = History::from_operations(world.shared.take_history())
        .map_err(|error| format!("the history is malformed: {error}"))?;
    let mut verdicts = Verdicts::default();
    let horizon_ms = u64::try_from(sim_elapsed().as_millis()).unwrap_or(u64::MAX);
    let expiries = world.shared.workload.expiries();
    let ttl = TtlContext::new(config, expiries, horizon_ms);
    let ttl_history = ttl.as_ref().map(|ttl| ttl.history(&history)).transpose()?;
    let ttl_pair = ttl.as_ref().zip(ttl_history.as_ref());
    match checks::c1_linearizable(config, &history, ttl_pair) {
        Some((c1, explanation)) => {
            verdicts.record(c1);
            verdicts.c1_explanation = explanation;
        }
        None => verdicts.skip("C1", checks::C1_SKIPPED_CHECKPOINT),
    }
    match ttl_pair {
        Some((context, ttl_history)) => {
            let audit = &world.shared.ttl_filter_audit;
            verdicts.record(context.c7_check(ttl_history, audit));
        }
        None => verdicts.skip("C7", C7_SKIPPED_NO_TTL),
    }
    verdicts.record(checks::no_violations("C3", &found.reference_integrity));
    verdicts.record(checks::no_violations("C2", &found.checkpoint_stability));
    if config.lsm.durability == Durability::Checkpoint {
        verdicts.record(checks::no_violations("recovery", &found.recovery));
    } else {
        verdicts.skip("recovery", checks::RECOVERY_SKIPPED_WAL);
    }
    if config.lsm.durability == Durability::Wal {
        let acked = world.shared.wal_fence.violations();
        verdicts.record(checks::no_violations("wal-fence-aba", &acked));
    }
    let invariants = &found.manifest_invariants;
    verdicts.record(checks::no_violations("manifest-invariants", invariants));
    verdicts.record(checks::no_violations("epoch-audit", &found.epoch_audit));
    let counters = &recovery.counters;
    let refused = (
        counters.edits_refused_invalid,
        &counters.edits_refused_first,
    );
    verdicts.record(checks::edits_valid(refused.0, refused.1));
    let unanswered = &recovery.finals.unanswered;
    verdicts.record(checks::c4_liveness(recovery.recovered, unanswered, rest));
    verdicts.record(checks::c4_bucket_bounded(&rest.bucket));
    Ok(verdicts)
}

/// The roles' stats, the store's bytes and newest manifest, and the read costs.
fn end_state(world: &World) -> EndState {
    let (store_bytes_put, sst_bytes, bucket_usage, newest) = world.store.with_state(|state| {
        (
            state.bytes_put_total(),
            sst_bytes_in_store(state),
            state.bucket_usage(),
            newest_manifest(state),
        )
    });
    EndState {
        writer: world.shared.writer_stats_total(),
        store_bytes_put,
        sst_bytes,
        bucket_usage,
        bucket_over_time: world.bucket.summary(sim_elapsed_ns()),
        newest,
        read_blocks: world.shared.read_blocks(),
        read_runs: world.shared.read_runs(),
    }
}

/// C5 on the tree at rest, as C4 defines it (`None`: no writer recovered, or `--no-c5`).
fn c5_check(
    world: &World,
    recovery: &Recovery,
    rest: &Rest,
    end: &EndState,
    amplification: &Amplification,
) -> Option<C5Report> {
    if !recovery.recovered {
        return None;
    }
    let inputs = C5Inputs {
        amplification,
        newest: end.newest.as_ref(),
        flushes: end.writer.flushes,
        flush_bytes: end.writer.flush_bytes,
        merges: summaries::merges(&end.writer, &recovery.counters),
        peak_referenced_bytes: world.integrity.timeline.peak_live_sst_bytes(),
        reads: end.read_blocks.len(),
    };
    let quiescent = rest.reached;
    amplification_targets::check(&world.shared.config, quiescent, &inputs)
}

/// Faults by kind: the store's, every clock's jumps, and the SST uploads the writer's
/// upload outage refused (the checkpoint-after-failed-flush regime; absent when none was).
fn faults_by_kind(world: &World, store_stats: &StoreStats) -> BTreeMap<String, u64> {
    let mut faults = store_stats.faults_by_kind.clone();
    for clock in &world.clocks {
        clock.note_jumps();
    }
    let jumps: usize = world.clocks.iter().map(SimClock::jumps_applied).sum();
    faults.insert("clock_jump".to_string(), jumps as u64);
    let coverage = world.shared.coverage.snapshot();
    if let Some(&refused) = coverage.get(UPLOAD_OUTAGE_HITS) {
        faults.insert("upload_outage".to_string(), refused);
    }
    faults
}

/// The report of a finished run, but for what `run_world` measured after the checks
/// (simulated time, amplification, C5) and what the caller fills in (digest, wall time).
fn assemble(
    config: WorldConfig,
    world: &World,
    verdicts: &Verdicts,
    found: &IntegrityReport,
    (recovery, rest, end): (&Recovery, &Rest, &EndState),
) -> RunReport {
    let shared = &world.shared;
    let store_stats = world.store.stats();
    let faults = faults_by_kind(world, &store_stats);
    let mut coverage = shared.coverage.snapshot();
    for (pair, count) in &store_stats.faults_by_step {
        *coverage.entry(pair.clone()).or_insert(0) += count;
    }
    coverage.extend(world.integrity.windows.hits());
    let counters = &recovery.counters;
    let writer = &end.writer;
    // Compactions of the quiescence phase count too.
    let late = shared.counters();
    let remote = shared.remote_tally();
    RunReport {
        seed: config.seed,
        verdict: if verdicts.failures.is_empty() {
            "pass"
        } else {
            "fail"
        }
        .to_string(),
        failures: verdicts.failures.clone(),
        digest: String::new(),
        ops: summaries::ops_summary(&config, counters, recovery.finals.reads),
        faults,
        crashes: counters.crashes,
        processes: summaries::process_summary(counters),
        compactions: writer.compactions + counters.compactor.compactions_installed,
        lsm: summaries::lsm_summary(&config, writer, counters, &late, found, rest, &remote),
        flushes: writer.flushes,
        manifest_versions: found.manifest_versions_seen,
        checks: verdicts.checks.clone(),
        checks_skipped: verdicts.skipped.clone(),
        c1_explanation: verdicts.c1_explanation.clone(),
        coverage,
        trace_events: 0,
        replay: String::new(),
        series: Some(world.integrity.timeline.series(shared)),
        config,
        sim_time_s: 0.0,
        wall_time_s: 0.0,
        amplification: Amplification::default(),
        c5: None,
        cost: None,
    }
}
