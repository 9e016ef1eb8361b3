//! [`SystemClock`]: core's `Clock` on the machine's clocks, for roles run on tokio.

use lsm_core::clock::Clock;
use lsm_core::entry::WallMs;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Monotonic time from `Instant` (since the clock was made), wall time from `SystemTime`.
/// `sleep` needs a tokio runtime.
#[derive(Clone, Copy, Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wall_ms(&self) -> WallMs {
        // A system clock set before 1970 reads as the epoch: wall time may jump anyway, and
        // every rule that reads it is written for that.
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
    }

    fn sleep(&self, duration: Duration) -> impl std::future::Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn monotonic_advances_by_at_least_the_sleep_and_wall_is_now() {
        let clock = SystemClock::new();
        let before = clock.monotonic();
        clock.sleep(Duration::from_millis(20)).await;
        let after = clock.monotonic();
        assert!(
            after >= before + Duration::from_millis(20),
            "{before:?} → {after:?}"
        );
        // 2020-01-01 and 2200-01-01: a real date, in milliseconds.
        let wall = clock.wall_ms();
        assert!(
            (1_577_836_800_000..7_258_118_400_000).contains(&wall),
            "{wall}"
        );
    }
}
