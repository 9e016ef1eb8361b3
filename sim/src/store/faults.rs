//! Which faults the store injects and how often ([`StoreFaultConfig`]), and the per-request
//! decision ([`decide`]), a pure function of the configuration, the request's drawn numbers
//! and whether it is throttled or racing.

use super::op::StoreOp;
use super::windows::WindowConfig;
use crate::rng::{self, Stream};
use lsm_core::store::StoreError;
use serde::Serialize;

/// Fault rates of the simulated store. All zero in [`StoreFaultConfig::none`], under which
/// the store behaves exactly like `MemoryStore` (only slower).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoreFaultConfig {
    /// Share of requests failed with 503/500, not applied.
    pub transient_probability: f64,
    /// Share of requests whose reply is dropped: the caller times out (`UnknownOutcome`).
    pub unknown_outcome_probability: f64,
    /// Of those, the share that took effect anyway.
    pub unknown_applied_probability: f64,
    /// Chance that a conditional put racing another on the same path gets 409 `Conflict`.
    /// Otherwise racing puts are serialized and preconditions decide (at most one wins).
    pub race_conflict_probability: f64,
    /// Throttling bursts; during one, requests get 503 SlowDown with the probability below.
    pub throttle: WindowConfig,
    pub throttle_reject_probability: f64,
    /// Latency spikes; a window's magnitude multiplies the base latency.
    pub spikes: WindowConfig,
}

impl StoreFaultConfig {
    /// No faults at all.
    pub fn none() -> StoreFaultConfig {
        StoreFaultConfig {
            transient_probability: 0.0,
            unknown_outcome_probability: 0.0,
            unknown_applied_probability: 0.0,
            race_conflict_probability: 0.0,
            throttle: WindowConfig::none(),
            throttle_reject_probability: 0.0,
            spikes: WindowConfig::none(),
        }
    }

    /// A healthy cloud store on a normal day.
    pub fn light() -> StoreFaultConfig {
        StoreFaultConfig {
            transient_probability: 0.01,
            unknown_outcome_probability: 0.002,
            unknown_applied_probability: 0.5,
            race_conflict_probability: 0.5,
            throttle: WindowConfig {
                per_minute: 0.5,
                duration_ms_min: 1_000,
                duration_ms_max: 4_000,
                magnitude_min: 1.0,
                magnitude_max: 1.0,
            },
            throttle_reject_probability: 0.5,
            spikes: WindowConfig {
                per_minute: 1.0,
                duration_ms_min: 1_000,
                duration_ms_max: 6_000,
                magnitude_min: 3.0,
                magnitude_max: 10.0,
            },
        }
    }

    /// A bad day: every kind of fault, often.
    pub fn heavy() -> StoreFaultConfig {
        StoreFaultConfig {
            transient_probability: 0.05,
            unknown_outcome_probability: 0.02,
            unknown_applied_probability: 0.5,
            race_conflict_probability: 1.0,
            throttle: WindowConfig {
                per_minute: 3.0,
                duration_ms_min: 1_000,
                duration_ms_max: 4_000,
                magnitude_min: 1.0,
                magnitude_max: 1.0,
            },
            throttle_reject_probability: 0.8,
            spikes: WindowConfig {
                per_minute: 4.0,
                duration_ms_min: 1_000,
                duration_ms_max: 6_000,
                magnitude_min: 5.0,
                magnitude_max: 20.0,
            },
        }
    }

    /// Swarm testing: each fault is off with probability 1/3, else its rate is drawn up to
    /// a little beyond [`StoreFaultConfig::heavy`], so seeds explore different regimes.
    pub fn swarm(rng: &mut Stream) -> StoreFaultConfig {
        let mut rate = |max: f64| {
            if rng::chance(rng, 1.0 / 3.0) {
                0.0
            } else {
                rng::uniform_f64(rng, 0.0, max)
            }
        };
        let transient_probability = rate(0.08);
        let unknown_outcome_probability = rate(0.03);
        let race_conflict_probability = rate(1.0);
        let throttle_per_minute = rate(4.0);
        let spikes_per_minute = rate(6.0);
        let unknown_applied_probability = rng::unit_f64(rng);
        let throttle_reject_probability = rng::uniform_f64(rng, 0.3, 1.0);
        let heavy = StoreFaultConfig::heavy();
        StoreFaultConfig {
            transient_probability,
            unknown_outcome_probability,
            unknown_applied_probability,
            race_conflict_probability,
            throttle: WindowConfig {
                per_minute: throttle_per_minute,
                ..heavy.throttle
            },
            throttle_reject_probability,
            spikes: WindowConfig {
                per_minute: spikes_per_minute,
                ..heavy.spikes
            },
        }
    }
}

