//! The world's background processes, each on its own node with its own clock: the
//! garbage collector (every topology), in the standalone topology two compactor nodes
//! (the active one and a standby for failover), and in the remote topology the workers.

use super::compactor_host::compactor_main;
use super::config::Topology;
use super::gc_host::{GC_NODE, gc_main};
use super::node_clock::node_clock;
use super::protocol::{COMPACTOR_NODES, compactor_node_name};
use super::shared::Shared;
use super::supervisor::BackgroundNode;
use crate::clock::SimClock;
use crate::store::StoreNode;
use crate::trace::Trace;
use madsim::runtime::Handle;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// Starts the background nodes; returns them (for the supervisor) and their clocks.
pub fn spawn_background(
    shared: &Arc<Shared>,
    store: &StoreNode,
    trace: &Trace,
) -> (Vec<BackgroundNode>, Vec<SimClock>) {
    let config = &shared.config;
    let mut nodes = Vec::new();
    let mut clocks = Vec::new();
    let mut names: Vec<(String, Option<usize>)> = vec![(GC_NODE.to_string(), None)];
    if config.lsm.topology == Topology::Standalone {
        names.extend((0..COMPACTOR_NODES).map(|index| (compactor_node_name(index), Some(index))));
    }
    for (slot, (name, compactor)) in names.into_iter().enumerate() {
        let clock = node_clock(config, &name, trace);
        clocks.push(clock.clone());
        let client = store.client(&name);
        let node_shared = shared.clone();
        let node = Handle::current()
            .create_node()
            .name(name.clone())
            .ip(IpAddr::V4(Ipv4Addr::new(10, 0, 3, 10 + slot as u8)))
            .init(move || {
                let shared = node_shared.clone();
                let (store, clock) = (client.clone(), clock.clone());
                async move {
                    match compactor {
                        Some(index) => compactor_main(shared, store, clock, index).await,
                        None => gc_main(shared, store, clock).await,
                    }
                }
            })
            .build();
        nodes.push(BackgroundNode {
            name,
            node,
            compactor,
        });
    }
    if config.lsm.topology == Topology::Remote {
        let (workers, worker_clocks) = super::worker_host::spawn_workers(shared, store, trace);
        nodes.extend(workers);
        clocks.extend(worker_clocks);
    }
    (nodes, clocks)
}
