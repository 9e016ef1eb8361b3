//! Choosing a strategy at run time: one enum over the four pickers.

use super::fifo::FifoOptions;
use super::leveled::LeveledOptions;
use super::log::LogOptions;
use super::plan_checks::assert_plan_well_formed;
use super::universal::UniversalOptions;
use super::{Busy, CompactionPlan, fifo, leveled, log, universal};
use crate::entry::WallMs;
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};

/// A compaction strategy with its options (RocksDB: `compaction_style`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CompactionStyle {
    Leveled(LeveledOptions),
    Universal(UniversalOptions),
    Fifo(FifoOptions),
    /// Garnet/Tsavorite-style log compaction (one log of segments in L0).
    Log(LogOptions),
}

impl CompactionStyle {
    /// The strategy's short name: `leveled`, `universal`, `fifo` or `log`.
    pub fn name(&self) -> &'static str {
        match self {
            CompactionStyle::Leveled(_) => "leveled",
            CompactionStyle::Universal(_) => "universal",
            CompactionStyle::Fifo(_) => "fifo",
            CompactionStyle::Log(_) => "log",
        }
    }

    /// True when the style itself asks compacted tables to be deleted at install (the log
    /// style's `compaction_force_delete`); the roles' own `force_delete` also does.
    pub fn force_delete(&self) -> bool {
        matches!(self, CompactionStyle::Log(log) if log.compaction_force_delete)
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
    let plan = match style {
        CompactionStyle::Leveled(options) => leveled::pick(manifest, options, busy, now_ms),
        CompactionStyle::Universal(options) => universal::pick(manifest, options, busy, now_ms),
        CompactionStyle::Fifo(options) => fifo::pick(manifest, options, busy, now_ms),
        CompactionStyle::Log(options) => log::pick(manifest, options, busy),
    };
    if let Some(plan) = &plan {
        assert_plan_well_formed(plan, manifest, busy);
    }
    plan
}
