//! How an SST is laid out: block size and bloom filter density.

/// Layout options of an SST. Both shape read amplification: bigger blocks mean fewer index
/// entries but more bytes fetched per point read; more filter bits mean fewer wasted block
/// reads for absent keys.
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
}

impl SstOptions {
    /// Beyond this the false-positive rate is already far below anything measurable here,
    /// and the cap keeps the filter size computation far from overflow.
    pub const BLOOM_BITS_PER_KEY_MAX: u32 = 64;

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
        }
    }
}
