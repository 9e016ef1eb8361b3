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
    let searched: Vec<Vec<OpIndex>> = parts
        .iter()
        .map(|part| searched_ops(model, history, part))
        .collect();
    let mut rounds = Rounds {
        model,
        history,
        options,
        parts: &parts,
        searched: &searched,
        stats: CheckStats {
            partitions: parts.len(),
            partitions_searched: searched.iter().filter(|part| !part.is_empty()).count(),
            ..CheckStats::default()
        },
        unknown: None,
    };
    // Each search is built just before its first slice and dropped as soon as it ends, so
    // memory follows the unfinished partitions, not all of them (one per key written).
    let first = searched
        .iter()
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(index, part)| {
            let ops = part.iter().filter_map(|&op| history.get(op)).collect();
            (index, Search::new(model, ops, options.limits))
        });
    let mut slice = FIRST_SLICE_STEPS;
    let mut searches = match rounds.round(first, slice) {
        Ok(running) => running,
        Err(report) => return report,
    };
    // Every round finishes a search or doubles the slice; `max_steps` caps every search,
    // so the rounds end.
    while !searches.is_empty() {
        slice = slice.saturating_mul(2);
        searches = match rounds.round(searches.into_iter(), slice) {
            Ok(running) => running,
            Err(report) => return report,
        };
    }
    let verdict = match rounds.unknown {
        Some(unknown) => Verdict::Unknown(unknown),
        None => Verdict::Linearizable,
    };
    CheckReport {
        verdict,
        stats: rounds.stats,
    }
}

/// What the rounds share: the history, its partitions and the verdict so far.
struct Rounds<'a, M: Model> {
    model: &'a M,
    history: &'a History<M::Input, M::Output>,
    options: &'a CheckOptions,
    parts: &'a [Vec<OpIndex>],
    searched: &'a [Vec<OpIndex>],
    stats: CheckStats,
    unknown: Option<Unknown>,
}

impl<'a, M: Model> Rounds<'a, M> {
    /// Gives each search `slice` more steps in turn; returns the unfinished ones, or the
    /// report as soon as one partition is not linearizable.
    fn round(
        &mut self,
        searches: impl Iterator<Item = (usize, Search<'a, M>)>,
        slice: u64,
    ) -> Result<Vec<(usize, Search<'a, M>)>, CheckReport> {
        let mut still_running = Vec::new();
        for (index, mut search) in searches {
            let Some(outcome) = search.run(slice).cloned() else {
                still_running.push((index, search));
                continue;
            };
            add(&mut self.stats, search.stats());
            match outcome {
                Outcome::Linearizable => {}
                Outcome::NotLinearizable { longest_prefix } => {
                    for (_, other) in &still_running {
                        add(&mut self.stats, other.stats());
                    }
                    return Err(self.not_linearizable(index, &longest_prefix));
                }
                Outcome::Unknown(bound) => {
                    let limit = match bound {
                        Bound::Steps => self.options.limits.max_steps,
                        Bound::CacheEntries => self.options.limits.max_cache_entries as u64,
                    };
                    self.unknown.get_or_insert(Unknown {
                        bound,
                        limit,
                        partition: index,
                        partitions: self.parts.len(),
                    });
                }
            }
        }
        Ok(still_running)
    }

    fn not_linearizable(&self, index: usize, longest_prefix: &[u32]) -> CheckReport {
        let slice = |all: &[Vec<OpIndex>]| all.get(index).cloned().unwrap_or_default();
        let explanation = explain(
            self.model,
            self.history,
            (&slice(self.parts), &slice(self.searched)),
            (index, self.parts.len()),
            longest_prefix,
        );
        CheckReport {
            verdict: Verdict::NotLinearizable(Box::new(explanation)),
            stats: self.stats,
        }
    }
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
