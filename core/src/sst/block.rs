//! Data blocks: the entries one after another, then what a lookup searches.
//!
//! ```text
//! entry 0 | ... | entry n-1 | u32 offset × n | u32 window × n | shared prefix
//! | u32 shared_len | u32 n | u32 crc32c
//! ```
//!
//! `shared prefix` is the prefix every key of the block starts with, and window `i` is the
//! first four bytes of the [window](super::window) of key `i` after it. A lookup binary-searches the windows, which
//! sit together at the end of the block, reads a full key only on a tie, and then decodes
//! the one entry it wants: a few cache lines per lookup and no allocation. Offsets are from
//! the start of the block.

use super::framing::{BLOCK_TRAILER_BYTES, BlockHandle, BlockKind, seal_block};
use super::record::{self, RawEntry};
use super::window::{Placement, common_prefix_len, place, window};
use crate::codec::{DecodeError, Reader};
use crate::entry::Entry;
use crate::ids::SeqNum;
use std::cmp::Ordering;

const WHAT: &str = "sst data block";
const OFFSET_BYTES: usize = 4;
const WINDOW_BYTES: usize = 4;
/// Bytes per entry beyond its encoding: its offset and its window.
const PER_ENTRY_BYTES: usize = OFFSET_BYTES + WINDOW_BYTES;
/// Fixed bytes per block: shared prefix length, count, checksum.
const FIXED_BYTES: usize = 4 + 4 + BLOCK_TRAILER_BYTES;
/// Smallest data block: one entry of an empty key and value (key length, one-byte seq,
/// flags, value length), its offset and window, and the fixed fields.
pub(crate) const MIN_DATA_BLOCK_BYTES: u64 =
    ((1 + 1 + 1 + 1) + PER_ENTRY_BYTES + FIXED_BYTES) as u64;

/// The four-byte window a block stores: the high half of the eight-byte window, which
/// orders keys the same way whenever it differs.
fn block_window(key: &[u8], shared_len: usize) -> u32 {
    (window(key, shared_len) >> 32) as u32
}

/// Encodes one data block at a time at the end of the SST's output buffer. Its vectors are
/// reused from block to block.
#[derive(Debug, Default)]
pub(crate) struct BlockWriter {
    /// Where the open block starts in the output buffer.
    start: usize,
    /// Offset of each entry of the open block, from the block start.
    offsets: Vec<u32>,
    /// Where each entry's user key lies in the output buffer.
    key_spans: Vec<(usize, usize)>,
    windows: Vec<u32>,
    shared: Vec<u8>,
}

impl BlockWriter {
    pub(crate) fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Size of the open block's entry region, in bytes.
    pub(crate) fn entries_len(&self, out: &[u8]) -> usize {
        if self.is_empty() {
            return 0;
        }
        out.len().saturating_sub(self.start)
    }

    /// The user key at `span` of the output buffer; spans are recorded by `add`.
    fn key(out: &[u8], (at, len): (usize, usize)) -> &[u8] {
        assert!(at + len <= out.len(), "key span past the output buffer");
        &out[at..at + len]
    }

    /// Size the open block would have, checksum included, with one more entry of
    /// `entry_len` bytes whose user key is `user_key`.
    pub(crate) fn size_with(&self, out: &[u8], entry_len: usize, user_key: &[u8]) -> usize {
        let shared_len = match self.key_spans.first() {
            None => user_key.len(),
            Some(&first) => common_prefix_len(Self::key(out, first), user_key),
        };
        self.entries_len(out)
            .saturating_add(entry_len)
            .saturating_add((self.offsets.len() + 1) * PER_ENTRY_BYTES)
            .saturating_add(shared_len)
            .saturating_add(FIXED_BYTES)
    }

    /// Appends `entry` to the open block (starting one if none is open). The caller keeps
    /// the entry region under `u32::MAX` bytes, see [`BlockWriter::entries_len`].
    pub(crate) fn add(&mut self, out: &mut Vec<u8>, entry: &Entry) {
        if self.offsets.is_empty() {
            self.start = out.len();
        }
        assert_eq!(self.offsets.len(), self.key_spans.len());
        let offset = out.len() - self.start;
        let offset = u32::try_from(offset).expect("the builder closes a block before 4 GiB");
        self.offsets.push(offset);
        let key_len = entry.key.user_key.len();
        let key_at = out.len() + record::varint_len(key_len as u64);
        self.key_spans.push((key_at, key_len));
        record::encode(out, entry);
        assert_eq!(Self::key(out, (key_at, key_len)), entry.user_key());
    }

