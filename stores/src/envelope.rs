//! The local-files object format: local files have no user metadata and no etag that
//! changes on every write (`object_store`'s is inode-mtime-size, which repeats when an inode
//! is reused within one mtime tick), so each file carries a header:
//!
//! ```text
//! magic "SEDOBJ1\n" | etag: 32 hex digits | body length: u64 LE | attributes length: u32 LE
//! attributes: count u32 LE, then per attribute key and value, each u32 LE length + UTF-8
//! body
//! ```
//!
//! The etag is 128 random bits drawn per write, so it changes on every put, as the
//! simulated store's does.

use lsm_core::store::{Attributes, ETag};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

pub const MAGIC: &[u8; 8] = b"SEDOBJ1\n";
const ETAG_LEN: usize = 32;
/// Bytes before the attributes.
pub const FIXED_LEN: usize = MAGIC.len() + ETAG_LEN + 8 + 4;
/// Attribute blocks larger than this are refused on read (a corrupt length).
const ATTRIBUTES_LEN_MAX: u32 = 1 << 20;

/// Why a file is not an object this crate wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeError(pub String);

/// The fixed part of a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixed {
    pub etag: ETag,
    pub body_len: u64,
    pub attributes_len: u32,
}

impl Fixed {
    /// Where the body starts in the file.
    pub fn body_offset(&self) -> u64 {
        FIXED_LEN as u64 + u64::from(self.attributes_len)
    }
}

/// A fresh etag: 128 bits from a per-process random key, a counter and the time, so tags of
/// two writes never repeat, in one process or across processes.
pub fn fresh_etag() -> ETag {
    static KEYS: OnceLock<std::hash::RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(std::hash::RandomState::new);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    let half = |lane: u64| {
        let mut hasher = keys.build_hasher();
        hasher.write_u64(lane);
        hasher.write_u64(count);
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.finish()
    };
    ETag(format!("{:016x}{:016x}", half(1), half(2)))
}

fn encode_attributes(attributes: &Attributes) -> Vec<u8> {
    let mut out = Vec::new();
    let count = u32::try_from(attributes.len()).expect("fewer than 2^32 attributes");
    out.extend_from_slice(&count.to_le_bytes());
    for (key, value) in attributes {
        for text in [key, value] {
            let len = u32::try_from(text.len()).expect("an attribute shorter than 4 GiB");
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
    }
    out
}

/// The whole file for an object.
pub fn encode(etag: &ETag, attributes: &Attributes, body: &[u8]) -> Vec<u8> {
    assert_eq!(etag.0.len(), ETAG_LEN, "etags are {ETAG_LEN} hex digits");
    let attributes = encode_attributes(attributes);
    let attributes_len = u32::try_from(attributes.len()).expect("attributes under 4 GiB");
    let mut out = Vec::with_capacity(FIXED_LEN + attributes.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(etag.0.as_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&attributes_len.to_le_bytes());
    out.extend_from_slice(&attributes);
    out.extend_from_slice(body);
    out
}

fn error(what: &str) -> EnvelopeError {
    EnvelopeError(format!("not a Sediment object file: {what}"))
}

pub fn decode_fixed(bytes: &[u8]) -> Result<Fixed, EnvelopeError> {
    let fixed = bytes
        .get(..FIXED_LEN)
        .ok_or_else(|| error("short header"))?;
    if &fixed[..MAGIC.len()] != MAGIC {
        return Err(error("bad magic"));
    }
    let etag = &fixed[MAGIC.len()..MAGIC.len() + ETAG_LEN];
    if !etag.iter().all(u8::is_ascii_hexdigit) {
        return Err(error("bad etag"));
    }
    let at = MAGIC.len() + ETAG_LEN;
    let mut body_len = [0u8; 8];
    body_len.copy_from_slice(&fixed[at..at + 8]);
    let mut attributes_len = [0u8; 4];
    attributes_len.copy_from_slice(&fixed[at + 8..at + 12]);
    let attributes_len = u32::from_le_bytes(attributes_len);
    if attributes_len > ATTRIBUTES_LEN_MAX {
        return Err(error("attribute block too long"));
    }
    Ok(Fixed {
        etag: ETag(String::from_utf8_lossy(etag).into_owned()),
        body_len: u64::from_le_bytes(body_len),
        attributes_len,
    })
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], EnvelopeError> {
    if bytes.len() < len {
        return Err(error("attributes truncated"));
    }
    let (head, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(head)
}

fn take_u32(bytes: &mut &[u8]) -> Result<u32, EnvelopeError> {
    let mut word = [0u8; 4];
    word.copy_from_slice(take(bytes, 4)?);
    Ok(u32::from_le_bytes(word))
}

pub fn decode_attributes(mut bytes: &[u8]) -> Result<Attributes, EnvelopeError> {
    let count = take_u32(&mut bytes)?;
    let mut attributes = Attributes::new();
    for _ in 0..count {
        let mut pair = [String::new(), String::new()];
        for text in &mut pair {
            let len = take_u32(&mut bytes)? as usize;
            *text = String::from_utf8(take(&mut bytes, len)?.to_vec())
                .map_err(|_| error("attribute not UTF-8"))?;
        }
        let [key, value] = pair;
        attributes.insert(key, value);
    }
    if !bytes.is_empty() {
        return Err(error("bytes after the attributes"));
    }
    Ok(attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut attributes = Attributes::new();
        attributes.insert("sediment-write-tag".into(), "w1-e2".into());
        attributes.insert("x".into(), String::new());
        let etag = fresh_etag();
        let file = encode(&etag, &attributes, b"hello");
        let fixed = decode_fixed(&file).unwrap();
        assert_eq!(fixed.etag, etag);
        assert_eq!(fixed.body_len, 5);
        let offset = fixed.body_offset() as usize;
        assert_eq!(
            decode_attributes(&file[FIXED_LEN..offset]).unwrap(),
            attributes
        );
        assert_eq!(&file[offset..], b"hello");
        assert_eq!(file.len(), offset + 5);
    }

    #[test]
    fn tags_never_repeat() {
        let tags: std::collections::BTreeSet<ETag> = (0..1000).map(|_| fresh_etag()).collect();
        assert_eq!(tags.len(), 1000);
    }

    #[test]
    fn foreign_bytes_are_refused() {
        assert!(decode_fixed(b"short").is_err());
        assert!(decode_fixed(&[0u8; FIXED_LEN]).is_err());
        assert!(decode_attributes(&[1, 0, 0, 0, 9, 0, 0, 0]).is_err());
    }
}
