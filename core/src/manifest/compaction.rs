//! The compaction edit: remove live tables by id set, add outputs to levels 1 and deeper
//! (or, for a merge of L0 tables only, back into L0), and refuse any result that would
//! change which version of a key a read finds.
//!
//! L0 outputs (FIFO's intra-L0 merge, universal compaction with no free level, leveled
//! intra-L0) follow one rule: every removed table is in L0 and every output goes to L0. An
//! L0 output takes its place by sequence number: it is inserted after every remaining L0
//! table whose largest sequence number is at least its own, so L0 stays newest first. The
//! version-order check then refuses any placement that would read an input's data before or
//! after a remaining table it shares keys with, out of order.

use crate::ids::SstId;
use crate::manifest::error::ManifestError;
use crate::manifest::model::{MAX_LEVELS, Manifest, PendingDeletion};
use crate::sst::SstMeta;
use std::collections::BTreeSet;

/// Applies a compaction to `next` (whose version is already the new one). The epoch has
/// been checked by the caller; the invariants are checked after.
pub(crate) fn apply_compaction(
    next: &mut Manifest,
    removed: &BTreeSet<SstId>,
    added: &[(usize, SstMeta)],
    force_delete: bool,
    #[cfg(feature = "bugs")] l0_by_position: bool,
) -> Result<(), ManifestError> {
    for id in removed {
        if !next.is_live(*id) {
            return Err(ManifestError::UnknownSst { id: *id });
        }
    }
    check_outputs(next, removed, added)?;
    check_l0_outputs(next, removed, added)?;
    check_version_order(next, removed, added)?;
    let live_before = next.live_sst_ids().len();
    // BUG (`l0-remove-by-position`): the first k of L0 go instead of the inputs.
    #[cfg(feature = "bugs")]
    let gone = if l0_by_position {
        take_removed_l0_by_position(next, removed)
    } else {
        take_removed(next, removed)
    };
    #[cfg(not(feature = "bugs"))]
    let gone = take_removed(next, removed);
    let moved: BTreeSet<SstId> = added.iter().map(|(_, sst)| sst.id).collect();
    let pending_before = next.pending_deletion.len();
    if !force_delete {
        let obsoleted_at = next.version;
        let deleted = gone.into_iter().filter(|sst| !moved.contains(&sst.id));
        next.pending_deletion
            .extend(deleted.map(|sst| PendingDeletion { sst, obsoleted_at }));
    }
    insert_outputs(next, added);
    // Inputs left and outputs (moved tables among them) arrived, each once.
    assert_eq!(
        next.live_sst_ids().len() + removed.len(),
        live_before + added.len()
    );
    // Postconditions: outputs live, and no table just made pending is live again.
    assert!(
        added.iter().all(|(_, sst)| next.is_live(sst.id)),
        "every output is live after the compaction"
    );
    assert!(
        next.pending_deletion[pending_before..]
            .iter()
            .all(|pending| !next.is_live(pending.sst.id)),
        "a table pending deletion is not live"
    );
    Ok(())
}

/// Output levels in range, output ids new (or trivial moves of an unchanged input).
fn check_outputs(
    next: &Manifest,
    removed: &BTreeSet<SstId>,
    added: &[(usize, SstMeta)],
) -> Result<(), ManifestError> {
    let known = next.referenced_sst_ids();
    let mut seen = BTreeSet::new();
    for (level, sst) in added {
        if *level > MAX_LEVELS {
            return Err(ManifestError::LevelOutOfRange {
                level: *level,
                max: MAX_LEVELS,
            });
        }
        if !seen.insert(sst.id) {
            return Err(ManifestError::DuplicateSst { id: sst.id });
        }
        if removed.contains(&sst.id) {
            if next.find_live(sst.id).map(|(_, live)| live) != Some(sst) {
                return Err(ManifestError::MovedSstChanged { id: sst.id });
            }
        } else if known.contains(&sst.id) {
            return Err(ManifestError::DuplicateSst { id: sst.id });
        }
    }
    Ok(())
}

/// An L0 output is a merge of L0 tables only: every removed table is in L0, and if one
/// output goes to L0 they all do. Anything else names level 0 out of range.
fn check_l0_outputs(
    next: &Manifest,
    removed: &BTreeSet<SstId>,
    added: &[(usize, SstMeta)],
) -> Result<(), ManifestError> {
    let any_l0_output = added.iter().any(|(level, _)| *level == 0);
    if !any_l0_output {
        return Ok(());
    }
    let all_outputs_l0 = added.iter().all(|(level, _)| *level == 0);
    let all_inputs_l0 = removed
        .iter()
        .all(|id| next.l0.iter().any(|sst| sst.id == *id));
    if all_outputs_l0 && all_inputs_l0 && !removed.is_empty() {
        return Ok(());
    }
    Err(ManifestError::LevelOutOfRange {
        level: 0,
        max: MAX_LEVELS,
    })
}

/// Position of a table in read order: L0 newest first (1, 3, 5, ...: odd ranks), then each
/// level after all of L0. A lower rank is read first and must hold newer versions of shared
/// keys. Even ranks inside L0 are the gaps where an L0 output can be placed.
fn read_rank(l0_len: usize, level: usize, l0_position: usize) -> usize {
    if level == 0 {
        l0_position.saturating_mul(2).saturating_add(1)
    } else {
        l0_len
            .saturating_add(level)
            .saturating_mul(2)
            .saturating_add(1)
    }
}

