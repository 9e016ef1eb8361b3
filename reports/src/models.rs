//! The analytical predictions printed beside each measured figure. They are expectations
//! (what the model says a run should show), while C5's targets (in `sim`) are the upper
//! bounds a correct run may not exceed; both come from the same models.
//!
//! - Leveled, write (RocksDB-style): the per-level fanout model. A byte is flushed once,
//!   then enters each level below L0 once and rewrites the overlapping bytes there: for
//!   L0's merges `r = S_base ÷ (trigger × mean flush)`, below `r_i = S_i ÷ S_(i−1)`. The
//!   tree grows during the run, so on average a level is half its final size:
//!   `1 + Σ (1 + r_i ÷ 2)`.
//! - Leveled, space: `1 + 1/T` (the levels above the last hold 1/T of it), times the
//!   encoding's expansion `e ÷ E` (SST bytes per logical byte).
//! - Universal: space ≤ `1 + P/100` (× `e ÷ E`), the bound its size-amplification option
//!   sets; write ≈ `2 + ⌈log2(flushes)⌉` (size-ratio merges double a run, plus one full
//!   compaction) — an estimate, not a bound: merges that only reduce the number of runs
//!   can rewrite more (C5's universal write target is the loose bound that always holds).
//! - FIFO: write amplification 1 (it never merges); space ≤ `max_table_files_size ÷ live`.
//! - Read, every style: blocks per get ≤ `1 + runs·p` (one block of the table holding the
//!   key, and a bloom false positive, rate `p`, in each other table consulted).

use serde::Serialize;
use sim::world::RunReport;

/// A model's figure for one measured figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// The measured figure it predicts: `write_rocksdb`, `space`, `read_blocks_mean`.
    pub figure: String,
    pub value: f64,
    /// Whether the model gives an upper bound rather than an expected value.
    pub bound: bool,
    pub formula: String,
}

/// A level multiplier and an L0 trigger: the world's leveled options (`writer_host.rs`).
const LEVEL_MULTIPLIER: f64 = 10.0;
const L0_TRIGGER: f64 = 4.0;
const SIZE_AMP_PERCENT: f64 = 200.0;
const BLOOM_FALSE_POSITIVE_RATE_10_BITS: f64 = 0.0082;

/// The predictions for `run`'s style, from its final tree and counts.
pub fn predict(run: &RunReport) -> Vec<Prediction> {
    let style = run.config.writer.style.name();
    let expansion = expansion(run);
    let mut predictions = Vec::new();
    let runs = run.amplification.read_sorted_runs_mean;
    predictions.push(Prediction {
        figure: "read_blocks_mean".to_string(),
        value: 1.0 + runs * BLOOM_FALSE_POSITIVE_RATE_10_BITS,
        bound: true,
        formula: format!("1 + runs·p = 1 + {runs:.2}·{BLOOM_FALSE_POSITIVE_RATE_10_BITS}"),
    });
    match style {
        "leveled" => {
            let (value, ratios) = leveled_write(run);
            predictions.push(Prediction {
                figure: "write_rocksdb".to_string(),
                value,
                bound: false,
                formula: format!("1 + Σ(1 + r_i/2), r = [{ratios}]"),
            });
            predictions.push(Prediction {
                figure: "space".to_string(),
                value: (1.0 + 1.0 / LEVEL_MULTIPLIER) * expansion,
                bound: false,
                formula: format!("(1 + 1/T)·e/E = 1.1·{expansion:.2}"),
            });
        }
        "universal" => {
            let merges = (run.flushes.max(1) as f64).log2().ceil();
            predictions.push(Prediction {
                figure: "write_rocksdb".to_string(),
                value: 2.0 + merges,
                bound: false,
                formula: format!("2 + ⌈log2(flushes)⌉ = 2 + {merges}"),
            });
            predictions.push(Prediction {
                figure: "space".to_string(),
                value: (1.0 + SIZE_AMP_PERCENT / 100.0) * expansion,
                bound: true,
                formula: format!("(1 + P/100)·e/E = 3·{expansion:.2}"),
            });
        }
        _ => {
            predictions.push(Prediction {
                figure: "write_rocksdb".to_string(),
                value: 1.0,
                bound: false,
                formula: "FIFO never merges: 1".to_string(),
            });
            let live = run.amplification.live_logical_bytes.max(1) as f64;
            let entry = 16.0 + f64::from(run.config.clients.value_bytes);
            let max_bytes = (run.config.clients.key_space as f64 * entry / 2.0).max(4096.0);
            predictions.push(Prediction {
                figure: "space".to_string(),
                value: max_bytes / live,
                bound: true,
                formula: format!("max_table_files_size ÷ live = {max_bytes:.0} ÷ {live:.0}"),
            });
        }
    }
    predictions
}

/// SST bytes per logical byte of one entry under the run's table options (record framing,
/// index and filter shares), from core's encoder.
fn expansion(run: &RunReport) -> f64 {
    sim::world::sst_expansion(&run.config)
}

/// The leveled fanout model's expected value and its ratios.
fn leveled_write(run: &RunReport) -> (f64, String) {
    let Some(last) = run
        .series
        .as_ref()
        .and_then(|series| series.timeline.last())
    else {
        return (0.0, String::new());
    };
    let mean_flush = run_flush_mean(run);
    let mut above = L0_TRIGGER * mean_flush;
    let mut value = 1.0;
    let mut ratios = Vec::new();
    for size in last.level_bytes.iter().skip(1).filter(|size| **size > 0) {
        let ratio = *size as f64 / above.max(1.0);
        ratios.push(format!("{ratio:.2}"));
        value += 1.0 + ratio / 2.0;
        above = *size as f64;
    }
    (value, ratios.join(", "))
}

/// Mean bytes of one flush, from the run's counts.
pub fn run_flush_mean(run: &RunReport) -> f64 {
    let flush_bytes = run.series.as_ref().map_or(0, |series| series.flush_bytes);
    flush_bytes as f64 / run.flushes.max(1) as f64
}
