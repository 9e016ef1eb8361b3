//! Drawing a world's configuration from its seed (swarm testing): every part from its own
//! stream, so fixing one option on the command line does not change what the others draw.

use super::config::{
    ClientShape, DEFAULT_OPS, DrainShape, FaultLevel, LogCompaction, LsmShape, Overrides,
    ProcessFaults, RemoteShape, Topology, WorldConfig, WorldStyle, WriterShape,
};
use super::{fault_scale, workload};
use crate::clock::ClockParams;
use crate::rng;
use crate::store::StoreFaultConfig;
use lsm_core::roles::writer::Durability;

impl WorldConfig {
    /// The world of `seed` with `overrides` fixed. Each part draws from its own stream, so
    /// fixing one option does not change what the others draw.
    pub fn draw(seed: u64, overrides: &Overrides) -> WorldConfig {
        let fault_level = overrides.faults.unwrap_or(FaultLevel::Swarm);
        let mut faults_rng = rng::stream(seed, "config/faults");
        let (store_faults, clocks, processes) = match fault_level {
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
        };
        let fault_scale = overrides
            .fault_scale_permille
            .map_or(1.0, |permille| f64::from(permille.min(1000)) / 1000.0);
        let (mut store_faults, mut clocks, mut processes) = (store_faults, clocks, processes);
        if fault_scale < 1.0 {
            fault_scale::scale_store(&mut store_faults, fault_scale);
            fault_scale::scale_clocks(&mut clocks, fault_scale);
            fault_scale::scale_processes(&mut processes, fault_scale);
        }
        let mut shape_rng = rng::stream(seed, "config/shape");
        let writer = WriterShape {
            memtable_size_bytes: 1 << rng::uniform_u64(&mut shape_rng, 13, 18),
            commit_entries_max: 1 << rng::uniform_u64(&mut shape_rng, 0, 8),
            commit_window_ms: rng::uniform_u64(&mut shape_rng, 0, 5),
            style: if rng::chance(&mut shape_rng, 0.5) {
                WorldStyle::Leveled
            } else {
                WorldStyle::Universal
            },
        };
        let mut log_rng = rng::stream(seed, "config/log");
        let log_drawn = rng::chance(&mut log_rng, 0.2);
        let log_kind = LogCompaction::ALL
            .get(rng::uniform_u64(&mut log_rng, 0, 2) as usize)
            .copied()
            .unwrap_or(LogCompaction::Scan);
        let log_kind = overrides.log_compaction.unwrap_or(log_kind);
        let style = match overrides.style {
            Some(WorldStyle::Log(_)) => WorldStyle::Log(log_kind),
            Some(style) => style,
            None if log_drawn => WorldStyle::Log(log_kind),
            None => writer.style,
        };
        let writer = WriterShape { style, ..writer };
        let log_max_segments = rng::uniform_u64(&mut log_rng, 2, 12) as usize;
        let log_frequency_ms = rng::uniform_u64(&mut log_rng, 500, 20_000);
        let log_before_checkpoint = rng::chance(&mut log_rng, 0.5);
        let mut client_rng = rng::stream(seed, "config/clients");
        let drawn_clients = rng::uniform_u64(&mut client_rng, 2, 8) as u32;
        let get_share = rng::uniform_f64(&mut client_rng, 0.2, 0.6);
        let clients = ClientShape {
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
        };
        let mut lsm_rng = rng::stream(seed, "config/lsm");
        let checkpoint_interval_ms = rng::uniform_u64(&mut lsm_rng, 2_000, 60_000);
        let lsm = LsmShape {
            topology: if rng::chance(&mut lsm_rng, 0.5) {
                Topology::Embedded
            } else {
                Topology::Standalone
            },
            durability: if rng::chance(&mut lsm_rng, 0.7) {
                Durability::Wal
            } else {
                Durability::Checkpoint
            },
            force_delete: overrides.force_delete,
            checkpoint_interval_ms,
            checkpoint_lifetime_ms: checkpoint_interval_ms.saturating_mul(rng::uniform_u64(
                &mut lsm_rng,
                3,
                10,
            )),
            gc_interval_ms: rng::uniform_u64(&mut lsm_rng, 500, 20_000),
            compactor_poll_ms: rng::uniform_u64(&mut lsm_rng, 50, 2_000),
            compactor_jobs_max: rng::uniform_u64(&mut lsm_rng, 1, 3) as usize,
            bug: overrides.bug,
            remote: RemoteShape::draw(seed, fault_level),
            log_max_segments,
            log_compaction_frequency_ms: log_frequency_ms,
        };
        // Swarm runs also draw the remote topology, from its own stream so that the other
        // draws stay what they were (and runs at fixed fault levels keep their topology).
        let drawn_remote = fault_level == FaultLevel::Swarm
            && rng::chance(&mut rng::stream(seed, "config/topology-remote"), 0.3);
        let lsm = LsmShape {
            topology: if drawn_remote {
                Topology::Remote
            } else {
                lsm.topology
            },
            ..lsm
        };
        let topology = overrides.topology.unwrap_or(lsm.topology);
        let lsm = LsmShape {
            topology,
            durability: overrides.durability.unwrap_or(lsm.durability),
            log_compaction_frequency_ms: if log_before_checkpoint && topology == Topology::Embedded
            {
                0
            } else {
                log_frequency_ms
            },
            ..lsm
        };
        let mut clients = workload::resolve(clients, overrides.workload.as_deref());
        clients.drain = DrainShape::draw(seed, lsm.topology, clients.key_space);
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
