//! Garnet/Tsavorite-style log compaction: the tree is one log of segments (L0 tables in
//! arrival order, newest first, no levels). When more than `compaction_max_segments`
//! segments exist, the oldest are compacted by one of three strategies:
//!
//! - **shift**: the oldest segments leave the log without copying anything; live records in
//!   them are lost by design (a cache that ages data out);
//! - **scan**: the rest of the log is read whole to learn which records of the candidates
//!   are still the newest version of their key; those are copied into a new segment;
//! - **lookup**: each candidate record's key is looked up in the newer segments (bloom
//!   filter, index, one data block) to learn the same.
//!
//! The copied records keep their sequence numbers, so the new segment takes its place in
//! the log by sequence number (where the candidates were): every record in it is the newest
//! of its key, so where it is read makes no difference to any read, and a write made after
//! the liveness check has a larger sequence number and is read first. Compacted segments
//! go onto the manifest's pending list and are deleted only after a newer checkpoint
//! (Garnet truncates its log at the next checkpoint), unless `compaction_force_delete`.

mod liveness;
mod options;
mod pick;

pub use liveness::{
    LogCompactionStats, LookupProbe, ShadowFilter, candidate_keys, lookup_blocks_needed,
    lookup_probe, scan_shadowed,
};
pub use options::{LogCompactionType, LogOptions};
pub use pick::pick;

#[cfg(test)]
mod tests;
