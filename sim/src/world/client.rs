//! Client nodes: each issues its share of operations to the writer over the network, one at
//! a time, and records every operation with its call and return time for C1. An operation
//! with no answer in time is indeterminate (it may take effect later or never) and the
//! client carries on under a new id, as the checker requires. A definite failure is not
//! recorded: it had no effect.

use super::protocol::{
    CLIENT_REQUEST_TAG, ClientReply, ClientRequest, KvCommand, writer_host_address,
};
use super::shared::{KvOperation, Shared, kv_input};
use super::ttl::expires_at_ms;
use super::workload::commands;
use crate::clock::sim_elapsed_ns;
use crate::lincheck::Operation;
use crate::lincheck::models::kv_register::KvOutput;
use crate::rng;
use madsim::net::Endpoint;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// While no writer serves, a client waits this long before looking again.
const NO_LEADER_BACKOFF: Duration = Duration::from_millis(50);
/// Attempts to find a serving writer before an operation is sent anyway.
const NO_LEADER_WAITS_MAX: u32 = 2_000;

/// How one client behaves.
pub struct ClientPlan {
    pub index: u32,
    pub node: String,
    pub ops: u64,
    pub timeout: Duration,
}

/// What became of one request.
enum Answer {
    Reply(ClientReply),
    TimedOut,
}

/// One client: a history id, where it thinks the writer is, and its request ids.
pub struct Client {
    shared: Arc<Shared>,
    node: String,
    endpoint: Endpoint,
    history_id: u64,
    target: Option<usize>,
    next_request: u64,
    request_base: u64,
    timeout: Duration,
}

impl Client {
    pub async fn connect(shared: Arc<Shared>, plan: &ClientPlan) -> std::io::Result<Client> {
        let endpoint = Endpoint::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))).await?;
        Ok(Client {
            history_id: shared.new_client_id(),
            shared,
            node: plan.node.clone(),
            endpoint,
            target: None,
            next_request: 0,
            request_base: u64::from(plan.index) << 40,
            timeout: plan.timeout,
        })
    }

    /// Runs `command`, records it, and returns the reply (`None`: indeterminate or failed).
    pub async fn run(&mut self, command: KvCommand) -> Option<ClientReply> {
        let call_ns = sim_elapsed_ns();
        let answer = self.send(command).await;
        let return_ns = sim_elapsed_ns();
        let input = kv_input(command);
        let output = match &answer {
            Answer::Reply(ClientReply::Written) => Some(KvOutput::Ok),
            Answer::Reply(ClientReply::Read(Ok(value))) => Some(KvOutput::Value(*value)),
            // A value this world never wrote: the check must fail, so record an impossible
            // value id (ids are below 2^48).
            Answer::Reply(ClientReply::Read(Err(_))) => Some(KvOutput::Value(Some(u64::MAX))),
            _ => None,
        };
        let detail = match &answer {
            Answer::Reply(reply) => format!("{command:?} -> {reply:?}"),
            Answer::TimedOut => format!("{command:?} -> timeout"),
        };
        self.shared.note(&self.node, "client_op", detail);
        match (answer, output) {
            (Answer::Reply(reply), Some(output)) => {
                self.shared.count(|c| c.ops_ok += 1);
                self.shared.record_operation(Operation::completed(
                    self.history_id,
                    call_ns,
                    return_ns,
                    input,
                    output,
                ));
                Some(reply)
            }
            (Answer::Reply(ClientReply::Unknown(_)), _) | (Answer::TimedOut, _) => {
                self.shared.count(|c| c.ops_indeterminate += 1);
                self.shared
                    .record_operation(KvOperation::pending(self.history_id, call_ns, input));
                self.history_id = self.shared.new_client_id();
                self.target = None;
                None
            }
            (Answer::Reply(reply), None) => {
                if reply == ClientReply::NotLeader {
                    self.shared.count(|c| c.ops_not_leader += 1);
                    self.target = None;
                }
                self.shared.count(|c| c.ops_failed += 1);
                None
            }
        }
    }

    /// Sends to the host this client believes is the writer (looking it up when it has no
    /// belief: after a failure it asks the harness's discovery, like a client of a real
    /// service would).
    async fn send(&mut self, command: KvCommand) -> Answer {
        let host = match self.target {
            Some(host) => host,
            None => {
                let host = self.discover().await;
                self.target = Some(host);
                host
            }
        };
        self.next_request += 1;
        let request_id = self.request_base | self.next_request;
        let request = ClientRequest {
            request_id,
            command,
        };
        let sent = self
            .endpoint
            .send_to_raw(
                writer_host_address(host),
                CLIENT_REQUEST_TAG,
                Box::new(request),
            )
            .await;
        if sent.is_err() {
            return Answer::TimedOut;
        }
        match madsim::time::timeout(self.timeout, self.endpoint.recv_from_raw(request_id)).await {
            Ok(Ok((payload, _))) => match payload.downcast::<ClientReply>() {
                Ok(reply) => Answer::Reply(*reply),
                Err(_) => Answer::TimedOut,
            },
            _ => Answer::TimedOut,
        }
    }

    /// The host currently serving as writer, waiting (boundedly) while none is.
    async fn discover(&self) -> usize {
        for _ in 0..NO_LEADER_WAITS_MAX {
            let routing = self.shared.routing();
            if routing.serving.is_some() {
                return routing.active_host;
            }
            madsim::time::sleep(NO_LEADER_BACKOFF).await;
        }
        self.shared.routing().active_host
    }
}

