//! Building an SST from entries in internal-key order.

use super::block::BlockWriter;
use super::block::MIN_DATA_BLOCK_BYTES;
use super::bloom::BloomWriter;
use super::footer::{FOOTER_BYTES, Footer};
use super::framing::{BlockHandle, BlockKind, seal_block};
use super::index::IndexWriter;
use super::meta::SstMeta;
use super::options::SstOptions;
use super::record;
use crate::checksum::crc32c;
use crate::entry::{Entry, EntryKind, WallMs};
use crate::ids::{SeqNum, SstId};
use bytes::Bytes;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// Largest encoded entry a block can hold: entry offsets inside a block are 32-bit.
pub const MAX_ENTRY_BYTES: usize = u32::MAX as usize;

/// Why an SST could not be built. The builder is unchanged by a rejected entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SstBuildError {
    /// The entry sorts before the previous one in internal-key order (user key ascending,
    /// sequence number descending).
    OutOfOrder {
        previous_key: Bytes,
        previous_seq: SeqNum,
        user_key: Bytes,
        seq: SeqNum,
    },
    /// The same user key and sequence number was added twice.
    DuplicateKey { user_key: Bytes, seq: SeqNum },
    /// The entry's encoding exceeds [`MAX_ENTRY_BYTES`].
    EntryTooLarge {
        user_key: Bytes,
        seq: SeqNum,
        encoded_bytes: usize,
    },
    /// `finish` was called before any entry was added: an SST holds at least one entry.
    Empty,
}

impl fmt::Display for SstBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SstBuildError::OutOfOrder {
                previous_key,
                previous_seq,
                user_key,
                seq,
            } => write!(
                f,
                "entry {user_key:?}@{seq} sorts before the previous entry {previous_key:?}@{previous_seq}"
            ),
            SstBuildError::DuplicateKey { user_key, seq } => {
                write!(f, "entry {user_key:?}@{seq} was added twice")
            }
            SstBuildError::EntryTooLarge {
                user_key,
                seq,
                encoded_bytes,
            } => write!(
                f,
                "entry {user_key:?}@{seq} encodes to {encoded_bytes} bytes, over the {MAX_ENTRY_BYTES}-byte limit"
            ),
            SstBuildError::Empty => write!(f, "an SST needs at least one entry"),
        }
    }
}

impl std::error::Error for SstBuildError {}

/// Streams entries into the SST format. Entries must come in strictly increasing
/// internal-key order; each is copied once into the output buffer.
#[derive(Debug)]
pub struct SstBuilder {
    options: SstOptions,
    out: Vec<u8>,
    block: BlockWriter,
    index: IndexWriter,
    bloom: Option<BloomWriter>,
    /// First user key added (copied, so the meta never pins a caller's buffer).
    smallest_key: Option<Bytes>,
    /// User key and sequence number of the last entry added (buffer reused).
    last_key: Vec<u8>,
    last_seq: SeqNum,
    smallest_seq: SeqNum,
    largest_seq: SeqNum,
    entry_count: u64,
    tombstone_count: u64,
    logical_bytes: u64,
}

impl SstBuilder {
    pub fn new(options: SstOptions) -> SstBuilder {
        let bloom = (options.effective_bloom_bits_per_key() > 0).then(BloomWriter::default);
        SstBuilder {
            options,
            out: Vec::new(),
            block: BlockWriter::new(&options),
            index: IndexWriter::default(),
            bloom,
            smallest_key: None,
            last_key: Vec::new(),
            last_seq: SeqNum(0),
            smallest_seq: SeqNum::MAX,
            largest_seq: SeqNum(0),
            entry_count: 0,
            tombstone_count: 0,
            logical_bytes: 0,
        }
    }

    /// Entries added so far.
    pub fn entry_count(&self) -> u64 {
        self.entry_count
    }

    pub fn is_empty(&self) -> bool {
        self.entry_count == 0
    }

    /// Bytes of data blocks written so far (the open block's entries included; offsets,
    /// filter, index and footer not yet). Lets a compaction cut outputs at a target size.
    pub fn data_size_bytes(&self) -> u64 {
        self.out.len() as u64
    }

