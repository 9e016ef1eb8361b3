//! Options of log compaction. Names and defaults are Garnet's (`--compaction-type`,
//! `--compaction-max-segments`, `--compaction-freq`, `--compaction-force-delete`).

use serde::{Deserialize, Serialize};

/// How the oldest segments are compacted (Garnet: `LogCompactionType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogCompactionType {
    /// No compaction: the log only grows (Garnet's default).
    #[default]
    None,
    /// Drop the oldest segments without copying: live records in them are lost.
    Shift,
    /// Copy the live records, learning liveness by scanning the rest of the log.
    Scan,
    /// Copy the live records, learning liveness by a point lookup per record.
    Lookup,
}

impl LogCompactionType {
    /// The name the command line uses: `none`, `shift`, `scan` or `lookup`.
    pub fn name(self) -> &'static str {
        match self {
            LogCompactionType::None => "none",
            LogCompactionType::Shift => "shift",
            LogCompactionType::Scan => "scan",
            LogCompactionType::Lookup => "lookup",
        }
    }

    pub fn parse(text: &str) -> Option<LogCompactionType> {
        match text {
            "none" => Some(LogCompactionType::None),
            "shift" => Some(LogCompactionType::Shift),
            "scan" => Some(LogCompactionType::Scan),
            "lookup" => Some(LogCompactionType::Lookup),
            _ => None,
        }
    }

    /// True for the strategies that copy live records (scan and lookup).
    pub fn copies_live_records(self) -> bool {
        matches!(self, LogCompactionType::Scan | LogCompactionType::Lookup)
    }
}

/// Log compaction options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogOptions {
    /// Garnet: `CompactionType`, default none.
    pub compaction_type: LogCompactionType,
    /// Garnet: `CompactionMaxSegments`, default 32: above this many segments the oldest are
    /// compacted so that at most this many remain. A strategy that copies writes one new
    /// segment, which counts; it keeps at least one segment (0 counts as 1 there).
    pub compaction_max_segments: usize,
    /// Garnet: `CompactionFrequencySecs`, default 0, here in milliseconds: 0 compacts only
    /// just before a checkpoint is taken; otherwise the compactor's period on its own clock.
    pub compaction_frequency_ms: u64,
    /// Garnet: `CompactionForceDelete`, default false: delete compacted segments at once
    /// instead of at the next checkpoint. UNSAFE: recovery to the previous checkpoint may
    /// still need them.
    pub compaction_force_delete: bool,
}

impl Default for LogOptions {
    fn default() -> LogOptions {
        LogOptions {
            compaction_type: LogCompactionType::None,
            compaction_max_segments: 32,
            compaction_frequency_ms: 0,
            compaction_force_delete: false,
        }
    }
}

impl LogOptions {
    /// True when compaction runs only just before a checkpoint (frequency 0).
    pub fn compacts_before_checkpoint(&self) -> bool {
        self.compaction_frequency_ms == 0
    }
}
