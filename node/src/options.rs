//! Core's role options from the configuration: pure functions, so every process (writer,
//! compactor, GC, inspect) derives the same numbers from the same file.

use crate::config::{Config, LsmConfig, Style};
use lsm_core::compaction::CompactionStyle;
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::compaction::universal::UniversalOptions;
use lsm_core::gc::GcOptions;
use lsm_core::roles::compactor::CompactorOptions;
use lsm_core::roles::writer::{RemoteOptions, WriterOptions};
use std::time::Duration;

/// The writer's checkpoints are taken this often unless configured.
const CHECKPOINT_INTERVAL_MS_DEFAULT: u64 = 60_000;
/// A checkpoint lives this long unless configured (GC expires it afterwards).
const CHECKPOINT_LIFETIME_MS_DEFAULT: u64 = 3_600_000;
const GC_INTERVAL_MS_DEFAULT: u64 = 10_000;
const COMPACTOR_POLL_MS_DEFAULT: u64 = 1_000;
/// How often a writer without its own compactor re-reads the manifest.
const MANIFEST_POLL_MS_DEFAULT: u64 = 1_000;

/// The compaction style with the configured options over core's defaults.
pub fn compaction_style(lsm: &LsmConfig) -> CompactionStyle {
    match lsm.style {
        Style::Leveled => {
            let d = LeveledOptions::default();
            CompactionStyle::Leveled(LeveledOptions {
                num_levels: lsm.num_levels.unwrap_or(d.num_levels),
                level0_file_num_compaction_trigger: lsm
                    .level0_file_num_compaction_trigger
                    .unwrap_or(d.level0_file_num_compaction_trigger),
                max_bytes_for_level_base: lsm
                    .max_bytes_for_level_base
                    .unwrap_or(d.max_bytes_for_level_base),
                max_bytes_for_level_multiplier: lsm
                    .max_bytes_for_level_multiplier
                    .unwrap_or(d.max_bytes_for_level_multiplier),
                level_compaction_dynamic_level_bytes: lsm
                    .level_compaction_dynamic_level_bytes
                    .unwrap_or(d.level_compaction_dynamic_level_bytes),
                target_file_size_base: lsm.target_file_size_base.unwrap_or(d.target_file_size_base),
                target_file_size_multiplier: lsm
                    .target_file_size_multiplier
                    .unwrap_or(d.target_file_size_multiplier),
                max_compaction_bytes: lsm.max_compaction_bytes.unwrap_or(d.max_compaction_bytes),
                ..d
            })
        }
        Style::Universal => {
            let d = UniversalOptions::default();
            CompactionStyle::Universal(UniversalOptions {
                num_levels: lsm.num_levels.unwrap_or(d.num_levels),
                level0_file_num_compaction_trigger: lsm
                    .level0_file_num_compaction_trigger
                    .unwrap_or(d.level0_file_num_compaction_trigger),
                level0_stop_writes_trigger: lsm
                    .level0_stop_writes_trigger
                    .unwrap_or(d.level0_stop_writes_trigger),
                size_ratio: lsm.size_ratio.unwrap_or(d.size_ratio),
                min_merge_width: lsm.min_merge_width.unwrap_or(d.min_merge_width),
                max_merge_width: lsm.max_merge_width.unwrap_or(d.max_merge_width),
                max_size_amplification_percent: lsm
                    .max_size_amplification_percent
                    .unwrap_or(d.max_size_amplification_percent),
                write_buffer_size: memtable_size_bytes(lsm),
                target_file_size_base: lsm.target_file_size_base.unwrap_or(d.target_file_size_base),
                target_file_size_multiplier: lsm
                    .target_file_size_multiplier
                    .unwrap_or(d.target_file_size_multiplier),
                ..d
            })
        }
    }
}

fn memtable_size_bytes(lsm: &LsmConfig) -> u64 {
    lsm.write_buffer_size
        .unwrap_or(WriterOptions::default().memtable_size_bytes)
}

/// The writer's options; `no_compactor` leaves compaction to `sediment compactor` (the
/// style then only sets the stall thresholds).
pub fn writer_options(config: &Config, no_compactor: bool) -> WriterOptions {
    let lsm = &config.lsm;
    WriterOptions {
        memtable_size_bytes: memtable_size_bytes(lsm),
        compaction: Some(compaction_style(lsm)),
        no_compactor,
        checkpoint_lifetime_ms: Some(
            lsm.checkpoint_lifetime_ms
                .unwrap_or(CHECKPOINT_LIFETIME_MS_DEFAULT),
        ),
        ..WriterOptions::default()
    }
}

pub fn compactor_options(config: &Config) -> CompactorOptions {
    let writer = writer_options(config, true);
    CompactorOptions {
        style: compaction_style(&config.lsm),
        sst: writer.sst,
        retry: writer.retry,
        cas_attempts_max: writer.cas_attempts_max,
        max_concurrent_compactions: config.lsm.max_concurrent_compactions.unwrap_or(1),
        ..CompactorOptions::default()
    }
}

/// An abandoned job's inputs stay busy (its late result may still install) this many job
/// timeouts, as in the simulator; then a new pick may take them.
const ABANDONED_KEEP_TIMEOUTS: u32 = 4;

/// The primary's remote options: the configured ones over core's defaults; jobs in flight
/// are `max_concurrent_compactions`, as for the standalone compactor.
pub fn remote_options(config: &Config) -> RemoteOptions {
    let remote = &config.remote;
    let d = RemoteOptions::default();
    let job_timeout = remote
        .job_timeout_ms
        .map_or(d.job_timeout, Duration::from_millis);
    RemoteOptions {
        job_timeout,
        fallback: remote.fallback.unwrap_or(d.fallback),
        remote_attempts_max: remote.remote_attempts_max.unwrap_or(d.remote_attempts_max),
        jobs_in_flight_max: config.lsm.max_concurrent_compactions.unwrap_or(1),
        abandoned_keep: job_timeout.saturating_mul(ABANDONED_KEEP_TIMEOUTS),
        ..d
    }
}

/// The collector keeps the newest checkpoint of each name: its owner releases it.
pub fn gc_options(config: &Config) -> GcOptions {
    let writer = writer_options(config, true);
    GcOptions {
        retry: writer.retry,
        cas_attempts_max: writer.cas_attempts_max,
        keep_newest_per_name: true,
        ..GcOptions::default()
    }
}

/// The processes' schedules.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub checkpoint_interval: Duration,
    pub gc_interval: Duration,
    pub compactor_poll: Duration,
    pub manifest_poll: Duration,
}

pub fn schedule(config: &Config) -> Schedule {
    let lsm = &config.lsm;
    let ms = |value: Option<u64>, default: u64| Duration::from_millis(value.unwrap_or(default));
    Schedule {
        checkpoint_interval: ms(lsm.checkpoint_interval_ms, CHECKPOINT_INTERVAL_MS_DEFAULT),
        gc_interval: ms(lsm.gc_interval_ms, GC_INTERVAL_MS_DEFAULT),
        compactor_poll: ms(lsm.compactor_poll_ms, COMPACTOR_POLL_MS_DEFAULT),
        manifest_poll: ms(lsm.manifest_poll_ms, MANIFEST_POLL_MS_DEFAULT),
    }
}
