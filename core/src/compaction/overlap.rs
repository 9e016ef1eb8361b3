//! Key-range questions over table metadata, as RocksDB's `GetOverlappingInputs`,
//! `GetCleanInputsWithinInterval` and `GetRange` answer them. User keys only: in an L1+
//! level no user key spans two tables (the manifest keeps their ranges disjoint), so every
//! set of neighbouring tables is already a "clean cut".

use crate::manifest::Manifest;
use crate::sst::SstMeta;
use bytes::Bytes;

/// The smallest and largest user key of `tables`, or `None` when there are none.
pub fn key_range<'a>(tables: impl IntoIterator<Item = &'a SstMeta>) -> Option<(Bytes, Bytes)> {
    let mut range: Option<(Bytes, Bytes)> = None;
    for sst in tables {
        range = Some(match range {
            None => (sst.smallest_key.clone(), sst.largest_key.clone()),
            Some((smallest, largest)) => (
                smallest.min(sst.smallest_key.clone()),
                largest.max(sst.largest_key.clone()),
            ),
        });
    }
    range
}

/// The union of two optional ranges.
pub fn union_range(a: Option<(Bytes, Bytes)>, b: Option<(Bytes, Bytes)>) -> Option<(Bytes, Bytes)> {
    match (a, b) {
        (None, other) | (other, None) => other,
        (Some((s1, l1)), Some((s2, l2))) => Some((s1.min(s2), l1.max(l2))),
    }
}

/// Tables of an L1+ `level` whose range meets `[smallest, largest]`, by smallest key.
pub fn overlapping_in_level<'a>(
    manifest: &'a Manifest,
    level: usize,
    smallest: &[u8],
    largest: &[u8],
) -> Vec<&'a SstMeta> {
    manifest
        .level(level)
        .iter()
        .filter(|sst| sst.overlaps_range(smallest, largest))
        .collect()
}

/// L0 tables overlapping `[smallest, largest]`, growing the range with every table taken
/// until no more join (RocksDB's level-0 `GetOverlappingInputs`). Newest first.
pub fn overlapping_l0<'a>(
    manifest: &'a Manifest,
    smallest: &[u8],
    largest: &[u8],
) -> Vec<&'a SstMeta> {
    let mut low = Bytes::copy_from_slice(smallest);
    let mut high = Bytes::copy_from_slice(largest);
    // Each pass either stops or widens the range to take in at least one more table.
    for _ in 0..=manifest.l0.len() {
        let taken: Vec<&SstMeta> = manifest
            .l0
            .iter()
            .filter(|sst| sst.overlaps_range(&low, &high))
            .collect();
        let Some((new_low, new_high)) = key_range(taken.iter().copied()) else {
            return taken;
        };
        let new_low = new_low.min(low.clone());
        let new_high = new_high.max(high.clone());
        if new_low == low && new_high == high {
            return taken;
        }
        low = new_low;
        high = new_high;
    }
    manifest
        .l0
        .iter()
        .filter(|sst| sst.overlaps_range(&low, &high))
        .collect()
}

/// Tables of `level` overlapping the range: L0 transitively, L1+ directly.
pub fn overlapping<'a>(
    manifest: &'a Manifest,
    level: usize,
    smallest: &[u8],
    largest: &[u8],
) -> Vec<&'a SstMeta> {
    if level == 0 {
        overlapping_l0(manifest, smallest, largest)
    } else {
        overlapping_in_level(manifest, level, smallest, largest)
    }
}

/// Tables of an L1+ `level` lying wholly inside `[smallest, largest]`; none for L0
/// (RocksDB's `GetCleanInputsWithinInterval`).
pub fn within_interval<'a>(
    manifest: &'a Manifest,
    level: usize,
    smallest: &[u8],
    largest: &[u8],
) -> Vec<&'a SstMeta> {
    if level == 0 {
        return Vec::new();
    }
    manifest
        .level(level)
        .iter()
        .filter(|sst| smallest <= &sst.smallest_key[..] && &sst.largest_key[..] <= largest)
        .collect()
}

/// Sum of object sizes; saturates.
pub fn total_size<'a>(tables: impl IntoIterator<Item = &'a SstMeta>) -> u64 {
    tables
        .into_iter()
        .fold(0u64, |sum, sst| sum.saturating_add(sst.size_bytes))
}
