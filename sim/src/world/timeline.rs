//! The run over time, for the reports' charts: one sample at each manifest install (the
//! integrity observer calls [`TimelineRecorder::on_manifest`] as each new version lands),
//! with the sim time, the user bytes acknowledged so far, the bytes PUT to the store, the
//! bytes per level, and the live and physical SST bytes. Every install also feeds two
//! running figures that need every step, not a sample: the time the RocksDB write-stall
//! rules (core's `stall_state`, under the thresholds the writer derives from its style)
//! would have held writes back, and, for FIFO, the tables and bytes dropped.
//!
//! Samples are bounded: past [`SAMPLES_MAX`], every other one is dropped and only every
//! second install is kept from then on (the stride doubles), so a long run keeps an even
//! picture of its whole life in constant memory.

use super::config::WorldConfig;
use super::options::writer_options;
use super::shared::Shared;
use super::store_view::sst_bytes_in_store;
use crate::clock::sim_elapsed;
use crate::store::{PrefixUsage, StoreState};
use hdrhistogram::Histogram;
use lsm_core::compaction::{StallState, sorted_run_count, style_stall_state};
use lsm_core::ids::SstId;
use lsm_core::manifest::Manifest;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Most samples a timeline keeps.
pub const SAMPLES_MAX: usize = 2_048;
/// Most points of one distribution's CDF.
const CDF_POINTS_MAX: usize = 512;

/// The store and the tree at one manifest install.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TimelineSample {
    pub sim_time_s: f64,
    pub manifest_version: u64,
    /// Key + value bytes of every acknowledged put and delete so far.
    pub user_bytes: u64,
    /// Bytes of every successful PUT so far (WAL, SSTs, manifests).
    pub store_bytes_put: u64,
    /// SST bytes per level, L0 first (the newest manifest's).
    pub level_bytes: Vec<u64>,
    /// SST bytes the manifest references.
    pub live_sst_bytes: u64,
    /// SST bytes in the store: live, pending deletion and orphaned.
    pub physical_sst_bytes: u64,
    pub sorted_runs: u64,
    /// The whole bucket by object class (`wal`, `sst`, `manifest`, `tmp`, `other`).
    pub bucket: BTreeMap<&'static str, PrefixUsage>,
}

/// A distribution as points of its CDF: `(value, share of samples at or below it)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cdf {
    pub samples: u64,
    pub points: Vec<(f64, f64)>,
}

impl Cdf {
    /// The CDF of `histogram`, at most [`CDF_POINTS_MAX`] points (every distinct recorded
    /// value while they fit, else evenly spaced quantiles).
    pub fn of(histogram: &Histogram<u64>) -> Cdf {
        let samples = histogram.len();
        if samples == 0 {
            return Cdf::default();
        }
        let mut points: Vec<(f64, f64)> = histogram
            .iter_recorded()
            .map(|step| {
                (
                    histogram.highest_equivalent(step.value_iterated_to()) as f64,
                    step.quantile_iterated_to(),
                )
            })
            .collect();
        if points.len() > CDF_POINTS_MAX {
            points = (1..=CDF_POINTS_MAX)
                .map(|i| {
                    let quantile = i as f64 / CDF_POINTS_MAX as f64;
                    (histogram.value_at_quantile(quantile) as f64, quantile)
                })
                .collect();
        }
        Cdf { samples, points }
    }
}

/// What the charts need beyond the summary figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunSeries {
    pub timeline: Vec<TimelineSample>,
    /// Manifest installs seen (the timeline keeps every `stride`-th).
    pub installs: u64,
    pub stride: u64,
    /// Sim time the write-stall rules would have slowed writes down, and stopped them.
    pub stall_delayed_s: f64,
    pub stall_stopped_s: f64,
    /// FIFO only: tables dropped by design, and their bytes.
    pub fifo_tables_dropped: u64,
    pub fifo_bytes_dropped: u64,
    /// Bytes of the flushed L0 tables, all writer incarnations together.
    pub flush_bytes: u64,
    /// SST data blocks per point read.
    pub read_blocks: Cdf,
    /// Sorted runs consulted per point read.
    pub read_sorted_runs: Cdf,
    /// Client latency of answered gets and of answered writes, in microseconds.
    pub get_latency_us: Cdf,
    pub write_latency_us: Cdf,
}

#[derive(Default)]
struct State {
    samples: Vec<TimelineSample>,
    installs: u64,
    stride: u64,
    /// The stall state since the previous install, and when it began.
    stall_since: Option<(StallState, f64)>,
    stall_delayed_s: f64,
    stall_stopped_s: f64,
    live: BTreeMap<SstId, u64>,
    fifo_tables_dropped: u64,
    fifo_bytes_dropped: u64,
    peak_live_sst_bytes: u64,
}

