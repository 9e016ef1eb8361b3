//! Iterating over an SST in internal-key order, whole or over a user-key range.

use super::data_block::BlockCursor;
use super::reader::SstReader;
use crate::codec::DecodeError;
use crate::entry::{Entry, compare_internal};
use crate::ids::SeqNum;
use bytes::Bytes;
use std::cmp::Ordering;
use std::ops::{Bound, RangeBounds};

/// The data block being iterated, and the position in it.
#[derive(Clone, Debug)]
struct Cursor {
    block: usize,
    in_block: BlockCursor,
}

/// Every version of every key in a user-key range, in internal-key order. Reads one data
/// block at a time, verifying its checksum when it is entered. Yields `Err` once on a
/// corrupt block or on entries out of order, then ends. Entries share the table's buffer.
#[derive(Clone, Debug)]
pub struct SstIter {
    reader: SstReader,
    /// Lower bound still to apply inside the first block read.
    seek: Bound<Bytes>,
    /// The lower bound, kept to check the first entry yielded (the order check covers the
    /// rest): in a table whose keys are out of order the seek can land below it.
    start: Bound<Bytes>,
    end: Bound<Bytes>,
    next_block: usize,
    cursor: Option<Cursor>,
    /// Internal key of the entry yielded last, to check the order on read.
    previous: Option<(Bytes, SeqNum)>,
    done: bool,
}

impl SstReader {
    /// Every entry of the table.
    pub fn iter(&self) -> SstIter {
        self.iter_bounds(Bound::Unbounded, Bound::Unbounded)
    }

    /// Entries whose user key lies in `range`, e.g. `iter_range(&b"a"[..]..&b"m"[..])`.
    pub fn iter_range<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> SstIter {
        let start = range.start_bound().map(|key| key.as_ref());
        let end = range.end_bound().map(|key| key.as_ref());
        self.iter_bounds(start, end)
    }

    /// Entries whose user key lies between `start` and `end`.
    pub fn iter_bounds(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> SstIter {
        let next_block = match start {
            Bound::Included(key) => self.first_block_reaching(key, true),
            Bound::Excluded(key) => self.first_block_reaching(key, false),
            Bound::Unbounded => 0,
        };
        let start = start.map(Bytes::copy_from_slice);
        SstIter {
            reader: self.clone(),
            seek: start.clone(),
            start,
            end: end.map(Bytes::copy_from_slice),
            next_block,
            cursor: None,
            previous: None,
            done: false,
        }
    }
}

impl SstIter {
    /// Enters the next block, positioned at the seek bound if one is pending.
    fn enter_next_block(&mut self) -> Result<bool, DecodeError> {
        if self.next_block >= self.reader.block_count() {
            return Ok(false);
        }
        let block_index = self.next_block;
        self.next_block += 1;
        let block = self.reader.read_block(block_index)?;
        let in_block = match std::mem::replace(&mut self.seek, Bound::Unbounded) {
            Bound::Included(start) => block.seek(&start, true)?,
            Bound::Excluded(start) => block.seek(&start, false)?,
            Bound::Unbounded => block.first(),
        };
        self.cursor = Some(Cursor {
            block: block_index,
            in_block,
        });
        Ok(true)
    }

    /// The entry under the cursor, moving past it; `None` at the end of the block.
    fn take_entry(&mut self) -> Result<Option<Entry>, DecodeError> {
        let Some(cursor) = &mut self.cursor else {
            return Ok(None);
        };
        let block = self.reader.read_block(cursor.block)?;
        let raw = block.next(&mut cursor.in_block)?;
        Ok(raw.map(|raw| raw.to_entry(self.reader.bytes())))
    }

    fn before_start(&self, user_key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(start) => user_key < &start[..],
            Bound::Excluded(start) => user_key <= &start[..],
            Bound::Unbounded => false,
        }
    }

    fn past_end(&self, user_key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(end) => user_key > &end[..],
            Bound::Excluded(end) => user_key >= &end[..],
            Bound::Unbounded => false,
        }
    }

    /// The first entry yielded lies at or after the lower bound; each later one sorts after
    /// the one before it. Together: every entry yielded lies in the range.
    fn check_order(&self, entry: &Entry, block: usize) -> Result<(), DecodeError> {
        let detail = match &self.previous {
            None if self.before_start(entry.user_key()) => format!(
                "entry {:?}@{} sorts before the range start {:?} it was sought from",
                entry.key.user_key,
                entry.seq(),
                self.start
            ),
            None => return Ok(()),
            Some((key, seq)) => {
                if compare_internal(key, *seq, entry.user_key(), entry.seq()) == Ordering::Less {
                    return Ok(());
                }
                format!(
                    "entry {:?}@{} does not sort after {key:?}@{seq}",
                    entry.key.user_key,
                    entry.seq()
                )
            }
        };
        let block_offset = self
            .reader
            .block_handle(block)
            .map_or(0, |handle| handle.offset);
        Err(DecodeError::Invalid {
            what: "sst data block",
            offset: usize::try_from(block_offset).unwrap_or(usize::MAX),
            detail,
        })
    }

    fn advance(&mut self) -> Result<Option<Entry>, DecodeError> {
        // Each pass either yields, ends, or enters a new block, so this is bounded by the
        // block count.
        for _ in 0..=self.reader.block_count() {
            let Some(block) = self.cursor.as_ref().map(|cursor| cursor.block) else {
                if !self.enter_next_block()? {
                    return Ok(None);
                }
                continue;
            };
            match self.take_entry()? {
                None => self.cursor = None,
                Some(entry) => {
                    if self.past_end(entry.user_key()) {
                        return Ok(None);
                    }
                    self.check_order(&entry, block)?;
                    self.previous = Some((entry.key.user_key.clone(), entry.seq()));
                    return Ok(Some(entry));
                }
            }
        }
        Ok(None)
    }
}

impl Iterator for SstIter {
    type Item = Result<Entry, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.advance();
        match result {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}
