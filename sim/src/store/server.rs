//! The store node: [`StoreNode::start`] creates a madsim node that receives requests on an
//! endpoint and handles each in its own task — draw the fault decision and the latency, wait
//! the part before applying, apply (or not), wait the rest, reply (or, for an unknown
//! outcome, stay silent).

use super::client::SimStore;
use super::config::StoreConfig;
use super::faults::{FaultDecision, FaultDraw, FaultKind, StoreFaultConfig, decide};
use super::latency::LatencyDraw;
use super::observer::{AppliedMutation, MutationChange, StoreObserver};
use super::op::StoreOp;
use super::state::StoreState;
use super::stats::StoreStats;
use super::windows::WindowSchedule;
use super::wire::{REQUEST_TAG, ReplyBody, RequestBody, WireReply, WireRequest};
use crate::clock::sim_elapsed_ns;
use crate::rng::{self, Stream};
use crate::trace::{Trace, TraceEvent};
use madsim::net::Endpoint;
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Locks a mutex, ignoring poisoning: a panic elsewhere (a failing check) leaves these
/// structures consistent because no lock is held across a partial update that can panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The fault machinery: configuration, streams, windows and what is in flight.
struct Control {
    faults: StoreFaultConfig,
    fault_rng: Stream,
    latency_rng: Stream,
    throttle: WindowSchedule,
    spikes: WindowSchedule,
    /// Conditional puts in flight per path (arrived, not yet answered).
    conditional_in_flight: BTreeMap<String, u32>,
    in_flight: u64,
}

/// What a request was dealt on arrival.
struct Admission {
    decision: FaultDecision,
    latency: LatencyDraw,
    spike_multiplier: Option<f64>,
}

/// State shared by the store node's tasks and every `SimStore` handle.
pub(crate) struct StoreCore {
    pub(crate) config: StoreConfig,
    control: Mutex<Control>,
    state: Mutex<StoreState>,
    observers: Mutex<Vec<Arc<dyn StoreObserver>>>,
    stats: Mutex<StoreStats>,
    pub(crate) trace: Trace,
    next_request_id: AtomicU64,
    mutations_applied: AtomicU64,
}

impl StoreCore {
    fn new(config: StoreConfig, run_seed: u64, trace: Trace) -> StoreCore {
        let control = Control {
            throttle: WindowSchedule::new(
                rng::stream(run_seed, "store/throttle"),
                config.faults.throttle.clone(),
            ),
            spikes: WindowSchedule::new(
                rng::stream(run_seed, "store/spikes"),
                config.faults.spikes.clone(),
            ),
            faults: config.faults.clone(),
            fault_rng: rng::stream(run_seed, "store/faults"),
            latency_rng: rng::stream(run_seed, "store/latency"),
            conditional_in_flight: BTreeMap::new(),
            in_flight: 0,
        };
        StoreCore {
            config,
            control: Mutex::new(control),
            state: Mutex::new(StoreState::new()),
            observers: Mutex::new(Vec::new()),
            stats: Mutex::new(StoreStats::default()),
            trace,
            next_request_id: AtomicU64::new(1),
            mutations_applied: AtomicU64::new(0),
        }
    }

