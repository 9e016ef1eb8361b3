//! Whole segments: building one from batches, and decoding one strictly (any damage is an
//! error) or as far as it is intact (for diagnostics).

use crate::codec::{DecodeError, Reader};
use crate::entry::Entry;
use crate::ids::{SeqNum, WalId};
use crate::wal::batch::{
    FRAME_OVERHEAD_BYTES, WalBatch, decode_frame, encode_frame, validate_batch,
};
use crate::wal::error::{SegmentPart, WalDecodeError, WalEncodeError};
use crate::wal::header::{WAL_HEADER_LEN, WalSegmentHeader, decode_header, encode_header};
use bytes::Bytes;

/// A decoded segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalSegment {
    pub header: WalSegmentHeader,
    pub batches: Vec<WalBatch>,
}

impl WalSegment {
    /// Every entry of every batch, in sequence order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.batches.iter().flat_map(|batch| batch.entries.iter())
    }

    /// The largest sequence number in the segment; `None` for an empty (fencing) segment.
    pub fn last_seq(&self) -> Option<SeqNum> {
        self.batches.last().and_then(WalBatch::last_seq)
    }
}

/// Collects the batches of one segment, checking each as it comes, then encodes them.
#[derive(Clone, Debug)]
pub struct WalSegmentBuilder {
    header: WalSegmentHeader,
    frames: Vec<u8>,
    batch_count: u32,
    last_seq: Option<SeqNum>,
}

impl WalSegmentBuilder {
    pub fn new(header: WalSegmentHeader) -> WalSegmentBuilder {
        WalSegmentBuilder {
            header,
            frames: Vec::new(),
            batch_count: 0,
            last_seq: None,
        }
    }

    /// Adds one group commit. Its sequence numbers must continue the segment's, strictly
    /// increasing; on error the builder is unchanged.
    pub fn push_batch(&mut self, batch: &WalBatch) -> Result<(), WalEncodeError> {
        let batch_index = self.batch_count as usize;
        let next_count = self
            .batch_count
            .checked_add(1)
            .ok_or(WalEncodeError::TooManyBatches)?;
        let last_seq = validate_batch(batch, batch_index, self.last_seq)?;
        let frames_len = self.frames.len();
        encode_frame(batch, batch_index, &mut self.frames)?;
        assert!(self.frames.len() > frames_len + FRAME_OVERHEAD_BYTES);
        assert!(self.last_seq.is_none_or(|previous| last_seq > previous));
        self.batch_count = next_count;
        self.last_seq = Some(last_seq);
        Ok(())
    }

    /// Number of bytes [`WalSegmentBuilder::finish`] will return.
    pub fn encoded_len(&self) -> usize {
        WAL_HEADER_LEN + self.frames.len()
    }

    pub fn finish(self) -> Bytes {
        let mut out = Vec::with_capacity(self.encoded_len());
        encode_header(&self.header, self.batch_count, &mut out);
        out.extend_from_slice(&self.frames);
        assert_eq!(out.len(), self.encoded_len());
        Bytes::from(out)
    }
}

/// Encodes a whole segment, refusing anything the decoder would reject.
pub fn encode_segment(
    header: WalSegmentHeader,
    batches: &[WalBatch],
) -> Result<Bytes, WalEncodeError> {
    let mut builder = WalSegmentBuilder::new(header);
    for batch in batches {
        builder.push_batch(batch)?;
    }
    Ok(builder.finish())
}

/// What [`decode_segment_prefix`] could read: the header if intact, the batches before the
/// first error, and that error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalSegmentPrefix {
    pub header: Option<WalSegmentHeader>,
    pub batches: Vec<WalBatch>,
    pub error: Option<WalDecodeError>,
}

/// Decodes as much of a segment as is intact. For diagnostics only: a segment object is
/// written whole, so recovery must use [`decode_segment`] and treat any error as corruption.
pub fn decode_segment_prefix(bytes: &[u8]) -> WalSegmentPrefix {
    let mut reader = Reader::new(bytes);
    let (header, batch_count) = match decode_header(&mut reader, bytes) {
        Ok(decoded) => decoded,
        Err(cause) => {
            return WalSegmentPrefix {
                header: None,
                batches: Vec::new(),
                error: Some(WalDecodeError::new(SegmentPart::Header, cause)),
            };
        }
    };
    let batch_count = batch_count as usize;
    // Each frame takes at least its overhead, so the input bounds the allocation.
    let capacity = batch_count.min(reader.remaining() / FRAME_OVERHEAD_BYTES);
    let mut batches = Vec::with_capacity(capacity);
    let mut last_seq = None;
    let mut error = None;
    for index in 0..batch_count {
        let start_offset = reader.offset();
        match decode_frame(&mut reader, last_seq) {
            Ok(batch) => {
                assert!(
                    !batch.entries.is_empty(),
                    "decode_frame refuses empty batches"
                );
                last_seq = batch.last_seq();
                batches.push(batch);
            }
            Err(cause) => {
                let part = SegmentPart::Batch {
                    index,
                    start_offset,
                };
                error = Some(WalDecodeError::new(part, cause));
                break;
            }
        }
    }
    if error.is_none() && !reader.is_empty() {
        let cause = DecodeError::Invalid {
            what: "wal segment",
            offset: reader.offset(),
            detail: format!(
                "{} bytes after the last of {batch_count} batches",
                reader.remaining()
            ),
        };
        error = Some(WalDecodeError::new(SegmentPart::AfterLastBatch, cause));
    }
    WalSegmentPrefix {
        header: Some(header),
        batches,
        error,
    }
}

/// Decodes a whole segment; any truncation, corruption or invalid field is an error.
pub fn decode_segment(bytes: &[u8]) -> Result<WalSegment, WalDecodeError> {
    let prefix = decode_segment_prefix(bytes);
    match (prefix.error, prefix.header) {
        (Some(error), _) => Err(error),
        (None, Some(header)) => Ok(WalSegment {
            header,
            batches: prefix.batches,
        }),
        (None, None) => Err(WalDecodeError::new(
            SegmentPart::Header,
            DecodeError::Invalid {
                what: "wal segment header",
                offset: 0,
                detail: "no header decoded".to_string(),
            },
        )),
    }
}

/// Decodes a whole segment read from the path of segment `expected`; a header naming
/// another segment means the object is not what its name says.
pub fn decode_segment_expecting(
    bytes: &[u8],
    expected: WalId,
) -> Result<WalSegment, WalDecodeError> {
    let segment = decode_segment(bytes)?;
    if segment.header.segment_id != expected {
        let cause = DecodeError::Invalid {
            what: "wal segment id",
            offset: crate::wal::header::SEGMENT_ID_OFFSET,
            detail: format!(
                "header names segment {}, expected {expected}",
                segment.header.segment_id
            ),
        };
        return Err(WalDecodeError::new(SegmentPart::Header, cause));
    }
    Ok(segment)
}
