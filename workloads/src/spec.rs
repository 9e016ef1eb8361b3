//! What a workload is: its operation mix, key and value distributions, and TTLs.

use serde::{Deserialize, Serialize};

/// YCSB's default zipfian constant.
pub const DEFAULT_ZIPFIAN_THETA: f64 = 0.99;

/// A named workload. [`crate::OpStream::new`] validates it; [`WorkloadSpec::validate`] says
/// why one is refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    pub name: String,
    pub mix: Mix,
    pub keys: KeyDistribution,
    /// Initial record count: keys `0..key_space` exist when the stream starts. Inserts add
    /// ids `key_space`, `key_space + 1`, ... as YCSB does.
    pub key_space: u64,
    pub values: ValueSizes,
    /// Scan lengths, uniform over the range (YCSB's `scanlengthdistribution=uniform`).
    pub scan_lengths: ScanLengths,
    /// TTL put on every `Put`, if any.
    pub ttl: Option<TtlSpec>,
}

/// Operation ratios; they must sum to 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mix {
    /// `Get` of an existing key.
    pub read: f64,
    /// `Put` to an existing key.
    pub update: f64,
    /// `Put` to a new key (the next id after the current record count).
    pub insert: f64,
    /// `Scan` from an existing key.
    pub scan: f64,
    /// `ReadModifyWrite` of an existing key.
    pub rmw: f64,
    /// `Delete` of an existing key.
    pub delete: f64,
}

impl Mix {
    /// All ratios zero; start from it with struct update syntax.
    pub const ZERO: Mix = Mix {
        read: 0.0,
        update: 0.0,
        insert: 0.0,
        scan: 0.0,
        rmw: 0.0,
        delete: 0.0,
    };

    /// The ratios with the names used in errors, in the order the stream draws them.
    pub(crate) fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("read", self.read),
            ("update", self.update),
            ("insert", self.insert),
            ("scan", self.scan),
            ("rmw", self.rmw),
            ("delete", self.delete),
        ]
    }
}

/// How the key of a read, update, scan, read-modify-write or delete is chosen among the
/// current records `0..n`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum KeyDistribution {
    /// Every record equally likely.
    Uniform,
    /// Zipfian over ranks with key = rank, so the hottest keys are the lowest ids and sit
    /// together. YCSB's `ZipfianGenerator` (Gray et al.'s method, zeta precomputed and
    /// extended as inserts grow `n`).
    Zipfian { theta: f64 },
    /// The same rank frequencies, but each rank is mapped to a key by a seeded bijection of
    /// `0..n` built from FNV-1a 64, so the hot keys are spread over the key space (the idea
    /// of YCSB's `ScrambledZipfianGenerator`; see the crate's `permutation` module).
    ScrambledZipfian { theta: f64 },
    /// Zipfian over recency: key = newest id − rank, so the most recently inserted keys
    /// are the hottest (YCSB's `SkewedLatestGenerator`).
    Latest { theta: f64 },
    /// `0, 1, 2, ...` wrapping at the current record count.
    Sequential,
    /// A fraction of operations goes to a hot set made of the lowest ids, uniformly; the
    /// rest go uniformly to the other keys (YCSB's `HotspotIntegerGenerator`).
    Hotspot {
        hot_fraction_of_keys: f64,
        hot_fraction_of_ops: f64,
    },
    /// Every key of the initial `0..key_space` exactly once, in a seeded random order; the
    /// stream ends when all have been drawn. Memory is constant whatever the key space.
    Shuffled,
}

/// Value sizes of puts and read-modify-writes, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ValueSizes {
    Fixed {
        value_bytes: u32,
    },
    /// Uniform over `min_bytes..=max_bytes`.
    Uniform {
        min_bytes: u32,
        max_bytes: u32,
    },
    /// `min_bytes + rank` with a zipfian rank over the range: small values are the most
    /// common.
    Zipf {
        min_bytes: u32,
        max_bytes: u32,
        theta: f64,
    },
}

/// Scan lengths, uniform over `min_len..=max_len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanLengths {
    pub min_len: u32,
    pub max_len: u32,
}

impl Default for ScanLengths {
    /// YCSB workload E: 1..=100.
    fn default() -> Self {
        ScanLengths {
            min_len: 1,
            max_len: 100,
        }
    }
}

/// TTL of each put, uniform over `min_ms..=max_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlSpec {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl TtlSpec {
    /// The same TTL on every put.
    pub fn fixed(ttl_ms: u64) -> TtlSpec {
        TtlSpec {
            min_ms: ttl_ms,
            max_ms: ttl_ms,
        }
    }
}

impl WorkloadSpec {
    /// The same workload over `key_space` initial records.
    pub fn with_key_space(mut self, key_space: u64) -> WorkloadSpec {
        self.key_space = key_space;
        self
    }

    /// The same workload with another operation mix.
    pub fn with_mix(mut self, mix: Mix) -> WorkloadSpec {
        self.mix = mix;
        self
    }

    /// The same workload with other value sizes.
    pub fn with_values(mut self, values: ValueSizes) -> WorkloadSpec {
        self.values = values;
        self
    }

    /// The same workload with another key distribution.
    pub fn with_keys(mut self, keys: KeyDistribution) -> WorkloadSpec {
        self.keys = keys;
        self
    }

    /// The same workload with another TTL (or none).
    pub fn with_ttl(mut self, ttl: Option<TtlSpec>) -> WorkloadSpec {
        self.ttl = ttl;
        self
    }
}
