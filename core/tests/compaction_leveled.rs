//! Leveled picks on hand-built versions, one test per RocksDB rule.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use compaction_support::{MIB, Tree, input_ids, key, levels, table, version};
use lsm_core::compaction::leveled::{
    CompactionPri, LevelTargets, LeveledOptions, level_scores, pick,
};
use lsm_core::compaction::{
    Busy, CompactionReason, CompactionStyle, Compensation, PlanKind, RunningCompaction,
};
use lsm_core::sst::SstMeta;

fn options() -> LeveledOptions {
    LeveledOptions {
        max_bytes_for_level_base: 16 * MIB,
        target_file_size_base: 4 * MIB,
        ..LeveledOptions::default()
    }
}

fn l0_files(count: u64) -> Vec<SstMeta> {
    (0..count)
        .rev()
        .map(|i| table(100 + i, 0, 1000, (i * 10 + 1, i * 10 + 10), MIB))
        .collect()
}

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

/// L5 (base, target 16 MiB) over target with three files; L6 150 MiB.
fn base_level_over_target(l5: Vec<SstMeta>, l6: Vec<SstMeta>) -> lsm_core::manifest::Manifest {
    version(Vec::new(), levels(vec![(5, l5), (6, l6)]))
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

#[test]
fn leveled_output_cut_at_target_size_on_user_key_boundary() {
    let mut tree = Tree::new();
    let value = bytes::Bytes::from(vec![7u8; 100]);
    for round in 0..4u32 {
        let writes: Vec<_> = (0..400u32)
            .map(|k| (k * 3 + round % 2, Some(value.clone())))
            .collect();
        tree.flush(&writes, 1);
    }
    let options = LeveledOptions {
        target_file_size_base: 8 * 1024,
        ..options()
    };
    let plan = pick(&tree.manifest, &options, &Busy::new(), 1).unwrap();
    assert_eq!(plan.target_file_size_bytes, 8 * 1024);
    let inputs = tree.inputs(&plan);
    let mut next = 1000u64;
    let mut next_id = || {
        next += 1;
        Some(lsm_core::ids::SstId(next))
    };
    let output = lsm_core::compaction::execute(
        &plan,
        &inputs,
        lsm_core::merge::NoFilter,
        1,
        &mut next_id,
        &tree.sst_options,
    )
    .unwrap();
    let metas = output.output_metas();
    assert!(metas.len() >= 5, "{} outputs", metas.len());
    for pair in metas.windows(2) {
        assert!(
            pair[0].largest_key < pair[1].smallest_key,
            "no user key spans two outputs"
        );
    }
    for meta in &metas[..metas.len() - 1] {
        // Cut once the data reached the target: at least the target, at most one block
        // and the index and filter more.
        assert!(meta.size_bytes >= 8 * 1024, "{}", meta.size_bytes);
        assert!(meta.size_bytes < 8 * 1024 + 2048, "{}", meta.size_bytes);
    }
    assert_eq!(output.stats.output_files, metas.len() as u64);
    assert_eq!(output.stats.merge.entries_out, 800);
}

#[test]
fn leveled_compensated_size_favors_tombstones() {
    let mut tombstones = table(2, 100, 199, (5, 5), 8 * MIB);
    tombstones.tombstone_count = 900;
    let plain = table(1, 0, 99, (5, 5), 8 * MIB);
    let manifest = base_level_over_target(
        vec![
            plain.clone(),
            tombstones.clone(),
            table(3, 200, 299, (5, 5), 8 * MIB),
        ],
        vec![table(11, 0, 299, (1, 1), 150 * MIB)],
    );
    let compensation = Compensation::for_manifest(&manifest);
    assert_eq!(compensation.size(&plain), plain.size_bytes);
    assert!(compensation.size(&tombstones) > 10 * tombstones.size_bytes);
    let by_size = LeveledOptions {
        compaction_pri: CompactionPri::ByCompensatedSize,
        ..options()
    };
    let plan = pick(&manifest, &by_size, &Busy::new(), 0).unwrap();
    assert_eq!(input_ids(&plan, 5), vec![2]);
    // Min overlapping ratio divides by the compensated size: the tombstone file wins too.
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(input_ids(&plan, 5), vec![2]);
}

#[test]
fn leveled_oldest_seq_priorities_pick_oldest_data() {
    let manifest = base_level_over_target(
        vec![
            table(1, 0, 99, (20, 90), 8 * MIB),
            table(2, 100, 199, (30, 40), 8 * MIB),
            table(3, 200, 299, (10, 50), 8 * MIB),
        ],
        vec![table(11, 0, 299, (1, 1), 150 * MIB)],
    );
    let with = |pri| LeveledOptions {
        compaction_pri: pri,
        ..options()
    };
    let plan = pick(
        &manifest,
        &with(CompactionPri::OldestLargestSeqFirst),
        &Busy::new(),
        0,
    )
    .unwrap();
    assert_eq!(input_ids(&plan, 5), vec![2]);
    let plan = pick(
        &manifest,
        &with(CompactionPri::OldestSmallestSeqFirst),
        &Busy::new(),
        0,
    )
    .unwrap();
    assert_eq!(input_ids(&plan, 5), vec![3]);
}

#[test]
fn leveled_round_robin_continues_after_cursor() {
    let manifest = base_level_over_target(
        vec![
            table(1, 0, 99, (5, 5), 8 * MIB),
            table(2, 100, 199, (5, 5), 8 * MIB),
            table(3, 200, 299, (5, 5), 8 * MIB),
        ],
        vec![
            table(11, 0, 49, (1, 1), 70 * MIB),
            table(12, 500, 599, (1, 1), 80 * MIB),
        ],
    );
    let options = LeveledOptions {
        compaction_pri: CompactionPri::RoundRobin,
        ..options()
    };
    let mut busy = Busy::new();
    let first = pick(&manifest, &options, &busy, 0).unwrap();
    assert_eq!(input_ids(&first, 5), vec![1]);
    assert_eq!(first.round_robin_cursor, Some(key(99)));
    busy.register(&first, &manifest);
    busy.release(&first);
    let second = pick(&manifest, &options, &busy, 0).unwrap();
    assert_eq!(input_ids(&second, 5)[0], 2);
}

#[test]
fn leveled_intra_l0_when_l0_to_base_is_blocked() {
    // Six L0 tables (trigger + 2) and the base-level table they need is being compacted
    // into L6: L0 merges within L0 instead.
    let l0: Vec<SstMeta> = (0..6u64)
        .rev()
        .map(|i| table(100 + i, 0, 1000, (100 + i, 100 + i), MIB))
        .collect();
    let manifest = version(
        l0,
        levels(vec![
            (5, vec![table(1, 0, 1000, (5, 5), 20 * MIB)]),
            (6, vec![table(11, 0, 1000, (1, 1), 150 * MIB)]),
        ]),
    );
    let mut busy = Busy::new();
    busy.running.push(RunningCompaction {
        start_level: 5,
        output_level: 6,
        input_ids: [1u64, 11].into_iter().map(lsm_core::ids::SstId).collect(),
        smallest_key: key(0),
        largest_key: key(1000),
    });
    let plan = pick(&manifest, &options(), &busy, 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::IntraL0);
    assert_eq!(plan.output_level, 0);
    assert_eq!(input_ids(&plan, 0), vec![105, 104, 103, 102, 101, 100]);
    assert!(!plan.bottommost);
}

#[test]
fn leveled_tree_converges_and_keeps_every_key() {
    let style = CompactionStyle::Leveled(LeveledOptions {
        level0_file_num_compaction_trigger: 2,
        max_bytes_for_level_base: 16 * 1024,
        target_file_size_base: 4 * 1024,
        ..LeveledOptions::default()
    });
    let mut tree = Tree::new();
    let mut model = std::collections::BTreeMap::new();
    for round in 0..40u32 {
        let writes: Vec<_> = (0..60u32)
            .map(|i| {
                let k = (i * 37 + round * 11) % 1500;
                let value = (round % 7 != 3).then(|| bytes::Bytes::from(format!("v{round}-{k}")));
                (k, value)
            })
            .collect();
        for (k, value) in &writes {
            match value {
                Some(value) => model.insert(*k, value.clone()),
                None => model.remove(k),
            };
        }
        tree.flush(&writes, u64::from(round));
        tree.compact(&style, u64::from(round), 100);
    }
    assert!(
        tree.manifest
            .levels
            .iter()
            .filter(|run| !run.is_empty())
            .count()
            >= 2
    );
    assert_eq!(tree.contents(), model);
}
