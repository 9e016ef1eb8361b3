//! `plan_manifest_gc`: which manifest versions one pass may delete.
//!
//! Kept: the newest [`GcOptions::manifest_versions_kept`] version numbers (by the highest
//! version listed, so never the newest), and every version a checkpoint of the manifest
//! read names (expired or not: expiry removes the checkpoint first, and the next pass then
//! lets its version go).
//!
//! The listing must be taken BEFORE the manifest is read: a checkpoint names the version
//! that records it (or, added by `AddCheckpoint`, the one before), so a checkpoint recorded
//! after the listing names a version no older than the listing's highest, which is kept;
//! every other is in the manifest read unless already removed.
//!
//! Deleting old versions opens an ABA like the WAL fence's: an installer that read version
//! `v` and paused can create `v + 1` again after it was deleted. Deletion needs at least
//! `manifest_versions_kept` newer versions, so the installer checks after its create that
//! the newest listed version is below `v + 1 +` [`MANIFEST_VERSIONS_KEPT_MIN`]; otherwise its
//! outcome is unknown ([`crate::roles::manifest_io::install`]).
//!
//! [`GcOptions::manifest_versions_kept`]: super::GcOptions::manifest_versions_kept

use crate::ids::ManifestVersion;
use crate::layout::parse_manifest_path;
use crate::manifest::Manifest;
use crate::store::ObjectMeta;
use std::collections::BTreeSet;

/// No collector may keep fewer versions: installers rely on it to tell their own create
/// from the re-creation of a deleted version (see the module documentation).
pub const MANIFEST_VERSIONS_KEPT_MIN: u64 = 4;

/// Versions of `listed` (a listing of `manifest/` taken before `manifest` was read) that
/// are neither among the newest `kept` version numbers nor named by a checkpoint of
/// `manifest`, oldest first, at most `max`. Pure and total.
pub fn plan_manifest_gc(
    manifest: &Manifest,
    listed: &[ObjectMeta],
    kept: u64,
    max: usize,
) -> Vec<ManifestVersion> {
    assert!(kept >= MANIFEST_VERSIONS_KEPT_MIN, "kept {kept} versions");
    let versions: BTreeSet<ManifestVersion> = listed
        .iter()
        .filter_map(|meta| parse_manifest_path(&meta.path))
        .collect();
    let Some(newest) = versions.last().copied() else {
        return Vec::new();
    };
    let named: BTreeSet<ManifestVersion> = manifest
        .checkpoints
        .iter()
        .map(|checkpoint| checkpoint.manifest_version)
        .collect();
    let deletable: Vec<ManifestVersion> = versions
        .into_iter()
        .filter(|version| version.0.saturating_add(kept) <= newest.0)
        .filter(|version| !named.contains(version))
        .take(max)
        .collect();
    assert!(deletable.iter().all(|version| *version < newest));
    deletable
}
