//! The "wal-fence-aba" check: no writer acknowledges a commit whose WAL segment re-created
//! one the garbage collector had deleted. Such a segment lies below the replay point (only
//! those are deleted), so no recovery replays it: the write is lost whether or not the
//! client was still waiting for the answer, which C1 alone would need.
//!
//! The store observer half records, at the moment each mutation applies, which segment ids
//! were deleted and which of them were created again; the writer host asks at each
//! acknowledgement. Under the correct protocol a zombie that re-creates a deleted fence
//! sees the newer epoch in the manifest before it acknowledges, so it never does.

use super::violations::Violations;
use crate::store::{AppliedMutation, MutationChange, StoreObserver, StoreState};
use crate::trace::{Trace, TraceEvent};
use lsm_core::ids::WalId;
use lsm_core::layout::{parse_wal_path, wal_path};
use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct State {
    deleted: BTreeSet<WalId>,
    /// Deleted ids created again, while they exist.
    recreated: BTreeSet<WalId>,
    recreations: u64,
    /// Segment creations of the run (what the bucket would hold without WAL collection).
    creations: u64,
    violations: Violations,
}

pub struct WalFenceWatch {
    trace: Trace,
    state: Mutex<State>,
}

impl WalFenceWatch {
    pub fn new(trace: Trace) -> WalFenceWatch {
        WalFenceWatch {
            trace,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writer incarnation `tag` acknowledged the commit in segment `id`.
    pub fn on_acknowledged(&self, tag: &str, id: WalId) {
        let mut state = self.lock();
        if state.recreated.contains(&id) {
            state.violations.push(format!(
                "{tag} acknowledged a commit in {}, which the garbage collector had deleted and a zombie created again below the replay point",
                wal_path(id)
            ));
        }
    }

    pub fn violations(&self) -> Violations {
        self.lock().violations.clone()
    }

    /// Segments created, and deleted segments created again (acknowledged or not).
    pub fn creations(&self) -> (u64, u64) {
        let state = self.lock();
        (state.creations, state.recreations)
    }
}

impl StoreObserver for WalFenceWatch {
    fn on_mutation(&self, mutation: &AppliedMutation, _store: &StoreState) {
        let Some(id) = parse_wal_path(&mutation.path) else {
            return;
        };
        let mut state = self.lock();
        if matches!(mutation.change, MutationChange::Put { .. }) {
            state.creations += 1;
        }
        match &mutation.change {
            MutationChange::Delete { .. } => {
                state.deleted.insert(id);
                state.recreated.remove(&id);
            }
            MutationChange::Put { .. } if state.deleted.contains(&id) => {
                state.recreated.insert(id);
                state.recreations += 1;
                self.trace.record(
                    "store",
                    TraceEvent::Custom {
                        kind: "wal_recreated".to_string(),
                        detail: mutation.path.clone(),
                    },
                );
            }
            MutationChange::Put { .. } => {}
        }
    }
}
