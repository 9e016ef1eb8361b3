//! Workloads, FIFO and C5 in the seeded world: runs draw their operations from the
//! `workloads` presets, FIFO runs drop tables and still pass C1 under the FIFO model, C5
//! holds correct runs to their targets and names a missed one, and in-process runs stay
//! reproducible when other runs come between them.
#![allow(clippy::unwrap_used)]

use lsm_core::roles::writer::Durability;
use sim::world::{
    self, FaultLevel, Overrides, RunReport, TargetOverrides, WorldConfig, WorldStyle,
};
use std::process::Command;

fn config(seed: u64, style: WorldStyle, workload: Option<&str>, ops: u64) -> WorldConfig {
    let overrides = Overrides {
        ops: Some(ops),
        style: Some(style),
        faults: Some(FaultLevel::None),
        workload: workload.map(str::to_string),
        // These tests predate the durability modes: a WAL (every user byte is PUT to the
        // store at least once), as their figures assume.
        durability: Some(Durability::Wal),
        ..Overrides::default()
    };
    WorldConfig::draw(seed, &overrides)
}

fn run(config: WorldConfig) -> RunReport {
    world::run(config, None, "test".to_string()).unwrap()
}

#[test]
fn fifo_drops_tables_and_passes_c1_and_c5() {
    let report = run(config(3, WorldStyle::Fifo, None, 4_000));
    assert!(report.passed(), "{}", report.summary(true));
    assert_eq!(report.checks.get("C1"), Some(&true));
    assert_eq!(report.checks.get("C5"), Some(&true));
    let series = report.series.as_ref().unwrap();
    assert!(series.fifo_tables_dropped > 0, "no table was dropped");
    assert_eq!(report.amplification.write_rocksdb, 1.0);
}

#[test]
fn a_preset_workload_drives_the_clients_and_stays_in_its_key_space() {
    for (style, name) in [
        (WorldStyle::Leveled, "ycsb-a"),
        (WorldStyle::Universal, "delete-heavy"),
        (WorldStyle::Leveled, "ttl-series"),
        (WorldStyle::Universal, "ycsb-f"),
    ] {
        let config = config(5, style, Some(name), 1_500);
        assert_eq!(config.clients.workload.name, name);
        // Only ttl-series sets a TTL (faults none draws none); it keeps it, and C7 runs.
        let keeps_ttl = name == "ttl-series";
        assert_eq!(config.clients.workload.ttl.is_some(), keeps_ttl, "{name}");
        assert_eq!(config.clients.ttl.is_some(), keeps_ttl, "{name}");
        let bound = config.clients.key_space;
        let report = run(config);
        assert!(report.passed(), "{name}: {}", report.summary(true));
        assert_eq!(report.checks.contains_key("C7"), keeps_ttl, "{name}");
        assert_eq!(
            report.checks_skipped.contains_key("C7"),
            !keeps_ttl,
            "{name}"
        );
        // The final reader reads every key the run could touch, once when all is well.
        assert!(report.ops.final_reads >= bound, "{name}");
    }
}

#[test]
fn insert_random_puts_each_key_once_over_the_run() {
    let config = config(2, WorldStyle::Leveled, Some("insert-random"), 1_000);
    assert_eq!(config.clients.workload.key_space, 1_000);
    let report = run(config);
    assert!(report.passed(), "{}", report.summary(true));
    assert_eq!(report.amplification.live_logical_bytes, 1_000 * (16 + 100));
}

#[test]
fn c5_names_a_missed_target_with_the_figure_and_the_target() {
    let mut config = config(1, WorldStyle::Leveled, None, 2_000);
    config.targets = TargetOverrides {
        write_amp: Some(1.01),
        ..TargetOverrides::default()
    };
    let report = run(config.clone());
    assert_eq!(report.checks.get("C5"), Some(&false));
    let failure = report.failures.iter().find(|f| f.check == "C5").unwrap();
    assert!(
        failure.detail.contains("write_rocksdb"),
        "{}",
        failure.detail
    );
    assert!(
        failure.detail.contains("over target 1.010"),
        "{}",
        failure.detail
    );
    config.targets = TargetOverrides {
        disabled: true,
        ..TargetOverrides::default()
    };
    let report = run(config);
    assert!(!report.checks.contains_key("C5"));
    assert!(report.passed(), "{}", report.summary(true));
}

