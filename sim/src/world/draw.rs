//! Drawing a world's configuration from its seed (swarm testing): every part from its own
//! stream, so fixing one option on the command line does not change what the others draw.

use super::config::{
    ClientShape, DEFAULT_OPS, DrainShape, FaultLevel, LogCompaction, LsmShape, Overrides,
    ProcessFaults, RemoteShape, Topology, TtlShape, WorldConfig, WorldStyle, WriterShape,
};
use super::{fault_scale, workload};
use crate::clock::ClockParams;
use crate::rng;
use crate::store::StoreFaultConfig;
use lsm_core::roles::writer::{Durability, WriterOptions};

impl WorldConfig {
    /// The world of `seed` with `overrides` fixed. Each part draws from its own stream, so
    /// fixing one option does not change what the others draw.
    pub fn draw(seed: u64, overrides: &Overrides) -> WorldConfig {
        let fault_level = overrides.faults.unwrap_or(FaultLevel::Swarm);
        let (store_faults, clocks, processes) = draw_faults(seed, fault_level);
        let fault_scale = overrides
            .fault_scale_permille
            .map_or(1.0, |permille| f64::from(permille.min(1000)) / 1000.0);
        let (mut store_faults, mut clocks, mut processes) = (store_faults, clocks, processes);
        if fault_scale < 1.0 {
            fault_scale::scale_store(&mut store_faults, fault_scale);
            fault_scale::scale_clocks(&mut clocks, fault_scale);
            fault_scale::scale_processes(&mut processes, fault_scale);
        }
        processes.long_pauses = draw_long_pauses(seed, fault_level, overrides);
        let log = LogDraw::draw(seed);
        let writer = draw_writer(seed, overrides, &log);
        let clients = draw_clients(seed, overrides);
        let lsm = draw_lsm(seed, fault_level, overrides, &log);
        let mut clients = workload::resolve(clients, overrides.workload.as_deref());
        clients.drain = DrainShape::draw(seed, lsm.topology, clients.key_space);
        clients.ttl = TtlShape::of_spec(&clients.workload)
            .or_else(|| TtlShape::draw(seed, fault_level, overrides.ttl_share_permille, &clients));
        WorldConfig {
            seed,
            fault_level,
            store_faults,
            clocks,
            processes,
            writer,
            clients,
            lsm,
            fault_scale,
            targets: overrides.targets.clone(),
        }
    }
}

/// The store's faults, the clocks and the process incidents of `fault_level` (every rate
/// drawn for `swarm`).
fn draw_faults(
    seed: u64,
    fault_level: FaultLevel,
) -> (StoreFaultConfig, ClockParams, ProcessFaults) {
    let mut faults_rng = rng::stream(seed, "config/faults");
    match fault_level {
        FaultLevel::None => (
            StoreFaultConfig::none(),
            ClockParams::none(),
            ProcessFaults::none(),
        ),
        FaultLevel::Light => (
            StoreFaultConfig::light(),
            ClockParams::light(),
            ProcessFaults::light(),
        ),
        FaultLevel::Heavy => (
            StoreFaultConfig::heavy(),
            ClockParams::heavy(),
            ProcessFaults::heavy(),
        ),
        FaultLevel::Swarm => {
            let store = StoreFaultConfig::swarm(&mut faults_rng);
            let clocks = match rng::uniform_u64(&mut faults_rng, 0, 2) {
                0 => ClockParams::none(),
                1 => ClockParams::light(),
                _ => ClockParams::heavy(),
            };
            (store, clocks, ProcessFaults::swarm(&mut faults_rng))
        }
    }
}

/// Chance that a swarm world runs the long-pause regime.
const LONG_PAUSES_CHANCE: f64 = 0.3;
/// Chance that a world's writer checkpoints at once after a failed flush.
const CHECKPOINT_AFTER_FAILED_FLUSH_CHANCE: f64 = 0.5;

/// The long-pause regime: fixed by `--long-pauses`, else drawn under swarm (its own stream,
/// so no other draw changes).
fn draw_long_pauses(seed: u64, fault_level: FaultLevel, overrides: &Overrides) -> bool {
    let drawn = rng::chance(
        &mut rng::stream(seed, "config/long-pauses"),
        LONG_PAUSES_CHANCE,
    );
    overrides.long_pauses || (fault_level == FaultLevel::Swarm && drawn)
}

/// The log style's draws (one stream): whether swarm testing picks it, its strategy and
/// schedule.
struct LogDraw {
    drawn: bool,
    kind: LogCompaction,
    max_segments: usize,
    frequency_ms: u64,
    before_checkpoint: bool,
}

impl LogDraw {
    fn draw(seed: u64) -> LogDraw {
        let mut log_rng = rng::stream(seed, "config/log");
        let drawn = rng::chance(&mut log_rng, 0.2);
        let index = rng::uniform_u64(&mut log_rng, 0, 2) as usize;
        assert!(
            index < LogCompaction::ALL.len(),
            "log strategy {index} drawn"
        );
        LogDraw {
            drawn,
            kind: LogCompaction::ALL[index],
            max_segments: rng::uniform_u64(&mut log_rng, 2, 12) as usize,
            frequency_ms: rng::uniform_u64(&mut log_rng, 500, 20_000),
            before_checkpoint: rng::chance(&mut log_rng, 0.5),
        }
    }
}

