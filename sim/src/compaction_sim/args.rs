//! The simulator's options. Defaults are the figures' presets: memtables of 4 MiB, trigger
//! 4, base 16 MiB, multiplier 10, target file 4 MiB, dynamic level bytes, no compression,
//! 16-byte keys and 100-byte values, 4 M puts (500 k keys for uniform-overwrite).

use super::CompactionSimError;
use clap::{ArgAction, Args, ValueEnum};
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::fifo::FifoOptions;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::memtable::ROCKSDB_ENTRY_OVERHEAD_BYTES;
use lsm_core::sst::SstOptions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The default `--table-delete-us`: RocksDB's compaction thread unlinking a 1 MiB input
/// table on ext4, as the reference runs measured it (0.6 to 0.9 ms).
pub const TABLE_DELETE_US_DEFAULT: f64 = 750.0;

/// When compactions run relative to the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimSchedule {
    /// After each flush the writer waits until the picker is idle; compaction takes no time.
    Quiesced,
    /// Simulated time: a writer at `--write-rate-puts-per-s`, one flush slot and
    /// `--compaction-slots` compaction slots merging at `--merge-mib-per-s`, RocksDB's
    /// slowdown and stop rules holding the writer back.
    Concurrent,
}

/// Which strategy to drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimStyle {
    Leveled,
    Universal,
    Fifo,
}

/// The stream of writes: one of the two built-in put streams, or any other `workloads`
/// preset by name (its puts, deletes and read-modify-writes; reads write nothing and are
/// skipped). Written and read as its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimWorkload {
    /// Uniformly random keys over `--keys` (500 k by default): overwrites included.
    UniformOverwrite,
    /// Every key once, in random order (`--keys` defaults to `--updates`).
    InsertRandom,
    /// Another preset of the `workloads` crate (its name, from `preset_names`).
    Preset(&'static str),
}

impl SimWorkload {
    /// The workload's name, as `--workload` takes it.
    pub fn name(self) -> &'static str {
        match self {
            SimWorkload::UniformOverwrite => "uniform-overwrite",
            SimWorkload::InsertRandom => "insert-random",
            SimWorkload::Preset(name) => name,
        }
    }

    /// The workload named `name`: the two built-in streams keep their own generators (and
    /// figures); every other preset name drives the preset's stream.
    pub fn parse(name: &str) -> Result<SimWorkload, String> {
        match name {
            "uniform-overwrite" => Ok(SimWorkload::UniformOverwrite),
            "insert-random" => Ok(SimWorkload::InsertRandom),
            _ => workloads::preset_names()
                .iter()
                .find(|preset| **preset == name)
                .map(|preset| SimWorkload::Preset(preset))
                .ok_or_else(|| {
                    format!(
                        "unknown workload {name:?}; expected one of: {}",
                        workloads::preset_names().join(", ")
                    )
                }),
        }
    }
}

