//! How one entry is encoded inside a data block:
//!
//! ```text
//! varint key_len | key | varint seq | u8 flags | [u64 expires_at_ms] | varint value_len | value
//! ```
//!
//! `flags` holds the entry kind in its low two bits and [`FLAG_HAS_EXPIRY`] in its top bit;
//! any other bit set is invalid. The internal key comes first so a search decodes only it.

use crate::codec::{DecodeError, Reader, put_varint};
use crate::entry::{Entry, EntryKind, InternalKey, WallMs};
use crate::ids::SeqNum;
use bytes::Bytes;

/// Set in `flags` when an expiry time follows.
pub(crate) const FLAG_HAS_EXPIRY: u8 = 0x80;
const KIND_MASK: u8 = 0x03;

const WHAT_KEY: &str = "sst entry key";
const WHAT_SEQ: &str = "sst entry sequence number";
const WHAT_FLAGS: &str = "sst entry flags";
const WHAT_EXPIRY: &str = "sst entry expiry";
const WHAT_VALUE: &str = "sst entry value";

/// Bytes a LEB128 varint of `value` takes.
pub(crate) fn varint_len(value: u64) -> usize {
    let significant_bits = 64 - value.max(1).leading_zeros() as usize;
    let len = significant_bits.div_ceil(7);
    assert!((1..=10).contains(&len));
    len
}

/// Encoded size of `entry`, without encoding it.
pub(crate) fn encoded_len(entry: &Entry) -> usize {
    let key_len = entry.key.user_key.len();
    let value_len = entry.value.len();
    let expiry_len = if entry.expires_at_ms.is_some() { 8 } else { 0 };
    varint_len(key_len as u64)
        + key_len
        + varint_len(entry.key.seq.0)
        + 1
        + expiry_len
        + varint_len(value_len as u64)
        + value_len
}

/// Appends the encoding of `entry`.
pub(crate) fn encode(out: &mut Vec<u8>, entry: &Entry) {
    let start = out.len();
    put_varint(out, entry.key.user_key.len() as u64);
    out.extend_from_slice(&entry.key.user_key);
    put_varint(out, entry.key.seq.0);
    let mut flags = entry.kind as u8;
    if entry.expires_at_ms.is_some() {
        flags |= FLAG_HAS_EXPIRY;
    }
    out.push(flags);
    if let Some(expires_at_ms) = entry.expires_at_ms {
        out.extend_from_slice(&expires_at_ms.to_le_bytes());
    }
    put_varint(out, entry.value.len() as u64);
    out.extend_from_slice(&entry.value);
    // Paired with the block writer's size prediction, which relies on `encoded_len`.
    assert_eq!(out.len() - start, encoded_len(entry));
}

/// An entry decoded in place: slices into the block, nothing copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry<'a> {
    pub user_key: &'a [u8],
    pub seq: SeqNum,
    pub kind: EntryKind,
    pub value: &'a [u8],
    pub expires_at_ms: Option<WallMs>,
}

impl RawEntry<'_> {
    /// The owned entry, sharing `file`'s buffer; the slices must lie within `file`.
    pub(crate) fn to_entry(self, file: &Bytes) -> Entry {
        Entry {
            key: InternalKey {
                user_key: file.slice_ref(self.user_key),
                seq: self.seq,
            },
            kind: self.kind,
            value: file.slice_ref(self.value),
            expires_at_ms: self.expires_at_ms,
        }
    }
}

/// Decodes the internal key at the reader's position, leaving it after the sequence number.
pub(crate) fn decode_key<'a>(reader: &mut Reader<'a>) -> Result<(&'a [u8], SeqNum), DecodeError> {
    let key_len = reader.varint_len(WHAT_KEY)?;
    let user_key = reader.take(key_len, WHAT_KEY)?;
    let seq = SeqNum(reader.varint(WHAT_SEQ)?);
    Ok((user_key, seq))
}

/// Decodes a whole entry at the reader's position.
pub(crate) fn decode<'a>(reader: &mut Reader<'a>) -> Result<RawEntry<'a>, DecodeError> {
    let (user_key, seq) = decode_key(reader)?;
    let flags_offset = reader.offset();
    let flags = reader.u8(WHAT_FLAGS)?;
    let kind = EntryKind::from_u8(flags & KIND_MASK);
    let (Some(kind), 0) = (kind, flags & !(KIND_MASK | FLAG_HAS_EXPIRY)) else {
        return Err(DecodeError::Invalid {
            what: WHAT_FLAGS,
            offset: flags_offset,
            detail: format!("unknown entry flags {flags:#04x}"),
        });
    };
    let expires_at_ms = if flags & FLAG_HAS_EXPIRY != 0 {
        Some(reader.u64(WHAT_EXPIRY)?)
    } else {
        None
    };
    let value_len = reader.varint_len(WHAT_VALUE)?;
    let value = reader.take(value_len, WHAT_VALUE)?;
    Ok(RawEntry {
        user_key,
        seq,
        kind,
        value,
        expires_at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_len_matches_the_encoder() {
        for value in [0u64, 1, 127, 128, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(varint_len(value), out.len(), "value {value}");
        }
    }

    #[test]
    fn entries_round_trip_with_their_encoded_length() {
        let entries = [
            Entry::put(&b"key"[..], SeqNum(7), &b"value"[..]),
            Entry::put_expiring(&b""[..], SeqNum(u64::MAX), vec![9u8; 300], 1234),
            Entry::delete(&b"gone"[..], SeqNum(0)),
        ];
        for entry in &entries {
            let mut out = Vec::new();
            encode(&mut out, entry);
            assert_eq!(out.len(), encoded_len(entry));
            let file = Bytes::from(out);
            let mut reader = Reader::new(&file);
            let raw = decode(&mut reader).unwrap();
            assert!(reader.is_empty());
            assert_eq!(&raw.to_entry(&file), entry);
        }
    }

    #[test]
    fn unknown_flags_are_invalid() {
        let mut out = Vec::new();
        encode(&mut out, &Entry::put(&b"k"[..], SeqNum(1), &b"v"[..]));
        let flags_at = 1 + 1 + 1;
        for bad in [0u8, 3, 0x04, 0x41, 0x83] {
            out[flags_at] = bad;
            assert!(
                matches!(
                    decode(&mut Reader::new(&out)),
                    Err(DecodeError::Invalid { .. }) | Err(DecodeError::Truncated { .. })
                ),
                "flags {bad:#x}"
            );
        }
    }
}
