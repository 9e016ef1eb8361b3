//! C5: amplification within targets, measured once the tree has quiesced (no compaction
//! left to pick on the newest manifest). Each default target is an upper bound that follows
//! from what the style's picker guarantees at quiescence, plus the SST format's own
//! overheads, measured by encoding tables with core's builder under the writer's options
//! (so a tiny run, where index, filter and footer outweigh a few live keys, is held to what
//! its format costs rather than to a slack factor). Any target can be fixed on the command
//! line; `--no-c5` skips the check.
//!
//! Notation: `K` the key-space bound (every key id the run can touch), `E` = 16 + value
//! bytes (a live key's logical bytes), `e` the encoded bytes of one entry in a table of
//! many (E plus record framing, index and filter share), `o` the fixed bytes of a table
//! (footer, block trailers, the rounding of a small filter), `KE = K × e` (no sorted run
//! holds more than one entry per key, so no run exceeds it), `M` the memtable size, `T` the
//! level multiplier, `tables` the live tables, `live` the live logical bytes at the end.
//!
//! - Space (SST bytes referenced ÷ live logical bytes), encoded bytes over `live`:
//!   - leveled: `KE·T/(T−1)` (the last level, at most `KE`, and the levels above it, each
//!     under its target of 1/T of the one below) + `min(base, KE)` (the base level may
//!     hold up to `max_bytes_for_level_base` when the last level is small) +
//!     `(trigger−1)·min(M·e/E + batch, KE)` (L0 stays under its trigger) + `tables·o`;
//!   - universal: `max(trigger−1, 1 + P/100)·KE + tables·o`, P =
//!     `max_size_amplification_percent` (under the trigger at most trigger−1 runs; at or
//!     over it, the picker found no size-amplification compaction, so the runs above the
//!     last hold at most P% of it);
//!   - FIFO: `max_table_files_size` (the picker drops the oldest tables until under it).
//! - Write, RocksDB-style ((flush + compaction output) ÷ flush bytes):
//!   - leveled, the per-level fanout model: `1 + Σ over non-empty levels i ≥ 1 of
//!     (1 + r_i)`: every byte enters each level once and rewrites the overlapping bytes of
//!     that level, `r_base = S_base ÷ (trigger × mean flush)` for L0's merges and
//!     `r_i = S_i ÷ S_(i−1)` below (sizes of the final tree, the largest the tree was for a
//!     growing one); a merge of a partial level file set touches at most its overlap, so
//!     the full-level ratio bounds it;
//!   - universal: `1 + merges × peak ÷ flushed`: a merge outputs at most its inputs, which
//!     are at most the whole tree, which never exceeded the peak bytes a manifest referenced.
//!     Universal has no tighter bound in general: when the runs reach the trigger and no
//!     size-ratio merge applies, it merges the newest runs to reduce their number, which
//!     can rewrite the same run at every flush of a growing tree (seen: 19.5 on 120 k
//!     inserts, where the log2(flushes) estimate the report prints gives 12);
//!   - FIFO: `1` (it never merges without `allow_compaction`; drops write nothing).
//! - Read (SST data blocks per get, mean): `1 + runs·p + 3σ`: a get reads at most one block
//!   of the table that holds the key (one entry per key per table, one block per entry via
//!   the index), and each other table it consults costs a block only on a bloom false
//!   positive, `p = (1 − e^(−k/b))^k` for `b` bits per key and `k = round(b·ln 2)` probes;
//!   `runs` is the measured mean of sorted runs consulted per get, and `3σ =
//!   3·sqrt(runs·p ÷ gets)` the binomial spread of the false positives' mean over the run's
//!   gets.
//!
//! After a drain (`drain.rs`, remote runs only) the leveled write model has no bound: the
//! final tree it reads is what the drain left, not what the compactions rewrote.
//!
//! Failed or stale compactions under faults upload outputs that are never installed; they
//! count in the measured compaction output. Calibration over seeds 0..99 (heavy and swarm
//! faults) found the bounds above hold; the report lists each figure beside its target.

use super::config::WorldConfig;
use super::options::writer_options;
use super::outcome::{Amplification, CheckOutcome};
use bytes::Bytes;
use lsm_core::compaction::CompactionStyle;
use lsm_core::entry::Entry;
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::manifest::Manifest;
use lsm_core::sst::{SstOptions, build_sst};
use serde::Serialize;

