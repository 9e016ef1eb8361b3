//! The standalone-compactor protocol, checkpoints and deferred deletion in whole worlds:
//! both durability modes pass C2/C3/C4 under heavy faults with the compactor and the
//! garbage collector crashing and pausing, and `--force-delete` is caught.
#![allow(clippy::unwrap_used)]

use lsm_core::roles::writer::Durability;
use sim::world::{self, FaultLevel, Overrides, RunReport, Topology, WorldConfig};

fn run(seed: u64, topology: Topology, durability: Durability, force_delete: bool) -> RunReport {
    let overrides = Overrides {
        ops: Some(3_000),
        faults: Some(FaultLevel::Heavy),
        topology: Some(topology),
        durability: Some(durability),
        force_delete,
        ..Overrides::default()
    };
    let config = WorldConfig::draw(seed, &overrides);
    world::run(config, None, format!("seed {seed}")).unwrap()
}

#[test]
fn standalone_worlds_pass_in_both_durability_modes() {
    let mut compactions = 0;
    let mut deferred = 0;
    let mut done = 0;
    let mut checkpoints = 0;
    for seed in 0..3 {
        for durability in [Durability::Wal, Durability::Checkpoint] {
            let report = run(seed, Topology::Standalone, durability, false);
            assert!(report.passed(), "seed {seed}: {}", report.summary(true));
            for check in ["C2", "C3", "C4", "manifest-invariants"] {
                assert_eq!(report.checks.get(check), Some(&true), "seed {seed} {check}");
            }
            let c1 = report.checks.get("C1");
            match durability {
                Durability::Wal => assert_eq!(c1, Some(&true)),
                Durability::Checkpoint => {
                    assert_eq!(c1, None);
                    assert_eq!(report.checks.get("recovery"), Some(&true));
                }
            }
            assert_eq!(report.lsm.topology, "standalone");
            assert_eq!(report.lsm.deletions_forced, 0);
            compactions += report.lsm.compactions_installed;
            deferred += report.lsm.deletions_deferred;
            done += report.lsm.deletions_done;
            checkpoints += report.lsm.checkpoints_taken;
        }
    }
    assert!(
        compactions > 0 && checkpoints > 0,
        "{compactions} {checkpoints}"
    );
    assert!(deferred > 0 && done > 0, "deferred {deferred}, done {done}");
}

#[test]
fn embedded_worlds_defer_deletion_to_the_garbage_collector_too() {
    let report = run(11, Topology::Embedded, Durability::Wal, false);
    assert!(report.passed(), "{}", report.summary(true));
    assert!(
        report.lsm.deletions_deferred > 0,
        "{}",
        report.summary(true)
    );
    assert!(report.lsm.deletions_done > 0, "{}", report.summary(true));
}

#[test]
fn force_delete_is_caught_by_the_checkpoint_checks() {
    let report = run(1, Topology::Standalone, Durability::Checkpoint, true);
    assert!(!report.passed(), "{}", report.summary(true));
    let caught = ["C2", "C3"]
        .iter()
        .any(|check| report.checks.get(*check) == Some(&false));
    assert!(caught, "{}", report.summary(true));
    assert!(report.lsm.deletions_forced > 0, "{}", report.summary(true));
}

/// A standalone compactor runs non-overlapping jobs at once (its limit is drawn per seed)
/// and still passes every check; this seed's picker finds more than one job at a time.
#[test]
fn a_standalone_compactor_runs_jobs_at_once() {
    let mut at_once_max = 0;
    for seed in [10, 13] {
        let config = WorldConfig::draw(
            seed,
            &Overrides {
                faults: Some(FaultLevel::Heavy),
                topology: Some(Topology::Standalone),
                ..Overrides::default()
            },
        );
        let report = world::run(config, None, format!("seed {seed}")).unwrap();
        assert!(report.passed(), "seed {seed}: {}", report.summary(true));
        assert!(
            report.lsm.compactor_jobs_at_once_max <= report.config.lsm.compactor_jobs_max as u64
        );
        at_once_max = at_once_max.max(report.lsm.compactor_jobs_at_once_max);
    }
    assert!(
        at_once_max >= 2,
        "never more than {at_once_max} job at once"
    );
}
