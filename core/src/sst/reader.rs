//! Opening an SST and point lookups.

use super::bloom::{BloomFilter, key_hash};
use super::data_block::DataBlock;
use super::footer::Footer;
use super::framing::{BlockHandle, BlockKind, locate_block, unseal_block};
use super::index::{BlockIndex, parse_index};
use crate::codec::DecodeError;
use crate::entry::{EntryKind, Lookup};
use bytes::Bytes;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What one point lookup touched, so read amplification is measured rather than guessed.
/// The filter and the index are decoded when the table is opened (as a reader that pins
/// them in memory would); only data blocks count as reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// The table has a bloom filter and it was consulted.
    pub filter_checked: bool,
    /// The filter ruled the key out, so no data block was read.
    pub filter_excluded: bool,
    /// Indices of the data blocks read, in the order read.
    pub blocks_read: Vec<u32>,
    /// Bytes of those blocks, checksum trailers included.
    pub bytes_read: u64,
}

/// A user key with its filter hash, computed once: a point read past a deep L0 (FIFO)
/// probes the filter of every table whose range holds the key.
#[derive(Clone, Copy, Debug)]
pub struct LookupKey<'a> {
    user_key: &'a [u8],
    filter_hash: u64,
}

impl<'a> LookupKey<'a> {
    pub fn new(user_key: &'a [u8]) -> LookupKey<'a> {
        LookupKey {
            user_key,
            filter_hash: key_hash(user_key),
        }
    }
}

/// An opened SST: footer, index and filter decoded and verified; data blocks are verified
/// when read. Cloning is cheap (the buffer, the index and the verified set are shared).
#[derive(Clone)]
pub struct SstReader {
    bytes: Bytes,
    index: Arc<BlockIndex>,
    filter: Option<BloomFilter>,
    /// One bit per data block whose checksum has matched. The buffer is immutable, so a
    /// block that verified once verifies forever: later reads skip the CRC and behave
    /// exactly as if they had recomputed it. Failures are not remembered, so a corrupt
    /// block fails every read.
    verified: Arc<[AtomicU64]>,
}

impl fmt::Debug for SstReader {
    /// A summary: the table itself can be megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SstReader")
            .field("size_bytes", &self.bytes.len())
            .field("block_count", &self.index.len())
            .field("filter_size_bytes", &self.filter_size_bytes())
            .finish_non_exhaustive()
    }
}