/// Entries of the table whose size gives the per-entry encoded bytes.
const SAMPLE_TABLE_ENTRIES: u64 = 1_024;
/// A key's bytes: the world's keys are 16 bytes.
const KEY_BYTES: u64 = 16;

/// One figure held against its target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetCheck {
    /// `write_rocksdb`, `space` or `read_blocks_mean`.
    pub figure: String,
    pub measured: f64,
    pub target: f64,
    /// Where the target came from: the model's formula with its numbers, or "command line".
    pub basis: String,
    pub passed: bool,
}

/// What C5 found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct C5Report {
    /// Whether no compaction was left to pick when the figures were taken.
    pub quiescent: bool,
    pub checks: Vec<TargetCheck>,
}

impl C5Report {
    pub fn passed(&self) -> bool {
        self.quiescent && self.checks.iter().all(|check| check.passed)
    }

    /// C5's outcome: failed with each missed figure and its target, unless it passed.
    pub fn outcome(&self) -> CheckOutcome {
        CheckOutcome::new("C5", self.passed(), || {
            let mut missed: Vec<String> = self
                .checks
                .iter()
                .filter(|check| !check.passed)
                .map(|check| {
                    format!(
                        "{} {:.3} over target {:.3} ({})",
                        check.figure, check.measured, check.target, check.basis
                    )
                })
                .collect();
            if !self.quiescent {
                missed.insert(0, "the tree did not quiesce".to_string());
            }
            missed.join("; ")
        })
    }
}

/// The figures C5 reads besides the amplification summary.
pub struct C5Inputs<'a> {
    pub amplification: &'a Amplification,
    pub newest: Option<&'a Manifest>,
    pub flushes: u64,
    pub flush_bytes: u64,
    /// Compactions installed or found stale at install (each uploaded its outputs).
    pub merges: u64,
    /// The most SST bytes any manifest of the run referenced.
    pub peak_referenced_bytes: u64,
    /// Point reads measured.
    pub reads: u64,
}

/// Runs C5 on a quiesced (or not) run. `None` when disabled.
pub fn check(config: &WorldConfig, quiescent: bool, inputs: &C5Inputs<'_>) -> Option<C5Report> {
    let overrides = &config.targets;
    if overrides.disabled {
        return None;
    }
    let amplification = inputs.amplification;
    let mut checks = Vec::new();
    if amplification.live_logical_bytes > 0 {
        let (target, basis) = pick_target(overrides.space_amp, || space_target(config, inputs));
        checks.push(judge("space", amplification.space, target, basis));
    }
    if inputs.flush_bytes > 0 {
        let (target, basis) = pick_target(overrides.write_amp, || write_target(config, inputs));
        checks.push(judge(
            "write_rocksdb",
            amplification.write_rocksdb,
            target,
            basis,
        ));
    }
    if amplification.read_sorted_runs_mean > 0.0 {
        let (target, basis) = pick_target(overrides.read_blocks, || {
            read_target(config, amplification, inputs.reads)
        });
        checks.push(judge(
            "read_blocks_mean",
            amplification.read_blocks_mean,
            target,
            basis,
        ));
    }
    Some(C5Report { quiescent, checks })
}

fn pick_target(fixed: Option<f64>, model: impl FnOnce() -> (f64, String)) -> (f64, String) {
    match fixed {
        Some(target) => (target, "command line".to_string()),
        None => model(),
    }
}

fn judge(figure: &str, measured: f64, target: f64, basis: String) -> TargetCheck {
    TargetCheck {
        figure: figure.to_string(),
        measured,
        target,
        basis,
        passed: measured <= target,
    }
}

/// What the SST format costs: `(encoded bytes per entry in a large table, fixed bytes per
/// table)`, measured by building tables of `value_bytes` values under `options`; with
/// `expiring`, every entry carries an expiry (8 bytes more in the format), the bound for a
/// run in which puts may carry one.
pub fn sst_overheads(options: &SstOptions, value_bytes: u32, expiring: bool) -> (f64, f64) {
    let size_of = |entries: u64| -> f64 {
        let value = Bytes::from(vec![0xa5u8; value_bytes as usize]);
        let built = build_sst(
            options,
            (0..entries).map(|key| {
                let mut user_key = [0u8; KEY_BYTES as usize];
                user_key[..8].copy_from_slice(&key.to_be_bytes());
                let user_key = Bytes::copy_from_slice(&user_key);
                let seq = SeqNum(key + 1);
                if expiring {
                    Entry::put_expiring(user_key, seq, value.clone(), u64::MAX)
                } else {
                    Entry::put(user_key, seq, value.clone())
                }
            }),
            SstId(1),
            0,
        );
        built.map_or(0.0, |(bytes, _)| bytes.len() as f64)
    };
    let one = size_of(1);
    let many = size_of(SAMPLE_TABLE_ENTRIES);
    let per_entry = (many - one) / (SAMPLE_TABLE_ENTRIES - 1) as f64;
    (per_entry, (one - per_entry).max(0.0))
}

