//! A map of registers whose puts may carry an expiry time (check C1 when a run draws TTL).
//!
//! Nodes judge expiry by their own wall clocks, which differ from true time by at most
//! `bound_ms` (the run's clock-skew bound). So a put expiring at `E` (true wall ms) is
//! certainly visible before `E − bound_ms`, certainly gone from `E + bound_ms` on, and in
//! between either, and may even flap (a failover to a node whose clock is behind, a
//! backward jump). A read carries its interval in true wall ms, `[call_ms, return_ms]`:
//! - it may return the value when `call_ms < E + bound_ms` (some instant of the read lies
//!   before the value is gone everywhere);
//! - it may return "absent" when `return_ms ≥ E − bound_ms` (some instant of the read lies
//!   where some node may already judge it expired).
//!
//! Outside that window the model is [`super::kv_register`]'s exact map. Expiry of the
//! newest version never uncovers an older one (reads stop at the newest entry; the merge
//! filter turns an expired put into a tombstone above the bottom), so the state keeps one
//! entry per key. With `lossy` (FIFO, log shift), a read may also find a key gone whose
//! newest write was dropped, as in [`super::fifo_register`]: outside the expiry window the
//! read then removes the key; inside it the key stays (the absence may be expiry, which can
//! flap back, and keeping the key accepts every later read that dropping it would).

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::lincheck::history::{History, OpIndex, Operation};
use crate::lincheck::model::{Model, PendingOp};

use super::kv_register::KvOutput;
use super::{any_of, partition_by_key, pending_delete, pending_put};

/// An operation of the expiring map. Times are true wall-clock milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TtlInput<K, V> {
    Get {
        key: K,
        call_ms: u64,
        return_ms: u64,
    },
    Put {
        key: K,
        value: V,
        expires_at_ms: Option<u64>,
    },
    Delete {
        key: K,
    },
}

impl<K, V> TtlInput<K, V> {
    pub fn key(&self) -> &K {
        match self {
            TtlInput::Get { key, .. } | TtlInput::Put { key, .. } | TtlInput::Delete { key } => key,
        }
    }
}

/// One present key: its value and the value's expiry.
type Slot<K, V> = (K, V, Option<u64>);

