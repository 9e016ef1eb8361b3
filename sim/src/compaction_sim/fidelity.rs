//! The RocksDB reference `compaction-sim` is held to: figures from real RocksDB (through
//! `rocksdict`, by `tools/rocksdb_reference.py`) on the same streams and options, committed
//! as `sim/testdata/rocksdb_reference.json` so that tests and reports need no Python.

use super::{
    CompactionSimArgs, CompactionSimError, CompactionSimReport, SimSchedule, SimStyle, SimWorkload,
    run,
};
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
    /// Flushed table bytes per second of flush time (`flush_started` to `flush_finished`).
    pub flush_mib_per_s: f64,
    /// Microseconds the compaction thread spent per input table it deleted after a job.
    pub table_delete_us: f64,
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

    /// compaction-sim's arguments for `row` at the reference's scale in `schedule`. The
    /// concurrent fields are the defaults here: [`Reference::replay_args`] sets them from
    /// one RocksDB run.
    pub fn args(&self, row: &ReferenceRow, schedule: SimSchedule) -> CompactionSimArgs {
        let scale = &self.scale;
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
            shape_every: 0,
            ..CompactionSimArgs::default()
        }
    }

    /// The concurrent schedule once per RocksDB concurrent run of `row`, each at that run's
    /// writer, merge and flush rates and table-deletion time, so each replay races the way
    /// that run did. (The figures are chaotic in those rates: one replay at the runs' mean
    /// rates is one sample, not RocksDB's behaviour.) FIFO runs merge nothing, so their
    /// merge rate stays the default; their flushes run at their own measured rate.
    pub fn replay_args(&self, row: &ReferenceRow) -> Vec<CompactionSimArgs> {
        let base = self.args(row, SimSchedule::Concurrent);
        row.concurrent
            .iter()
            .map(|run| {
                let writer_rate = run.writer_puts_per_s.round() as u64;
                assert!(writer_rate > 0, "{}: a run without puts", row.name);
                CompactionSimArgs {
                    write_rate_puts_per_s: writer_rate,
                    merge_mib_per_s: if run.merge_mib_per_s > 0.0 {
                        run.merge_mib_per_s
                    } else {
                        base.merge_mib_per_s
                    },
                    flush_mib_per_s: Some(run.flush_mib_per_s),
                    table_delete_us: run.table_delete_us,
                    ..base.clone()
                }
            })
            .collect()
    }

    /// Runs [`Reference::replay_args`], one thread per replay (each run is deterministic
    /// and independent), in the order of `row.concurrent`.
    pub fn replay(
        &self,
        row: &ReferenceRow,
    ) -> Result<Vec<CompactionSimReport>, CompactionSimError> {
        let all_args = self.replay_args(row);
        std::thread::scope(|scope| {
            let handles: Vec<_> = all_args
                .iter()
                .map(|args| scope.spawn(move || run(args)))
                .collect();
            handles
                .into_iter()
                .map(|handle| match handle.join() {
                    Ok(result) => result,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut sorted: Vec<f64> = values.into_iter().collect();
    assert!(!sorted.is_empty(), "the median of nothing");
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    }
}
