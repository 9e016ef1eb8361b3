//! The simulated object store: S3 semantics (exactly `MemoryStore`'s when faults are off),
//! run as its own madsim node, with a latency model and injected faults.
//!
//! ```text
//! caller node ──(request, id)──▶ store node: task per request
//!                                 1. draw fault decision + latency (own ChaCha streams)
//!                                 2. wait part of the latency (+ upload time)
//!                                 3. apply to StoreState (or not) → observers, trace
//!                                 4. wait the rest (+ download time)
//!             ◀──(reply, id)──── 5. reply — or nothing, for an unknown outcome
//! ```
//!
//! Setting up (inside `Runtime::block_on`):
//! `let store = StoreNode::start(StoreConfig::with_faults(StoreFaultConfig::heavy()), seed,
//! trace.clone()).await?;` then, for each node, `store.client("writer")` gives the
//! [`SimStore`] (an `lsm_core::store::ObjectStore`) its tasks use. Calling nodes need an IP.
//!
//! **Requests in flight from a killed node.** The request is a message already in madsim's
//! network once the call has sent it, and the store handles it in a task on the store's own
//! node, so killing the caller does not cancel it: it reaches the store and applies — or
//! not, if its fault decision says so, or if the kill came before the message left (the
//! send itself takes a few microseconds of sim time). Its reply is lost with the dead node.
//! That is the "may or may not apply" a real crash gives; recovery must read back.
//!
//! **Racing conditional puts.** A create-if-absent or update-if-match that arrives while
//! another conditional put on the same path is in flight (arrived, not yet answered) gets
//! 409 `Conflict`, not applied, with probability `race_conflict_probability`; otherwise
//! the two are serialized at their apply points and preconditions decide. Either way at most
//! one of them wins.

mod client;
mod config;
mod faults;
mod latency;
mod observer;
mod op;
mod server;
mod state;
mod stats;
mod step;
mod windows;
mod wire;

pub use client::SimStore;
pub use config::{DEFAULT_STORE_ADDRESS, StoreConfig};
pub use faults::{FaultDecision, FaultDraw, FaultKind, StoreFaultConfig, decide};
pub use latency::{LatencyConfig, LatencyDraw, LatencyPlan};
pub use observer::{AppliedMutation, MutationChange, StoreObserver};
pub use op::{ReplyOutcome, StoreOp};
pub use server::StoreNode;
pub use state::{
    BUCKET_CLASSES, PrefixUsage, PutApplied, StoreState, StoredObject, bucket_class, top_prefix,
};
pub use stats::StoreStats;
pub use step::protocol_step;
pub use windows::{Window, WindowConfig, WindowSchedule};