/// The expiring map model. Its state lists the present keys, sorted (one per partition).
#[derive(Clone, Copy, Debug)]
pub struct TtlRegisterModel<K, V> {
    /// How far any node's wall clock may be from true time, in ms.
    pub bound_ms: u64,
    /// Whether tables may be dropped by design (FIFO, log shift).
    pub lossy: bool,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> TtlRegisterModel<K, V> {
    pub fn new(bound_ms: u64, lossy: bool) -> Self {
        TtlRegisterModel {
            bound_ms,
            lossy,
            _types: PhantomData,
        }
    }

    /// Whether a value expiring at `expiry` may still be read by a read called at `call_ms`.
    pub fn may_be_visible(&self, expiry: Option<u64>, call_ms: u64) -> bool {
        expiry.is_none_or(|expiry| call_ms < expiry.saturating_add(self.bound_ms))
    }

    /// Whether a value expiring at `expiry` may already be gone for a read returning at
    /// `return_ms`.
    pub fn may_be_expired(&self, expiry: Option<u64>, return_ms: u64) -> bool {
        expiry.is_some_and(|expiry| return_ms >= expiry.saturating_sub(self.bound_ms))
    }
}

impl<K, V> Model for TtlRegisterModel<K, V>
where
    K: Clone + Ord + Hash + Debug,
    V: Clone + Eq + Hash + Debug,
{
    type Input = TtlInput<K, V>;
    type Output = KvOutput<V>;
    type State = Vec<Slot<K, V>>;

    fn init(&self) -> Vec<Slot<K, V>> {
        Vec::new()
    }

    fn step(
        &self,
        state: &Vec<Slot<K, V>>,
        input: &TtlInput<K, V>,
        output: Option<&KvOutput<V>>,
    ) -> Option<Vec<Slot<K, V>>> {
        let found = state.binary_search_by(|(k, _, _)| k.cmp(input.key()));
        let slot = found.ok().and_then(|i| state.get(i));
        match (input, output) {
            (TtlInput::Get { .. }, None) => Some(state.clone()),
            (TtlInput::Get { call_ms, .. }, Some(KvOutput::Value(Some(wanted)))) => {
                let (_, value, expiry) = slot?;
                (value == wanted && self.may_be_visible(*expiry, *call_ms)).then(|| state.clone())
            }
            (TtlInput::Get { return_ms, .. }, Some(KvOutput::Value(None))) => {
                let Some((_, _, expiry)) = slot else {
                    return Some(state.clone());
                };
                // Inside the window the absence may be expiry, which may flap back; keeping
                // the key accepts everything dropping it would, and more.
                if self.lossy && !self.may_be_expired(*expiry, *return_ms) {
                    let mut next = state.clone();
                    if let Ok(i) = found {
                        next.remove(i);
                    }
                    return Some(next);
                }
                self.may_be_expired(*expiry, *return_ms)
                    .then(|| state.clone())
            }
            (
                TtlInput::Put {
                    key,
                    value,
                    expires_at_ms,
                },
                None | Some(KvOutput::Ok),
            ) => {
                let mut next = state.clone();
                let new = (key.clone(), value.clone(), *expires_at_ms);
                match found {
                    Ok(i) => next[i] = new,
                    Err(i) => next.insert(i, new),
                }
                Some(next)
            }
            (TtlInput::Delete { .. }, None | Some(KvOutput::Ok)) => {
                let mut next = state.clone();
                if let Ok(i) = found {
                    next.remove(i);
                }
                Some(next)
            }
            _ => None,
        }
    }

    /// A read changes nothing, except in a lossy map a read that found the key absent
    /// (it may witness a drop).
    fn is_read_only(&self, input: &TtlInput<K, V>, output: Option<&KvOutput<V>>) -> bool {
        match (input, output) {
            (TtlInput::Get { .. }, Some(KvOutput::Value(None))) => !self.lossy,
            (TtlInput::Get { .. }, _) => true,
            _ => false,
        }
    }

    fn can_become_acceptable(
        &self,
        _state: &Vec<Slot<K, V>>,
        input: &TtlInput<K, V>,
        output: Option<&KvOutput<V>>,
        writers: &mut dyn Iterator<Item = &TtlInput<K, V>>,
    ) -> bool {
        // Only a put of the value read can make a rejected read of it acceptable; an
        // absent read may become acceptable after a delete or an expiring put.
        match (input, output) {
            (TtlInput::Get { key, .. }, Some(KvOutput::Value(Some(wanted)))) => any_of(
                writers,
                |w| matches!(w, TtlInput::Put { key: k, value: v, .. } if k == key && v == wanted),
            ),
            _ => true,
        }
    }

    fn pending_op(
        &self,
        op: &Operation<TtlInput<K, V>, KvOutput<V>>,
        part: &[&Operation<TtlInput<K, V>, KvOutput<V>>],
    ) -> PendingOp {
        let absent = |other: &TtlInput<K, V>, output: &KvOutput<V>| {
            other.key() == op.input.key()
                && matches!(other, TtlInput::Get { .. })
                && matches!(output, KvOutput::Value(None))
        };
        match &op.input {
            TtlInput::Put {
                key,
                value,
                expires_at_ms,
            } => pending_put(
                part,
                op.call_ns,
                (
                    |other: &TtlInput<K, V>, output: &KvOutput<V>| {
                        matches!(other, TtlInput::Get { key: k, .. } if k == key)
                            && matches!(output, KvOutput::Value(Some(v)) if v == value)
                    },
                    absent,
                ),
                // An expiring put, or any put of a lossy map, can explain an absent read.
                expires_at_ms.is_some() || self.lossy,
            ),
            TtlInput::Delete { .. } => pending_delete(part, op.call_ns, absent),
            TtlInput::Get { .. } => PendingOp::Open,
        }
    }

    fn partition(&self, history: &History<TtlInput<K, V>, KvOutput<V>>) -> Vec<Vec<OpIndex>> {
        partition_by_key(history, |input| input.key().clone())
    }

    fn describe_operation(&self, input: &TtlInput<K, V>, output: Option<&KvOutput<V>>) -> String {
        let call = match input {
            TtlInput::Get {
                key,
                call_ms,
                return_ms,
            } => format!("get({key:?}) @[{call_ms}, {return_ms}]"),
            TtlInput::Put {
                key,
                value,
                expires_at_ms: Some(expiry),
            } => format!("put({key:?}, {value:?}, expires {expiry})"),
            TtlInput::Put { key, value, .. } => format!("put({key:?}, {value:?})"),
            TtlInput::Delete { key } => format!("delete({key:?})"),
        };
        match output {
            None => format!("{call} -> ?"),
            Some(KvOutput::Ok) => format!("{call} -> ok"),
            Some(KvOutput::Value(Some(v))) => format!("{call} -> {v:?}"),
            Some(KvOutput::Value(None)) => format!("{call} -> absent"),
        }
    }

    fn describe_state(&self, state: &Vec<Slot<K, V>>) -> String {
        let entries: Vec<String> = state
            .iter()
            .map(|(k, v, e)| match e {
                Some(e) => format!("{k:?}: {v:?} (expires {e})"),
                None => format!("{k:?}: {v:?}"),
            })
            .collect();
        format!("{{{}}}", entries.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::lincheck::{CheckOptions, History, Operation, check};

    type In = TtlInput<u8, u8>;
    type Op = Operation<In, KvOutput<u8>>;

    const BOUND_MS: u64 = 10;

    fn put(key: u8, value: u8, expires_at_ms: Option<u64>) -> In {
        TtlInput::Put {
            key,
            value,
            expires_at_ms,
        }
    }

    /// A read of key 1 over `[call, ret]` (ms; the history's times are the same numbers).
    fn get(client: u64, call: u64, ret: u64, value: Option<u8>) -> Op {
        let input = TtlInput::Get {
            key: 1,
            call_ms: call,
            return_ms: ret,
        };
        Operation::completed(client, call, ret, input, KvOutput::Value(value))
    }

    fn written(client: u64, call: u64, ret: u64, input: In) -> Op {
        Operation::completed(client, call, ret, input, KvOutput::Ok)
    }

    fn verdict(lossy: bool, ops: Vec<Op>) -> String {
        let history = History::from_operations(ops).unwrap();
        let model = TtlRegisterModel::new(BOUND_MS, lossy);
        let report = check(&model, &history, &CheckOptions::default());
        report.verdict.name().to_string()
    }

    #[test]
    fn window_edges_are_exact() {
        let model: TtlRegisterModel<u8, u8> = TtlRegisterModel::new(BOUND_MS, false);
        assert!(model.may_be_visible(Some(100), 109));
        assert!(!model.may_be_visible(Some(100), 110));
        assert!(model.may_be_visible(None, u64::MAX));
        assert!(model.may_be_expired(Some(100), 90));
        assert!(!model.may_be_expired(Some(100), 89));
        assert!(!model.may_be_expired(None, u64::MAX));
    }

    #[test]
    fn inside_the_window_either_answer_and_even_flapping() {
        let ops = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            get(2, 50, 51, Some(7)),
            get(2, 92, 93, None),
            get(2, 95, 96, Some(7)),
            get(2, 105, 106, None),
            get(2, 200, 201, None),
        ];
        assert_eq!(verdict(false, ops), "linearizable");
    }

    #[test]
    fn rejects_a_value_read_past_the_window() {
        let ops = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            get(2, 110, 111, Some(7)),
        ];
        assert_eq!(verdict(false, ops), "not-linearizable");
    }

    #[test]
    fn rejects_a_value_gone_before_the_window() {
        let ops = vec![written(1, 0, 1, put(1, 7, Some(100))), get(2, 80, 89, None)];
        assert_eq!(verdict(false, ops), "not-linearizable");
        // A lossy map may drop it, but never show it again after.
        let lossy = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            get(2, 80, 89, None),
            get(2, 90, 91, Some(7)),
        ];
        assert_eq!(verdict(true, lossy), "not-linearizable");
    }