impl std::fmt::Display for SimWorkload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for SimWorkload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SimWorkload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        SimWorkload::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// `sim compaction-sim`.
#[derive(Clone, Debug, Args, Serialize, Deserialize)]
pub struct CompactionSimArgs {
    /// Compaction strategy.
    #[arg(long, value_enum, default_value_t = SimStyle::Leveled)]
    pub style: SimStyle,
    /// Write stream: uniform-overwrite, insert-random, or any `workloads` preset name.
    #[arg(long, value_parser = SimWorkload::parse, default_value = "uniform-overwrite")]
    pub workload: SimWorkload,
    /// Key space (default: 500000 for uniform-overwrite, --updates for insert-random).
    #[arg(long)]
    pub keys: Option<u64>,
    /// Number of puts.
    #[arg(long, default_value_t = 4_000_000)]
    pub updates: u64,
    /// Value size in bytes (keys are 16 bytes).
    #[arg(long, default_value_t = 100)]
    pub value_bytes: usize,
    /// Seed of the put stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Memtable size that triggers a flush (RocksDB: write_buffer_size).
    #[arg(long, default_value_t = 4 << 20)]
    pub memtable_bytes: u64,
    /// Bytes the memtable charges per entry beyond key and value; the default is what
    /// RocksDB's skip-list arena charges, so flushes come as often as RocksDB's.
    #[arg(long, default_value_t = ROCKSDB_ENTRY_OVERHEAD_BYTES)]
    pub memtable_entry_overhead_bytes: u64,
    /// quiesced (compaction after each flush until idle) or concurrent (simulated time).
    #[arg(long, value_enum, default_value_t = SimSchedule::Quiesced)]
    pub schedule: SimSchedule,
    /// Concurrent: the writer's rate when not stalled (the default is about what one
    /// Python thread putting through `rocksdict` reaches).
    #[arg(long, default_value_t = 200_000)]
    pub write_rate_puts_per_s: u64,
    /// Concurrent: bytes one compaction slot reads and writes per second, in MiB/s of
    /// input + output (and the flush slot's rate without `--flush-mib-per-s`). The default
    /// is Sediment's own merge speed from
    /// `cargo run --release -p lsm-core --example core_bench` on the development machine:
    /// an 8-way merge at 85.3 MB/s of input and SST building at 41.8 MB/s, together about
    /// 28 MB/s of input, so about 53 MiB/s of input + output.
    #[arg(long, default_value_t = 53.0)]
    pub merge_mib_per_s: f64,
    /// Concurrent: bytes of L0 table the flush slot writes per second, in MiB/s (default:
    /// `--merge-mib-per-s`). A flush only writes, so it runs faster than a merge: RocksDB's
    /// flushes in `tools/rocksdb_reference.py` wrote at their own measured rate.
    #[arg(long)]
    pub flush_mib_per_s: Option<f64>,
    /// Concurrent: compaction slots (RocksDB: max_background_jobs minus the flush slot).
    #[arg(long, default_value_t = 1)]
    pub compaction_slots: usize,
    /// Concurrent: RocksDB's delayed_write_rate (bytes/s): where the rate of slowed-down
    /// writes starts, and its cap while it adapts.
    #[arg(long, default_value_t = 16 << 20)]
    pub delayed_write_rate_bytes_per_s: u64,
    /// Concurrent: how long a compaction keeps its slot after its result is installed,
    /// per input table it deletes, in microseconds. RocksDB's compaction thread unlinks
    /// its obsolete inputs itself before it takes the next job; the default is what
    /// `tools/rocksdb_reference.py` measured for 1 MiB tables on ext4 (0.6 to 0.9 ms).
    /// 0 models a store that deletes elsewhere (Sediment's GC role).
    #[arg(long, default_value_t = TABLE_DELETE_US_DEFAULT)]
    pub table_delete_us: f64,
    /// Sample space amplification every this many puts (the figure is the mean over the
    /// second half of the run).
    #[arg(long, default_value_t = 16_384)]
    pub space_sample_every_puts: u64,
    /// Write the put stream to this file (9 bytes a write: b'P' or b'D', then the key id
    /// as a big-endian u64) and exit: what `tools/rocksdb_reference.py` replays.
    #[arg(long)]
    pub dump_stream: Option<PathBuf>,
    /// level0_file_num_compaction_trigger.
    #[arg(long, default_value_t = 4)]
    pub trigger: usize,
    /// max_bytes_for_level_base.
    #[arg(long, default_value_t = 16 << 20)]
    pub base_bytes: u64,
    /// max_bytes_for_level_multiplier.
    #[arg(long, default_value_t = 10.0)]
    pub multiplier: f64,
    /// target_file_size_base.
    #[arg(long, default_value_t = 4 << 20)]
    pub target_file_bytes: u64,
    /// level_compaction_dynamic_level_bytes.
    #[arg(long, action = ArgAction::Set, default_value_t = true)]
    pub dynamic_level_bytes: bool,
    /// num_levels (leveled and universal).
    #[arg(long, default_value_t = 7)]
    pub num_levels: usize,
    /// max_compaction_bytes (0: 25 × target file size).
    #[arg(long, default_value_t = 0)]
    pub max_compaction_bytes: u64,
    /// Universal: max_size_amplification_percent.
    #[arg(long, default_value_t = 200)]
    pub max_size_amp_percent: u64,
    /// Universal: size_ratio (percent).
    #[arg(long, default_value_t = 1)]
    pub size_ratio: u32,
    /// FIFO: max_table_files_size.
    #[arg(long, default_value_t = 1 << 30)]
    pub fifo_max_table_files_bytes: u64,
    /// FIFO: allow_compaction (intra-L0 merges).
    #[arg(long, action = ArgAction::Set, default_value_t = false)]
    pub fifo_allow_compaction: bool,
    /// FIFO: ttl in simulated milliseconds (one put = 1 ms); 0 disables.
    #[arg(long, default_value_t = 0)]
    pub ttl_ms: u64,
    /// SST bloom filter bits per key (0: none).
    #[arg(long, default_value_t = 10)]
    pub bloom_bits: u32,
    /// SST data block size.
    #[arg(long, default_value_t = 4096)]
    pub block_bytes: usize,
    /// Record the tree's shape every this many flushes (0: final shape only).
    #[arg(long, default_value_t = 16)]
    pub shape_every: u64,
    /// Bound on compactions after one flush; exceeding it is an error.
    #[arg(long, default_value_t = 1000)]
    pub max_compactions_per_flush: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl Default for CompactionSimArgs {
    fn default() -> Self {
        CompactionSimArgs {
            style: SimStyle::Leveled,
            workload: SimWorkload::UniformOverwrite,
            keys: None,
            updates: 4_000_000,
            value_bytes: 100,
            seed: 1,
            memtable_bytes: 4 << 20,
            memtable_entry_overhead_bytes: ROCKSDB_ENTRY_OVERHEAD_BYTES,
            schedule: SimSchedule::Quiesced,
            write_rate_puts_per_s: 200_000,
            merge_mib_per_s: 53.0,
            flush_mib_per_s: None,
            compaction_slots: 1,
            delayed_write_rate_bytes_per_s: 16 << 20,
            table_delete_us: TABLE_DELETE_US_DEFAULT,
            space_sample_every_puts: 16_384,
            dump_stream: None,
            trigger: 4,
            base_bytes: 16 << 20,
            multiplier: 10.0,
            target_file_bytes: 4 << 20,
            dynamic_level_bytes: true,
            num_levels: 7,
            max_compaction_bytes: 0,
            max_size_amp_percent: 200,
            size_ratio: 1,
            fifo_max_table_files_bytes: 1 << 30,
            fifo_allow_compaction: false,
            ttl_ms: 0,
            bloom_bits: 10,
            block_bytes: 4096,
            shape_every: 16,
            max_compactions_per_flush: 1000,
            json: false,
        }
    }
}

impl CompactionSimArgs {
    /// The key space after defaults, checked against the workload.
    pub fn key_space(&self) -> Result<u64, CompactionSimError> {
        let keys = match (self.keys, self.workload) {
            (Some(keys), _) => keys,
            (None, SimWorkload::UniformOverwrite) => 500_000,
            (None, SimWorkload::InsertRandom) => self.updates,
            (None, SimWorkload::Preset(_)) => workloads::DEFAULT_KEY_SPACE,
        };
        if keys == 0 {
            return Err(CompactionSimError::BadArgs(
                "--keys must be at least 1".into(),
            ));
        }
        if self.workload == SimWorkload::InsertRandom && keys < self.updates {
            return Err(CompactionSimError::BadArgs(format!(
                "insert-random writes each key once: --keys {keys} is below --updates {}",
                self.updates
            )));
        }
        if self.workload == SimWorkload::InsertRandom && keys > u64::from(u32::MAX) {
            return Err(CompactionSimError::BadArgs(
                "insert-random supports at most 2^32 keys".into(),
            ));
        }
        Ok(keys)
    }

