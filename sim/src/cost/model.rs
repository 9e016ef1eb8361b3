//! The price model, pure: a run's accounting, a placement and a price table give dollars.
//!
//! - Requests: every request that reached the store, at its kind's rate (PUT and LIST at the
//!   PUT rate, GET whole or ranged and HEAD at the GET rate, DELETE at its own, free at S3).
//!   Requests the store refused (throttled, failed) are counted too: an upper bound, since
//!   S3 does not bill every error.
//! - Egress: the object bytes the store sent to roles placed cross-region (GET bodies;
//!   the few bytes of LIST and HEAD replies are not counted), at the egress rate.
//! - Ingress: the PUT bytes those roles sent, at the ingress rate — 0 at S3, where transfer
//!   in is free; the table can set the sender's own outbound rate instead.
//! - `$ per million writes` = (requests + egress + ingress) ÷ acknowledged user writes × 10⁶.
//! - Storage: the time-weighted mean of the whole bucket's bytes (every object, deferred
//!   deletions included) at the GB-month rate; also per live logical GB, which compares
//!   configurations whose runs hold different amounts of data.

use super::placement::{Placement, Region};
use super::prices::{BYTES_PER_GB, PriceTable};
use super::roles::Role;
use super::tally::{RequestCounts, RequestTally, Traffic};
use crate::store::PrefixUsage;
use serde::Serialize;
use std::collections::BTreeMap;

/// The store's own counters, kept apart from the per-sender tallies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreTotals {
    pub requests: u64,
    /// By the store's op names (`get`, `put_create`, ...).
    pub requests_by_op: BTreeMap<String, u64>,
    pub uploaded_bytes: u64,
    pub downloaded_bytes: u64,
}

/// What a run measured that the model prices.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CostAccounting {
    /// Each role's requests and bytes, by object class.
    pub roles: BTreeMap<Role, RequestTally>,
    /// The store's own tally of the same (the roles must sum to it).
    pub store_total: StoreTotals,
    /// The whole bucket at the end of the run, by class.
    pub bucket_at_end: BTreeMap<&'static str, PrefixUsage>,
    pub bucket_over_time: super::bucket_meter::BucketOverTime,
    /// Client operations issued, final reads included.
    pub user_ops: u64,
    /// Puts and deletes acknowledged as durable.
    pub user_writes: u64,
    /// Their key and value bytes.
    pub user_bytes: u64,
    pub live_logical_bytes: u64,
}

impl CostAccounting {
    /// Whether the roles' tallies sum to the store's own: requests by kind, bytes up and
    /// down.
    pub fn agrees_with_store(&self) -> bool {
        let roles = self.roles_total();
        let store = &self.store_total;
        let op = |name: &str| store.requests_by_op.get(name).copied().unwrap_or(0);
        let r = &roles.requests;
        r.total() == store.requests
            && r.put == op("put_overwrite") + op("put_create") + op("put_update")
            && r.get_whole + r.get_ranged == op("get")
            && r.head == op("head")
            && r.list == op("list")
            && r.delete == op("delete")
            && roles.uploaded_bytes == store.uploaded_bytes
            && roles.downloaded_bytes == store.downloaded_bytes
    }

    /// Every role together.
    pub fn roles_total(&self) -> Traffic {
        let mut total = Traffic::default();
        for tally in self.roles.values() {
            total.add(&tally.total());
        }
        total
    }
}

/// One role's share of the bill.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoleCost {
    pub region: Region,
    pub requests: u64,
    pub request_usd: f64,
    pub egress_bytes: u64,
    pub egress_usd: f64,
    pub ingress_bytes: u64,
    pub ingress_usd: f64,
}

/// The bill of a run under a placement and a price table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostEstimate {
    pub prices: String,
    pub prices_as_of: String,
    pub placement: Placement,
    pub requests: u64,
    pub requests_per_user_op: f64,
    pub egress_bytes: u64,
    pub egress_bytes_per_user_byte: f64,
    pub request_usd: f64,
    pub egress_usd: f64,
    pub ingress_usd: f64,
    pub usd_per_million_writes: f64,
    pub storage_mean_bytes: f64,
    pub storage_usd_per_month: f64,
    pub storage_usd_per_live_gb_month: f64,
    pub by_role: BTreeMap<Role, RoleCost>,
}

