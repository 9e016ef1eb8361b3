//! One group commit: its entries, and their encoding inside a checksummed frame.
//!
//! Frame: body length u32, CRC-32C u32 of (length bytes ++ body), body. Body: entry count
//! (varint), then per entry: kind u8, sequence number (varint), key (varint length + bytes),
//! expiry tag u8 (0 none, 1 followed by a varint of milliseconds), value (varint length +
//! bytes).

use crate::checksum::crc32c_parts;
use crate::codec::{DecodeError, Reader, put_len_prefixed, put_varint};
use crate::entry::{Entry, EntryKind, InternalKey};
use crate::ids::SeqNum;
use crate::wal::error::WalEncodeError;
use bytes::Bytes;

/// Length and checksum of a frame.
pub(crate) const FRAME_OVERHEAD_BYTES: usize = 8;
/// The smallest encoded entry: kind, one-byte seq, empty key, expiry tag, empty value.
const ENTRY_MIN_BYTES: usize = 5;
const EXPIRY_NONE: u8 = 0;
const EXPIRY_SOME: u8 = 1;

/// The entries of one group commit, in the order they were assigned sequence numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WalBatch {
    pub entries: Vec<Entry>,
}

impl WalBatch {
    pub fn new(entries: Vec<Entry>) -> WalBatch {
        WalBatch { entries }
    }

    /// Sequence number of the last entry (the largest, since they strictly increase).
    pub fn last_seq(&self) -> Option<SeqNum> {
        self.entries.last().map(Entry::seq)
    }
}

/// True when `seq` may follow `previous` in a segment: strictly increasing.
pub(crate) fn seq_follows(previous: Option<SeqNum>, seq: SeqNum) -> bool {
    previous.is_none_or(|previous| seq > previous)
}

fn tombstone_well_formed(entry: &Entry) -> bool {
    entry.kind != EntryKind::Delete || (entry.value.is_empty() && entry.expires_at_ms.is_none())
}

/// Checks what the decoder checks, so the writer never writes a segment it cannot read.
/// Returns the batch's last sequence number.
pub(crate) fn validate_batch(
    batch: &WalBatch,
    batch_index: usize,
    previous: Option<SeqNum>,
) -> Result<SeqNum, WalEncodeError> {
    let mut last = None;
    for (entry_index, entry) in batch.entries.iter().enumerate() {
        let previous = last.or(previous);
        if !seq_follows(previous, entry.seq()) {
            return Err(WalEncodeError::SeqNotIncreasing {
                batch_index,
                entry_index,
                previous: previous.unwrap_or_default(),
                seq: entry.seq(),
            });
        }
        if !tombstone_well_formed(entry) {
            return Err(WalEncodeError::MalformedTombstone {
                batch_index,
                entry_index,
            });
        }
        last = Some(entry.seq());
    }
    assert!(last.is_none() || seq_follows(previous, last.unwrap_or_default()));
    // `last`, not `previous`: a batch with no entries of its own is refused.
    last.ok_or(WalEncodeError::EmptyBatch { batch_index })
}

fn encode_entry(entry: &Entry, out: &mut Vec<u8>) {
    out.push(entry.kind as u8);
    put_varint(out, entry.seq().0);
    put_len_prefixed(out, entry.user_key());
    match entry.expires_at_ms {
        None => out.push(EXPIRY_NONE),
        Some(expires_at_ms) => {
            out.push(EXPIRY_SOME);
            put_varint(out, expires_at_ms);
        }
    }
    put_len_prefixed(out, &entry.value);
}

/// Appends the frame of a validated batch.
pub(crate) fn encode_frame(
    batch: &WalBatch,
    batch_index: usize,
    out: &mut Vec<u8>,
) -> Result<(), WalEncodeError> {
    assert!(
        !batch.entries.is_empty(),
        "batches are validated before encoding"
    );
    let mut body = Vec::new();
    put_varint(&mut body, batch.entries.len() as u64);
    for entry in &batch.entries {
        assert!(tombstone_well_formed(entry));
        encode_entry(entry, &mut body);
    }
    let len = u32::try_from(body.len()).map_err(|_| WalEncodeError::BatchTooLarge {
        batch_index,
        size_bytes: body.len(),
    })?;
    let len_bytes = len.to_le_bytes();
    let crc = crc32c_parts(&[&len_bytes, &body]);
    let start = out.len();
    out.extend_from_slice(&len_bytes);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&body);
    assert_eq!(out.len() - start, FRAME_OVERHEAD_BYTES + body.len());
    Ok(())
}

