//! How one entry is encoded inside a data block:
//!
//! ```text
//! varint shared_len | varint suffix_len | key suffix | varint seq | u8 flags
//! | [u64 expires_at_ms] | varint value_len | value
//! ```
//!
//! The user key is the first `shared_len` bytes of the previous entry's key followed by the
//! suffix; at a restart point `shared_len` is 0 and the suffix is the whole key. `flags`
//! holds the entry kind in its low two bits and [`FLAG_HAS_EXPIRY`] in its top bit; any
//! other bit set is invalid. The key comes first so a search decodes only it.

use crate::codec::{DecodeError, Reader, put_varint};
use crate::entry::{Entry, EntryKind, InternalKey, WallMs};
use crate::ids::SeqNum;
use bytes::Bytes;

/// Set in `flags` when an expiry time follows.
pub(crate) const FLAG_HAS_EXPIRY: u8 = 0x80;
const KIND_MASK: u8 = 0x03;

const WHAT_SHARED: &str = "sst entry shared key length";
const WHAT_KEY: &str = "sst entry key suffix";
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

/// Encoded size of `entry` when its key shares `shared_len` bytes with the previous one,
/// without encoding it.
pub(crate) fn encoded_len(entry: &Entry, shared_len: usize) -> usize {
    assert!(shared_len <= entry.key.user_key.len());
    let suffix_len = entry.key.user_key.len() - shared_len;
    let value_len = entry.value.len();
    let expiry_len = if entry.expires_at_ms.is_some() { 8 } else { 0 };
    varint_len(shared_len as u64)
        + varint_len(suffix_len as u64)
        + suffix_len
        + varint_len(entry.key.seq.0)
        + 1
        + expiry_len
        + varint_len(value_len as u64)
        + value_len
}

/// Appends the encoding of `entry`, whose key shares its first `shared_len` bytes with the
/// previous entry's key (the caller's to know; 0 stores the key whole).
pub(crate) fn encode(out: &mut Vec<u8>, entry: &Entry, shared_len: usize) {
    let start = out.len();
    let suffix = &entry.key.user_key[shared_len..];
    put_varint(out, shared_len as u64);
    put_varint(out, suffix.len() as u64);
    out.extend_from_slice(suffix);
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
    assert_eq!(out.len() - start, encoded_len(entry, shared_len));
}

/// An entry decoded in place: the value, and the key when stored whole, are slices into the
/// block; a delta-encoded key lies in the reader's key buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry<'a> {
    pub user_key: &'a [u8],
    /// Whether `user_key` lies in the table's buffer (stored whole) rather than being
    /// rebuilt from a shared prefix.
    pub key_in_block: bool,
    pub seq: SeqNum,
    pub kind: EntryKind,
    pub value: &'a [u8],
    pub expires_at_ms: Option<WallMs>,
}

impl RawEntry<'_> {
    /// The owned entry, sharing `file`'s buffer (a rebuilt key is copied); the block slices
    /// must lie within `file`.
    pub(crate) fn to_entry(self, file: &Bytes) -> Entry {
        let user_key = if self.key_in_block {
            file.slice_ref(self.user_key)
        } else {
            Bytes::copy_from_slice(self.user_key)
        };
        Entry {
            key: InternalKey {
                user_key,
                seq: self.seq,
            },
            kind: self.kind,
            value: file.slice_ref(self.value),
            expires_at_ms: self.expires_at_ms,
        }
    }
}

/// The key part of an entry: how much of the previous key it keeps, and what follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyDelta<'a> {
    pub shared_len: usize,
    pub suffix: &'a [u8],
}

/// Decodes the key part at the reader's position, leaving it at the sequence number.
pub(crate) fn decode_delta<'a>(reader: &mut Reader<'a>) -> Result<KeyDelta<'a>, DecodeError> {
    let shared_len = usize::try_from(reader.varint(WHAT_SHARED)?).unwrap_or(usize::MAX);
    let suffix_len = reader.varint_len(WHAT_KEY)?;
    let suffix = reader.take(suffix_len, WHAT_KEY)?;
    Ok(KeyDelta { shared_len, suffix })
}

/// What follows the key: sequence number, kind, expiry and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Body<'a> {
    pub seq: SeqNum,
    pub kind: EntryKind,
    pub value: &'a [u8],
    pub expires_at_ms: Option<WallMs>,
}

/// Decodes the rest of an entry after its key part.
pub(crate) fn decode_body<'a>(reader: &mut Reader<'a>) -> Result<Body<'a>, DecodeError> {
    let seq = SeqNum(reader.varint(WHAT_SEQ)?);
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
    Ok(Body {
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

    fn decode(bytes: &[u8]) -> Result<(KeyDelta<'_>, Body<'_>), DecodeError> {
        let mut reader = Reader::new(bytes);
        let delta = decode_delta(&mut reader)?;
        let body = decode_body(&mut reader)?;
        assert!(reader.is_empty());
        Ok((delta, body))
    }

    #[test]
    fn entries_round_trip_with_their_encoded_length() {
        let entries = [
            Entry::put(&b"key"[..], SeqNum(7), &b"value"[..]),
            Entry::put_expiring(&b""[..], SeqNum(u64::MAX), vec![9u8; 300], 1234),
            Entry::delete(&b"gone"[..], SeqNum(0)),
        ];
        for entry in &entries {
            for shared_len in 0..=entry.key.user_key.len() {
                let mut out = Vec::new();
                encode(&mut out, entry, shared_len);
                assert_eq!(out.len(), encoded_len(entry, shared_len));
                let (delta, body) = decode(&out).unwrap();
                assert_eq!(delta.shared_len, shared_len);
                assert_eq!(delta.suffix, &entry.key.user_key[shared_len..]);
                assert_eq!(body.seq, entry.key.seq);
                assert_eq!(body.kind, entry.kind);
                assert_eq!(body.value, &entry.value[..]);
                assert_eq!(body.expires_at_ms, entry.expires_at_ms);
            }
        }
    }

    #[test]
    fn unknown_flags_are_invalid() {
        let mut out = Vec::new();
        encode(&mut out, &Entry::put(&b"k"[..], SeqNum(1), &b"v"[..]), 0);
        let flags_at = 1 + 1 + 1 + 1;
        for bad in [0u8, 3, 0x04, 0x41, 0x83] {
            out[flags_at] = bad;
            assert!(
                matches!(
                    decode(&out),
                    Err(DecodeError::Invalid { .. }) | Err(DecodeError::Truncated { .. })
                ),
                "flags {bad:#x}"
            );
        }
    }
}
