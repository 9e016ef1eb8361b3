//! Time as the core sees it: only through this trait, so the simulator can skew it.

use crate::entry::WallMs;
use std::future::Future;
use std::time::Duration;

/// A node's clocks. `monotonic` never goes backwards and drives timeouts; `wall_ms` is the
/// node's idea of the date and may be offset, drift, and jump either way — TTL expiry and
/// every age-based rule read it, which is exactly where skew bites in real deployments.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary fixed origin; never decreases.
    fn monotonic(&self) -> Duration;

    /// Milliseconds since the Unix epoch, per this node.
    fn wall_ms(&self) -> WallMs;

    /// Completes after `duration` of monotonic time. The only way core code waits.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}
