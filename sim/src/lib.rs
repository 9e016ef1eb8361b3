//! Sediment's simulator, checkers and CLI.
#![forbid(unsafe_code)]

pub mod clock;
pub mod compaction_sim;
pub mod cost;
pub mod lincheck;
pub mod rng;
pub mod store;
pub mod trace;
pub mod world;
pub mod wrap;