    /// The strategy with its options.
    pub fn compaction_style(&self) -> CompactionStyle {
        match self.style {
            SimStyle::Leveled => CompactionStyle::Leveled(LeveledOptions {
                num_levels: self.num_levels,
                level0_file_num_compaction_trigger: self.trigger,
                max_bytes_for_level_base: self.base_bytes,
                max_bytes_for_level_multiplier: self.multiplier,
                level_compaction_dynamic_level_bytes: self.dynamic_level_bytes,
                target_file_size_base: self.target_file_bytes,
                max_compaction_bytes: self.max_compaction_bytes,
                ..LeveledOptions::default()
            }),
            SimStyle::Universal => CompactionStyle::Universal(UniversalOptions {
                num_levels: self.num_levels,
                level0_file_num_compaction_trigger: self.trigger,
                size_ratio: self.size_ratio,
                max_size_amplification_percent: self.max_size_amp_percent,
                write_buffer_size: self.memtable_bytes,
                target_file_size_base: self.target_file_bytes,
                ..UniversalOptions::default()
            }),
            SimStyle::Fifo => CompactionStyle::Fifo(FifoOptions {
                max_table_files_size: self.fifo_max_table_files_bytes,
                ttl_ms: self.ttl_ms,
                allow_compaction: self.fifo_allow_compaction,
                level0_file_num_compaction_trigger: self.trigger,
                write_buffer_size: self.memtable_bytes,
                max_compaction_bytes: self.max_compaction_bytes,
            }),
        }
    }

