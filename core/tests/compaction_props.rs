//! Properties over random trees and inputs: levels stay sorted through every apply, no
//! picker takes a busy table, and the merge equals an oracle.
#![allow(clippy::unwrap_used)]

mod compaction_support;

use bytes::Bytes;
use compaction_support::{Tree, key};
use lsm_core::compaction::fifo::FifoOptions;
use lsm_core::compaction::leveled::{CompactionPri, LeveledOptions};
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::compaction::{
    Busy, CompactionPlan, CompactionReason, CompactionStyle, OutputTime, PlanInput, PlanKind,
    RunningCompaction, execute,
};
use lsm_core::entry::{Entry, EntryKind};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::merge::TtlFilter;
use lsm_core::sst::{SstOptions, SstReader, build_sst};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn styles() -> Vec<CompactionStyle> {
    let pris = [
        CompactionPri::MinOverlappingRatio,
        CompactionPri::ByCompensatedSize,
        CompactionPri::OldestLargestSeqFirst,
        CompactionPri::OldestSmallestSeqFirst,
        CompactionPri::RoundRobin,
    ];
    let mut styles: Vec<CompactionStyle> = pris
        .iter()
        .map(|pri| {
            CompactionStyle::Leveled(LeveledOptions {
                level0_file_num_compaction_trigger: 2,
                max_bytes_for_level_base: 6 * 1024,
                max_bytes_for_level_multiplier: 3.0,
                target_file_size_base: 1024,
                compaction_pri: *pri,
                ..LeveledOptions::default()
            })
        })
        .collect();
    styles.push(CompactionStyle::Leveled(LeveledOptions {
        level0_file_num_compaction_trigger: 2,
        max_bytes_for_level_base: 6 * 1024,
        level_compaction_dynamic_level_bytes: false,
        target_file_size_base: 1024,
        num_levels: 4,
        ..LeveledOptions::default()
    }));
    for num_levels in [1, 4] {
        styles.push(CompactionStyle::Universal(UniversalOptions {
            num_levels,
            target_file_size_base: 1024,
            ..UniversalOptions::default()
        }));
    }
    styles.push(CompactionStyle::Fifo(FifoOptions {
        allow_compaction: true,
        write_buffer_size: 2048,
        ..FifoOptions::default()
    }));
    styles
}

type Batch = Vec<(u16, bool)>;

fn batches() -> impl Strategy<Value = Vec<Batch>> {
    prop::collection::vec(
        prop::collection::vec((0u16..600, prop::bool::weighted(0.15)), 1..60),
        1..25,
    )
}

