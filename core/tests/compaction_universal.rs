//! Universal picks on hand-built versions, one test per RocksDB rule.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use compaction_support::{MIB, Tree, input_ids, levels, table, version};
use lsm_core::compaction::universal::{UniversalOptions, pick};
use lsm_core::compaction::{Busy, CompactionReason, CompactionStyle, sorted_run_count};
use lsm_core::sst::SstMeta;

fn options() -> UniversalOptions {
    UniversalOptions {
        target_file_size_base: 4 * MIB,
        ..UniversalOptions::default()
    }
}

/// L0 tables of these sizes (MiB), newest first, with disjoint newest-first seqs.
fn l0(sizes: &[u64]) -> Vec<SstMeta> {
    let count = sizes.len() as u64;
    sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let seq = 1000 + (count - i as u64) * 10;
            table(100 + i as u64, 0, 1000, (seq, seq + 5), size * MIB)
        })
        .collect()
}

fn run(id: u64, size_mib: u64) -> Vec<SstMeta> {
    vec![table(id, 0, 1000, (id, id), size_mib * MIB)]
}

#[test]
fn universal_nothing_below_trigger() {
    let manifest = version(l0(&[1, 1]), levels(vec![(6, run(1, 1))]));
    assert_eq!(sorted_run_count(&manifest), 3);
    assert!(pick(&manifest, &options(), &Busy::new(), 0).is_none());
}

#[test]
fn universal_size_amplification_first() {
    // Newer runs (30 MiB) are 300% of the oldest (10 MiB), over the 200% limit: all runs
    // merge into the last level, although the size-ratio rule would also apply.
    let manifest = version(l0(&[10, 10, 10]), levels(vec![(6, run(1, 10))]));
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::UniversalSizeAmplification);
    assert_eq!(plan.input_count(), 4);
    assert_eq!(plan.output_level, 6);
    assert!(plan.bottommost);
    assert_eq!(plan.target_file_size_bytes, 4 * MIB);
    // At 150% it is not triggered.
    let manifest = version(l0(&[5, 5, 5]), levels(vec![(6, run(1, 10))]));
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_ne!(plan.reason, CompactionReason::UniversalSizeAmplification);
}

#[test]
fn universal_size_amplification_leaves_out_newest_small_l0() {
    // The newest L0 table adds under 10% to the candidate: RocksDB leaves it out so that
    // L0 keeps a table fewer locked (MightExcludeNewL0sToReduceWriteStop).
    let manifest = version(
        l0(&[1, 1]),
        levels(vec![(5, run(2, 300)), (6, run(1, 100))]),
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::UniversalSizeAmplification);
    assert_eq!(input_ids(&plan, 0), vec![101]);
    assert_eq!(input_ids(&plan, 5), vec![2]);
    assert_eq!(input_ids(&plan, 6), vec![1]);
}

#[test]
fn universal_size_ratio_merges_similar_runs() {
    // 1 + 1 + 1 MiB are within 1% of the running total; the 100 MiB run is not. The output
    // goes just above the next run (L5 → L4).
    let manifest = version(
        l0(&[1, 1, 1]),
        levels(vec![(5, run(2, 100)), (6, run(1, 200))]),
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::UniversalSizeRatio);
    assert_eq!(input_ids(&plan, 0), vec![100, 101, 102]);
    assert_eq!(plan.input_count(), 3);
    assert_eq!(plan.output_level, 4);
    assert!(!plan.bottommost);
    // With L0 tables only below the span, the output stays in L0.
    let manifest = version(l0(&[1, 1, 1, 50, 60]), levels(vec![(6, run(1, 1000))]));
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::UniversalSizeRatio);
    assert_eq!(input_ids(&plan, 0), vec![100, 101, 102]);
    assert_eq!(plan.output_level, 0);
    assert_eq!(plan.target_file_size_bytes, u64::MAX);
}

#[test]
fn universal_sorted_run_count_reduction() {
    // No size-amp (11%), no similar sizes, but 5 runs > trigger 4: merge 5 - 4 + 1 = 2
    // runs from the newest, whatever their sizes.
    let manifest = version(
        l0(&[1]),
        levels(vec![
            (3, run(4, 10)),
            (4, run(3, 100)),
            (5, run(2, 1000)),
            (6, run(1, 10000)),
        ]),
    );
    let plan = pick(&manifest, &options(), &Busy::new(), 0).unwrap();
    assert_eq!(plan.reason, CompactionReason::UniversalSortedRunNum);
    assert_eq!(input_ids(&plan, 0), vec![100]);
    assert_eq!(input_ids(&plan, 3), vec![4]);
    assert_eq!(plan.output_level, 3);
}

#[test]
fn universal_skips_runs_being_compacted() {
    let manifest = version(
        l0(&[1, 1, 1]),
        levels(vec![(5, run(2, 100)), (6, run(1, 200))]),
    );
    let mut busy = Busy::new();
    let first = pick(&manifest, &options(), &busy, 0).unwrap();
    busy.register(&first, &manifest);
    assert!(
        pick(&manifest, &options(), &busy, 0)
            .is_none_or(|plan| plan.input_ids().is_disjoint(&first.input_ids()))
    );
}

#[test]
fn universal_tree_converges_and_keeps_every_key() {
    for num_levels in [1, 3, 7] {
        let style = CompactionStyle::Universal(UniversalOptions {
            num_levels,
            target_file_size_base: 4 * 1024,
            ..UniversalOptions::default()
        });
        let mut tree = Tree::new();
        let mut model = std::collections::BTreeMap::new();
        for round in 0..40u32 {
            let writes: Vec<_> = (0..60u32)
                .map(|i| {
                    let k = (i * 37 + round * 11) % 1500;
                    let value =
                        (round % 5 != 2).then(|| bytes::Bytes::from(format!("v{round}-{k}")));
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
            assert!(sorted_run_count(&tree.manifest) < 4 + 1);
        }
        assert_eq!(tree.contents(), model, "num_levels {num_levels}");
    }
}
