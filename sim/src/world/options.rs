//! The options of every role in this world, from its configuration: pure functions of
//! [`WorldConfig`], so hosts, checks and models all read the same numbers.

use super::config::{LogCompaction, Topology, WorldConfig, WorldStyle};
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::fifo::FifoOptions;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::log::{LogCompactionType, LogOptions};
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::gc::GcOptions;
use lsm_core::roles::compactor::CompactorOptions;
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
        WorldStyle::Fifo => CompactionStyle::Fifo(fifo_options(config)),
        WorldStyle::Log(kind) => CompactionStyle::Log(log_options(config, kind)),
    };
    let standalone = config.lsm.topology == Topology::Standalone;
    WriterOptions {
        memtable_size_bytes: memtable,
        wal_segments_flush_trigger: config.writer.wal_segments_flush_trigger,
        commit_entries_max: config.writer.commit_entries_max,
        compaction: Some(style),
        no_compactor: standalone,
        force_delete: config.lsm.force_delete,
        durability: config.lsm.durability,
        checkpoints_retained: 1,
        checkpoint_lifetime_ms: Some(config.lsm.checkpoint_lifetime_ms),
        bugs: config.lsm.bugs(),
        ..WriterOptions::default()
    }
}

/// The same strategy and table options the writer's stall rules assume.
pub fn compactor_options(config: &WorldConfig) -> CompactorOptions {
    let writer = writer_options(config);
    CompactorOptions {
        style: writer
            .compaction
            .unwrap_or(CompactionStyle::Leveled(LeveledOptions::default())),
        sst: writer.sst,
        retry: writer.retry,
        cas_attempts_max: writer.cas_attempts_max,
        max_concurrent_compactions: config.lsm.compactor_jobs_max,
        force_delete: config.lsm.force_delete,
        bugs: writer.bugs,
    }
}

/// The garbage collector's options: the writer's retry and CAS bounds and bugs; keeps the
/// newest checkpoint of each name.
pub fn gc_options(config: &WorldConfig) -> GcOptions {
    let writer = writer_options(config);
    GcOptions {
        retry: writer.retry,
        cas_attempts_max: writer.cas_attempts_max,
        keep_newest_per_name: true,
        bugs: writer.bugs,
        ..GcOptions::default()
    }
}

/// The smallest `max_table_files_size` the world uses.
const MAX_TABLE_FILES_BYTES_MIN: u64 = 4 << 10;

/// The world's FIFO options: keep about half a copy of the key space
/// (`key_space × (16 + value_bytes) ÷ 2`, at least 4 KiB), so that a default-sized run,
/// which writes the key space over several times, drops tables. With TTL drawn, FIFO's
/// `ttl_ms` is the longest TTL a put gets (a table older than that by the picking node's
/// skewed clock goes; C7 and the lossy C1 judge it), else 0. No intra-L0 merges (RocksDB's
/// default), so every table that leaves the tree leaves by a drop.
pub fn fifo_options(config: &WorldConfig) -> FifoOptions {
    let entry_bytes = 16 + u64::from(config.clients.value_bytes.max(8));
    let key_space_bytes = config.clients.key_space.saturating_mul(entry_bytes);
    FifoOptions {
        max_table_files_size: (key_space_bytes / 2).max(MAX_TABLE_FILES_BYTES_MIN),
        ttl_ms: config.clients.ttl.map_or(0, |ttl| ttl.ttl_ms_max),
        allow_compaction: false,
        write_buffer_size: config.writer.memtable_size_bytes,
        ..FifoOptions::default()
    }
}

/// The world's log options.
pub fn log_options(config: &WorldConfig, kind: LogCompaction) -> LogOptions {
    LogOptions {
        compaction_type: match kind {
            LogCompaction::Shift => LogCompactionType::Shift,
            LogCompaction::Scan => LogCompactionType::Scan,
            LogCompaction::Lookup => LogCompactionType::Lookup,
        },
        compaction_max_segments: config.lsm.log_max_segments,
        compaction_frequency_ms: config.lsm.log_compaction_frequency_ms,
        compaction_force_delete: config.lsm.force_delete,
    }
}
