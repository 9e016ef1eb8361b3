//! What a linearizability check is checked against: a sequential specification.

use std::fmt::Debug;
use std::hash::Hash;

use super::history::{History, OpIndex, Operation};

/// What the search may assume about a write that never returned ([`Model::pending_op`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingOp {
    /// It took effect at some point after its call, or never.
    Open,
    /// No completed operation can have seen it: leave it out.
    Unseen,
}

/// A sequential object: an initial state and a deterministic step function.
///
/// The checker memoizes explored (linearized set, state) pairs, so states must compare and
/// hash cheaply; a state that owns strings is best kept as interned ids.
pub trait Model {
    type Input: Debug;
    type Output: Debug;
    type State: Clone + Eq + Hash + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies `input` to `state`. Returns the next state if `output` is what the object
    /// would return, or `None` if it would not. `output` is `None` when it is unknown (a
    /// timed-out or never-returned operation): every output is then acceptable, but the
    /// effect on the state still applies.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Whether `input` with `output` leaves every state it is accepted in unchanged (a
    /// read; a compare-and-set that reported failure). The search linearizes such an
    /// operation as soon as the model accepts it and tries no alternative before it: moving
    /// it earlier, to a point where it is already called and accepted, keeps real-time order
    /// and every other operation's view, so if any linearization exists, one with it there
    /// does too. A never-returned operation that is read-only is left out altogether.
    ///
    /// Must be exact: `true` for an operation that can change a state makes the check
    /// unsound. The default, `false`, is always safe (only slower).
    fn is_read_only(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool {
        let _ = (input, output);
        false
    }

    /// Whether some sequence of `writers` (each applied at most once, in any order, with
    /// any outputs) can take `state` to one where the model accepts the read-only
    /// operation `input` with `output`, which it rejects in `state`.
    ///
    /// The search asks this when that read must take effect before anything but `writers`
    /// can (its return is the earliest one left): on `false` it abandons the state at once
    /// instead of trying every order of `writers` first. Answer `false` only when no such
    /// sequence exists; the default, `true`, is always safe (only slower).
    fn can_become_acceptable(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
        writers: &mut dyn Iterator<Item = &Self::Input>,
    ) -> bool {
        let _ = (state, input, output, writers);
        true
    }

    /// What the search may assume about a write that never returned, given its part's
    /// operations: every assumption must hold in every linearization, so that the verdict
    /// never changes (each pending write left open doubles the states a search may visit).
    /// The default, [`PendingOp::Open`], is always safe.
    fn pending_op(
        &self,
        op: &Operation<Self::Input, Self::Output>,
        part: &[&Operation<Self::Input, Self::Output>],
    ) -> PendingOp {
        let _ = (op, part);
        PendingOp::Open
    }

    /// Splits a history into independent parts (P-compositionality: the history is
    /// linearizable iff every part is), each a list of operation indices. Every operation
    /// must be in exactly one part. The default is one part holding everything.
    fn partition(&self, history: &History<Self::Input, Self::Output>) -> Vec<Vec<OpIndex>> {
        vec![(0..history.len()).collect()]
    }

    /// A short human description of an operation, for explanations and pages.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String {
        match output {
            Some(output) => format!("{input:?} -> {output:?}"),
            None => format!("{input:?} -> ?"),
        }
    }

    /// A short human description of a state.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}
