//! Object names of WAL segments: `wal/<20-digit id>.wal`, so that a prefix listing returns
//! segments in id order.

use crate::ids::WalId;

const PREFIX: &str = "wal/";
const SUFFIX: &str = ".wal";
const ID_DIGITS: usize = 20;

/// The object path of segment `id`.
pub fn wal_path(id: WalId) -> String {
    let path = format!("{PREFIX}{:020}{SUFFIX}", id.0);
    // Listing order is id order only while every name has the same length.
    assert_eq!(path.len(), PREFIX.len() + ID_DIGITS + SUFFIX.len());
    // Paired with `parse_wal_path`, which replay and the collector list segments by.
    assert_eq!(parse_wal_path(&path), Some(id), "{path} reads back");
    path
}

/// The segment id named by `path`, or `None` if `path` is not exactly a [`wal_path`].
pub fn parse_wal_path(path: &str) -> Option<WalId> {
    let digits = path.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != ID_DIGITS || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(WalId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_and_sort_by_id() {
        for id in [0, 1, 99, u64::MAX] {
            assert_eq!(parse_wal_path(&wal_path(WalId(id))), Some(WalId(id)));
        }
        assert_eq!(wal_path(WalId(42)), "wal/00000000000000000042.wal");
        assert!(wal_path(WalId(9)) < wal_path(WalId(10)));
    }

    #[test]
    fn foreign_paths_are_rejected() {
        for path in [
            "wal/42.wal",
            "wal/0000000000000000004a.wal",
            "wal/00000000000000000042.sst",
            "sst/00000000000000000042.wal",
            "wal/+0000000000000000042.wal",
            "wal/99999999999999999999.wal",
            "",
        ] {
            assert_eq!(parse_wal_path(path), None, "{path}");
        }
    }
}
