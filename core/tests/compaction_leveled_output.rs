//! Leveled picks on hand-built versions, one test per RocksDB rule: output cuts, compensated
//! sizes, priorities, round-robin cursors, intra-L0, and a tree that converges.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use compaction_support::leveled::{base_level_over_target, options};
use compaction_support::{MIB, Tree, input_ids, key, levels, table, version};
use lsm_core::compaction::leveled::{CompactionPri, LeveledOptions, pick};
use lsm_core::compaction::{
    Busy, CompactionReason, CompactionStyle, Compensation, RunningCompaction,
};
use lsm_core::sst::SstMeta;

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