    #[test]
    fn a_lossy_map_may_flap_inside_the_window() {
        let ops = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            get(2, 92, 93, None),
            get(2, 105, 106, Some(7)),
            get(2, 120, 121, None),
        ];
        assert_eq!(verdict(true, ops), "linearizable");
        let late = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            get(2, 92, 93, None),
            get(2, 110, 111, Some(7)),
        ];
        assert_eq!(verdict(true, late), "not-linearizable");
    }

    #[test]
    fn a_put_without_expiry_is_exact() {
        let ops = vec![
            written(1, 0, 1, put(1, 7, None)),
            get(2, 1_000, 1_001, None),
        ];
        assert_eq!(verdict(false, ops), "not-linearizable");
        let ops = vec![
            written(1, 0, 1, put(1, 7, None)),
            get(2, 1_000, 1_001, Some(7)),
        ];
        assert_eq!(verdict(false, ops), "linearizable");
    }

    #[test]
    fn expiry_never_uncovers_an_older_value() {
        let ops = vec![
            written(1, 0, 1, put(1, 6, None)),
            written(1, 2, 3, put(1, 7, Some(100))),
            get(2, 200, 201, Some(6)),
        ];
        assert_eq!(verdict(false, ops), "not-linearizable");
    }

    #[test]
    fn a_newer_write_replaces_the_expiry() {
        let ops = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            written(1, 150, 151, put(1, 8, Some(1_000))),
            get(2, 200, 201, Some(8)),
            get(2, 300, 301, Some(8)),
        ];
        assert_eq!(verdict(false, ops), "linearizable");
        let ops = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            written(1, 150, 151, put(1, 8, Some(1_000))),
            get(2, 300, 301, None),
        ];
        assert_eq!(verdict(false, ops), "not-linearizable");
    }

    #[test]
    fn a_concurrent_put_may_land_after_the_expired_read() {
        let ops = vec![
            written(1, 0, 1, put(1, 7, Some(100))),
            written(1, 150, 400, put(1, 8, None)),
            get(2, 200, 201, None),
            get(2, 500, 501, Some(8)),
        ];
        assert_eq!(verdict(false, ops), "linearizable");
    }

    #[test]
    fn assumptions_about_pending_writes_never_change_a_verdict() {
        use crate::lincheck::models::test_support::{Unassuming, next};
        let mut rng = 11u64;
        let mut verdicts = [0usize; 2];
        for round in 0..3_000u64 {
            let lossy = round % 2 == 1;
            let mut ops = Vec::new();
            for client in 0..9u64 {
                let call = next(&mut rng) % 200;
                let ret = call + next(&mut rng) % 40;
                let value = (next(&mut rng) % 4) as u8;
                let expiry = (next(&mut rng) % 2 == 0).then(|| next(&mut rng) % 240);
                let put = TtlInput::Put {
                    key: 1,
                    value,
                    expires_at_ms: expiry,
                };
                ops.push(match next(&mut rng) % 7 {
                    0 | 1 => Operation::pending(client, call, put),
                    2 => written(client, call, ret, put),
                    3 => get(client, call, ret, Some(value)),
                    4 => get(client, call, ret, None),
                    5 => Operation::pending(client, call, TtlInput::Delete { key: 1 }),
                    _ => written(client, call, ret, TtlInput::Delete { key: 1 }),
                });
            }
            let history = History::from_operations(ops).unwrap();
            let model = TtlRegisterModel::new(BOUND_MS, lossy);
            let options = CheckOptions::default();
            let assumed = check(&model, &history, &options).verdict;
            let open = check(&Unassuming(model), &history, &options).verdict;
            assert_eq!(assumed.name(), open.name(), "lossy {lossy}: {history:?}");
            verdicts[usize::from(open.is_linearizable())] += 1;
        }
        // Both verdicts are exercised.
        assert!(verdicts.iter().all(|count| *count > 100), "{verdicts:?}");
    }
}
