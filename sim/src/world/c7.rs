//! C7, TTL: no read returns a value more than the clock-skew bound past its expiry, and no
//! value disappears more than the bound before it; and C1 with the expiry-aware model.
//!
//! Both read the client history with every put's absolute expiry (`ttl.rs`) and every
//! read's interval in true wall ms (call rounded down, return rounded up), and allow the
//! run's bound `B` ([`super::ttl::skew_bound_ms`]). C7 checks what can be judged from one
//! read and the writes around it, exactly:
//! - **late**: a read called at `c` returned a value expiring at `E` with `c ≥ E + B` — by
//!   then every node's clock said it had expired;
//! - **early** (styles that never drop data by design, in `wal` durability, where no
//!   acknowledged write is rolled back): a read returning "absent" over
//!   `[c, r]` whose key's last write is certain — a put `P` acknowledged before `c`, every
//!   other write of the key returned before `P` was called or called after `r` — with
//!   `P` expiring at `E` and `r < E − B`: no node's clock could yet have said it expired.
//!
//! C1 (the expiry-aware model, `lincheck::models::ttl_register`) covers the rest: every
//! read against every order the writes may take. C7 also takes the findings of the filter
//! audit (`ttl_filter_audit.rs`): a remote worker's TTL decision against its own clock.

use super::config::{WorldConfig, lossy_style};
use super::fifo_style;
use super::outcome::CheckOutcome;
use super::ttl::{skew_bound_ms, true_wall_ms_ceil, true_wall_ms_floor};
use super::ttl_filter_audit::TtlFilterAudit;
use crate::lincheck::html::HtmlSection;
use crate::lincheck::models::kv_register::{KvInput, KvOutput};
use crate::lincheck::models::ttl_register::{TtlInput, TtlRegisterModel};
use crate::lincheck::{CheckOptions, CheckReport, History, Operation};
use lsm_core::roles::writer::Durability;
use std::collections::BTreeMap;

type KvHistory = History<KvInput<u64, u64>, KvOutput<u64>>;
type TtlOperation = Operation<TtlInput<u64, u64>, KvOutput<u64>>;
pub type TtlHistory = History<TtlInput<u64, u64>, KvOutput<u64>>;

/// Why C7 did not run in a run without expiring puts.
pub const C7_SKIPPED_NO_TTL: &str = "no put carried an expiry (no TTL drawn; --ttl-share sets one)";

/// Violations a C7 failure lists, at most.
const SHOWN_MAX: usize = 5;

/// What the expiry-aware checks know of a run with TTL.
pub struct TtlContext {
    pub model: TtlRegisterModel<u64, u64>,
    /// Whether an acknowledged put may only vanish by expiry (C7's early half runs).
    absence_exact: bool,
    /// The absolute expiry of every put sent with one, by value id.
    expiries: BTreeMap<u64, u64>,
}

impl TtlContext {
    /// The context of `config`'s run, which lasted `horizon_ms` of sim time; `None` when the
    /// run drew no TTL.
    pub fn new(
        config: &WorldConfig,
        expiries: BTreeMap<u64, u64>,
        horizon_ms: u64,
    ) -> Option<TtlContext> {
        config.clients.ttl?;
        let model = TtlRegisterModel::new(
            skew_bound_ms(config, horizon_ms),
            lossy_style(config.writer.style),
        );
        let absence_exact = !model.lossy && config.lsm.durability == Durability::Wal;
        Some(TtlContext {
            model,
            absence_exact,
            expiries,
        })
    }

    /// `history` with each put's expiry and each read's interval in true wall ms.
    pub fn history(&self, history: &KvHistory) -> Result<TtlHistory, String> {
        let ops: Vec<TtlOperation> = history
            .ops()
            .iter()
            .map(|op| Operation {
                client: op.client,
                call_ns: op.call_ns,
                return_ns: op.return_ns,
                input: self.input(&op.input, op.call_ns, op.return_ns),
                output: op.output.clone(),
            })
            .collect();
        assert_eq!(ops.len(), history.len());
        History::from_operations(ops).map_err(|error| format!("TTL history: {error}"))
    }