    pub(crate) fn next_request_id(&self) -> u64 {
        self.next_request_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn note_client_timeout(&self, node: &str, request_id: u64, op: StoreOp, path: &str) {
        lock(&self.stats).client_timeouts += 1;
        self.trace.record(
            node,
            TraceEvent::StoreTimeout {
                request_id,
                op,
                path: path.to_string(),
            },
        );
    }

    /// Draws the request's numbers and decides its fate; registers it as in flight.
    fn admit(&self, op: StoreOp, path: &str, now_ms: u64) -> Admission {
        let mut control = lock(&self.control);
        let control = &mut *control;
        let fault_draw = FaultDraw::draw(&mut control.fault_rng);
        let latency = LatencyDraw::draw(&mut control.latency_rng);
        let throttled = control.throttle.active_at(now_ms).is_some();
        let spike_multiplier = control.spikes.active_at(now_ms).map(|w| w.magnitude);
        let racing = op.is_conditional_put()
            && control
                .conditional_in_flight
                .get(path)
                .is_some_and(|count| *count > 0);
        let decision = if control.in_flight >= self.config.in_flight_max {
            FaultDecision::Reject(FaultKind::Overloaded)
        } else {
            decide(&control.faults, &fault_draw, op, throttled, racing)
        };
        control.in_flight += 1;
        if op.is_conditional_put() {
            *control
                .conditional_in_flight
                .entry(path.to_string())
                .or_insert(0) += 1;
        }
        let in_flight = control.in_flight;
        let mut stats = lock(&self.stats);
        stats.in_flight_peak = stats.in_flight_peak.max(in_flight);
        Admission {
            decision,
            latency,
            spike_multiplier,
        }
    }

    fn release(&self, op: StoreOp, path: &str) {
        let mut control = lock(&self.control);
        control.in_flight = control.in_flight.saturating_sub(1);
        if op.is_conditional_put() {
            let remaining = match control.conditional_in_flight.get_mut(path) {
                Some(count) => {
                    *count = count.saturating_sub(1);
                    *count
                }
                None => 0,
            };
            if remaining == 0 {
                control.conditional_in_flight.remove(path);
            }
        }
    }

    fn fault(&self, node: &str, request_id: u64, op: StoreOp, path: &str, fault: FaultKind) {
        {
            let mut stats = lock(&self.stats);
            stats.note_fault(fault, op);
            stats.note_fault_step(fault, super::step::protocol_step(op, path));
        }
        self.trace.record(
            node,
            TraceEvent::StoreFault {
                request_id,
                op,
                path: path.to_string(),
                fault,
            },
        );
    }

    /// Executes the request against the state; reports a mutation to trace and observers.
    fn apply(&self, node: &str, request_id: u64, body: RequestBody) -> ReplyBody {
        let mut state = lock(&self.state);
        let (path, write) = match &body {
            RequestBody::Get { path, .. } | RequestBody::Head { path } => (path, false),
            RequestBody::List { prefix } => (prefix, false),
            RequestBody::Put { path, .. } | RequestBody::Delete { path } => (path, true),
        };
        for observer in lock(&self.observers).iter() {
            observer.on_request(node, path, write);
        }
        let (reply, change, path) = match body {
            RequestBody::Get { path, range } => return ReplyBody::Get(state.get(&path, range)),
            RequestBody::Head { path } => return ReplyBody::Head(state.head(&path)),
            RequestBody::List { prefix } => return ReplyBody::List(Ok(state.list(&prefix))),
            RequestBody::Put {
                path,
                bytes,
                mode,
                attributes,
            } => match state.put(&path, bytes.clone(), &mode, attributes.clone()) {
                Err(error) => return ReplyBody::Put(Err(error)),
                Ok(applied) => (
                    ReplyBody::Put(Ok(applied.etag.clone())),
                    MutationChange::Put {
                        mode,
                        etag: applied.etag,
                        bytes,
                        attributes,
                        replaced: applied.replaced,
                    },
                    path,
                ),
            },
            RequestBody::Delete { path } => {
                let removed = state.delete(&path);
                (
                    ReplyBody::Delete(Ok(())),
                    MutationChange::Delete { removed },
                    path,
                )
            }
        };
        let op = match &change {
            MutationChange::Put { mode, .. } => StoreOp::for_put(mode),
            MutationChange::Delete { .. } => StoreOp::Delete,
        };
        let etag = match &change {
            MutationChange::Put { etag, .. } => Some(etag.0.clone()),
            MutationChange::Delete { .. } => None,
        };
        let at_ns = sim_elapsed_ns();
        self.trace.record_at(
            at_ns,
            node,
            TraceEvent::StoreApplied {
                request_id,
                op,
                path: path.clone(),
                etag,
            },
        );
        lock(&self.stats).mutations_applied += 1;
        let mutation = AppliedMutation {
            sequence: self.mutations_applied.fetch_add(1, Ordering::Relaxed) + 1,
            at_ns,
            request_id,
            node: node.to_string(),
            path,
            change,
        };
        let observers = lock(&self.observers).clone();
        for observer in &observers {
            observer.on_mutation(&mutation, &state);
        }
        reply
    }
}

/// Releases a request's in-flight registration however its task ends.
struct InFlight<'a> {
    core: &'a StoreCore,
    op: StoreOp,
    path: &'a str,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.core.release(self.op, self.path);
    }
}

async fn sleep_unless_zero(duration: Duration) {
    if !duration.is_zero() {
        madsim::time::sleep(duration).await;
    }
}

