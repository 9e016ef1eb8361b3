//! Sorted runs: what a point read may have to consult.

use crate::manifest::Manifest;

/// Every L0 table plus every non-empty L1+ level: the read amplification bound of a point
/// lookup that misses every filter, and what universal compaction counts as its runs.
pub fn sorted_run_count(manifest: &Manifest) -> usize {
    manifest.l0.len() + manifest.levels.iter().filter(|run| !run.is_empty()).count()
}