fn per(num: f64, den: u64) -> f64 {
    if den == 0 { 0.0 } else { num / den as f64 }
}

/// Dollars for `counts` at `prices`' request rates.
pub fn request_usd(counts: &RequestCounts, prices: &PriceTable) -> f64 {
    let thousands = |count: u64| count as f64 / 1000.0;
    thousands(counts.put) * prices.usd_per_1000_put
        + thousands(counts.list) * prices.usd_per_1000_list
        + thousands(counts.get_whole + counts.get_ranged) * prices.usd_per_1000_get
        + thousands(counts.head) * prices.usd_per_1000_head
        + thousands(counts.delete) * prices.usd_per_1000_delete
}

fn role_cost(traffic: &Traffic, region: Region, prices: &PriceTable) -> RoleCost {
    let (egress_bytes, ingress_bytes) = match region {
        Region::InRegion => (0, 0),
        Region::CrossRegion => (traffic.downloaded_bytes, traffic.uploaded_bytes),
    };
    RoleCost {
        region,
        requests: traffic.requests.total(),
        request_usd: request_usd(&traffic.requests, prices),
        egress_bytes,
        egress_usd: egress_bytes as f64 / BYTES_PER_GB * prices.egress_usd_per_gb,
        ingress_bytes,
        ingress_usd: ingress_bytes as f64 / BYTES_PER_GB * prices.ingress_usd_per_gb,
    }
}

/// Prices `accounting` with each role where `placement` puts it.
pub fn estimate(
    accounting: &CostAccounting,
    placement: &Placement,
    prices: &PriceTable,
) -> CostEstimate {
    let by_role: BTreeMap<Role, RoleCost> = accounting
        .roles
        .iter()
        .map(|(role, tally)| {
            let cost = role_cost(&tally.total(), placement.region_of(*role), prices);
            (*role, cost)
        })
        .collect();
    let sum = |f: fn(&RoleCost) -> f64| by_role.values().map(f).sum::<f64>();
    let (request_usd, egress_usd, ingress_usd) = (
        sum(|c| c.request_usd),
        sum(|c| c.egress_usd),
        sum(|c| c.ingress_usd),
    );
    let requests: u64 = by_role.values().map(|c| c.requests).sum();
    let egress_bytes: u64 = by_role.values().map(|c| c.egress_bytes).sum();
    assert_eq!(requests, accounting.roles_total().requests.total());
    let mean = accounting.bucket_over_time.mean_bytes;
    let storage_usd_per_month = mean / BYTES_PER_GB * prices.usd_per_gb_month;
    CostEstimate {
        prices: prices.name.clone(),
        prices_as_of: prices.as_of.clone(),
        placement: *placement,
        requests,
        requests_per_user_op: per(requests as f64, accounting.user_ops),
        egress_bytes,
        egress_bytes_per_user_byte: per(egress_bytes as f64, accounting.user_bytes),
        request_usd,
        egress_usd,
        ingress_usd,
        usd_per_million_writes: per(
            (request_usd + egress_usd + ingress_usd) * 1e6,
            accounting.user_writes,
        ),
        storage_mean_bytes: mean,
        storage_usd_per_month,
        storage_usd_per_live_gb_month: per(
            mean * prices.usd_per_gb_month,
            accounting.live_logical_bytes,
        ),
        by_role,
    }
}

