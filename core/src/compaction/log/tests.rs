//! The log picker, and the liveness of scan and lookup: both copy exactly the candidate
//! records that are the newest version of their key in the whole log, and shift copies
//! nothing.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::compaction::{Busy, PlanKind, execute};
use crate::entry::Entry;
use crate::ids::{IdRole, SeqNum, SstId};
use crate::manifest::Manifest;
use crate::sst::{SparseSst, SstMeta, SstOptions, SstReader, build_sst};
use bytes::Bytes;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn sst_id(counter: u64) -> SstId {
    SstId::compose(IdRole::Writer, crate::ids::Epoch(1), counter).unwrap()
}

fn key(value: u32) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

/// One segment per element of `segments`, oldest first; each op is (key, Some(value) for
/// a put / None for a delete), sequence numbers in log order.
fn build_log(
    segments: &[Vec<(u32, Option<u8>)>],
    options: &SstOptions,
) -> (Manifest, BTreeMap<SstId, (SstMeta, SstReader)>) {
    let mut manifest = Manifest::initial();
    let mut tables = BTreeMap::new();
    let mut seq = 0u64;
    for (index, ops) in segments.iter().enumerate() {
        let mut entries = Vec::new();
        let mut latest: BTreeMap<u32, Entry> = BTreeMap::new();
        for (k, value) in ops {
            seq += 1;
            let entry = match value {
                Some(v) => Entry::put(key(*k), SeqNum(seq), vec![*v; 8]),
                None => Entry::delete(key(*k), SeqNum(seq)),
            };
            // A segment holds one version per key (a memtable keeps the newest).
            latest.insert(*k, entry);
        }
        entries.extend(latest.into_values());
        let (bytes, meta) = build_sst(options, &entries, sst_id(index as u64 + 1), 1_000).unwrap();
        manifest.l0.insert(0, meta.clone());
        tables.insert(meta.id, (meta, SstReader::open(bytes).unwrap()));
    }
    manifest.last_seq = SeqNum(seq);
    (manifest, tables)
}

fn options(kind: LogCompactionType, max: usize) -> LogOptions {
    LogOptions {
        compaction_type: kind,
        compaction_max_segments: max,
        ..LogOptions::default()
    }
}

fn segments(count: usize) -> Vec<Vec<(u32, Option<u8>)>> {
    (0..count as u32).map(|i| vec![(i, Some(1))]).collect()
}

#[test]
fn defaults_are_garnets() {
    let options = LogOptions::default();
    assert_eq!(options.compaction_type, LogCompactionType::None);
    assert_eq!(options.compaction_max_segments, 32);
    assert_eq!(options.compaction_frequency_ms, 0);
    assert!(!options.compaction_force_delete);
    assert!(options.compacts_before_checkpoint());
}

#[test]
fn nothing_to_do_at_or_under_the_maximum_or_without_a_type() {
    let (manifest, _) = build_log(&segments(4), &SstOptions::default());
    for kind in [LogCompactionType::Shift, LogCompactionType::Scan] {
        assert_eq!(pick(&manifest, &options(kind, 4), &Busy::new()), None);
    }
    assert_eq!(
        pick(
            &manifest,
            &options(LogCompactionType::None, 1),
            &Busy::new()
        ),
        None
    );
}

#[test]
fn shift_drops_the_oldest_beyond_the_maximum() {
    let (manifest, _) = build_log(&segments(6), &SstOptions::default());
    let plan = pick(
        &manifest,
        &options(LogCompactionType::Shift, 4),
        &Busy::new(),
    )
    .unwrap();
    assert_eq!(plan.kind, PlanKind::Delete);
    assert_eq!(plan.reason, crate::compaction::CompactionReason::LogShift);
    let oldest: Vec<_> = manifest.l0[4..].iter().map(|sst| sst.id).collect();
    assert_eq!(plan.inputs[0].ids, oldest);
}

