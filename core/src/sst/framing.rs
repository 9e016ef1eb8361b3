//! Block framing shared by data, filter and index blocks: the payload, then a CRC-32C
//! trailer. The checksum also covers a one-byte kind tag that is not stored, so a handle
//! that points at the wrong kind of block fails its checksum instead of being misread.

use crate::checksum::crc32c_parts;
use crate::codec::DecodeError;

/// Size of the CRC-32C trailer after every block payload.
pub const BLOCK_TRAILER_BYTES: usize = 4;

/// What a block holds; mixed into its checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Data = 1,
    Filter = 2,
    Index = 3,
}

impl BlockKind {
    pub(crate) fn what(self) -> &'static str {
        match self {
            BlockKind::Data => "sst data block",
            BlockKind::Filter => "sst filter block",
            BlockKind::Index => "sst index block",
        }
    }

    fn tag(self) -> [u8; 1] {
        [self as u8]
    }
}

/// Where a block lies in the SST object: byte offset and length, trailer included. This is
/// the byte range a reader fetches to read the block on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockHandle {
    pub offset: u64,
    pub len: u64,
}

impl BlockHandle {
    /// Offset one past the block's last byte; `None` on overflow.
    pub fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.len)
    }
}

/// Appends the checksum trailer of the block whose payload is `out[payload_start..]`.
pub(crate) fn seal_block(out: &mut Vec<u8>, payload_start: usize, kind: BlockKind) {
    assert!(
        payload_start <= out.len(),
        "{} payload starts at {payload_start}, past the {}-byte output",
        kind.what(),
        out.len()
    );
    let sealed_len = out.len() + BLOCK_TRAILER_BYTES;
    let crc = crc32c_parts(&[&out[payload_start..], &kind.tag()]);
    out.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(out.len(), sealed_len);
}

/// The payload and stored checksum of the block at `handle` in `file`, after checking that
/// the block lies in the file. The checksum is not verified: see [`unseal_block`].
pub(crate) fn locate_block(
    file: &[u8],
    handle: BlockHandle,
    kind: BlockKind,
) -> Result<(&[u8], u32), DecodeError> {
    let what = kind.what();
    let offset = usize::try_from(handle.offset).unwrap_or(usize::MAX);
    let block = usize::try_from(handle.len)
        .ok()
        .and_then(|len| Some(offset..offset.checked_add(len)?))
        .and_then(|range| file.get(range))
        .ok_or_else(|| DecodeError::Invalid {
            what,
            offset,
            detail: format!(
                "block at {} of {} bytes lies outside the {}-byte object",
                handle.offset,
                handle.len,
                file.len()
            ),
        })?;
    let Some(payload_len) = block.len().checked_sub(BLOCK_TRAILER_BYTES) else {
        return Err(DecodeError::Truncated {
            what,
            offset,
            needed_bytes: BLOCK_TRAILER_BYTES,
            available_bytes: block.len(),
        });
    };
    let (payload, trailer) = block.split_at(payload_len);
    assert_eq!(trailer.len(), BLOCK_TRAILER_BYTES);
    let mut stored = [0u8; BLOCK_TRAILER_BYTES];
    stored.copy_from_slice(trailer);
    Ok((payload, u32::from_le_bytes(stored)))
}

/// The payload of the block at `handle` in `file`, after checking that it lies in the file
/// and that its checksum matches.
pub(crate) fn unseal_block(
    file: &[u8],
    handle: BlockHandle,
    kind: BlockKind,
) -> Result<&[u8], DecodeError> {
    let (payload, stored) = locate_block(file, handle, kind)?;
    let computed = crc32c_parts(&[payload, &kind.tag()]);
    if stored != computed {
        return Err(DecodeError::ChecksumMismatch {
            what: kind.what(),
            offset: usize::try_from(handle.offset).unwrap_or(usize::MAX),
            stored,
            computed,
        });
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blocks_unseal_only_as_their_own_kind() {
        let mut file = b"prefix".to_vec();
        let start = file.len();
        file.extend_from_slice(b"payload");
        seal_block(&mut file, start, BlockKind::Index);
        let handle = BlockHandle {
            offset: start as u64,
            len: (file.len() - start) as u64,
        };
        assert_eq!(
            unseal_block(&file, handle, BlockKind::Index).unwrap(),
            b"payload"
        );
        assert!(matches!(
            unseal_block(&file, handle, BlockKind::Data),
            Err(DecodeError::ChecksumMismatch { .. })
        ));
        let past_end = BlockHandle {
            offset: start as u64,
            len: handle.len + 1,
        };
        assert!(matches!(
            unseal_block(&file, past_end, BlockKind::Index),
            Err(DecodeError::Invalid { .. })
        ));
        let short = BlockHandle { offset: 0, len: 3 };
        assert!(matches!(
            unseal_block(&file, short, BlockKind::Index),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
