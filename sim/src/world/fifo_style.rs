//! FIFO in the world (`--style fifo`). FIFO drops the oldest tables by design (RocksDB's
//! FIFO compaction, for data whose value decays with age), so C1 checks FIFO runs against
//! the lossy register model (`lincheck::models::fifo_register`): a read may find a key gone
//! whose newest write was dropped, but never an older value and never a wrong one.

use super::config::{LogCompaction, WorldStyle};
use crate::lincheck::models::fifo_register::FifoRegisterModel;
use crate::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
use crate::lincheck::{CheckOptions, CheckReport, History, check};

type KvHistory = History<KvInput<u64, u64>, KvOutput<u64>>;

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
