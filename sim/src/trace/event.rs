//! What the trace records. Each [`TraceEntry`] has the sim time, the node the event concerns
//! and a [`TraceEvent`]. The store's and the clocks' events are typed; the lead's roles add
//! theirs as new variants or, until then, as [`TraceEvent::Custom`].

use crate::store::{FaultKind, ReplyOutcome, StoreOp};
use serde::Serialize;

/// One recorded event, in recording order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEntry {
    /// Position in the whole trace (0-based), kept events or not.
    pub seq: u64,
    /// Sim time since the runtime started, in nanoseconds.
    pub at_ns: u64,
    /// The node the event concerns: for store events, the node that sent the request.
    pub node: String,
    #[serde(flatten)]
    pub event: TraceEvent,
}

/// The events. Serialized internally tagged (`"type": "store_request"`), one JSON object per
/// line; that serialization is also the canonical encoding the digest covers, so keep field
/// types deterministic (no floats, no hash maps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceEvent {
    /// A request reached the store node.
    StoreRequest {
        request_id: u64,
        op: StoreOp,
        path: String,
        /// Bytes uploaded (puts); 0 otherwise.
        size_bytes: u64,
    },
    /// A mutation took effect in the store (also for requests whose reply is then dropped).
    StoreApplied {
        request_id: u64,
        op: StoreOp,
        path: String,
        /// The new tag for a put; `None` for a delete.
        etag: Option<String>,
    },
    /// The store replied.
    StoreReply {
        request_id: u64,
        op: StoreOp,
        path: String,
        /// Bytes downloaded (gets); 0 otherwise.
        size_bytes: u64,
        outcome: ReplyOutcome,
        /// Time from arrival at the store to the reply leaving it.
        latency_ns: u64,
    },
    /// The store injected a fault into a request.
    StoreFault {
        request_id: u64,
        op: StoreOp,
        path: String,
        fault: FaultKind,
    },
    /// The caller gave up waiting; it sees `UnknownOutcome`.
    StoreTimeout {
        request_id: u64,
        op: StoreOp,
        path: String,
    },
    /// A scheduled step of a node's wall clock took effect.
    ClockJump {
        /// Signed size of the step.
        delta_ms: i64,
        /// Sim time (ms since start) the step was scheduled for.
        scheduled_at_ms: u64,
        /// The node's wall clock right after the step.
        wall_ms_after: u64,
    },
    /// The node was killed.
    Crash,
    /// The node was restarted.
    Restart,
    /// The node was paused.
    Pause,
    /// The node was resumed.
    Resume,
    /// Anything else (manifest install, client op, compaction, ...): a short kind and a
    /// deterministic detail string.
    Custom { kind: String, detail: String },
}
