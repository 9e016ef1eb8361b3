//! The order in which a level's files are considered for compaction (RocksDB's
//! `UpdateFilesByCompactionPri`).

use super::CompactionPri;
use crate::compaction::Compensation;
use crate::sst::SstMeta;
use bytes::Bytes;

/// Indices into `files` in the order the picker tries them. `next_level` is the level below
/// (by smallest key), for the overlap ratio; `cursor` is the round-robin position.
pub fn files_by_priority(
    files: &[SstMeta],
    next_level: &[SstMeta],
    pri: CompactionPri,
    compensation: &Compensation,
    cursor: Option<&Bytes>,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    let by_key = |a: &usize, b: &usize| smallest_key(files, *a).cmp(smallest_key(files, *b));
    match pri {
        CompactionPri::ByCompensatedSize => {
            order.sort_by(|a, b| {
                let size = |i: &usize| files.get(*i).map_or(0, |sst| compensation.size(sst));
                size(b).cmp(&size(a))
            });
        }
        CompactionPri::OldestLargestSeqFirst => {
            order.sort_by_key(|i| files.get(*i).map(|sst| sst.largest_seq));
        }
        CompactionPri::OldestSmallestSeqFirst => {
            order.sort_by_key(|i| files.get(*i).map(|sst| sst.smallest_seq));
        }
        CompactionPri::MinOverlappingRatio => {
            let ratios = overlapping_ratios(files, next_level, compensation);
            order.sort_by(|a, b| {
                let ratio = |i: &usize| ratios.get(*i).copied().unwrap_or(u64::MAX);
                ratio(a).cmp(&ratio(b)).then_with(|| by_key(a, b))
            });
        }
        CompactionPri::RoundRobin => {
            order.sort_by(by_key);
            if let Some(cursor) = cursor {
                let start = order
                    .iter()
                    .position(|i| smallest_key(files, *i) > &cursor[..])
                    .unwrap_or(0);
                order.rotate_left(start);
            }
        }
    }
    order
}

fn smallest_key(files: &[SstMeta], index: usize) -> &[u8] {
    files
        .get(index)
        .map_or(&[][..], |sst| &sst.smallest_key[..])
}

/// Per file: bytes of the next level it overlaps × 1024 ÷ its compensated size. Both
/// levels are sorted and disjoint, so one forward sweep finds every overlap (RocksDB's
/// `SortFileByOverlappingRatio`, without its TTL boost).
fn overlapping_ratios(
    files: &[SstMeta],
    next_level: &[SstMeta],
    compensation: &Compensation,
) -> Vec<u64> {
    let mut next = 0usize;
    files
        .iter()
        .map(|sst| {
            while next_level
                .get(next)
                .is_some_and(|below| below.largest_key < sst.smallest_key)
            {
                next += 1;
            }
            let mut overlapping_bytes = 0u64;
            let mut probe = next;
            while let Some(below) = next_level.get(probe) {
                if below.smallest_key > sst.largest_key {
                    break;
                }
                overlapping_bytes = overlapping_bytes.saturating_add(below.size_bytes);
                if below.largest_key > sst.largest_key {
                    break;
                }
                probe += 1;
            }
            next = probe;
            overlapping_bytes.saturating_mul(1024) / compensation.size(sst).max(1)
        })
        .collect()
}
