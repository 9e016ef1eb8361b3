//! Counters of what the store did, by op, outcome and fault kind — the `faults` figures of
//! a run's report. Keys are the stable names of `StoreOp`, `ReplyOutcome` and `FaultKind`.

use super::faults::FaultKind;
use super::op::{ReplyOutcome, StoreOp};
use crate::cost::{RequestKind, RequestTally};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Requests that reached the store.
    pub requests_total: u64,
    pub requests_by_op: BTreeMap<String, u64>,
    /// Replies sent, by outcome (dropped replies are not here but in the faults).
    pub replies_by_outcome: BTreeMap<String, u64>,
    pub faults_total: u64,
    pub faults_by_kind: BTreeMap<String, u64>,
    /// Fault kind → op → count.
    pub faults_by_kind_and_op: BTreeMap<String, BTreeMap<String, u64>>,
    /// `kind:step` → count, the step judged from the path (`protocol_step`).
    pub faults_by_step: BTreeMap<String, u64>,
    /// Puts and deletes that took effect.
    pub mutations_applied: u64,
    /// Calls whose caller gave up waiting (dropped replies and replies too slow).
    pub client_timeouts: u64,
    /// Largest number of requests in flight at the store at once.
    pub in_flight_peak: u64,
    /// Bytes of every PUT body that reached the store, applied or not.
    pub bytes_uploaded_total: u64,
    /// Object bytes of every reply sent (GET bodies).
    pub bytes_downloaded_total: u64,
    /// Each sending node's requests and bytes, by object class (the cost accounting).
    pub by_node: BTreeMap<String, RequestTally>,
}

impl StoreStats {
    pub fn note_request(&mut self, op: StoreOp) {
        self.requests_total += 1;
        *self
            .requests_by_op
            .entry(op.name().to_string())
            .or_insert(0) += 1;
    }

    /// Accounts a request from `node` to its sender; the totals above count it separately.
    pub fn note_sender(&mut self, node: &str, kind: RequestKind, path: &str, uploaded_bytes: u64) {
        self.bytes_uploaded_total += uploaded_bytes;
        self.by_node
            .entry(node.to_string())
            .or_default()
            .note_request(kind, path, uploaded_bytes);
    }

    /// Accounts the object bytes of a reply sent to `node`.
    pub fn note_download(&mut self, node: &str, path: &str, bytes: u64) {
        self.bytes_downloaded_total += bytes;
        let tally = self.by_node.get_mut(node);
        assert!(tally.is_some(), "a reply to {node}, which sent nothing");
        if let Some(tally) = tally {
            tally.note_download(path, bytes);
        }
    }

    pub fn note_reply(&mut self, outcome: ReplyOutcome) {
        *self
            .replies_by_outcome
            .entry(outcome.name().to_string())
            .or_insert(0) += 1;
    }

    pub fn note_fault(&mut self, kind: FaultKind, op: StoreOp) {
        self.faults_total += 1;
        *self
            .faults_by_kind
            .entry(kind.name().to_string())
            .or_insert(0) += 1;
        *self
            .faults_by_kind_and_op
            .entry(kind.name().to_string())
            .or_default()
            .entry(op.name().to_string())
            .or_insert(0) += 1;
    }

    /// Counts a fault against the protocol step of its request.
    pub fn note_fault_step(&mut self, kind: FaultKind, step: &str) {
        *self
            .faults_by_step
            .entry(format!("{}:{step}", kind.name()))
            .or_insert(0) += 1;
    }

    /// Count of one fault kind.
    pub fn faults(&self, kind: FaultKind) -> u64 {
        self.faults_by_kind.get(kind.name()).copied().unwrap_or(0)
    }
}
