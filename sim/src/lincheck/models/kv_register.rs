//! A map of registers with get, put and delete: what the simulator's clients do (check C1).
//! Keys are independent, so histories are partitioned by key.

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::lincheck::history::{History, OpIndex};
use crate::lincheck::model::Model;

use super::any_of;

use super::partition_by_key;

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
}
