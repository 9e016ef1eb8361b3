//! The bloom filter over the table's user keys: a point lookup for a key the table does not
//! hold usually skips the data block read entirely.
//!
//! ```text
//! bit array (a whole number of bytes) | u8 probe count | u32 crc32c
//! ```
//!
//! Probe positions come from one 64-bit key hash by double hashing, mapped onto the bit
//! array by a multiply-shift (no division, any array length).

use bytes::Bytes;

use crate::codec::DecodeError;

const WHAT: &str = "sst filter block";
/// Small filters are rounded up to this many bits so a table of a few keys still filters.
const MIN_BITS: u64 = 64;
/// More probes than this cost time and buy nothing at any supported density.
pub(crate) const MAX_PROBES: u8 = 30;

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
const SEED: u64 = 0x5eed_5eed_0000_0001;

/// Spreads every input bit over every output bit.
#[inline]
fn avalanche(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 29;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 32)
}

#[inline]
fn absorb(state: u64, word: u64) -> u64 {
    let mixed = (state ^ word).wrapping_mul(MULTIPLIER);
    mixed ^ (mixed >> 29)
}

/// The 64-bit hash the filter is built on. Part of the format: changing it changes which
/// bits existing filters set, so it may only change with the format version.
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let mut state = SEED ^ (key.len() as u64).wrapping_mul(MULTIPLIER);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        state = absorb(state, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        for (into, byte) in word.iter_mut().zip(rest) {
            *into = *byte;
        }
        state = absorb(state, u64::from_le_bytes(word));
    }
    avalanche(state)
}

/// Bit positions probed for `hash` in an array of `bit_count` bits.
#[inline]
fn probes(hash: u64, num_probes: u8, bit_count: u64) -> impl Iterator<Item = u64> {
    let step = avalanche(hash ^ MULTIPLIER) | 1;
    (0..u64::from(num_probes)).map(move |i| {
        let probe_hash = hash.wrapping_add(i.wrapping_mul(step));
        ((u128::from(probe_hash) * u128::from(bit_count)) >> 64) as u64
    })
}

/// Probes per key that minimise false positives at `bits_per_key`: about bits × ln 2.
pub(crate) fn probe_count(bits_per_key: u32) -> u8 {
    let rounded = (u64::from(bits_per_key) * 69 + 50) / 100;
    let count = rounded.clamp(1, u64::from(MAX_PROBES)) as u8;
    // Paired with `BloomFilter::parse`, which rejects any other probe count.
    assert!((1..=MAX_PROBES).contains(&count));
    count
}

/// Collects the hashes of distinct user keys while a table is built.
#[derive(Debug, Default)]
pub(crate) struct BloomWriter {
    hashes: Vec<u64>,
}

impl BloomWriter {
    /// Adds a user key; the caller adds each distinct key once.
    pub(crate) fn add_key(&mut self, user_key: &[u8]) {
        self.hashes.push(key_hash(user_key));
    }

    /// Appends the filter payload (bits and probe count) sized for `bits_per_key` bits per
    /// key added. `bits_per_key` must be at least 1.
    pub(crate) fn encode(&self, bits_per_key: u32, out: &mut Vec<u8>) {
        assert!(bits_per_key >= 1, "a filter needs at least one bit per key");
        let wanted_bits = (self.hashes.len() as u64).saturating_mul(u64::from(bits_per_key));
        let byte_count = wanted_bits.max(MIN_BITS).div_ceil(8);
        let bit_count = byte_count * 8;
        let start = out.len();
        out.resize(start + byte_count as usize, 0);
        let num_probes = probe_count(bits_per_key);
        let bits = &mut out[start..];
        for &hash in &self.hashes {
            for position in probes(hash, num_probes, bit_count) {
                assert!(position < bit_count, "probe past the bit array");
                bits[(position / 8) as usize] |= 1 << (position % 8);
            }
        }
        out.push(num_probes);
        assert_eq!(out.len() - start, byte_count as usize + 1);
    }
}

/// A decoded filter, sharing the SST's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BloomFilter {
    bits: Bytes,
    num_probes: u8,
}

impl BloomFilter {
    /// Decodes a verified filter payload; `base_offset` is where it lies in the SST.
    pub(crate) fn parse(payload: Bytes, base_offset: usize) -> Result<BloomFilter, DecodeError> {
        let Some((&num_probes, bits)) = payload.split_last() else {
            return Err(DecodeError::Truncated {
                what: WHAT,
                offset: base_offset,
                needed_bytes: 1,
                available_bytes: 0,
            });
        };
        if bits.is_empty() || num_probes == 0 || num_probes > MAX_PROBES {
            return Err(DecodeError::Invalid {
                what: WHAT,
                offset: base_offset + bits.len(),
                detail: format!(
                    "{} filter bytes with {num_probes} probes (1 to {MAX_PROBES} probes over at least one byte)",
                    bits.len()
                ),
            });
        }
        let bits = payload.slice(..bits.len());
        Ok(BloomFilter { bits, num_probes })
    }

    /// False when `user_key` is certainly not in the table; true when it may be.
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.may_contain_hash(key_hash(user_key))
    }

    /// [`BloomFilter::may_contain`] for a key whose [`key_hash`] is `hash`: a read that
    /// probes many tables hashes its key once.
    pub fn may_contain_hash(&self, hash: u64) -> bool {
        let bit_count = self.bits.len() as u64 * 8;
        probes(hash, self.num_probes, bit_count).all(|position| {
            self.bits
                .get((position / 8) as usize)
                .is_some_and(|byte| byte & (1 << (position % 8)) != 0)
        })
    }

    /// Size of the bit array.
    pub fn size_bytes(&self) -> usize {
        self.bits.len()
    }

    #[cfg(test)]
    pub fn num_probes(&self) -> u8 {
        self.num_probes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter_of(keys: &[Vec<u8>], bits_per_key: u32) -> BloomFilter {
        let mut writer = BloomWriter::default();
        for key in keys {
            writer.add_key(key);
        }
        let mut out = Vec::new();
        writer.encode(bits_per_key, &mut out);
        BloomFilter::parse(Bytes::from(out), 0).unwrap()
    }

    #[test]
    fn probe_count_follows_ln2_and_stays_in_range() {
        assert_eq!(probe_count(1), 1);
        assert_eq!(probe_count(10), 7);
        assert_eq!(probe_count(64), MAX_PROBES);
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let keys: Vec<Vec<u8>> = (0..5_000u32)
            .map(|i| format!("key{i:08}").into_bytes())
            .collect();
        let filter = filter_of(&keys, 10);
        assert_eq!(filter.num_probes(), 7);
        assert!(keys.iter().all(|key| filter.may_contain(key)));
        let false_positives = (0..10_000u32)
            .filter(|i| filter.may_contain(format!("other{i:08}").as_bytes()))
            .count();
        assert!(false_positives < 200, "{false_positives} false positives");
    }

    #[test]
    fn malformed_filters_are_typed_errors() {
        assert!(BloomFilter::parse(Bytes::new(), 0).is_err());
        assert!(BloomFilter::parse(Bytes::from_static(&[7]), 0).is_err());
        assert!(BloomFilter::parse(Bytes::from_static(&[0xff, 0]), 0).is_err());
        assert!(BloomFilter::parse(Bytes::from_static(&[0xff, 31]), 0).is_err());
        let one_byte = BloomFilter::parse(Bytes::from_static(&[0xff, 3]), 0).unwrap();
        assert!(one_byte.may_contain(b"anything"));
    }
}