/// One request, from arrival to reply (or silence).
async fn handle_request(
    core: Arc<StoreCore>,
    endpoint: Endpoint,
    from: SocketAddr,
    request: WireRequest,
) {
    let arrival_ns = sim_elapsed_ns();
    let WireRequest { id, node, body } = request;
    let op = body.op();
    let path = body.path().to_string();
    let upload_bytes = body.upload_bytes();
    {
        let mut stats = lock(&core.stats);
        stats.note_request(op);
        stats.note_sender(&node, body.kind(), &path, upload_bytes);
    }
    core.trace.record_at(
        arrival_ns,
        &node,
        TraceEvent::StoreRequest {
            request_id: id,
            op,
            path: path.clone(),
            size_bytes: upload_bytes,
        },
    );
    let admission = core.admit(op, &path, arrival_ns / 1_000_000);
    let _in_flight = InFlight {
        core: &core,
        op,
        path: &path,
    };
    if admission.spike_multiplier.is_some() {
        core.fault(&node, id, op, &path, FaultKind::LatencySpike);
    }
    match admission.decision {
        FaultDecision::Proceed => {}
        FaultDecision::Reject(kind) => core.fault(&node, id, op, &path, kind),
        FaultDecision::Drop { applied: true } => {
            core.fault(&node, id, op, &path, FaultKind::UnknownApplied)
        }
        FaultDecision::Drop { applied: false } => {
            core.fault(&node, id, op, &path, FaultKind::UnknownNotApplied)
        }
    }
    let plan = core.config.latency.plan(
        &admission.latency,
        admission.spike_multiplier.unwrap_or(1.0),
        upload_bytes,
    );
    sleep_unless_zero(plan.before_apply).await;
    let reply = match admission.decision {
        FaultDecision::Reject(kind) => match kind.rejection(&path) {
            Some(error) => ReplyBody::failed(op, error),
            None => ReplyBody::failed(
                op,
                lsm_core::store::StoreError::UnknownOutcome { path: path.clone() },
            ),
        },
        FaultDecision::Proceed | FaultDecision::Drop { applied: true } => {
            core.apply(&node, id, body)
        }
        FaultDecision::Drop { applied: false } => return,
    };
    let download = core.config.latency.transfer(reply.download_bytes());
    sleep_unless_zero(plan.after_apply + download).await;
    if matches!(admission.decision, FaultDecision::Drop { .. }) {
        return;
    }
    let outcome = reply.outcome();
    {
        let mut stats = lock(&core.stats);
        stats.note_reply(outcome);
        stats.note_download(&node, &path, reply.download_bytes());
    }
    core.trace.record(
        &node,
        TraceEvent::StoreReply {
            request_id: id,
            op,
            path: path.clone(),
            size_bytes: reply.download_bytes(),
            outcome,
            latency_ns: sim_elapsed_ns().saturating_sub(arrival_ns),
        },
    );
    // A reply to a node that died meanwhile is simply lost, like a closed connection.
    let _ = endpoint
        .send_to_raw(from, id, Box::new(WireReply { body: reply }))
        .await;
}

/// The store's receive loop: runs for the life of the runtime (the store is never killed).
async fn serve(core: Arc<StoreCore>, endpoint: Endpoint) {
    loop {
        let (payload, from) = match endpoint.recv_from_raw(REQUEST_TAG).await {
            Ok(received) => received,
            Err(_) => return,
        };
        let Ok(request) = payload.downcast::<WireRequest>() else {
            continue;
        };
        madsim::task::spawn(handle_request(
            core.clone(),
            endpoint.clone(),
            from,
            *request,
        ));
    }
}

/// The running store node: hands out [`SimStore`] clients, takes observers, and answers the
/// end-of-run checks' questions. Cheap to clone.
#[derive(Clone)]
pub struct StoreNode {
    core: Arc<StoreCore>,
    node: madsim::runtime::NodeHandle,
}

impl std::fmt::Debug for StoreNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreNode")
            .field("node", &self.core.config.node_name)
            .field("address", &self.core.config.address)
            .finish()
    }
}

impl StoreNode {
    /// Creates the store node in the current madsim runtime and waits until it listens.
    /// Call from inside `Runtime::block_on`. All store streams derive from `run_seed`.
    pub async fn start(config: StoreConfig, run_seed: u64, trace: Trace) -> io::Result<StoreNode> {
        let handle = madsim::runtime::Handle::current();
        let node = handle
            .create_node()
            .name(config.node_name.clone())
            .ip(config.address.ip())
            .build();
        let address = config.address;
        let endpoint = node
            .spawn(async move { Endpoint::bind(address).await })
            .await
            .map_err(|error| io::Error::other(format!("store bind task failed: {error}")))??;
        let core = Arc::new(StoreCore::new(config, run_seed, trace));
        node.spawn(serve(core.clone(), endpoint));
        Ok(StoreNode { core, node })
    }

    /// A client for the node named `node_name`. Use it only from tasks on that node: the
    /// request goes out from whichever node runs the call, and that node needs an IP.
    pub fn client(&self, node_name: &str) -> SimStore {
        SimStore::new(node_name, self.core.clone())
    }

    /// Adds an observer of every mutation applied from now on.
    pub fn add_observer(&self, observer: Arc<dyn StoreObserver>) {
        lock(&self.core.observers).push(observer);
    }

    /// Reads the store's state (do not call from inside an observer).
    pub fn with_state<R>(&self, f: impl FnOnce(&StoreState) -> R) -> R {
        f(&lock(&self.core.state))
    }

    /// A copy of the whole state (object bytes are shared, not copied).
    pub fn snapshot(&self) -> StoreState {
        lock(&self.core.state).clone()
    }

    pub fn stats(&self) -> StoreStats {
        lock(&self.core.stats).clone()
    }

    /// Replaces the fault configuration from now on (e.g. none, to let the system quiesce).
    pub fn set_faults(&self, faults: StoreFaultConfig) {
        let now_ms = sim_elapsed_ns() / 1_000_000;
        let mut control = lock(&self.core.control);
        control
            .throttle
            .reconfigure(faults.throttle.clone(), now_ms);
        control.spikes.reconfigure(faults.spikes.clone(), now_ms);
        control.faults = faults;
    }

    pub fn faults(&self) -> StoreFaultConfig {
        lock(&self.core.control).faults.clone()
    }

    pub fn config(&self) -> &StoreConfig {
        &self.core.config
    }

    pub fn trace(&self) -> &Trace {
        &self.core.trace
    }

    pub fn node_id(&self) -> madsim::task::NodeId {
        self.node.id()
    }
}
