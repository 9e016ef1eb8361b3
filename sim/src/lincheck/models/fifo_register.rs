//! A map of registers that may lose keys: what a store under FIFO compaction promises
//! (check C1 for `--style fifo`). FIFO drops the oldest tables by design, so a key whose
//! newest write sat in a dropped table reads as absent. Because tables go oldest first, a
//! drop never uncovers an older value: a read returns the newest value written or "not
//! found", never an older value and never one that was not written; and once a read has
//! seen the key gone, it stays gone until the next write.
//!
//! As a sequential object: `get` of a present key may return its value, or "absent", in
//! which case the key is dropped (the read witnesses a drop that happened just before).
//! Everything else is [`super::kv_register`]'s map. Keys are independent, so histories are
//! partitioned by key.

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::lincheck::history::{History, OpIndex};
use crate::lincheck::model::Model;

use super::kv_register::{KvInput, KvOutput};
use super::{any_of, partition_by_key};

/// The lossy map model. Its state lists the present keys, sorted, as
/// [`super::kv_register::KvRegisterModel`]'s does.
#[derive(Clone, Copy, Debug, Default)]
pub struct FifoRegisterModel<K, V> {
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> FifoRegisterModel<K, V> {
    pub fn new() -> Self {
        FifoRegisterModel {
            _types: PhantomData,
        }
    }
}

impl<K, V> Model for FifoRegisterModel<K, V>
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
            // A read that never answered shows nothing; a drop it may have seen is
            // witnessed (or not) by later reads.
            (KvInput::Get(_), None) => Some(state.clone()),
            (KvInput::Get(_), Some(KvOutput::Value(None))) => {
                let mut next = state.clone();
                if let Ok(i) = found {
                    next.remove(i);
                }
                Some(next)
            }
            (KvInput::Get(_), Some(KvOutput::Value(Some(expected)))) => {
                let actual = found.ok().and_then(|i| state.get(i)).map(|(_, v)| v);
                (actual == Some(expected)).then(|| state.clone())
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

    /// A read that found a value changes nothing; one that found the key absent may
    /// drop it, so it is not read-only (an unanswered read is, as it changes nothing).
    fn is_read_only(&self, input: &KvInput<K, V>, output: Option<&KvOutput<V>>) -> bool {
        matches!(
            (input, output),
            (KvInput::Get(_), None | Some(KvOutput::Value(Some(_))))
        )
    }

    fn can_become_acceptable(
        &self,
        _state: &Vec<(K, V)>,
        input: &KvInput<K, V>,
        output: Option<&KvOutput<V>>,
        writers: &mut dyn Iterator<Item = &KvInput<K, V>>,
    ) -> bool {
        // Only a put of the value read can make a rejected read of it acceptable.
        match (input, output) {
            (KvInput::Get(key), Some(KvOutput::Value(Some(wanted)))) => any_of(
                writers,
                |w| matches!(w, KvInput::Put(k, v) if k == key && v == wanted),
            ),
            _ => true,
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
            Some(KvOutput::Value(None)) => format!("{call} -> absent (or dropped)"),
        }
    }

    fn describe_state(&self, state: &Vec<(K, V)>) -> String {
        let entries: Vec<String> = state.iter().map(|(k, v)| format!("{k:?}: {v:?}")).collect();
        format!("{{{}}}", entries.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::lincheck::{CheckOptions, History, Operation, check};

    type Op = Operation<KvInput<u8, u8>, KvOutput<u8>>;

    fn done(client: u64, call: u64, ret: u64, input: KvInput<u8, u8>, out: KvOutput<u8>) -> Op {
        Operation::completed(client, call, ret, input, out)
    }

    fn verdict(ops: Vec<Op>) -> String {
        let history = History::from_operations(ops).unwrap();
        let report = check(
            &FifoRegisterModel::new(),
            &history,
            &CheckOptions::default(),
        );
        report.verdict.name().to_string()
    }

    #[test]
    fn a_dropped_key_reads_absent_and_stays_absent() {
        let m: FifoRegisterModel<u8, u8> = FifoRegisterModel::new();
        let s = m
            .step(&m.init(), &KvInput::Put(1, 7), Some(&KvOutput::Ok))
            .unwrap();
        let read = |v| Some(KvOutput::Value(v));
        assert_eq!(
            m.step(&s, &KvInput::Get(1), read(Some(7)).as_ref()),
            Some(s.clone())
        );
        let gone = m.step(&s, &KvInput::Get(1), read(None).as_ref()).unwrap();
        assert_eq!(gone, vec![]);
        assert_eq!(
            m.step(&gone, &KvInput::Get(1), read(Some(7)).as_ref()),
            None
        );
        let again = m
            .step(&gone, &KvInput::Put(1, 8), Some(&KvOutput::Ok))
            .unwrap();
        assert!(
            m.step(&again, &KvInput::Get(1), read(Some(8)).as_ref())
                .is_some()
        );
    }

    #[test]
    fn accepts_a_drop_after_the_newest_write() {
        let ops = vec![
            done(1, 0, 1, KvInput::Put(1, 1), KvOutput::Ok),
            done(1, 2, 3, KvInput::Put(1, 2), KvOutput::Ok),
            done(2, 4, 5, KvInput::Get(1), KvOutput::Value(Some(2))),
            done(2, 6, 7, KvInput::Get(1), KvOutput::Value(None)),
            done(2, 8, 9, KvInput::Get(1), KvOutput::Value(None)),
            done(1, 10, 11, KvInput::Put(1, 3), KvOutput::Ok),
            done(2, 12, 13, KvInput::Get(1), KvOutput::Value(Some(3))),
        ];
        assert_eq!(verdict(ops), "linearizable");
    }

    #[test]
    fn rejects_an_older_value_after_a_newer_write() {
        let ops = vec![
            done(1, 0, 1, KvInput::Put(1, 1), KvOutput::Ok),
            done(1, 2, 3, KvInput::Put(1, 2), KvOutput::Ok),
            done(2, 4, 5, KvInput::Get(1), KvOutput::Value(Some(1))),
        ];
        assert_eq!(verdict(ops), "not-linearizable");
    }

    #[test]
    fn rejects_a_value_back_after_it_read_gone() {
        let ops = vec![
            done(1, 0, 1, KvInput::Put(1, 1), KvOutput::Ok),
            done(2, 2, 3, KvInput::Get(1), KvOutput::Value(None)),
            done(2, 4, 5, KvInput::Get(1), KvOutput::Value(Some(1))),
        ];
        assert_eq!(verdict(ops), "not-linearizable");
    }

    #[test]
    fn rejects_a_value_never_written() {
        let ops = vec![
            done(1, 0, 1, KvInput::Put(1, 1), KvOutput::Ok),
            done(2, 2, 3, KvInput::Get(1), KvOutput::Value(Some(9))),
        ];
        assert_eq!(verdict(ops), "not-linearizable");
    }

    #[test]
    fn a_concurrent_write_may_follow_the_drop() {
        // The drop (seen by the second read) and the concurrent put of 2 in either order.
        let ops = vec![
            done(1, 0, 1, KvInput::Put(1, 1), KvOutput::Ok),
            done(1, 2, 10, KvInput::Put(1, 2), KvOutput::Ok),
            done(2, 3, 4, KvInput::Get(1), KvOutput::Value(None)),
            done(2, 11, 12, KvInput::Get(1), KvOutput::Value(Some(2))),
        ];
        assert_eq!(verdict(ops), "linearizable");
    }
}
