//! Leveled outputs cut at grandparent boundaries, one test per RocksDB 9.x rule
//! (`CompactionOutputs::ShouldStopBefore`), on hand-built grandparent levels; then the
//! picker carrying the grandparents in its plan and the merge honouring them.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use bytes::Bytes;
use compaction_support::{MIB, Tree, key, levels, table, version};
use lsm_core::compaction::leveled::{
    CutRule, GrandparentCut, GrandparentCutter, GrandparentFile, LeveledOptions, pick,
};
use lsm_core::compaction::{Busy, execute};
use lsm_core::ids::SstId;
use lsm_core::merge::NoFilter;

const TARGET: u64 = 1000;

fn grandparent(low: u32, high: u32, size_bytes: u64) -> GrandparentFile {
    GrandparentFile {
        smallest_key: key(low),
        largest_key: key(high),
        size_bytes,
    }
}

fn cut(files: Vec<GrandparentFile>, max_compaction_bytes: u64) -> GrandparentCut {
    GrandparentCut {
        files,
        max_compaction_bytes,
    }
}

#[test]
fn size_rule_lets_non_bottommost_outputs_grow_to_twice_the_target() {
    // One grandparent spans every key: no boundary is ever crossed.
    let spanning = cut(vec![grandparent(0, 10_000, 10)], u64::MAX);
    let mut cutter = GrandparentCutter::new(&spanning, TARGET, false);
    assert_eq!(cutter.should_stop_before(&key(1), None), None);
    assert_eq!(cutter.should_stop_before(&key(2), Some(TARGET)), None);
    assert_eq!(
        cutter.should_stop_before(&key(3), Some(2 * TARGET - 1)),
        None
    );
    assert_eq!(
        cutter.should_stop_before(&key(4), Some(2 * TARGET)),
        Some(CutRule::Size)
    );
    // Bottommost outputs, and outputs with no grandparents, stop at the target.
    let mut bottommost = GrandparentCutter::new(&spanning, TARGET, true);
    bottommost.should_stop_before(&key(1), None);
    assert_eq!(
        bottommost.should_stop_before(&key(2), Some(TARGET)),
        Some(CutRule::Size)
    );
    let none = cut(Vec::new(), u64::MAX);
    let mut alone = GrandparentCutter::new(&none, TARGET, false);
    alone.should_stop_before(&key(1), None);
    assert_eq!(alone.should_stop_before(&key(2), Some(TARGET - 1)), None);
    assert_eq!(
        alone.should_stop_before(&key(3), Some(TARGET)),
        Some(CutRule::Size)
    );
}

#[test]
fn early_cut_at_half_the_target_plus_five_points_per_boundary_crossed() {
    // Small grandparents (below target / 8) every 20 keys.
    let small = cut(
        vec![
            grandparent(10, 19, 100),
            grandparent(30, 39, 100),
            grandparent(50, 59, 100),
        ],
        u64::MAX,
    );
    let mut cutter = GrandparentCutter::new(&small, TARGET, false);
    assert_eq!(cutter.should_stop_before(&key(0), None), None);
    // Entering the first grandparent: 1 boundary, threshold 55% (550 bytes).
    assert_eq!(cutter.should_stop_before(&key(10), Some(540)), None);
    // Leaving it: 2 boundaries, 60%.
    assert_eq!(cutter.should_stop_before(&key(20), Some(590)), None);
    // Inside a gap, no boundary: never an early cut, however big (below 2x).
    assert_eq!(cutter.should_stop_before(&key(25), Some(1500)), None);
    // Entering the second: 3 boundaries, 65%: cut.
    assert_eq!(
        cutter.should_stop_before(&key(30), Some(1600)),
        Some(CutRule::EarlyCut)
    );
    cutter.output_started(&key(30));
    // The new output starts counting afresh: leaving the second grandparent is its first
    // boundary (55%).
    assert_eq!(cutter.should_stop_before(&key(40), Some(540)), None);
    assert_eq!(
        cutter.should_stop_before(&key(50), Some(600)),
        Some(CutRule::EarlyCut)
    );
}

#[test]
fn early_cut_threshold_stops_growing_at_ninety_percent() {
    let many: Vec<_> = (0..20u32)
        .map(|i| grandparent(i * 10 + 1, i * 10 + 5, 10))
        .collect();
    let many = cut(many, u64::MAX);
    let mut cutter = GrandparentCutter::new(&many, TARGET, false);
    cutter.should_stop_before(&key(0), None);
    // Twelve boundaries crossed one at a time, each time below the threshold then.
    let mut k = 0u32;
    for i in 0..6u32 {
        k = i * 10 + 1;
        assert_eq!(cutter.should_stop_before(&key(k), Some(100)), None);
        k = i * 10 + 6;
        assert_eq!(cutter.should_stop_before(&key(k), Some(100)), None);
    }
    // 13 boundaries would be 115%: the threshold holds at 90%.
    assert_eq!(
        cutter.should_stop_before(&key(k + 5), Some(899)),
        None,
        "below 90%"
    );
    assert_eq!(
        cutter.should_stop_before(&key(k + 10), Some(900)),
        Some(CutRule::EarlyCut)
    );
}

