//! The matrix: which styles run which workloads, and the one world configuration each cell
//! runs with. Every cell shares the shape (clients, memtable, key space, op count) so the
//! styles are compared on equal terms; only the style and the workload change.

use crate::pool;
use lsm_core::roles::writer::Durability;
use serde::Serialize;
use sim::world::{
    FaultLevel, Overrides, Topology, WorldConfig, WorldStyle, set_workload, world_preset,
};

/// The seed of every cell (the configuration is fixed below; the seed drives the op
/// streams, the latencies and, with `--faults`, the faults).
pub const SEED: u64 = 1;

/// The workloads every style runs.
const COMMON_WORKLOADS: [&str; 4] = [
    "uniform-overwrite",
    "insert-random",
    "ycsb-a",
    "delete-heavy",
];
/// FIFO's own workload: a time series.
const FIFO_WORKLOAD: &str = "ttl-series";

/// Operations of each full-report matrix cell: the largest scale measured to keep the 13
/// cells within 10 minutes on 2 cores. With full-memtable flushes they took 376 s at
/// `--jobs 2` (FIFO insert-random 158 s, leveled insert-random 116 s); at 1 M they took
/// 667.5 s (FIFO insert-random 308 s), just over. A cell's time grows faster than its
/// operations: insert-random's key space is the run's operation count and its final pass
/// reads every key; under FIFO each of those reads probes every L0 table, and the L0
/// deepens with the key space. Elsewhere the writer, GC and checks re-read a manifest that
/// grows with the table count on each version.
pub const FULL_MATRIX_OPS: u64 = 600_000;

/// Simulated time between the writer's checkpoints in every cell. A checkpoint flushes the
/// memtable, so at seed 1's drawn 4 s the cells' flushes were a third of the memtable
/// (21 KiB of 64) and their RocksDB-style write amplification measured the checkpoint
/// cadence (universal insert-random 73 at 600 k operations). 120 s is longer than any
/// cell takes to fill a memtable (under 50 s), so flushes are the memtable's, as RocksDB's
/// are, and the checkpoints still run (tens to hundreds a cell).
pub const CHECKPOINT_INTERVAL_MS: u64 = 120_000;

/// WAL segments a memtable may span before it is flushed. A cell's group commits carry
/// about 4 entries, so a 64 KiB memtable spans about 130 segments; the writer's default of
/// 64 flushed it half full.
pub const WAL_SEGMENTS_FLUSH_TRIGGER: u64 = 1_024;

/// Makes the memtable's size what ends it: checkpoints and the WAL-segment bound come
/// later than a full memtable in every cell. The checkpoints' lifetime keeps its drawn
/// multiple of their interval.
fn flush_when_the_memtable_is_full(config: &mut WorldConfig) {
    let lsm = &mut config.lsm;
    assert!(lsm.checkpoint_interval_ms > 0);
    let lifetime_factor = lsm.checkpoint_lifetime_ms / lsm.checkpoint_interval_ms;
    assert!(lifetime_factor >= 1, "a checkpoint outlives its interval");
    lsm.checkpoint_interval_ms = CHECKPOINT_INTERVAL_MS;
    lsm.checkpoint_lifetime_ms = CHECKPOINT_INTERVAL_MS * lifetime_factor;
    config.writer.wal_segments_flush_trigger = WAL_SEGMENTS_FLUSH_TRIGGER;
}

/// How big the runs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Scale {
    pub ops: u64,
    pub key_space: u64,
    pub clients: u32,
    pub memtable_size_bytes: u64,
}

impl Scale {
    pub fn full() -> Scale {
        Scale {
            ops: 120_000,
            key_space: 8_192,
            clients: 8,
            memtable_size_bytes: 64 << 10,
        }
    }

    pub fn quick() -> Scale {
        Scale {
            ops: 4_000,
            key_space: 512,
            clients: 8,
            memtable_size_bytes: 16 << 10,
        }
    }
}

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub style: WorldStyle,
    pub workload: &'static str,
}

impl Cell {
    pub fn label(&self) -> String {
        format!("{} × {}", self.style.name(), self.workload)
    }
}

/// Styles in the order the report shows them.
pub const STYLES: [WorldStyle; 3] = [WorldStyle::Leveled, WorldStyle::Universal, WorldStyle::Fifo];