    /// Appends `entry`, which must sort strictly after the previous one.
    pub fn add(&mut self, entry: &Entry) -> Result<(), SstBuildError> {
        let new_user_key = self.check_order(entry)?;
        // The largest the entry can take: its key whole, as at a restart point.
        let entry_len = record::encoded_len(entry, 0);
        if entry_len > MAX_ENTRY_BYTES {
            return Err(SstBuildError::EntryTooLarge {
                user_key: entry.key.user_key.clone(),
                seq: entry.seq(),
                encoded_bytes: entry_len,
            });
        }
        let user_key = entry.user_key();
        if !self.block.is_empty() {
            let block_full = self.block.size_with(&self.out, entry) > self.options.block_size_bytes;
            let offsets_overflow =
                self.block.entries_len(&self.out).saturating_add(entry_len) > MAX_ENTRY_BYTES;
            if block_full || offsets_overflow {
                self.finish_block();
            }
        }
        self.block.add(&mut self.out, entry);
        if new_user_key {
            if let Some(bloom) = &mut self.bloom {
                bloom.add_key(user_key);
            }
            self.last_key.clear();
            self.last_key.extend_from_slice(user_key);
        }
        if self.smallest_key.is_none() {
            self.smallest_key = Some(Bytes::copy_from_slice(user_key));
        }
        self.last_seq = entry.seq();
        self.smallest_seq = self.smallest_seq.min(entry.seq());
        self.largest_seq = self.largest_seq.max(entry.seq());
        self.entry_count += 1;
        if entry.kind == EntryKind::Delete {
            self.tombstone_count += 1;
        }
        self.logical_bytes += entry.logical_size_bytes();
        assert!(self.smallest_seq <= self.largest_seq);
        assert!(self.tombstone_count <= self.entry_count);
        assert_eq!(self.last_key.as_slice(), user_key);
        Ok(())
    }

    /// Checks that `entry` sorts strictly after the previous entry; returns whether it
    /// starts a new user key.
    fn check_order(&self, entry: &Entry) -> Result<bool, SstBuildError> {
        if self.entry_count == 0 {
            return Ok(true);
        }
        let by_user_key = self.last_key.as_slice().cmp(entry.user_key());
        let order = by_user_key.then_with(|| entry.seq().cmp(&self.last_seq));
        match order {
            Ordering::Less => Ok(by_user_key == Ordering::Less),
            Ordering::Equal => Err(SstBuildError::DuplicateKey {
                user_key: entry.key.user_key.clone(),
                seq: entry.seq(),
            }),
            Ordering::Greater => Err(SstBuildError::OutOfOrder {
                previous_key: Bytes::copy_from_slice(&self.last_key),
                previous_seq: self.last_seq,
                user_key: entry.key.user_key.clone(),
                seq: entry.seq(),
            }),
        }
    }

    /// Closes the open data block (if any) and indexes it under its last key.
    fn finish_block(&mut self) {
        if let Some(handle) = self.block.finish(&mut self.out) {
            self.index.add(&self.last_key, self.last_seq, handle);
        }
    }

    /// Writes the filter, index and footer and returns the encoded table with its metadata.
    pub fn finish(
        mut self,
        id: SstId,
        created_at_ms: WallMs,
    ) -> Result<(Bytes, SstMeta), SstBuildError> {
        let Some(smallest_key) = self.smallest_key.take() else {
            return Err(SstBuildError::Empty);
        };
        self.finish_block();
        let mut out = std::mem::take(&mut self.out);
        let filter = self.bloom.as_ref().map(|bloom| {
            let start = out.len();
            bloom.encode(self.options.effective_bloom_bits_per_key(), &mut out);
            seal_block(&mut out, start, BlockKind::Filter);
            handle_from(start, out.len())
        });
        let index_start = out.len();
        self.index.encode(&mut out);
        seal_block(&mut out, index_start, BlockKind::Index);
        let index = handle_from(index_start, out.len());
        Footer { filter, index }.encode(&mut out);
        assert!(out.len() >= FOOTER_BYTES + MIN_DATA_BLOCK_BYTES as usize);
        assert!(
            smallest_key[..] <= self.last_key[..],
            "keys were added unsorted"
        );
        let meta = SstMeta {
            id,
            smallest_key,
            largest_key: Bytes::copy_from_slice(&self.last_key),
            smallest_seq: self.smallest_seq,
            largest_seq: self.largest_seq,
            entry_count: self.entry_count,
            tombstone_count: self.tombstone_count,
            logical_bytes: self.logical_bytes,
            size_bytes: out.len() as u64,
            created_at_ms,
            object_crc32c: crc32c(&out),
        };
        Ok((Bytes::from(out), meta))
    }
}

fn handle_from(start: usize, end: usize) -> BlockHandle {
    assert!(start <= end);
    BlockHandle {
        offset: start as u64,
        len: (end - start) as u64,
    }
}

/// Builds a whole SST from entries in strictly increasing internal-key order.
pub fn build_sst<I>(
    options: &SstOptions,
    entries: I,
    id: SstId,
    created_at_ms: WallMs,
) -> Result<(Bytes, SstMeta), SstBuildError>
where
    I: IntoIterator,
    I::Item: Borrow<Entry>,
{
    let mut builder = SstBuilder::new(*options);
    for entry in entries {
        builder.add(entry.borrow())?;
    }
    builder.finish(id, created_at_ms)
}
