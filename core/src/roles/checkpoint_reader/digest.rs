//! A stable digest of a key-value map, so a checker can tell "same content" across
//! processes without keeping the content.

use bytes::Bytes;
use std::collections::BTreeMap;

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 over every pair in key order, each key and value preceded by its length as a
/// little-endian u64 (so no two different maps share a byte stream). Depends on nothing
/// but the content: stable across runs, processes and platforms.
pub fn content_digest(content: &BTreeMap<Bytes, Bytes>) -> u64 {
    let mut hash = FNV_OFFSET_BASIS;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    };
    for (key, value) in content {
        feed(&(key.len() as u64).to_le_bytes());
        feed(key);
        feed(&(value.len() as u64).to_le_bytes());
        feed(value);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> BTreeMap<Bytes, Bytes> {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    Bytes::from_static(k.as_bytes()),
                    Bytes::from_static(v.as_bytes()),
                )
            })
            .collect()
    }

    #[test]
    fn digest_is_fixed_and_tells_boundaries_apart() {
        assert_eq!(content_digest(&BTreeMap::new()), FNV_OFFSET_BASIS);
        let a = content_digest(&map(&[("ab", "c")]));
        let b = content_digest(&map(&[("a", "bc")]));
        let c = content_digest(&map(&[("a", "b"), ("c", "")]));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
        assert_eq!(a, content_digest(&map(&[("ab", "c")])));
        // FNV-1a of sixteen zero bytes (two zero lengths): xor with 0 is the identity.
        let empty_pair = content_digest(&map(&[("", "")]));
        let mut expected = FNV_OFFSET_BASIS;
        for _ in 0..16 {
            expected = expected.wrapping_mul(FNV_PRIME);
        }
        assert_eq!(empty_pair, expected);
    }
}
