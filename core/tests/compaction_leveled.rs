//! Leveled picks on hand-built versions, one test per RocksDB rule: scores, dynamic level
//! bytes, overlap ratio, trivial moves, expansion limits.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use compaction_support::leveled::{base_level_over_target, l0_files, options};
use compaction_support::{MIB, input_ids, key, levels, table, version};
use lsm_core::compaction::leveled::{LevelTargets, LeveledOptions, level_scores, pick};
use lsm_core::compaction::{Busy, CompactionReason, Compensation, PlanKind, RunningCompaction};

#[test]
fn leveled_l0_score_is_file_count_over_trigger() {
    let options = options();
    let score_of = |count: u64| {
        let manifest = version(l0_files(count), Vec::new());
        let targets = LevelTargets::compute(&manifest, &options);
        let scores = level_scores(
            &manifest,
            &options,
            &targets,
            &Compensation::for_manifest(&manifest),
            &Busy::new(),
        );
        scores.iter().find(|s| s.level == 0).unwrap().score
    };
    assert_eq!(score_of(3), 0.75);
    assert_eq!(score_of(4), 1.0);
    // Above 1, dynamic level bytes scales the L0 score by 10 (RocksDB's kScoreScale).
    assert_eq!(score_of(5), 12.5);
    assert!(pick(&version(l0_files(3), Vec::new()), &options, &Busy::new(), 0).is_none());
    let manifest = version(l0_files(4), Vec::new());
    let plan = pick(&manifest, &options, &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::LevelL0FilesNum);
    assert_eq!(input_ids(&plan, 0), vec![103, 102, 101, 100]);
    // Nothing below L0 yet: L0 compacts straight into the last level, bottommost.
    assert_eq!(plan.output_level, 6);
    assert!(plan.bottommost);
    assert_eq!(plan.kind, PlanKind::Merge);
    // Tables being compacted do not count.
    let mut busy = Busy::new();
    busy.running.push(RunningCompaction {
        start_level: 0,
        output_level: 6,
        input_ids: [lsm_core::ids::SstId(100)].into_iter().collect(),
        smallest_key: key(0),
        largest_key: key(1000),
    });
    let targets = LevelTargets::compute(&manifest, &options);
    let scores = level_scores(
        &manifest,
        &options,
        &targets,
        &Compensation::for_manifest(&manifest),
        &busy,
    );
    assert_eq!(scores.iter().find(|s| s.level == 0).unwrap().score, 0.75);
}

#[test]
fn leveled_dynamic_level_bytes_moves_base_level() {
    let options = options();
    let with_last_level = |size: u64| {
        version(
            Vec::new(),
            levels(vec![(6, vec![table(1, 0, 1000, (1, 1), size)])]),
        )
    };
    let empty = LevelTargets::compute(&version(Vec::new(), Vec::new()), &options);
    assert_eq!(empty.base_level, 6);
    let small = LevelTargets::compute(&with_last_level(10 * MIB), &options);
    assert_eq!(small.base_level, 6);
    let medium = LevelTargets::compute(&with_last_level(100 * MIB), &options);
    assert_eq!(medium.base_level, 5);
    assert_eq!(medium.max_bytes_for_level(5), 16 * MIB);
    assert_eq!(medium.max_bytes_for_level(6), 100 * MIB);
    assert_eq!(medium.max_bytes_for_level(4), u64::MAX);
    let large = LevelTargets::compute(&with_last_level(1000 * MIB), &options);
    assert_eq!(large.base_level, 4);
    assert_eq!(large.max_bytes_for_level(5), 100 * MIB);
    assert_eq!(large.max_bytes_for_level(6), 1000 * MIB);
    // L0 follows the base level.
    let mut manifest = with_last_level(1000 * MIB);
    manifest.l0 = l0_files(4)
        .into_iter()
        .map(|mut sst| {
            sst.smallest_seq.0 += 10;
            sst.largest_seq.0 += 10;
            sst
        })
        .collect();
    manifest.last_seq = manifest.l0[0].largest_seq;
    let plan = pick(&manifest, &options, &Busy::new(), 0).unwrap();
    assert_eq!(plan.output_level, 4);
    assert!(!plan.bottommost, "L6 holds older data for the same keys");
    // Static targets: L1 = base, × multiplier below, base level 1.
    let static_options = LeveledOptions {
        level_compaction_dynamic_level_bytes: false,
        ..options
    };
    let targets = LevelTargets::compute(&with_last_level(1000 * MIB), &static_options);
    assert_eq!(targets.base_level, 1);
    assert_eq!(targets.max_bytes_for_level(1), 16 * MIB);
    assert_eq!(targets.max_bytes_for_level(3), 1600 * MIB);
}