#[test]
fn scan_and_lookup_take_one_more_so_their_output_fits() {
    let (manifest, _) = build_log(&segments(6), &SstOptions::default());
    for kind in [LogCompactionType::Scan, LogCompactionType::Lookup] {
        let plan = pick(&manifest, &options(kind, 4), &Busy::new()).unwrap();
        assert_eq!(plan.kind, PlanKind::Merge);
        assert!(plan.bottommost);
        assert_eq!(plan.output_level, 0);
        let oldest: Vec<_> = manifest.l0[3..].iter().map(|sst| sst.id).collect();
        assert_eq!(plan.inputs[0].ids, oldest, "{kind:?}");
    }
    // A maximum of 0 keeps one segment for the copies.
    let (manifest, _) = build_log(&segments(2), &SstOptions::default());
    let plan = pick(
        &manifest,
        &options(LogCompactionType::Scan, 0),
        &Busy::new(),
    )
    .unwrap();
    assert_eq!(plan.input_count(), 2);
    let plan = pick(
        &manifest,
        &options(LogCompactionType::Shift, 0),
        &Busy::new(),
    )
    .unwrap();
    assert_eq!(plan.input_count(), 2);
}

#[test]
fn one_log_job_at_a_time() {
    let (manifest, _) = build_log(&segments(6), &SstOptions::default());
    let scan = options(LogCompactionType::Scan, 4);
    let plan = pick(&manifest, &scan, &Busy::new()).unwrap();
    let mut busy = Busy::new();
    busy.register(&plan, &manifest);
    assert_eq!(pick(&manifest, &scan, &busy), None);
}

