//! Shared pieces of Sediment's fuzz targets (`fuzz_targets/`): checksum re-sealing, so that
//! mutated inputs get past the CRC checks and reach the parsers behind them, the decoders'
//! properties, and the structured (`arbitrary`) inputs of `manifest_apply` and `lsm_model`.
//!
//! Every decoder may reject any input with a typed error; a target fails only on a panic, a
//! hang (libFuzzer's `-timeout`), an allocation past `-malloc_limit_mb`, or a broken
//! property asserted here.
#![forbid(unsafe_code)]

pub mod decoders;
pub mod edits;
pub mod model;
pub mod reseal;
