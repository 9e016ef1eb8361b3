//! FIFO compaction as RocksDB does it: every table stays in L0; the oldest are dropped when
//! the total passes `max_table_files_size` or their data outlives `ttl`, and small L0
//! tables may be merged when `allow_compaction` is on.

mod options;
mod pick;

pub use options::FifoOptions;
pub use pick::pick;
