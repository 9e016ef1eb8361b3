//! Growing a compaction from its first file: over the L0 tables it overlaps, into the
//! output level, and back into the start level while that adds no output-level table
//! (RocksDB's `GetOverlappingL0Files` and `SetupOtherInputs`).

use crate::compaction::Busy;
use crate::compaction::overlap::{
    key_range, overlapping, total_size, union_range, within_interval,
};
use crate::manifest::Manifest;
use crate::sst::SstMeta;

/// Replaces L0 `inputs` by every L0 table transitively overlapping them; `None` when an
/// output-level table in their range is being compacted.
pub(crate) fn expand_l0_inputs<'a>(
    manifest: &'a Manifest,
    inputs: &[&'a SstMeta],
    output_level: usize,
    busy: &Busy,
) -> Option<Vec<&'a SstMeta>> {
    let (smallest, largest) = key_range(inputs.iter().copied())?;
    let expanded = overlapping(manifest, 0, &smallest, &largest);
    let (smallest, largest) = key_range(expanded.iter().copied())?;
    let below = overlapping(manifest, output_level, &smallest, &largest);
    if busy.any_busy(below.iter().map(|sst| sst.id))
        || busy.any_busy(expanded.iter().map(|sst| sst.id))
    {
        return None;
    }
    // Each input overlaps its own range, so expanding only ever adds tables.
    assert!(
        inputs
            .iter()
            .all(|input| expanded.iter().any(|sst| sst.id == input.id))
    );
    Some(expanded)
}

/// The output-level tables a compaction of `inputs` (all of `start_level`) must include,
/// and possibly a wider set of start-level inputs: taken when it pulls in no further
/// output-level table and stays under `max_compaction_bytes`. `expand_right_only` keeps the
/// smallest key fixed (round-robin priority). `None` when a needed table is busy.
pub(crate) fn setup_other_inputs<'a>(
    manifest: &'a Manifest,
    start_level: usize,
    inputs: Vec<&'a SstMeta>,
    output_level: usize,
    max_compaction_bytes: u64,
    expand_right_only: bool,
    busy: &Busy,
) -> Option<(Vec<&'a SstMeta>, Vec<&'a SstMeta>)> {
    if start_level == output_level {
        return Some((inputs, Vec::new()));
    }
    let (smallest, largest) = key_range(inputs.iter().copied())?;
    let outputs = overlapping(manifest, output_level, &smallest, &largest);
    if busy.any_busy(outputs.iter().map(|sst| sst.id)) {
        return None;
    }
    if outputs.is_empty() {
        return Some((inputs, outputs));
    }
    let output_size = total_size(outputs.iter().copied());
    let (all_start, all_limit) = union_range(
        Some((smallest.clone(), largest)),
        key_range(outputs.iter().copied()),
    )?;
    let low = if expand_right_only {
        smallest
    } else {
        all_start.clone()
    };
    let fits = |candidate: &[&SstMeta]| {
        candidate.len() > inputs.len()
            && output_size.saturating_add(total_size(candidate.iter().copied()))
                < max_compaction_bytes
            && !busy.any_busy(candidate.iter().map(|sst| sst.id))
    };
    let wider = overlapping(manifest, start_level, &low, &all_limit);
    if fits(&wider)
        && let Some((new_start, new_limit)) = key_range(wider.iter().copied())
    {
        let wider_outputs = overlapping(manifest, output_level, &new_start, &new_limit);
        if !busy.any_busy(wider_outputs.iter().map(|sst| sst.id))
            && wider_outputs.len() == outputs.len()
        {
            return Some((wider, outputs));
        }
    }
    let clean = within_interval(manifest, start_level, &all_start, &all_limit);
    if fits(&clean) {
        return Some((clean, outputs));
    }
    Some((inputs, outputs))
}
