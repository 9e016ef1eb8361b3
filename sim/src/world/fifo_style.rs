//! FIFO in the world (`--style fifo`). FIFO drops the oldest tables by design (RocksDB's
//! FIFO compaction, for data whose value decays with age), so C1 checks FIFO runs against
//! the lossy register model (`lincheck::models::fifo_register`): a read may find a key gone
//! whose newest write was dropped, but never an older value and never a wrong one.

use super::config::{LogCompaction, WorldStyle};
use crate::lincheck::html::HtmlSection;
use crate::lincheck::models::fifo_register::FifoRegisterModel;
use crate::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
use crate::lincheck::{CheckOptions, CheckReport, History, Model, Verdict, check};

type KvHistory = History<KvInput<u64, u64>, KvOutput<u64>>;

/// C1 with the model `style` promises: the lossy FIFO register for FIFO and the log
/// style's shift (both drop the oldest tables, so a drop never uncovers an older value), the
/// plain register map otherwise.
/// With the report, the explanation page's section when the verdict is not linearizable.
pub fn c1_check(
    style: WorldStyle,
    history: &KvHistory,
    options: &CheckOptions,
) -> (CheckReport, Option<HtmlSection>) {
    match style {
        WorldStyle::Fifo | WorldStyle::Log(LogCompaction::Shift) => {
            check_explained(&FifoRegisterModel::new(), history, options)
        }
        WorldStyle::Leveled
        | WorldStyle::Universal
        | WorldStyle::Log(LogCompaction::Scan | LogCompaction::Lookup) => {
            check_explained(&KvRegisterModel::new(), history, options)
        }
    }
}

/// Checks `history` under `model`; a verdict other than linearizable is also rendered
/// (`sim --seed N --html FILE` writes it), a passing one is not (it would cost every run).
pub fn check_explained<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> (CheckReport, Option<HtmlSection>) {
    let report = check(model, history, options);
    let section = (!matches!(report.verdict, Verdict::Linearizable))
        .then(|| HtmlSection::new("C1", model, history, &report));
    (report, section)
}
