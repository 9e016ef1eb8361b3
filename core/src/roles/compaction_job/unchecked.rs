//! The `compactor-no-revalidate` bug ([`crate::bugs::Bug::CompactorNoRevalidate`]): the
//! edit a compactor builds when it trusts its plan instead of re-validating it on the
//! newest manifest. Kept apart so the correct install reads without it. The
//! `remote-stale-install` bug ([`crate::bugs::Bug::RemoteStaleInstall`]) builds the same
//! edit after checking the epochs (so the newest manifest's epoch is the job's).

use crate::compaction::{CompactionPlan, PlanKind};
use crate::manifest::{Edit, Manifest};
use crate::sst::SstMeta;
use std::collections::BTreeSet;

/// BUG: removes whichever inputs are still live (vanished ones are skipped, not refused),
/// adds the outputs, and stamps the edit with the newest manifest's compactor epoch rather
/// than checking its own is still current.
pub(super) fn unchecked_edit(
    plan: &CompactionPlan,
    outputs: &[SstMeta],
    latest: &Manifest,
    force_delete: bool,
) -> Edit {
    let removed: BTreeSet<_> = plan
        .input_ids()
        .into_iter()
        .filter(|id| latest.is_live(*id))
        .collect();
    let added = match plan.kind {
        PlanKind::Merge => outputs
            .iter()
            .map(|meta| (plan.output_level, meta.clone()))
            .collect(),
        PlanKind::Move => removed
            .iter()
            .filter_map(|id| latest.find_live(*id))
            .map(|(_, meta)| (plan.output_level, meta.clone()))
            .collect(),
        PlanKind::Delete => Vec::new(),
    };
    Edit::Compaction {
        compactor_epoch: latest.compactor_epoch,
        removed,
        added,
        force_delete,
    }
}
