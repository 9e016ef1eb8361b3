//! A map of registers with get, put and delete: what the simulator's clients do (check C1).
//! Keys are independent, so histories are partitioned by key.

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::lincheck::history::{History, OpIndex, Operation};
use crate::lincheck::model::{Model, PendingOp};

use super::any_of;

use super::{partition_by_key, pending_delete, pending_put};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput<K, V> {
    Get(K),
    Put(K, V),
    Delete(K),
}

impl<K, V> KvInput<K, V> {
    pub fn key(&self) -> &K {
        match self {
            KvInput::Get(k) | KvInput::Put(k, _) | KvInput::Delete(k) => k,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput<V> {
    /// What a get returned: `None` when the key is absent.
    Value(Option<V>),
    /// A put or delete was acknowledged.
    Ok,
}

/// The map model. Its state lists the present keys, sorted: within one partition it holds
/// at most one entry, so clone and hash stay cheap.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvRegisterModel<K, V> {
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> KvRegisterModel<K, V> {
    pub fn new() -> Self {
        KvRegisterModel {
            _types: PhantomData,
        }
    }
}

impl<K, V> Model for KvRegisterModel<K, V>
where
    K: Clone + Ord + Hash + Debug,
    V: Clone + Eq + Hash + Debug,
{
    type Input = KvInput<K, V>;
    type Output = KvOutput<V>;
    type State = Vec<(K, V)>;

    fn init(&self) -> Vec<(K, V)> {
        Vec::new()
    }

    fn step(
        &self,
        state: &Vec<(K, V)>,
        input: &KvInput<K, V>,
        output: Option<&KvOutput<V>>,
    ) -> Option<Vec<(K, V)>> {
        let found = state.binary_search_by(|(k, _)| k.cmp(input.key()));
        match (input, output) {
            (KvInput::Get(_), None) => Some(state.clone()),
            (KvInput::Get(_), Some(KvOutput::Value(expected))) => {
                let actual = found.ok().and_then(|i| state.get(i)).map(|(_, v)| v);
                (actual == expected.as_ref()).then(|| state.clone())
            }
            (KvInput::Put(key, value), None | Some(KvOutput::Ok)) => {
                let mut next = state.clone();
                match found {
                    Ok(i) => {
                        if let Some(slot) = next.get_mut(i) {
                            slot.1 = value.clone();
                        }
                    }
                    Err(i) => next.insert(i, (key.clone(), value.clone())),
                }
                Some(next)
            }
            (KvInput::Delete(_), None | Some(KvOutput::Ok)) => {
                let mut next = state.clone();
                if let Ok(i) = found {
                    next.remove(i);
                }
                Some(next)
            }
            _ => None,
        }
    }

    fn is_read_only(&self, input: &KvInput<K, V>, _output: Option<&KvOutput<V>>) -> bool {
        matches!(input, KvInput::Get(_))
    }

    fn can_become_acceptable(
        &self,
        _state: &Vec<(K, V)>,
        input: &KvInput<K, V>,
        output: Option<&KvOutput<V>>,
        writers: &mut dyn Iterator<Item = &KvInput<K, V>>,
    ) -> bool {
        // Only a put of the value read (or a delete, for an absent key) can produce it.
        match (input, output) {
            (KvInput::Get(key), Some(KvOutput::Value(Some(wanted)))) => any_of(
                writers,
                |w| matches!(w, KvInput::Put(k, v) if k == key && v == wanted),
            ),
            (KvInput::Get(key), Some(KvOutput::Value(None))) => {
                any_of(writers, |w| matches!(w, KvInput::Delete(k) if k == key))
            }
            _ => true,
        }
    }

    fn pending_op(
        &self,
        op: &Operation<KvInput<K, V>, KvOutput<V>>,
        part: &[&Operation<KvInput<K, V>, KvOutput<V>>],
    ) -> PendingOp {
        let absent = |other: &KvInput<K, V>, output: &KvOutput<V>| {
            other.key() == op.input.key()
                && matches!(other, KvInput::Get(_))
                && matches!(output, KvOutput::Value(None))
        };
        match &op.input {
            KvInput::Put(key, value) => pending_put(
                part,
                op.call_ns,
                (
                    |other: &KvInput<K, V>, output: &KvOutput<V>| {
                        matches!(other, KvInput::Get(k) if k == key)
                            && matches!(output, KvOutput::Value(Some(v)) if v == value)
                    },
                    absent,
                ),
                false,
            ),
            KvInput::Delete(_) => pending_delete(part, op.call_ns, absent),
            KvInput::Get(_) => PendingOp::Open,
        }
    }

    fn partition(&self, history: &History<KvInput<K, V>, KvOutput<V>>) -> Vec<Vec<OpIndex>> {
        partition_by_key(history, |input| input.key().clone())
    }

    fn describe_operation(&self, input: &KvInput<K, V>, output: Option<&KvOutput<V>>) -> String {
        let call = match input {
            KvInput::Get(k) => format!("get({k:?})"),
            KvInput::Put(k, v) => format!("put({k:?}, {v:?})"),
            KvInput::Delete(k) => format!("delete({k:?})"),
        };
        match output {
            None => format!("{call} -> ?"),
            Some(KvOutput::Ok) => format!("{call} -> ok"),
            Some(KvOutput::Value(Some(v))) => format!("{call} -> {v:?}"),
            Some(KvOutput::Value(None)) => format!("{call} -> absent"),
        }
    }

    fn describe_state(&self, state: &Vec<(K, V)>) -> String {
        let entries: Vec<String> = state.iter().map(|(k, v)| format!("{k:?}: {v:?}")).collect();
        format!("{{{}}}", entries.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_put_delete() {
        let m: KvRegisterModel<u8, u8> = KvRegisterModel::new();
        let s = m.init();
        let absent = Some(&KvOutput::Value(None));
        assert_eq!(m.step(&s, &KvInput::Get(1), absent), Some(vec![]));
        let s = m
            .step(&s, &KvInput::Put(1, 7), Some(&KvOutput::Ok))
            .unwrap();
        let s = m.step(&s, &KvInput::Put(0, 5), None).unwrap();
        assert_eq!(s, vec![(0, 5), (1, 7)]);
        assert_eq!(m.step(&s, &KvInput::Get(1), absent), None);
        assert!(
            m.step(&s, &KvInput::Get(1), Some(&KvOutput::Value(Some(7))))
                .is_some()
        );
        let s = m
            .step(&s, &KvInput::Delete(1), Some(&KvOutput::Ok))
            .unwrap();
        assert_eq!(m.step(&s, &KvInput::Get(1), absent), Some(vec![(0, 5)]));
        assert_eq!(m.step(&s, &KvInput::Get(1), Some(&KvOutput::Ok)), None);
    }

    mod pending_puts {
        use super::super::*;
        use crate::lincheck::history::Operation;
        use crate::lincheck::{CheckOptions, Limits, check};

        type Op = Operation<KvInput<u8, u32>, KvOutput<u32>>;

        fn put(client: u64, call: u64, ret: u64, value: u32) -> Op {
            Operation::completed(client, call, ret, KvInput::Put(1, value), KvOutput::Ok)
        }

        fn lost_put(client: u64, call: u64, value: u32) -> Op {
            Operation::pending(client, call, KvInput::Put(1, value))
        }

        fn get(client: u64, call: u64, ret: u64, value: Option<u32>) -> Op {
            Operation::completed(client, call, ret, KvInput::Get(1), KvOutput::Value(value))
        }

        fn verdict(ops: Vec<Op>, limits: Limits) -> (String, u64) {
            let history = History::from_operations(ops).unwrap();
            let options = CheckOptions {
                limits,
                ..CheckOptions::default()
            };
            let report = check(&KvRegisterModel::new(), &history, &options);
            (report.verdict.name().to_string(), report.stats.steps)
        }

        /// Forty puts that never returned and whose values no get saw, around reads of
        /// one acknowledged value: each would double the states a search may visit.
        fn many_unseen(tail: Option<u32>) -> Vec<Op> {
            let mut ops = vec![put(0, 0, 1, 7)];
            for i in 0..40u32 {
                ops.push(lost_put(100 + u64::from(i), 2 + u64::from(i), 1000 + i));
                ops.push(get(1, 2 + u64::from(i), 3 + u64::from(i), Some(7)));
            }
            ops.push(get(1, 100, 101, tail));
            ops
        }

        #[test]
        fn unseen_pending_puts_are_left_out_and_seen_ones_stay() {
            let mut ops = many_unseen(Some(7));
            ops.push(lost_put(500, 90, 9));
            ops.push(get(1, 95, 96, Some(9)));
            let part: Vec<&Op> = ops.iter().collect();
            let model = KvRegisterModel::new();
            for op in ops.iter().filter(|op| op.return_ns.is_none()) {
                let KvInput::Put(_, value) = op.input else {
                    continue;
                };
                let expected = if value == 9 {
                    PendingOp::Open
                } else {
                    PendingOp::Unseen
                };
                assert_eq!(model.pending_op(op, &part), expected, "put of {value}");
            }
        }

        #[test]
        fn a_pending_put_whose_value_was_read_stays_in_the_search() {
            // Only the lost put can explain the read of 9.
            let ops = vec![put(0, 0, 1, 7), lost_put(2, 2, 9), get(1, 5, 6, Some(9))];
            assert_eq!(
                verdict(ops, CheckOptions::default().limits).0,
                "linearizable"
            );
        }

        #[test]
        fn leaving_unseen_puts_out_keeps_a_violation() {
            // A read of a value never written stays a violation with lost puts around it.
            let (name, _) = verdict(many_unseen(Some(8)), CheckOptions::default().limits);
            assert_eq!(name, "not-linearizable");
        }

        #[test]
        fn a_stale_read_of_a_pending_put_stays_a_violation() {
            // 9 was read at 6, so its only put came before 6: before the put of 7, so the
            // read of 9 at 11 is stale.
            let ops = vec![
                lost_put(2, 0, 9),
                get(1, 5, 6, Some(9)),
                put(0, 7, 8, 7),
                get(1, 10, 11, Some(9)),
            ];
            assert_eq!(
                verdict(ops, CheckOptions::default().limits).0,
                "not-linearizable"
            );
        }

        /// splitmix64, for the random histories.
        use crate::lincheck::models::test_support::{Unassuming, next};

        fn random_history(rng: &mut u64) -> Vec<Op> {
            let mut ops = Vec::new();
            for client in 0..9u64 {
                let call = next(rng) % 20;
                let ret = call + next(rng) % 6;
                let value = (next(rng) % 4) as u32;
                ops.push(match next(rng) % 7 {
                    0 | 1 => lost_put(client, call, value),
                    2 => put(client, call, ret, value),
                    3 => get(client, call, ret, Some(value)),
                    4 => get(client, call, ret, None),
                    5 => Operation::pending(client, call, KvInput::Delete(1)),
                    _ => Operation::completed(client, call, ret, KvInput::Delete(1), KvOutput::Ok),
                });
            }
            ops
        }

        #[test]
        fn assumptions_about_pending_puts_never_change_a_verdict() {
            let mut rng = 7u64;
            let mut verdicts = [0usize; 2];
            for _ in 0..3_000 {
                let history = History::from_operations(random_history(&mut rng)).unwrap();
                let options = CheckOptions::default();
                let assumed = check(&KvRegisterModel::new(), &history, &options).verdict;
                let open = check(
                    &Unassuming(KvRegisterModel::<u8, u32>::new()),
                    &history,
                    &options,
                )
                .verdict;
                assert_eq!(assumed.name(), open.name(), "{history:?}");
                verdicts[usize::from(open.is_linearizable())] += 1;
            }
            // Both verdicts are exercised.
            assert!(verdicts.iter().all(|count| *count > 100), "{verdicts:?}");
        }
    }
}
