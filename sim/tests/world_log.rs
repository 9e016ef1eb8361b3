//! The log style in the world: scan and lookup pass every check in both durability modes
//! and both topologies (C1 exact in `wal` mode), shift passes the FIFO contract, the
//! report carries scan's and lookup's costs, and `--compaction-force-delete` is caught in
//! `checkpoint` mode while the same seed passes without it.
#![allow(clippy::unwrap_used)]

use lsm_core::roles::writer::Durability;
use sim::world::{
    self, FaultLevel, LogCompaction, Overrides, RunReport, Topology, WorldConfig, WorldStyle,
};

fn run(
    seed: u64,
    kind: LogCompaction,
    topology: Topology,
    durability: Durability,
    force_delete: bool,
) -> RunReport {
    let overrides = Overrides {
        ops: Some(3_000),
        style: Some(WorldStyle::Log(kind)),
        log_compaction: Some(kind),
        faults: Some(FaultLevel::Heavy),
        topology: Some(topology),
        durability: Some(durability),
        force_delete,
        ..Overrides::default()
    };
    let config = WorldConfig::draw(seed, &overrides);
    assert_eq!(config.writer.style, WorldStyle::Log(kind));
    world::run(config, None, format!("seed {seed}")).unwrap()
}

#[test]
fn scan_and_lookup_pass_everywhere_and_report_their_cost() {
    for (seed, kind, topology, durability) in [
        (0, LogCompaction::Scan, Topology::Embedded, Durability::Wal),
        (
            1,
            LogCompaction::Lookup,
            Topology::Standalone,
            Durability::Wal,
        ),
        (
            2,
            LogCompaction::Scan,
            Topology::Standalone,
            Durability::Checkpoint,
        ),
        (
            3,
            LogCompaction::Lookup,
            Topology::Embedded,
            Durability::Checkpoint,
        ),
    ] {
        let report = run(seed, kind, topology, durability, false);
        assert!(report.passed(), "seed {seed}: {}", report.summary(true));
        let expected_c1 = (durability == Durability::Wal).then_some(&true);
        assert_eq!(report.checks.get("C1"), expected_c1, "seed {seed}");
        for check in ["C2", "C3", "C4"] {
            assert_eq!(report.checks.get(check), Some(&true), "seed {seed} {check}");
        }
        let cost = report.lsm.log_compaction.as_ref().unwrap();
        assert_eq!(cost.strategy, kind.name());
        assert!(cost.compactions > 0, "seed {seed}: {cost:?}");
        assert!(cost.bytes_read > 0 && cost.records_examined > 0, "{cost:?}");
        assert!(
            report.lsm.deletions_deferred > 0,
            "seed {seed}: deletion is deferred"
        );
    }
}

#[test]
fn shift_passes_its_lossy_contract() {
    for (seed, topology, durability) in [
        (4, Topology::Embedded, Durability::Wal),
        (5, Topology::Standalone, Durability::Checkpoint),
    ] {
        let report = run(seed, LogCompaction::Shift, topology, durability, false);
        assert!(report.passed(), "seed {seed}: {}", report.summary(true));
        assert!(
            report.lsm.compactions_installed > 0,
            "{}",
            report.summary(true)
        );
        let cost = report.lsm.log_compaction.as_ref().unwrap();
        assert_eq!(cost.compactions, 0, "shift reads and copies nothing");
    }
}

#[test]
fn force_delete_is_caught_in_checkpoint_mode() {
    let seed = 1;
    let safe = run(
        seed,
        LogCompaction::Scan,
        Topology::Embedded,
        Durability::Checkpoint,
        false,
    );
    assert!(safe.passed(), "{}", safe.summary(true));
    let forced = run(
        seed,
        LogCompaction::Scan,
        Topology::Embedded,
        Durability::Checkpoint,
        true,
    );
    assert!(!forced.passed(), "{}", forced.summary(true));
    assert!(forced.lsm.deletions_forced > 0, "{}", forced.summary(true));
}

fn sim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_cli_takes_the_log_style_and_garnets_force_delete_flag() {
    let output = sim(&[
        "--seed",
        "3",
        "--ops",
        "400",
        "--style",
        "log",
        "--log-compaction",
        "lookup",
        "--faults",
        "none",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["config"]["writer"]["style"]["log"], "lookup");
    assert_eq!(json["lsm"]["log_compaction"]["strategy"], "lookup");
    let output = sim(&[
        "--seed",
        "3",
        "--ops",
        "400",
        "--style",
        "log",
        "--log-compaction",
        "shift",
        "--compaction-force-delete",
        "--faults",
        "none",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["config"]["lsm"]["force_delete"], true);
    assert!(
        json["replay"]
            .as_str()
            .unwrap()
            .contains("--log-compaction shift")
    );
}
