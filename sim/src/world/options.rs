//! The options of every role in this world, from its configuration: pure functions of
//! [`WorldConfig`], so hosts, checks and models all read the same numbers.

use super::config::{Topology, WorldConfig, WorldStyle};
use super::{fifo_style, log_style};
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::roles::writer::WriterOptions;

/// L0 tables that trigger a compaction, in every style the world runs.
pub const L0_COMPACTION_TRIGGER: usize = 4;

/// The writer options of this world.
pub fn writer_options(config: &WorldConfig) -> WriterOptions {
    let memtable = config.writer.memtable_size_bytes;
    let style = match config.writer.style {
        WorldStyle::Leveled => CompactionStyle::Leveled(LeveledOptions {
            level0_file_num_compaction_trigger: L0_COMPACTION_TRIGGER,
            max_bytes_for_level_base: memtable.saturating_mul(4),
            target_file_size_base: memtable,
            ..LeveledOptions::default()
        }),
        WorldStyle::Universal => CompactionStyle::Universal(UniversalOptions {
            level0_file_num_compaction_trigger: L0_COMPACTION_TRIGGER,
            write_buffer_size: memtable,
            target_file_size_base: memtable.saturating_mul(4),
            ..UniversalOptions::default()
        }),
        WorldStyle::Fifo => CompactionStyle::Fifo(fifo_style::fifo_options(config)),
        WorldStyle::Log(kind) => CompactionStyle::Log(log_style::log_options(config, kind)),
    };
    let standalone = config.lsm.topology == Topology::Standalone;
    WriterOptions {
        memtable_size_bytes: memtable,
        commit_entries_max: config.writer.commit_entries_max,
        compaction: Some(style),
        no_compactor: standalone,
        // The garbage collector's node deletes; the embedded compactor only defers.
        purge_obsolete: false,
        force_delete: config.lsm.force_delete,
        durability: config.lsm.durability,
        checkpoints_retained: 1,
        checkpoint_lifetime_ms: Some(config.lsm.checkpoint_lifetime_ms),
        bugs: config.lsm.bugs(),
        ..WriterOptions::default()
    }
}
