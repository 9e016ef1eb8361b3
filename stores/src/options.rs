//! How the adapters talk to a store: timeouts and the adapter's own bounded retries.

use std::time::Duration;

/// Timeouts and retries of a real store. `object_store`'s own retries are always off: it
/// retries a request whose connection closed mid-flight as if it had not been sent, which
/// would hide an unknown outcome (a conditional put applied, retried, then refused by its
/// own first copy). The adapter retries instead, and only what cannot hide anything:
/// failures known not to have been applied (`Transient`: 5xx, throttling, refused
/// connections) for every request, and unknown outcomes of reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Whole-request timeout; past it a write is an `UnknownOutcome`. Default 30 s (S3 SDKs
    /// use similar values; RocksDB's env has none).
    pub request_timeout: Duration,
    /// Connection timeout; failing to connect sends nothing, so it is `Transient`. Default 5 s.
    pub connect_timeout: Duration,
    /// Attempts per request, the first included (≥ 1). Default 3.
    pub attempts_max: u32,
    /// Pause before the second attempt; doubles per attempt up to `backoff_max`. Default 50 ms.
    pub backoff_initial: Duration,
    /// Default 1 s.
    pub backoff_max: Duration,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            attempts_max: 3,
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(1),
        }
    }
}

impl StoreOptions {
    /// The pause before attempt `attempt` (0-based; none before the first).
    pub fn backoff(&self, attempt: u32) -> Duration {
        assert!(self.attempts_max >= 1, "attempts_max must be at least 1");
        if attempt == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (attempt - 1).min(16);
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}
