//! Merging a span of L0 tables into one (RocksDB's `FindIntraL0Compaction`), used by leveled
//! compaction when L0 → base is blocked and by FIFO with `allow_compaction`.

use super::Busy;
use crate::sst::SstMeta;

/// The longest span of L0 tables starting from the newest, none busy, over which the bytes
/// compacted per table removed keep falling, within `max_compaction_bytes`; `None` when it
/// holds fewer than `min_files` tables or its bytes per removed table reach
/// `max_bytes_per_removed_file`.
pub fn find_intra_l0<'a>(
    l0: &'a [SstMeta],
    busy: &Busy,
    min_files: usize,
    max_bytes_per_removed_file: u64,
    max_compaction_bytes: u64,
) -> Option<Vec<&'a SstMeta>> {
    let first = l0.first()?;
    if busy.is_busy(first.id) {
        return None;
    }
    let mut compact_bytes = first.size_bytes;
    let mut bytes_per_removed_file = u64::MAX;
    let mut limit = 1usize;
    while let Some(next) = l0.get(limit) {
        compact_bytes = compact_bytes.saturating_add(next.size_bytes);
        let removed_files = u64::try_from(limit).unwrap_or(u64::MAX);
        let new_bytes_per_removed_file = compact_bytes / removed_files.max(1);
        if busy.is_busy(next.id)
            || new_bytes_per_removed_file > bytes_per_removed_file
            || compact_bytes > max_compaction_bytes
        {
            break;
        }
        bytes_per_removed_file = new_bytes_per_removed_file;
        limit += 1;
    }
    if limit >= min_files && bytes_per_removed_file < max_bytes_per_removed_file {
        Some(l0.iter().take(limit).collect())
    } else {
        None
    }
}
