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
use super::config::Topology;
use super::protocol::KvCommand;
use super::shared::Shared;
use crate::rng;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Chance that a remote run drains.
const DRAIN_CHANCE: f64 = 0.6;
/// Passes over the drained range, at most (more passes: more tombstone-only flushes).
const DRAIN_PASSES_MAX: u64 = 3;

/// Which keys the drain deletes, and how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrainShape {
    /// The drained range is `first_key..key_space` (a tail: the bottommost tables covering
    /// it hold nothing else).
    pub first_key: u64,
    pub key_space: u64,
    /// Times every key of the range is deleted, in order.
    pub passes: u64,
}

impl DrainShape {
    /// The drain of `seed`, or `None` (no drain, or not the remote topology). Half the
    /// drains take the whole key space, the rest a tail of at least half of it.
    pub fn draw(seed: u64, topology: Topology, key_space: u64) -> Option<DrainShape> {
        let mut rng = rng::stream(seed, "config/drain");
        let drains = rng::chance(&mut rng, DRAIN_CHANCE);
        let whole = rng::chance(&mut rng, 0.5);
        let tail_start = rng::uniform_u64(&mut rng, 0, key_space / 2);
        let passes = rng::uniform_u64(&mut rng, 1, DRAIN_PASSES_MAX);
        if !drains || topology != Topology::Remote || key_space == 0 {
            return None;
        }
        Some(DrainShape {
            first_key: if whole { 0 } else { tail_start },
            key_space,
            passes,
        })
    }

    /// Deletes the drain sends.
    pub fn deletes(&self) -> u64 {
        self.key_space.saturating_sub(self.first_key) * self.passes
    }
}

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
