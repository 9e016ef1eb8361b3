//! What every plan a picker returns must satisfy. Checked where the plan is made, on the
//! version it was made from; the install checks its inputs again on the current manifest
//! (`CompactionPlan::into_edit`), so the property is asserted where it is written and
//! where it is read.

use super::{Busy, CompactionPlan, PlanKind};
use crate::manifest::{MAX_LEVELS, Manifest};
use std::collections::BTreeSet;

/// Panics when `plan`, picked from `manifest` with `busy` running, is not one a picker may
/// return: only a picker bug reaches these.
pub(crate) fn assert_plan_well_formed(plan: &CompactionPlan, manifest: &Manifest, busy: &Busy) {
    assert!(!plan.inputs.is_empty(), "plan without inputs: {plan:?}");
    assert!(
        plan.output_level <= MAX_LEVELS,
        "output level past the last: {plan:?}"
    );
    assert!(plan.target_file_size_bytes > 0);
    let mut seen = BTreeSet::new();
    let mut previous_level = None;
    for input in &plan.inputs {
        assert!(!input.ids.is_empty(), "empty input level: {plan:?}");
        assert!(
            previous_level.is_none_or(|previous| previous < input.level),
            "input levels not ascending: {plan:?}"
        );
        previous_level = Some(input.level);
        for &id in &input.ids {
            assert!(seen.insert(id), "input {id} named twice: {plan:?}");
            assert!(!busy.is_busy(id), "input {id} is already being compacted");
            let live_level = manifest.find_live(id).map(|(level, _)| level);
            assert_eq!(
                live_level,
                Some(input.level),
                "input {id} not live at its level"
            );
        }
    }
    // Data never moves up: a level above an input would read it before newer versions.
    assert!(
        plan.inputs
            .iter()
            .all(|input| input.level <= plan.output_level),
        "an input below the output level: {plan:?}"
    );
    // Outputs into L0 and moves are never cut at grandparent boundaries.
    assert!(
        plan.grandparents.is_none() || (plan.kind == PlanKind::Merge && plan.output_level > 0),
        "grandparent cuts for {plan:?}"
    );
    let start_level = plan.start_level();
    assert!(
        plan.output_level >= start_level,
        "compaction upwards: {plan:?}"
    );
    if plan.kind == PlanKind::Move {
        assert!(
            plan.output_level > start_level,
            "a move must change level: {plan:?}"
        );
    }
}
