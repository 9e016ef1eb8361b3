//! RocksDB's adaptive delayed write rate: its `WriteController` as
//! `ColumnFamilyData::RecalculateWriteStallConditions` and `SetupDelay` drive it. At every
//! new version (a memtable switch, a flush or a compaction installed) the stall condition
//! is recomputed; while writes stay delayed, the rate falls by 0.8 when the compaction debt
//! did not shrink, by 0.6 when L0 is two tables from the stop trigger (or the debt is in
//! the top quarter between the soft and hard limits), and rises by 1/0.8 when the debt
//! shrank; leaving the delay raises it by 1.4. It never exceeds `delayed_write_rate` and
//! never falls below 16 KiB/s. A constant rate instead let L0 grow further while delayed
//! (leveled insert-random: 29 sorted runs against RocksDB's 24–25 at ~300 k puts/s).

use lsm_core::compaction::{StallOptions, StallReason, StallState};

/// `kIncSlowdownRatio`: the debt did not shrink while delayed.
const INC_SLOWDOWN_RATIO: f64 = 0.8;
/// `kDecSlowdownRatio`: the debt shrank while delayed.
const DEC_SLOWDOWN_RATIO: f64 = 1.0 / INC_SLOWDOWN_RATIO;
/// `kNearStopSlowdownRatio`: delayed and close to the stop condition.
const NEAR_STOP_SLOWDOWN_RATIO: f64 = 0.6;
/// `kDelayRecoverSlowdownRatio`: the delay ended.
const DELAY_RECOVER_RATIO: f64 = 1.4;
/// `kMinWriteRate` in `SetupDelay`.
const MIN_RATE_BYTES_PER_S: u64 = 16 * 1024;

/// The stall condition and the delayed write rate, between two versions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct WriteController {
    max_rate_bytes_per_s: u64,
    rate_bytes_per_s: u64,
    condition: StallState,
    /// The compaction debt at the previous recalculation.
    prev_debt_bytes: u64,
}

impl WriteController {
    /// RocksDB starts at (and caps at) `delayed_write_rate`.
    pub(super) fn new(max_rate_bytes_per_s: u64) -> WriteController {
        assert!(max_rate_bytes_per_s > 0);
        WriteController {
            max_rate_bytes_per_s,
            rate_bytes_per_s: max_rate_bytes_per_s,
            condition: StallState::Normal,
            prev_debt_bytes: 0,
        }
    }

    pub(super) fn condition(&self) -> StallState {
        self.condition
    }

    /// The rate delayed writes are held to.
    pub(super) fn rate_bytes_per_s(&self) -> u64 {
        self.rate_bytes_per_s
    }

    /// A new version: `state` under `options`, with `debt_bytes` of estimated pending
    /// compaction.
    pub(super) fn recalculate(
        &mut self,
        state: StallState,
        options: &StallOptions,
        debt_bytes: u64,
    ) {
        // A stop replaces RocksDB's delay token, so only a delay that continues adapts.
        let was_delayed = matches!(self.condition, StallState::Delayed { .. });
        match state {
            StallState::Delayed { reason } if was_delayed => {
                self.adapt(near_stop(reason, options), debt_bytes);
            }
            StallState::Normal if was_delayed => {
                self.set_rate(self.rate_bytes_per_s as f64 * DELAY_RECOVER_RATIO);
            }
            _ => {}
        }
        self.condition = state;
        self.prev_debt_bytes = debt_bytes;
        assert!(self.rate_bytes_per_s <= self.max_rate_bytes_per_s);
    }

    /// `SetupDelay` while already delayed.
    fn adapt(&mut self, near_stop: bool, debt_bytes: u64) {
        if self.max_rate_bytes_per_s <= MIN_RATE_BYTES_PER_S {
            return;
        }
        let rate = self.rate_bytes_per_s as f64;
        if near_stop {
            self.set_rate(rate * NEAR_STOP_SLOWDOWN_RATIO);
        } else if self.prev_debt_bytes > 0 && self.prev_debt_bytes <= debt_bytes {
            self.set_rate(rate * INC_SLOWDOWN_RATIO);
        } else if self.prev_debt_bytes > debt_bytes {
            self.set_rate(rate * DEC_SLOWDOWN_RATIO);
        }
    }

