//! The `gc-wallclock-orphans` bug ([`crate::bugs::Bug::GcWallclockOrphans`]): orphans
//! recognised by wall-clock age alone. Kept apart from [`super::plan_gc`], which never looks
//! at age, so the correct rule reads without the defect in the way.

use super::GcDelete;
use crate::entry::WallMs;
use crate::ids::SstId;
use crate::layout::{parse_sst_path, sst_path};
use crate::manifest::Manifest;
use crate::store::ObjectMeta;
use std::collections::BTreeMap;

/// How long (by the collector's wall clock) a table must have been seen unreferenced before
/// the buggy rule deletes it.
pub const WALLCLOCK_ORPHAN_AGE_MS: u64 = 2_000;

/// BUG: every listed table the manifest does not reference, whatever epoch minted it, once
/// `first_seen` (the collector's memory of when it first saw it unreferenced, updated here)
/// is `age_ms` or more behind `now_wall_ms`. A forward jump of the collector's clock ages
/// every in-flight upload at once. `first_seen` keeps only ids of the current listing.
pub fn wallclock_orphans(
    manifest: &Manifest,
    listed: &[ObjectMeta],
    first_seen: &mut BTreeMap<SstId, WallMs>,
    now_wall_ms: WallMs,
    age_ms: u64,
) -> Vec<GcDelete> {
    let referenced = manifest.referenced_sst_ids();
    let unreferenced: BTreeMap<SstId, u64> = listed
        .iter()
        .filter_map(|meta| Some((parse_sst_path(&meta.path)?, meta.size_bytes)))
        .filter(|(id, _)| !referenced.contains(id))
        .collect();
    first_seen.retain(|id, _| unreferenced.contains_key(id));
    let mut old = Vec::new();
    for (&id, &size_bytes) in &unreferenced {
        let seen = *first_seen.entry(id).or_insert(now_wall_ms);
        if now_wall_ms.saturating_sub(seen) >= age_ms {
            old.push(GcDelete {
                id,
                path: sst_path(id),
                listed_size_bytes: Some(size_bytes),
            });
        }
    }
    old
}
