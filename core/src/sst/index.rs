//! The block index: for each data block, in order, its last internal key and where it lies.
//!
//! ```text
//! varint block_count | per block: varint key_len | last user key | varint last seq
//!                                 | varint offset | varint len
//! u32 crc32c
//! ```
//!
//! The index is decoded once when a table is opened. Decoding checks what a lookup relies
//! on: keys strictly increasing, and blocks back to back from offset 0 to the end of the
//! data region, so every byte of the data region belongs to exactly one checksummed block.

use super::block::MIN_DATA_BLOCK_BYTES;
use super::framing::BlockHandle;
use super::window::{Placement, common_prefix_len, place, window};
use crate::codec::{DecodeError, Reader, put_len_prefixed, put_varint};
use crate::entry::compare_internal;
use crate::ids::SeqNum;
use bytes::Bytes;
use std::cmp::Ordering;

const WHAT: &str = "sst index block";
/// Smallest encoded index entry: empty key, one-byte seq, offset and length.
const MIN_ENTRY_BYTES: usize = 1 + 1 + 1 + 1;

/// One data block as the index knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    /// User key of the block's last entry (shares the SST's buffer).
    pub last_key: Bytes,
    /// Sequence number of the block's last entry.
    pub last_seq: SeqNum,
    pub handle: BlockHandle,
}

/// The decoded index of a table, searchable by user key.
#[derive(Debug)]
pub(crate) struct BlockIndex {
    entries: Vec<IndexEntry>,
    /// The prefix every last key shares (a slice of the first one).
    shared: Bytes,
    /// The [window](super::window) of each block's last key after `shared`: a search
    /// compares these in one compact array and reads a full key only on a tie.
    windows: Vec<u64>,
}

impl BlockIndex {
    fn new(entries: Vec<IndexEntry>) -> BlockIndex {
        assert!(!entries.is_empty(), "parse_index rejects an empty index");
        let first = entries[0].last_key.clone();
        let last = &entries[entries.len() - 1].last_key[..];
        let shared_len = common_prefix_len(&first, last);
        let windows = entries
            .iter()
            .map(|entry| window(&entry.last_key, shared_len))
            .collect();
        let index = BlockIndex {
            shared: first.slice(..shared_len),
            entries,
            windows,
        };
        // Searches partition the windows: they must never decrease (keys are increasing).
        assert!(index.windows.is_sorted());
        index
    }

    /// Number of data blocks.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, block: usize) -> Option<&IndexEntry> {
        self.entries.get(block)
    }

    /// Index of the first block whose last user key is at least `user_key` (`inclusive`)
    /// or greater than it: the first block that may hold that key or a greater one. Equals
    /// [`BlockIndex::len`] when every key of the table is smaller.
    pub(crate) fn first_block_reaching(&self, user_key: &[u8], inclusive: bool) -> usize {
        let target = match place(user_key, &self.shared) {
            Placement::Before => return 0,
            Placement::After => return self.entries.len(),
            Placement::Within(target) => target,
        };
        let low = self.windows.partition_point(|window| *window < target);
        let ties = self.windows[low..].partition_point(|window| *window == target);
        let tied = &self.entries[low..low + ties];
        low + tied.partition_point(|entry| {
            if inclusive {
                &entry.last_key[..] < user_key
            } else {
                &entry.last_key[..] <= user_key
            }
        })
    }
}

/// Accumulates index entries while data blocks are written.
#[derive(Debug, Default)]
pub(crate) struct IndexWriter {
    encoded: Vec<u8>,
    block_count: u64,
    /// Where the next block must start.
    next_offset: u64,
}

impl IndexWriter {
    pub(crate) fn add(&mut self, last_key: &[u8], last_seq: SeqNum, handle: BlockHandle) {
        // Blocks come back to back from offset 0, as `parse_index` requires.
        assert_eq!(
            handle.offset, self.next_offset,
            "blocks indexed out of order"
        );
        assert!(handle.len >= MIN_DATA_BLOCK_BYTES);
        self.next_offset = handle.offset + handle.len;
        self.add_unchecked(last_key, last_seq, handle);
    }

    /// The encoding alone, without the layout checks: tests build hostile indexes with it.
    pub(super) fn add_unchecked(&mut self, last_key: &[u8], last_seq: SeqNum, handle: BlockHandle) {
        put_len_prefixed(&mut self.encoded, last_key);
        put_varint(&mut self.encoded, last_seq.0);
        put_varint(&mut self.encoded, handle.offset);
        put_varint(&mut self.encoded, handle.len);
        self.block_count += 1;
    }

    /// Appends the index payload.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.block_count);
        out.extend_from_slice(&self.encoded);
    }
}