    fn input(
        &self,
        input: &KvInput<u64, u64>,
        call_ns: u64,
        return_ns: Option<u64>,
    ) -> TtlInput<u64, u64> {
        match *input {
            KvInput::Get(key) => TtlInput::Get {
                key,
                call_ms: true_wall_ms_floor(call_ns),
                return_ms: return_ns.map_or(u64::MAX, true_wall_ms_ceil),
            },
            KvInput::Put(key, value) => TtlInput::Put {
                key,
                value,
                expires_at_ms: self.expiries.get(&value).copied(),
            },
            KvInput::Delete(key) => TtlInput::Delete { key },
        }
    }

    /// C1 under the expiry-aware model.
    pub fn c1_check(
        &self,
        history: &TtlHistory,
        options: &CheckOptions,
    ) -> (CheckReport, Option<HtmlSection>) {
        fifo_style::check_explained(&self.model, history, options)
    }

    /// C7 over `history`, with the filter audit's findings on remote workers.
    pub fn c7_check(&self, history: &TtlHistory, audit: &TtlFilterAudit) -> CheckOutcome {
        let mut found = late_reads(&self.model, history);
        if self.absence_exact {
            found.extend(early_reads(&self.model, history));
        }
        let (_, _, filter_violations, findings) = audit.summary();
        let bound_ms = self.model.bound_ms;
        let passed = found.is_empty() && filter_violations == 0;
        CheckOutcome::new("C7", passed, || {
            let mut parts = Vec::new();
            if !found.is_empty() {
                let shown: Vec<&str> = found.iter().take(SHOWN_MAX).map(String::as_str).collect();
                parts.push(format!(
                    "{} reads outside the TTL window (skew bound {bound_ms} ms): {}",
                    found.len(),
                    shown.join("; ")
                ));
            }
            if filter_violations > 0 {
                let shown: Vec<&str> = findings
                    .iter()
                    .take(SHOWN_MAX)
                    .map(String::as_str)
                    .collect();
                parts.push(format!(
                    "{filter_violations} TTL filter decisions against the worker's own clock: {}",
                    shown.join("; ")
                ));
            }
            parts.join("; and ")
        })
    }
}

