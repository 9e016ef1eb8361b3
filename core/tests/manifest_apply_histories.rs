//! `apply`: random valid histories are accepted and keep the invariants.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::ids::{Epoch, SstId};
use lsm_core::manifest::{Edit, Manifest, ManifestError, apply, check_invariants};
use manifest_support::{IdSource, applied, build, edit_for, step_strategy};
use proptest::prelude::*;
use std::collections::BTreeSet;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random histories of valid edits are all accepted, keep every invariant, and change
    /// exactly what each edit says.
    #[test]
    fn random_valid_histories_are_accepted_and_keep_the_invariants(
        steps in prop::collection::vec(step_strategy(), 0..80)
    ) {
        let mut m = Manifest::initial();
        let mut ids = IdSource::default();
        for step in &steps {
            let Some(edit) = edit_for(&m, step, &mut ids) else { continue };
            let next = applied(&m, edit.clone());
            prop_assert_eq!(next.version.0, m.version.0 + 1);
            prop_assert!(check_invariants(&next).is_ok());
            if let Edit::Compaction { removed, added, force_delete, .. } = &edit {
                let added_ids: BTreeSet<SstId> = added.iter().map(|(_, t)| t.id).collect();
                let mut expected_live = m.live_sst_ids();
                expected_live.retain(|id| !removed.contains(id));
                expected_live.extend(added_ids.iter().copied());
                prop_assert_eq!(next.live_sst_ids(), expected_live);
                let mut expected_pending = m.referenced_by_pending();
                if !force_delete {
                    expected_pending.extend(removed.difference(&added_ids).copied());
                }
                prop_assert_eq!(next.referenced_by_pending(), expected_pending);
            }
            m = next;
        }
        let (rebuilt, _) = build(&steps);
        prop_assert_eq!(rebuilt, m);
    }

    /// Any writer or compactor edit from a fenced incarnation is refused, whatever it is.
    #[test]
    fn edits_from_fenced_incarnations_are_always_refused(
        steps in prop::collection::vec(step_strategy(), 0..40),
        extra in step_strategy(),
    ) {
        let (m, _) = build(&steps);
        let fenced = applied(&m, Edit::FenceWriter { new_epoch: Epoch(m.writer_epoch.0 + 1) });
        let fenced =
            applied(&fenced, Edit::FenceCompactor { new_epoch: Epoch(m.compactor_epoch.0 + 1) });
        let edit = edit_for(&m, &extra, &mut IdSource::default());
        let is_fence = matches!(edit, Some(Edit::FenceWriter { .. } | Edit::FenceCompactor { .. }));
        if let Some(edit) = edit.filter(|e| e.fenced_role().is_some() && !is_fence) {
            let result = apply(&fenced, &edit);
            prop_assert!(matches!(result, Err(ManifestError::StaleEpoch { .. })), "{:?}", result);
        }
    }
}
