//! State the world's parts share outside any node: it survives kills, as a test harness's
//! bookkeeping does (a killed node loses its own memory, never this).

use super::config::WorldConfig;
use super::protocol::{KvCommand, WRITER_HOSTS};
use super::role_stats::RoleStats;
use crate::lincheck::Operation;
use crate::lincheck::models::kv_register::{KvInput, KvOutput};
use crate::trace::{Trace, TraceEvent};
use hdrhistogram::Histogram;
use lsm_core::compaction::log::LogCompactionStats;
use lsm_core::roles::compactor::CompactorStats;
use lsm_core::roles::gc::{GcPassStats, GcStats};
use lsm_core::roles::writer::WriterStats;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub type KvOperation = Operation<KvInput<u64, u64>, KvOutput<u64>>;

/// Which host runs the current writer, and whether it is serving yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Routing {
    pub active_host: usize,
    /// The incarnation of the active host that has finished opening, if any.
    pub serving: Option<u64>,
}

/// Counts of what happened, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub ops_indeterminate: u64,
    pub ops_not_leader: u64,
    pub crashes: u64,
    pub restarts: u64,
    pub pauses: u64,
    pub resumes: u64,
    pub failovers: u64,
    /// Writer incarnations opened (each open fences the previous one).
    pub writer_opens: u64,
    pub writer_open_failures: u64,
    /// Incarnations that stopped because a newer one fenced them (zombies that noticed).
    pub writers_fenced: u64,
    /// Incarnations that reopened after a write whose outcome they could not learn.
    pub writers_poisoned: u64,
    /// Key + value bytes of every put and delete made durable.
    pub user_bytes_written: u64,
    /// Puts and deletes made durable (acknowledged to a client).
    pub user_writes: u64,
    pub final_reads_unanswered: u64,
    /// Simulated time the writer spent stopped by the write-stall rules.
    pub stall_ms: u64,
    pub compactor_opens: u64,
    pub compactor_open_failures: u64,
    /// Compactor incarnations that found themselves fenced by a newer one.
    pub compactors_fenced: u64,
    /// Jobs whose run or install failed for another reason than a fence.
    pub compactor_jobs_failed: u64,
    /// The most jobs a standalone compactor ran at once.
    pub compactor_jobs_at_once_max: u64,
    /// Output bytes of the standalone compactors' installed compactions.
    pub compactor_output_bytes: u64,
    /// The standalone compactors' own stats, summed over incarnations when read.
    pub compactor: CompactorStats,
    /// The garbage collectors' own stats, summed over incarnations when read.
    pub gc: GcStats,
    /// Manifest edits a role attempted that `apply` refused for a reason other than
    /// fencing (an invariant, an unknown or duplicate table, reordered versions): the
    /// roles re-validate first, so a correct protocol never sends one.
    pub edits_refused_invalid: u64,
    /// The first such refusals, for the failure's detail.
    pub edits_refused_first: Vec<String>,
    /// Log style: scan or lookup compactions installed, and their summed cost.
    pub log_compactions: u64,
    pub log_cost: LogCompactionStats,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct Shared {
    pub config: WorldConfig,
    pub trace: Trace,
    routing: Mutex<Routing>,
    history: Mutex<Vec<KvOperation>>,
    counters: Mutex<Counters>,
    /// The roles' own stats, by role and incarnation tag.
    roles: Mutex<RoleStats>,
    /// Store requests each writer host has in flight (for crash timing).
    in_flight: Mutex<[u64; WRITER_HOSTS]>,
    /// Incarnations started per host (restarts included).
    incarnations: Mutex<[u64; WRITER_HOSTS]>,
    /// SST data blocks per point read, and sorted runs per point read.
    read_blocks: Mutex<Histogram<u64>>,
    read_runs: Mutex<Histogram<u64>>,
    next_client_id: Mutex<u64>,
    /// Incarnations started per background node (compactors, garbage collector).
    node_incarnations: Mutex<BTreeMap<String, u64>>,
    /// The compactor node that should run; the other one exits once it finds itself fenced.
    active_compactor: Mutex<usize>,
    /// The clients' operation stream and latencies.
    pub workload: super::workload::WorkloadState,
    /// Remote compaction's counters and latencies.
    remote: Mutex<super::remote_tally::RemoteTally>,
    /// Which faults hit which protocol steps.
    pub coverage: super::coverage::Coverage,
    /// Set when the fault phase ends: faults the world injects itself stop too.
    pub faults_stopped: std::sync::atomic::AtomicBool,
    /// Deleted WAL segments created again, and acknowledgements of them.
    pub wal_fence: Arc<super::wal_fence_watch::WalFenceWatch>,
    /// C7's judgement of remote workers' TTL filter decisions by their own clocks.
    pub ttl_filter_audit: super::ttl_filter_audit::TtlFilterAudit,
}