/// Reads that returned a value called at or after its expiry plus the bound.
fn late_reads(model: &TtlRegisterModel<u64, u64>, history: &TtlHistory) -> Vec<String> {
    let expiry_of: BTreeMap<u64, u64> = history
        .ops()
        .iter()
        .filter_map(|op| match op.input {
            TtlInput::Put {
                value,
                expires_at_ms: Some(expiry),
                ..
            } => Some((value, expiry)),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    for op in history.ops() {
        let (TtlInput::Get { key, call_ms, .. }, Some(KvOutput::Value(Some(value)))) =
            (&op.input, &op.output)
        else {
            continue;
        };
        let expiry = expiry_of.get(value).copied();
        if !model.may_be_visible(expiry, *call_ms) {
            found.push(format!(
                "get({key}) called at {call_ms} returned {value}, which expired at {}",
                expiry.unwrap_or_default()
            ));
        }
    }
    found
}

/// Reads that found a key absent while its certain last write, an expiring put, could not
/// yet have expired on any node.
fn early_reads(model: &TtlRegisterModel<u64, u64>, history: &TtlHistory) -> Vec<String> {
    let mut writes: BTreeMap<u64, Vec<&TtlOperation>> = BTreeMap::new();
    for op in history.ops() {
        if !matches!(op.input, TtlInput::Get { .. }) {
            writes.entry(*op.input.key()).or_default().push(op);
        }
    }
    let mut found = Vec::new();
    for op in history.ops() {
        let (TtlInput::Get { key, return_ms, .. }, Some(KvOutput::Value(None))) =
            (&op.input, &op.output)
        else {
            continue;
        };
        let Some(read_return_ns) = op.return_ns else {
            continue;
        };
        let key_writes = writes.get(key).map(Vec::as_slice).unwrap_or_default();
        let Some(expiry) = certain_last_put_expiry(key_writes, op.call_ns, read_return_ns) else {
            continue;
        };
        if !model.may_be_expired(Some(expiry), *return_ms) {
            found.push(format!(
                "get({key}) returning at {return_ms} found it absent, but its last put expires at {expiry}"
            ));
        }
    }
    found
}

/// The expiry of the write a read over `[call_ns, return_ns]` must see, when that write is
/// certain and is an acknowledged expiring put: it returned before the read was called, and
/// every other write of the key returned before it was called or was called after the read
/// returned.
fn certain_last_put_expiry(writes: &[&TtlOperation], call_ns: u64, return_ns: u64) -> Option<u64> {
    let acknowledged = |w: &&&TtlOperation| {
        matches!(w.output, Some(KvOutput::Ok)) && w.return_ns.is_some_and(|r| r < call_ns)
    };
    for candidate in writes.iter().filter(acknowledged) {
        let TtlInput::Put {
            expires_at_ms: Some(expiry),
            ..
        } = candidate.input
        else {
            continue;
        };
        let others_settled = writes.iter().all(|w| {
            std::ptr::eq(*w, *candidate)
                || w.return_ns.is_some_and(|r| r < candidate.call_ns)
                || w.call_ns > return_ns
        });
        if others_settled {
            return Some(expiry);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const MS: u64 = 1_000_000;

    fn model() -> TtlRegisterModel<u64, u64> {
        TtlRegisterModel::new(10, false)
    }

    fn put(call: u64, ret: u64, value: u64, expiry: Option<u64>) -> TtlOperation {
        let input = TtlInput::Put {
            key: 1,
            value,
            expires_at_ms: expiry,
        };
        Operation::completed(1, call * MS, ret * MS, input, KvOutput::Ok)
    }

    fn get(call: u64, ret: u64, value: Option<u64>) -> TtlOperation {
        let input = TtlInput::Get {
            key: 1,
            call_ms: call,
            return_ms: ret,
        };
        Operation::completed(2, call * MS, ret * MS, input, KvOutput::Value(value))
    }

    fn history(ops: Vec<TtlOperation>) -> TtlHistory {
        History::from_operations(ops).unwrap()
    }

    #[test]
    fn late_read_is_found_and_an_in_window_one_is_not() {
        let h = history(vec![put(0, 1, 7, Some(100)), get(109, 120, Some(7))]);
        assert!(late_reads(&model(), &h).is_empty());
        let h = history(vec![put(0, 1, 7, Some(100)), get(110, 120, Some(7))]);
        assert_eq!(late_reads(&model(), &h).len(), 1);
    }

    #[test]
    fn early_absence_needs_a_certain_last_put() {
        let h = history(vec![put(0, 1, 7, Some(100)), get(50, 60, None)]);
        assert_eq!(early_reads(&model(), &h).len(), 1);
        let h = history(vec![put(0, 1, 7, Some(100)), get(50, 90, None)]);
        assert!(early_reads(&model(), &h).is_empty());
        // A concurrent write may have come last: nothing certain.
        let concurrent = put(40, 55, 8, None);
        let h = history(vec![put(0, 1, 7, Some(100)), concurrent, get(50, 60, None)]);
        assert!(early_reads(&model(), &h).is_empty());
        // A write that settled before the put does not matter.
        let h = history(vec![
            put(0, 1, 6, None),
            put(2, 3, 7, Some(100)),
            get(50, 60, None),
        ]);
        assert_eq!(early_reads(&model(), &h).len(), 1);
    }
}
