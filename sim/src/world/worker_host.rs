//! Remote compaction's worker nodes (topology `remote`): each runs core's `RemoteWorker`
//! on the jobs the primary sends it over the network, one task per job, and sends the
//! result back until the primary acknowledges it (at-least-once delivery, so the primary
//! sees duplicates). The supervisor kills, restarts and pauses workers like the other
//! background processes — pauses beyond the job timeout make late results — and the store's
//! faults apply to their requests. With a configured chance a worker damages an output
//! after writing it (a faulty disk or a buggy worker), which the primary must catch.

use super::options::writer_options;
use super::protocol::{
    REMOTE_JOB_TAG, REMOTE_RESULT_TAG, remote_ack_tag, worker_address, worker_name,
};
use super::shared::Shared;
use super::supervisor::BackgroundNode;
use super::ttl_filter_audit::WorkerMerge;
use crate::clock::{SimClock, sim_elapsed_ns};
use crate::rng::{self, Stream};
use crate::store::{SimStore, StoreNode};
use crate::trace::Trace;
use bytes::Bytes;
use lsm_core::roles::remote::{RemoteJob, RemoteOutcome, RemoteWorker, decode_job, encode_result};
use lsm_core::store::{Attributes, GetRange, ObjectStore, PutMode};
use madsim::net::Endpoint;
use madsim::runtime::Handle;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Sends of one result at most (the first included).
const RESULT_SENDS_MAX: u32 = 4;

/// Starts the worker nodes; returns them (for the supervisor) and their clocks.
pub fn spawn_workers(
    shared: &Arc<Shared>,
    store: &StoreNode,
    trace: &Trace,
) -> (Vec<BackgroundNode>, Vec<SimClock>) {
    let config = &shared.config;
    let mut nodes = Vec::new();
    let mut clocks = Vec::new();
    for index in 0..config.lsm.remote.workers {
        let name = worker_name(index);
        let clock = super::node_clock::node_clock(config, &name, trace);
        clocks.push(clock.clone());
        let client = store.client(&name);
        let node_shared = shared.clone();
        let store_node = store.clone();
        let node = Handle::current()
            .create_node()
            .name(name.clone())
            .ip(worker_address(index).ip())
            .init(move || {
                let handles = (client.clone(), store_node.clone());
                worker_main(node_shared.clone(), handles, clock.clone(), index)
            })
            .build();
        nodes.push(BackgroundNode {
            name,
            node,
            compactor: None,
        });
    }
    (nodes, clocks)
}

/// What one worker incarnation's job tasks share.
#[derive(Clone)]
struct WorkerContext {
    shared: Arc<Shared>,
    store: SimStore,
    /// The store seen from outside the protocols, for C7's filter audit.
    store_node: StoreNode,
    clock: SimClock,
    endpoint: Endpoint,
    tag: String,
    damage: Arc<Mutex<Stream>>,
}

async fn worker_main(
    shared: Arc<Shared>,
    (store, store_node): (SimStore, StoreNode),
    clock: SimClock,
    index: usize,
) {
    let name = worker_name(index);
    let incarnation = shared.next_node_incarnation(&name);
    let tag = format!("{name}/i{incarnation}");
    let endpoint = match Endpoint::bind(worker_address(index)).await {
        Ok(endpoint) => endpoint,
        Err(error) => {
            shared.note(&name, "worker_bind_failed", error.to_string());
            return;
        }
    };
    let damage = rng::stream(shared.config.seed, &format!("worker-damage/{tag}"));
    let context = WorkerContext {
        shared: shared.clone(),
        store,
        store_node,
        clock,
        endpoint: endpoint.clone(),
        tag,
        damage: Arc::new(Mutex::new(damage)),
    };
    loop {
        let Ok((payload, from)) = endpoint.recv_from_raw(REMOTE_JOB_TAG).await else {
            return;
        };
        let Ok(bytes) = payload.downcast::<Bytes>() else {
            continue;
        };
        shared.remote(|tally| tally.workers.jobs_received += 1);
        match decode_job(&bytes) {
            Ok(job) => {
                madsim::task::spawn(run_job(context.clone(), job, from));
            }
            Err(error) => {
                shared.remote(|tally| tally.workers.jobs_undecodable += 1);
                shared.note(&context.tag, "remote_job_undecodable", error.to_string());
            }
        }
    }
}

