//! Choosing a strategy at run time: one enum over the three pickers.

use super::fifo::FifoOptions;
use super::leveled::LeveledOptions;
use super::universal::UniversalOptions;
use super::{Busy, CompactionPlan, fifo, leveled, universal};
use crate::entry::WallMs;
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};

/// A compaction strategy with its options (RocksDB: `compaction_style`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CompactionStyle {
    Leveled(LeveledOptions),
    Universal(UniversalOptions),
    Fifo(FifoOptions),
}

impl CompactionStyle {
    /// The strategy's short name: `leveled`, `universal` or `fifo`.
    pub fn name(&self) -> &'static str {
        match self {
            CompactionStyle::Leveled(_) => "leveled",
            CompactionStyle::Universal(_) => "universal",
            CompactionStyle::Fifo(_) => "fifo",
        }
    }

    /// The next compaction this strategy would start, if any.
    pub fn pick(&self, manifest: &Manifest, busy: &Busy, now_ms: WallMs) -> Option<CompactionPlan> {
        pick(manifest, self, busy, now_ms)
    }
}

/// The next compaction `style` would start on `manifest`, skipping everything `busy` holds.
/// Pure: the same arguments always give the same plan.
pub fn pick(
    manifest: &Manifest,
    style: &CompactionStyle,
    busy: &Busy,
    now_ms: WallMs,
) -> Option<CompactionPlan> {
    match style {
        CompactionStyle::Leveled(options) => leveled::pick(manifest, options, busy, now_ms),
        CompactionStyle::Universal(options) => universal::pick(manifest, options, busy, now_ms),
        CompactionStyle::Fifo(options) => fifo::pick(manifest, options, busy, now_ms),
    }
}
