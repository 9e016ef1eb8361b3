//! Turns a failed search into an [`Explanation`] a person can follow.

use super::entries::{EntryList, Node};
use super::history::{History, OpIndex};
use super::model::Model;
use super::verdict::{ExplainedOp, Explanation};

/// Describes one operation of `history`.
pub fn explain_op<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    op: OpIndex,
) -> Option<ExplainedOp> {
    let operation = history.get(op)?;
    Some(ExplainedOp {
        op,
        client: operation.client,
        call_ns: operation.call_ns,
        return_ns: operation.return_ns,
        text: model.describe_operation(&operation.input, operation.output.as_ref()),
    })
}

/// Builds the explanation for partition `partition` of `partitions`, given its operations
/// (`all`), those searched (`part`, which the search's local indices index) and the longest
/// prefix found.
pub fn explain<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    (all, part): (&[OpIndex], &[OpIndex]),
    (partition, partitions): (usize, usize),
    longest_prefix: &[u32],
) -> Explanation {
    let global = |local: u32| part.get(local as usize).copied();
    // Replay the prefix; the search accepted each step, so this never stops early unless
    // the model's step is not deterministic.
    let mut state = model.init();
    for &local in longest_prefix {
        let Some(op) = global(local).and_then(|op| history.get(op)) else {
            break;
        };
        match model.step(&state, &op.input, op.output.as_ref()) {
            Some(next) => state = next,
            None => break,
        }
    }
    let ops: Vec<_> = part.iter().filter_map(|&op| history.get(op)).collect();
    let list = EntryList::build(&ops);
    let mut linearized = vec![false; part.len()];
    for &local in longest_prefix {
        if let Some(flag) = linearized.get_mut(local as usize) {
            *flag = true;
        }
    }
    let is_linearized = |local: u32| linearized.get(local as usize).copied().unwrap_or(true);
    let returned = |local: u32| {
        global(local)
            .and_then(|op| history.get(op))
            .is_some_and(|op| op.return_ns.is_some())
    };
    let op_of = |local: u32| global(local).and_then(|op| history.get(op));
    let accepts = |local: u32| {
        op_of(local).is_some_and(|op| model.step(&state, &op.input, op.output.as_ref()).is_some())
    };
    let read_only = |local: u32| {
        op_of(local).is_some_and(|op| model.is_read_only(&op.input, op.output.as_ref()))
    };
    // The frontier: unlinearized operations that returned and were called before the
    // earliest return left; one of them must come next. Those the model rejects after the
    // prefix cannot; if some are accepted, the search abandoned them because a read it
    // rejects cannot be made acceptable by anything allowed before that read returns.
    let mut frontier = Vec::new();
    // Non-read operations (returned or not) that may take effect before the read looked at.
    let mut writers: Vec<u32> = Vec::new();
    let mut past_frontier = false;
    let mut unreachable = None;
    for node in list.entries_in_order() {
        match node {
            Node::Call(local) if !is_linearized(local) => {
                if !past_frontier && returned(local) {
                    frontier.push(local);
                }
                if !read_only(local) {
                    writers.push(local);
                }
            }
            Node::Return(local) if !is_linearized(local) => {
                past_frontier = true;
                let rejected_read =
                    read_only(local) && frontier.contains(&local) && !accepts(local);
                let read_is_unreachable = rejected_read
                    && op_of(local).is_some_and(|read| {
                        let mut inputs = writers.iter().filter_map(|&w| op_of(w)).map(|w| &w.input);
                        !model.can_become_acceptable(
                            &state,
                            &read.input,
                            read.output.as_ref(),
                            &mut inputs,
                        )
                    });
                if read_is_unreachable {
                    unreachable = Some(local);
                    break;
                }
            }
            _ => {}
        }
    }
    let (accepted, rejected): (Vec<u32>, Vec<u32>) =
        frontier.into_iter().partition(|&l| accepts(l));
    let describe = |locals: &[u32]| -> Vec<ExplainedOp> {
        locals
            .iter()
            .filter_map(|&local| global(local).and_then(|op| explain_op(model, history, op)))
            .collect()
    };
    let unreachable_read = if accepted.is_empty() {
        None
    } else {
        unreachable.and_then(|local| describe(&[local]).pop())
    };
    Explanation {
        partition,
        partitions,
        partition_ops: all.to_vec(),
        prefix: describe(longest_prefix),
        state_after_prefix: model.describe_state(&state),
        unplaceable: describe(&rejected),
        unreachable_read,
    }
}