#[test]
fn skip_rule_cuts_before_spanning_a_grandparent_larger_than_an_eighth_of_the_target() {
    let files = cut(
        vec![
            grandparent(10, 19, 50),
            grandparent(30, 39, 200),
            grandparent(50, 59, 50),
        ],
        u64::MAX,
    );
    let mut cutter = GrandparentCutter::new(&files, TARGET, false);
    cutter.should_stop_before(&key(5), None);
    // Spanning the first grandparent (50 bytes, not above 125): no cut.
    assert_eq!(cutter.should_stop_before(&key(25), Some(100)), None);
    // Spanning the second (200 bytes): cut before the key that would skip over it.
    assert_eq!(
        cutter.should_stop_before(&key(45), Some(150)),
        Some(CutRule::SkipLargeGrandparent)
    );
    // From inside a grandparent, skipping a whole one takes three boundaries.
    let mut inside = GrandparentCutter::new(&files, TARGET, false);
    inside.should_stop_before(&key(15), None);
    assert_eq!(
        inside.should_stop_before(&key(55), Some(100)),
        Some(CutRule::SkipLargeGrandparent)
    );
}

#[test]
fn max_compaction_bytes_rule_cuts_when_the_grandparent_overlap_would_exceed_it() {
    let big = cut(
        vec![grandparent(10, 19, 600), grandparent(30, 39, 600)],
        1000,
    );
    let mut cutter = GrandparentCutter::new(&big, TARGET, false);
    cutter.should_stop_before(&key(5), None);
    // 600 overlapped + 100 in the output: within 1000.
    assert_eq!(cutter.should_stop_before(&key(15), Some(100)), None);
    // Leaving the first and entering the second: 1200 + 200 > 1000.
    assert_eq!(
        cutter.should_stop_before(&key(35), Some(200)),
        Some(CutRule::MaxCompactionBytes)
    );
    // The new output overlaps only the grandparent its first key is in.
    cutter.output_started(&key(35));
    assert_eq!(cutter.should_stop_before(&key(36), Some(300)), None);
}

#[test]
fn leveled_picker_carries_the_grandparents_of_its_output_level() {
    // L1 over its target compacts into L2; L3 below holds the grandparents, and only
    // those overlapping the compaction's key range are carried.
    let manifest = version(
        Vec::new(),
        levels(vec![
            (1, vec![table(1, 100, 199, (9, 9), 40 * MIB)]),
            (2, vec![table(2, 150, 180, (5, 5), 4 * MIB)]),
            (
                3,
                vec![
                    table(3, 0, 99, (1, 1), 4 * MIB),
                    table(4, 100, 149, (1, 1), 4 * MIB),
                    table(5, 150, 199, (1, 1), 4 * MIB),
                    table(6, 200, 299, (1, 1), 4 * MIB),
                ],
            ),
        ]),
    );
    let options = LeveledOptions {
        max_bytes_for_level_base: 4 * MIB,
        target_file_size_base: MIB,
        level_compaction_dynamic_level_bytes: false,
        ..LeveledOptions::default()
    };
    let plan = pick(&manifest, &options, &Busy::new(), 0).unwrap();
    assert_eq!(plan.output_level, 2);
    let grandparents = plan.grandparents.as_ref().unwrap();
    let ids: Vec<_> = grandparents
        .files
        .iter()
        .map(|file| file.smallest_key.clone())
        .collect();
    assert_eq!(ids, vec![key(100), key(150)]);
    assert_eq!(
        grandparents.max_compaction_bytes,
        options.effective_max_compaction_bytes()
    );
    assert!(!plan.bottommost);
}

#[test]
fn the_merge_cuts_outputs_on_grandparent_boundaries() {
    // 4 L0 tables of 400 keys each into an empty L1, with a hand-made plan carrying
    // grandparents every 40 keys: outputs end where grandparents end.
    let mut tree = Tree::new();
    let value = Bytes::from(vec![7u8; 100]);
    for round in 0..4u32 {
        let writes: Vec<_> = (0..400u32)
            .map(|k| (k * 3 + round % 2, Some(value.clone())))
            .collect();
        tree.flush(&writes, 1);
    }
    let options = LeveledOptions {
        target_file_size_base: 8 * 1024,
        max_bytes_for_level_base: 16 * MIB,
        ..LeveledOptions::default()
    };
    let mut plan = pick(&tree.manifest, &options, &Busy::new(), 1).unwrap();
    assert_eq!(plan.grandparents.as_ref().map(|g| g.files.len()), Some(0));
    let files: Vec<_> = (0..30u32)
        .map(|i| grandparent(i * 40, i * 40 + 39, 512))
        .collect();
    plan.bottommost = false;
    plan.grandparents = Some(cut(files, u64::MAX));
    let inputs = tree.inputs(&plan);
    let mut next = 1000u64;
    let mut next_id = || {
        next += 1;
        Some(SstId(next))
    };
    let output = execute(&plan, &inputs, NoFilter, 1, &mut next_id, &tree.sst_options).unwrap();
    let metas = output.output_metas();
    assert!(metas.len() >= 3, "{} outputs", metas.len());
    let number = |bytes: &Bytes| u32::from_be_bytes(bytes[..4].try_into().unwrap());
    for pair in metas.windows(2) {
        // Cut where a grandparent begins (a multiple of 40 lies between the outputs),
        // at 50..90% of the target by the early cut — never only at the target.
        let (end, start) = (number(&pair[0].largest_key), number(&pair[1].smallest_key));
        assert!(
            (end + 1..=start).any(|k| k % 40 == 0),
            "outputs split at {end}/{start}, not on a grandparent boundary"
        );
        assert!(
            pair[0].size_bytes < 8 * 1024 + 2048,
            "{}",
            pair[0].size_bytes
        );
    }
    assert_eq!(output.stats.merge.entries_out, 800);
}
