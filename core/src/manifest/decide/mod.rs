//! Edit decisions: pure functions from the newest manifest (and what a role wants) to the
//! edit to install and what the decision computed. [`crate::roles::manifest_io::install`]
//! runs one on every attempt (re-read, re-decide, re-apply) and returns its output with the
//! manifest that holds the change, so no decision reports through captured variables and
//! each is unit-tested here without a runtime. The compaction install's decision, which needs
//! the plan, is [`crate::roles::compaction_job::decide_install`].

mod checkpoint;
mod expiry;
mod fence;
mod flush;
mod purge;

pub use checkpoint::{CheckpointRequest, checkpoint};
pub use expiry::expire_checkpoints;
pub use fence::{fence_compactor, fence_writer};
pub use flush::{FlushRequest, flush};
pub use purge::purge_pending;

use super::Edit;

/// What a decision makes of the newest manifest.
// One per install attempt, consumed at once: boxing the edit buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Decision<T> {
    /// Install `edit`; `output` is what the decision computed, returned once it lands.
    Install { edit: Edit, output: T },
    /// The newest manifest already holds the change (an earlier attempt whose reply was
    /// lost did land, or there is nothing left to do): install nothing.
    Holds(T),
}

impl<T> Decision<T> {
    /// `Install` when `edit` is some, else `Holds`.
    pub fn install_if(edit: Option<Edit>, output: T) -> Decision<T> {
        match edit {
            Some(edit) => Decision::Install { edit, output },
            None => Decision::Holds(output),
        }
    }

    /// The edit to install, if any.
    pub fn edit(&self) -> Option<&Edit> {
        match self {
            Decision::Install { edit, .. } => Some(edit),
            Decision::Holds(_) => None,
        }
    }

    pub fn output(&self) -> &T {
        match self {
            Decision::Install { output, .. } | Decision::Holds(output) => output,
        }
    }
}

#[cfg(test)]
mod tests_support {
    use crate::ids::{CheckpointId, ManifestVersion, SeqNum, SstId};
    use crate::manifest::{Checkpoint, Manifest, PendingDeletion};
    use crate::sst::SstMeta;
    use bytes::Bytes;

    /// A table's metadata with the given id and largest sequence number.
    pub fn table(id: u64, largest_seq: u64) -> SstMeta {
        SstMeta {
            id: SstId(id),
            smallest_key: Bytes::from_static(b"a"),
            largest_key: Bytes::from_static(b"z"),
            smallest_seq: SeqNum(1),
            largest_seq: SeqNum(largest_seq),
            entry_count: 1,
            tombstone_count: 0,
            logical_bytes: 1,
            size_bytes: 1,
            created_at_ms: 0,
            object_crc32c: 0,
        }
    }

    /// A manifest at version 10 with these tables pending.
    pub fn with_pending(ids: &[u64]) -> Manifest {
        let mut manifest = Manifest::initial();
        manifest.version = ManifestVersion(10);
        manifest.pending_deletion = ids
            .iter()
            .map(|id| PendingDeletion {
                sst: table(*id, 1),
                obsoleted_at: ManifestVersion(5),
            })
            .collect();
        manifest
    }

    /// A manifest at version 10 listing these (name, id) checkpoints.
    pub fn with_checkpoints(listed: &[(&str, u64)]) -> Manifest {
        let mut manifest = Manifest::initial();
        manifest.version = ManifestVersion(10);
        manifest.checkpoints = listed
            .iter()
            .map(|(name, id)| Checkpoint {
                id: CheckpointId(*id),
                name: name.to_string(),
                manifest_version: ManifestVersion(*id),
                created_at_ms: 0,
                expires_at_ms: None,
            })
            .collect();
        manifest.next_checkpoint_id =
            CheckpointId(listed.iter().map(|(_, id)| id + 1).max().unwrap_or(0));
        manifest
    }
}
