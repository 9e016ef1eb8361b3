//! The fixed-size segment header: what the object is, who wrote it, and how many batches
//! follow, under its own checksum so a damaged header is never mistaken for another segment.

use crate::checksum::crc32c;
use crate::codec::{DecodeError, Reader};
use crate::ids::{Epoch, WalId};

/// "SEDWAL" and two zero bytes, read as a little-endian u64.
pub const WAL_MAGIC: u64 = u64::from_le_bytes(*b"SEDWAL\0\0");
/// The segment format this build writes and reads.
pub const WAL_FORMAT_VERSION: u32 = 1;
/// magic u64, version u32, epoch u64, segment id u64, batch count u32, header crc u32.
pub const WAL_HEADER_LEN: usize = 8 + 4 + 8 + 8 + 4 + 4;
/// Bytes of the header covered by its checksum (all but the checksum itself).
const CHECKSUMMED_LEN: usize = WAL_HEADER_LEN - 4;
pub(crate) const VERSION_OFFSET: usize = 8;
pub(crate) const SEGMENT_ID_OFFSET: usize = 8 + 4 + 8;

/// Who wrote a segment and which one it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WalSegmentHeader {
    /// Epoch of the writer incarnation that wrote the segment.
    pub writer_epoch: Epoch,
    /// Must match the id in the object's path.
    pub segment_id: WalId,
}

pub(crate) fn encode_header(header: &WalSegmentHeader, batch_count: u32, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&WAL_MAGIC.to_le_bytes());
    out.extend_from_slice(&WAL_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&header.writer_epoch.0.to_le_bytes());
    out.extend_from_slice(&header.segment_id.0.to_le_bytes());
    out.extend_from_slice(&batch_count.to_le_bytes());
    assert_eq!(out.len() - start, CHECKSUMMED_LEN);
    let crc = crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(out.len() - start, WAL_HEADER_LEN);
}

/// Decodes the header at the start of `bytes`, returning it with the announced batch count.
/// `reader` must be at the start of `bytes`; it is left just after the header.
pub(crate) fn decode_header(
    reader: &mut Reader<'_>,
    bytes: &[u8],
) -> Result<(WalSegmentHeader, u32), DecodeError> {
    let magic = reader.u64("wal segment magic")?;
    if magic != WAL_MAGIC {
        return Err(DecodeError::BadMagic {
            what: "wal segment",
            offset: 0,
            found: magic,
        });
    }
    let version = reader.u32("wal segment format version")?;
    if version != WAL_FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            what: "wal segment",
            found: version,
        });
    }
    let writer_epoch = Epoch(reader.u64("wal segment writer epoch")?);
    let segment_id = WalId(reader.u64("wal segment id")?);
    let batch_count = reader.u32("wal segment batch count")?;
    let crc_offset = reader.offset();
    let stored = reader.u32("wal segment header checksum")?;
    // The fields above were read from `bytes`, so it holds at least the checksummed part.
    assert!(bytes.len() >= CHECKSUMMED_LEN);
    let computed = crc32c(&bytes[..CHECKSUMMED_LEN]);
    if stored != computed {
        return Err(DecodeError::ChecksumMismatch {
            what: "wal segment header",
            offset: crc_offset,
            stored,
            computed,
        });
    }
    let header = WalSegmentHeader {
        writer_epoch,
        segment_id,
    };
    Ok((header, batch_count))
}
