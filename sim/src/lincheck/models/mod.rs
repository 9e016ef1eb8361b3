//! Sequential specifications the checker ships with.

pub mod cas_register;
pub mod fifo_register;
pub mod id_map;
pub mod intern;
pub mod kv_append;
pub mod kv_register;
pub mod ttl_register;

use std::collections::BTreeMap;

use super::history::{History, OpIndex, Operation};
use super::model::PendingOp;

/// Groups operation indices by key, in key order (deterministic).
pub(crate) fn partition_by_key<I, O, K: Ord>(
    history: &History<I, O>,
    key_of: impl Fn(&I) -> K,
) -> Vec<Vec<OpIndex>> {
    let mut parts: BTreeMap<K, Vec<OpIndex>> = BTreeMap::new();
    for (index, op) in history.ops().iter().enumerate() {
        parts.entry(key_of(&op.input)).or_default().push(index);
    }
    parts.into_values().collect()
}

/// Whether some item of `items` satisfies `wanted` (`Iterator::any` for a trait object).
pub(crate) fn any_of<T: ?Sized>(
    items: &mut dyn Iterator<Item = &T>,
    wanted: impl Fn(&T) -> bool,
) -> bool {
    for item in items {
        if wanted(item) {
            return true;
        }
    }
    false
}

/// Whether a completed operation with a known output that `absent` calls an absent read
/// returned at or after `call_ns`: only such a read can lie after a pending write's effect.
fn absence_seen_after<I, O>(
    part: &[&Operation<I, O>],
    call_ns: u64,
    absent: &impl Fn(&I, &O) -> bool,
) -> bool {
    part.iter().any(|op| {
        op.return_ns.is_some_and(|return_ns| return_ns >= call_ns)
            && op
                .output
                .as_ref()
                .is_some_and(|output| absent(&op.input, output))
    })
}

/// What a search may assume about a put that never returned, called at `call_ns`, in a map
/// whose gets return the newest value: `saw` tells the gets that returned its value,
/// `absent` those that found the key absent. In a linearization where it takes effect,
/// every get before the next write returns its value or, if `explains_absence` (an expiry,
/// a lossy model), nothing; when no completed get could be such a get, it is unseen and
/// dropping it leaves every result as it was. (Bounding a seen put's effect by the read that
/// saw it is sound too, but made swarm seed 894's search blow up: not done.)
pub(crate) fn pending_put<I, O>(
    part: &[&Operation<I, O>],
    call_ns: u64,
    (saw, absent): (impl Fn(&I, &O) -> bool, impl Fn(&I, &O) -> bool),
    explains_absence: bool,
) -> PendingOp {
    let seen = part.iter().any(|op| {
        op.return_ns.is_some()
            && op
                .output
                .as_ref()
                .is_some_and(|output| saw(&op.input, output))
    });
    if seen || (explains_absence && absence_seen_after(part, call_ns, &absent)) {
        PendingOp::Open
    } else {
        PendingOp::Unseen
    }
}

/// What a search may assume about a delete that never returned, called at `call_ns`: only a
/// get that found the key absent can show its effect, so with no completed one returning
/// after its call it is unseen (dropping it leaves every result as it was).
pub(crate) fn pending_delete<I, O>(
    part: &[&Operation<I, O>],
    call_ns: u64,
    absent: impl Fn(&I, &O) -> bool,
) -> PendingOp {
    if absence_seen_after(part, call_ns, &absent) {
        PendingOp::Open
    } else {
        PendingOp::Unseen
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::lincheck::model::Model;

    /// `M` with every pending write left open: the reference the models' assumptions about
    /// pending writes are checked against.
    pub struct Unassuming<M>(pub M);

    impl<M: Model> Model for Unassuming<M> {
        type Input = M::Input;
        type Output = M::Output;
        type State = M::State;
        fn init(&self) -> Self::State {
            self.0.init()
        }
        fn step(
            &self,
            state: &Self::State,
            input: &Self::Input,
            output: Option<&Self::Output>,
        ) -> Option<Self::State> {
            self.0.step(state, input, output)
        }
    }

    /// splitmix64, for random histories.
    pub fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