/// Decodes and validates a verified index payload. `payload` must lie within `file`;
/// `base_offset` is where it starts and `data_end` where the data region ends.
pub(crate) fn parse_index(
    file: &Bytes,
    payload: &[u8],
    base_offset: usize,
    data_end: u64,
) -> Result<BlockIndex, DecodeError> {
    let mut reader = Reader::with_base(payload, base_offset);
    let count_offset = reader.offset();
    let block_count = reader.varint("sst index block count")?;
    if block_count == 0 || block_count > (payload.len() / MIN_ENTRY_BYTES) as u64 {
        return Err(DecodeError::Invalid {
            what: WHAT,
            offset: count_offset,
            detail: format!(
                "{block_count} blocks cannot be indexed in {} bytes",
                payload.len()
            ),
        });
    }
    let mut entries: Vec<IndexEntry> = Vec::with_capacity(block_count as usize);
    let mut expected_offset = 0u64;
    for _ in 0..block_count {
        let entry_offset = reader.offset();
        let key_len = reader.varint_len("sst index key")?;
        let last_key = reader.take(key_len, "sst index key")?;
        let last_seq = SeqNum(reader.varint("sst index sequence number")?);
        let handle = BlockHandle {
            offset: reader.varint("sst index block offset")?,
            len: reader.varint("sst index block length")?,
        };
        if let Some(previous) = entries.last() {
            let order = compare_internal(&previous.last_key, previous.last_seq, last_key, last_seq);
            if order != Ordering::Less {
                return Err(invalid(
                    entry_offset,
                    "index keys are not strictly increasing".to_string(),
                ));
            }
        }
        if handle.offset != expected_offset || handle.len < MIN_DATA_BLOCK_BYTES {
            return Err(invalid(
                entry_offset,
                format!(
                    "block at {} of {} bytes; expected one at {expected_offset} of at least {MIN_DATA_BLOCK_BYTES} bytes",
                    handle.offset, handle.len
                ),
            ));
        }
        expected_offset = handle.end().filter(|end| *end <= data_end).ok_or_else(|| {
            invalid(
                entry_offset,
                format!(
                    "block at {} of {} bytes ends past the data region ({data_end} bytes)",
                    handle.offset, handle.len
                ),
            )
        })?;
        entries.push(IndexEntry {
            last_key: file.slice_ref(last_key),
            last_seq,
            handle,
        });
    }
    if !reader.is_empty() || expected_offset != data_end {
        return Err(invalid(
            reader.offset(),
            format!(
                "{} trailing index bytes; blocks cover {expected_offset} of {data_end} data bytes",
                reader.remaining()
            ),
        ));
    }
    Ok(BlockIndex::new(entries))
}

fn invalid(offset: usize, detail: String) -> DecodeError {
    DecodeError::Invalid {
        what: WHAT,
        offset,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(blocks: &[(&[u8], u64, u64, u64)]) -> Bytes {
        let mut writer = IndexWriter::default();
        for (key, seq, offset, len) in blocks {
            writer.add_unchecked(
                key,
                SeqNum(*seq),
                BlockHandle {
                    offset: *offset,
                    len: *len,
                },
            );
        }
        let mut out = Vec::new();
        writer.encode(&mut out);
        Bytes::from(out)
    }

    #[test]
    fn valid_indexes_round_trip() {
        let file = encoded(&[(b"b", 5, 0, 100), (b"b", 4, 100, 40), (b"c", 9, 140, 50)]);
        let index = parse_index(&file, &file, 0, 190).unwrap();
        assert_eq!(index.len(), 3);
        assert_eq!(&index.get(1).unwrap().last_key[..], b"b");
        assert_eq!(index.get(1).unwrap().last_seq, SeqNum(4));
        assert_eq!(
            index.get(2).unwrap().handle,
            BlockHandle {
                offset: 140,
                len: 50
            }
        );
        assert!(index.get(3).is_none());
    }

    #[test]
    fn searches_agree_with_a_plain_scan_even_when_windows_tie() {
        let key_sets: [&[&[u8]]; 2] = [
            &[
                b"",
                b"abcdefgh",
                b"abcdefgh\x00",
                b"abcdefghij",
                b"abcdefgz",
                b"b",
                b"b\xff\xff",
            ],
            &[
                b"abc",
                b"abcdefgh",
                b"abcdefghijklmnop",
                b"abcdefghijklmnoq",
                b"abcz",
            ],
        ];
        let probes: [&[u8]; 12] = [
            b"",
            b"\x00",
            b"ab",
            b"abc",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefgh\x00",
            b"abcdefgha",
            b"abcdefghijklmnop",
            b"abcdefgz\x00",
            b"b\xff",
            b"c",
        ];
        for keys in key_sets {
            let blocks: Vec<(&[u8], u64, u64, u64)> = keys
                .iter()
                .enumerate()
                .map(|(i, key)| (*key, 1, i as u64 * 100, 100))
                .collect();
            let file = encoded(&blocks);
            let index = parse_index(&file, &file, 0, keys.len() as u64 * 100).unwrap();
            for probe in probes {
                for inclusive in [true, false] {
                    let scanned = keys
                        .iter()
                        .position(|key| {
                            if inclusive {
                                *key >= probe
                            } else {
                                *key > probe
                            }
                        })
                        .unwrap_or(keys.len());
                    assert_eq!(
                        index.first_block_reaching(probe, inclusive),
                        scanned,
                        "{probe:?} {inclusive}"
                    );
                }
            }
        }
    }

    #[test]
    fn disorder_gaps_and_overruns_are_invalid() {
        type Blocks<'a> = &'a [(&'a [u8], u64, u64, u64)];
        let cases: [(Blocks, u64); 6] = [
            (&[(b"b", 5, 0, 100), (b"a", 4, 100, 40)], 140),
            (&[(b"b", 5, 0, 100), (b"b", 5, 100, 40)], 140),
            (&[(b"a", 5, 0, 100), (b"b", 4, 101, 40)], 141),
            (&[(b"a", 5, 0, 100), (b"b", 4, 100, 40)], 139),
            (&[(b"a", 5, 0, 100), (b"b", 4, 100, 40)], 141),
            (&[(b"a", 5, 0, 3)], 3),
        ];
        for (blocks, data_end) in cases {
            let file = encoded(blocks);
            assert!(
                matches!(
                    parse_index(&file, &file, 0, data_end),
                    Err(DecodeError::Invalid { .. })
                ),
                "{blocks:?}"
            );
        }
        let empty = encoded(&[]);
        assert!(parse_index(&empty, &empty, 0, 0).is_err());
    }
}
