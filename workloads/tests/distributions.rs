//! Each key distribution's sample statistics against its definition.
#![allow(clippy::unwrap_used)]

mod support;

use support::{gray_probability, key_counts, reads, relative_error, zipf_probability};
use workloads::{KeyDistribution, Mix, Op, OpStream};

const DRAWS: usize = 1_000_000;

#[test]
fn uniform_passes_chi_square_and_per_bucket_bounds() {
    let keys = 100u64;
    let draws = 200_000;
    let counts = key_counts(&reads(KeyDistribution::Uniform, keys), 3, draws);
    assert_eq!(counts.len() as u64, keys);
    assert!(counts.keys().all(|&k| k < keys));
    let expected = draws as f64 / keys as f64;
    let chi_square: f64 = counts
        .values()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    // 99 degrees of freedom: mean 99, standard deviation 14; five sigmas above.
    assert!(chi_square < 170.0, "chi-square {chi_square}");
    for (key, &count) in &counts {
        assert!(
            relative_error(count as f64, expected) < 0.1,
            "key {key}: {count} vs {expected}"
        );
    }
}

/// Whether a sampled probability is within `relative` of `expected`, plus four standard
/// deviations of sampling noise (binomial, `draws` samples).
fn close(observed: f64, expected: f64, draws: usize, relative: f64) -> bool {
    (observed - expected).abs() <= relative * expected + 4.0 * (expected / draws as f64).sqrt()
}

/// Ranks 0 and 1 are exact in Gray's method; ranks 2.. follow its approximation, which
/// stays within 25% of the pure zipfian at the head and converges in the cumulative.
fn check_zipfian_ranks(theta: f64, rank_counts: &[u64], items: u64, draws: usize) {
    let p = |rank: usize| rank_counts[rank] as f64 / draws as f64;
    for rank in 0..2 {
        let exact = zipf_probability(rank as u64, items, theta);
        assert!(
            close(p(rank), exact, draws, 0.02),
            "theta {theta} rank {rank}: {} vs {exact}",
            p(rank)
        );
    }
    for rank in 2..10 {
        let gray = gray_probability(rank as u64, items, theta);
        let exact = zipf_probability(rank as u64, items, theta);
        assert!(
            close(p(rank), gray, draws, 0.02),
            "theta {theta} rank {rank}: {} vs Gray's {gray}",
            p(rank)
        );
        assert!(
            relative_error(p(rank), exact) < 0.25,
            "theta {theta} rank {rank}: {} vs exact {exact}",
            p(rank)
        );
    }
    for top in [100usize, 1000] {
        let observed: f64 = (0..top).map(p).sum();
        let exact: f64 = (0..top as u64)
            .map(|r| zipf_probability(r, items, theta))
            .sum();
        assert!(
            relative_error(observed, exact) < 0.05,
            "theta {theta} top {top}: {observed} vs {exact}"
        );
    }
}

#[test]
fn zipfian_rank_frequencies_follow_the_definition() {
    let items = 10_000u64;
    for theta in [0.5, 0.99, 1.5] {
        let counts = key_counts(&reads(KeyDistribution::Zipfian { theta }, items), 11, DRAWS);
        assert!(counts.keys().all(|&k| k < items));
        let mut by_rank = vec![0u64; items as usize];
        for (&key, &count) in &counts {
            by_rank[key as usize] = count;
        }
        check_zipfian_ranks(theta, &by_rank, items, DRAWS);
        // Unscrambled: the hottest keys are the lowest ids.
        assert!(by_rank[0] > by_rank[1] && by_rank[1] > by_rank[2]);
    }
}

#[test]
fn scrambled_zipfian_has_zipfian_frequencies_on_spread_keys() {
    let items = 10_000u64;
    let theta = 0.99;
    let spec = reads(KeyDistribution::ScrambledZipfian { theta }, items);
    let counts = key_counts(&spec, 12, DRAWS);
    assert!(counts.keys().all(|&k| k < items));
    let mut by_frequency: Vec<(u64, u64)> = counts.iter().map(|(&k, &c)| (c, k)).collect();
    by_frequency.sort_unstable_by(|a, b| b.cmp(a));
    let sorted: Vec<u64> = by_frequency.iter().map(|&(c, _)| c).collect();
    // A bijection of ranks onto keys: the sorted key frequencies are the rank frequencies.
    check_zipfian_ranks(theta, &sorted, items, DRAWS);
    // The ten hottest keys are spread, not the ten lowest ids.
    let hottest: Vec<u64> = by_frequency.iter().take(10).map(|&(_, k)| k).collect();
    let (low, high) = (hottest.iter().min().unwrap(), hottest.iter().max().unwrap());
    assert!(high - low > items / 4, "hot keys {hottest:?}");
    assert!(hottest.iter().filter(|&&k| k < 10).count() < 3);
}

