//! Spec validation: every field checked before a stream starts, so no spec can make a
//! sampler panic, divide by zero or loop without bound.

use crate::error::SpecError;
use crate::limits::{MAX_KEY_SPACE, MAX_SCAN_LEN, MAX_VALUE_BYTES};
use crate::spec::{KeyDistribution, Mix, ScanLengths, TtlSpec, ValueSizes, WorkloadSpec};

/// How far the mix ratios may sum from 1.
const RATIO_SUM_TOLERANCE: f64 = 1e-9;

impl WorkloadSpec {
    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), SpecError> {
        validate_mix(&self.mix)?;
        validate_key_space(self.key_space)?;
        validate_keys(&self.keys)?;
        validate_values(&self.values)?;
        validate_scan_lengths(&self.scan_lengths)?;
        match self.ttl {
            Some(TtlSpec { min_ms, max_ms }) if min_ms > max_ms => {
                Err(SpecError::EmptyTtlRange { min_ms, max_ms })
            }
            _ => Ok(()),
        }
    }
}

fn validate_mix(mix: &Mix) -> Result<(), SpecError> {
    let mut sum = 0.0;
    for (op, ratio) in mix.named() {
        if !ratio.is_finite() || ratio < 0.0 {
            return Err(SpecError::InvalidRatio { op, ratio });
        }
        sum += ratio;
    }
    if (sum - 1.0).abs() > RATIO_SUM_TOLERANCE {
        return Err(SpecError::RatiosDoNotSumToOne { sum });
    }
    Ok(())
}

fn validate_key_space(key_space: u64) -> Result<(), SpecError> {
    if key_space == 0 {
        return Err(SpecError::ZeroKeySpace);
    }
    if key_space > MAX_KEY_SPACE {
        return Err(SpecError::KeySpaceTooLarge {
            key_space,
            max: MAX_KEY_SPACE,
        });
    }
    Ok(())
}

/// YCSB accepts any zipfian constant but 1 (where Gray's formula divides by zero).
fn validate_theta(what: &'static str, theta: f64) -> Result<(), SpecError> {
    if theta.is_finite() && theta > 0.0 && theta != 1.0 {
        Ok(())
    } else {
        Err(SpecError::InvalidTheta { what, theta })
    }
}

fn validate_fraction(what: &'static str, fraction: f64) -> Result<(), SpecError> {
    if (0.0..=1.0).contains(&fraction) {
        Ok(())
    } else {
        Err(SpecError::InvalidFraction { what, fraction })
    }
}

fn validate_keys(keys: &KeyDistribution) -> Result<(), SpecError> {
    match *keys {
        KeyDistribution::Zipfian { theta } => validate_theta("zipfian keys", theta),
        KeyDistribution::ScrambledZipfian { theta } => {
            validate_theta("scrambled zipfian keys", theta)
        }
        KeyDistribution::Latest { theta } => validate_theta("latest keys", theta),
        KeyDistribution::Hotspot {
            hot_fraction_of_keys,
            hot_fraction_of_ops,
        } => {
            validate_fraction("hot_fraction_of_keys", hot_fraction_of_keys)?;
            validate_fraction("hot_fraction_of_ops", hot_fraction_of_ops)
        }
        KeyDistribution::Uniform | KeyDistribution::Sequential | KeyDistribution::Shuffled => {
            Ok(())
        }
    }
}

fn validate_values(values: &ValueSizes) -> Result<(), SpecError> {
    let (min_bytes, max_bytes) = match *values {
        ValueSizes::Fixed { value_bytes } => (value_bytes, value_bytes),
        ValueSizes::Uniform {
            min_bytes,
            max_bytes,
        } => (min_bytes, max_bytes),
        ValueSizes::Zipf {
            min_bytes,
            max_bytes,
            theta,
        } => {
            validate_theta("zipf value sizes", theta)?;
            (min_bytes, max_bytes)
        }
    };
    if min_bytes > max_bytes {
        return Err(SpecError::EmptyValueRange {
            min_bytes,
            max_bytes,
        });
    }
    if max_bytes > MAX_VALUE_BYTES {
        return Err(SpecError::ValueTooLarge {
            value_bytes: max_bytes,
            max: MAX_VALUE_BYTES,
        });
    }
    Ok(())
}

fn validate_scan_lengths(scan: &ScanLengths) -> Result<(), SpecError> {
    let ScanLengths { min_len, max_len } = *scan;
    if min_len == 0 || min_len > max_len {
        return Err(SpecError::InvalidScanRange { min_len, max_len });
    }
    if max_len > MAX_SCAN_LEN {
        return Err(SpecError::ScanTooLong {
            len: max_len,
            max: MAX_SCAN_LEN,
        });
    }
    Ok(())
}
