//! Bounded retries of store requests that certainly did not apply, with capped exponential
//! backoff on the role's own clock.

use crate::clock::Clock;
use crate::store::StoreError;
use std::future::Future;
use std::time::Duration;

/// How often and how patiently a role retries a request that failed without effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. At least 1.
    pub attempts_max: u32,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts_max: 8,
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (0-based; attempt 0 does not wait).
    pub fn backoff(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(16))
            .unwrap_or(u32::MAX);
        self.backoff_initial
            .checked_mul(factor)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }

    pub fn attempts(&self) -> u32 {
        self.attempts_max.max(1)
    }
}

/// Runs an idempotent request (a read, a delete) until it succeeds, fails for good, or the
/// attempts run out. Unknown outcomes are retried too: repeating an idempotent request is
/// exactly how its outcome is resolved.
pub async fn retry_idempotent<C, T, F, Fut>(
    clock: &C,
    policy: &RetryPolicy,
    mut request: F,
) -> Result<T, StoreError>
where
    C: Clock,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut last_error = None;
    for attempt in 0..policy.attempts() {
        clock.sleep(policy.backoff(attempt)).await;
        match request().await {
            Ok(value) => return Ok(value),
            Err(
                error @ (StoreError::Transient { .. }
                | StoreError::Conflict { .. }
                | StoreError::UnknownOutcome { .. }),
            ) => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or(StoreError::Transient {
        path: String::new(),
        detail: "no attempt made".to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            attempts_max: 40,
            backoff_initial: Duration::from_millis(10),
            backoff_max: Duration::from_millis(100),
        };
        let waits: Vec<u64> = (0..7)
            .map(|a| policy.backoff(a).as_millis() as u64)
            .collect();
        assert_eq!(waits, vec![0, 10, 20, 40, 80, 100, 100]);
        assert_eq!(policy.backoff(39), Duration::from_millis(100));
    }
}
