//! The visible content of a set of opened tables: pure, so the reader and the simulator's
//! checkpoint checks compute it the same way.

use crate::entry::{Entry, WallMs};
use crate::merge::{MergeError, MergeOptions, MergingIterator, NoFilter};
use crate::sst::SstReader;
use bytes::Bytes;
use std::collections::BTreeMap;

/// Every key's newest version across `tables` (tombstones hiding older ones, and with
/// `now_wall_ms` puts expired by then hidden), as key → value.
pub fn visible_content(
    tables: &[SstReader],
    now_wall_ms: Option<WallMs>,
) -> Result<BTreeMap<Bytes, Bytes>, MergeError> {
    let sources = tables.iter().map(SstReader::iter).collect();
    let merge_options = MergeOptions { bottommost: true };
    let mut content = BTreeMap::new();
    for merged in MergingIterator::new(sources, merge_options, NoFilter) {
        let entry = merged?;
        if let Some(value) = visible_value(&entry, now_wall_ms) {
            let earlier = content.insert(entry.key.user_key, value);
            assert!(
                earlier.is_none(),
                "a bottommost merge yields each user key once"
            );
        }
    }
    Ok(content)
}

/// A put's value unless it has expired by `now_wall_ms`.
pub(super) fn visible_value(entry: &Entry, now_wall_ms: Option<WallMs>) -> Option<Bytes> {
    if entry.is_tombstone() || now_wall_ms.is_some_and(|now| entry.is_expired_at(now)) {
        None
    } else {
        Some(entry.value.clone())
    }
}
