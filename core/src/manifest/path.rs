//! Object names of manifests: `manifest/<20-digit version>.manifest`, so that a prefix
//! listing returns versions in order and the newest is the last.

use crate::ids::ManifestVersion;

const PREFIX: &str = "manifest/";
const SUFFIX: &str = ".manifest";
const VERSION_DIGITS: usize = 20;

/// The object path of manifest `version`.
pub fn manifest_path(version: ManifestVersion) -> String {
    let path = format!("{PREFIX}{:020}{SUFFIX}", version.0);
    // Paired with `parse_manifest_path`: fixed width, so listing order is version order.
    assert_eq!(path.len(), PREFIX.len() + VERSION_DIGITS + SUFFIX.len());
    assert_eq!(
        parse_manifest_path(&path),
        Some(version),
        "{path} reads back"
    );
    path
}

/// The version named by `path`, or `None` if `path` is not exactly a [`manifest_path`].
pub fn parse_manifest_path(path: &str) -> Option<ManifestVersion> {
    let digits = path.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != VERSION_DIGITS || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(ManifestVersion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_and_sort_by_version() {
        for version in [0, 1, 12345, u64::MAX] {
            let path = manifest_path(ManifestVersion(version));
            assert_eq!(parse_manifest_path(&path), Some(ManifestVersion(version)));
        }
        assert_eq!(
            manifest_path(ManifestVersion(7)),
            "manifest/00000000000000000007.manifest"
        );
        assert!(manifest_path(ManifestVersion(99)) < manifest_path(ManifestVersion(100)));
    }

    #[test]
    fn foreign_paths_are_rejected() {
        for path in [
            "manifest/7.manifest",
            "manifest/0000000000000000000x.manifest",
            "manifest/00000000000000000007.manifest.tmp",
            "wal/00000000000000000007.manifest",
            "manifest/99999999999999999999.manifest",
            "manifest/",
        ] {
            assert_eq!(parse_manifest_path(path), None, "{path}");
        }
    }
}
