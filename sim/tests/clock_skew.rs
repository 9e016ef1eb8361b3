//! Per-node clocks: offset, drift, jumps forward and backward, a monotonic clock that never
//! decreases, jumps recorded in the trace, and a reportable skew bound.
#![allow(clippy::unwrap_used)]

use lsm_core::clock::Clock;
use madsim::runtime::{Handle, Runtime};
use madsim::time::{Duration, sleep};
use sim::clock::{ClockParams, ClockPlan, EPOCH_BASE_MS, ScheduledJump, SimClock};
use sim::rng;
use sim::trace::{Trace, TraceEvent};
use std::net::IpAddr;

#[test]
fn jumps_happen_both_ways_and_monotonic_never_decreases() {
    let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
    runtime.block_on(async {
        let trace = Trace::default();
        let plan = ClockPlan::new(
            250,
            -500,
            vec![
                ScheduledJump {
                    at_ms: 10_000,
                    delta_ms: 5_000,
                },
                ScheduledJump {
                    at_ms: 30_000,
                    delta_ms: -8_000,
                },
            ],
        );
        let bound = plan.skew_ms_max(60_000);
        let clock = SimClock::new("writer", plan.clone(), trace.clone());
        let _driver = clock.spawn_driver();
        assert_eq!(clock.wall_ms(), EPOCH_BASE_MS + 250);
        let mut last_monotonic = clock.monotonic();
        let mut last_wall = clock.wall_ms();
        let (mut forward_steps, mut backward_steps) = (0, 0);
        for _ in 0..600 {
            sleep(Duration::from_millis(100)).await;
            let monotonic = clock.monotonic();
            assert!(monotonic >= last_monotonic);
            last_monotonic = monotonic;
            let wall = clock.wall_ms();
            let step = wall as i64 - last_wall as i64;
            if step > 1_000 {
                forward_steps += 1;
            }
            if step < 0 {
                backward_steps += 1;
            }
            last_wall = wall;
            // The wall clock is the true date plus the plan's skew (±1 ms of rounding).
            let elapsed_ms = sim::clock::sim_elapsed().as_millis() as u64;
            let expected = clock.true_wall_ms() as i64 + plan.skew_ms_at(elapsed_ms);
            assert!((wall as i64 - expected).abs() <= 1, "{wall} vs {expected}");
            assert!(clock.skew_ms().unsigned_abs() <= bound);
        }
        assert_eq!((forward_steps, backward_steps), (1, 1));
        assert_eq!(clock.jumps_applied(), 2);
        assert!(clock.skew_ms_max_observed() <= bound);
        assert!(clock.skew_ms_max_observed() >= 5_000);
        // Drift of −500 ppm: the monotonic clock ran 0.05 % slow over the minute.
        let elapsed = sim::clock::sim_elapsed();
        assert!(last_monotonic < elapsed);
        assert!(last_monotonic >= elapsed.mul_f64(0.9994));
        let jumps: Vec<(i64, u64, String)> = trace
            .kept()
            .into_iter()
            .filter_map(|entry| match entry.event {
                TraceEvent::ClockJump {
                    delta_ms,
                    scheduled_at_ms,
                    ..
                } => {
                    // Recorded by the driver within a few ms of the scheduled time.
                    assert!(entry.at_ns / 1_000_000 - scheduled_at_ms < 5);
                    Some((delta_ms, scheduled_at_ms, entry.node))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            jumps,
            vec![
                (5_000, 10_000, "writer".to_string()),
                (-8_000, 30_000, "writer".to_string()),
            ]
        );
    });
}

#[test]
fn jumps_are_recorded_lazily_without_a_driver() {
    let runtime = Runtime::with_seed_and_config(2, madsim::Config::default());
    runtime.block_on(async {
        let trace = Trace::default();
        let plan = ClockPlan::new(
            0,
            0,
            vec![ScheduledJump {
                at_ms: 1_000,
                delta_ms: -2_000,
            }],
        );
        let clock = SimClock::new("compactor", plan, trace.clone());
        sleep(Duration::from_secs(5)).await;
        assert_eq!(trace.recorded_total(), 0);
        let wall = clock.wall_ms();
        assert_eq!(clock.jumps_applied(), 1);
        assert_eq!(trace.recorded_total(), 1);
        assert!(wall < clock.true_wall_ms());
    });
}

#[test]
fn drawn_plans_jump_both_ways_and_clocks_survive_node_kills() {
    let params = ClockParams::heavy();
    let (mut forward, mut backward) = (0, 0);
    for seed in 0..50u64 {
        let plan = ClockPlan::draw(&mut rng::stream(seed, "clock/writer"), &params);
        assert!(plan.offset_ms.unsigned_abs() <= params.offset_ms_max);
        assert!(plan.drift_ppm.unsigned_abs() <= params.drift_ppm_max);
        assert!(plan.jumps.len() <= params.jumps_max as usize);
        assert!(plan.jumps.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        forward += plan.jumps.iter().filter(|j| j.delta_ms > 0).count();
        backward += plan.jumps.iter().filter(|j| j.delta_ms < 0).count();
        assert_eq!(
            plan,
            ClockPlan::draw(&mut rng::stream(seed, "clock/writer"), &params)
        );
    }
    assert!(forward > 0 && backward > 0);

    // The clock belongs to the machine, not to the process: a kill does not reset it.
    let runtime = Runtime::with_seed_and_config(3, madsim::Config::default());
    runtime.block_on(async {
        let plan = ClockPlan::draw(&mut rng::stream(3, "clock/worker"), &ClockParams::heavy());
        let clock = SimClock::new("worker", plan, Trace::default());
        let handle = Handle::current();
        let node = handle
            .create_node()
            .name("worker")
            .ip(IpAddr::from([10, 0, 3, 2]))
            .build();
        let on_node = clock.clone();
        let before = node
            .spawn(async move { on_node.monotonic() })
            .await
            .unwrap();
        sleep(Duration::from_secs(1)).await;
        handle.kill("worker");
        handle.restart("worker");
        let on_node = clock.clone();
        let node = handle.get_node(node.id()).unwrap();
        let after = node
            .spawn(async move { on_node.monotonic() })
            .await
            .unwrap();
        assert!(after > before);
    });
}
