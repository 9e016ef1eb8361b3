//! Puts with an expiry in the world: which puts carry one and how long they live
//! ([`TtlShape`]), the absolute expiry a client sends, and the clock-skew bound that C7 and
//! the expiry-aware C1 allow ([`skew_bound_ms`]).
//!
//! A client sends an absolute expiry in true wall time (Redis's `PXAT`): the call's sim time
//! on the world's fixed date plus the TTL. So the checker knows every expiry exactly, and
//! all the uncertainty is in the clocks of the nodes that judge it.

use super::config::{ClientShape, FaultLevel, Topology, TtlShape, WorldConfig};
use super::protocol::{
    COMPACTOR_NODES, WRITER_HOSTS, compactor_node_name, worker_name, writer_host_name,
};
use crate::clock::{ClockPlan, EPOCH_BASE_MS};
use crate::rng::{self, Stream};

/// Chance that a swarm run draws TTL.
const TTL_CHANCE: f64 = 0.5;
/// The drawn share of puts with an expiry lies in this range.
const TTL_SHARE_MIN: f64 = 0.2;
const TTL_SHARE_MAX: f64 = 1.0;
/// The shortest TTL drawn, in ms.
const TTL_MS_FLOOR: u64 = 200;

impl TtlShape {
    /// The TTL of `seed`'s run, from its own stream (so the other draws stay as they were):
    /// with `share_permille` (`--ttl-share`), that share (none at 0); without it, under
    /// swarm, half the runs draw a share; never otherwise. TTLs run from a twentieth to a
    /// third of the run's expected length, so many expire during the run.
    pub fn draw(
        seed: u64,
        fault_level: FaultLevel,
        share_permille: Option<u32>,
        clients: &ClientShape,
    ) -> Option<TtlShape> {
        let mut ttl_rng = rng::stream(seed, "config/ttl");
        let drawn_on = rng::chance(&mut ttl_rng, TTL_CHANCE);
        let drawn_share = rng::uniform_f64(&mut ttl_rng, TTL_SHARE_MIN, TTL_SHARE_MAX);
        let share = match share_permille {
            Some(permille) => f64::from(permille.min(1000)) / 1000.0,
            None if fault_level == FaultLevel::Swarm && drawn_on => drawn_share,
            None => 0.0,
        };
        if share <= 0.0 {
            return None;
        }
        let run_ms = run_ms_estimate(clients);
        let ttl_ms_min = (run_ms / 20).max(TTL_MS_FLOOR);
        let ttl_ms_max = (run_ms / 3).max(ttl_ms_min);
        let shape = TtlShape {
            share,
            ttl_ms_min,
            ttl_ms_max,
        };
        assert!(shape.share > 0.0 && shape.share <= 1.0);
        Some(shape)
    }

    /// The TTL of a workload that sets its own (`ttl-series`): every put, its range.
    pub fn of_spec(spec: &workloads::WorkloadSpec) -> Option<TtlShape> {
        spec.ttl.map(|ttl| TtlShape {
            share: 1.0,
            ttl_ms_min: ttl.min_ms,
            ttl_ms_max: ttl.max_ms,
        })
    }

    /// A put's TTL: with probability `share`, uniform in the range; `None`: no expiry.
    pub fn draw_ttl_ms(&self, ttl_rng: &mut Stream) -> Option<u64> {
        rng::chance(ttl_rng, self.share)
            .then(|| rng::uniform_u64(ttl_rng, self.ttl_ms_min, self.ttl_ms_max))
    }
}

/// How long the clients' run lasts, about: each client's operations times its mean pause.
fn run_ms_estimate(clients: &ClientShape) -> u64 {
    let per_client = clients.ops_total / u64::from(clients.clients.max(1));
    per_client.saturating_mul(clients.think_ms_mean.max(1))
}

/// The absolute expiry (true wall ms) of a put called `call_ns` into the run with `ttl_ms`.
pub fn expires_at_ms(call_ns: u64, ttl_ms: u64) -> u64 {
    true_wall_ms_floor(call_ns).saturating_add(ttl_ms)
}

/// True wall time at `elapsed_ns`, rounded down to the ms.
pub fn true_wall_ms_floor(elapsed_ns: u64) -> u64 {
    EPOCH_BASE_MS.saturating_add(elapsed_ns / 1_000_000)
}

