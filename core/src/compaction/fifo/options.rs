//! Options of FIFO compaction. Names and defaults are RocksDB's
//! (`CompactionOptionsFIFO` plus the column-family options it reads).

use serde::{Deserialize, Serialize};

/// FIFO compaction options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FifoOptions {
    /// RocksDB: `max_table_files_size`, default 1 GiB: above it the oldest tables go.
    pub max_table_files_size: u64,
    /// RocksDB: `ttl` (there in seconds, default 0 = off for FIFO), here in milliseconds:
    /// a table whose newest data (`created_at_ms`) is older than this is dropped.
    pub ttl_ms: u64,
    /// RocksDB: `allow_compaction`, default false: merge spans of small L0 tables.
    pub allow_compaction: bool,
    /// RocksDB: `level0_file_num_compaction_trigger`, default 4: the fewest tables an
    /// intra-L0 merge takes.
    pub level0_file_num_compaction_trigger: usize,
    /// RocksDB: `write_buffer_size`, default 64 MiB: a merge is not done when it would cost
    /// more than 1.1 × this per table removed (so tables are not merged over and over into
    /// ones that never expire).
    pub write_buffer_size: u64,
    /// RocksDB: `max_compaction_bytes`, default 0 meaning 25 × `target_file_size_base`
    /// (64 MiB): at most this many bytes per merge.
    pub max_compaction_bytes: u64,
}

impl Default for FifoOptions {
    fn default() -> FifoOptions {
        FifoOptions {
            max_table_files_size: 1 << 30,
            ttl_ms: 0,
            allow_compaction: false,
            level0_file_num_compaction_trigger: 4,
            write_buffer_size: 64 << 20,
            max_compaction_bytes: 0,
        }
    }
}

impl FifoOptions {
    /// RocksDB's default target file size, which sizes the default `max_compaction_bytes`.
    const DEFAULT_TARGET_FILE_SIZE: u64 = 64 << 20;

    /// `max_compaction_bytes` after RocksDB's sanitizing.
    pub fn effective_max_compaction_bytes(&self) -> u64 {
        if self.max_compaction_bytes == 0 {
            Self::DEFAULT_TARGET_FILE_SIZE * 25
        } else {
            self.max_compaction_bytes
        }
    }
}
