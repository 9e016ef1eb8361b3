//! Invalid specs give typed errors; no spec makes the library panic.
#![allow(clippy::unwrap_used)]

mod support;

use proptest::prelude::*;
use support::reads;
use workloads::{
    KeyDistribution, LoadStream, MAX_KEY_SPACE, MAX_SCAN_LEN, MAX_VALUE_BYTES, Mix, Op, OpStream,
    ScanLengths, SpecError, TtlSpec, ValueSizes, WorkloadSpec,
};

fn base() -> WorkloadSpec {
    reads(KeyDistribution::Uniform, 100)
}

fn error(spec: &WorkloadSpec) -> SpecError {
    let err = OpStream::new(spec, 1).unwrap_err();
    // Compared as text: an error may carry a NaN, which is not equal to itself.
    let text = err.to_string();
    assert_eq!(spec.validate().unwrap_err().to_string(), text);
    assert_eq!(LoadStream::new(spec, 1).unwrap_err().to_string(), text);
    assert!(!text.is_empty());
    err
}

#[test]
fn ratios_must_sum_to_one() {
    let spec = WorkloadSpec {
        mix: Mix {
            read: 0.5,
            update: 0.4,
            ..Mix::ZERO
        },
        ..base()
    };
    assert!(matches!(
        error(&spec),
        SpecError::RatiosDoNotSumToOne { .. }
    ));
    let zero = WorkloadSpec {
        mix: Mix::ZERO,
        ..base()
    };
    assert_eq!(error(&zero), SpecError::RatiosDoNotSumToOne { sum: 0.0 });
    // Within 1e-9 is accepted.
    let close = WorkloadSpec {
        mix: Mix {
            read: 0.5,
            update: 0.5 + 5e-10,
            ..Mix::ZERO
        },
        ..base()
    };
    assert!(close.validate().is_ok());
}

#[test]
fn ratios_must_be_finite_and_non_negative() {
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        let spec = WorkloadSpec {
            mix: Mix {
                read: 1.0,
                delete: bad,
                ..Mix::ZERO
            },
            ..base()
        };
        assert!(
            matches!(error(&spec), SpecError::InvalidRatio { op: "delete", .. }),
            "{bad}"
        );
    }
}

#[test]
fn key_space_must_be_positive_and_bounded() {
    assert_eq!(error(&base().with_key_space(0)), SpecError::ZeroKeySpace);
    assert_eq!(
        error(&base().with_key_space(MAX_KEY_SPACE + 1)),
        SpecError::KeySpaceTooLarge {
            key_space: MAX_KEY_SPACE + 1,
            max: MAX_KEY_SPACE
        }
    );
    assert!(base().with_key_space(MAX_KEY_SPACE).validate().is_ok());
}

#[test]
fn theta_must_be_in_zero_one_or_above_one() {
    for theta in [0.0, -0.5, 1.0, f64::NAN, f64::INFINITY] {
        for keys in [
            KeyDistribution::Zipfian { theta },
            KeyDistribution::ScrambledZipfian { theta },
            KeyDistribution::Latest { theta },
        ] {
            assert!(
                matches!(
                    error(&base().with_keys(keys)),
                    SpecError::InvalidTheta { .. }
                ),
                "{keys:?}"
            );
        }
        let values = ValueSizes::Zipf {
            min_bytes: 1,
            max_bytes: 10,
            theta,
        };
        assert!(matches!(
            error(&base().with_values(values)),
            SpecError::InvalidTheta { .. }
        ));
    }
    for theta in [1e-6, 0.5, 0.99, 1.01, 2.0, 50.0] {
        assert!(
            base()
                .with_keys(KeyDistribution::Zipfian { theta })
                .validate()
                .is_ok()
        );
    }
}

