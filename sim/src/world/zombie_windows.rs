//! Whether the long-pause regime reaches its windows: the integrity observer counts the
//! edits each new manifest version made (from the epoch audit's classification), the
//! supervisor holds a long pause until the paused process's successor has moved on
//! (flushed, compacted, checkpointed) and marks the process a zombie with what it missed,
//! and the observer counts a window reached when a marked zombie then sends the store a
//! write (a put or delete, whether the store applies it or its condition refuses it). Shared between the observer and the supervisor (both outlive every node).

use super::epoch_audit::Changes;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Edits counted so far, by kind (every version ever accepted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EditCounts {
    pub flushes: u64,
    pub compactions: u64,
    pub checkpoints: u64,
    pub writer_fences: u64,
    pub compactor_fences: u64,
}

impl EditCounts {
    /// The edits (`flush`, `compaction`, `checkpoint`) made between `earlier` and `self`:
    /// what a process paused meanwhile missed.
    pub fn moved_since(&self, earlier: &EditCounts) -> Vec<&'static str> {
        let moved = [
            (self.flushes > earlier.flushes, "flush"),
            (self.compactions > earlier.compactions, "compaction"),
            (self.checkpoints > earlier.checkpoints, "checkpoint"),
        ];
        moved
            .into_iter()
            .filter(|(happened, _)| *happened)
            .map(|(_, edit)| edit)
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct ZombieWindows {
    edits: Mutex<EditCounts>,
    /// Zombies (by node name): their role and the edits their successor made while they
    /// were paused, which their next applied mutation comes after.
    zombies: Mutex<BTreeMap<String, (&'static str, Vec<&'static str>)>>,
    /// `zombie-<role>:<edit>` → times reached.
    hits: Mutex<BTreeMap<String, u64>>,
}

impl ZombieWindows {
    /// Counts the edits of one accepted version.
    pub fn count_edits(&self, changes: &Changes) {
        let mut edits = lock(&self.edits);
        edits.flushes += u64::from(changes.flush);
        edits.compactions += u64::from(changes.compaction);
        edits.checkpoints += u64::from(changes.checkpoint);
        edits.writer_fences += u64::from(changes.fence_writer);
        edits.compactor_fences += u64::from(changes.fence_compactor);
    }

    pub fn edits(&self) -> EditCounts {
        *lock(&self.edits)
    }

    /// `node`, a `role` process, resumes as a zombie that missed `edits`; its next write
    /// reaches those windows. Empty `edits` forget the node.
    pub fn mark_zombie(&self, node: &str, role: &'static str, edits: Vec<&'static str>) {
        let mut zombies = lock(&self.zombies);
        if edits.is_empty() {
            zombies.remove(node);
        } else {
            zombies.insert(node.to_string(), (role, edits));
        }
    }

    /// `node` was killed or restarted: whatever runs there now is no zombie.
    pub fn forget(&self, node: &str) {
        lock(&self.zombies).remove(node);
    }

    /// The store is about to execute a write sent by `node`.
    pub fn on_write_from(&self, node: &str) {
        let Some((role, edits)) = lock(&self.zombies).remove(node) else {
            return;
        };
        assert!(!edits.is_empty(), "a zombie is marked with what it missed");
        let mut hits = lock(&self.hits);
        for edit in edits {
            *hits.entry(format!("zombie-{role}:{edit}")).or_insert(0) += 1;
        }
    }

    /// Windows reached, for the run's coverage.
    pub fn hits(&self) -> BTreeMap<String, u64> {
        lock(&self.hits).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zombie_reaches_its_windows_once_with_its_first_mutation() {
        let windows = ZombieWindows::default();
        let before = windows.edits();
        windows.count_edits(&Changes {
            flush: true,
            checkpoint: true,
            ..Changes::default()
        });
        let missed = windows.edits().moved_since(&before);
        assert_eq!(missed, ["flush", "checkpoint"]);
        windows.mark_zombie("writer-0", "writer", missed);
        windows.on_write_from("writer-1");
        assert!(windows.hits().is_empty());
        windows.on_write_from("writer-0");
        windows.on_write_from("writer-0");
        let hits = windows.hits();
        assert_eq!(hits.get("zombie-writer:flush"), Some(&1));
        assert_eq!(hits.get("zombie-writer:checkpoint"), Some(&1));
        assert_eq!(hits.len(), 2);
    }

    #[test]
    fn a_restarted_node_is_no_zombie() {
        let windows = ZombieWindows::default();
        windows.mark_zombie("compactor-1", "compactor", vec!["compaction"]);
        windows.forget("compactor-1");
        windows.on_write_from("compactor-1");
        assert!(windows.hits().is_empty());
    }
}
