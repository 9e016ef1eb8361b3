//! The conformance suite on `memory://` (`object_store`'s in-memory store).
#![allow(clippy::unwrap_used)]

use stores::conformance::{assert_conforms, run_all};
use stores::{StoreOptions, open};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_conforms() {
    let store = open("memory://", StoreOptions::default()).unwrap();
    assert_conforms("memory://", &run_all(&store, "suite/").await);
}