/// Every cell: each style on the common workloads, and FIFO on the TTL series.
pub fn cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for style in STYLES {
        for workload in COMMON_WORKLOADS {
            cells.push(Cell { style, workload });
        }
        if style == WorldStyle::Fifo {
            cells.push(Cell {
                style,
                workload: FIFO_WORKLOAD,
            });
        }
    }
    cells
}

/// The cells' indices, the costliest first, so that on `--jobs` threads the long cells
/// start at once rather than last and alone. Insert-random's key space is the run's
/// operation count, so its trees are the deepest and its final reads (every key) the most;
/// under FIFO each of those reads probes every L0 table. The TTL series comes next.
pub fn costliest_first(cells: &[Cell]) -> Vec<usize> {
    pool::order_by(cells, |cell| match (cell.style, cell.workload) {
        (WorldStyle::Fifo, "insert-random") => 0,
        (_, "insert-random") => 1,
        (_, FIFO_WORKLOAD) => 2,
        _ => 3,
    })
}

/// Workloads in the order the report shows them.
pub fn workloads() -> Vec<&'static str> {
    let mut names = COMMON_WORKLOADS.to_vec();
    names.push(FIFO_WORKLOAD);
    names
}

/// The world configuration of `cell` at `scale` with `faults`, in `topology` with a WAL
/// (every cell the same regime, so cells differ only in style and workload).
pub fn config(cell: &Cell, scale: Scale, faults: FaultLevel, topology: Topology) -> WorldConfig {
    let mut config = config_as_drawn(cell, scale, faults, topology);
    flush_when_the_memtable_is_full(&mut config);
    config
}

/// The cell's shape on seed 1's drawn protocol timing (its checkpoint interval, the
/// writer's WAL-segment bound).
fn config_as_drawn(
    cell: &Cell,
    scale: Scale,
    faults: FaultLevel,
    topology: Topology,
) -> WorldConfig {
    let overrides = Overrides {
        ops: Some(scale.ops),
        clients: Some(scale.clients),
        style: Some(cell.style),
        faults: Some(faults),
        topology: Some(topology),
        durability: Some(Durability::Wal),
        ..Overrides::default()
    };
    let mut config = WorldConfig::draw(SEED, &overrides);
    config.writer.memtable_size_bytes = scale.memtable_size_bytes;
    config.writer.commit_entries_max = 16;
    config.writer.commit_window_ms = 2;
    config.clients.think_ms_mean = 20;
    config.clients.op_timeout_ms = 10_000;
    config.clients.key_space = scale.key_space;
    if let Some(spec) = world_preset(cell.workload, scale.key_space, scale.ops) {
        set_workload(&mut config.clients, spec);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::{Cell, Scale, cells, config, config_as_drawn, costliest_first};
    use sim::world::{FaultLevel, Topology, WorldStyle};

    /// Mean bytes of one flush in a short leveled uniform-overwrite cell at the full
    /// report's shape, as a share of the memtable, with or without the flush regime.
    fn flush_share_of_memtable(regime: bool) -> f64 {
        let cell = Cell {
            style: WorldStyle::Leveled,
            workload: "uniform-overwrite",
        };
        let scale = Scale {
            ops: 20_000,
            ..Scale::full()
        };
        let (faults, topology) = (FaultLevel::None, Topology::Embedded);
        let config = if regime {
            config(&cell, scale, faults, topology)
        } else {
            config_as_drawn(&cell, scale, faults, topology)
        };
        let run = sim::world::run(config, None, String::new()).unwrap();
        let flushed = run.series.as_ref().map_or(0, |series| series.flush_bytes);
        assert!(run.flushes > 10, "{} flushes", run.flushes);
        flushed as f64 / run.flushes as f64 / scale.memtable_size_bytes as f64
    }

    #[test]
    fn a_cell_flushes_its_memtable_full_not_at_each_checkpoint() {
        let full = flush_share_of_memtable(true);
        assert!(full > 0.6, "{full}");
        let drawn = flush_share_of_memtable(false);
        assert!(drawn < 0.5 * full, "{drawn} vs {full}");
    }

    #[test]
    fn the_insert_random_cells_start_first_fifo_before_the_others() {
        let cells = cells();
        let order = costliest_first(&cells);
        let labels: Vec<String> = order.iter().map(|index| cells[*index].label()).collect();
        assert_eq!(labels[0], "fifo × insert-random");
        assert_eq!(labels[1], "leveled × insert-random");
        assert_eq!(labels[2], "universal × insert-random");
        assert_eq!(labels[3], "fifo × ttl-series");
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..cells.len()).collect::<Vec<_>>());
    }
}
