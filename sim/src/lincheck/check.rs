//! The checker's entry point: split into partitions, search them taking turns, combine
//! the verdicts.

use super::explain::explain;
use super::history::{History, OpIndex, Operation};
use super::model::{Model, PendingOp};
use super::search::{Outcome, Search, SearchStats};
use super::verdict::{Bound, CheckOptions, CheckReport, CheckStats, Unknown, Verdict};

/// Steps each unfinished partition gets in the first round; each round doubles it.
const FIRST_SLICE_STEPS: u64 = 1 << 12;

/// Checks `history` against `model`.
///
/// Linearizable only if every partition is; not linearizable as soon as one partition is;
/// otherwise unknown if a partition hit a bound. Partitions take turns in slices of steps
/// that double each round (deterministically, no threads), so one partition that is quick
/// to fail is found even when another would take very long.
pub fn check<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> CheckReport {
    let parts = partitions(model, history, options.partition);
    let mut stats = CheckStats {
        partitions: parts.len(),
        ..CheckStats::default()
    };
    let searched: Vec<Vec<OpIndex>> = parts
        .iter()
        .map(|part| searched_ops(model, history, part))
        .collect();
    let mut searches: Vec<(usize, Search<'_, M>)> = searched
        .iter()
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(index, part)| {
            let ops = part.iter().filter_map(|&op| history.get(op)).collect();
            (index, Search::new(model, ops, options.limits))
        })
        .collect();
    stats.partitions_searched = searches.len();
    let mut unknown: Option<Unknown> = None;
    let mut slice = FIRST_SLICE_STEPS;
    // Every round finishes a search or doubles the slice; `max_steps` caps every search,
    // so the rounds end.
    while !searches.is_empty() {
        let mut still_running = Vec::with_capacity(searches.len());
        for (index, mut search) in searches {
            let outcome = search.run(slice).cloned();
            let Some(outcome) = outcome else {
                still_running.push((index, search));
                continue;
            };
            add(&mut stats, search.stats());
            match outcome {
                Outcome::Linearizable => {}
                Outcome::NotLinearizable { longest_prefix } => {
                    for (_, other) in &still_running {
                        add(&mut stats, other.stats());
                    }
                    let slice = |all: &[Vec<OpIndex>]| all.get(index).cloned().unwrap_or_default();
                    let explanation = explain(
                        model,
                        history,
                        (&slice(&parts), &slice(&searched)),
                        (index, parts.len()),
                        &longest_prefix,
                    );
                    return CheckReport {
                        verdict: Verdict::NotLinearizable(Box::new(explanation)),
                        stats,
                    };
                }
                Outcome::Unknown(bound) => {
                    let limit = match bound {
                        Bound::Steps => options.limits.max_steps,
                        Bound::CacheEntries => options.limits.max_cache_entries as u64,
                    };
                    unknown.get_or_insert(Unknown {
                        bound,
                        limit,
                        partition: index,
                        partitions: parts.len(),
                    });
                }
            }
        }
        searches = still_running;
        slice = slice.saturating_mul(2);
    }
    let verdict = match unknown {
        Some(unknown) => Verdict::Unknown(unknown),
        None => Verdict::Linearizable,
    };
    CheckReport { verdict, stats }
}

/// The operations of `part` the search needs. One that never returned is left out when it
/// is read-only (it neither changes nor shows anything) or a write [`Model::pending_op`]
/// calls unseen.
fn searched_ops<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    part: &[OpIndex],
) -> Vec<OpIndex> {
    let ops: Vec<&Operation<M::Input, M::Output>> =
        part.iter().filter_map(|&op| history.get(op)).collect();
    assert_eq!(
        ops.len(),
        part.len(),
        "a partition names only recorded operations"
    );
    let needed = |op: &Operation<M::Input, M::Output>| {
        op.return_ns.is_some()
            || !(model.is_read_only(&op.input, op.output.as_ref())
                || model.pending_op(op, &ops) == PendingOp::Unseen)
    };
    part.iter()
        .zip(&ops)
        .filter(|(_, op)| needed(op))
        .map(|(&index, _)| index)
        .collect()
}

fn add(stats: &mut CheckStats, search: SearchStats) {
    stats.steps += search.steps;
    stats.cache_entries_max = stats.cache_entries_max.max(search.cache_entries);
    stats.cache_bytes_max = stats.cache_bytes_max.max(search.cache_bytes);
}

/// The model's partition when asked for and valid (every operation exactly once), else one
/// partition: a faulty partition must never make the check unsound.
fn partitions<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: bool,
) -> Vec<Vec<OpIndex>> {
    let whole = || vec![(0..history.len()).collect()];
    if !partition {
        return whole();
    }
    let parts = model.partition(history);
    let mut seen = vec![false; history.len()];
    let mut count = 0usize;
    for &op in parts.iter().flatten() {
        match seen.get_mut(op) {
            Some(flag) if !*flag => {
                *flag = true;
                count += 1;
            }
            _ => return whole(),
        }
    }
    if count == history.len() {
        parts
    } else {
        whole()
    }
}
