//! The roles' own statistics, kept by role and node tag (`<node>/i<incarnation>`) as each
//! incarnation last reported them, instead of counters copied from them field by field:
//! the report sums them. A killed incarnation keeps what it reported last.

use lsm_core::roles::compactor::CompactorStats;
use lsm_core::roles::gc::{GcPassStats, GcStats};
use lsm_core::roles::writer::WriterStats;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct RoleStats {
    writers: BTreeMap<String, WriterStats>,
    /// Each standalone compactor incarnation's stats after the last job it finished.
    compactors: BTreeMap<String, CompactorStats>,
    /// Each collector incarnation's successful passes: a failed pass's partial work is not
    /// reported (its `errors` counts it).
    collectors: BTreeMap<String, GcStats>,
}

impl RoleStats {
    pub fn set_writer(&mut self, tag: &str, stats: WriterStats) {
        self.writers.insert(tag.to_string(), stats);
    }

    pub fn set_compactor(&mut self, tag: &str, stats: CompactorStats) {
        self.compactors.insert(tag.to_string(), stats);
    }

    /// One pass of collector `tag`: what it did if it succeeded, else only that it failed.
    pub fn add_gc_pass(&mut self, tag: &str, pass: Option<&GcPassStats>) {
        let collector = self.collectors.entry(tag.to_string()).or_default();
        collector.passes += 1;
        match pass {
            Some(pass) => collector.add(pass),
            None => collector.errors += 1,
        }
    }

    pub fn writer_total(&self) -> WriterStats {
        let mut total = WriterStats::default();
        for stats in self.writers.values() {
            total.accumulate(stats);
        }
        total
    }

    pub fn compactor_total(&self) -> CompactorStats {
        let mut total = CompactorStats::default();
        for stats in self.compactors.values() {
            total.accumulate(stats);
        }
        total
    }

    pub fn gc_total(&self) -> GcStats {
        let mut total = GcStats::default();
        for stats in self.collectors.values() {
            total.accumulate(stats);
        }
        total
    }
}
