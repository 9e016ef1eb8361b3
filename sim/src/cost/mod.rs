//! What a run costs on a real object store: every request the simulated store received,
//! counted by the role that sent it ([`tally`], [`roles`]), the whole bucket's size over
//! time ([`bucket_meter`]), and a pure price model ([`model`]) that turns them into
//! requests per user operation, egress bytes per user byte and dollars, under a placement
//! of the roles ([`placement`]) and a price table file ([`prices`]).
//!
//! Counting changes nothing in a run: no draws, no waits, no trace events.

pub mod bucket_meter;
pub mod model;
pub mod placement;
pub mod prices;
pub mod roles;
pub mod tally;

pub use bucket_meter::{BucketMeter, BucketOverTime};
pub use model::{CostAccounting, CostEstimate, RoleCost, StoreTotals, estimate, request_usd};
pub use placement::{Placement, Region};
pub use prices::{PriceError, PriceTable};
pub use roles::{Role, role_of};
pub use tally::{RequestCounts, RequestKind, RequestTally, Traffic};

/// A run's cost section: the accounting and its estimate under a placement and prices.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CostReport {
    pub accounting: CostAccounting,
    pub estimate: CostEstimate,
}
