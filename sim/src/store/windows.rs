//! Windows of trouble (throttling bursts, latency spikes): a schedule of `[start, end)`
//! intervals of sim time with exponential gaps, drawn from its own stream and generated
//! lazily as time passes, so the windows depend on the seed and on time only, never on the
//! requests that happen to look.

use crate::rng::{self, Stream};
use serde::Serialize;

/// How often windows open and how long they last.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowConfig {
    /// Mean number of windows starting per minute of sim time; 0 disables them.
    pub per_minute: f64,
    pub duration_ms_min: u64,
    pub duration_ms_max: u64,
    /// Strength of a window (a spike's latency multiplier), drawn uniformly in this range.
    pub magnitude_min: f64,
    pub magnitude_max: f64,
}

impl WindowConfig {
    pub fn none() -> WindowConfig {
        WindowConfig {
            per_minute: 0.0,
            duration_ms_min: 0,
            duration_ms_max: 0,
            magnitude_min: 1.0,
            magnitude_max: 1.0,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.per_minute > 0.0 && self.duration_ms_max > 0
    }
}

/// One window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Position in the schedule (0-based), to tell windows apart in traces.
    pub index: u64,
    pub start_ms: u64,
    pub end_ms: u64,
    pub magnitude: f64,
}

/// Most windows generated in one call: a run far longer than any real one still terminates.
const WINDOWS_PER_STEP_MAX: u32 = 1_000_000;

/// The lazily generated schedule.
#[derive(Clone, Debug)]
pub struct WindowSchedule {
    rng: Stream,
    config: WindowConfig,
    /// The current or next window; `None` when disabled.
    next: Option<Window>,
    generated: u64,
}

impl WindowSchedule {
    pub fn new(rng: Stream, config: WindowConfig) -> WindowSchedule {
        let mut schedule = WindowSchedule {
            rng,
            config,
            next: None,
            generated: 0,
        };
        schedule.next = schedule.draw_after(0);
        schedule
    }

    /// Replaces the configuration from `now_ms` on (e.g. faults stop for quiescence).
    pub fn reconfigure(&mut self, config: WindowConfig, now_ms: u64) {
        self.config = config;
        self.next = self.draw_after(now_ms);
    }

    fn draw_after(&mut self, after_ms: u64) -> Option<Window> {
        if !self.config.is_enabled() {
            return None;
        }
        let mean_gap_ms = 60_000.0 / self.config.per_minute;
        let gap_ms = rng::exponential(&mut self.rng, mean_gap_ms).min(u64::MAX as f64 / 4.0);
        let duration_ms = rng::uniform_u64(
            &mut self.rng,
            self.config.duration_ms_min.max(1),
            self.config.duration_ms_max.max(1),
        );
        let magnitude = rng::uniform_f64(
            &mut self.rng,
            self.config.magnitude_min,
            self.config.magnitude_max,
        );
        let start_ms = after_ms.saturating_add(gap_ms as u64);
        let window = Window {
            index: self.generated,
            start_ms,
            end_ms: start_ms.saturating_add(duration_ms),
            magnitude,
        };
        self.generated += 1;
        Some(window)
    }

    /// The window open at `now_ms`, if any. Call with non-decreasing times.
    pub fn active_at(&mut self, now_ms: u64) -> Option<Window> {
        for _ in 0..WINDOWS_PER_STEP_MAX {
            let window = self.next?;
            if now_ms < window.end_ms {
                return (window.start_ms <= now_ms).then_some(window);
            }
            self.next = self.draw_after(window.end_ms);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WindowConfig {
        WindowConfig {
            per_minute: 2.0,
            duration_ms_min: 1_000,
            duration_ms_max: 5_000,
            magnitude_min: 3.0,
            magnitude_max: 10.0,
        }
    }

    #[test]
    fn windows_depend_on_time_only() {
        let mut sparse = WindowSchedule::new(rng::stream(5, "w"), config());
        let mut dense = WindowSchedule::new(rng::stream(5, "w"), config());
        let mut open_ms = 0u64;
        for now_ms in (0..3_600_000u64).step_by(100) {
            let dense_window = dense.active_at(now_ms);
            if now_ms % 10_000 == 0 {
                assert_eq!(sparse.active_at(now_ms), dense_window);
            }
            if let Some(window) = dense_window {
                open_ms += 100;
                assert!((3.0..10.0).contains(&window.magnitude));
            }
        }
        // About 2 windows of ~3 s a minute: ~10 % of the time.
        assert!((100_000..800_000).contains(&open_ms), "open {open_ms} ms");
    }

    #[test]
    fn disabled_never_opens() {
        let mut schedule = WindowSchedule::new(rng::stream(5, "w"), WindowConfig::none());
        assert_eq!(schedule.active_at(1_000_000), None);
    }
}
