//! The cost accounting against the store's own tally: in every topology, under faults, the
//! requests and bytes summed over the roles equal what the simulated store counted, and
//! each topology's roles show up where they should.
#![allow(clippy::unwrap_used)]

use lsm_core::roles::writer::Durability;
use sim::cost::{Placement, PriceTable, Region, Role, estimate};
use sim::world::{self, FaultLevel, Overrides, Topology, WorldConfig, WorldStyle};

fn run(seed: u64, topology: Topology) -> world::RunReport {
    let overrides = Overrides {
        ops: Some(1_500),
        faults: Some(FaultLevel::Heavy),
        topology: Some(topology),
        style: Some(WorldStyle::Leveled),
        durability: Some(Durability::Wal),
        ..Overrides::default()
    };
    let config = WorldConfig::draw(seed, &overrides);
    world::run(config, None, format!("seed {seed}")).unwrap()
}

#[test]
fn roles_sum_to_the_stores_tally_in_every_topology() {
    for (seed, topology, background) in [
        (1, Topology::Embedded, None),
        (2, Topology::Standalone, Some(Role::Compactor)),
        (3, Topology::Remote, Some(Role::Workers)),
    ] {
        let report = run(seed, topology);
        let cost = report.cost.as_ref().unwrap();
        let accounting = &cost.accounting;
        assert!(
            accounting.agrees_with_store(),
            "{topology:?}: {accounting:?}"
        );
        let roles = accounting.roles_total();
        assert_eq!(roles.requests.total(), accounting.store_total.requests);
        assert!(roles.uploaded_bytes >= report.amplification.store_bytes_put);
        assert!(accounting.roles.contains_key(&Role::Writer));
        assert!(accounting.roles.contains_key(&Role::Gc));
        assert!(!accounting.roles.contains_key(&Role::Other), "{topology:?}");
        if let Some(role) = background {
            assert!(
                accounting.roles.contains_key(&role),
                "{topology:?}: no {role:?}"
            );
        }
        // The whole bucket is in physical space amplification.
        let bucket: u64 = accounting.bucket_at_end.values().map(|c| c.bytes).sum();
        let live = report.amplification.live_logical_bytes as f64;
        assert!((report.amplification.space_physical - bucket as f64 / live).abs() < 1e-9);
        assert!(accounting.bucket_over_time.mean_bytes > 0.0);
        // The default estimate bills only the cross-region writer's reads.
        let writer = &accounting.roles[&Role::Writer].total();
        assert_eq!(cost.estimate.egress_bytes, writer.downloaded_bytes);
        let all_in = Placement {
            writer: Region::InRegion,
            ..Placement::default()
        };
        let home = estimate(accounting, &all_in, &PriceTable::default_table());
        assert_eq!(home.egress_bytes, 0);
        assert!(home.usd_per_million_writes <= cost.estimate.usd_per_million_writes);
    }
}
