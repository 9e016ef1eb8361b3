//! Choosing the key of each operation among the current records `0..n`.

use crate::permutation::Permutation;
use crate::rng::StreamRng;
use crate::spec::KeyDistribution;
use crate::zipfian::Zipfian;

/// The sampler state for one [`KeyDistribution`].
#[derive(Clone, Debug)]
pub(crate) enum KeyChooser {
    Uniform,
    Zipfian(Zipfian),
    Scrambled {
        zipfian: Zipfian,
        scramble: Permutation,
    },
    Latest(Zipfian),
    Sequential {
        next: u64,
    },
    Hotspot {
        hot_fraction_of_keys: f64,
        hot_fraction_of_ops: f64,
    },
    Shuffled {
        order: Permutation,
        next: u64,
    },
}

impl KeyChooser {
    /// `key_space` is the initial record count; any permutation keys come from `rng`.
    pub(crate) fn new(keys: &KeyDistribution, key_space: u64, rng: &mut StreamRng) -> KeyChooser {
        match *keys {
            KeyDistribution::Uniform => KeyChooser::Uniform,
            KeyDistribution::Zipfian { theta } => {
                KeyChooser::Zipfian(Zipfian::new(key_space, theta))
            }
            KeyDistribution::ScrambledZipfian { theta } => KeyChooser::Scrambled {
                zipfian: Zipfian::new(key_space, theta),
                scramble: Permutation::new(key_space, round_keys(rng)),
            },
            KeyDistribution::Latest { theta } => KeyChooser::Latest(Zipfian::new(key_space, theta)),
            KeyDistribution::Sequential => KeyChooser::Sequential { next: 0 },
            KeyDistribution::Hotspot {
                hot_fraction_of_keys,
                hot_fraction_of_ops,
            } => KeyChooser::Hotspot {
                hot_fraction_of_keys,
                hot_fraction_of_ops,
            },
            KeyDistribution::Shuffled => KeyChooser::Shuffled {
                order: Permutation::new(key_space, round_keys(rng)),
                next: 0,
            },
        }
    }

    /// A key in `0..records` (`records >= 1`), or `None` once a shuffled order is used up.
    pub(crate) fn next_key(&mut self, rng: &mut StreamRng, records: u64) -> Option<u64> {
        let records = records.max(1);
        let key = match self {
            KeyChooser::Uniform => rng.below(records),
            KeyChooser::Zipfian(zipfian) => {
                zipfian.grow_to(records);
                zipfian.sample(rng)
            }
            KeyChooser::Scrambled { zipfian, scramble } => {
                zipfian.grow_to(records);
                if scramble.items() != records {
                    *scramble = scramble.resized(records);
                }
                scramble.apply(zipfian.sample(rng))
            }
            KeyChooser::Latest(zipfian) => {
                zipfian.grow_to(records);
                (records - 1).saturating_sub(zipfian.sample(rng))
            }
            KeyChooser::Sequential { next } => {
                let key = *next % records;
                *next = key + 1;
                key
            }
            KeyChooser::Hotspot {
                hot_fraction_of_keys,
                hot_fraction_of_ops,
            } => hotspot(rng, records, *hot_fraction_of_keys, *hot_fraction_of_ops),
            KeyChooser::Shuffled { order, next } => {
                if *next >= order.items() {
                    return None;
                }
                let key = order.apply(*next);
                *next += 1;
                key
            }
        };
        Some(key)
    }
}

/// Hot set `0..hot`, drawn with probability `ops`; the rest uniform over `hot..records`.
/// An empty or full hot set leaves plain uniform.
fn hotspot(rng: &mut StreamRng, records: u64, keys: f64, ops: f64) -> u64 {
    let hot = ((records as f64 * keys) as u64).min(records);
    if hot == 0 || hot == records {
        return rng.below(records);
    }
    if rng.unit() < ops {
        rng.below(hot)
    } else {
        hot + rng.below(records - hot)
    }
}

fn round_keys(rng: &mut StreamRng) -> [u64; 4] {
    [
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
    ]
}