/// The writer's sizes, batching and compaction style.
fn draw_writer(seed: u64, overrides: &Overrides, log: &LogDraw) -> WriterShape {
    let mut shape_rng = rng::stream(seed, "config/shape");
    let writer = WriterShape {
        memtable_size_bytes: 1 << rng::uniform_u64(&mut shape_rng, 13, 18),
        wal_segments_flush_trigger: WriterOptions::default().wal_segments_flush_trigger,
        commit_entries_max: 1 << rng::uniform_u64(&mut shape_rng, 0, 8),
        commit_window_ms: rng::uniform_u64(&mut shape_rng, 0, 5),
        style: if rng::chance(&mut shape_rng, 0.5) {
            WorldStyle::Leveled
        } else {
            WorldStyle::Universal
        },
    };
    let log_kind = overrides.log_compaction.unwrap_or(log.kind);
    let style = match overrides.style {
        Some(WorldStyle::Log(_)) => WorldStyle::Log(log_kind),
        Some(style) => style,
        None if log.drawn => WorldStyle::Log(log_kind),
        None => writer.style,
    };
    WriterShape { style, ..writer }
}

/// The clients' shape (its workload is set by `workload::resolve`).
fn draw_clients(seed: u64, overrides: &Overrides) -> ClientShape {
    let mut client_rng = rng::stream(seed, "config/clients");
    let drawn_clients = rng::uniform_u64(&mut client_rng, 2, 8) as u32;
    let get_share = rng::uniform_f64(&mut client_rng, 0.2, 0.6);
    ClientShape {
        clients: overrides.clients.unwrap_or(drawn_clients),
        ops_total: overrides.ops.unwrap_or(DEFAULT_OPS),
        key_space: 1 << rng::uniform_u64(&mut client_rng, 6, 11),
        value_bytes: rng::uniform_u64(&mut client_rng, 16, 512) as u32,
        get_share,
        delete_share: rng::uniform_f64(&mut client_rng, 0.0, 0.2) * (1.0 - get_share),
        think_ms_mean: rng::uniform_u64(&mut client_rng, 50, 1_000),
        op_timeout_ms: rng::uniform_u64(&mut client_rng, 1_000, 10_000),
        workload: workload::placeholder(),
        drain: None,
        ttl: None,
    }
}

/// The protocols' shape, drawn, then with the command line's topology and durability.
fn draw_lsm(seed: u64, fault_level: FaultLevel, overrides: &Overrides, log: &LogDraw) -> LsmShape {
    let lsm = draw_lsm_shape(seed, fault_level, overrides, log);
    // Swarm runs also draw the remote topology, from its own stream so that the other
    // draws stay what they were (and runs at fixed fault levels keep their topology).
    let drawn_remote = fault_level == FaultLevel::Swarm
        && rng::chance(&mut rng::stream(seed, "config/topology-remote"), 0.3);
    let drawn_topology = if drawn_remote {
        Topology::Remote
    } else {
        lsm.topology
    };
    let topology = overrides.topology.unwrap_or(drawn_topology);
    LsmShape {
        topology,
        durability: overrides.durability.unwrap_or(lsm.durability),
        log_compaction_frequency_ms: if log.before_checkpoint && topology == Topology::Embedded {
            0
        } else {
            log.frequency_ms
        },
        ..lsm
    }
}

/// The protocols' shape as the `config/lsm` stream (and remote compaction's own) draw it.
fn draw_lsm_shape(
    seed: u64,
    fault_level: FaultLevel,
    overrides: &Overrides,
    log: &LogDraw,
) -> LsmShape {
    let mut lsm_rng = rng::stream(seed, "config/lsm");
    let checkpoint_interval_ms = rng::uniform_u64(&mut lsm_rng, 2_000, 60_000);
    let topology = if rng::chance(&mut lsm_rng, 0.5) {
        Topology::Embedded
    } else {
        Topology::Standalone
    };
    let durability = if rng::chance(&mut lsm_rng, 0.7) {
        Durability::Wal
    } else {
        Durability::Checkpoint
    };
    let lifetime_factor = rng::uniform_u64(&mut lsm_rng, 3, 10);
    LsmShape {
        topology,
        durability,
        force_delete: overrides.force_delete,
        checkpoint_interval_ms,
        checkpoint_lifetime_ms: checkpoint_interval_ms.saturating_mul(lifetime_factor),
        gc_interval_ms: rng::uniform_u64(&mut lsm_rng, 500, 20_000),
        compactor_poll_ms: rng::uniform_u64(&mut lsm_rng, 50, 2_000),
        compactor_jobs_max: rng::uniform_u64(&mut lsm_rng, 1, 3) as usize,
        bug: overrides.bug,
        remote: RemoteShape::draw(seed, fault_level),
        log_max_segments: log.max_segments,
        log_compaction_frequency_ms: log.frequency_ms,
        // Its upload outage is a fault: never in a world without faults.
        checkpoint_after_failed_flush: fault_level != FaultLevel::None
            && rng::chance(
                &mut rng::stream(seed, "config/checkpoint-after-failed-flush"),
                CHECKPOINT_AFTER_FAILED_FLUSH_CHANCE,
            ),
    }
}