    /// Closes the open block: appends the search trailer and the checksum, and returns
    /// where the block lies. Returns `None` when no block is open.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) -> Option<BlockHandle> {
        if self.offsets.is_empty() {
            return None;
        }
        assert_eq!(self.offsets.len(), self.key_spans.len());
        let first_key = Self::key(out, self.key_spans[0]);
        let last_key = Self::key(out, self.key_spans[self.key_spans.len() - 1]);
        let shared_len = common_prefix_len(first_key, last_key);
        self.shared.clear();
        self.shared.extend_from_slice(&first_key[..shared_len]);
        self.windows.clear();
        self.windows.extend(
            self.key_spans
                .iter()
                .map(|&span| block_window(Self::key(out, span), shared_len)),
        );
        // `seek` binary-searches the windows: they must never decrease.
        assert!(
            self.windows.is_sorted(),
            "data block windows out of order: entries were added unsorted"
        );
        out.reserve(self.offsets.len() * PER_ENTRY_BYTES + shared_len + FIXED_BYTES);
        for offset in &self.offsets {
            out.extend_from_slice(&offset.to_le_bytes());
        }
        for window in &self.windows {
            out.extend_from_slice(&window.to_le_bytes());
        }
        out.extend_from_slice(&self.shared);
        let shared_len = u32::try_from(shared_len).expect("a key is shorter than the block");
        out.extend_from_slice(&shared_len.to_le_bytes());
        let count = u32::try_from(self.offsets.len()).expect("fewer entries than bytes");
        out.extend_from_slice(&count.to_le_bytes());
        seal_block(out, self.start, BlockKind::Data);
        self.offsets.clear();
        self.key_spans.clear();
        Some(BlockHandle {
            offset: self.start as u64,
            len: (out.len() - self.start) as u64,
        })
    }
}

/// A decoded view of one data block's payload (checksum already verified).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DataBlock<'a> {
    /// The entry region.
    entries: &'a [u8],
    /// `count` little-endian u32 offsets into `entries`.
    offsets: &'a [u8],
    /// `count` little-endian u32 windows.
    windows: &'a [u8],
    shared: &'a [u8],
    count: usize,
    /// Absolute offset of the block in the SST, for error reports.
    base_offset: usize,
}

/// Splits `len` bytes off the end of `bytes`: (rest, tail).
fn split_tail<'a>(
    bytes: &'a [u8],
    len: usize,
    what: &'static str,
    base_offset: usize,
) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    match bytes.len().checked_sub(len) {
        Some(at) => Ok(bytes.split_at(at)),
        None => Err(DecodeError::Truncated {
            what,
            offset: base_offset,
            needed_bytes: len,
            available_bytes: bytes.len(),
        }),
    }
}

fn u32_at(bytes: &[u8]) -> u32 {
    let mut raw = [0u8; 4];
    for (into, byte) in raw.iter_mut().zip(bytes) {
        *into = *byte;
    }
    u32::from_le_bytes(raw)
}

impl<'a> DataBlock<'a> {
    /// Splits a verified payload into its parts. `base_offset` is where the block starts in
    /// the SST. Constant time: entries are decoded only when asked for.
    pub(crate) fn parse(
        payload: &'a [u8],
        base_offset: usize,
    ) -> Result<DataBlock<'a>, DecodeError> {
        let (rest, count) = split_tail(payload, 4, "sst data block entry count", base_offset)?;
        let count = u32_at(count) as usize;
        if count == 0 {
            return Err(DecodeError::Invalid {
                what: WHAT,
                offset: base_offset + rest.len(),
                detail: "data block holds no entries".to_string(),
            });
        }
        let (rest, shared_len) =
            split_tail(rest, 4, "sst data block shared prefix length", base_offset)?;
        let shared_len = u32_at(shared_len) as usize;
        let (rest, shared) = split_tail(
            rest,
            shared_len,
            "sst data block shared prefix",
            base_offset,
        )?;
        let (rest, windows) = split_tail(
            rest,
            count.saturating_mul(WINDOW_BYTES),
            "sst data block windows",
            base_offset,
        )?;
        let (entries, offsets) = split_tail(
            rest,
            count.saturating_mul(OFFSET_BYTES),
            "sst data block offsets",
            base_offset,
        )?;
        Ok(DataBlock {
            entries,
            offsets,
            windows,
            shared,
            count,
            base_offset,
        })
    }

    /// Number of entries; at least one.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    fn invalid(&self, relative_offset: usize, detail: String) -> DecodeError {
        DecodeError::Invalid {
            what: WHAT,
            offset: self.base_offset + relative_offset,
            detail,
        }
    }

    /// A reader positioned at entry `index`.
    fn reader_at(&self, index: usize) -> Result<Reader<'a>, DecodeError> {
        let at = index.saturating_mul(OFFSET_BYTES);
        let offset_bytes = self
            .offsets
            .get(at..at.saturating_add(OFFSET_BYTES))
            .ok_or_else(|| self.invalid(self.entries.len(), format!("no entry {index}")))?;
        let offset = u32_at(offset_bytes) as usize;
        let entry = self.entries.get(offset..).ok_or_else(|| {
            self.invalid(
                self.entries.len() + at,
                format!(
                    "entry {index} starts at {offset}, past the {}-byte entry region",
                    self.entries.len()
                ),
            )
        })?;
        Ok(Reader::with_base(entry, self.base_offset + offset))
    }

    fn window_at(&self, index: usize) -> Result<u32, DecodeError> {
        let at = index.saturating_mul(WINDOW_BYTES);
        let bytes = self
            .windows
            .get(at..at.saturating_add(WINDOW_BYTES))
            .ok_or_else(|| self.invalid(self.entries.len(), format!("no window {index}")))?;
        Ok(u32_at(bytes))
    }

    /// The internal key of entry `index`.
    pub(crate) fn key_at(&self, index: usize) -> Result<(&'a [u8], SeqNum), DecodeError> {
        record::decode_key(&mut self.reader_at(index)?)
    }

    /// The whole entry `index`, decoded in place.
    pub(crate) fn entry_at(&self, index: usize) -> Result<RawEntry<'a>, DecodeError> {
        record::decode(&mut self.reader_at(index)?)
    }

    /// Position of the first entry whose user key is at least `target` (`inclusive`) or
    /// greater than it; [`DataBlock::len`] when there is none. With every version of a key
    /// newest first, an inclusive seek lands on the newest version of `target`.
    pub(crate) fn seek(&self, target: &[u8], inclusive: bool) -> Result<usize, DecodeError> {
        let target_window = match place(target, self.shared) {
            Placement::Before => return Ok(0),
            Placement::After => return Ok(self.count),
            Placement::Within(target_window) => (target_window >> 32) as u32,
        };
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            let before = match self.window_at(mid)?.cmp(&target_window) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => {
                    let (user_key, _seq) = self.key_at(mid)?;
                    if inclusive {
                        user_key < target
                    } else {
                        user_key <= target
                    }
                }
            };
            if before {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        Ok(low)
    }
}

