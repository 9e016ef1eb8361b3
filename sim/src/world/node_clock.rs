//! The clocks of the background nodes and the remote workers.

use super::config::WorldConfig;
use crate::clock::{ClockPlan, SimClock};
use crate::rng;
use crate::trace::Trace;

/// A background node's clock: its own offset, drift and jumps, drawn from the seed by the
/// node's name, with its driver running.
pub fn node_clock(config: &WorldConfig, name: &str, trace: &Trace) -> SimClock {
    let plan = ClockPlan::draw(
        &mut rng::stream(config.seed, &format!("clock/{name}")),
        &config.clocks,
    );
    let clock = SimClock::new(name, plan, trace.clone());
    clock.spawn_driver();
    clock
}