#[test]
fn leveled_min_overlapping_ratio_picks_least_overlap() {
    let manifest = base_level_over_target(
        vec![
            table(1, 0, 99, (5, 5), 8 * MIB),
            table(2, 100, 199, (5, 5), 8 * MIB),
            table(3, 200, 299, (5, 5), 8 * MIB),
        ],
        vec![
            table(11, 0, 99, (1, 1), 60 * MIB),
            table(12, 100, 199, (1, 1), 10 * MIB),
            table(13, 200, 299, (1, 1), 80 * MIB),
        ],
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::LevelMaxLevelSize);
    assert_eq!(input_ids(&plan, 5), vec![2]);
    assert_eq!(input_ids(&plan, 6), vec![12]);
    assert_eq!(plan.output_level, 6);
    assert!(plan.bottommost);
    assert_eq!(plan.target_file_size_bytes, 4 * MIB);
}

#[test]
fn leveled_trivial_move_when_no_overlap() {
    // File 2 overlaps nothing in L6: it moves without being rewritten (and does not extend
    // to file 3, which overlaps L6).
    let manifest = base_level_over_target(
        vec![
            table(1, 0, 99, (5, 5), 8 * MIB),
            table(2, 100, 199, (5, 5), 8 * MIB),
            table(3, 200, 299, (5, 5), 8 * MIB),
        ],
        vec![
            table(11, 0, 99, (1, 1), 70 * MIB),
            table(13, 200, 299, (1, 1), 80 * MIB),
        ],
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.kind, PlanKind::Move);
    assert_eq!(input_ids(&plan, 5), vec![2]);
    assert_eq!(plan.output_level, 6);
    let edit = plan
        .into_edit(&manifest, &[], manifest.compactor_epoch, false)
        .unwrap();
    let next = lsm_core::manifest::apply(&manifest, &edit).unwrap();
    assert!(next.pending_deletion.is_empty(), "a move deletes nothing");
    assert_eq!(next.level(6).len(), 3);
    // L0 trivial move: the oldest L0 tables that overlap neither each other nor the base
    // level move down as they are.
    let l0 = vec![
        table(23, 520, 530, (30, 30), MIB),
        table(22, 500, 510, (20, 20), MIB),
        table(21, 300, 310, (12, 12), MIB),
        table(20, 400, 410, (10, 10), MIB),
    ];
    let manifest = version(
        l0,
        levels(vec![(6, vec![table(11, 0, 99, (1, 1), 10 * MIB)])]),
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.kind, PlanKind::Move);
    assert_eq!(plan.output_level, 6);
    assert_eq!(plan.input_ids().len(), 4);
}

#[test]
fn leveled_max_compaction_bytes_limits_expansion() {
    // Picking file 1 pulls in L6 file 11, whose range also covers L5 file 2: the picker
    // adds file 2 when the whole compaction stays under max_compaction_bytes.
    let manifest = base_level_over_target(
        vec![
            table(1, 0, 49, (5, 5), MIB),
            table(2, 50, 99, (5, 5), MIB),
            table(3, 1000, 1099, (5, 5), 20 * MIB),
        ],
        vec![
            table(11, 0, 99, (1, 1), 2 * MIB),
            table(12, 1000, 1099, (1, 1), 148 * MIB),
        ],
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(input_ids(&plan, 5), vec![1, 2]);
    assert_eq!(input_ids(&plan, 6), vec![11]);
    let tight = LeveledOptions {
        max_compaction_bytes: 3 * MIB + MIB / 2,
        ..options()
    };
    let plan = pick(&manifest, &tight, &Busy::new(), 0).unwrap();
    assert_eq!(input_ids(&plan, 5), vec![1]);
    assert_eq!(input_ids(&plan, 6), vec![11]);
}

#[test]
fn leveled_l0_inputs_expand_over_overlapping_l0() {
    // Newest first: 4 [0,10], 3 [5,20], 2 [18,40], 1 [100,110]. The first file by key
    // (4) pulls in 3, which pulls in 2; 1 overlaps none of them and stays.
    let l0 = vec![
        table(4, 0, 10, (40, 40), MIB),
        table(3, 5, 20, (30, 30), MIB),
        table(2, 18, 40, (20, 20), MIB),
        table(1, 100, 110, (10, 10), MIB),
    ];
    let manifest = version(l0, Vec::new());
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(input_ids(&plan, 0), vec![4, 3, 2]);
    assert_eq!(plan.kind, PlanKind::Merge);
    assert!(plan.bottommost);
}
