//! `--fault-scale F`: every fault rate of a drawn world multiplied by `F` in `0..=1`, so
//! `sim shrink` can ask whether a failure needs all the faults a seed drew. Only rates are
//! scaled; what a fault does when it happens is unchanged.

use super::config::ProcessFaults;
use crate::clock::ClockParams;
use crate::store::StoreFaultConfig;

/// Scales the store's fault probabilities and window rates.
pub fn scale_store(faults: &mut StoreFaultConfig, scale: f64) {
    faults.transient_probability *= scale;
    faults.unknown_outcome_probability *= scale;
    faults.race_conflict_probability *= scale;
    faults.throttle_reject_probability *= scale;
    faults.throttle.per_minute *= scale;
    faults.spikes.per_minute *= scale;
}

/// Scales the number of clock jumps (rounded down).
pub fn scale_clocks(clocks: &mut ClockParams, scale: f64) {
    clocks.jumps_max = (f64::from(clocks.jumps_max) * scale).floor() as u32;
}

/// Scales the rate of process incidents (the mean interval grows as `1 / scale`).
pub fn scale_processes(processes: &mut ProcessFaults, scale: f64) {
    if processes.incident_interval_ms_mean == 0 {
        return;
    }
    processes.incident_interval_ms_mean = if scale <= 0.0 {
        0
    } else {
        (processes.incident_interval_ms_mean as f64 / scale).min(u64::MAX as f64 / 2.0) as u64
    };
}
