//! Compensated file sizes: a tombstone-heavy table counts as bigger than it is, so the
//! pickers compact it sooner and the space its tombstones hide is reclaimed (RocksDB's
//! `ComputeCompensatedSizes`, deletion weight 2).

use crate::manifest::Manifest;
use crate::sst::SstMeta;

/// RocksDB's `kDeletionWeightOnCompaction`.
const DELETION_WEIGHT: u64 = 2;

/// The average on-disk cost of one value in the current version, which prices each excess
/// tombstone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compensation {
    pub average_value_size_bytes: u64,
}

impl Compensation {
    /// RocksDB divides raw value bytes by puts and scales by file bytes over raw bytes.
    /// [`SstMeta`] does not split key and value bytes, so this takes the whole entry as the
    /// value: file bytes per put, over every live table.
    pub fn for_manifest(manifest: &Manifest) -> Compensation {
        let mut size_bytes = 0u64;
        let mut puts = 0u64;
        for sst in manifest.all_live_ssts() {
            size_bytes = size_bytes.saturating_add(sst.size_bytes);
            puts = puts.saturating_add(sst.entry_count.saturating_sub(sst.tombstone_count));
        }
        Compensation {
            average_value_size_bytes: size_bytes.checked_div(puts).unwrap_or(0),
        }
    }

    /// The table's size plus, when tombstones are at least half its entries, twice the
    /// average value size for each tombstone beyond the puts.
    pub fn size(&self, sst: &SstMeta) -> u64 {
        assert!(
            sst.tombstone_count <= sst.entry_count,
            "sst {} counts",
            sst.id
        );
        let doubled_tombstones = sst.tombstone_count.saturating_mul(2);
        if doubled_tombstones < sst.entry_count {
            return sst.size_bytes;
        }
        let excess = doubled_tombstones.saturating_sub(sst.entry_count);
        sst.size_bytes.saturating_add(
            excess
                .saturating_mul(self.average_value_size_bytes)
                .saturating_mul(DELETION_WEIGHT),
        )
    }

    /// Sum of compensated sizes; saturates.
    pub fn total<'a>(&self, tables: impl IntoIterator<Item = &'a SstMeta>) -> u64 {
        tables
            .into_iter()
            .fold(0u64, |sum, sst| sum.saturating_add(self.size(sst)))
    }
}
