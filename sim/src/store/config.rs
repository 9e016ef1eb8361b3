//! Configuration of the simulated store node.

use super::faults::StoreFaultConfig;
use super::latency::LatencyConfig;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Where the store listens by default; other nodes need IPs of their own (any other
/// address) because the store replies to the sender's address.
pub const DEFAULT_STORE_ADDRESS: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 255, 0, 1)), 9000);

/// Everything about the store node. Faults can be changed while running
/// (`StoreNode::set_faults`); the rest is fixed at start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoreConfig {
    /// madsim node name of the store.
    pub node_name: String,
    pub address: SocketAddr,
    pub latency: LatencyConfig,
    pub faults: StoreFaultConfig,
    /// How long a caller waits for a reply before reporting `UnknownOutcome`.
    pub request_timeout_ms: u64,
    /// Requests in flight at the store beyond which new ones get 503 SlowDown at once
    /// (a bound on the store's tasks, and S3's own behaviour under overload).
    pub in_flight_max: u64,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig::with_faults(StoreFaultConfig::none())
    }
}

impl StoreConfig {
    pub fn with_faults(faults: StoreFaultConfig) -> StoreConfig {
        StoreConfig {
            node_name: "store".to_string(),
            address: DEFAULT_STORE_ADDRESS,
            latency: LatencyConfig::default(),
            faults,
            request_timeout_ms: 10_000,
            in_flight_max: 10_000,
        }
    }
}
