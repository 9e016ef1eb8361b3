//! Bounds-checked little-endian decoding shared by every format. Every read returns a typed
//! [`DecodeError`] that says what was being read and where, never a panic.

use std::fmt;

/// Why bytes could not be decoded. `offset` is from the start of the object being decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before `what` was complete.
    Truncated {
        what: &'static str,
        offset: usize,
        needed_bytes: usize,
        available_bytes: usize,
    },
    /// A stored checksum does not match the bytes it covers.
    ChecksumMismatch {
        what: &'static str,
        offset: usize,
        stored: u32,
        computed: u32,
    },
    /// The magic number that identifies the format is wrong: not this kind of object.
    BadMagic {
        what: &'static str,
        offset: usize,
        found: u64,
    },
    /// Written by a format version this build does not read.
    UnsupportedVersion { what: &'static str, found: u32 },
    /// Well-formed bytes with a meaning that violates the format (an out-of-order key, an
    /// unknown tag, an offset out of range...).
    Invalid {
        what: &'static str,
        offset: usize,
        detail: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated {
                what,
                offset,
                needed_bytes,
                available_bytes,
            } => write!(
                f,
                "truncated {what} at byte {offset}: needed {needed_bytes} bytes, {available_bytes} available"
            ),
            DecodeError::ChecksumMismatch {
                what,
                offset,
                stored,
                computed,
            } => write!(
                f,
                "checksum mismatch in {what} at byte {offset}: stored {stored:#010x}, computed {computed:#010x}"
            ),
            DecodeError::BadMagic {
                what,
                offset,
                found,
            } => {
                write!(f, "bad magic for {what} at byte {offset}: found {found:#x}")
            }
            DecodeError::UnsupportedVersion { what, found } => {
                write!(f, "unsupported {what} format version {found}")
            }
            DecodeError::Invalid {
                what,
                offset,
                detail,
            } => write!(f, "invalid {what} at byte {offset}: {detail}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over a byte slice. `base_offset` makes reported offsets absolute when the slice
/// is a part (a block) of a larger object.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    base_offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader::with_base(bytes, 0)
    }

    pub fn with_base(bytes: &'a [u8], base_offset: usize) -> Reader<'a> {
        Reader {
            bytes,
            position: 0,
            base_offset,
        }
    }

    /// Absolute offset of the next byte to be read.
    pub fn offset(&self) -> usize {
        self.base_offset + self.position
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if len > self.remaining() {
            return Err(DecodeError::Truncated {
                what,
                offset: self.offset(),
                needed_bytes: len,
                available_bytes: self.remaining(),
            });
        }
        let start = self.position;
        self.position += len;
        assert!(self.position <= self.bytes.len());
        Ok(&self.bytes[start..self.position])
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let mut buf = [0u8; 2];
        buf.copy_from_slice(self.take(2, what)?);
        Ok(u16::from_le_bytes(buf))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4, what)?);
        Ok(u32::from_le_bytes(buf))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(buf))
    }

    /// A LEB128 varint of at most 10 bytes.
    pub fn varint(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let start = self.offset();
        let mut value: u64 = 0;
        for index in 0..10u32 {
            let byte = self.u8(what)?;
            let low = u64::from(byte & 0x7f);
            if index == 9 && byte > 1 {
                return Err(DecodeError::Invalid {
                    what,
                    offset: start,
                    detail: "varint overflows 64 bits".to_string(),
                });
            }
            value |= low << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::Invalid {
            what,
            offset: start,
            detail: "varint longer than 10 bytes".to_string(),
        })
    }

    /// A varint length that must fit in what is left of the input.
    pub fn varint_len(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let offset = self.offset();
        let len = self.varint(what)?;
        if len > self.remaining() as u64 {
            return Err(DecodeError::Truncated {
                what,
                offset,
                needed_bytes: usize::try_from(len).unwrap_or(usize::MAX),
                available_bytes: self.remaining(),
            });
        }
        Ok(len as usize)
    }
}

/// Appends a LEB128 varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    let start = out.len();
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
    // `Reader::varint` reads at most ten bytes.
    debug_assert!(out.len() - start <= 10);
}

/// Appends a varint length followed by the bytes.
#[inline]
pub fn put_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overlong() {
        for value in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut reader = Reader::new(&out);
            assert_eq!(reader.varint("test").unwrap(), value);
            assert!(reader.is_empty());
        }
        let overlong = [0xffu8; 11];
        assert!(matches!(
            Reader::new(&overlong).varint("test"),
            Err(DecodeError::Invalid { .. })
        ));
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(matches!(
            Reader::new(&overflow).varint("test"),
            Err(DecodeError::Invalid { .. })
        ));
    }

    #[test]
    fn reads_past_the_end_are_truncation_errors_with_offsets() {
        let bytes = [1u8, 2, 3];
        let mut reader = Reader::with_base(&bytes, 100);
        assert_eq!(reader.u16("a").unwrap(), 0x0201);
        assert_eq!(
            reader.u32("b"),
            Err(DecodeError::Truncated {
                what: "b",
                offset: 102,
                needed_bytes: 4,
                available_bytes: 1
            })
        );
    }
}