#[test]
fn hotspot_fractions_must_be_within_zero_and_one() {
    for (keys, ops) in [(1.5, 0.5), (0.5, -0.1), (f64::NAN, 0.5)] {
        let spec = base().with_keys(KeyDistribution::Hotspot {
            hot_fraction_of_keys: keys,
            hot_fraction_of_ops: ops,
        });
        assert!(matches!(error(&spec), SpecError::InvalidFraction { .. }));
    }
}

#[test]
fn value_ranges_must_be_non_empty_and_bounded() {
    let empty = ValueSizes::Uniform {
        min_bytes: 10,
        max_bytes: 9,
    };
    assert_eq!(
        error(&base().with_values(empty)),
        SpecError::EmptyValueRange {
            min_bytes: 10,
            max_bytes: 9
        }
    );
    let huge = ValueSizes::Fixed {
        value_bytes: MAX_VALUE_BYTES + 1,
    };
    assert!(matches!(
        error(&base().with_values(huge)),
        SpecError::ValueTooLarge { .. }
    ));
    let zipf_empty = ValueSizes::Zipf {
        min_bytes: 5,
        max_bytes: 4,
        theta: 0.99,
    };
    assert!(matches!(
        error(&base().with_values(zipf_empty)),
        SpecError::EmptyValueRange { .. }
    ));
}

#[test]
fn scan_lengths_must_be_a_range_within_the_bound() {
    for (min_len, max_len) in [(0, 10), (11, 10)] {
        let spec = WorkloadSpec {
            scan_lengths: ScanLengths { min_len, max_len },
            ..base()
        };
        assert!(matches!(error(&spec), SpecError::InvalidScanRange { .. }));
    }
    let long = WorkloadSpec {
        scan_lengths: ScanLengths {
            min_len: 1,
            max_len: MAX_SCAN_LEN + 1,
        },
        ..base()
    };
    assert!(matches!(error(&long), SpecError::ScanTooLong { .. }));
}

#[test]
fn ttl_ranges_must_be_non_empty() {
    let spec = base().with_ttl(Some(TtlSpec {
        min_ms: 5,
        max_ms: 4,
    }));
    assert_eq!(
        error(&spec),
        SpecError::EmptyTtlRange {
            min_ms: 5,
            max_ms: 4
        }
    );
    let full = base().with_ttl(Some(TtlSpec {
        min_ms: 0,
        max_ms: u64::MAX,
    }));
    assert!(OpStream::new(&full, 1).is_ok());
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => 0.0..1.0f64,
        4 => 1.0..100.0f64,
        1 => Just(1.0),
        1 => Just(0.0),
        1 => any::<f64>(),
    ]
}

/// Mostly valid ratios and fractions, sometimes zero, rarely anything.
fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![48 => 0.0..1.0f64, 8 => Just(0.0), 1 => any::<f64>()]
}

fn any_keys() -> impl Strategy<Value = KeyDistribution> {
    prop_oneof![
        Just(KeyDistribution::Uniform),
        any_f64().prop_map(|theta| KeyDistribution::Zipfian { theta }),
        any_f64().prop_map(|theta| KeyDistribution::ScrambledZipfian { theta }),
        any_f64().prop_map(|theta| KeyDistribution::Latest { theta }),
        Just(KeyDistribution::Sequential),
        (weight(), weight()).prop_map(|(k, o)| KeyDistribution::Hotspot {
            hot_fraction_of_keys: k,
            hot_fraction_of_ops: o
        }),
        Just(KeyDistribution::Shuffled),
    ]
}

fn any_size() -> impl Strategy<Value = u32> {
    prop_oneof![8 => 0..2000u32, 1 => Just(MAX_VALUE_BYTES), 1 => any::<u32>()]
}

/// A pair, usually in order.
fn ordered<T: Ord + Copy + std::fmt::Debug>(
    pair: impl Strategy<Value = (T, T)>,
) -> impl Strategy<Value = (T, T)> {
    (pair, proptest::bool::weighted(0.9))
        .prop_map(|((a, b), sort)| if sort { (a.min(b), a.max(b)) } else { (a, b) })
}