/// Writes `batches` into a tree under `style`, compacting after each flush.
fn grow(style: &CompactionStyle, batches: &[Batch]) -> (Tree, BTreeMap<u32, Bytes>) {
    let mut tree = Tree::new();
    let mut model = BTreeMap::new();
    for (round, batch) in batches.iter().enumerate() {
        let writes: Vec<(u32, Option<Bytes>)> = batch
            .iter()
            .map(|(k, delete)| {
                let value =
                    (!delete).then(|| Bytes::from(format!("{round}:{k}:{}", "x".repeat(30))));
                (u32::from(*k), value)
            })
            .collect();
        for (k, value) in &writes {
            match value {
                Some(value) => model.insert(*k, value.clone()),
                None => model.remove(k),
            };
        }
        tree.flush(&writes, round as u64);
        tree.compact(style, round as u64, 200);
    }
    (tree, model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn levels_sorted_after_every_apply(style_index in 0usize..9, batches in batches()) {
        let styles = styles();
        let style = &styles[style_index % styles.len()];
        // `grow` checks the invariants and the L1+ runs after every apply.
        let (tree, model) = grow(style, &batches);
        prop_assert_eq!(tree.contents(), model);
    }

    #[test]
    fn pickers_never_choose_busy_files(
        build_style in 0usize..9,
        pick_style in 0usize..9,
        batches in batches(),
        busy_mask in prop::collection::vec(any::<bool>(), 64),
        output_level in 0usize..7,
    ) {
        let styles = styles();
        let (tree, _) = grow(&styles[build_style % styles.len()], &batches);
        let manifest = &tree.manifest;
        let style = &styles[pick_style % styles.len()];
        let live: Vec<_> = manifest.live_ssts_with_level().collect();
        let chosen: Vec<_> = live.iter().zip(busy_mask.iter().cycle()).filter(|(_, b)| **b).map(|(t, _)| *t).collect();
        let mut busy = Busy::new();
        if let (Some(first), Some(range)) = (chosen.first(), key_range(chosen.iter().map(|(_, sst)| *sst))) {
            busy.running.push(RunningCompaction {
                start_level: first.0,
                output_level,
                input_ids: chosen.iter().map(|(_, sst)| sst.id).collect(),
                smallest_key: range.0,
                largest_key: range.1,
            });
        }
        let busy_ids: BTreeSet<SstId> = chosen.iter().map(|(_, sst)| sst.id).collect();
        for now_ms in [0, 1_000_000] {
            let Some(plan) = style.pick(manifest, &busy, now_ms) else { continue };
            prop_assert!(plan.input_ids().is_disjoint(&busy_ids), "{:?} takes a busy table", plan);
            // A second job picked while the first runs takes none of its tables either, and
            // does not write into the same level over the same keys.
            let mut both = busy.clone();
            both.register(&plan, manifest);
            if let Some(second) = style.pick(manifest, &both, now_ms) {
                prop_assert!(second.input_ids().is_disjoint(&busy_ids));
                prop_assert!(second.input_ids().is_disjoint(&plan.input_ids()), "{:?} then {:?}", plan, second);
                if second.output_level == plan.output_level && plan.output_level != 0 {
                    let first_range = range_of(manifest, &plan);
                    let second_range = range_of(manifest, &second);
                    prop_assert!(first_range.1 < second_range.0 || second_range.1 < first_range.0);
                }
            }
        }
    }

    #[test]
    fn execute_matches_oracle(
        l0_tables in prop::collection::vec(prop::collection::vec(entry_strategy(), 1..40), 0..4),
        l1_table_count in 0usize..4,
        l1_entries in prop::collection::vec(entry_strategy(), 0..80),
        bottommost in any::<bool>(),
        target in 200u64..4000,
        now_ms in 0u64..200,
    ) {
        let options = SstOptions { block_size_bytes: 128, bloom_bits_per_key: 10, ..SstOptions::default() };
        let mut seq = 0u64;
        let mut next_seq = || { seq += 1; SeqNum(seq) };
        // L1 first (oldest data): entries split into tables of disjoint key ranges.
        let mut tables: Vec<(usize, Vec<Entry>)> = Vec::new();
        let mut l1: Vec<Entry> = l1_entries.iter().map(|spec| spec.entry(next_seq())).collect();
        l1.sort_by(|a, b| a.key.cmp(&b.key));
        let chunk = l1.len().div_ceil(l1_table_count.max(1)).max(1);
        let mut start = 0;
        while start < l1.len() {
            let mut end = (start + chunk).min(l1.len());
            while end < l1.len() && l1[end].user_key() == l1[end - 1].user_key() { end += 1; }
            tables.push((1, l1[start..end].to_vec()));
            start = end;
        }
        // L0 tables, oldest first.
        for specs in l0_tables.iter() {
            let mut entries: Vec<Entry> = specs.iter().map(|spec| spec.entry(next_seq())).collect();
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            tables.push((0, entries));
        }
        prop_assume!(!tables.is_empty());
        let mut inputs = Vec::new();
        let mut l0_ids = Vec::new();
        let mut l1_ids = Vec::new();
        for (index, (level, entries)) in tables.iter().enumerate() {
            let id = SstId(index as u64 + 1);
            let (bytes, meta) = build_sst(&options, entries, id, 5).unwrap();
            inputs.push((meta, SstReader::open(bytes).unwrap()));
            if *level == 0 { l0_ids.insert(0, id) } else { l1_ids.push(id) }
        }
        let mut plan_inputs = Vec::new();
        if !l0_ids.is_empty() { plan_inputs.push(PlanInput { level: 0, ids: l0_ids }); }
        if !l1_ids.is_empty() { plan_inputs.push(PlanInput { level: 1, ids: l1_ids }); }
        let plan = CompactionPlan {
            kind: PlanKind::Merge,
            reason: CompactionReason::Manual,
            inputs: plan_inputs,
            output_level: 1,
            bottommost,
            target_file_size_bytes: target,
            output_time: OutputTime::BuildTime,
            grandparents: None,
            round_robin_cursor: None,
        };
        let mut next = 100u64;
        let mut next_id = || { next += 1; Some(SstId(next)) };
        let output = execute(&plan, &inputs, TtlFilter { now_ms }, 77, &mut next_id, &options).unwrap();
        // The oracle: the newest version of each key; an expired put becomes a tombstone,
        // and at the bottommost level tombstones go.
        let all: Vec<Entry> = tables.iter().flat_map(|(_, entries)| entries.iter().cloned()).collect();
        let mut newest: BTreeMap<Bytes, Entry> = BTreeMap::new();
        for entry in &all {
            let keep = newest.get(&entry.key.user_key).is_none_or(|seen| seen.seq() < entry.seq());
            if keep { newest.insert(entry.key.user_key.clone(), entry.clone()); }
        }
        let expected: Vec<Entry> = newest.into_values().filter_map(|mut entry| {
            if entry.kind == EntryKind::Put && entry.is_expired_at(now_ms) {
                entry.kind = EntryKind::Delete;
                entry.value = Bytes::new();
                entry.expires_at_ms = None;
            }
            (!(bottommost && entry.kind == EntryKind::Delete)).then_some(entry)
        }).collect();
        let mut got = Vec::new();
        let mut previous_largest: Option<Bytes> = None;
        for (index, (bytes, meta)) in output.outputs.iter().enumerate() {
            prop_assert_eq!(meta.created_at_ms, 77);
            if let Some(previous) = &previous_largest { prop_assert!(previous < &meta.smallest_key); }
            previous_largest = Some(meta.largest_key.clone());
            if index + 1 < output.outputs.len() { prop_assert!(meta.size_bytes >= target); }
            let reader = SstReader::open(bytes.clone()).unwrap();
            got.extend(reader.iter().map(|entry| entry.unwrap()));
        }
        prop_assert_eq!(&got, &expected);
        let stats = output.stats;
        prop_assert_eq!(stats.merge.entries_in, all.len() as u64);
        prop_assert_eq!(stats.merge.entries_out, expected.len() as u64);
        let distinct = all.iter().map(|e| e.key.user_key.clone()).collect::<BTreeSet<_>>().len() as u64;
        prop_assert_eq!(stats.merge.dropped_shadowed, all.len() as u64 - distinct);
        prop_assert_eq!(stats.output_files, output.outputs.len() as u64);
        prop_assert_eq!(stats.input_files, tables.len() as u64);
    }
}

/// One random entry, before its sequence number is known.
#[derive(Clone, Debug)]
struct EntrySpec {
    key: u8,
    kind: u8,
    expires_at_ms: u64,
}

impl EntrySpec {
    fn entry(&self, seq: SeqNum) -> Entry {
        let value = Bytes::from(vec![self.key; 20]);
        match self.kind {
            0 => Entry::delete(key(u32::from(self.key)), seq),
            1 => Entry::put_expiring(key(u32::from(self.key)), seq, value, self.expires_at_ms),
            _ => Entry::put(key(u32::from(self.key)), seq, value),
        }
    }
}

fn entry_strategy() -> impl Strategy<Value = EntrySpec> {
    (0u8..60, 0u8..5, 0u64..200).prop_map(|(key, kind, expires_at_ms)| EntrySpec {
        key,
        kind,
        expires_at_ms,
    })
}

fn key_range<'a>(
    tables: impl Iterator<Item = &'a lsm_core::sst::SstMeta>,
) -> Option<(Bytes, Bytes)> {
    let mut range: Option<(Bytes, Bytes)> = None;
    for sst in tables {
        range = Some(match range {
            None => (sst.smallest_key.clone(), sst.largest_key.clone()),
            Some((low, high)) => (
                low.min(sst.smallest_key.clone()),
                high.max(sst.largest_key.clone()),
            ),
        });
    }
    range
}

fn range_of(manifest: &lsm_core::manifest::Manifest, plan: &CompactionPlan) -> (Bytes, Bytes) {
    let ids = plan.input_ids();
    key_range(manifest.all_live_ssts().filter(|sst| ids.contains(&sst.id))).unwrap()
}
