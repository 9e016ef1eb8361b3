//! Errors of the WAL segment format: where decoding failed and why, and what the encoder
//! refuses to write.

use crate::codec::DecodeError;
use crate::ids::SeqNum;
use std::fmt;

/// The part of a segment an error was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentPart {
    Header,
    /// Batch number `index` (0-based), whose frame starts at byte `start_offset`.
    Batch {
        index: usize,
        start_offset: usize,
    },
    /// Bytes after the last batch the header announced.
    AfterLastBatch,
}

/// Why a segment could not be decoded, and where: the part, the absolute byte offset at
/// which the problem was found, and the underlying [`DecodeError`] (truncated, checksum
/// mismatch, bad magic, unsupported version, invalid field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalDecodeError {
    pub part: SegmentPart,
    pub offset: usize,
    pub cause: DecodeError,
}

impl WalDecodeError {
    pub(crate) fn new(part: SegmentPart, cause: DecodeError) -> WalDecodeError {
        let offset = match &cause {
            DecodeError::Truncated { offset, .. }
            | DecodeError::ChecksumMismatch { offset, .. }
            | DecodeError::BadMagic { offset, .. }
            | DecodeError::Invalid { offset, .. } => *offset,
            DecodeError::UnsupportedVersion { .. } => crate::wal::header::VERSION_OFFSET,
        };
        WalDecodeError {
            part,
            offset,
            cause,
        }
    }

    /// The index of the batch the error is in, if it is in a batch.
    pub fn batch_index(&self) -> Option<usize> {
        match self.part {
            SegmentPart::Batch { index, .. } => Some(index),
            SegmentPart::Header | SegmentPart::AfterLastBatch => None,
        }
    }
}

impl fmt::Display for WalDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.part {
            SegmentPart::Header => write!(f, "wal segment header")?,
            SegmentPart::Batch {
                index,
                start_offset,
            } => write!(f, "wal batch {index} (starting at byte {start_offset})")?,
            SegmentPart::AfterLastBatch => write!(f, "wal segment after its last batch")?,
        }
        write!(f, ", byte {}: {}", self.offset, self.cause)
    }
}

impl std::error::Error for WalDecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// Why a segment was not encoded: the decoder would reject it, so the writer must not
/// write it (the same rules are checked on write and on read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalEncodeError {
    /// A group commit with no entries.
    EmptyBatch { batch_index: usize },
    /// Sequence numbers must strictly increase through the whole segment.
    SeqNotIncreasing {
        batch_index: usize,
        entry_index: usize,
        previous: SeqNum,
        seq: SeqNum,
    },
    /// A tombstone carries a value or an expiry.
    MalformedTombstone {
        batch_index: usize,
        entry_index: usize,
    },
    /// A batch body does not fit the 32-bit length of its frame.
    BatchTooLarge {
        batch_index: usize,
        size_bytes: usize,
    },
    /// More batches than the 32-bit count of the header.
    TooManyBatches,
}

impl fmt::Display for WalEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalEncodeError::EmptyBatch { batch_index } => {
                write!(f, "wal batch {batch_index} has no entries")
            }
            WalEncodeError::SeqNotIncreasing {
                batch_index,
                entry_index,
                previous,
                seq,
            } => write!(
                f,
                "wal batch {batch_index} entry {entry_index}: sequence {seq} does not follow {previous}"
            ),
            WalEncodeError::MalformedTombstone {
                batch_index,
                entry_index,
            } => write!(
                f,
                "wal batch {batch_index} entry {entry_index}: tombstone with a value or an expiry"
            ),
            WalEncodeError::BatchTooLarge {
                batch_index,
                size_bytes,
            } => write!(
                f,
                "wal batch {batch_index} is {size_bytes} bytes, over the 4 GiB frame limit"
            ),
            WalEncodeError::TooManyBatches => write!(f, "more than 2^32 batches in one segment"),
        }
    }
}

impl std::error::Error for WalEncodeError {}
