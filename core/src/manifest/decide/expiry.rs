//! The checkpoint-expiry decision: expired checkpoints leave the manifest.

use super::Decision;
use crate::ids::CheckpointId;
use crate::manifest::{Edit, Manifest};
use std::collections::BTreeSet;

/// Removes the checkpoints of `expired` the newest manifest still lists; outputs how many.
/// One already gone (released by retention, or removed by another pass) is skipped.
pub fn expire_checkpoints(latest: &Manifest, expired: &BTreeSet<CheckpointId>) -> Decision<u64> {
    let ids: BTreeSet<CheckpointId> = latest
        .checkpoints
        .iter()
        .map(|checkpoint| checkpoint.id)
        .filter(|id| expired.contains(id))
        .collect();
    let removed = ids.len() as u64;
    Decision::install_if(
        (!ids.is_empty()).then_some(Edit::RemoveCheckpoints { ids }),
        removed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::decide::tests_support::with_checkpoints;

    #[test]
    fn only_checkpoints_still_listed_are_removed() {
        let latest = with_checkpoints(&[("writer", 1), ("writer", 2)]);
        let expired = BTreeSet::from([CheckpointId(2), CheckpointId(7)]);
        let decision = expire_checkpoints(&latest, &expired);
        assert_eq!(*decision.output(), 1);
        assert_eq!(
            decision.edit(),
            Some(&Edit::RemoveCheckpoints {
                ids: BTreeSet::from([CheckpointId(2)])
            })
        );
    }

    #[test]
    fn checkpoints_already_gone_install_nothing() {
        let latest = with_checkpoints(&[("writer", 1)]);
        let expired = BTreeSet::from([CheckpointId(5)]);
        assert_eq!(expire_checkpoints(&latest, &expired), Decision::Holds(0));
    }
}
