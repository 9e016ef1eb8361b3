//! A map of string registers with get, put and append, every key starting as "": the
//! object of Porcupine's kv histories. Keys and values are interned (see [`Interner`]).

use std::cell::RefCell;

use crate::lincheck::history::{History, OpIndex};
use crate::lincheck::model::Model;

use super::any_of;

use super::id_map::IdMap;
use super::intern::{Interner, StrId};
use super::partition_by_key;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppendInput {
    Get(StrId),
    Put(StrId, StrId),
    /// Appends the value to the key's string.
    Append(StrId, StrId),
}

impl AppendInput {
    pub fn key(&self) -> StrId {
        match *self {
            AppendInput::Get(k) | AppendInput::Put(k, _) | AppendInput::Append(k, _) => k,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppendOutput {
    /// What a get returned.
    Value(StrId),
    /// A put or append was acknowledged.
    Ok,
}

/// The model with its interner: build inputs with [`KvAppendModel::intern`]. Its state is
/// the sorted list of (key, value) for keys whose value is not "" — one entry at most
/// within a partition, ten for a whole ten-key history.
#[derive(Debug, Default)]
pub struct KvAppendModel {
    strings: RefCell<Interner>,
}

impl KvAppendModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `s`, for building inputs and outputs (keys and values share one table).
    pub fn intern(&self, s: &str) -> StrId {
        self.strings.borrow_mut().intern(s)
    }

    /// The string of `id`.
    pub fn string(&self, id: StrId) -> String {
        self.strings.borrow().get(id)
    }

    /// Number of string nodes so far (grows with the appends searches explore): a measure
    /// of the memory the model holds.
    pub fn interned_count(&self) -> usize {
        self.strings.borrow().len()
    }
}

/// The value of `key` ("" when absent).
fn value_of(state: &IdMap, key: StrId) -> StrId {
    state.get(key).unwrap_or(Interner::EMPTY)
}

/// `state` with `key` set to `value`; "" is stored as absence, so equal maps are equal.
fn with_value(state: &IdMap, key: StrId, value: StrId) -> IdMap {
    state.with(key, (value != Interner::EMPTY).then_some(value))
}

impl Model for KvAppendModel {
    type Input = AppendInput;
    type Output = AppendOutput;
    type State = IdMap;

    fn init(&self) -> IdMap {
        IdMap::default()
    }

    fn step(
        &self,
        state: &Self::State,
        input: &AppendInput,
        output: Option<&AppendOutput>,
    ) -> Option<Self::State> {
        match (*input, output) {
            (AppendInput::Get(_), None) => Some(state.clone()),
            (AppendInput::Get(key), Some(AppendOutput::Value(value))) => {
                let actual = value_of(state, key);
                let same =
                    actual == *value || self.strings.borrow_mut().same_content(actual, *value);
                same.then(|| state.clone())
            }
            (AppendInput::Put(key, value), None | Some(AppendOutput::Ok)) => {
                Some(with_value(state, key, value))
            }
            (AppendInput::Append(key, suffix), None | Some(AppendOutput::Ok)) => {
                let value = self
                    .strings
                    .borrow_mut()
                    .concat(value_of(state, key), suffix);
                Some(with_value(state, key, value))
            }
            _ => None,
        }
    }

    fn is_read_only(&self, input: &AppendInput, _output: Option<&AppendOutput>) -> bool {
        matches!(input, AppendInput::Get(_))
    }

    fn can_become_acceptable(
        &self,
        state: &IdMap,
        input: &AppendInput,
        output: Option<&AppendOutput>,
        writers: &mut dyn Iterator<Item = &AppendInput>,
    ) -> bool {
        let (AppendInput::Get(key), Some(AppendOutput::Value(wanted))) = (*input, output) else {
            return true;
        };
        // Without a put, the key's value only grows at the end: it must already be a
        // prefix of the value read.
        any_of(
            writers,
            |w| matches!(*w, AppendInput::Put(k, _) if k == key),
        ) || self
            .strings
            .borrow_mut()
            .may_be_prefix(value_of(state, key), *wanted)
    }

    fn partition(&self, history: &History<AppendInput, AppendOutput>) -> Vec<Vec<OpIndex>> {
        partition_by_key(history, |input| input.key())
    }

    fn describe_operation(&self, input: &AppendInput, output: Option<&AppendOutput>) -> String {
        let strings = self.strings.borrow();
        let call = match *input {
            AppendInput::Get(k) => format!("get({:?})", strings.get(k)),
            AppendInput::Put(k, v) => format!("put({:?}, {:?})", strings.get(k), strings.get(v)),
            AppendInput::Append(k, v) => {
                format!("append({:?}, {:?})", strings.get(k), strings.get(v))
            }
        };
        match output {
            None => format!("{call} -> ?"),
            Some(AppendOutput::Ok) => format!("{call} -> ok"),
            Some(AppendOutput::Value(v)) => format!("{call} -> {:?}", strings.get(*v)),
        }
    }

    fn describe_state(&self, state: &Self::State) -> String {
        let strings = self.strings.borrow();
        let entries: Vec<String> = state
            .as_slice()
            .iter()
            .map(|&(k, v)| format!("{:?}: {:?}", strings.get(k), strings.get(v)))
            .collect();
        format!("{{{}}} (other keys \"\")", entries.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_concatenates_and_get_compares_content() {
        let m = KvAppendModel::new();
        let (k, x, y, xy) = (m.intern("k"), m.intern("x"), m.intern("y"), m.intern("xy"));
        let s = m
            .step(
                &m.init(),
                &AppendInput::Append(k, x),
                Some(&AppendOutput::Ok),
            )
            .unwrap();
        let s = m.step(&s, &AppendInput::Append(k, y), None).unwrap();
        assert!(
            m.step(&s, &AppendInput::Get(k), Some(&AppendOutput::Value(xy)))
                .is_some()
        );
        assert!(
            m.step(&s, &AppendInput::Get(k), Some(&AppendOutput::Value(x)))
                .is_none()
        );
        let s = m
            .step(&s, &AppendInput::Put(k, Interner::EMPTY), None)
            .unwrap();
        assert_eq!(s, m.init());
    }
}
