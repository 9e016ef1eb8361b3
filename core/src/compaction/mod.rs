//! Compaction as pure functions: pickers that decide what to compact from manifest metadata
//! alone, the merge that executes a decision on SST bytes, and the write-stall rules.
//!
//! The rules follow RocksDB's so that users can trust the reports: leveled
//! (`compaction_picker_level.cc`, `VersionStorageInfo::ComputeCompactionScore`,
//! `CalculateBaseBytes`), universal (`compaction_picker_universal.cc`) and FIFO
//! (`compaction_picker_fifo.cc`); the log style follows Garnet's log compaction. A picker
//! never reads a clock or a table: time comes in as
//! `now_ms`, running work as [`Busy`], and the result is a serializable [`CompactionPlan`]
//! holding ids only. [`execute`] runs a plan on the input tables, and
//! [`CompactionPlan::into_edit`] turns its result into the manifest edit to apply to the
//! *current* manifest.

mod bottommost;
mod busy;
mod compensated;
mod execute;
pub mod fifo;
mod intra_l0;
pub mod leveled;
mod listener;
pub mod log;
mod manual;
mod overlap;
mod pending;
mod plan;
mod plan_checks;
mod sorted_runs;
mod stall;
mod stats;
mod style;
mod style_stall;
pub mod universal;

pub use bottommost::is_bottommost;
pub use busy::{Busy, RunningCompaction};
pub use compensated::Compensation;
pub use execute::{CompactionOutput, ExecuteError, execute};
pub use listener::{CompactionEvent, CompactionJobInfo, CompactionListener, EventLog, NoListener};
pub use manual::{BottommostLevelCompaction, ManualCompaction, ManualStep};
pub use pending::estimated_pending_compaction_bytes;
pub use plan::{CompactionPlan, CompactionReason, OutputTime, PlanError, PlanInput, PlanKind};
pub use sorted_runs::sorted_run_count;
pub use stall::{StallOptions, StallReason, StallState, stall_state};
pub use stats::CompactionStats;
pub use style::{CompactionStyle, pick};
pub use style_stall::{style_stall_inputs, style_stall_state};