/// True wall time at `elapsed_ns`, rounded up to the ms.
pub fn true_wall_ms_ceil(elapsed_ns: u64) -> u64 {
    EPOCH_BASE_MS.saturating_add(elapsed_ns.div_ceil(1_000_000))
}

/// The nodes that judge expiry with their wall clocks: the writer hosts (reads, flushes
/// and the embedded compactor), the standalone compactors and the remote workers.
fn ttl_judges(config: &WorldConfig) -> Vec<String> {
    let mut names: Vec<String> = (0..WRITER_HOSTS).map(writer_host_name).collect();
    match config.lsm.topology {
        Topology::Standalone => names.extend((0..COMPACTOR_NODES).map(compactor_node_name)),
        Topology::Remote => names.extend((0..config.lsm.remote.workers).map(worker_name)),
        Topology::Embedded => {}
    }
    names
}

/// The clock-skew bound of a run that lasted `horizon_ms` of sim time: the largest
/// |wall − true| that any node judging expiry ([`ttl_judges`]) reaches over
/// `[0, horizon_ms]` — its drawn offset plus accumulated drift plus the jumps taken by then,
/// at the worst instant (`ClockPlan::skew_ms_max`, which adds 1 ms of rounding slack).
/// The plans are drawn here exactly as the nodes draw them (same stream per node name,
/// same [`WorldConfig::clocks`], already scaled by `--fault-scale`), so the bound is a pure
/// function of the configuration and the run's length. A node's wall clock then never
/// differs from true time by more than this, so a put expiring at `E` may be judged
/// expired from `E − bound` on and must be by `E + bound`.
pub fn skew_bound_ms(config: &WorldConfig, horizon_ms: u64) -> u64 {
    let bound = ttl_judges(config)
        .iter()
        .map(|name| {
            let mut clock_rng = rng::stream(config.seed, &format!("clock/{name}"));
            ClockPlan::draw(&mut clock_rng, &config.clocks).skew_ms_max(horizon_ms)
        })
        .max()
        .unwrap_or(1);
    assert!(bound >= 1, "skew_ms_max includes a rounding ms");
    bound
}

/// The latest wall time any node judging expiry can read at `elapsed_ns`: true time plus
/// the skew bound of the run so far. A TTL filter that ran by then judged by no later time.
pub fn latest_judge_wall_ms(config: &WorldConfig, elapsed_ns: u64) -> u64 {
    let horizon_ms = elapsed_ns.div_ceil(1_000_000);
    true_wall_ms_ceil(elapsed_ns).saturating_add(skew_bound_ms(config, horizon_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_wall_rounds_outwards() {
        assert_eq!(true_wall_ms_floor(1_999_999), EPOCH_BASE_MS + 1);
        assert_eq!(true_wall_ms_ceil(1_000_001), EPOCH_BASE_MS + 2);
        assert_eq!(true_wall_ms_ceil(2_000_000), EPOCH_BASE_MS + 2);
        assert_eq!(expires_at_ms(3_500_000, 100), EPOCH_BASE_MS + 103);
    }

    #[test]
    fn a_perfect_world_has_a_one_ms_bound() {
        let overrides = super::super::config::Overrides {
            faults: Some(FaultLevel::None),
            ..Default::default()
        };
        let config = WorldConfig::draw(5, &overrides);
        assert_eq!(skew_bound_ms(&config, 100_000), 1);
        assert!(config.clients.ttl.is_none());
    }

    #[test]
    fn a_given_share_always_draws_ttl_within_the_run() {
        let overrides = super::super::config::Overrides {
            faults: Some(FaultLevel::Heavy),
            ttl_share_permille: Some(500),
            ..Default::default()
        };
        for seed in 0..20 {
            let config = WorldConfig::draw(seed, &overrides);
            let shape = config.clients.ttl;
            assert!(shape.is_some_and(|shape| shape.share == 0.5));
            let Some(shape) = shape else { continue };
            assert!(shape.ttl_ms_min >= TTL_MS_FLOOR);
            assert!(shape.ttl_ms_min <= shape.ttl_ms_max);
            assert!(skew_bound_ms(&config, 600_000) > 1);
        }
    }
}
