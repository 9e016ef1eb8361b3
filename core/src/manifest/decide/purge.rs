//! The purge decision: tables whose objects garbage collection deleted leave the pending list.

use super::Decision;
use crate::ids::SstId;
use crate::manifest::{Edit, Manifest};
use std::collections::BTreeSet;

/// Purges the tables of `deleted` still pending on the newest manifest; outputs how many.
/// Ids no longer pending (another collector purged them) are skipped, never refused.
pub fn purge_pending(latest: &Manifest, deleted: &BTreeSet<SstId>) -> Decision<u64> {
    let ids: BTreeSet<SstId> = latest
        .referenced_by_pending()
        .intersection(deleted)
        .copied()
        .collect();
    let purged = ids.len() as u64;
    Decision::install_if(
        (!ids.is_empty()).then_some(Edit::PurgePending { ids }),
        purged,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::decide::tests_support::with_pending;

    #[test]
    fn only_tables_still_pending_are_purged() {
        let latest = with_pending(&[1, 2, 3]);
        let decision = purge_pending(&latest, &BTreeSet::from([SstId(2), SstId(3), SstId(8)]));
        assert_eq!(*decision.output(), 2);
        assert_eq!(
            decision.edit(),
            Some(&Edit::PurgePending {
                ids: BTreeSet::from([SstId(2), SstId(3)])
            })
        );
    }

    #[test]
    fn nothing_left_pending_installs_nothing() {
        let latest = with_pending(&[1]);
        assert_eq!(
            purge_pending(&latest, &BTreeSet::from([SstId(5)])),
            Decision::Holds(0)
        );
    }
}
