//! Remote compaction in whole worlds: the writer as primary with 1–2 workers that crash,
//! restart and pause past the job timeout, under heavy store faults, in both durability
//! modes and both styles; C1–C4 hold (C4 includes an empty `tmp/` at rest), the summary
//! counts the outcomes, and a run is deterministic.
#![allow(clippy::unwrap_used)]

use lsm_core::roles::writer::Durability;
use sim::world::{self, FaultLevel, Overrides, RunReport, Topology, WorldConfig, WorldStyle};

fn run(seed: u64, style: WorldStyle, durability: Durability) -> RunReport {
    let overrides = Overrides {
        ops: Some(3_000),
        faults: Some(FaultLevel::Heavy),
        topology: Some(Topology::Remote),
        style: Some(style),
        durability: Some(durability),
        ..Overrides::default()
    };
    let config = WorldConfig::draw(seed, &overrides);
    world::run(config, None, format!("seed {seed}")).unwrap()
}

#[test]
fn remote_worlds_pass_and_count_their_outcomes() {
    let mut succeeded = 0;
    let mut timed_out = 0;
    let mut corrupt = 0;
    let mut duplicates = 0;
    for seed in 0..3 {
        for (style, durability) in [
            (WorldStyle::Leveled, Durability::Wal),
            (WorldStyle::Universal, Durability::Checkpoint),
        ] {
            let report = run(seed, style, durability);
            assert!(report.passed(), "seed {seed}: {}", report.summary(true));
            for check in ["C2", "C3", "C4", "manifest-invariants"] {
                assert_eq!(report.checks.get(check), Some(&true), "seed {seed} {check}");
            }
            assert_eq!(report.lsm.topology, "remote");
            let remote = report.lsm.remote.clone().unwrap();
            assert!(
                remote.jobs_scheduled > 0,
                "seed {seed}: {}",
                report.summary(true)
            );
            assert!(report.lsm.rest.contains("0 temporary objects"));
            succeeded += remote.jobs_succeeded;
            timed_out += remote.jobs_timed_out;
            corrupt += remote.rejected_corrupt;
            duplicates += remote.duplicates_ignored;
        }
    }
    assert!(succeeded > 0 && timed_out > 0, "{succeeded} {timed_out}");
    assert!(corrupt > 0 && duplicates > 0, "{corrupt} {duplicates}");
}

#[test]
fn remote_runs_are_deterministic() {
    let first = run(3, WorldStyle::Leveled, Durability::Wal);
    let second = run(3, WorldStyle::Leveled, Durability::Wal);
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.lsm.remote, second.lsm.remote);
}

#[test]
fn the_json_summary_has_a_remote_object_only_for_remote_runs() {
    let report = run(1, WorldStyle::Universal, Durability::Wal);
    let json = serde_json::to_value(&report).unwrap();
    let remote = &json["lsm"]["remote"];
    for key in [
        "jobs_scheduled",
        "jobs_succeeded",
        "jobs_failed",
        "jobs_timed_out",
        "fell_back_local",
        "rejected_stale",
        "duplicates_ignored",
        "install_latency_ms_p50",
        "install_latency_ms_p99",
    ] {
        assert!(remote[key].is_u64(), "{key} missing: {remote}");
    }
    let overrides = Overrides {
        ops: Some(300),
        topology: Some(Topology::Embedded),
        ..Overrides::default()
    };
    let embedded = world::run(WorldConfig::draw(1, &overrides), None, String::new()).unwrap();
    let json = serde_json::to_value(&embedded).unwrap();
    assert!(json["lsm"].get("remote").is_none());
}
