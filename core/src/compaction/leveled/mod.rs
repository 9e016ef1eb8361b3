//! Leveled compaction as RocksDB does it: L0 and levels scored against their targets
//! (dynamic level bytes by default), the highest score picked first, one file chosen by
//! compaction priority, inputs expanded over overlapping L0 tables and within
//! `max_compaction_bytes`, trivial moves when nothing overlaps below.

mod expand;
mod grandparent;
mod options;
mod pick;
mod priority;
mod score;
mod targets;
mod trivial;

pub(crate) use expand::{expand_l0_inputs, setup_other_inputs};
pub use grandparent::{CutRule, GrandparentCut, GrandparentCutter, GrandparentFile};
pub use options::{CompactionPri, LeveledOptions};
pub use pick::pick;
pub use priority::files_by_priority;
pub use score::{LevelScore, level_scores};
pub use targets::LevelTargets;
pub(crate) use trivial::is_trivial_move;
