//! Operation mixes, inserts, value sizes, scan lengths and TTLs.
#![allow(clippy::unwrap_used)]

mod support;

use support::{ops, reads, relative_error, zeta};
use workloads::{
    KeyDistribution, Mix, Op, OpStream, ScanLengths, TtlSpec, ValueSizes, WorkloadSpec, preset,
    preset_names,
};

/// Shares of (read, update, insert, scan, rmw, delete) in `ops`, telling updates from
/// inserts by whether the put's key is new.
fn shares(spec: &WorkloadSpec, seed: u64, count: usize) -> [f64; 6] {
    let mut stream = OpStream::new(spec, seed).unwrap();
    let mut counts = [0u64; 6];
    for _ in 0..count {
        let records = stream.record_count();
        let slot = match stream.next().unwrap() {
            Op::Get { .. } => 0,
            Op::Put { key, .. } if key >= records => {
                assert_eq!(key, records, "inserts take the next id");
                assert_eq!(stream.record_count(), records + 1);
                2
            }
            Op::Put { .. } => 1,
            Op::Scan { .. } => 3,
            Op::ReadModifyWrite { .. } => 4,
            Op::Delete { .. } => 5,
        };
        counts[slot] += 1;
    }
    counts.map(|c| c as f64 / count as f64)
}

fn ratios(mix: &Mix) -> [f64; 6] {
    [
        mix.read, mix.update, mix.insert, mix.scan, mix.rmw, mix.delete,
    ]
}

#[test]
fn a_six_way_mix_is_honoured_over_100k_ops() {
    let mix = Mix {
        read: 0.3,
        update: 0.2,
        insert: 0.1,
        scan: 0.15,
        rmw: 0.15,
        delete: 0.1,
    };
    let spec = WorkloadSpec {
        mix,
        ..reads(KeyDistribution::Uniform, 1000)
    };
    let observed = shares(&spec, 21, 100_000);
    for (o, e) in observed.iter().zip(ratios(&mix)) {
        // Standard deviation is at most 0.0016 here.
        assert!((o - e).abs() < 0.008, "{observed:?} vs {mix:?}");
    }
}

#[test]
fn every_preset_mix_is_honoured_and_zero_ratios_never_appear() {
    for name in preset_names() {
        let spec = preset(name).unwrap();
        let count = if *name == "insert-random" {
            10_000
        } else {
            100_000
        };
        let observed = shares(&spec, 22, count);
        for (o, e) in observed.iter().zip(ratios(&spec.mix)) {
            assert!(
                (o - e).abs() < 0.008,
                "{name}: {observed:?} vs {:?}",
                spec.mix
            );
            if e == 0.0 {
                assert_eq!(*o, 0.0, "{name}");
            }
        }
    }
}

fn value_sizes(values: ValueSizes, count: usize) -> Vec<u32> {
    let spec = WorkloadSpec {
        mix: Mix {
            update: 0.5,
            rmw: 0.5,
            ..Mix::ZERO
        },
        values,
        ..reads(KeyDistribution::Uniform, 100)
    };
    ops(&spec, 23, count)
        .into_iter()
        .map(|op| match op {
            Op::Put { value_bytes, .. } | Op::ReadModifyWrite { value_bytes, .. } => value_bytes,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn mean(sizes: &[u32]) -> f64 {
    sizes.iter().map(|&s| f64::from(s)).sum::<f64>() / sizes.len() as f64
}

#[test]
fn fixed_values_are_fixed() {
    let sizes = value_sizes(ValueSizes::Fixed { value_bytes: 4096 }, 1000);
    assert!(sizes.iter().all(|&s| s == 4096));
}

#[test]
fn uniform_values_stay_in_bounds_with_the_right_mean() {
    let sizes = value_sizes(
        ValueSizes::Uniform {
            min_bytes: 10,
            max_bytes: 1000,
        },
        200_000,
    );
    assert!(sizes.iter().all(|&s| (10..=1000).contains(&s)));
    assert!(sizes.contains(&10) && sizes.contains(&1000));
    assert!(
        relative_error(mean(&sizes), 505.0) < 0.01,
        "{}",
        mean(&sizes)
    );
}

#[test]
fn zipf_values_favour_small_sizes() {
    let (min_bytes, max_bytes, theta) = (1u32, 4096u32, 0.99);
    let sizes = value_sizes(
        ValueSizes::Zipf {
            min_bytes,
            max_bytes,
            theta,
        },
        200_000,
    );
    assert!(sizes.iter().all(|&s| (min_bytes..=max_bytes).contains(&s)));
    let items = u64::from(max_bytes - min_bytes + 1);
    let z = zeta(items, theta);
    let smallest = sizes.iter().filter(|&&s| s == min_bytes).count() as f64 / sizes.len() as f64;
    assert!(relative_error(smallest, 1.0 / z) < 0.03, "{smallest}");
    let exact_mean = f64::from(min_bytes)
        + (1..=items)
            .map(|i| (i - 1) as f64 * (i as f64).powf(-theta))
            .sum::<f64>()
            / z;
    // Gray's approximation puts the mean about 3% under the exact zipfian's.
    assert!(
        relative_error(mean(&sizes), exact_mean) < 0.05,
        "{} vs {exact_mean}",
        mean(&sizes)
    );
    assert!(mean(&sizes) < f64::from(max_bytes) / 4.0);
}

#[test]
fn scan_lengths_are_uniform_in_their_range() {
    let spec = WorkloadSpec {
        mix: Mix {
            scan: 1.0,
            ..Mix::ZERO
        },
        scan_lengths: ScanLengths {
            min_len: 1,
            max_len: 100,
        },
        ..reads(KeyDistribution::Uniform, 1000)
    };
    let lens: Vec<u32> = ops(&spec, 24, 100_000)
        .into_iter()
        .map(|op| match op {
            Op::Scan { start_key, len } => {
                assert!(start_key < 1000);
                len
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert!(lens.iter().all(|&l| (1..=100).contains(&l)));
    assert!(lens.contains(&1) && lens.contains(&100));
    assert!(relative_error(mean(&lens), 50.5) < 0.01, "{}", mean(&lens));
}

#[test]
fn ttls_are_drawn_from_their_range_on_every_put() {
    let spec = WorkloadSpec {
        mix: Mix {
            read: 0.5,
            update: 0.5,
            ..Mix::ZERO
        },
        ttl: Some(TtlSpec {
            min_ms: 1000,
            max_ms: 2000,
        }),
        ..reads(KeyDistribution::Uniform, 100)
    };
    let ttls: Vec<u64> = ops(&spec, 25, 20_000)
        .into_iter()
        .filter_map(|op| match op {
            Op::Put { ttl_ms, .. } => Some(ttl_ms.unwrap()),
            _ => None,
        })
        .collect();
    assert!(ttls.len() > 9_000);
    assert!(ttls.iter().all(|t| (1000..=2000).contains(t)));
    let mean = ttls.iter().sum::<u64>() as f64 / ttls.len() as f64;
    assert!(relative_error(mean, 1500.0) < 0.01, "{mean}");
    let without = reads(KeyDistribution::Uniform, 100);
    let without = WorkloadSpec {
        mix: Mix {
            update: 1.0,
            ..Mix::ZERO
        },
        ..without
    };
    assert!(
        ops(&without, 25, 100)
            .iter()
            .all(|op| matches!(op, Op::Put { ttl_ms: None, .. }))
    );
}
