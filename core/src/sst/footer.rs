//! The fixed-size footer at the end of every SST: where the filter and the index lie, a
//! checksum, the format version and the magic number.
//!
//! ```text
//! u64 filter_offset | u64 filter_len | u64 index_offset | u64 index_len
//! | u32 crc32c | u32 format_version | u64 magic
//! ```
//!
//! Version and magic come last so a reader recognises the object and its version before
//! trusting the layout; the checksum covers every other footer byte. A table without a
//! filter records a zero-length filter at the index offset.

use super::framing::BlockHandle;
use crate::checksum::crc32c_parts;
use crate::codec::{DecodeError, Reader};

/// Identifies an SST object: "SEDISST1" read as a little-endian u64.
pub const SST_MAGIC: u64 = u64::from_le_bytes(*b"SEDISST1");
/// The SST format this build writes and reads.
pub const SST_FORMAT_VERSION: u32 = 2;
/// Size of the footer in bytes.
pub const FOOTER_BYTES: usize = 8 * 4 + 4 + 4 + 8;

const WHAT: &str = "sst footer";
/// Footer bytes before the checksum field.
const CRC_AT: usize = 8 * 4;

/// Where the footer says the filter and index lie; checked against the object's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Footer {
    pub filter: Option<BlockHandle>,
    pub index: BlockHandle,
}

impl Footer {
    /// Where the data region (offset 0 up to here) ends.
    pub(crate) fn data_end(&self) -> u64 {
        self.filter
            .map_or(self.index.offset, |filter| filter.offset)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let filter = self.filter.unwrap_or(BlockHandle {
            offset: self.index.offset,
            len: 0,
        });
        // The same layout `decode` checks: filter, index and footer back to back.
        assert_eq!(
            filter.end(),
            Some(self.index.offset),
            "filter must end at the index"
        );
        assert_eq!(
            self.index.end(),
            Some(out.len() as u64),
            "index must end where the footer starts"
        );
        self.encode_unchecked(out);
    }

    /// The encoding alone, without the layout checks: tests build hostile footers with it.
    pub(super) fn encode_unchecked(&self, out: &mut Vec<u8>) {
        let filter = self.filter.unwrap_or(BlockHandle {
            offset: self.index.offset,
            len: 0,
        });
        let start = out.len();
        for field in [filter.offset, filter.len, self.index.offset, self.index.len] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        let mut tail = [0u8; 12];
        tail[..4].copy_from_slice(&SST_FORMAT_VERSION.to_le_bytes());
        tail[4..].copy_from_slice(&SST_MAGIC.to_le_bytes());
        let crc = crc32c_parts(&[&out[start..], &tail]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&tail);
        assert_eq!(out.len() - start, FOOTER_BYTES);
    }

    /// Decodes the footer at the end of `file` and checks that the filter, the index and
    /// the footer lie back to back at the end of the object.
    pub(crate) fn decode(file: &[u8]) -> Result<Footer, DecodeError> {
        let Some(footer_start) = file.len().checked_sub(FOOTER_BYTES) else {
            return Err(DecodeError::Truncated {
                what: WHAT,
                offset: 0,
                needed_bytes: FOOTER_BYTES,
                available_bytes: file.len(),
            });
        };
        let footer = &file[footer_start..];
        assert_eq!(footer.len(), FOOTER_BYTES);
        let mut reader = Reader::with_base(footer, footer_start);
        let filter_offset = reader.u64("sst footer filter offset")?;
        let filter_len = reader.u64("sst footer filter length")?;
        let index_offset = reader.u64("sst footer index offset")?;
        let index_len = reader.u64("sst footer index length")?;
        let stored_crc = reader.u32("sst footer checksum")?;
        let version = reader.u32("sst footer format version")?;
        let magic_offset = reader.offset();
        let magic = reader.u64("sst footer magic")?;
        if magic != SST_MAGIC {
            return Err(DecodeError::BadMagic {
                what: WHAT,
                offset: magic_offset,
                found: magic,
            });
        }
        if version != SST_FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                what: "sst",
                found: version,
            });
        }
        let (covered, rest) = footer.split_at(CRC_AT);
        // `rest` is the checksum field, then version and magic.
        let computed = crc32c_parts(&[covered, &rest[4..]]);
        if stored_crc != computed {
            return Err(DecodeError::ChecksumMismatch {
                what: WHAT,
                offset: footer_start,
                stored: stored_crc,
                computed,
            });
        }
        let filter = BlockHandle {
            offset: filter_offset,
            len: filter_len,
        };
        let index = BlockHandle {
            offset: index_offset,
            len: index_len,
        };
        if filter.end() != Some(index.offset) || index.end() != Some(footer_start as u64) {
            return Err(DecodeError::Invalid {
                what: WHAT,
                offset: footer_start,
                detail: format!(
                    "filter at {filter_offset} of {filter_len} bytes and index at {index_offset} of {index_len} bytes do not end at the footer (byte {footer_start})"
                ),
            });
        }
        Ok(Footer {
            filter: (filter.len > 0).then_some(filter),
            index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(footer: Footer, body_bytes: usize) -> Vec<u8> {
        let mut file = vec![0u8; body_bytes];
        footer.encode_unchecked(&mut file);
        file
    }

    #[test]
    fn footers_round_trip_with_and_without_filter() {
        let with_filter = Footer {
            filter: Some(BlockHandle {
                offset: 50,
                len: 20,
            }),
            index: BlockHandle {
                offset: 70,
                len: 30,
            },
        };
        let file = file_with(with_filter, 100);
        assert_eq!(file.len(), 100 + FOOTER_BYTES);
        assert_eq!(Footer::decode(&file).unwrap(), with_filter);
        assert_eq!(with_filter.data_end(), 50);
        let without = Footer {
            filter: None,
            index: BlockHandle {
                offset: 70,
                len: 30,
            },
        };
        let file = file_with(without, 100);
        assert_eq!(Footer::decode(&file).unwrap(), without);
        assert_eq!(without.data_end(), 70);
    }

    #[test]
    fn wrong_magic_version_checksum_or_layout_are_told_apart() {
        let footer = Footer {
            filter: None,
            index: BlockHandle {
                offset: 70,
                len: 30,
            },
        };
        let good = file_with(footer, 100);
        let last = good.len() - 1;
        let mut bad_magic = good.clone();
        bad_magic[last] ^= 1;
        assert!(matches!(
            Footer::decode(&bad_magic),
            Err(DecodeError::BadMagic { .. })
        ));
        // Version 1 stored every key whole: such a table is refused, not misread.
        let mut bad_version = good.clone();
        bad_version[100 + CRC_AT + 4] = 1;
        assert_eq!(
            Footer::decode(&bad_version),
            Err(DecodeError::UnsupportedVersion {
                what: "sst",
                found: 1
            })
        );
        let mut bad_crc = good.clone();
        bad_crc[100] ^= 0x10;
        assert!(matches!(
            Footer::decode(&bad_crc),
            Err(DecodeError::ChecksumMismatch { .. })
        ));
        let misplaced = file_with(footer, 101);
        assert!(matches!(
            Footer::decode(&misplaced),
            Err(DecodeError::Invalid { .. })
        ));
        assert!(matches!(
            Footer::decode(&good[1..]),
            Err(DecodeError::BadMagic { .. })
                | Err(DecodeError::Invalid { .. })
                | Err(DecodeError::ChecksumMismatch { .. })
        ));
        assert!(matches!(
            Footer::decode(&good[..10]),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
