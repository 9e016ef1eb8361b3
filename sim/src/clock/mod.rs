//! Per-node clocks with offset, drift and scheduled jumps ([`SimClock`], drawn by
//! [`ClockPlan::draw`]), and the one place the simulator reads madsim's time.
//!
//! A node gets its clock with `SimClock::new("writer", plan, trace.clone())` and hands it to
//! the roles as their `lsm_core::clock::Clock`. Clocks live outside nodes: a killed and
//! restarted node keeps its (skewed) hardware clock.

mod plan;
mod sim_clock;

pub use plan::{ClockParams, ClockPlan, ScheduledJump};
pub use sim_clock::SimClock;

use std::time::Duration;

/// The fixed wall-clock date at sim time zero: 2026-01-01T00:00:00Z, in ms since the epoch.
/// (madsim's own `SystemTime` base depends on the seed; ours does not.)
pub const EPOCH_BASE_MS: u64 = 1_767_225_600_000;

/// Sim time since the runtime started; zero outside a madsim runtime.
pub fn sim_elapsed() -> Duration {
    madsim::time::TimeHandle::try_current()
        .map(|handle| handle.elapsed())
        .unwrap_or_default()
}

/// [`sim_elapsed`] in nanoseconds (saturating).
pub fn sim_elapsed_ns() -> u64 {
    u64::try_from(sim_elapsed().as_nanos()).unwrap_or(u64::MAX)
}
