//! What a node's clock does over a run: a fixed offset, a drift rate and steps at given sim
//! times, drawn from the node's stream.

use crate::rng::{self, Stream};
use serde::Serialize;

/// Drift is clamped to this many ppm either way so the drifted clock still moves forward.
pub const DRIFT_PPM_LIMIT: i64 = 100_000;

/// A step of the wall clock (an NTP correction, an operator's `date -s`, a VM migration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduledJump {
    /// Sim time (ms since start) at which the step takes effect.
    pub at_ms: u64,
    /// Signed size: positive jumps forward, negative backward.
    pub delta_ms: i64,
}

/// Bounds from which [`ClockPlan::draw`] draws a node's clock behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClockParams {
    /// Initial offset drawn uniformly in `±offset_ms_max`.
    pub offset_ms_max: u64,
    /// Drift drawn uniformly in `±drift_ppm_max` (real quartz: tens of ppm).
    pub drift_ppm_max: u64,
    /// Number of jumps drawn uniformly in `0..=jumps_max`.
    pub jumps_max: u32,
    /// Size of each jump drawn in `jump_ms_min..=jump_ms_max`, sign by a fair coin.
    pub jump_ms_min: u64,
    pub jump_ms_max: u64,
    /// Jumps are scheduled uniformly in `[0, horizon_ms)` of sim time.
    pub horizon_ms: u64,
}

impl ClockParams {
    /// Perfect clocks.
    pub fn none() -> ClockParams {
        ClockParams {
            offset_ms_max: 0,
            drift_ppm_max: 0,
            jumps_max: 0,
            jump_ms_min: 0,
            jump_ms_max: 0,
            horizon_ms: 0,
        }
    }

    /// NTP-disciplined machines: sub-second offsets, rare small steps.
    pub fn light() -> ClockParams {
        ClockParams {
            offset_ms_max: 500,
            drift_ppm_max: 100,
            jumps_max: 2,
            jump_ms_min: 50,
            jump_ms_max: 2_000,
            horizon_ms: 600_000,
        }
    }

    /// Badly kept clocks: seconds of offset, fast drift, steps of up to a minute.
    pub fn heavy() -> ClockParams {
        ClockParams {
            offset_ms_max: 10_000,
            drift_ppm_max: 1_000,
            jumps_max: 6,
            jump_ms_min: 500,
            jump_ms_max: 60_000,
            horizon_ms: 600_000,
        }
    }
}

/// One node's clock behaviour for a whole run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClockPlan {
    pub offset_ms: i64,
    /// Parts per million the clock runs fast (positive) or slow (negative).
    pub drift_ppm: i64,
    /// Sorted by `at_ms`.
    pub jumps: Vec<ScheduledJump>,
}

impl ClockPlan {
    /// A perfect clock.
    pub fn none() -> ClockPlan {
        ClockPlan {
            offset_ms: 0,
            drift_ppm: 0,
            jumps: Vec::new(),
        }
    }

    /// A plan with the given parts; jumps are sorted and drift clamped.
    pub fn new(offset_ms: i64, drift_ppm: i64, mut jumps: Vec<ScheduledJump>) -> ClockPlan {
        jumps.sort_by_key(|jump| jump.at_ms);
        ClockPlan {
            offset_ms,
            drift_ppm: drift_ppm.clamp(-DRIFT_PPM_LIMIT, DRIFT_PPM_LIMIT),
            jumps,
        }
    }

    /// Draws offset, drift and jump schedule within `params` from `rng`.
    pub fn draw(rng: &mut Stream, params: &ClockParams) -> ClockPlan {
        let offset_ms = rng::symmetric_i64(rng, params.offset_ms_max);
        let drift_ppm = rng::symmetric_i64(rng, params.drift_ppm_max);
        let jump_count = rng::uniform_u64(rng, 0, u64::from(params.jumps_max));
        let mut jumps = Vec::new();
        for _ in 0..jump_count {
            let at_ms = rng::uniform_u64(rng, 0, params.horizon_ms.saturating_sub(1));
            let size_ms = rng::uniform_u64(rng, params.jump_ms_min, params.jump_ms_max);
            let size_ms = i64::try_from(size_ms).unwrap_or(i64::MAX);
            let delta_ms = if rng::chance(rng, 0.5) {
                size_ms
            } else {
                -size_ms
            };
            jumps.push(ScheduledJump { at_ms, delta_ms });
        }
        ClockPlan::new(offset_ms, drift_ppm, jumps)
    }

    /// Sum of the jumps that took effect by `elapsed_ms`.
    pub fn jumps_ms_by(&self, elapsed_ms: u64) -> i64 {
        self.jumps
            .iter()
            .take_while(|jump| jump.at_ms <= elapsed_ms)
            .fold(0i64, |sum, jump| sum.saturating_add(jump.delta_ms))
    }

    /// Drift accumulated after `elapsed_ms` of true time, in ms.
    pub fn drift_ms_at(&self, elapsed_ms: u64) -> i64 {
        let drift = i128::from(elapsed_ms) * i128::from(self.drift_ppm) / 1_000_000;
        i64::try_from(drift).unwrap_or(0)
    }

    /// This clock's wall time minus true wall time at `elapsed_ms`, in ms.
    pub fn skew_ms_at(&self, elapsed_ms: u64) -> i64 {
        self.offset_ms
            .saturating_add(self.drift_ms_at(elapsed_ms))
            .saturating_add(self.jumps_ms_by(elapsed_ms))
    }

    /// The largest |wall − true| over `[0, horizon_ms]` (plus 1 ms of rounding slack): the
    /// clock-skew bound a TTL check may allow for this node.
    pub fn skew_ms_max(&self, horizon_ms: u64) -> u64 {
        // Skew is piecewise linear in time; its extremes lie at the ends and at the jumps.
        let mut points = vec![0, horizon_ms];
        for jump in self.jumps.iter().filter(|jump| jump.at_ms <= horizon_ms) {
            points.push(jump.at_ms.saturating_sub(1));
            points.push(jump.at_ms);
        }
        let max = points
            .iter()
            .map(|&at_ms| self.skew_ms_at(at_ms).unsigned_abs())
            .max()
            .unwrap_or(0);
        max.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_follows_the_plan() {
        let plan = ClockPlan::new(
            100,
            1_000,
            vec![
                ScheduledJump {
                    at_ms: 5_000,
                    delta_ms: -3_000,
                },
                ScheduledJump {
                    at_ms: 1_000,
                    delta_ms: 2_000,
                },
            ],
        );
        assert_eq!(plan.jumps[0].at_ms, 1_000);
        assert_eq!(plan.skew_ms_at(0), 100);
        assert_eq!(plan.skew_ms_at(1_000), 100 + 1 + 2_000);
        assert_eq!(plan.skew_ms_at(5_000), 100 + 5 + 2_000 - 3_000);
        assert_eq!(plan.skew_ms_max(10_000), 2_105);
        // Long enough for drift to dominate: 100 + 10_000 - 1_000.
        assert_eq!(plan.skew_ms_max(10_000_000), 9_101);
    }

    #[test]
    fn none_is_perfect() {
        let plan = ClockPlan::draw(&mut rng::stream(1, "c"), &ClockParams::none());
        assert_eq!(plan, ClockPlan::none());
        assert_eq!(plan.skew_ms_max(1_000_000), 1);
    }
}