fn any_values() -> impl Strategy<Value = ValueSizes> {
    prop_oneof![
        any_size().prop_map(|value_bytes| ValueSizes::Fixed { value_bytes }),
        ordered((any_size(), any_size())).prop_map(|(min_bytes, max_bytes)| ValueSizes::Uniform {
            min_bytes,
            max_bytes
        }),
        (ordered((any_size(), any_size())), any_f64()).prop_map(
            |((min_bytes, max_bytes), theta)| {
                ValueSizes::Zipf {
                    min_bytes,
                    max_bytes,
                    theta,
                }
            }
        ),
    ]
}

/// Six weights, normalised most of the time so the stream actually runs.
fn any_mix() -> impl Strategy<Value = Mix> {
    (
        proptest::array::uniform6(weight()),
        proptest::bool::weighted(0.9),
    )
        .prop_map(|(w, normalise)| {
            let sum: f64 = w.iter().sum();
            let w = if normalise && sum.is_finite() && sum > 0.0 {
                w.map(|x| x / sum)
            } else {
                w
            };
            Mix {
                read: w[0],
                update: w[1],
                insert: w[2],
                scan: w[3],
                rmw: w[4],
                delete: w[5],
            }
        })
}

fn any_spec() -> impl Strategy<Value = WorkloadSpec> {
    (
        any_mix(),
        any_keys(),
        prop_oneof![8 => 0..50_000u64, 1 => Just(MAX_KEY_SPACE), 1 => any::<u64>()],
        any_values(),
        prop_oneof![8 => (1..60u32, 60..120u32), 1 => (0..1100u32, 0..1100u32)],
        proptest::option::of(ordered((any::<u64>(), any::<u64>()))),
    )
        .prop_map(
            |(mix, keys, key_space, values, (lo, hi), ttl)| WorkloadSpec {
                name: "prop".to_owned(),
                mix,
                keys,
                key_space,
                values,
                scan_lengths: ScanLengths {
                    min_len: lo,
                    max_len: hi,
                },
                ttl: ttl.map(|(min_ms, max_ms)| TtlSpec { min_ms, max_ms }),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any spec is either refused with a typed error or gives ops inside its bounds.
    #[test]
    fn no_spec_panics_and_every_op_is_bounded(spec in any_spec(), seed in any::<u64>()) {
        let Ok(stream) = OpStream::new(&spec, seed) else {
            prop_assert!(spec.validate().is_err());
            return Ok(());
        };
        let mut stream = stream;
        for _ in 0..300 {
            let records = stream.record_count();
            let Some(op) = stream.next() else { break };
            prop_assert!(op.key() <= records, "{:?} with {} records", op, records);
            match op {
                Op::Put { value_bytes, ttl_ms, .. } => {
                    prop_assert!(value_bytes <= MAX_VALUE_BYTES);
                    if let (Some(ttl), Some(spec_ttl)) = (ttl_ms, spec.ttl) {
                        prop_assert!((spec_ttl.min_ms..=spec_ttl.max_ms).contains(&ttl));
                    }
                    prop_assert_eq!(ttl_ms.is_some(), spec.ttl.is_some());
                }
                Op::ReadModifyWrite { value_bytes, .. } => {
                    prop_assert!(value_bytes <= MAX_VALUE_BYTES);
                }
                Op::Scan { len, .. } => {
                    prop_assert!(
                        (spec.scan_lengths.min_len..=spec.scan_lengths.max_len).contains(&len)
                    );
                    prop_assert!(len <= MAX_SCAN_LEN);
                }
                Op::Get { key } | Op::Delete { key } => prop_assert!(key < records),
            }
        }
        let mut load = LoadStream::new(&spec, seed).unwrap();
        for op in load.by_ref().take(50) {
            prop_assert!(op.key() < spec.key_space);
        }
    }
}
