//! Data blocks: the entries one after another, then what a lookup searches.
//!
//! ```text
//! entry 0 | ... | entry n-1 | u32 restart offset × r | u32 window × r | shared prefix
//! | u32 shared_len | u32 r | u32 crc32c
//! ```
//!
//! Every `block_restart_interval` entries, starting with the first, an entry is a restart
//! point: it stores its key whole. The entries between store only the part of their key
//! that differs from the previous key ([record](super::record)), as RocksDB's blocks do,
//! which is what keeps a table near RocksDB's size. `shared prefix` is the prefix every key
//! of the block starts with, and window `i` is the first four bytes of the
//! [window](super::window) of restart key `i` after it. A lookup binary-searches the
//! windows, which sit together at the end of the block, reads a whole restart key only on a
//! tie, then decodes at most one restart interval of entries: a few cache lines per lookup
//! and no allocation beyond one reusable key buffer. Offsets are from the block start.

use super::framing::{BLOCK_TRAILER_BYTES, BlockHandle, BlockKind, seal_block};
use super::options::SstOptions;
use super::record;
use super::window::{common_prefix_len, window};
use crate::entry::Entry;

pub(crate) const OFFSET_BYTES: usize = 4;
pub(crate) const WINDOW_BYTES: usize = 4;
/// Bytes per restart point beyond its entry: its offset and its window.
pub(crate) const PER_RESTART_BYTES: usize = OFFSET_BYTES + WINDOW_BYTES;
/// Fixed bytes per block: shared prefix length, restart count, checksum.
const FIXED_BYTES: usize = 4 + 4 + BLOCK_TRAILER_BYTES;
/// Smallest data block: one entry of an empty key and value (shared length, suffix length,
/// one-byte seq, flags, value length), its restart point and the fixed fields.
pub(crate) const MIN_DATA_BLOCK_BYTES: u64 =
    ((1 + 1 + 1 + 1 + 1) + PER_RESTART_BYTES + FIXED_BYTES) as u64;

/// The four-byte window a block stores: the high half of the eight-byte window, which
/// orders keys the same way whenever it differs.
pub(crate) fn block_window(key: &[u8], shared_len: usize) -> u32 {
    (window(key, shared_len) >> 32) as u32
}

/// Encodes one data block at a time at the end of the SST's output buffer. Its vectors are
/// reused from block to block.
#[derive(Debug)]
pub(crate) struct BlockWriter {
    /// Entries from one restart point to the next.
    restart_interval: usize,
    /// Where the open block starts in the output buffer.
    start: usize,
    /// Entries in the open block.
    count: usize,
    /// Offset of each restart entry of the open block, from the block start.
    restarts: Vec<u32>,
    /// Where each restart entry's whole user key lies in the output buffer.
    restart_key_spans: Vec<(usize, usize)>,
    /// The user key of the entry added last.
    last_key: Vec<u8>,
    windows: Vec<u32>,
    shared: Vec<u8>,
}

impl BlockWriter {
    pub(crate) fn new(options: &SstOptions) -> BlockWriter {
        BlockWriter {
            restart_interval: options.block_restart_interval.get() as usize,
            start: 0,
            count: 0,
            restarts: Vec::new(),
            restart_key_spans: Vec::new(),
            last_key: Vec::new(),
            windows: Vec::new(),
            shared: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
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

    /// Whether the next entry added starts a restart point.
    fn next_is_restart(&self) -> bool {
        self.count.is_multiple_of(self.restart_interval)
    }

    /// Bytes the next entry's key keeps of the previous key: none at a restart point.
    fn shared_with_last(&self, user_key: &[u8]) -> usize {
        if self.next_is_restart() {
            return 0;
        }
        common_prefix_len(&self.last_key, user_key)
    }

    /// Size the open block would have, checksum included, with `entry` added next.
    pub(crate) fn size_with(&self, out: &[u8], entry: &Entry) -> usize {
        let user_key = entry.user_key();
        let block_shared_len = match self.restart_key_spans.first() {
            None => user_key.len(),
            Some(&first) => common_prefix_len(Self::key(out, first), user_key),
        };
        let restarts = self.restarts.len() + usize::from(self.next_is_restart());
        self.entries_len(out)
            .saturating_add(record::encoded_len(entry, self.shared_with_last(user_key)))
            .saturating_add(restarts * PER_RESTART_BYTES)
            .saturating_add(block_shared_len)
            .saturating_add(FIXED_BYTES)
    }

    /// Appends `entry` to the open block (starting one if none is open). The caller keeps
    /// the entry region under `u32::MAX` bytes, see [`BlockWriter::entries_len`].
    pub(crate) fn add(&mut self, out: &mut Vec<u8>, entry: &Entry) {
        if self.is_empty() {
            self.start = out.len();
        }
        assert_eq!(self.restarts.len(), self.restart_key_spans.len());
        let user_key = entry.user_key();
        let shared_len = self.shared_with_last(user_key);
        if self.next_is_restart() {
            let offset = out.len() - self.start;
            let offset = u32::try_from(offset).expect("the builder closes a block before 4 GiB");
            self.restarts.push(offset);
            let key_at = out.len() + 1 + record::varint_len(user_key.len() as u64);
            self.restart_key_spans.push((key_at, user_key.len()));
        }
        record::encode(out, entry, shared_len);
        self.last_key.truncate(shared_len);
        self.last_key.extend_from_slice(&user_key[shared_len..]);
        assert_eq!(self.last_key.as_slice(), user_key);
        self.count += 1;
        assert_eq!(
            self.restarts.len(),
            self.count.div_ceil(self.restart_interval),
            "one restart point every interval"
        );
    }

    /// Closes the open block: appends the search trailer and the checksum, and returns
    /// where the block lies. Returns `None` when no block is open.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) -> Option<BlockHandle> {
        if self.is_empty() {
            return None;
        }
        assert_eq!(self.restarts.len(), self.restart_key_spans.len());
        let first_key = Self::key(out, self.restart_key_spans[0]);
        let shared_len = common_prefix_len(first_key, &self.last_key);
        self.shared.clear();
        self.shared.extend_from_slice(&first_key[..shared_len]);
        self.windows.clear();
        self.windows.extend(
            self.restart_key_spans
                .iter()
                .map(|&span| block_window(Self::key(out, span), shared_len)),
        );
        // `seek` binary-searches the windows: they must never decrease.
        assert!(
            self.windows.is_sorted(),
            "data block windows out of order: entries were added unsorted"
        );
        out.reserve(self.restarts.len() * PER_RESTART_BYTES + shared_len + FIXED_BYTES);
        for offset in &self.restarts {
            out.extend_from_slice(&offset.to_le_bytes());
        }
        for window in &self.windows {
            out.extend_from_slice(&window.to_le_bytes());
        }
        out.extend_from_slice(&self.shared);
        let shared_len = u32::try_from(shared_len).expect("a key is shorter than the block");
        out.extend_from_slice(&shared_len.to_le_bytes());
        let restart_count = u32::try_from(self.restarts.len()).expect("fewer restarts than bytes");
        out.extend_from_slice(&restart_count.to_le_bytes());
        seal_block(out, self.start, BlockKind::Data);
        self.restarts.clear();
        self.restart_key_spans.clear();
        self.count = 0;
        Some(BlockHandle {
            offset: self.start as u64,
            len: (out.len() - self.start) as u64,
        })
    }
}