/// Where an L0 output is read, among the current L0 tables (the gap before the first
/// remaining table that is older than it).
fn l0_output_rank(next: &Manifest, removed: &BTreeSet<SstId>, output: &SstMeta) -> usize {
    let position = next
        .l0
        .iter()
        .position(|sst| !removed.contains(&sst.id) && sst.largest_seq < output.largest_seq)
        .unwrap_or(next.l0.len());
    position.saturating_mul(2)
}

/// Refuses to move an input's data past a remaining table that overlaps it, in either
/// direction of read order: an older table would then be read before newer data (or newer
/// data after older). Range overlap stands for "may share keys", so this is conservative.
fn check_version_order(
    next: &Manifest,
    removed: &BTreeSet<SstId>,
    added: &[(usize, SstMeta)],
) -> Result<(), ManifestError> {
    let l0_len = next.l0.len();
    let ranked = ranked_live(next);
    let (inputs, remaining): (Vec<_>, Vec<_>) = ranked
        .into_iter()
        .partition(|(_, sst)| removed.contains(&sst.id));
    for (level, output) in added {
        let output_rank = if *level == 0 {
            l0_output_rank(next, removed, output)
        } else {
            read_rank(l0_len, *level, 0)
        };
        for (input_rank, input) in inputs.iter().filter(|(_, i)| i.overlaps(output)) {
            let low = output_rank.min(*input_rank);
            let high = output_rank.max(*input_rank);
            let crossed = remaining.iter().find(|(rank, table)| {
                low < *rank && *rank < high && table.overlaps(input) && table.overlaps(output)
            });
            if let Some((_, shadowing)) = crossed {
                return Err(ManifestError::ReordersVersions {
                    input: input.id,
                    output: output.id,
                    shadowing: shadowing.id,
                });
            }
        }
    }
    Ok(())
}

fn ranked_live(manifest: &Manifest) -> Vec<(usize, &SstMeta)> {
    let l0_len = manifest.l0.len();
    let l0 = manifest
        .l0
        .iter()
        .enumerate()
        .map(|(position, sst)| (read_rank(l0_len, 0, position), sst));
    let levels = manifest.levels.iter().enumerate().flat_map(|(index, run)| {
        run.iter()
            .map(move |sst| (read_rank(l0_len, index + 1, 0), sst))
    });
    l0.chain(levels).collect()
}

/// Takes the removed tables out of L0 and the levels, in read order.
fn take_removed(next: &mut Manifest, removed: &BTreeSet<SstId>) -> Vec<SstMeta> {
    let (mut gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut next.l0)
        .into_iter()
        .partition(|sst| removed.contains(&sst.id));
    next.l0 = kept;
    for run in &mut next.levels {
        let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(run)
            .into_iter()
            .partition(|sst| removed.contains(&sst.id));
        *run = kept;
        gone.extend(taken);
    }
    // Every removed id was checked live, and ids are unique across the tree.
    assert_eq!(
        gone.len(),
        removed.len(),
        "every input leaves the tree once"
    );
    gone
}

/// BUG (`l0-remove-by-position`): removes as many L0 tables as the edit names, but the
/// first ones of L0 (the newest) rather than those it names; level tables by id.
#[cfg(feature = "bugs")]
fn take_removed_l0_by_position(next: &mut Manifest, removed: &BTreeSet<SstId>) -> Vec<SstMeta> {
    let in_l0 = next
        .l0
        .iter()
        .filter(|sst| removed.contains(&sst.id))
        .count();
    let mut gone: Vec<SstMeta> = next.l0.drain(..in_l0.min(next.l0.len())).collect();
    let in_levels: BTreeSet<SstId> = removed
        .iter()
        .copied()
        .filter(|id| !gone.iter().any(|sst| sst.id == *id))
        .filter(|id| !next.l0.iter().any(|sst| sst.id == *id))
        .collect();
    for run in &mut next.levels {
        let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(run)
            .into_iter()
            .partition(|sst| in_levels.contains(&sst.id));
        *run = kept;
        gone.extend(taken);
    }
    gone
}

/// Adds outputs to their levels (levels validated in 0..=MAX_LEVELS), creating missing
/// levels, and re-sorts each touched level by smallest key. An L0 output goes after every
/// L0 table whose largest sequence number is at least its own.
fn insert_outputs(next: &mut Manifest, added: &[(usize, SstMeta)]) {
    let mut touched = BTreeSet::new();
    for (level, sst) in added {
        if *level == 0 {
            let position = next
                .l0
                .iter()
                .position(|table| table.largest_seq < sst.largest_seq)
                .unwrap_or(next.l0.len());
            next.l0.insert(position, sst.clone());
            continue;
        }
        // `check_outputs` refused any level past the last.
        assert!(*level <= MAX_LEVELS);
        let index = level - 1;
        if next.levels.len() <= index {
            next.levels.resize_with(index + 1, Vec::new);
        }
        next.levels[index].push(sst.clone());
        touched.insert(index);
    }
    for index in touched {
        next.levels[index].sort_by(|a, b| a.smallest_key.cmp(&b.smallest_key));
    }
    // L0 stays newest first: `check_invariants` reports the same property on every decode.
    assert!(
        next.l0
            .windows(2)
            .all(|pair| pair[0].largest_seq >= pair[1].largest_seq),
        "L0 out of order after inserting outputs"
    );
}
