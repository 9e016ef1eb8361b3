//! Rewrites the checksums of a (mutated) object so that it passes them: without this, almost
//! every mutation dies at the first CRC and the fuzzer never reaches the parsing behind it.
//! Each target decodes the input both as given and re-sealed.

use bytes::Bytes;
use lsm_core::checksum::{crc32c, crc32c_parts};
use lsm_core::sst::{BLOCK_TRAILER_BYTES, FOOTER_BYTES, SstReader};
use lsm_core::wal::WAL_HEADER_LEN;

const CRC_BYTES: usize = 4;

/// `magic | version | body | crc32c(everything before)`: the manifest and the remote job
/// and result messages.
pub fn reseal_trailer(bytes: &mut [u8]) {
    let Some(at) = bytes.len().checked_sub(CRC_BYTES) else {
        return;
    };
    let (covered, trailer) = bytes.split_at_mut(at);
    trailer.copy_from_slice(&crc32c(covered).to_le_bytes());
}

/// A WAL segment: the header checksum, then each frame's (`len u32 | crc u32 | body`, the
/// checksum over length and body) as far as the frames lie inside the input.
pub fn reseal_wal(bytes: &mut [u8]) {
    let header_crc_at = WAL_HEADER_LEN - CRC_BYTES;
    if bytes.len() < WAL_HEADER_LEN {
        return;
    }
    let crc = crc32c(&bytes[..header_crc_at]);
    bytes[header_crc_at..WAL_HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    let mut at = WAL_HEADER_LEN;
    // Each frame moves `at` forward by at least its 8-byte head, so this ends.
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(end) = (at + 8).checked_add(len).filter(|end| *end <= bytes.len()) else {
            return;
        };
        let crc = crc32c_parts(&[&bytes[at..at + 4], &bytes[at + 8..end]]);
        bytes[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
}

/// Block kinds as the SST format tags them in each block's checksum.
const KIND_DATA: u8 = 1;
const KIND_FILTER: u8 = 2;
const KIND_INDEX: u8 = 3;
/// Footer bytes before its checksum field (four u64 handle fields).
const FOOTER_CRC_AT: usize = 8 * 4;

/// An SST: the footer, the filter and index blocks it names, then (if the table now opens)
/// every data block its index names.
pub fn reseal_sst(bytes: &mut [u8]) {
    let Some(footer_start) = bytes.len().checked_sub(FOOTER_BYTES) else {
        return;
    };
    let crc_at = footer_start + FOOTER_CRC_AT;
    let crc = crc32c_parts(&[&bytes[footer_start..crc_at], &bytes[crc_at + CRC_BYTES..]]);
    bytes[crc_at..crc_at + CRC_BYTES].copy_from_slice(&crc.to_le_bytes());
    let field = |index: usize| {
        let at = footer_start + 8 * index;
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(word)
    };
    let (filter_offset, filter_len) = (field(0), field(1));
    let (index_offset, index_len) = (field(2), field(3));
    if filter_len > 0 {
        reseal_block(bytes, filter_offset, filter_len, KIND_FILTER);
    }
    reseal_block(bytes, index_offset, index_len, KIND_INDEX);
    let Ok(reader) = SstReader::open(Bytes::copy_from_slice(bytes)) else {
        return;
    };
    for block in 0..reader.block_count() {
        if let Some(handle) = reader.block_handle(block) {
            reseal_block(bytes, handle.offset, handle.len, KIND_DATA);
        }
    }
}

/// The trailer of the block at `offset` of `len` bytes (trailer included), if it lies in
/// `bytes`; the checksum covers the payload and the kind tag.
fn reseal_block(bytes: &mut [u8], offset: u64, len: u64, kind: u8) {
    let (Ok(start), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) else {
        return;
    };
    let Some(end) = start.checked_add(len).filter(|end| *end <= bytes.len()) else {
        return;
    };
    if len < BLOCK_TRAILER_BYTES {
        return;
    }
    let trailer_at = end - BLOCK_TRAILER_BYTES;
    let crc = crc32c_parts(&[&bytes[start..trailer_at], &[kind]]);
    bytes[trailer_at..end].copy_from_slice(&crc.to_le_bytes());
}
