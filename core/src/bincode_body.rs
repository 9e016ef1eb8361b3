//! Decoding a bincode body with a memory bound that follows the body's length.
//!
//! bincode allocates a byte string (or string) of the length it reads *before* reading its
//! bytes, refusing only lengths past the configured limit. With a fixed limit, a corrupt
//! body of a few dozen bytes could make the decoder allocate the whole limit (64 MiB for a
//! manifest). Choosing the limit from the body's length bounds every allocation by the
//! input (fuzzing found this: see core/tests/fuzz_regressions.rs).

use bincode::config::Config;
use bincode::error::DecodeError;
use serde::de::DeserializeOwned;

/// bincode's limit counts decoded memory, not input: a one-byte varint decodes to a u64, so
/// a valid body claims at most 8 bytes per byte of input (strings and byte strings claim
/// their own length, containers nothing through serde).
const CLAIMED_BYTES_PER_BODY_BYTE: usize = 8;

/// Decodes `body` (bincode standard configuration) with the smallest limit in a ladder of
/// powers of four that still admits any valid body of its length, never above `LIMIT_MAX`.
pub(crate) fn decode_bounded<T: DeserializeOwned, const LIMIT_MAX: usize>(
    body: &[u8],
) -> Result<(T, usize), DecodeError> {
    let claim_max = body.len().saturating_mul(CLAIMED_BYTES_PER_BODY_BYTE);
    macro_rules! first_fitting {
        ($($limit:expr),*) => {$(
            if $limit < LIMIT_MAX && claim_max <= $limit {
                return decode_with(body, bincode::config::standard().with_limit::<{ $limit }>());
            }
        )*};
    }
    first_fitting!(
        1 << 12,
        1 << 14,
        1 << 16,
        1 << 18,
        1 << 20,
        1 << 22,
        1 << 24
    );
    decode_with(body, bincode::config::standard().with_limit::<LIMIT_MAX>())
}

fn decode_with<T: DeserializeOwned>(
    body: &[u8],
    config: impl Config,
) -> Result<(T, usize), DecodeError> {
    bincode::serde::decode_from_slice(body, config)
}
