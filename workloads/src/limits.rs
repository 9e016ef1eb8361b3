//! Upper bounds on everything a spec can ask for, so no stream can allocate or loop without
//! limit.

/// Largest key space (initial record count); inserts never grow the record count past it.
pub const MAX_KEY_SPACE: u64 = 1 << 40;

/// Longest scan, in records.
pub const MAX_SCAN_LEN: u32 = 1000;

/// Largest value, in bytes (1 MiB).
pub const MAX_VALUE_BYTES: u32 = 1 << 20;
