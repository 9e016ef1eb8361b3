//! The sim leg of the store conformance suite (`stores::conformance`): core's `MemoryStore`
//! and the simulated store with faults off must pass every case the real stores pass (local
//! files, memory and S3, in `stores/tests`). Differences found are fixed in the simulator or
//! listed as deliberate deviations in the `stores` crate docs.

use lsm_core::store::MemoryStore;
use madsim::runtime::{Handle, Runtime};
use sim::store::{StoreConfig, StoreNode};
use sim::trace::Trace;
use std::net::IpAddr;
use stores::conformance::{assert_conforms, run_all};

#[test]
fn memory_store_conforms() {
    let runtime = Runtime::with_seed_and_config(0, madsim::Config::default());
    let failures = runtime.block_on(async { run_all(&MemoryStore::new(), "suite/").await });
    assert_conforms("core MemoryStore", &failures);
}

#[test]
fn simulated_store_without_faults_conforms() {
    // Seeds change the latency draws, and so the order in which racing puts arrive.
    for seed in 0..4u64 {
        let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
        runtime.block_on(async move {
            let store = StoreNode::start(StoreConfig::default(), seed, Trace::default())
                .await
                .unwrap_or_else(|error| panic!("store node: {error}"));
            let client = Handle::current()
                .create_node()
                .name("client")
                .ip(IpAddr::from([10, 0, 0, 2]))
                .build();
            let sim = store.client("client");
            let failures = client
                .spawn(async move { run_all(&sim, "suite/").await })
                .await
                .unwrap_or_else(|error| panic!("suite task: {error}"));
            assert_conforms(&format!("simulated store (seed {seed})"), &failures);
            let stats = store.stats();
            assert_eq!(stats.faults_total, 0, "seed {seed}: faults were off");
            assert_eq!(stats.client_timeouts, 0, "seed {seed}");
        });
    }
}
