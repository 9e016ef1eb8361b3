//! FIFO in the world (`--style fifo`). FIFO drops the oldest tables by design (RocksDB's
//! FIFO compaction, for data whose value decays with age), so C1 checks FIFO runs against
//! the lossy register model (`lincheck::models::fifo_register`): a read may find a key gone
//! whose newest write was dropped, but never an older value and never a wrong one.

use super::config::{LogCompaction, WorldConfig, WorldStyle};
use crate::lincheck::models::fifo_register::FifoRegisterModel;
use crate::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
use crate::lincheck::{CheckOptions, CheckReport, History, check};
use lsm_core::compaction::fifo::FifoOptions;

type KvHistory = History<KvInput<u64, u64>, KvOutput<u64>>;

/// The smallest `max_table_files_size` the world uses.
const MAX_TABLE_FILES_BYTES_MIN: u64 = 4 << 10;

/// The world's FIFO options: keep about half a copy of the key space
/// (`key_space × (16 + value_bytes) ÷ 2`, at least 4 KiB), so that a default-sized run,
/// which writes the key space over several times, drops tables. No TTL (the world's clocks
/// jump, and TTL expiry belongs with C7) and no intra-L0 merges (RocksDB's default), so
/// every table that leaves the tree leaves by a drop.
pub fn fifo_options(config: &WorldConfig) -> FifoOptions {
    let entry_bytes = 16 + u64::from(config.clients.value_bytes.max(8));
    let key_space_bytes = config.clients.key_space.saturating_mul(entry_bytes);
    FifoOptions {
        max_table_files_size: (key_space_bytes / 2).max(MAX_TABLE_FILES_BYTES_MIN),
        ttl_ms: 0,
        allow_compaction: false,
        write_buffer_size: config.writer.memtable_size_bytes,
        ..FifoOptions::default()
    }
}

/// C1 with the model `style` promises: the lossy FIFO register for FIFO and the log
/// style's shift (both drop the oldest tables, so a drop never uncovers an older value), the
/// plain register map otherwise.
pub fn c1_check(style: WorldStyle, history: &KvHistory, options: &CheckOptions) -> CheckReport {
    match style {
        WorldStyle::Fifo | WorldStyle::Log(LogCompaction::Shift) => {
            check(&FifoRegisterModel::new(), history, options)
        }
        WorldStyle::Leveled
        | WorldStyle::Universal
        | WorldStyle::Log(LogCompaction::Scan | LogCompaction::Lookup) => {
            check(&KvRegisterModel::new(), history, options)
        }
    }
}