/// Records the timeline; attach the run's [`Shared`] before the first install.
#[derive(Default)]
pub struct TimelineRecorder {
    state: Mutex<State>,
    shared: Mutex<Option<Arc<Shared>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TimelineRecorder {
    /// Where user bytes and the configuration come from.
    pub fn attach(&self, shared: Arc<Shared>) {
        *lock(&self.shared) = Some(shared);
    }

    /// A new newest manifest `manifest` landed in `store`.
    pub fn on_manifest(&self, manifest: &Manifest, store: &StoreState) {
        let shared = lock(&self.shared).clone();
        let now_s = sim_elapsed().as_secs_f64();
        let mut state = lock(&self.state);
        state.installs += 1;
        state.peak_live_sst_bytes = state.peak_live_sst_bytes.max(manifest.live_size_bytes());
        if let Some(shared) = &shared {
            let stall = stall_of(manifest, &shared.config);
            if let Some((previous, since_s)) = state.stall_since {
                let held_s = (now_s - since_s).max(0.0);
                match previous {
                    StallState::Normal => {}
                    StallState::Delayed { .. } => state.stall_delayed_s += held_s,
                    StallState::Stopped { .. } => state.stall_stopped_s += held_s,
                }
            }
            state.stall_since = Some((stall, now_s));
            if matches!(
                shared.config.writer.style,
                super::config::WorldStyle::Fifo
                    | super::config::WorldStyle::Log(super::config::LogCompaction::Shift)
            ) {
                note_fifo_drops(&mut state, manifest);
            }
        }
        if state.stride == 0 {
            state.stride = 1;
        }
        if (state.installs - 1) % state.stride != 0 {
            return;
        }
        let level_bytes = (0..manifest.level_count())
            .map(|level| manifest.level_size_bytes(level))
            .collect();
        state.samples.push(TimelineSample {
            sim_time_s: now_s,
            manifest_version: manifest.version.0,
            user_bytes: shared.map_or(0, |shared| shared.counters().user_bytes_written),
            store_bytes_put: store.bytes_put_total(),
            level_bytes,
            live_sst_bytes: manifest.live_size_bytes(),
            physical_sst_bytes: sst_bytes_in_store(store),
            sorted_runs: sorted_run_count(manifest) as u64,
            bucket: store.bucket_usage(),
        });
        if state.samples.len() > SAMPLES_MAX {
            let kept: Vec<TimelineSample> = state.samples.iter().step_by(2).cloned().collect();
            state.samples = kept;
            state.stride = state.stride.saturating_mul(2);
        }
    }

    /// The most SST bytes any manifest installed so far referenced.
    pub fn peak_live_sst_bytes(&self) -> u64 {
        lock(&self.state).peak_live_sst_bytes
    }

    /// The timeline so far, with the distributions `shared` holds.
    pub fn series(&self, shared: &Shared) -> RunSeries {
        let state = lock(&self.state);
        let latencies = shared.workload.latencies();
        RunSeries {
            timeline: state.samples.clone(),
            installs: state.installs,
            stride: state.stride.max(1),
            stall_delayed_s: state.stall_delayed_s,
            stall_stopped_s: state.stall_stopped_s,
            fifo_tables_dropped: state.fifo_tables_dropped,
            fifo_bytes_dropped: state.fifo_bytes_dropped,
            flush_bytes: shared.writer_stats_total().flush_bytes,
            read_blocks: Cdf::of(&shared.read_blocks()),
            read_sorted_runs: Cdf::of(&shared.read_runs()),
            get_latency_us: Cdf::of(&latencies.get_us),
            write_latency_us: Cdf::of(&latencies.write_us),
        }
    }
}

/// Tables live before `manifest` and not in it: without `allow_compaction` (the world's
/// FIFO), every table leaves by a drop.
fn note_fifo_drops(state: &mut State, manifest: &Manifest) {
    let now: BTreeMap<SstId, u64> = manifest
        .all_live_ssts()
        .map(|sst| (sst.id, sst.size_bytes))
        .collect();
    for (id, size_bytes) in &state.live {
        if !now.contains_key(id) {
            state.fifo_tables_dropped += 1;
            state.fifo_bytes_dropped += size_bytes;
        }
    }
    state.live = now;
}

/// The stall state of `manifest` under the writer's rules for `config`'s style.
fn stall_of(manifest: &Manifest, config: &WorldConfig) -> StallState {
    style_stall_state(manifest, writer_options(config).compaction.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_of_a_small_histogram_lists_every_value() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 1_000, 3).unwrap_or_else(|_| {
            panic!("valid bounds");
        });
        for value in [1, 1, 2, 3] {
            let _ = histogram.record(value);
        }
        let cdf = Cdf::of(&histogram);
        assert_eq!(cdf.samples, 4);
        assert_eq!(cdf.points, vec![(1.0, 0.5), (2.0, 0.75), (3.0, 1.0)]);
    }

    #[test]
    fn cdf_is_bounded() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3)
            .unwrap_or_else(|_| panic!("valid bounds"));
        for value in 1..100_000 {
            let _ = histogram.record(value);
        }
        let cdf = Cdf::of(&histogram);
        assert!(cdf.points.len() <= CDF_POINTS_MAX);
        assert_eq!(cdf.points.last().map(|point| point.1), Some(1.0));
    }
}