#[test]
fn in_process_runs_are_reproducible_with_other_runs_between() {
    let first = run(config(9, WorldStyle::Universal, Some("ycsb-a"), 800));
    let _other = run(config(10, WorldStyle::Fifo, Some("uniform-overwrite"), 800));
    let again = run(config(9, WorldStyle::Universal, Some("ycsb-a"), 800));
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.series, again.series);
}

#[test]
fn the_timeline_and_distributions_cover_the_run() {
    let report = run(config(4, WorldStyle::Leveled, Some("ycsb-a"), 2_000));
    let series = report.series.as_ref().unwrap();
    assert!(!series.timeline.is_empty());
    assert!(series.timeline.len() <= 2_048);
    let last = series.timeline.last().unwrap();
    assert_eq!(last.level_bytes.iter().sum::<u64>(), last.live_sst_bytes);
    assert!(last.user_bytes > 0 && last.store_bytes_put > last.user_bytes);
    assert!(series.read_blocks.samples > 0);
    assert!(series.get_latency_us.samples > 0);
    assert_eq!(series.read_blocks.points.last().map(|p| p.1), Some(1.0));
}

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_cli_takes_workloads_fifo_and_targets() {
    let output = sim(&["--seed", "1", "--ops", "300", "--workload", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ycsb-a") && stderr.contains("ttl-series"),
        "{stderr}"
    );
    let output = sim(&["--seed", "1", "--ops", "300", "--target-space-amp", "-1"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sim(&[
        "--seed",
        "1",
        "--ops",
        "500",
        "--style",
        "fifo",
        "--workload",
        "ttl-series",
        "--faults",
        "none",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["config"]["clients"]["workload"]["name"], "ttl-series");
    assert_eq!(json["config"]["writer"]["style"], "fifo");
    assert_eq!(json["checks"]["C5"], true);
    assert!(
        json["c5"]["checks"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert!(json.get("series").is_none(), "the series is opt-in");
    let output = sim(&[
        "--seed",
        "1",
        "--ops",
        "2000",
        "--style",
        "leveled",
        "--faults",
        "none",
        "--json",
        "--series",
        "--target-write-amp",
        "1.0001",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a missed target fails the run"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json["series"]["timeline"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        json["replay"]
            .as_str()
            .unwrap()
            .contains("--target-write-amp 1.0001")
    );
}

/// FIFO keeps many tables in L0 by design; RocksDB never stalls it on the L0 count. Before
/// the writer took that rule, this run stopped writing for good once L0 passed 36 tables.
#[test]
fn fifo_never_stalls_the_writer_on_a_long_l0() {
    let report = run(config(1, WorldStyle::Fifo, Some("insert-random"), 10_000));
    assert!(report.passed(), "{}", report.summary(true));
    assert_eq!(report.lsm.stall_time_ms, 0);
    assert_eq!(report.ops.indeterminate, 0);
}

/// FIFO in `checkpoint` durability: a table FIFO drops after the newest checkpoint is gone
/// from the state a new writer starts from too. Recovery must then hold a subset of the
/// checkpoint's keys, each with the checkpoint's value (it failed as "a state other than the
/// checkpoint" before recovery knew FIFO's contract).
#[test]
fn fifo_recovers_in_checkpoint_mode_to_the_checkpoint_minus_drops() {
    let overrides = Overrides {
        ops: Some(2_000),
        style: Some(WorldStyle::Fifo),
        ..Overrides::default()
    };
    let report = run(WorldConfig::draw(320, &overrides));
    assert_eq!(report.config.lsm.durability, Durability::Checkpoint);
    assert!(report.passed(), "{}", report.summary(true));
    assert_eq!(report.checks.get("recovery"), Some(&true));
    assert!(report.lsm.recoveries_checked > 0);
}