impl CostEstimate {
    /// The summary's `cost:` line, an item each (wrapped to the summary's width).
    pub fn items(&self) -> Vec<String> {
        vec![
            format!("{:.2} requests/user op", self.requests_per_user_op),
            format!(
                "{:.2} egress bytes/user byte",
                self.egress_bytes_per_user_byte
            ),
            format!(
                "${:.4}/M writes (requests ${:.6}, egress ${:.6})",
                self.usd_per_million_writes, self.request_usd, self.egress_usd
            ),
            format!(
                "storage ${:.4}/live GB-month",
                self.storage_usd_per_live_gb_month
            ),
            self.placement.describe(),
            format!("{} as of {}", self.prices, self.prices_as_of),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::bucket_meter::BucketOverTime;
    use crate::cost::tally::RequestKind;

    const GIB: u64 = 1 << 30;

    fn tally(requests: &[(RequestKind, &str, u64)], downloaded: &[(&str, u64)]) -> RequestTally {
        let mut tally = RequestTally::default();
        for (kind, path, count) in requests {
            for _ in 0..*count {
                tally.note_request(*kind, path, 0);
            }
        }
        for (path, bytes) in downloaded {
            tally.note_download(path, *bytes);
        }
        tally
    }

    /// A small run priced by hand at the default table (S3 us-east-1).
    fn small_run() -> CostAccounting {
        let writer = tally(
            &[
                (RequestKind::Put, "wal/1", 1_000),
                (RequestKind::GetWhole, "sst/1.sst", 1_000),
            ],
            &[("sst/1.sst", 2 * GIB)],
        );
        let compactor = tally(
            &[
                (RequestKind::Put, "sst/2.sst", 2_000),
                (RequestKind::GetRanged, "sst/1.sst", 4_000),
            ],
            &[("sst/1.sst", 10 * GIB)],
        );
        let gc = tally(
            &[
                (RequestKind::List, "sst/", 500),
                (RequestKind::Delete, "sst/1.sst", 100),
            ],
            &[],
        );
        let roles = BTreeMap::from([
            (Role::Writer, writer),
            (Role::Compactor, compactor),
            (Role::Gc, gc),
        ]);
        CostAccounting {
            roles,
            bucket_over_time: BucketOverTime {
                mean_bytes: (4 * GIB) as f64,
                peak_bytes: 6 * GIB,
                duration_s: 10.0,
            },
            user_ops: 200_000,
            user_writes: 100_000,
            user_bytes: GIB,
            live_logical_bytes: 2 * GIB,
            ..CostAccounting::default()
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_small_run_priced_by_hand() {
        let run = small_run();
        let cost = estimate(&run, &Placement::default(), &PriceTable::default_table());
        // writer: 1000 PUT $0.005 + 1000 GET $0.0004; compactor: 2000 PUT $0.01 + 4000 GET
        // $0.0016; gc: 500 LIST $0.0025 + 100 DELETE $0.
        assert!(close(cost.request_usd, 0.0054 + 0.0116 + 0.0025));
        // Only the writer is cross-region: 2 GiB at $0.09.
        assert_eq!(cost.egress_bytes, 2 * GIB);
        assert!(close(cost.egress_usd, 0.18));
        assert!(close(cost.ingress_usd, 0.0));
        // ($0.0195 + $0.18) per 100,000 writes.
        assert!(close(cost.usd_per_million_writes, 1.995));
        assert_eq!(cost.requests, 8_600);
        assert!(close(cost.requests_per_user_op, 0.043));
        assert!(close(cost.egress_bytes_per_user_byte, 2.0));
        // 4 GiB mean at $0.023; 2 GiB live.
        assert!(close(cost.storage_usd_per_month, 0.092));
        assert!(close(cost.storage_usd_per_live_gb_month, 0.046));
        let writer = &cost.by_role[&Role::Writer];
        assert_eq!(writer.region, Region::CrossRegion);
        assert!(close(writer.egress_usd, 0.18));
    }

    #[test]
    fn an_embedded_compactor_across_regions_pays_for_what_it_reads() {
        let run = small_run();
        let everyone_away = Placement {
            compactor: Region::CrossRegion,
            ..Placement::default()
        };
        let cost = estimate(&run, &everyone_away, &PriceTable::default_table());
        assert_eq!(cost.egress_bytes, 12 * GIB);
        assert!(close(cost.egress_usd, 12.0 * 0.09));
        let home = Placement {
            writer: Region::InRegion,
            ..Placement::default()
        };
        let cost = estimate(&run, &home, &PriceTable::default_table());
        assert_eq!(cost.egress_bytes, 0);
        assert!(close(cost.usd_per_million_writes, 0.195));
    }
}
