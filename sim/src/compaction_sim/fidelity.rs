//! The RocksDB reference `compaction-sim` is held to: figures from real RocksDB (through
//! `rocksdict`, by `tools/rocksdb_reference.py`) on the same streams and options, committed
//! as `sim/testdata/rocksdb_reference.json` so that tests and reports need no Python.

use super::{CompactionSimArgs, SimSchedule, SimStyle, SimWorkload};
use serde::Deserialize;

/// The committed reference.
pub const REFERENCE_JSON: &str = include_str!("../../testdata/rocksdb_reference.json");

/// The reference's scale: the presets' options and stream divided by 4 (see the script).
#[derive(Clone, Debug, Deserialize)]
pub struct ReferenceScale {
    pub updates: u64,
    pub memtable_bytes: u64,
    pub base_bytes: u64,
    pub target_file_bytes: u64,
    pub trigger: usize,
    pub multiplier: f64,
    pub num_levels: usize,
    pub value_bytes: usize,
    pub max_size_amp_percent: u64,
    pub size_ratio: u32,
    pub fifo_max_table_files_bytes: u64,
    pub space_sample_every_puts: u64,
}

/// One RocksDB run's figures (exact bytes from its LOG events).
#[derive(Clone, Debug, Deserialize)]
pub struct RocksdbRun {
    pub flushes: u64,
    pub flush_bytes: u64,
    pub user_bytes: u64,
    /// Flush bytes into L0, compaction output bytes into their output level.
    pub level_bytes_written: Vec<u64>,
    pub write_amplification: f64,
    pub write_amplification_vs_flush: f64,
    pub space_amplification_mean: f64,
    pub sorted_runs_max: usize,
    pub stall_time_s: f64,
    /// The writer's own rate (puts over the time spent putting, less stalls).
    pub writer_puts_per_s: f64,
    /// Input + output bytes per second of compaction time.
    pub merge_mib_per_s: f64,
}

/// One preset: RocksDB quiesced once, concurrent several times.
#[derive(Clone, Debug, Deserialize)]
pub struct ReferenceRow {
    pub name: String,
    pub style: SimStyle,
    pub workload: SimWorkload,
    pub keys: u64,
    pub quiesced: RocksdbRun,
    pub concurrent: Vec<RocksdbRun>,
}

/// The whole reference.
#[derive(Clone, Debug, Deserialize)]
pub struct Reference {
    pub rocksdb_version: String,
    pub rocksdict_version: String,
    pub scale: ReferenceScale,
    pub rows: Vec<ReferenceRow>,
}

impl Reference {
    /// The committed reference, parsed.
    pub fn committed() -> Result<Reference, serde_json::Error> {
        serde_json::from_str(REFERENCE_JSON)
    }

    /// compaction-sim's arguments for `row` at the reference's scale. The concurrent
    /// schedule runs at the writer and merge rates RocksDB showed in its own concurrent
    /// runs (their means), so both sides race the same way.
    pub fn args(&self, row: &ReferenceRow, schedule: SimSchedule) -> CompactionSimArgs {
        let scale = &self.scale;
        let runs = row.concurrent.len().max(1) as f64;
        let mean =
            |figure: fn(&RocksdbRun) -> f64| row.concurrent.iter().map(figure).sum::<f64>() / runs;
        let defaults = CompactionSimArgs::default();
        let writer_rate = mean(|run| run.writer_puts_per_s).round() as u64;
        let merge_rate = mean(|run| run.merge_mib_per_s);
        CompactionSimArgs {
            style: row.style,
            workload: row.workload,
            keys: Some(row.keys),
            updates: scale.updates,
            value_bytes: scale.value_bytes,
            memtable_bytes: scale.memtable_bytes,
            base_bytes: scale.base_bytes,
            target_file_bytes: scale.target_file_bytes,
            trigger: scale.trigger,
            multiplier: scale.multiplier,
            num_levels: scale.num_levels,
            size_ratio: scale.size_ratio,
            max_size_amp_percent: scale.max_size_amp_percent,
            fifo_max_table_files_bytes: scale.fifo_max_table_files_bytes,
            space_sample_every_puts: scale.space_sample_every_puts,
            schedule,
            write_rate_puts_per_s: if writer_rate > 0 {
                writer_rate
            } else {
                defaults.write_rate_puts_per_s
            },
            merge_mib_per_s: if merge_rate > 0.0 {
                merge_rate
            } else {
                defaults.merge_mib_per_s
            },
            shape_every: 0,
            ..defaults
        }
    }
}