#[test]
fn scrambled_zipfian_depends_on_the_seed() {
    let spec = reads(KeyDistribution::ScrambledZipfian { theta: 0.99 }, 10_000);
    let hottest = |seed| {
        let counts = key_counts(&spec, seed, 100_000);
        counts
            .iter()
            .max_by_key(|&(k, c)| (*c, *k))
            .map(|(&k, _)| k)
            .unwrap()
    };
    assert_ne!(hottest(1), hottest(2));
}

#[test]
fn latest_without_inserts_favours_the_newest_key() {
    let items = 10_000u64;
    let theta = 0.99;
    let counts = key_counts(&reads(KeyDistribution::Latest { theta }, items), 13, DRAWS);
    let mut by_age = vec![0u64; items as usize];
    for (&key, &count) in &counts {
        by_age[(items - 1 - key) as usize] = count;
    }
    check_zipfian_ranks(theta, &by_age, items, DRAWS);
}

#[test]
fn latest_follows_inserts() {
    let spec = reads(KeyDistribution::Latest { theta: 0.99 }, 1000);
    let spec = workloads::WorkloadSpec {
        mix: Mix {
            read: 0.9,
            insert: 0.1,
            ..Mix::ZERO
        },
        ..spec
    };
    let mut stream = OpStream::new(&spec, 14).unwrap();
    let mut by_age = vec![0u64; 64];
    let mut reads = 0u64;
    for _ in 0..200_000 {
        let newest = stream.record_count() - 1;
        match stream.next().unwrap() {
            Op::Get { key } => {
                assert!(key <= newest);
                reads += 1;
                if let Some(slot) = by_age.get_mut((newest - key) as usize) {
                    *slot += 1;
                }
            }
            Op::Put { key, .. } => assert_eq!(key, newest + 1),
            other => panic!("unexpected {other:?}"),
        }
    }
    // The most recent key is the most frequent, and frequency falls with age.
    let top = *by_age.iter().max().unwrap();
    assert_eq!(by_age[0], top);
    assert!(by_age[0] > by_age[1] && by_age[1] > by_age[2] && by_age[2] > by_age[8]);
    // Rank 0 has probability 1/zeta(n); n grows from 1000 to ~21000 over the run.
    let share = by_age[0] as f64 / reads as f64;
    assert!((0.09..0.15).contains(&share), "newest share {share}");
}

#[test]
fn sequential_cycles_through_the_key_space() {
    let keys: Vec<u64> = support::ops(&reads(KeyDistribution::Sequential, 7), 0, 20)
        .iter()
        .map(Op::key)
        .collect();
    let expected: Vec<u64> = (0..20).map(|i| i % 7).collect();
    assert_eq!(keys, expected);
}

#[test]
fn hotspot_sends_the_hot_fraction_of_ops_to_the_hot_keys() {
    let items = 10_000u64;
    let draws = 200_000;
    let spec = reads(
        KeyDistribution::Hotspot {
            hot_fraction_of_keys: 0.2,
            hot_fraction_of_ops: 0.8,
        },
        items,
    );
    let counts = key_counts(&spec, 15, draws);
    let hot_keys = items / 5;
    let in_range = |lo: u64, hi: u64| -> f64 {
        counts.range(lo..hi).map(|(_, &c)| c).sum::<u64>() as f64 / draws as f64
    };
    let hot = in_range(0, hot_keys);
    assert!((hot - 0.8).abs() < 0.01, "hot share {hot}");
    // Uniform inside each set: ten slices of the hot set get 8% each, of the cold set 2%.
    for slice in 0..10 {
        let hot_slice = in_range(slice * hot_keys / 10, (slice + 1) * hot_keys / 10);
        assert!(
            (hot_slice - 0.08).abs() < 0.004,
            "hot slice {slice}: {hot_slice}"
        );
        let cold_width = (items - hot_keys) / 10;
        let cold_start = hot_keys + slice * cold_width;
        let cold_slice = in_range(cold_start, cold_start + cold_width);
        assert!(
            (cold_slice - 0.02).abs() < 0.002,
            "cold slice {slice}: {cold_slice}"
        );
    }
}

#[test]
fn huge_key_spaces_are_cheap_and_in_range() {
    let items = workloads::MAX_KEY_SPACE;
    for keys in [
        KeyDistribution::Uniform,
        KeyDistribution::Zipfian { theta: 0.99 },
        KeyDistribution::ScrambledZipfian { theta: 0.99 },
        KeyDistribution::Latest { theta: 0.99 },
        KeyDistribution::Sequential,
        KeyDistribution::Hotspot {
            hot_fraction_of_keys: 0.01,
            hot_fraction_of_ops: 0.9,
        },
        KeyDistribution::Shuffled,
    ] {
        let ops = support::ops(&reads(keys, items), 16, 10_000);
        assert_eq!(ops.len(), 10_000);
        assert!(ops.iter().all(|op| op.key() < items), "{keys:?}");
    }
}