    pub fn sst_options(&self) -> SstOptions {
        SstOptions {
            block_size_bytes: self.block_bytes,
            bloom_bits_per_key: self.bloom_bits,
            ..SstOptions::default()
        }
    }

    /// Checks the values that would make the run meaningless.
    pub fn validate(&self) -> Result<(), CompactionSimError> {
        if self.memtable_bytes == 0 || self.target_file_bytes == 0 || self.base_bytes == 0 {
            return Err(CompactionSimError::BadArgs(
                "--memtable-bytes, --target-file-bytes and --base-bytes must be positive".into(),
            ));
        }
        if self.trigger == 0 || self.num_levels == 0 {
            return Err(CompactionSimError::BadArgs(
                "--trigger and --num-levels must be at least 1".into(),
            ));
        }
        if self.style == SimStyle::Leveled && self.num_levels < 2 {
            return Err(CompactionSimError::BadArgs(
                "leveled compaction needs --num-levels of at least 2".into(),
            ));
        }
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            return Err(CompactionSimError::BadArgs(
                "--multiplier must be at least 1".into(),
            ));
        }
        if self.space_sample_every_puts == 0 {
            return Err(CompactionSimError::BadArgs(
                "--space-sample-every-puts must be positive".into(),
            ));
        }
        if self.schedule == SimSchedule::Concurrent
            && (self.write_rate_puts_per_s == 0
                || self.compaction_slots == 0
                || self.delayed_write_rate_bytes_per_s == 0
                || !positive_rate(self.merge_mib_per_s)
                || !self.flush_mib_per_s.is_none_or(positive_rate))
        {
            return Err(CompactionSimError::BadArgs(
                "--write-rate-puts-per-s, --merge-mib-per-s, --flush-mib-per-s, \
                 --compaction-slots and --delayed-write-rate-bytes-per-s must be positive"
                    .into(),
            ));
        }
        if !(self.table_delete_us.is_finite() && self.table_delete_us >= 0.0) {
            return Err(CompactionSimError::BadArgs(
                "--table-delete-us must be a finite number of microseconds, at least 0".into(),
            ));
        }
        if self.block_bytes == 0 {
            return Err(CompactionSimError::BadArgs(
                "--block-bytes must be positive".into(),
            ));
        }
        self.key_space().map(|_| ())
    }
}

/// A rate in MiB/s a simulated slot can run at: finite and above zero.
fn positive_rate(mib_per_s: f64) -> bool {
    mib_per_s.is_finite() && mib_per_s > 0.0
}
