//! How an SST is laid out: block size, restart interval and bloom filter density.

use std::num::NonZeroU32;

/// Layout options of an SST. Block size and filter bits shape read amplification: bigger
/// blocks mean fewer index entries but more bytes fetched per point read; more filter bits
/// mean fewer wasted block reads for absent keys. The restart interval trades table size
/// against the entries a lookup decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SstOptions {
    /// Target size of a data block before its checksum, in bytes. A block is closed before
    /// an entry would push it past this size, so blocks stay at or under it unless a single
    /// entry is larger. RocksDB: `BlockBasedTableOptions::block_size`, default 4 KiB.
    pub block_size_bytes: usize,
    /// Bloom filter bits per distinct user key; 0 builds no filter. Values above
    /// [`SstOptions::BLOOM_BITS_PER_KEY_MAX`] are treated as that maximum. RocksDB:
    /// `NewBloomFilterPolicy(bits_per_key)`, commonly 10 (about 1% false positives).
    pub bloom_bits_per_key: u32,
    /// Every this many entries a data block stores a key whole (a restart point); the
    /// entries between store only what their key does not share with the previous key. A
    /// lookup binary-searches the restart points and decodes at most this many entries.
    /// Non-zero by type, so a decoded 0 is a typed error. RocksDB:
    /// `BlockBasedTableOptions::block_restart_interval`, default 16.
    #[serde(default = "default_block_restart_interval")]
    pub block_restart_interval: NonZeroU32,
}

fn default_block_restart_interval() -> NonZeroU32 {
    SstOptions::BLOCK_RESTART_INTERVAL_DEFAULT
}

impl SstOptions {
    /// Beyond this the false-positive rate is already far below anything measurable here,
    /// and the cap keeps the filter size computation far from overflow.
    pub const BLOOM_BITS_PER_KEY_MAX: u32 = 64;
    /// RocksDB's default restart interval.
    pub const BLOCK_RESTART_INTERVAL_DEFAULT: NonZeroU32 = match NonZeroU32::new(16) {
        Some(interval) => interval,
        None => panic!("16 is not zero"),
    };

    /// Bits per key actually used, after the cap.
    pub fn effective_bloom_bits_per_key(&self) -> u32 {
        self.bloom_bits_per_key.min(Self::BLOOM_BITS_PER_KEY_MAX)
    }
}

impl Default for SstOptions {
    fn default() -> SstOptions {
        SstOptions {
            block_size_bytes: 4096,
            bloom_bits_per_key: 10,
            block_restart_interval: Self::BLOCK_RESTART_INTERVAL_DEFAULT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_restart_interval_is_a_decode_error() {
        let config = bincode::config::standard();
        let decode = |interval: u32| {
            let bytes = bincode::serde::encode_to_vec((4096usize, 10u32, interval), config);
            bincode::serde::decode_from_slice::<SstOptions, _>(&bytes.unwrap(), config)
        };
        assert!(decode(0).is_err());
        assert_eq!(decode(16).unwrap().0, SstOptions::default());
    }
}
