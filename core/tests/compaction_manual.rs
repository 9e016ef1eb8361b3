//! Manual compaction through every level, and the event listener.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use bytes::Bytes;
use compaction_support::Tree;
use lsm_core::compaction::fifo::FifoOptions;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::compaction::{
    BottommostLevelCompaction, Busy, CompactionEvent, CompactionReason, CompactionStyle, EventLog,
    ManualCompaction, ManualStep, PlanKind,
};
use std::collections::BTreeMap;

fn filled_tree(style: &CompactionStyle) -> (Tree, BTreeMap<u32, Bytes>) {
    let mut tree = Tree::new();
    let mut model = BTreeMap::new();
    for round in 0..30u32 {
        let writes: Vec<_> = (0..50u32)
            .map(|i| {
                let k = (i * 31 + round * 17) % 1200;
                let value = (round % 6 != 5).then(|| Bytes::from(format!("{round}/{k}")));
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
        tree.compact(style, u64::from(round), 100);
    }
    // A few tables left in L0 for the manual compaction to push down.
    tree.flush(&[(5, Some(Bytes::from_static(b"late"))), (700, None)], 100);
    model.insert(5, Bytes::from_static(b"late"));
    model.remove(&700);
    (tree, model)
}

fn drive(
    tree: &mut Tree,
    manual: &mut ManualCompaction,
    style: &CompactionStyle,
    log: &mut EventLog,
) -> Vec<(usize, usize, PlanKind)> {
    let mut steps = Vec::new();
    for _ in 0..1000 {
        match manual.next_step(&tree.manifest, style, &Busy::new(), 100) {
            ManualStep::Plan(plan) => {
                steps.push((plan.start_level(), plan.output_level, plan.kind));
                tree.run(&plan, 100, log);
            }
            ManualStep::Wait => panic!("nothing is running"),
            ManualStep::Done => return steps,
        }
    }
    panic!("manual compaction did not finish");
}

#[test]
fn manual_compaction_moves_the_range_through_every_level() {
    let style = CompactionStyle::Leveled(LeveledOptions {
        level0_file_num_compaction_trigger: 2,
        max_bytes_for_level_base: 8 * 1024,
        max_bytes_for_level_multiplier: 4.0,
        target_file_size_base: 2 * 1024,
        ..LeveledOptions::default()
    });
    let (mut tree, model) = filled_tree(&style);
    assert!(!tree.manifest.l0.is_empty());
    let before = tree
        .manifest
        .levels
        .iter()
        .filter(|run| !run.is_empty())
        .count();
    assert!(before >= 2, "the tree has several levels");
    let mut log = EventLog::with_capacity(10_000);
    let mut manual = ManualCompaction::new(None, None, BottommostLevelCompaction::Force, false);
    let steps = drive(&mut tree, &mut manual, &style, &mut log);
    // Everything ends in the last level, each level drained in turn, then rewritten there.
    assert!(tree.manifest.l0.is_empty());
    for level in 1..6 {
        assert!(
            tree.manifest.level(level).is_empty(),
            "L{level} still holds data"
        );
    }
    assert!(!tree.manifest.level(6).is_empty());
    assert!(steps.iter().any(|(start, _, _)| *start == 0));
    assert!(
        steps
            .iter()
            .any(|(start, output, _)| *start == 6 && *output == 6)
    );
    let starts: Vec<usize> = steps.iter().map(|(start, _, _)| *start).collect();
    assert!(
        starts.windows(2).all(|pair| pair[0] <= pair[1]),
        "levels in order: {starts:?}"
    );
    assert_eq!(tree.contents(), model);
    // The listener saw each job begin and complete, in order, with its statistics.
    assert_eq!(log.events.len(), 2 * steps.len());
    for pair in log.events.chunks(2) {
        match pair {
            [
                CompactionEvent::Begun { job: begun },
                CompactionEvent::Completed { job, stats },
            ] => {
                assert_eq!(begun, job);
                assert_eq!(job.plan.reason, CompactionReason::Manual);
                assert_eq!(stats.input_files, job.plan.input_count() as u64);
            }
            other => panic!("unexpected events {other:?}"),
        }
    }
    // A range touching nothing is done at once.
    let mut empty = ManualCompaction::new(
        Some(Bytes::from_static(b"\xff\xff\xff\xf0")),
        None,
        BottommostLevelCompaction::Force,
        false,
    );
    assert_eq!(
        empty.next_step(&tree.manifest, &style, &Busy::new(), 0),
        ManualStep::Done
    );
}

#[test]
fn manual_compaction_of_a_key_range_leaves_other_keys_in_place() {
    let style = CompactionStyle::Leveled(LeveledOptions {
        level0_file_num_compaction_trigger: 2,
        max_bytes_for_level_base: 8 * 1024,
        max_bytes_for_level_multiplier: 4.0,
        target_file_size_base: 2 * 1024,
        ..LeveledOptions::default()
    });
    let (mut tree, model) = filled_tree(&style);
    let begin = compaction_support::key(0);
    let end = compaction_support::key(100);
    let mut manual = ManualCompaction::new(
        Some(begin.clone()),
        Some(end.clone()),
        BottommostLevelCompaction::Skip,
        false,
    );
    drive(
        &mut tree,
        &mut manual,
        &style,
        &mut EventLog::with_capacity(0),
    );
    for level in 0..6 {
        for sst in tree.manifest.level(level) {
            assert!(
                !sst.overlaps_range(&begin, &end),
                "L{level} table {} still in range",
                sst.id
            );
        }
    }
    assert_eq!(tree.contents(), model);
}

#[test]
fn manual_compaction_in_universal_merges_all_into_the_last_level() {
    let style = CompactionStyle::Universal(UniversalOptions {
        target_file_size_base: 4 * 1024,
        ..UniversalOptions::default()
    });
    let (mut tree, model) = filled_tree(&style);
    let mut manual = ManualCompaction::new(
        None,
        None,
        BottommostLevelCompaction::IfHaveCompactionFilter,
        false,
    );
    let steps = drive(
        &mut tree,
        &mut manual,
        &style,
        &mut EventLog::with_capacity(10),
    );
    assert_eq!(steps.len(), 1);
    assert_eq!(lsm_core::compaction::sorted_run_count(&tree.manifest), 1);
    assert!(!tree.manifest.level(6).is_empty());
    assert_eq!(tree.contents(), model);
    // FIFO runs its picker once.
    let fifo = CompactionStyle::Fifo(FifoOptions::default());
    let mut manual = ManualCompaction::new(None, None, BottommostLevelCompaction::Skip, false);
    assert_eq!(
        manual.next_step(&tree.manifest, &fifo, &Busy::new(), 0),
        ManualStep::Done
    );
}
