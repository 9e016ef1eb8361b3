//! Trivial moves: when nothing in the output level overlaps the inputs, the tables change
//! level without being read or rewritten (RocksDB's `TryPickL0TrivialMove`,
//! `TryExtendNonL0TrivialMove` and `Compaction::IsTrivialMove`).

use crate::compaction::Busy;
use crate::compaction::overlap::{overlapping_in_level, total_size};
use crate::manifest::Manifest;
use crate::sst::SstMeta;
use bytes::Bytes;

/// RocksDB's `kMaxMultiTrivialMove`: a non-L0 trivial move takes at most this many files.
const MAX_MULTI_TRIVIAL_MOVE: usize = 4;

/// From the oldest L0 table towards newer ones, the tables that neither overlap each other
/// nor anything in the (non-empty) output level; `None` if not even the oldest qualifies.
/// Sorted by smallest key.
pub(super) fn pick_l0_trivial_move<'a>(
    manifest: &'a Manifest,
    output_level: usize,
    busy: &Busy,
) -> Option<Vec<&'a SstMeta>> {
    if output_level == 0 || manifest.level(output_level).is_empty() {
        return None;
    }
    let mut picked: Vec<&SstMeta> = Vec::new();
    let mut range: Option<(Bytes, Bytes)> = None;
    for sst in manifest.l0.iter().rev() {
        let (low, high) = match &range {
            None => (sst.smallest_key.clone(), sst.largest_key.clone()),
            Some((low, high)) if sst.largest_key < *low => (sst.smallest_key.clone(), high.clone()),
            Some((low, high)) if sst.smallest_key > *high => (low.clone(), sst.largest_key.clone()),
            Some(_) => break,
        };
        if busy.is_busy(sst.id)
            || !overlapping_in_level(manifest, output_level, &low, &high).is_empty()
        {
            break;
        }
        picked.push(sst);
        range = Some((low, high));
    }
    if picked.is_empty() {
        return None;
    }
    picked.sort_by(|a, b| a.smallest_key.cmp(&b.smallest_key));
    // Moved as they are into one sorted run, the tables must be disjoint.
    assert!(
        picked
            .windows(2)
            .all(|pair| pair[0].largest_key < pair[1].smallest_key)
    );
    Some(picked)
}

/// Extends a single-file move out of an L1+ level with its right neighbours while the
/// output level stays clear of `[first.smallest, last.largest]`, within
/// `max_compaction_bytes` and at most four files.
pub(super) fn extend_trivial_move<'a>(
    manifest: &'a Manifest,
    start_level: usize,
    start_index: usize,
    output_level: usize,
    max_compaction_bytes: u64,
    busy: &Busy,
) -> Vec<&'a SstMeta> {
    let files = manifest.level(start_level);
    let Some(first) = files.get(start_index) else {
        return Vec::new();
    };
    let mut picked = vec![first];
    let mut size = first.size_bytes;
    for next in files.iter().skip(start_index + 1) {
        if picked.len() >= MAX_MULTI_TRIVIAL_MOVE || busy.is_busy(next.id) {
            break;
        }
        let below = overlapping_in_level(
            manifest,
            output_level,
            &first.smallest_key,
            &next.largest_key,
        );
        if !below.is_empty() {
            break;
        }
        size = size.saturating_add(next.size_bytes);
        if size > max_compaction_bytes {
            break;
        }
        picked.push(next);
    }
    assert!(picked.len() <= MAX_MULTI_TRIVIAL_MOVE);
    picked
}

/// RocksDB's `IsTrivialMove`: inputs from one level only, none overlapping another L0
/// table when they come from L0 (unless picked as an L0 trivial move), and no input whose
/// overlap with the level below the output, plus its own size, exceeds
/// `max_compaction_bytes` (moving it would only defer a huge compaction).
#[allow(clippy::too_many_arguments)] // RocksDB's conditions, one argument each
pub(crate) fn is_trivial_move(
    manifest: &Manifest,
    start_level: usize,
    output_level: usize,
    inputs: &[&SstMeta],
    has_output_inputs: bool,
    l0_files_might_overlap: bool,
    max_compaction_bytes: u64,
    num_levels: usize,
) -> bool {
    if start_level == output_level || has_output_inputs {
        return false;
    }
    if start_level == 0 && l0_files_might_overlap && !l0_non_overlapping(manifest) {
        return false;
    }
    let grandparent_level = output_level + 1;
    if grandparent_level >= num_levels {
        return true;
    }
    inputs.iter().all(|sst| {
        let grandparents = overlapping_in_level(
            manifest,
            grandparent_level,
            &sst.smallest_key,
            &sst.largest_key,
        );
        sst.size_bytes.saturating_add(total_size(grandparents)) <= max_compaction_bytes
    })
}

/// True when no two L0 tables share a key range.
fn l0_non_overlapping(manifest: &Manifest) -> bool {
    let mut sorted: Vec<&SstMeta> = manifest.l0.iter().collect();
    sorted.sort_by(|a, b| a.smallest_key.cmp(&b.smallest_key));
    sorted.windows(2).all(|pair| match pair {
        [a, b] => a.largest_key < b.smallest_key,
        _ => true,
    })
}