    fn set_rate(&mut self, rate_bytes_per_s: f64) {
        let floor = MIN_RATE_BYTES_PER_S.min(self.max_rate_bytes_per_s);
        self.rate_bytes_per_s = (rate_bytes_per_s as u64).clamp(floor, self.max_rate_bytes_per_s);
    }
}

/// L0 two tables from the stop trigger, or the debt in the top quarter between the soft
/// and hard limits.
fn near_stop(reason: StallReason, options: &StallOptions) -> bool {
    match reason {
        StallReason::L0SortedRuns { count, .. } => {
            count >= options.level0_stop_writes_trigger.saturating_sub(2)
        }
        StallReason::PendingCompactionBytes { bytes, .. } => {
            let (soft, hard) = (
                options.soft_pending_compaction_bytes_limit,
                options.hard_pending_compaction_bytes_limit,
            );
            hard > 0 && bytes.saturating_sub(soft) > hard.saturating_sub(soft).saturating_mul(3) / 4
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 16 << 20;

    fn delayed(count: usize) -> StallState {
        StallState::Delayed {
            reason: StallReason::L0SortedRuns { count, trigger: 20 },
        }
    }

    #[test]
    fn a_delay_that_lasts_slows_down_while_the_debt_grows_and_recovers_after() {
        let options = StallOptions::default();
        let mut controller = WriteController::new(MAX);
        controller.recalculate(delayed(20), &options, 100);
        assert_eq!(
            controller.rate_bytes_per_s(),
            MAX,
            "entering a delay keeps the rate"
        );
        controller.recalculate(delayed(21), &options, 100);
        assert_eq!(controller.rate_bytes_per_s(), (MAX as f64 * 0.8) as u64);
        let after_growth = controller.rate_bytes_per_s();
        controller.recalculate(delayed(21), &options, 50);
        assert_eq!(
            controller.rate_bytes_per_s(),
            (after_growth as f64 / 0.8) as u64,
            "the debt shrank"
        );
        controller.recalculate(delayed(34), &options, 50);
        let near_stop = controller.rate_bytes_per_s();
        assert!(near_stop < after_growth, "34 of a 36 stop trigger");
        controller.recalculate(StallState::Normal, &options, 0);
        assert_eq!(
            controller.rate_bytes_per_s(),
            (near_stop as f64 * 1.4) as u64
        );
        for _ in 0..8 {
            controller.recalculate(delayed(20), &options, 0);
            controller.recalculate(StallState::Normal, &options, 0);
        }
        assert_eq!(
            controller.rate_bytes_per_s(),
            MAX,
            "capped at delayed_write_rate"
        );
    }

    #[test]
    fn the_rate_never_falls_below_sixteen_kib_and_a_stop_resets_the_adaptation() {
        let options = StallOptions::default();
        let mut controller = WriteController::new(MAX);
        for _ in 0..64 {
            controller.recalculate(delayed(35), &options, 1);
        }
        assert_eq!(controller.rate_bytes_per_s(), MIN_RATE_BYTES_PER_S);
        let stopped = StallState::Stopped {
            reason: StallReason::L0SortedRuns {
                count: 36,
                trigger: 36,
            },
        };
        let mut fresh = WriteController::new(MAX);
        fresh.recalculate(delayed(21), &options, 10);
        fresh.recalculate(stopped, &options, 10);
        fresh.recalculate(delayed(21), &options, 10);
        assert_eq!(
            fresh.rate_bytes_per_s(),
            MAX,
            "a delay after a stop starts afresh"
        );
        assert_eq!(fresh.condition(), delayed(21));
    }
}
