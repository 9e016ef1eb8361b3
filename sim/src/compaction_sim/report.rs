//! What a simulation reports.

use super::{SimSchedule, SimStyle, SimWorkload};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One level of the tree at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelShape {
    pub level: usize,
    pub files: usize,
    pub size_bytes: u64,
}

/// The tree after a flush and the compactions it triggered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeSample {
    pub flush: u64,
    pub puts: u64,
    pub levels: Vec<LevelShape>,
    pub sorted_runs: usize,
}

/// Jobs of one compaction reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonTotals {
    pub jobs: u64,
    pub input_bytes: u64,
    pub output_bytes: u64,
    pub moved_files: u64,
    pub deleted_files: u64,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompactionSimReport {
    pub style: SimStyle,
    pub workload: SimWorkload,
    pub schedule: SimSchedule,
    pub seed: u64,
    pub puts: u64,
    pub keys: u64,
    pub key_bytes: usize,
    pub value_bytes: usize,
    /// The strategy and its options as run.
    pub options: serde_json::Value,
    /// Key + value bytes of every put.
    pub user_bytes: u64,
    pub flushes: u64,
    /// Encoded bytes of the L0 tables flushed.
    pub flush_bytes: u64,
    /// Encoded bytes written by compactions (merges only; moves and deletions write none).
    pub compaction_bytes_written: u64,
    pub compaction_bytes_read: u64,
    /// Bytes written into each level: flushes into L0, compaction outputs into their
    /// output level (RocksDB's per-level "Write(GB)").
    pub level_bytes_written: Vec<u64>,
    pub compactions: u64,
    pub trivial_moves: u64,
    pub deletions: u64,
    /// The most compactions one flush triggered.
    pub max_compactions_per_flush: u64,
    pub by_reason: BTreeMap<String, ReasonTotals>,
    pub entries_dropped_shadowed: u64,
    pub entries_dropped_tombstones: u64,
    /// (flush + compaction bytes written) ÷ user bytes. Includes the SST encoding overhead
    /// (entry framing, index, filter), so even FIFO is above 1.
    pub write_amplification: f64,
    /// RocksDB's own measure: (flush + compaction bytes written) ÷ flush bytes (exactly 1
    /// when nothing is compacted, as with FIFO).
    pub write_amplification_vs_flush: f64,
    /// Live SST bytes ÷ live logical bytes, after the last compaction.
    pub space_amplification: f64,
    /// The mean of space amplification sampled every `space_sample_every_puts` puts over
    /// the second half of the run (the final figure is one point on a sawtooth).
    pub space_amplification_mean: f64,
    pub sst_bytes: u64,
    pub live_keys: u64,
    /// Key + value bytes of the newest version of every live key.
    pub live_logical_bytes: u64,
    /// The most sorted runs seen, right after a flush (before its compactions).
    pub sorted_runs_max: usize,
    pub sorted_runs_final: usize,
    /// Concurrent schedule: simulated seconds the writer spent slowed down or stopped
    /// beyond its own rate (0 when quiesced).
    pub stall_time_s: f64,
    /// Concurrent schedule: simulated seconds until the last compaction ended.
    pub sim_time_s: f64,
    pub shape: Vec<ShapeSample>,
    pub final_shape: Vec<LevelShape>,
}
