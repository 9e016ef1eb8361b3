//! Why a spec was refused.

use std::fmt;

/// A [`crate::WorkloadSpec`] that cannot be turned into a stream.
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    /// A mix ratio is negative, NaN or infinite.
    InvalidRatio { op: &'static str, ratio: f64 },
    /// The mix ratios do not sum to 1 (within 1e-9).
    RatiosDoNotSumToOne { sum: f64 },
    /// The key space (initial record count) is zero.
    ZeroKeySpace,
    /// The key space exceeds [`crate::MAX_KEY_SPACE`].
    KeySpaceTooLarge { key_space: u64, max: u64 },
    /// A zipfian constant outside (0, 1) ∪ (1, ∞); `what` names the distribution.
    InvalidTheta { what: &'static str, theta: f64 },
    /// A hotspot fraction outside [0, 1] (or NaN).
    InvalidFraction { what: &'static str, fraction: f64 },
    /// A value size range whose minimum exceeds its maximum.
    EmptyValueRange { min_bytes: u32, max_bytes: u32 },
    /// A value size above [`crate::MAX_VALUE_BYTES`].
    ValueTooLarge { value_bytes: u32, max: u32 },
    /// A scan length range that is empty or starts at zero.
    InvalidScanRange { min_len: u32, max_len: u32 },
    /// A scan length above [`crate::MAX_SCAN_LEN`].
    ScanTooLong { len: u32, max: u32 },
    /// A TTL range whose minimum exceeds its maximum.
    EmptyTtlRange { min_ms: u64, max_ms: u64 },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::InvalidRatio { op, ratio } => {
                write!(
                    f,
                    "mix ratio for {op} is {ratio}; it must be finite and >= 0"
                )
            }
            SpecError::RatiosDoNotSumToOne { sum } => {
                write!(f, "mix ratios sum to {sum}, not 1")
            }
            SpecError::ZeroKeySpace => write!(f, "key space is zero"),
            SpecError::KeySpaceTooLarge { key_space, max } => {
                write!(f, "key space {key_space} exceeds the maximum {max}")
            }
            SpecError::InvalidTheta { what, theta } => write!(
                f,
                "{what}: zipfian constant {theta} is outside (0, 1) and (1, infinity)"
            ),
            SpecError::InvalidFraction { what, fraction } => {
                write!(f, "{what} is {fraction}; it must be within [0, 1]")
            }
            SpecError::EmptyValueRange {
                min_bytes,
                max_bytes,
            } => write!(f, "value sizes {min_bytes}..={max_bytes} is an empty range"),
            SpecError::ValueTooLarge { value_bytes, max } => {
                write!(
                    f,
                    "value size {value_bytes} exceeds the maximum {max} bytes"
                )
            }
            SpecError::InvalidScanRange { min_len, max_len } => write!(
                f,
                "scan lengths {min_len}..={max_len} must be a non-empty range starting at 1 or more"
            ),
            SpecError::ScanTooLong { len, max } => {
                write!(f, "scan length {len} exceeds the maximum {max}")
            }
            SpecError::EmptyTtlRange { min_ms, max_ms } => {
                write!(f, "TTL {min_ms}..={max_ms} ms is an empty range")
            }
        }
    }
}

impl std::error::Error for SpecError {}