/// Fresh value ids of one client: unique per put across the run, so a read names exactly
/// which write it saw.
pub struct ValueIds {
    base: u64,
    issued: u64,
}

impl ValueIds {
    pub fn new(index: u32) -> ValueIds {
        ValueIds {
            base: (u64::from(index) + 1) << 32,
            issued: 0,
        }
    }

    pub fn next_value(&mut self) -> u64 {
        self.issued += 1;
        self.base + self.issued
    }
}

/// A client node's whole life: `plan.ops` operations of the run's workload (drawn from
/// the stream all clients share, see `workload.rs`) with seeded think times. A
/// read-modify-write sends two commands; a stream that ends (`insert-random`) ends the
/// client early.
pub async fn client_main(shared: Arc<Shared>, plan: ClientPlan) {
    let mut client = match Client::connect(shared.clone(), &plan).await {
        Ok(client) => client,
        Err(error) => {
            shared.note(&plan.node, "client_bind_failed", error.to_string());
            return;
        }
    };
    let mut values = ValueIds::new(plan.index);
    let mut think = rng::stream(shared.config.seed, &format!("client/{}/think", plan.index));
    let think_ms_mean = shared.config.clients.think_ms_mean as f64;
    let mut ttl_rng = rng::stream(shared.config.seed, &format!("client/{}/ttl", plan.index));
    let ttl_shape = shared.config.clients.ttl;
    for _ in 0..plan.ops {
        let pause_ms = rng::exponential(&mut think, think_ms_mean);
        madsim::time::sleep(Duration::from_micros((pause_ms * 1_000.0) as u64)).await;
        let Some(op) = shared.workload.next_op() else {
            shared.note(&plan.node, "workload_ended", String::new());
            return;
        };
        // An operation's own TTL wins; otherwise the run's share may give one.
        let expiry = |own: Option<u64>| {
            let ttl_ms = own.or_else(|| ttl_shape?.draw_ttl_ms(&mut ttl_rng))?;
            Some(expires_at_ms(sim_elapsed_ns(), ttl_ms))
        };
        for command in commands(op, || values.next_value(), expiry) {
            if let KvCommand::Put {
                value,
                expires_at_ms: Some(expiry),
                ..
            } = command
            {
                shared.workload.record_expiry(value, expiry);
            }
            let call_ns = sim_elapsed_ns();
            if client.run(command).await.is_some() {
                let latency_ns = sim_elapsed_ns().saturating_sub(call_ns);
                shared.workload.record_latency(command, latency_ns);
            }
        }
    }
}
