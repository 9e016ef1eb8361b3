//! Value sizes.

use crate::rng::StreamRng;
use crate::spec::ValueSizes;
use crate::zipfian::Zipfian;

/// The sampler state for one [`ValueSizes`] (already validated).
#[derive(Clone, Debug)]
pub(crate) enum ValueSampler {
    Fixed(u32),
    Uniform { min_bytes: u32, max_bytes: u32 },
    Zipf { min_bytes: u32, ranks: Zipfian },
}

impl ValueSampler {
    pub(crate) fn new(values: &ValueSizes) -> ValueSampler {
        match *values {
            ValueSizes::Fixed { value_bytes } => ValueSampler::Fixed(value_bytes),
            ValueSizes::Uniform {
                min_bytes,
                max_bytes,
            } => ValueSampler::Uniform {
                min_bytes,
                max_bytes,
            },
            ValueSizes::Zipf {
                min_bytes,
                max_bytes,
                theta,
            } => ValueSampler::Zipf {
                min_bytes,
                ranks: Zipfian::new(u64::from(max_bytes.saturating_sub(min_bytes)) + 1, theta),
            },
        }
    }

    pub(crate) fn next_bytes(&self, rng: &mut StreamRng) -> u32 {
        match self {
            ValueSampler::Fixed(value_bytes) => *value_bytes,
            ValueSampler::Uniform {
                min_bytes,
                max_bytes,
            } => {
                let size = rng.inclusive(u64::from(*min_bytes), u64::from(*max_bytes));
                u32::try_from(size).unwrap_or(*max_bytes)
            }
            ValueSampler::Zipf { min_bytes, ranks } => {
                let rank = u32::try_from(ranks.sample(rng)).unwrap_or(u32::MAX);
                min_bytes.saturating_add(rank)
            }
        }
    }
}