/// Every kind of fault the store injects, as counted in stats and named in traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FaultKind {
    /// 503 ServiceUnavailable; not applied.
    #[serde(rename = "transient_503")]
    Transient503,
    /// 500 InternalError; not applied.
    #[serde(rename = "transient_500")]
    Transient500,
    /// 503 SlowDown inside a throttling burst; not applied.
    #[serde(rename = "slow_down")]
    SlowDown,
    /// 503 SlowDown because too many requests are in flight at the store; not applied.
    #[serde(rename = "overloaded")]
    Overloaded,
    /// 409 on a racing conditional put; not applied.
    #[serde(rename = "conflict")]
    Conflict,
    /// Reply dropped after the request took effect.
    #[serde(rename = "unknown_applied")]
    UnknownApplied,
    /// Reply dropped and the request did not take effect.
    #[serde(rename = "unknown_not_applied")]
    UnknownNotApplied,
    /// Latency multiplied by a spike window.
    #[serde(rename = "latency_spike")]
    LatencySpike,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Transient503 => "transient_503",
            FaultKind::Transient500 => "transient_500",
            FaultKind::SlowDown => "slow_down",
            FaultKind::Overloaded => "overloaded",
            FaultKind::Conflict => "conflict",
            FaultKind::UnknownApplied => "unknown_applied",
            FaultKind::UnknownNotApplied => "unknown_not_applied",
            FaultKind::LatencySpike => "latency_spike",
        }
    }

    /// The error a caller sees for a rejecting fault; `None` for faults that do not reject.
    pub fn rejection(self, path: &str) -> Option<StoreError> {
        let transient = |detail: &str| {
            Some(StoreError::Transient {
                path: path.to_string(),
                detail: detail.to_string(),
            })
        };
        match self {
            FaultKind::Transient503 => transient("503 ServiceUnavailable"),
            FaultKind::Transient500 => transient("500 InternalError"),
            FaultKind::SlowDown => transient("503 SlowDown"),
            FaultKind::Overloaded => transient("503 SlowDown (too many requests in flight)"),
            FaultKind::Conflict => Some(StoreError::Conflict {
                path: path.to_string(),
            }),
            FaultKind::UnknownApplied | FaultKind::UnknownNotApplied | FaultKind::LatencySpike => {
                None
            }
        }
    }
}

/// The random numbers behind one request's fault decision, always drawn together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultDraw {
    throttle: f64,
    transient: f64,
    transient_kind: f64,
    race: f64,
    unknown: f64,
    unknown_applied: f64,
}

impl FaultDraw {
    pub fn draw(rng: &mut Stream) -> FaultDraw {
        FaultDraw {
            throttle: rng::unit_f64(rng),
            transient: rng::unit_f64(rng),
            transient_kind: rng::unit_f64(rng),
            race: rng::unit_f64(rng),
            unknown: rng::unit_f64(rng),
            unknown_applied: rng::unit_f64(rng),
        }
    }
}

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultDecision {
    /// Processed normally.
    Proceed,
    /// Answered with the fault's error after the usual latency; never applied.
    Reject(FaultKind),
    /// No reply at all; applied or not.
    Drop { applied: bool },
}

/// The decision for one request. `throttled`: a throttling burst is on; `racing`: it is a
/// conditional put that arrived while another conditional put on its path was in flight.
pub fn decide(
    config: &StoreFaultConfig,
    draw: &FaultDraw,
    op: StoreOp,
    throttled: bool,
    racing: bool,
) -> FaultDecision {
    if throttled && draw.throttle < config.throttle_reject_probability {
        return FaultDecision::Reject(FaultKind::SlowDown);
    }
    if draw.transient < config.transient_probability {
        let kind = if draw.transient_kind < 0.7 {
            FaultKind::Transient503
        } else {
            FaultKind::Transient500
        };
        return FaultDecision::Reject(kind);
    }
    if racing && op.is_conditional_put() && draw.race < config.race_conflict_probability {
        return FaultDecision::Reject(FaultKind::Conflict);
    }
    if draw.unknown < config.unknown_outcome_probability {
        return FaultDecision::Drop {
            applied: draw.unknown_applied < config.unknown_applied_probability,
        };
    }
    FaultDecision::Proceed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_always_proceeds() {
        let config = StoreFaultConfig::none();
        let mut rng = rng::stream(1, "f");
        for _ in 0..10_000 {
            let draw = FaultDraw::draw(&mut rng);
            assert_eq!(
                decide(&config, &draw, StoreOp::PutCreate, true, true),
                FaultDecision::Proceed
            );
        }
    }

    #[test]
    fn heavy_produces_every_decision() {
        let config = StoreFaultConfig::heavy();
        let mut rng = rng::stream(2, "f");
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20_000 {
            let draw = FaultDraw::draw(&mut rng);
            seen.insert(format!(
                "{:?}",
                decide(&config, &draw, StoreOp::PutCreate, true, false)
            ));
            seen.insert(format!(
                "{:?}",
                decide(&config, &draw, StoreOp::PutUpdate, false, true)
            ));
        }
        for expected in [
            "Proceed",
            "Reject(SlowDown)",
            "Reject(Transient503)",
            "Reject(Transient500)",
            "Reject(Conflict)",
            "Drop { applied: true }",
            "Drop { applied: false }",
        ] {
            assert!(
                seen.contains(expected),
                "{expected} never decided: {seen:?}"
            );
        }
    }

    #[test]
    fn swarm_varies_with_the_stream() {
        let a = StoreFaultConfig::swarm(&mut rng::stream(1, "swarm"));
        let b = StoreFaultConfig::swarm(&mut rng::stream(2, "swarm"));
        assert_ne!(a, b);
        assert_eq!(a, StoreFaultConfig::swarm(&mut rng::stream(1, "swarm")));
    }
}