/// Whether some puts of `config`'s run carry an expiry.
fn expiring(config: &WorldConfig) -> bool {
    config.clients.ttl.is_some_and(|ttl| ttl.share > 0.0)
}

/// SST bytes per logical byte of one entry in a large table under `config`'s writer
/// options: the format's expansion.
pub fn sst_expansion(config: &WorldConfig) -> f64 {
    let value_bytes = config.clients.value_bytes.max(8);
    let (entry, _) = sst_overheads(&writer_options(config).sst, value_bytes, expiring(config));
    entry / (KEY_BYTES + u64::from(value_bytes)) as f64
}

/// The default space target and its basis.
fn space_target(config: &WorldConfig, inputs: &C5Inputs<'_>) -> (f64, String) {
    let options = writer_options(config);
    let live = inputs.amplification.live_logical_bytes.max(1) as f64;
    let logical_entry = (KEY_BYTES + u64::from(config.clients.value_bytes.max(8))) as f64;
    let value_bytes = config.clients.value_bytes.max(8);
    let (entry, table) = sst_overheads(&options.sst, value_bytes, expiring(config));
    let keys = config.clients.key_space.max(1) as f64;
    let ke = keys * entry;
    let tables = inputs
        .newest
        .map_or(0, |manifest| manifest.all_live_ssts().count()) as f64;
    let fixed = tables * table;
    let memtable = options.memtable_size_bytes as f64;
    let batch = options.commit_entries_max as f64 * entry;
    let l0_table = (memtable * entry / logical_entry + batch).min(ke);
    let (bytes, formula) = match options.compaction {
        Some(CompactionStyle::Leveled(leveled)) => {
            let t = leveled.max_bytes_for_level_multiplier.max(2.0);
            let base = (leveled.max_bytes_for_level_base as f64).min(ke);
            let trigger = leveled.level0_file_num_compaction_trigger.max(1) as f64;
            let bytes = ke * t / (t - 1.0) + base + (trigger - 1.0) * l0_table + fixed;
            let formula = format!(
                "leveled: (KE·T/(T−1) + min(base,KE) + (trigger−1)·L0table + tables·o) ÷ live \
                 = ({ke:.0}·{t}/{} + {base:.0} + {}·{l0_table:.0} + {tables}·{table:.0}) ÷ {live}",
                t - 1.0,
                trigger - 1.0
            );
            (bytes, formula)
        }
        Some(CompactionStyle::Universal(universal)) => {
            let trigger = universal.level0_file_num_compaction_trigger.max(1) as f64;
            let size_amp = 1.0 + universal.max_size_amplification_percent as f64 / 100.0;
            let runs = (trigger - 1.0).max(size_amp);
            let bytes = runs * ke + fixed;
            let formula = format!(
                "universal: (max(trigger−1, 1+P/100)·KE + tables·o) ÷ live \
                 = ({runs}·{ke:.0} + {tables}·{table:.0}) ÷ {live}"
            );
            (bytes, formula)
        }
        Some(CompactionStyle::Fifo(fifo)) => {
            let bytes = fifo.max_table_files_size as f64;
            let formula = format!("fifo: max_table_files_size ÷ live = {bytes} ÷ {live}");
            (bytes, formula)
        }
        Some(CompactionStyle::Log(_)) => (f64::INFINITY, "log: no model yet".to_string()),
        None => (f64::INFINITY, "no compaction: unbounded".to_string()),
    };
    (bytes / live, formula)
}

