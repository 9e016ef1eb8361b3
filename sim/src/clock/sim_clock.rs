//! [`SimClock`]: one node's skewed clock over madsim's sim time.
//!
//! `monotonic` = sim elapsed × (1 + drift); never decreases, ignores jumps.
//! `wall_ms` = [`EPOCH_BASE_MS`] + sim elapsed × (1 + drift) + offset + jumps taken effect.
//! A jump takes effect at its scheduled sim time whether or not anyone looks; it is recorded
//! in the trace (and counted) by whichever comes first: the driver task, if one runs
//! ([`SimClock::spawn_driver`]), or the first `wall_ms` read after it.

use super::{ClockPlan, EPOCH_BASE_MS, sim_elapsed_ns};
use crate::trace::{Trace, TraceEvent};
use lsm_core::clock::Clock;
use lsm_core::entry::WallMs;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const NS_PER_MS: u64 = 1_000_000;

/// A node's clock; clones share the same clock.
#[derive(Clone, Debug)]
pub struct SimClock {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    node: String,
    plan: ClockPlan,
    trace: Trace,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Jumps (a prefix of the plan's) already recorded in the trace.
    jumps_recorded: usize,
    /// Last value `monotonic` returned, so it can never go back even through rounding.
    monotonic_ns_last: u64,
    /// Largest |wall − true| seen by a `wall_ms` read.
    skew_ms_max_observed: u64,
}

impl SimClock {
    /// The clock of `node`, behaving per `plan`, recording its jumps into `trace`.
    pub fn new(node: &str, plan: ClockPlan, trace: Trace) -> SimClock {
        SimClock {
            shared: Arc::new(Shared {
                node: node.to_string(),
                plan,
                trace,
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn node(&self) -> &str {
        &self.shared.node
    }

    pub fn plan(&self) -> &ClockPlan {
        &self.shared.plan
    }

    /// Sim elapsed time stretched by the drift, in ns.
    fn drifted_ns(&self, elapsed_ns: u64) -> u64 {
        let elapsed = i128::from(elapsed_ns);
        let drifted = elapsed + elapsed * i128::from(self.shared.plan.drift_ppm) / 1_000_000;
        u64::try_from(drifted.max(0)).unwrap_or(u64::MAX)
    }

    /// The wall clock this node shows at sim time `elapsed_ns` (a pure function of it).
    pub fn wall_ms_at(&self, elapsed_ns: u64) -> WallMs {
        let plan = &self.shared.plan;
        let wall = i128::from(EPOCH_BASE_MS)
            + i128::from(self.drifted_ns(elapsed_ns) / NS_PER_MS)
            + i128::from(plan.offset_ms)
            + i128::from(plan.jumps_ms_by(elapsed_ns / NS_PER_MS));
        u64::try_from(wall.max(0)).unwrap_or(u64::MAX)
    }

    /// The true date now (no skew): what a perfect clock would show.
    pub fn true_wall_ms(&self) -> WallMs {
        EPOCH_BASE_MS + sim_elapsed_ns() / NS_PER_MS
    }

    /// This clock's wall time minus the true date, now.
    pub fn skew_ms(&self) -> i64 {
        let wall = i128::from(self.wall_ms_at(sim_elapsed_ns()));
        let skew = wall - i128::from(self.true_wall_ms());
        i64::try_from(skew).unwrap_or(i64::MAX)
    }

    /// Largest |wall − true| any `wall_ms` read has seen so far.
    pub fn skew_ms_max_observed(&self) -> u64 {
        self.lock().skew_ms_max_observed
    }

    /// Jumps recorded so far (each scheduled jump is recorded once).
    pub fn jumps_applied(&self) -> usize {
        self.lock().jumps_recorded
    }

    /// Records in the trace every scheduled jump that has taken effect by now.
    pub fn note_jumps(&self) {
        let now_ns = sim_elapsed_ns();
        let now_ms = now_ns / NS_PER_MS;
        let mut state = self.lock();
        let jumps = &self.shared.plan.jumps;
        while let Some(jump) = jumps.get(state.jumps_recorded) {
            if jump.at_ms > now_ms {
                break;
            }
            state.jumps_recorded += 1;
            self.shared.trace.record_at(
                now_ns,
                &self.shared.node,
                TraceEvent::ClockJump {
                    delta_ms: jump.delta_ms,
                    scheduled_at_ms: jump.at_ms,
                    wall_ms_after: self.wall_ms_at(now_ns),
                },
            );
        }
    }

    /// Spawns, on the current madsim node, a task that records each jump when it happens.
    /// Spawn it from the supervisor (the `block_on` future) so that killing the clock's
    /// node does not stop it; without it, jumps are recorded lazily by `wall_ms`.
    pub fn spawn_driver(&self) -> madsim::task::JoinHandle<()> {
        let clock = self.clone();
        madsim::task::spawn(async move {
            // Bounded by the plan's jump count.
            for jump in clock.shared.plan.jumps.clone() {
                let due_ns = jump.at_ms.saturating_mul(NS_PER_MS);
                let now_ns = sim_elapsed_ns();
                if due_ns > now_ns {
                    madsim::time::sleep(Duration::from_nanos(due_ns - now_ns)).await;
                }
                clock.note_jumps();
            }
        })
    }
}

impl Clock for SimClock {
    fn monotonic(&self) -> Duration {
        let drifted_ns = self.drifted_ns(sim_elapsed_ns());
        let mut state = self.lock();
        state.monotonic_ns_last = state.monotonic_ns_last.max(drifted_ns);
        Duration::from_nanos(state.monotonic_ns_last)
    }

    fn wall_ms(&self) -> WallMs {
        self.note_jumps();
        let wall = self.wall_ms_at(sim_elapsed_ns());
        let skew = self.skew_ms().unsigned_abs();
        let mut state = self.lock();
        state.skew_ms_max_observed = state.skew_ms_max_observed.max(skew);
        wall
    }

    /// madsim's sleep of `duration` sim time (drift is not applied to sleeps).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        madsim::time::sleep(duration)
    }
}
