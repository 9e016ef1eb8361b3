//! The named workloads.

use crate::spec::{
    DEFAULT_ZIPFIAN_THETA, KeyDistribution, Mix, ScanLengths, TtlSpec, ValueSizes, WorkloadSpec,
};

/// Initial record count of every preset but `delete-heavy`; the simulator sets its own
/// with [`WorkloadSpec::with_key_space`].
pub const DEFAULT_KEY_SPACE: u64 = 10_000;

/// Value size of every preset.
pub const DEFAULT_VALUE_BYTES: u32 = 100;

/// `delete-heavy` churns a small key space so deletes hit live keys and tombstones pile up.
const DELETE_HEAVY_KEY_SPACE: u64 = 1_000;

/// TTL of every `ttl-series` put: one minute.
const TTL_SERIES_TTL_MS: u64 = 60_000;

const NAMES: [&str; 10] = [
    "ycsb-a",
    "ycsb-b",
    "ycsb-c",
    "ycsb-d",
    "ycsb-e",
    "ycsb-f",
    "uniform-overwrite",
    "insert-random",
    "delete-heavy",
    "ttl-series",
];

/// Every name [`preset`] knows, in a stable order.
pub fn preset_names() -> &'static [&'static str] {
    &NAMES
}

/// The named workload, or `None` for an unknown name.
///
/// - `ycsb-a`..`ycsb-f`: YCSB's core workloads — A 50% read / 50% update, B 95/5, C 100%
///   read, D 95% read / 5% insert with `latest` keys, E 95% scan (1..=100 records) / 5%
///   insert, F 50% read / 50% read-modify-write. The zipfian ones use the scrambled
///   zipfian with theta 0.99, as YCSB's `requestdistribution=zipfian` does.
/// - `uniform-overwrite`: 100% puts to uniform existing keys.
/// - `insert-random`: each key of the key space put exactly once, in a seeded random
///   order; the stream ends after `key_space` operations.
/// - `delete-heavy`: 40% put, 30% delete, 30% get, uniform over 1000 keys.
/// - `ttl-series`: a time series for FIFO — 80% inserts of ever newer ids, each with a
///   60 s TTL, and 20% reads skewed to the newest keys.
pub fn preset(name: &str) -> Option<WorkloadSpec> {
    let scrambled = KeyDistribution::ScrambledZipfian {
        theta: DEFAULT_ZIPFIAN_THETA,
    };
    let spec = match name {
        "ycsb-a" => base(name, scrambled).with_mix(Mix {
            read: 0.5,
            update: 0.5,
            ..Mix::ZERO
        }),
        "ycsb-b" => base(name, scrambled).with_mix(Mix {
            read: 0.95,
            update: 0.05,
            ..Mix::ZERO
        }),
        "ycsb-c" => base(name, scrambled).with_mix(Mix {
            read: 1.0,
            ..Mix::ZERO
        }),
        "ycsb-d" => base(
            name,
            KeyDistribution::Latest {
                theta: DEFAULT_ZIPFIAN_THETA,
            },
        )
        .with_mix(Mix {
            read: 0.95,
            insert: 0.05,
            ..Mix::ZERO
        }),
        "ycsb-e" => base(name, scrambled).with_mix(Mix {
            scan: 0.95,
            insert: 0.05,
            ..Mix::ZERO
        }),
        "ycsb-f" => base(name, scrambled).with_mix(Mix {
            read: 0.5,
            rmw: 0.5,
            ..Mix::ZERO
        }),
        "uniform-overwrite" => base(name, KeyDistribution::Uniform).with_mix(Mix {
            update: 1.0,
            ..Mix::ZERO
        }),
        "insert-random" => base(name, KeyDistribution::Shuffled).with_mix(Mix {
            update: 1.0,
            ..Mix::ZERO
        }),
        "delete-heavy" => base(name, KeyDistribution::Uniform)
            .with_mix(Mix {
                read: 0.3,
                update: 0.4,
                delete: 0.3,
                ..Mix::ZERO
            })
            .with_key_space(DELETE_HEAVY_KEY_SPACE),
        "ttl-series" => base(
            name,
            KeyDistribution::Latest {
                theta: DEFAULT_ZIPFIAN_THETA,
            },
        )
        .with_mix(Mix {
            read: 0.2,
            insert: 0.8,
            ..Mix::ZERO
        })
        .with_ttl(Some(TtlSpec::fixed(TTL_SERIES_TTL_MS))),
        _ => return None,
    };
    Some(spec)
}

/// A read-only spec with the preset defaults; each preset sets its own mix.
fn base(name: &str, keys: KeyDistribution) -> WorkloadSpec {
    WorkloadSpec {
        name: name.to_owned(),
        mix: Mix {
            read: 1.0,
            ..Mix::ZERO
        },
        keys,
        key_space: DEFAULT_KEY_SPACE,
        values: ValueSizes::Fixed {
            value_bytes: DEFAULT_VALUE_BYTES,
        },
        scan_lengths: ScanLengths::default(),
        ttl: None,
    }
}
