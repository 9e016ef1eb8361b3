//! Sediment's pure-logic LSM core.
//!
//! Nothing in this crate performs I/O, reads a clock, draws a random number, spawns or
//! sleeps on its own: time, randomness and storage come in through parameters and through
//! the [`store::ObjectStore`] and [`clock::Clock`] traits. That is what lets the simulator
//! replay any run from its seed. `tests/purity.rs` keeps this honest.
#![forbid(unsafe_code)]

mod bincode_body;
#[cfg(feature = "bugs")]
pub mod bugs;
pub mod checksum;
pub mod clock;
pub mod codec;
pub mod compaction;
pub mod entry;
pub mod gc;
pub mod ids;
pub mod layout;
pub mod manifest;
pub mod memtable;
pub mod merge;
pub mod roles;
pub mod sst;
pub mod store;
pub mod wal;