fn invalid(what: &'static str, offset: usize, detail: String) -> DecodeError {
    DecodeError::Invalid {
        what,
        offset,
        detail,
    }
}

fn decode_entry(reader: &mut Reader<'_>, previous: Option<SeqNum>) -> Result<Entry, DecodeError> {
    let entry_offset = reader.offset();
    let kind_byte = reader.u8("wal entry kind")?;
    let kind = EntryKind::from_u8(kind_byte).ok_or_else(|| {
        invalid(
            "wal entry kind",
            entry_offset,
            format!("unknown kind {kind_byte}"),
        )
    })?;
    let seq_offset = reader.offset();
    let seq = SeqNum(reader.varint("wal entry sequence number")?);
    if !seq_follows(previous, seq) {
        let previous = previous.unwrap_or_default();
        return Err(invalid(
            "wal entry sequence number",
            seq_offset,
            format!("{seq} does not follow {previous}"),
        ));
    }
    let key_len = reader.varint_len("wal entry key length")?;
    let key = reader.take(key_len, "wal entry key")?;
    let expiry_offset = reader.offset();
    let expires_at_ms = match reader.u8("wal entry expiry tag")? {
        EXPIRY_NONE => None,
        EXPIRY_SOME => Some(reader.varint("wal entry expiry")?),
        tag => {
            return Err(invalid(
                "wal entry expiry tag",
                expiry_offset,
                format!("unknown tag {tag}"),
            ));
        }
    };
    let value_len = reader.varint_len("wal entry value length")?;
    let value = reader.take(value_len, "wal entry value")?;
    let entry = Entry {
        key: InternalKey::new(Bytes::copy_from_slice(key), seq),
        kind,
        value: Bytes::copy_from_slice(value),
        expires_at_ms,
    };
    if !tombstone_well_formed(&entry) {
        return Err(invalid(
            "wal entry",
            entry_offset,
            "tombstone with a value or an expiry".to_string(),
        ));
    }
    Ok(entry)
}

fn decode_body(reader: &mut Reader<'_>, previous: Option<SeqNum>) -> Result<WalBatch, DecodeError> {
    let count_offset = reader.offset();
    let count = reader.varint("wal batch entry count")?;
    if count == 0 || count > (reader.remaining() / ENTRY_MIN_BYTES) as u64 {
        return Err(invalid(
            "wal batch entry count",
            count_offset,
            format!("{count} entries cannot fit {} bytes", reader.remaining()),
        ));
    }
    // Bounded by the body length just above.
    let mut entries = Vec::with_capacity(count as usize);
    let mut last = previous;
    for _ in 0..count {
        let entry = decode_entry(reader, last)?;
        assert!(
            seq_follows(last, entry.seq()),
            "decode_entry checks the order"
        );
        last = Some(entry.seq());
        entries.push(entry);
    }
    if !reader.is_empty() {
        return Err(invalid(
            "wal batch",
            reader.offset(),
            format!("{} bytes after the last entry", reader.remaining()),
        ));
    }
    Ok(WalBatch { entries })
}

/// Decodes one frame at the reader's position; its first sequence number must follow
/// `previous`.
pub(crate) fn decode_frame(
    reader: &mut Reader<'_>,
    previous: Option<SeqNum>,
) -> Result<WalBatch, DecodeError> {
    let frame_offset = reader.offset();
    let len = reader.u32("wal batch length")?;
    let stored = reader.u32("wal batch checksum")?;
    let body_offset = reader.offset();
    let body = reader.take(len as usize, "wal batch body")?;
    let computed = crc32c_parts(&[&len.to_le_bytes(), body]);
    if stored != computed {
        return Err(DecodeError::ChecksumMismatch {
            what: "wal batch",
            offset: frame_offset,
            stored,
            computed,
        });
    }
    decode_body(&mut Reader::with_base(body, body_offset), previous)
}
