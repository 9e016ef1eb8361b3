//! Compaction events for observers (RocksDB's `EventListener::OnCompactionBegin` and
//! `OnCompactionCompleted`): the simulator and the reports record jobs through this.

use super::{CompactionPlan, CompactionStats};
use crate::ids::ManifestVersion;
use serde::{Deserialize, Serialize};

/// A job as observers see it: its number, its plan and the version it was picked from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionJobInfo {
    pub job_id: u64,
    pub plan: CompactionPlan,
    pub base_version: ManifestVersion,
}

/// Receives compaction events; both methods do nothing unless overridden.
pub trait CompactionListener {
    fn on_compaction_begin(&mut self, _job: &CompactionJobInfo) {}
    fn on_compaction_completed(&mut self, _job: &CompactionJobInfo, _stats: &CompactionStats) {}
}

/// Ignores every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoListener;

impl CompactionListener for NoListener {}

/// One recorded event.
// One per job, and `CompactionStats` carries the log style's costs: boxing it buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompactionEvent {
    Begun {
        job: CompactionJobInfo,
    },
    Completed {
        job: CompactionJobInfo,
        stats: CompactionStats,
    },
}

/// Records every event in order, up to `capacity` (later events are counted, not kept).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLog {
    pub events: Vec<CompactionEvent>,
    pub capacity: usize,
    /// Events not kept because the log was full.
    pub dropped: u64,
}

impl EventLog {
    pub fn with_capacity(capacity: usize) -> EventLog {
        EventLog {
            events: Vec::new(),
            capacity,
            dropped: 0,
        }
    }

    fn record(&mut self, event: CompactionEvent) {
        assert!(self.events.len() <= self.capacity);
        if self.events.len() < self.capacity {
            self.events.push(event);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }
}

impl CompactionListener for EventLog {
    fn on_compaction_begin(&mut self, job: &CompactionJobInfo) {
        self.record(CompactionEvent::Begun { job: job.clone() });
    }

    fn on_compaction_completed(&mut self, job: &CompactionJobInfo, stats: &CompactionStats) {
        assert_eq!(stats.kind, job.plan.kind);
        assert_eq!(stats.output_level, job.plan.output_level);
        self.record(CompactionEvent::Completed {
            job: job.clone(),
            stats: *stats,
        });
    }
}
