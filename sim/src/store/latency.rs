//! The store's latency model: a lognormal body (tens of ms), a rare lognormal tail (seconds),
//! plus size over a per-request bandwidth — roughly what S3 shows for small and large
//! requests. A request waits part of its latency before it takes effect and the rest after.

use crate::rng::{self, Stream};
use serde::Serialize;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

/// Parameters of the latency distribution. Defaults: median 12 ms (σ 0.5), 0.5 % of
/// requests from a tail with median 1.5 s (σ 0.5), and 50 MiB/s per request. madsim's
/// default network adds 1–10 ms each way, so callers see a median near 29 ms, p99 near
/// 60 ms and p99.9 near 2 s for small requests (measured in `tests/store_latency.rs`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyConfig {
    pub median_ms: f64,
    /// σ of the body's underlying normal.
    pub sigma: f64,
    /// Share of requests drawn from the tail.
    pub tail_probability: f64,
    pub tail_median_ms: f64,
    pub tail_sigma: f64,
    /// Per-request transfer rate; a 4 MiB SST takes 80 ms at 50 MiB/s.
    pub bandwidth_bytes_per_s: u64,
    /// Cap on the base latency before spikes: below the request timeout, so that without
    /// faults every small request is answered in time.
    pub base_ms_max: u64,
    /// Cap on one request's latency with spikes (spiked requests may time out).
    pub latency_ms_max: u64,
}

impl Default for LatencyConfig {
    fn default() -> LatencyConfig {
        LatencyConfig {
            median_ms: 12.0,
            sigma: 0.5,
            tail_probability: 0.005,
            tail_median_ms: 1_500.0,
            tail_sigma: 0.5,
            bandwidth_bytes_per_s: 50 * MIB,
            base_ms_max: 4_000,
            latency_ms_max: 30_000,
        }
    }
}

/// The random numbers behind one request's latency, drawn together so that every request
/// consumes the same count from the latency stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyDraw {
    tail: f64,
    normal: f64,
    /// Share of the base latency spent before the request takes effect.
    split: f64,
}

impl LatencyDraw {
    pub fn draw(rng: &mut Stream) -> LatencyDraw {
        let tail = rng::unit_f64(rng);
        let normal = rng::standard_normal(rng);
        let split = rng::uniform_f64(rng, 0.2, 0.8);
        LatencyDraw {
            tail,
            normal,
            split,
        }
    }
}

/// When, relative to its arrival, a request takes effect and when it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyPlan {
    pub before_apply: Duration,
    /// Without the download time of the reply, which is known only after applying.
    pub after_apply: Duration,
}

impl LatencyConfig {
    /// Base latency (no transfer) of a request, times `spike_multiplier`.
    pub fn base_ms(&self, draw: &LatencyDraw, spike_multiplier: f64) -> f64 {
        let (median_ms, sigma) = if draw.tail < self.tail_probability {
            (self.tail_median_ms, self.tail_sigma)
        } else {
            (self.median_ms, self.sigma)
        };
        let base_ms = (median_ms * (sigma * draw.normal).exp()).clamp(0.0, self.base_ms_max as f64);
        (base_ms * spike_multiplier.max(1.0)).min(self.latency_ms_max as f64)
    }

    /// Time to move `size_bytes` at the per-request bandwidth.
    pub fn transfer(&self, size_bytes: u64) -> Duration {
        if self.bandwidth_bytes_per_s == 0 || size_bytes == 0 {
            return Duration::ZERO;
        }
        let ns = u128::from(size_bytes) * 1_000_000_000 / u128::from(self.bandwidth_bytes_per_s);
        self.capped(Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)))
    }

    fn capped(&self, duration: Duration) -> Duration {
        duration.min(Duration::from_millis(self.latency_ms_max))
    }

    /// The request's wait before and after applying; uploads (`upload_bytes`) come first.
    pub fn plan(
        &self,
        draw: &LatencyDraw,
        spike_multiplier: f64,
        upload_bytes: u64,
    ) -> LatencyPlan {
        let base_ms = self.base_ms(draw, spike_multiplier);
        let before_ms = base_ms * draw.split.clamp(0.0, 1.0);
        let after_ms = base_ms - before_ms;
        LatencyPlan {
            before_apply: self.capped(duration_from_ms(before_ms) + self.transfer(upload_bytes)),
            after_apply: duration_from_ms(after_ms),
        }
    }
}

fn duration_from_ms(ms: f64) -> Duration {
    if ms.is_finite() && ms > 0.0 {
        Duration::from_nanos((ms * 1_000_000.0) as u64)
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantile(sorted: &[f64], q: f64) -> f64 {
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[index]
    }

    #[test]
    fn body_and_tail_have_the_intended_shape() {
        let config = LatencyConfig::default();
        let mut rng = rng::stream(11, "latency-test");
        let mut samples: Vec<f64> = (0..200_000)
            .map(|_| config.base_ms(&LatencyDraw::draw(&mut rng), 1.0))
            .collect();
        samples.sort_by(f64::total_cmp);
        let median = quantile(&samples, 0.5);
        let p99 = quantile(&samples, 0.99);
        let p999 = quantile(&samples, 0.999);
        assert!((10.5..13.5).contains(&median), "median {median}");
        assert!((35.0..100.0).contains(&p99), "p99 {p99}");
        assert!(p999 >= 1_000.0, "p99.9 {p999}");
    }

    #[test]
    fn transfer_follows_bandwidth() {
        let config = LatencyConfig::default();
        assert_eq!(config.transfer(50 * MIB), Duration::from_secs(1));
        assert_eq!(config.transfer(0), Duration::ZERO);
    }
}
