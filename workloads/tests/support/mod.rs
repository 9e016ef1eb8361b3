//! Spec builders and counting helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use workloads::{KeyDistribution, Mix, Op, OpStream, ScanLengths, ValueSizes, WorkloadSpec};

/// 100% reads over `key_space` keys with `keys`.
pub fn reads(keys: KeyDistribution, key_space: u64) -> WorkloadSpec {
    WorkloadSpec {
        name: "test".to_owned(),
        mix: Mix {
            read: 1.0,
            ..Mix::ZERO
        },
        keys,
        key_space,
        values: ValueSizes::Fixed { value_bytes: 100 },
        scan_lengths: ScanLengths::default(),
        ttl: None,
    }
}

/// The first `count` ops of `spec` under `seed`.
pub fn ops(spec: &WorkloadSpec, seed: u64, count: usize) -> Vec<Op> {
    OpStream::new(spec, seed).unwrap().take(count).collect()
}

/// How often each key is targeted by the first `count` ops.
pub fn key_counts(spec: &WorkloadSpec, seed: u64, count: usize) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for op in OpStream::new(spec, seed).unwrap().take(count) {
        *counts.entry(op.key()).or_insert(0) += 1;
    }
    counts
}

/// `sum_{i=1..=n} i^-theta`, the plain way.
pub fn zeta(n: u64, theta: f64) -> f64 {
    (1..=n).map(|i| (i as f64).powf(-theta)).sum()
}

/// Probability of 0-based rank `rank` under an exact zipfian over `n` ranks.
pub fn zipf_probability(rank: u64, n: u64, theta: f64) -> f64 {
    ((rank + 1) as f64).powf(-theta) / zeta(n, theta)
}

/// Probability of 0-based rank `rank` (>= 2) under Gray et al.'s approximation as YCSB
/// uses it: the continuous inverse CDF mapped to `floor`.
pub fn gray_probability(rank: u64, n: u64, theta: f64) -> f64 {
    let zetan = zeta(n, theta);
    let zeta2 = 1.0 + 0.5f64.powf(theta);
    let eta = (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan);
    let u = |x: f64| ((x / n as f64).powf(1.0 - theta) - 1.0) / eta + 1.0;
    (u(rank as f64 + 1.0) - u(rank as f64)).abs()
}

/// Relative difference of `observed` from `expected`.
pub fn relative_error(observed: f64, expected: f64) -> f64 {
    ((observed - expected) / expected).abs()
}
