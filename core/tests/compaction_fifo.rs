//! FIFO picks on hand-built versions, one test per RocksDB rule.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use compaction_support::{MIB, Tree, input_ids, table, version};
use lsm_core::compaction::fifo::{FifoOptions, pick};
use lsm_core::compaction::{Busy, CompactionReason, CompactionStyle, OutputTime, PlanKind};
use lsm_core::sst::SstMeta;
use proptest::prelude::*;

/// L0 tables of `size` bytes, newest first, created 1000 ms apart (the oldest at 1000).
fn l0(count: u64, size: u64) -> Vec<SstMeta> {
    (0..count)
        .rev()
        .map(|i| {
            let mut sst = table(100 + i, 0, 1000, (i * 10 + 1, i * 10 + 10), size);
            sst.created_at_ms = 1000 * (i + 1);
            sst
        })
        .collect()
}

#[test]
fn fifo_drops_oldest_above_max_table_files_size() {
    let manifest = version(l0(5, 10 * MIB), Vec::new());
    let options = FifoOptions {
        max_table_files_size: 35 * MIB,
        ..FifoOptions::default()
    };
    let plan = pick(&manifest, &options, &Busy::new(), 0).unwrap();
    assert_eq!(plan.kind, PlanKind::Delete);
    assert_eq!(plan.reason, CompactionReason::FifoMaxSize);
    assert_eq!(input_ids(&plan, 0), vec![101, 100]);
    let edit = plan
        .into_edit(&manifest, &[], manifest.compactor_epoch, false)
        .unwrap();
    let next = lsm_core::manifest::apply(&manifest, &edit).unwrap();
    assert_eq!(next.level_size_bytes(0), 30 * MIB);
    assert!(pick(&next, &options, &Busy::new(), 0).is_none());
}

#[test]
fn fifo_ttl_drops_expired_files() {
    // Created at 1000..5000; ttl 1500 at 4000: those created before 2500 have expired.
    let manifest = version(l0(5, MIB), Vec::new());
    let options = FifoOptions {
        ttl_ms: 1500,
        ..FifoOptions::default()
    };
    let plan = pick(&manifest, &options, &Busy::new(), 4000).unwrap();
    assert_eq!(plan.kind, PlanKind::Delete);
    assert_eq!(plan.reason, CompactionReason::FifoTtl);
    assert_eq!(input_ids(&plan, 0), vec![101, 100]);
    assert!(pick(&manifest, &options, &Busy::new(), 2000).is_none());
    // Expired tables that would leave the total above the limit fall back to the size
    // rule, which drops by age until under it.
    let options = FifoOptions {
        ttl_ms: 1500,
        max_table_files_size: 2 * MIB,
        ..FifoOptions::default()
    };
    let plan = pick(&manifest, &options, &Busy::new(), 4000).unwrap();
    assert_eq!(plan.reason, CompactionReason::FifoMaxSize);
    assert_eq!(input_ids(&plan, 0), vec![102, 101, 100]);
}

#[test]
fn fifo_allow_compaction_merges_small_l0_tables() {
    let manifest = version(l0(5, MIB), Vec::new());
    let options = FifoOptions {
        allow_compaction: true,
        ..FifoOptions::default()
    };
    let plan = pick(&manifest, &options, &Busy::new(), 0).unwrap();
    assert_eq!(plan.kind, PlanKind::Merge);
    assert_eq!(plan.reason, CompactionReason::FifoReduceNumFiles);
    assert_eq!(plan.output_level, 0);
    assert_eq!(plan.output_time, OutputTime::NewestInput);
    assert_eq!(input_ids(&plan, 0), vec![104, 103, 102, 101, 100]);
    assert!(plan.bottommost);
    // Tables already bigger than 1.1 × write_buffer_size are not merged again.
    let big = version(l0(5, 100 * MIB), Vec::new());
    assert!(pick(&big, &options, &Busy::new(), 0).is_none());
}

#[test]
fn fifo_merges_in_a_tree_keep_newest_time_and_every_key() {
    let style = CompactionStyle::Fifo(FifoOptions {
        allow_compaction: true,
        write_buffer_size: 64 * 1024,
        ..FifoOptions::default()
    });
    let mut tree = Tree::new();
    let mut model = std::collections::BTreeMap::new();
    for round in 0..30u32 {
        let writes: Vec<_> = (0..50u32)
            .map(|i| {
                (
                    (i * 13 + round * 7) % 900,
                    Some(bytes::Bytes::from(format!("{round}"))),
                )
            })
            .collect();
        for (k, value) in &writes {
            model.insert(*k, value.clone().unwrap());
        }
        tree.flush(&writes, 1000 * u64::from(round + 1));
        tree.compact(&style, 1_000_000, 50);
    }
    assert!(
        tree.manifest.l0.len() < 30,
        "merged: {}",
        tree.manifest.l0.len()
    );
    assert_eq!(tree.contents(), model);
    // Newest data time survives the merges: no table looks younger than its newest flush.
    for sst in &tree.manifest.l0 {
        assert!(sst.created_at_ms <= 30_000);
    }
}

proptest! {
    #[test]
    fn fifo_never_merges_without_allow_compaction(
        sizes in prop::collection::vec(1u64..=64, 1..40),
        max_mib in 1u64..=2000,
        ttl_ms in 0u64..5000,
        now_ms in 0u64..50_000,
    ) {
        let count = sizes.len() as u64;
        let tables: Vec<SstMeta> = sizes.iter().enumerate().map(|(i, size)| {
            let age = count - i as u64;
            let mut sst = table(i as u64 + 1, 0, 1000, (age * 10, age * 10 + 5), size * MIB / 8);
            sst.created_at_ms = age * 1000;
            sst
        }).collect();
        let manifest = version(tables, Vec::new());
        let options = FifoOptions { max_table_files_size: max_mib * MIB, ttl_ms, ..FifoOptions::default() };
        if let Some(plan) = pick(&manifest, &options, &Busy::new(), now_ms) {
            prop_assert_eq!(plan.kind, PlanKind::Delete);
        }
    }
}
