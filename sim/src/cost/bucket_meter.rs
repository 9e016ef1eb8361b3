//! The bucket's size over time: a store observer that integrates the bytes stored over
//! simulated time at every applied mutation, so the storage bill (billed per byte-hour, by
//! S3 and its peers) sees every object for as long as it existed — deferred deletions,
//! orphans, WAL segments and manifest versions included — not a sample.

use crate::store::{AppliedMutation, StoreObserver, StoreState};
use serde::Serialize;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct Integral {
    /// Byte-nanoseconds stored up to `last_ns`.
    byte_ns: u128,
    last_ns: u64,
    bytes_now: u64,
    peak_bytes: u64,
}

/// Watches the store; read it with [`BucketMeter::summary`] at the end of the run.
#[derive(Default)]
pub struct BucketMeter {
    integral: Mutex<Integral>,
}

/// The bucket's size over the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct BucketOverTime {
    /// Time-weighted mean of the bytes stored, from the start of the run to its end.
    pub mean_bytes: f64,
    pub peak_bytes: u64,
    pub duration_s: f64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Integral {
    fn advance(&mut self, at_ns: u64) {
        assert!(
            at_ns >= self.last_ns,
            "mutations out of time order: {at_ns} ns after {} ns",
            self.last_ns
        );
        self.byte_ns += u128::from(self.bytes_now) * u128::from(at_ns - self.last_ns);
        self.last_ns = at_ns;
    }
}

impl BucketMeter {
    pub fn new() -> BucketMeter {
        BucketMeter::default()
    }

    /// The bucket held `bytes_now` from `at_ns` on.
    pub fn note(&self, at_ns: u64, bytes_now: u64) {
        let mut integral = lock(&self.integral);
        integral.advance(at_ns);
        integral.bytes_now = bytes_now;
        integral.peak_bytes = integral.peak_bytes.max(bytes_now);
    }

    /// The figures from time 0 to `end_ns`.
    pub fn summary(&self, end_ns: u64) -> BucketOverTime {
        let mut integral = lock(&self.integral);
        integral.advance(end_ns);
        let mean_bytes = if end_ns == 0 {
            integral.bytes_now as f64
        } else {
            integral.byte_ns as f64 / end_ns as f64
        };
        assert!(mean_bytes <= integral.peak_bytes as f64 + 1e-6);
        BucketOverTime {
            mean_bytes,
            peak_bytes: integral.peak_bytes,
            duration_s: end_ns as f64 / 1e9,
        }
    }
}

impl StoreObserver for BucketMeter {
    fn on_mutation(&self, mutation: &AppliedMutation, state: &StoreState) {
        self.note(mutation.at_ns, state.stored_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_weighs_each_size_by_how_long_it_lasted() {
        let meter = BucketMeter::new();
        meter.note(1_000, 100); // 0 bytes for 1 µs, then 100
        meter.note(3_000, 40); // 100 bytes for 2 µs, then 40
        let over = meter.summary(4_000); // 40 bytes for 1 µs
        assert_eq!(over.peak_bytes, 100);
        assert!((over.mean_bytes - (100.0 * 2.0 + 40.0) / 4.0).abs() < 1e-9);
        assert!((over.duration_s - 4e-6).abs() < 1e-15);
    }
}