/// The default RocksDB-style write target and its basis.
fn write_target(config: &WorldConfig, inputs: &C5Inputs<'_>) -> (f64, String) {
    match writer_options(config).compaction {
        // The fanout model reads the final tree's level sizes; a drain (`drain.rs`) deletes
        // most of the tree before the end, so the final sizes say nothing of the levels the
        // compactions rewrote. No bound then (the report says why).
        Some(CompactionStyle::Leveled(_)) if config.clients.drain.is_some() => (
            f64::INFINITY,
            "leveled fanout model: none after a drain (the final tree is not the one compactions rewrote)"
                .to_string(),
        ),
        Some(CompactionStyle::Leveled(leveled)) => {
            let trigger = leveled.level0_file_num_compaction_trigger.max(1) as f64;
            let mean_flush = inputs.flush_bytes as f64 / inputs.flushes.max(1) as f64;
            let sizes: Vec<f64> = inputs.newest.map_or(Vec::new(), |manifest| {
                (1..manifest.level_count())
                    .map(|level| manifest.level_size_bytes(level) as f64)
                    .filter(|size| *size > 0.0)
                    .collect()
            });
            let mut above = trigger * mean_flush;
            let mut target = 1.0;
            let mut ratios = Vec::new();
            for size in sizes {
                let ratio = size / above.max(1.0);
                ratios.push(format!("{ratio:.2}"));
                target += 1.0 + ratio;
                above = size;
            }
            let formula = format!(
                "leveled fanout model: 1 + Σ(1 + r_i), r = [{}]",
                ratios.join(", ")
            );
            (target, formula)
        }
        Some(CompactionStyle::Universal(_)) => {
            let merges = inputs.merges as f64;
            let peak = inputs.peak_referenced_bytes as f64;
            let flushed = inputs.flush_bytes.max(1) as f64;
            (
                1.0 + merges * peak / flushed,
                format!(
                    "universal: 1 + merges·peak tree ÷ flushed = 1 + {merges}·{peak} ÷ {flushed}"
                ),
            )
        }
        Some(CompactionStyle::Fifo(_)) => (1.0, "fifo: no merges, 1".to_string()),
        Some(CompactionStyle::Log(_)) => (f64::INFINITY, "log: no model yet".to_string()),
        None => (1.0, "no compaction: 1".to_string()),
    }
}

/// A bloom filter's false-positive rate at `bits` bits per key with the probe count that
/// minimises it.
pub fn bloom_false_positive_rate(bits: u32) -> f64 {
    if bits == 0 {
        return 1.0;
    }
    let b = f64::from(bits);
    let k = (b * std::f64::consts::LN_2).round().max(1.0);
    (1.0 - (-k / b).exp()).powf(k)
}

/// The default read target and its basis.
fn read_target(config: &WorldConfig, amplification: &Amplification, reads: u64) -> (f64, String) {
    let bits = writer_options(config).sst.bloom_bits_per_key;
    let p = bloom_false_positive_rate(bits);
    let runs = amplification.read_sorted_runs_mean;
    let reads = reads.max(1) as f64;
    let spread = 3.0 * (runs * p / reads).sqrt();
    (
        1.0 + runs * p + spread,
        format!(
            "1 + runs·p + 3σ = 1 + {runs:.2}·{p:.4} + {spread:.4} ({bits} bits per key, {reads} gets)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bloom_rate_at_ten_bits_is_under_one_percent() {
        let p = bloom_false_positive_rate(10);
        assert!(p > 0.005 && p < 0.01, "{p}");
        assert_eq!(bloom_false_positive_rate(0), 1.0);
    }

    #[test]
    fn overheads_are_positive_and_entries_cost_more_than_their_bytes() {
        let (entry, table) = sst_overheads(&SstOptions::default(), 100, false);
        assert!(entry > 116.0, "{entry}");
        // Keys delta-encoded between restart points: 118.6 B measured, RocksDB's ~123 (its
        // key carries a fixed 8-byte sequence and type); whole keys cost 133.
        assert!(entry < 121.0, "{entry}");
        assert!(table > 0.0, "{table}");
    }

    /// Found by the 10,000-seed campaign (seed 3577, universal with TTL drawn): the space
    /// bound measured entries without an expiry, 10 bytes under the tree it bounded.
    #[test]
    fn an_expiring_entry_costs_its_eight_expiry_bytes_more() {
        let (plain, _) = sst_overheads(&SstOptions::default(), 100, false);
        let (expiring, _) = sst_overheads(&SstOptions::default(), 100, true);
        assert!((expiring - plain - 8.0).abs() < 0.5, "{plain} {expiring}");
    }
}
