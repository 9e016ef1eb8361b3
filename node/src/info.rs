//! The INFO text: Redis's `# Section` / `name:value` lines, CRLF-separated.

use crate::writer_host::NodeWriter;
use lsm_core::compaction::StallState;
use std::fmt::Write;

pub fn info_text(writer: &NodeWriter, user_bytes: u64) -> String {
    let manifest = writer.manifest();
    let stats = writer.stats();
    let mut text = String::from("# Sediment\r\n");
    let mut line = |name: &str, value: String| {
        let _ = write!(text, "{name}:{value}\r\n");
    };
    line("writer_epoch", writer.epoch().0.to_string());
    line("manifest_version", manifest.version.0.to_string());
    line("stall_state", stall_name(writer.stall_state()));
    line("memtable_bytes", writer.memtable_size_bytes().to_string());
    line("l0_files", manifest.l0.len().to_string());
    line("l0_bytes", manifest.level_size_bytes(0).to_string());
    for (index, run) in manifest.levels.iter().enumerate() {
        let bytes: u64 = run.iter().map(|sst| sst.size_bytes).sum();
        line(&format!("l{}_files", index + 1), run.len().to_string());
        line(&format!("l{}_bytes", index + 1), bytes.to_string());
    }
    line(
        "pending_deletions",
        manifest.pending_deletion.len().to_string(),
    );
    line("checkpoints", manifest.checkpoints.len().to_string());
    line("commits", stats.commits.to_string());
    line("entries_committed", stats.entries_committed.to_string());
    line("flushes", stats.flushes.to_string());
    line("compactions", stats.compactions.to_string());
    line("compactions_stale", stats.compactions_stale.to_string());
    line("user_bytes_written", user_bytes.to_string());
    // Bytes this process wrote to the store per user byte (WAL, flushes, compactions).
    let written = stats.wal_bytes + stats.flush_bytes + stats.compaction_output_bytes;
    line("write_amplification", ratio(written, user_bytes));
    // Live bytes per byte of the largest level (RocksDB's estimate of space amplification).
    let largest_level = (0..manifest.level_count())
        .map(|level| manifest.level_size_bytes(level))
        .max()
        .unwrap_or(0);
    line(
        "space_amplification",
        ratio(manifest.live_size_bytes(), largest_level),
    );
    text
}

fn ratio(numerator: u64, denominator: u64) -> String {
    if denominator == 0 {
        "n/a".to_string()
    } else {
        format!("{:.3}", numerator as f64 / denominator as f64)
    }
}

fn stall_name(state: StallState) -> String {
    match state {
        StallState::Normal => "normal".to_string(),
        StallState::Delayed { reason } => format!("delayed ({reason:?})"),
        StallState::Stopped { reason } => format!("stopped ({reason:?})"),
    }
}
