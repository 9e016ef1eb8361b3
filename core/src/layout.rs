//! Where each kind of object lives in the store (DESIGN.md, "Object layout").

use crate::ids::SstId;

pub use crate::manifest::{manifest_path, parse_manifest_path};
pub use crate::wal::{parse_wal_path, wal_path};

/// Prefix of every manifest object.
pub const MANIFEST_PREFIX: &str = "manifest/";
/// Prefix of every WAL segment object.
pub const WAL_PREFIX: &str = "wal/";
/// Prefix of every SST object.
pub const SST_PREFIX: &str = "sst/";

/// The user attribute that carries the unique tag of the request that wrote an object, so an
/// unknown outcome can be resolved by reading the object back.
pub const WRITE_TAG_ATTRIBUTE: &str = "sediment-write-tag";

/// `sst/<20-digit id>.sst`: zero-padded so that listing order is id order.
pub fn sst_path(id: SstId) -> String {
    format!("{SST_PREFIX}{:020}.sst", id.0)
}

/// The id named by an SST path, if it is one.
pub fn parse_sst_path(path: &str) -> Option<SstId> {
    let digits = path.strip_prefix(SST_PREFIX)?.strip_suffix(".sst")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(SstId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sst_paths_round_trip_and_sort_by_id() {
        let small = sst_path(SstId(9));
        let large = sst_path(SstId(10));
        assert!(small < large);
        assert_eq!(parse_sst_path(&large), Some(SstId(10)));
        assert_eq!(parse_sst_path("sst/12.sst"), None);
        assert_eq!(parse_sst_path("wal/00000000000000000010.sst"), None);
        assert_eq!(
            parse_sst_path(&sst_path(SstId(u64::MAX))),
            Some(SstId(u64::MAX))
        );
    }
}
