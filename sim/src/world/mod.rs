//! The seeded world: `sim --seed N`. One madsim runtime, on a fresh thread, seeded with the
//! seed, holds a simulated object store node, two writer hosts (active and standby), client
//! nodes and a supervisor that kills, restarts, pauses and resumes the writer. Clients record
//! a history; when they are done, faults stop, the writer recovers, a final reader reads
//! every key, and the checks run:
//!
//! - C1: the history (final reads included) is linearizable, per key;
//! - C3: no table the newest manifest references is ever missing (at every delete and
//!   manifest write, and at the end);
//! - manifest invariants: every manifest version ever written decodes, passes core's
//!   invariants and moves no epoch or WAL field backwards;
//! - C4 (the part that exists with one writer): after the faults, a writer serves again and
//!   every final read is answered;
//! - C6 with `--check-determinism`: the caller runs the seed twice and compares digests.
//!
//! Layers, from the bottom, each importing only those below it (`ci/world_cycles.py` finds
//! any cycle): `config`; `draw`, `options`; shared state (`shared`, `store_view`,
//! `violations`, `outcome`); checks (`checks`, `integrity`, `checkpoint_watch`,
//! `amplification_targets`); the nodes (`writer_host`, `compactor_host`, `gc_host`,
//! `worker_host`, `remote_primary`, `client`, `drain`, `supervisor`) beside the report
//! (`summaries`, `report`); `run_world` on top.

mod amplification_targets;
mod background_nodes;
mod bucket;
mod c7;
mod checkpoint_watch;
mod checks;
mod client;
mod compactor_host;
mod config;
mod coverage;
mod drain;
mod draw;
mod epoch_audit;
mod fault_scale;
mod fifo_style;
mod final_phase;
mod gc_host;
mod host_store;
mod integrity;
mod log_style;
mod mailbox;
mod node_clock;
mod options;
mod outcome;
mod protocol;
mod quiescence;
mod remote_primary;
mod remote_tally;
mod report;
mod role_stats;
mod run_world;
mod shared;
mod store_view;
mod summaries;
mod supervisor;
mod timeline;
mod ttl;
mod ttl_filter_audit;
mod ttl_recovery;
mod violations;
mod wal_fence_watch;
mod worker_host;
mod workload;
mod writer_host;
mod zombie_windows;

pub use amplification_targets::{C5Report, TargetCheck, sst_expansion};
pub use config::{
    CLIENTS_MAX, DEFAULT_OPS, DurabilityName, FaultLevel, LogCompaction, LsmShape, OPS_MAX,
    Overrides, RemoteShape, StyleName, TargetOverrides, Topology, WorldConfig, WorldStyle,
    parse_durability,
};
pub use outcome::{Amplification, Failure};
pub use report::{LsmSummary, OpsSummary, ProcessSummary, RemoteSummary, RunReport};
pub use timeline::{Cdf, RunSeries, TimelineSample};
pub use workload::{set_workload, workload_names, world_preset};

use crate::trace::Trace;
use std::io::Write;
use std::time::Instant;

/// Trace events kept in memory (the digest covers all of them; `--trace` writes all).
const TRACE_KEEP_LAST: usize = 1_000;

/// Why a run could not produce a report.
#[derive(Debug)]
pub enum WorldError {
    /// The run panicked: a bug in the simulator or in the code under test.
    Panicked(String),
    /// The trace file could not be written.
    TraceIo(std::io::Error),
    /// The world could not be set up (a node could not bind).
    Setup(String),
}

impl std::fmt::Display for WorldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorldError::Panicked(message) => write!(f, "the run panicked: {message}"),
            WorldError::TraceIo(error) => write!(f, "writing the trace failed: {error}"),
            WorldError::Setup(message) => write!(f, "setting up the world failed: {message}"),
        }
    }
}

impl std::error::Error for WorldError {}

/// Runs the world of `config` on a fresh thread with its own madsim runtime. `trace_sink`
/// receives every trace event as a JSON line. `replay` is the command that reproduces it.
pub fn run(
    config: WorldConfig,
    trace_sink: Option<Box<dyn Write + Send>>,
    replay: String,
) -> Result<RunReport, WorldError> {
    let trace = Trace::new(TRACE_KEEP_LAST);
    if let Some(sink) = trace_sink {
        trace.set_sink(sink);
    }
    let started = Instant::now();
    let seed = config.seed;
    let thread_trace = trace.clone();
    let joined = std::thread::Builder::new()
        .name(format!("sim-seed-{seed}"))
        .spawn(move || {
            let runtime =
                madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
            runtime.block_on(run_world::run_world(config, thread_trace))
        })
        .map_err(|error| WorldError::Setup(format!("could not start the run thread: {error}")))?
        .join();
    let wall_time_s = started.elapsed().as_secs_f64();
    let outcome = match joined {
        Ok(outcome) => outcome,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a non-text panic".to_string());
            return Err(WorldError::Panicked(message));
        }
    };
    trace.finish_sink().map_err(WorldError::TraceIo)?;
    let mut report = outcome.map_err(WorldError::Setup)?;
    report.wall_time_s = wall_time_s;
    report.digest = trace.digest_hex();
    report.trace_events = trace.recorded_total();
    report.replay = replay;
    Ok(report)
}
