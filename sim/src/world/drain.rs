//! The drain: once the clients are done, and while faults still run, one more client
//! deletes a contiguous tail of the key space, pass after pass. The tables then flushed
//! hold only tombstones, so a bottommost merge over the drained range finds only
//! tombstones and the values they shadow and writes no output at all — the remote
//! protocol's "empty output" case, which ordinary workloads (a few deletes scattered over
//! the key space) never reach. The deletes are ordinary client operations, recorded in the
//! history like every other, so C1 covers them (and every read after them).
//!
//! Drawn only for the remote topology (the case it exists for; other topologies keep their
//! runs as they were), from its own stream so no other draw changes.

use super::client::{Client, ClientPlan};
use super::config::DrainShape;
use super::protocol::KvCommand;
use super::shared::Shared;
use std::sync::Arc;
use std::time::Duration;

/// The drain client's life: every key of the range, once per pass, one delete at a time.
pub async fn drain_main(shared: Arc<Shared>, index: u32, drain: DrainShape, timeout: Duration) {
    let plan = ClientPlan {
        index,
        node: "drainer".to_string(),
        ops: drain.deletes(),
        timeout,
    };
    let mut client = match Client::connect(shared.clone(), &plan).await {
        Ok(client) => client,
        Err(error) => {
            shared.note(&plan.node, "client_bind_failed", error.to_string());
            return;
        }
    };
    for _ in 0..drain.passes {
        for key in drain.first_key..drain.key_space {
            client.run(KvCommand::Delete { key }).await;
        }
    }
    shared.note(
        &plan.node,
        "drained",
        format!("{} deletes", drain.deletes()),
    );
}
