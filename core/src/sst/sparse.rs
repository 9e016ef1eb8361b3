//! A table read by byte ranges, as a lookup reads it: the footer, then the filter and
//! index, then only the data blocks it needs. The fetched pieces sit at their offsets in a
//! buffer of the table's full size; the rest stays zero and is never read (data blocks are
//! verified when read, and only fetched ones are), so [`SstReader`] works on it unchanged.

use super::footer::{FOOTER_BYTES, Footer};
use super::framing::BlockHandle;
use super::reader::SstReader;
use crate::codec::DecodeError;
use bytes::Bytes;

const WHAT: &str = "sparse sst";
/// The largest table a sparse buffer is made for: a bound on the allocation a size read
/// from a manifest can cause.
pub const SPARSE_SST_BYTES_MAX: u64 = 1 << 32;

/// A table's buffer with some byte ranges filled in.
#[derive(Clone, Debug)]
pub struct SparseSst {
    buffer: Vec<u8>,
}

impl SparseSst {
    /// An empty buffer for a table of `size_bytes` (from the manifest). Fails when the
    /// table cannot even hold a footer or does not fit in memory.
    pub fn new(size_bytes: u64) -> Result<SparseSst, DecodeError> {
        let bounded = Some(size_bytes).filter(|size| *size <= SPARSE_SST_BYTES_MAX);
        let size = bounded.and_then(|size| usize::try_from(size).ok());
        let size = size.ok_or_else(|| DecodeError::Invalid {
            what: WHAT,
            offset: 0,
            detail: format!(
                "a table of {size_bytes} bytes is larger than {SPARSE_SST_BYTES_MAX} bytes"
            ),
        })?;
        if size < FOOTER_BYTES {
            return Err(DecodeError::Truncated {
                what: WHAT,
                offset: 0,
                needed_bytes: FOOTER_BYTES,
                available_bytes: size,
            });
        }
        Ok(SparseSst {
            buffer: vec![0; size],
        })
    }

    pub fn size_bytes(&self) -> u64 {
        self.buffer.len() as u64
    }

    /// The byte range of the footer: the first fetch.
    pub fn footer_range(&self) -> (u64, u64) {
        let size = self.size_bytes();
        (size.saturating_sub(FOOTER_BYTES as u64), size)
    }

    /// Copies `bytes`, fetched from `start`, into place. Fails when they do not fit.
    pub fn fill(&mut self, start: u64, bytes: &[u8]) -> Result<(), DecodeError> {
        let start_index = usize::try_from(start).unwrap_or(usize::MAX);
        let slot = start_index
            .checked_add(bytes.len())
            .and_then(|end| self.buffer.get_mut(start_index..end));
        match slot {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(DecodeError::Invalid {
                what: WHAT,
                offset: start_index,
                detail: format!(
                    "{} bytes at {start} overrun a table of {} bytes",
                    bytes.len(),
                    self.buffer.len()
                ),
            }),
        }
    }

    /// With the footer filled in: the byte range of the filter and index (the second
    /// fetch), which end where the footer starts.
    pub fn metadata_range(&self) -> Result<(u64, u64), DecodeError> {
        let footer = Footer::decode(&self.buffer)?;
        let start = footer
            .filter
            .map_or(footer.index.offset, |filter| filter.offset);
        Ok((start, self.footer_range().0))
    }

    /// The reader over what is filled in so far (footer, filter and index verified).
    pub fn reader(&self) -> Result<SstReader, DecodeError> {
        SstReader::open(Bytes::copy_from_slice(&self.buffer))
    }

    /// The byte range of data block `block` per `reader`'s index (checksum trailer
    /// included).
    pub fn block_range(reader: &SstReader, block: usize) -> Option<(u64, u64)> {
        let BlockHandle { offset, len } = reader.block_handle(block)?;
        Some((offset, offset.checked_add(len)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ranges_out_of_bounds_are_typed_errors() {
        assert!(SparseSst::new(3).is_err());
        assert!(SparseSst::new(SPARSE_SST_BYTES_MAX + 1).is_err());
        let mut sparse = SparseSst::new(100).unwrap_or_else(|_| unreachable!());
        assert!(sparse.fill(90, &[0; 11]).is_err());
        assert!(sparse.fill(u64::MAX, &[0; 1]).is_err());
        assert!(sparse.fill(90, &[0; 10]).is_ok());
        // An all-zero footer is not a footer.
        assert!(sparse.metadata_range().is_err());
        assert!(sparse.reader().is_err());
    }
}
