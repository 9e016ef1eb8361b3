//! Whether a compaction's output is bottommost: then no older version of its keys can exist
//! anywhere below it, and tombstones (and filtered puts) can be dropped outright.

use super::overlap::key_range;
use crate::ids::SstId;
use crate::manifest::Manifest;
use std::collections::BTreeSet;

/// RocksDB's `Compaction::IsBottommostLevel` / `RangeMightExistAfterSortedRun`: false when an
/// L0 table older than the oldest L0 input exists (an L0 output), or when a table of a level
/// deeper than `output_level` (and not an input) overlaps the inputs' key range.
pub fn is_bottommost(
    manifest: &Manifest,
    input_ids: &BTreeSet<SstId>,
    output_level: usize,
) -> bool {
    let inputs = manifest
        .all_live_ssts()
        .filter(|sst| input_ids.contains(&sst.id));
    let Some((smallest, largest)) = key_range(inputs) else {
        // Callers pass the inputs of a plan made from this manifest.
        unreachable!("is_bottommost called without live inputs");
    };
    assert!(smallest <= largest);
    if output_level == 0 {
        let oldest_input = manifest
            .l0
            .iter()
            .rposition(|sst| input_ids.contains(&sst.id));
        let older_l0_exists = oldest_input.is_some_and(|position| position + 1 < manifest.l0.len());
        if older_l0_exists {
            return false;
        }
    }
    let first_deeper = output_level.saturating_add(1).max(1);
    !(first_deeper..manifest.level_count()).any(|level| {
        manifest
            .level(level)
            .iter()
            .any(|sst| !input_ids.contains(&sst.id) && sst.overlaps_range(&smallest, &largest))
    })
}
