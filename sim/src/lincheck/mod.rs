//! Linearizability checking of recorded histories (check C1), usable without a simulation.
//!
//! A [`History`] holds operations with a client, a call time, a return time (`None`: never
//! returned) and an input and output; a [`Model`] is the sequential specification. [`check`]
//! runs Wing–Gong–Lowe search with Lowe's just-in-time linearization (a linked list of call
//! and return entries, calls before returns at equal times), a bitset of linearized
//! operations and a cache of explored (bitset, state) configurations, per independent
//! partition of the history (P-compositionality), the partitions taking turns.
//!
//! Sound reductions on top (each argued where it lives, all checked against brute force in
//! `tests/lincheck_properties.rs`):
//! - an operation that never returned may take effect or not: it is tried last, and a
//!   configuration is covered by an explored one with the same returned operations and
//!   state and a subset of the never-returned ones (`cache`);
//! - a read-only operation ([`Model::is_read_only`]) the model accepts is linearized at once
//!   and is its node's only branch (`search`);
//! - when the earliest return left is a read the model rejects and
//!   [`Model::can_become_acceptable`] says no order of the operations allowed before it
//!   helps, the node is abandoned at once.
//!
//! The search is iterative, deterministic (fixed hashing, no clock, no threads) and bounded
//! by [`Limits`]; a bound hit is [`Verdict::Unknown`], never a pass. A failure comes with an
//! [`Explanation`]: the longest linearizable prefix found and what could not follow it;
//! [`html`] draws it.
//!
//! ```
//! use sim::lincheck::{check, CheckOptions, History, Operation};
//! use sim::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
//!
//! let mut history = History::new();
//! let put = history.call(1, 10, KvInput::Put("k", 7)).unwrap();
//! history.complete(put, 20, Some(KvOutput::Ok)).unwrap();
//! // A read that starts after the put returned must see it.
//! history
//!     .push(Operation::completed(2, 30, 40, KvInput::Get("k"), KvOutput::Value(None)))
//!     .unwrap();
//! let report = check(&KvRegisterModel::new(), &history, &CheckOptions::default());
//! assert_eq!(report.verdict.name(), "not-linearizable");
//! println!("{}", report.verdict); // the longest linearizable prefix and what broke it
//! ```

mod bitset;
mod cache;
mod check;
mod entries;
mod explain;
mod hash;
pub mod history;
pub mod html;
pub mod model;
pub mod models;
pub mod parse;
mod search;
pub mod verdict;

pub use check::check;
pub use history::{ClientId, History, HistoryError, OpIndex, Operation};
pub use model::Model;
pub use verdict::{
    Bound, CheckOptions, CheckReport, CheckStats, ExplainedOp, Explanation, Limits, Unknown,
    Verdict,
};
