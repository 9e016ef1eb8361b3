//! The FIFO picker (RocksDB's `FIFOCompactionPicker::PickCompaction`).

use super::FifoOptions;
use crate::compaction::intra_l0::find_intra_l0;
use crate::compaction::{
    Busy, CompactionPlan, CompactionReason, Compensation, OutputTime, PlanInput, PlanKind,
    is_bottommost,
};
use crate::entry::WallMs;
use crate::manifest::Manifest;
use crate::sst::SstMeta;
use std::collections::BTreeSet;

/// RocksDB hard-codes the output file size of FIFO's intra-L0 merge to 16 MiB.
const INTRA_L0_OUTPUT_FILE_SIZE_BYTES: u64 = 16 << 20;

/// The next FIFO compaction: with a TTL, drop the oldest tables whose newest data is older
/// than `ttl_ms` at `now_ms`, if that brings the total under `max_table_files_size`;
/// otherwise, above `max_table_files_size`, drop the oldest tables until under it; under
/// it, with `allow_compaction`, merge a span of small newest L0 tables. Never merges
/// without `allow_compaction`. One FIFO job at a time, as in RocksDB.
pub fn pick(
    manifest: &Manifest,
    options: &FifoOptions,
    busy: &Busy,
    now_ms: WallMs,
) -> Option<CompactionPlan> {
    let compensation = Compensation::for_manifest(manifest);
    if options.ttl_ms > 0
        && let Some(plan) = pick_ttl(manifest, options, &compensation, busy, now_ms)
    {
        return Some(plan);
    }
    pick_size(manifest, options, &compensation, busy)
}

fn pick_ttl(
    manifest: &Manifest,
    options: &FifoOptions,
    compensation: &Compensation,
    busy: &Busy,
    now_ms: WallMs,
) -> Option<CompactionPlan> {
    if busy.l0_in_progress() || now_ms <= options.ttl_ms {
        return None;
    }
    let cutoff = now_ms - options.ttl_ms;
    let mut total = manifest.level_size_bytes(0);
    let mut expired = Vec::new();
    for sst in manifest.l0.iter().rev() {
        if sst.created_at_ms == 0 || sst.created_at_ms >= cutoff || busy.is_busy(sst.id) {
            break;
        }
        total = total.saturating_sub(compensation.size(sst));
        expired.push(sst);
    }
    if expired.is_empty() || total > options.max_table_files_size {
        return None;
    }
    // Only tables whose newest data is past the TTL go.
    assert!(expired.iter().all(|sst| sst.created_at_ms < cutoff));
    Some(deletion(manifest, &expired, CompactionReason::FifoTtl))
}

fn pick_size(
    manifest: &Manifest,
    options: &FifoOptions,
    compensation: &Compensation,
    busy: &Busy,
) -> Option<CompactionPlan> {
    let mut total = manifest.level_size_bytes(0);
    if total <= options.max_table_files_size || manifest.l0.is_empty() {
        if !options.allow_compaction || manifest.l0.is_empty() {
            return None;
        }
        return pick_intra_l0(manifest, options, busy);
    }
    if busy.l0_in_progress() {
        return None;
    }
    let mut dropped = Vec::new();
    for sst in manifest.l0.iter().rev() {
        if busy.is_busy(sst.id) {
            break;
        }
        total = total.saturating_sub(compensation.size(sst));
        dropped.push(sst);
        if total <= options.max_table_files_size {
            break;
        }
    }
    if dropped.is_empty() {
        return None;
    }
    // Oldest first, a suffix of L0: FIFO never drops a table newer than one it keeps.
    assert_eq!(dropped[0].id, manifest.l0[manifest.l0.len() - 1].id);
    Some(deletion(manifest, &dropped, CompactionReason::FifoMaxSize))
}

fn pick_intra_l0(
    manifest: &Manifest,
    options: &FifoOptions,
    busy: &Busy,
) -> Option<CompactionPlan> {
    let max_bytes_per_removed_file = options
        .write_buffer_size
        .saturating_add(options.write_buffer_size / 10);
    let span = find_intra_l0(
        &manifest.l0,
        busy,
        options.level0_file_num_compaction_trigger,
        max_bytes_per_removed_file,
        options.effective_max_compaction_bytes(),
    )?;
    // `find_intra_l0` returns spans of at least the trigger's length.
    assert!(span.len() >= options.level0_file_num_compaction_trigger);
    let ids: Vec<_> = span.iter().map(|sst| sst.id).collect();
    let id_set: BTreeSet<_> = ids.iter().copied().collect();
    Some(CompactionPlan {
        kind: PlanKind::Merge,
        reason: CompactionReason::FifoReduceNumFiles,
        bottommost: is_bottommost(manifest, &id_set, 0),
        inputs: vec![PlanInput { level: 0, ids }],
        output_level: 0,
        target_file_size_bytes: INTRA_L0_OUTPUT_FILE_SIZE_BYTES,
        output_time: OutputTime::NewestInput,
        grandparents: None,
        round_robin_cursor: None,
    })
}

/// A deletion of `tables` (oldest first as found); inputs listed newest first.
fn deletion(manifest: &Manifest, tables: &[&SstMeta], reason: CompactionReason) -> CompactionPlan {
    let wanted: BTreeSet<_> = tables.iter().map(|sst| sst.id).collect();
    let ids: Vec<_> = manifest
        .l0
        .iter()
        .filter(|sst| wanted.contains(&sst.id))
        .map(|sst| sst.id)
        .collect();
    assert_eq!(ids.len(), tables.len(), "every table to delete is in L0");
    CompactionPlan {
        kind: PlanKind::Delete,
        reason,
        bottommost: false,
        inputs: vec![PlanInput { level: 0, ids }],
        output_level: 0,
        target_file_size_bytes: u64::MAX,
        output_time: OutputTime::BuildTime,
        grandparents: None,
        round_robin_cursor: None,
    }
}