/// What liveness and the merge copy, for `kind`, reading the newer segments whole (scan)
/// or through sparse buffers filled only with what lookup fetches.
fn copied(
    manifest: &Manifest,
    tables: &BTreeMap<SstId, (SstMeta, SstReader)>,
    kind: LogCompactionType,
    max: usize,
) -> Option<(Vec<Entry>, LogCompactionStats)> {
    let plan = pick(manifest, &options(kind, max), &Busy::new())?;
    let ids = plan.input_ids();
    let inputs: Vec<_> = ids.iter().map(|id| tables[id].clone()).collect();
    let newer: Vec<_> = manifest
        .l0
        .iter()
        .filter(|sst| !ids.contains(&sst.id))
        .map(|sst| tables[&sst.id].clone())
        .collect();
    let mut stats = LogCompactionStats::default();
    let shadowed = if kind.copies_live_records() {
        let (keys, _) = candidate_keys(&plan, &inputs).unwrap();
        if kind == LogCompactionType::Scan {
            let readers: Vec<_> = newer.iter().map(|(_, reader)| reader.clone()).collect();
            scan_shadowed(&keys, &readers, &mut stats).unwrap()
        } else {
            lookup_sparse(&keys, &newer, &mut stats)
        }
    } else {
        BTreeSet::new()
    };
    let mut counter = 1_000u64;
    let mut next_id = || {
        counter += 1;
        Some(sst_id(counter))
    };
    let filter = ShadowFilter { shadowed };
    let output = execute(
        &plan,
        &inputs,
        filter,
        1_000,
        &mut next_id,
        &SstOptions::default(),
    )
    .unwrap();
    let entries = output
        .outputs
        .iter()
        .flat_map(|(bytes, _)| {
            let reader = SstReader::open(bytes.clone()).unwrap();
            reader
                .iter()
                .map(|entry| entry.unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    Some((entries, stats))
}

/// Lookup as the job does it: footer, then filter and index, then the needed blocks, each
/// copied from the table into a sparse buffer.
fn lookup_sparse(
    keys: &[Bytes],
    newer: &[(SstMeta, SstReader)],
    stats: &mut LogCompactionStats,
) -> BTreeSet<Bytes> {
    let mut remaining = keys.to_vec();
    let mut shadowed = BTreeSet::new();
    for (meta, full) in newer {
        let mut sparse = SparseSst::new(meta.size_bytes).unwrap();
        let copy = |sparse: &mut SparseSst, (start, end): (u64, u64)| {
            let bytes = &full.bytes()[start as usize..end as usize];
            sparse.fill(start, bytes).unwrap();
        };
        let footer = sparse.footer_range();
        copy(&mut sparse, footer);
        let metadata = sparse.metadata_range().unwrap();
        copy(&mut sparse, metadata);
        let reader = sparse.reader().unwrap();
        let probe = lookup_blocks_needed(meta, &reader, &remaining, stats);
        for block in &probe.blocks {
            copy(
                &mut sparse,
                SparseSst::block_range(&reader, *block).unwrap(),
            );
        }
        let reader = sparse.reader().unwrap();
        let found = lookup_probe(&reader, &probe, stats).unwrap();
        remaining.retain(|key| !found.contains(key));
        shadowed.extend(found);
    }
    shadowed
}

/// The candidate puts that are the newest version of their key in the whole log.
fn expected_live(
    manifest: &Manifest,
    tables: &BTreeMap<SstId, (SstMeta, SstReader)>,
    candidates: &BTreeSet<SstId>,
) -> Vec<(Bytes, SeqNum)> {
    let mut newest: BTreeMap<Bytes, (Entry, SstId)> = BTreeMap::new();
    for sst in &manifest.l0 {
        for entry in tables[&sst.id].1.iter() {
            let entry = entry.unwrap();
            let slot = newest.entry(entry.key.user_key.clone());
            slot.and_modify(|(held, id)| {
                if entry.key.seq > held.key.seq {
                    (*held, *id) = (entry.clone(), sst.id);
                }
            })
            .or_insert((entry, sst.id));
        }
    }
    newest
        .into_values()
        .filter(|(entry, id)| candidates.contains(id) && !entry.is_tombstone())
        .map(|(entry, _)| (entry.key.user_key, entry.key.seq))
        .collect()
}

fn log_strategy() -> impl Strategy<Value = Vec<Vec<(u32, Option<u8>)>>> {
    let op = (0u32..48, prop::option::weighted(0.8, any::<u8>()));
    prop::collection::vec(prop::collection::vec(op, 1..40), 2..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn scan_and_lookup_copy_exactly_the_newest_records(
        segments in log_strategy(),
        max in 0usize..6,
        block_size_bytes in prop::sample::select(vec![64usize, 256, 4096]),
    ) {
        let sst = SstOptions { block_size_bytes, ..SstOptions::default() };
        let (manifest, tables) = build_log(&segments, &sst);
        let scan = copied(&manifest, &tables, LogCompactionType::Scan, max);
        let lookup = copied(&manifest, &tables, LogCompactionType::Lookup, max);
        prop_assert_eq!(scan.is_some(), lookup.is_some());
        let (Some((scanned, scan_stats)), Some((looked_up, lookup_stats))) = (scan, lookup) else {
            return Ok(());
        };
        let plan = pick(&manifest, &options(LogCompactionType::Scan, max), &Busy::new()).unwrap();
        let expected = expected_live(&manifest, &tables, &plan.input_ids());
        let versions = |entries: &[Entry]| -> Vec<(Bytes, SeqNum)> {
            entries.iter().map(|e| (e.key.user_key.clone(), e.key.seq)).collect()
        };
        prop_assert_eq!(&versions(&scanned), &expected);
        prop_assert_eq!(&scanned, &looked_up);
        prop_assert!(scanned.iter().all(|entry| !entry.is_tombstone()));
        // Scan examines every record of the rest of the log; lookup at most one per probe.
        prop_assert!(lookup_stats.liveness_records_examined <= lookup_stats.lookups);
        let newer_records: u64 = manifest.l0.iter()
            .filter(|sst| !plan.input_ids().contains(&sst.id))
            .map(|sst| tables[&sst.id].1.iter().count() as u64)
            .sum();
        prop_assert_eq!(scan_stats.liveness_records_examined, newer_records);
    }

    #[test]
    fn shift_copies_nothing(segments in log_strategy(), max in 0usize..6) {
        let (manifest, tables) = build_log(&segments, &SstOptions::default());
        if let Some((entries, _)) = copied(&manifest, &tables, LogCompactionType::Shift, max) {
            prop_assert!(entries.is_empty());
            let plan = pick(&manifest, &options(LogCompactionType::Shift, max), &Busy::new())
                .unwrap();
            prop_assert_eq!(plan.kind, PlanKind::Delete);
            prop_assert_eq!(manifest.l0.len() - plan.input_count(), max.min(manifest.l0.len()));
        }
    }
}
