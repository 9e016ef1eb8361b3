//! Deterministic operation streams for Sediment: YCSB-style mixes, key and value
//! distributions, TTL time series.
//!
//! A [`WorkloadSpec`] says what to generate; [`OpStream::new`] validates it and turns it,
//! with a seed, into an endless (or, for [`KeyDistribution::Shuffled`], finite) iterator of
//! [`Op`]s. The same spec and seed always give the same stream: the only randomness is one
//! ChaCha8 stream seeded from the seed, and the library does no I/O, reads no clock and
//! spawns nothing. [`preset`] returns the named workloads (YCSB A–F and Sediment's own).
//!
//! Keys are ids (`u64`); [`key_bytes`] turns an id into the 16-byte key the store sees.
#![forbid(unsafe_code)]

mod error;
mod keys;
mod limits;
mod load;
mod mix;
mod op;
mod permutation;
mod presets;
mod rng;
mod spec;
mod stream;
mod validate;
mod values;
mod zipfian;

pub use error::SpecError;
pub use limits::{MAX_KEY_SPACE, MAX_SCAN_LEN, MAX_VALUE_BYTES};
pub use load::LoadStream;
pub use op::{Op, key_bytes};
pub use presets::{DEFAULT_KEY_SPACE, DEFAULT_VALUE_BYTES, preset, preset_names};
pub use spec::{
    DEFAULT_ZIPFIAN_THETA, KeyDistribution, Mix, ScanLengths, TtlSpec, ValueSizes, WorkloadSpec,
};
pub use stream::OpStream;