/// Compacts, maybe damages an output (the fault), and delivers the result.
async fn run_job(context: WorkerContext, job: RemoteJob, primary: SocketAddr) {
    let retry = writer_options(&context.shared.config).retry;
    let mut worker = RemoteWorker::new(
        context.store.clone(),
        context.clock.clone(),
        retry,
        &context.tag,
    )
    .with_bugs(context.shared.config.lsm.bugs());
    let started_ns = sim_elapsed_ns();
    let result = worker.compact(&job).await;
    audit_ttl_filter(
        &context,
        &job,
        &result.outcome,
        (started_ns, sim_elapsed_ns()),
    );
    let detail = match &result.outcome {
        RemoteOutcome::Compacted { outputs, .. } => format!("{} outputs", outputs.len()),
        RemoteOutcome::Failed { detail } => format!("failed: {detail}"),
    };
    context.shared.note(
        &context.tag,
        "remote_compacted",
        format!("{} {detail}", job.id),
    );
    if let RemoteOutcome::Compacted { outputs, .. } = &result.outcome
        && let Some(first) = outputs.first()
        && damage_drawn(&context)
    {
        damage_output(&context, &job.id.output_path(first.id)).await;
    }
    let Ok(bytes) = encode_result(&result) else {
        return;
    };
    let resend = Duration::from_millis(context.shared.config.lsm.remote.result_resend_ms.max(1));
    let ack_tag = remote_ack_tag(job.id);
    for send in 0..RESULT_SENDS_MAX {
        let _ = context
            .endpoint
            .send_to_raw(primary, REMOTE_RESULT_TAG, Box::new(bytes.clone()))
            .await;
        context.shared.remote(|tally| {
            tally.workers.results_sent += 1;
            tally.workers.results_resent += u64::from(send > 0);
        });
        let acked = madsim::time::timeout(resend, context.endpoint.recv_from_raw(ack_tag)).await;
        if matches!(acked, Ok(Ok(_))) {
            context
                .shared
                .remote(|tally| tally.workers.results_acked += 1);
            return;
        }
    }
}

/// In a run with TTL, C7's audit judges a finished merge's TTL decisions by this worker's
/// clock over `span_ns`, before anything can damage its outputs.
fn audit_ttl_filter(
    context: &WorkerContext,
    job: &RemoteJob,
    outcome: &RemoteOutcome,
    span_ns: (u64, u64),
) {
    let RemoteOutcome::Compacted { outputs, .. } = outcome else {
        return;
    };
    if context.shared.config.clients.ttl.is_none() {
        return;
    }
    let merge = WorkerMerge {
        job,
        outputs,
        clock: &context.clock,
        span_ns,
    };
    let audit = &context.shared.ttl_filter_audit;
    context
        .store_node
        .with_state(|state| audit.audit(state, &merge));
}

fn damage_drawn(context: &WorkerContext) -> bool {
    let per_mille = context.shared.config.lsm.remote.corrupt_output_per_mille;
    let mut rng = context
        .damage
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    per_mille > 0 && rng::uniform_u64(&mut rng, 0, 999) < per_mille
}

/// Overwrites the object at `path` with a truncated or bit-flipped copy (best effort).
async fn damage_output(context: &WorkerContext, path: &str) {
    let Ok(got) = context.store.get(path, GetRange::Whole).await else {
        return;
    };
    let truncate = {
        let mut rng = context
            .damage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        rng::chance(&mut rng, 0.5)
    };
    let mut bytes = got.bytes.to_vec();
    if truncate {
        bytes.truncate(bytes.len() / 2);
    } else if let Some(byte) = bytes.get_mut(got.bytes.len() / 2) {
        *byte ^= 0x10;
    }
    let written = context
        .store
        .put(
            path,
            Bytes::from(bytes),
            PutMode::Overwrite,
            Attributes::new(),
        )
        .await;
    if written.is_ok() {
        context
            .shared
            .remote(|tally| tally.workers.outputs_damaged += 1);
        context
            .shared
            .note(&context.tag, "remote_output_damaged", path.to_string());
    }
}
