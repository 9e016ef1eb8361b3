//! Which faults hit which protocol steps, for a campaign's coverage table. Only pairs the
//! world really observes are recorded: a kill or pause with the store requests the node
//! had in flight (by their protocol step, from the path), a node killed while its host
//! marked an activity (a GC pass, a compaction job), a clock jump during a GC pass or a
//! compaction job, and the store's faults by the step of the faulted request.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What one node is doing, as far as the world can see.
#[derive(Debug, Default)]
struct NodeSteps {
    /// Store requests in flight, by protocol step.
    in_flight: BTreeMap<&'static str, u64>,
    /// The step of the last write that completed (for "between upload and CAS").
    last_write: Option<&'static str>,
    /// What the host marked itself as doing (survives until it unmarks or is killed).
    activity: Option<&'static str>,
}

/// Coverage counters and the per-node state behind them; outlives kills (in `Shared`).
#[derive(Debug, Default)]
pub struct Coverage {
    nodes: Mutex<BTreeMap<String, NodeSteps>>,
    hits: Mutex<BTreeMap<String, u64>>,
}

impl Coverage {
    /// Counts one `fault:step` pair.
    pub fn hit(&self, fault: &str, step: &str) {
        *lock(&self.hits)
            .entry(format!("{fault}:{step}"))
            .or_insert(0) += 1;
    }

    pub fn request_started(&self, node: &str, step: &'static str) {
        let mut nodes = lock(&self.nodes);
        let steps = nodes.entry(node.to_string()).or_default();
        *steps.in_flight.entry(step).or_insert(0) += 1;
    }

    /// A request ended (answered or dropped); `completed_write`: a write got its answer.
    pub fn request_ended(&self, node: &str, step: &'static str, completed_write: bool) {
        let mut nodes = lock(&self.nodes);
        let steps = nodes.entry(node.to_string()).or_default();
        if let Some(count) = steps.in_flight.get_mut(step) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                steps.in_flight.remove(step);
            }
        }
        if completed_write {
            steps.last_write = Some(step);
        }
    }

    /// Marks (or with `None` unmarks) what the host of `node` is doing.
    pub fn set_activity(&self, node: &str, activity: Option<&'static str>) {
        lock(&self.nodes)
            .entry(node.to_string())
            .or_default()
            .activity = activity;
    }

    /// Records a `fault` ("crash", "pause") hitting `node` at its current steps, and, for a
    /// crash, forgets the node's state (the process is gone).
    pub fn incident(&self, fault: &str, node: &str) {
        let steps = {
            let mut nodes = lock(&self.nodes);
            let current = nodes.entry(node.to_string()).or_default();
            let mut steps: Vec<&'static str> = current.in_flight.keys().copied().collect();
            let uploading_or_installing = current.in_flight.contains_key("sst-upload")
                || current.in_flight.contains_key("manifest-cas");
            if current.last_write == Some("sst-upload") && !uploading_or_installing {
                steps.push("between-upload-and-cas");
            }
            steps.extend(current.activity);
            if steps.is_empty() {
                steps.push("idle");
            }
            if fault == "crash" {
                nodes.remove(node);
            }
            steps
        };
        for step in steps {
            self.hit(fault, step);
        }
    }

    /// What the host of `node` marked itself as doing, if anything.
    pub fn activity(&self, node: &str) -> Option<&'static str> {
        lock(&self.nodes).get(node).and_then(|steps| steps.activity)
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        lock(&self.hits).clone()
    }
}