#[cfg(test)]
mod tests {
    use super::super::framing::unseal_block;
    use super::*;

    fn block_of(entries: &[Entry]) -> (Vec<u8>, BlockHandle) {
        let mut out = b"xx".to_vec();
        let mut writer = BlockWriter::default();
        for entry in entries {
            let predicted = writer.size_with(&out, record::encoded_len(entry), entry.user_key());
            writer.add(&mut out, entry);
            assert_eq!(
                predicted,
                writer.entries_len(&out)
                    + writer.offsets.len() * PER_ENTRY_BYTES
                    + common_prefix_len(
                        BlockWriter::key(&out, writer.key_spans[0]),
                        entry.user_key(),
                    )
                    + FIXED_BYTES
            );
        }
        let handle = writer.finish(&mut out).unwrap();
        assert!(writer.finish(&mut out).is_none());
        (out, handle)
    }

    fn user_keys_seek(keys: &[&[u8]], target: &[u8], inclusive: bool) -> usize {
        keys.iter()
            .position(|key| {
                if inclusive {
                    *key >= target
                } else {
                    *key > target
                }
            })
            .unwrap_or(keys.len())
    }

    #[test]
    fn blocks_decode_every_entry_and_seek_like_a_scan() {
        let keys: Vec<&[u8]> = vec![
            b"user00",
            b"user00",
            b"user000000000",
            b"user0000000001",
            b"user01",
            b"user1",
            b"user1\xff",
        ];
        let entries: Vec<Entry> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| Entry::put(key.to_vec(), SeqNum(100 - i as u64), vec![i as u8; 3]))
            .collect();
        let (out, handle) = block_of(&entries);
        assert_eq!(handle.offset, 2);
        assert_eq!(handle.len as usize, out.len() - 2);
        let payload = unseal_block(&out, handle, BlockKind::Data).unwrap();
        let block = DataBlock::parse(payload, 2).unwrap();
        assert_eq!(block.len(), entries.len());
        assert_eq!(block.shared, b"user");
        for (index, entry) in entries.iter().enumerate() {
            let raw = block.entry_at(index).unwrap();
            assert_eq!(raw.user_key, &entry.key.user_key[..]);
            assert_eq!(raw.seq, entry.key.seq);
            assert_eq!(raw.value, &entry.value[..]);
        }
        let targets: [&[u8]; 12] = [
            b"",
            b"u",
            b"user",
            b"user0",
            b"user00",
            b"user000",
            b"user000000000",
            b"user0000000001",
            b"user0000000002",
            b"user1\xff",
            b"user2",
            b"v",
        ];
        for target in targets {
            for inclusive in [true, false] {
                assert_eq!(
                    block.seek(target, inclusive).unwrap(),
                    user_keys_seek(&keys, target, inclusive),
                    "{target:?} inclusive {inclusive}"
                );
            }
        }
    }

    #[test]
    fn bad_counts_and_offsets_are_typed_errors() {
        assert!(DataBlock::parse(&[1, 0], 0).is_err());
        assert!(DataBlock::parse(&[0, 0, 0, 0, 0, 0, 0, 0], 0).is_err());
        assert!(DataBlock::parse(&[9, 9, 0, 0, 0, 0, 1, 0, 0, 0], 0).is_err());
        assert!(DataBlock::parse(&[0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0], 0).is_err());
        let mut one = vec![200, 0, 0, 0];
        one.extend_from_slice(&[0; 4]);
        one.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
        let block = DataBlock::parse(&one, 0).unwrap();
        assert!(matches!(block.key_at(0), Err(DecodeError::Invalid { .. })));
        assert!(block.key_at(1).is_err());
        assert!(block.entry_at(0).is_err());
        assert!(block.seek(b"", true).is_err());
    }
}