impl Shared {
    pub fn new(config: WorldConfig, trace: Trace) -> Shared {
        let workload = super::workload::WorkloadState::new(&config);
        let wal_fence = Arc::new(super::wal_fence_watch::WalFenceWatch::new(trace.clone()));
        Shared {
            wal_fence,
            ttl_filter_audit: Default::default(),
            config,
            trace,
            routing: Mutex::new(Routing::default()),
            history: Mutex::new(Vec::new()),
            counters: Mutex::new(Counters::default()),
            roles: Mutex::new(RoleStats::default()),
            in_flight: Mutex::new([0; WRITER_HOSTS]),
            incarnations: Mutex::new([0; WRITER_HOSTS]),
            read_blocks: Mutex::new(new_histogram()),
            read_runs: Mutex::new(new_histogram()),
            next_client_id: Mutex::new(0),
            node_incarnations: Mutex::new(BTreeMap::new()),
            active_compactor: Mutex::new(0),
            workload,
            remote: Mutex::new(super::remote_tally::RemoteTally::default()),
            coverage: super::coverage::Coverage::default(),
            faults_stopped: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The next incarnation number of background node `node` (unique across restarts).
    pub fn next_node_incarnation(&self, node: &str) -> u64 {
        let mut incarnations = lock(&self.node_incarnations);
        let next = incarnations.entry(node.to_string()).or_insert(0);
        *next += 1;
        *next
    }

    /// Updates remote compaction's tally.
    pub fn remote(&self, update: impl FnOnce(&mut super::remote_tally::RemoteTally)) {
        update(&mut lock(&self.remote));
    }

    pub fn remote_tally(&self) -> super::remote_tally::RemoteTally {
        lock(&self.remote).clone()
    }

    pub fn active_compactor(&self) -> usize {
        *lock(&self.active_compactor)
    }

    pub fn activate_compactor(&self, index: usize) {
        *lock(&self.active_compactor) = index;
    }

    pub fn routing(&self) -> Routing {
        *lock(&self.routing)
    }

    /// Makes `host` the active one; nobody serves until it has opened.
    pub fn activate(&self, host: usize) {
        *lock(&self.routing) = Routing {
            active_host: host,
            serving: None,
        };
    }

    /// `host`'s incarnation `incarnation` has opened; it serves if `host` is still active.
    pub fn mark_serving(&self, host: usize, incarnation: u64) {
        let mut routing = lock(&self.routing);
        if routing.active_host == host {
            routing.serving = Some(incarnation);
        }
    }

    /// `host`'s incarnation stopped serving (fenced, crashed, reopening).
    pub fn mark_not_serving(&self, host: usize, incarnation: u64) {
        let mut routing = lock(&self.routing);
        if routing.active_host == host && routing.serving == Some(incarnation) {
            routing.serving = None;
        }
    }

    /// A fresh incarnation number for `host`.
    pub fn next_incarnation(&self, host: usize) -> u64 {
        let mut incarnations = lock(&self.incarnations);
        let slot = &mut incarnations[host % WRITER_HOSTS];
        *slot += 1;
        *slot
    }

    /// The counters, with the roles' stats summed as of now.
    pub fn counters(&self) -> Counters {
        let mut counters = lock(&self.counters).clone();
        let roles = lock(&self.roles);
        counters.compactor = roles.compactor_total();
        counters.gc = roles.gc_total();
        counters
    }

    pub fn count(&self, update: impl FnOnce(&mut Counters)) {
        update(&mut lock(&self.counters));
    }

    pub fn record_operation(&self, operation: KvOperation) {
        lock(&self.history).push(operation);
    }

    pub fn take_history(&self) -> Vec<KvOperation> {
        std::mem::take(&mut *lock(&self.history))
    }

    pub fn set_writer_stats(&self, tag: &str, stats: WriterStats) {
        lock(&self.roles).set_writer(tag, stats);
    }

    /// Sum over every incarnation.
    pub fn writer_stats_total(&self) -> WriterStats {
        lock(&self.roles).writer_total()
    }

    pub fn set_compactor_stats(&self, tag: &str, stats: CompactorStats) {
        lock(&self.roles).set_compactor(tag, stats);
    }

    /// A pass of collector `tag`: `None` if it failed.
    pub fn record_gc_pass(&self, tag: &str, pass: Option<&GcPassStats>) {
        lock(&self.roles).add_gc_pass(tag, pass);
    }

    pub fn in_flight_change(&self, host: usize, started: bool) {
        let mut in_flight = lock(&self.in_flight);
        let slot = &mut in_flight[host % WRITER_HOSTS];
        *slot = if started {
            slot.saturating_add(1)
        } else {
            slot.saturating_sub(1)
        };
    }

    pub fn in_flight(&self, host: usize) -> u64 {
        lock(&self.in_flight)[host % WRITER_HOSTS]
    }

    /// A killed host's requests are no longer its to wait for.
    pub fn clear_in_flight(&self, host: usize) {
        lock(&self.in_flight)[host % WRITER_HOSTS] = 0;
    }

    pub fn record_read_cost(&self, blocks: u32, sorted_runs: u32) {
        // Values are far below the histograms' bound, so recording cannot fail.
        let _ = lock(&self.read_blocks).record(u64::from(blocks));
        let _ = lock(&self.read_runs).record(u64::from(sorted_runs));
    }

    pub fn read_blocks(&self) -> Histogram<u64> {
        lock(&self.read_blocks).clone()
    }

    pub fn read_runs(&self) -> Histogram<u64> {
        lock(&self.read_runs).clone()
    }

    /// A history client id never used before.
    pub fn new_client_id(&self) -> u64 {
        let mut next = lock(&self.next_client_id);
        *next += 1;
        *next
    }

    /// Counts a manifest edit that `apply` refused as invalid (not fenced).
    pub fn edit_refused(&self, node: &str, detail: String) {
        self.note(node, "edit_refused_invalid", detail.clone());
        self.count(|c| {
            c.edits_refused_invalid += 1;
            if c.edits_refused_first.len() < 3 {
                c.edits_refused_first.push(format!("{node}: {detail}"));
            }
        });
    }

    /// A custom trace event.
    pub fn note(&self, node: &str, kind: &str, detail: String) {
        self.trace.record(
            node,
            TraceEvent::Custom {
                kind: kind.to_string(),
                detail,
            },
        );
    }
}

fn new_histogram() -> Histogram<u64> {
    // Reads touch a handful of blocks; constant, valid bounds.
    Histogram::new_with_bounds(1, 1_000_000, 3)
        .expect("1..=1e6 with 3 figures is a valid histogram")
}

/// The lincheck input of a command.
pub fn kv_input(command: KvCommand) -> KvInput<u64, u64> {
    match command {
        KvCommand::Get { key } => KvInput::Get(key),
        KvCommand::Put { key, value, .. } => KvInput::Put(key, value),
        KvCommand::Delete { key } => KvInput::Delete(key),
    }
}