impl SstReader {
    /// Verifies the footer (magic, version, checksum), the filter and index checksums, the
    /// order of the index and that its blocks tile the data region exactly.
    pub fn open(bytes: Bytes) -> Result<SstReader, DecodeError> {
        let footer = Footer::decode(&bytes)?;
        let filter = match footer.filter {
            Some(handle) => {
                let payload = unseal_block(&bytes, handle, BlockKind::Filter)?;
                Some(BloomFilter::parse(
                    bytes.slice_ref(payload),
                    offset_usize(handle),
                )?)
            }
            None => None,
        };
        let payload = unseal_block(&bytes, footer.index, BlockKind::Index)?;
        let index = parse_index(
            &bytes,
            payload,
            offset_usize(footer.index),
            footer.data_end(),
        )?;
        assert!(index.len() > 0, "parse_index rejects an empty index");
        let verified: Arc<[AtomicU64]> = (0..index.len().div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        assert!(verified.len() * 64 >= index.len());
        Ok(SstReader {
            bytes,
            index: Arc::new(index),
            filter,
            verified,
        })
    }

    /// The whole encoded table.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn size_bytes(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Number of data blocks (at least one).
    pub fn block_count(&self) -> usize {
        self.index.len()
    }

    /// Byte range of data block `block`, for fetching it alone by range.
    pub fn block_handle(&self, block: usize) -> Option<BlockHandle> {
        self.index.get(block).map(|entry| entry.handle)
    }

    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// Size of the filter's bit array (0 without a filter): memory a reader pins per table.
    pub fn filter_size_bytes(&self) -> usize {
        self.filter.as_ref().map_or(0, BloomFilter::size_bytes)
    }

    /// False when the filter rules `user_key` out; true when it may be present (always
    /// true for a table without a filter).
    pub fn filter_may_contain(&self, user_key: &[u8]) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.may_contain(user_key))
    }

    /// The newest version of `user_key` in this table.
    pub fn get(&self, user_key: &[u8]) -> Result<(Lookup, ReadStats), DecodeError> {
        self.lookup(LookupKey::new(user_key))
    }

    /// [`SstReader::get`] of a key already hashed for the filter.
    pub fn lookup(&self, key: LookupKey<'_>) -> Result<(Lookup, ReadStats), DecodeError> {
        let user_key = key.user_key;
        let mut stats = ReadStats::default();
        if let Some(filter) = &self.filter {
            stats.filter_checked = true;
            if !filter.may_contain_hash(key.filter_hash) {
                stats.filter_excluded = true;
                return Ok((Lookup::Absent, stats));
            }
        }
        let block_index = self.first_block_reaching(user_key, true);
        let Some(handle) = self.block_handle(block_index) else {
            return Ok((Lookup::Absent, stats));
        };
        let block_number = u32::try_from(block_index).expect("fewer blocks than bytes");
        stats.blocks_read.push(block_number);
        stats.bytes_read = handle.len;
        let block = self.read_block(block_index)?;
        let mut cursor = block.seek(user_key, true)?;
        let Some(raw) = block.next(&mut cursor)? else {
            return Err(DecodeError::Invalid {
                what: BlockKind::Data.what(),
                offset: offset_usize(handle),
                detail: "the block's keys end before its last key in the index".to_string(),
            });
        };
        let lookup = if raw.user_key != user_key {
            Lookup::Absent
        } else if raw.kind == EntryKind::Delete {
            Lookup::Deleted(raw.seq)
        } else {
            Lookup::Found(raw.to_entry(&self.bytes))
        };
        Ok((lookup, stats))
    }

    /// Index of the first block that may hold `user_key` or a greater key: the first whose
    /// last user key is at least `user_key` (`inclusive`) or greater than it. Equals the
    /// block count when every key of the table is smaller.
    pub(crate) fn first_block_reaching(&self, user_key: &[u8], inclusive: bool) -> usize {
        self.index.first_block_reaching(user_key, inclusive)
    }

    /// Data block `block`, checksum verified (on its first read; see `verified`).
    pub(crate) fn read_block(&self, block: usize) -> Result<DataBlock<'_>, DecodeError> {
        let handle = self.existing_block_handle(block)?;
        // `open` sized the verified set for every block of the index.
        let word = &self.verified[block / 64];
        let bit = 1u64 << (block % 64);
        let payload = if word.load(Ordering::Relaxed) & bit != 0 {
            locate_block(&self.bytes, handle, BlockKind::Data)?.0
        } else {
            let payload = unseal_block(&self.bytes, handle, BlockKind::Data)?;
            word.fetch_or(bit, Ordering::Relaxed);
            payload
        };
        DataBlock::parse(payload, offset_usize(handle))
    }

    /// Verifies the checksum and layout of every data block, e.g. before accepting a table
    /// built elsewhere; stops at the first error.
    pub fn verify_blocks(&self) -> Result<(), DecodeError> {
        for block in 0..self.block_count() {
            self.read_block(block)?;
        }
        Ok(())
    }

    fn existing_block_handle(&self, block: usize) -> Result<BlockHandle, DecodeError> {
        self.block_handle(block)
            .ok_or_else(|| DecodeError::Invalid {
                what: BlockKind::Data.what(),
                offset: self.bytes.len(),
                detail: format!("no block {block} in a table of {} blocks", self.index.len()),
            })
    }
}

fn offset_usize(handle: BlockHandle) -> usize {
    usize::try_from(handle.offset).unwrap_or(usize::MAX)
}
