//! The conformance suite on S3: the moto server, started for this test binary (installed
//! into `target/moto-venv` by `ci/moto-venv.sh` on first use). If it cannot start, the test
//! fails and says why; it never skips.
#![allow(clippy::unwrap_used)]

use lsm_core::store::{ObjectStore, PutMode};
use stores::conformance::{assert_conforms, run_all};
use stores::moto::MotoServer;
use stores::{StoreOptions, open_s3};

fn server() -> MotoServer {
    MotoServer::start("conformance").unwrap_or_else(|error| panic!("S3 leg: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_conforms_on_moto() {
    let server = server();
    let store = open_s3(&server.s3_config(""), StoreOptions::default()).unwrap();
    assert_conforms("s3 (moto)", &run_all(&store, "suite/").await);
    // Under a key prefix too: the adapter's prefix handling must be invisible.
    let prefixed = open_s3(&server.s3_config("tenant/one"), StoreOptions::default()).unwrap();
    assert_conforms("s3 (moto, prefix)", &run_all(&prefixed, "suite/").await);
}

/// Deviation 1 in the crate docs: S3's etag is the content's MD5, so identical bytes keep it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_is_content_hash_on_s3() {
    let server = server();
    let store = open_s3(&server.s3_config(""), StoreOptions::default()).unwrap();
    let none = lsm_core::store::Attributes::new();
    let body = bytes::Bytes::from_static(b"same bytes");
    let first = store
        .put("e", body.clone(), PutMode::Overwrite, none.clone())
        .await
        .unwrap();
    let second = store
        .put("e", body.clone(), PutMode::Overwrite, none.clone())
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(first.0, "\"b7c7a19ff9841101a57b7867181d267e\"");
    // And so an update-if-match with the tag from before the rewrite still succeeds.
    store
        .put("e", body, PutMode::Update(first), none)
        .await
        .unwrap();
}

/// Many rounds of racing creates must never see two winners (S3 guarantees it). moto's own
/// threaded server let two win about one run in 25, so the leg serves moto's application
/// with writing requests one at a time (`stores/src/moto_serve.py`); this test holds that.
/// 200 rounds: on moto's own server, 3 of 6 runs of 400 rounds saw a double win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_on_moto_never_both_win() {
    let server = server();
    let store = open_s3(&server.s3_config(""), StoreOptions::default()).unwrap();
    let mut conflicts = 0;
    for round in 0..200 {
        let path = format!("race/{round}");
        let puts = (0..8).map(|racer| {
            store.put(
                &path,
                bytes::Bytes::from(format!("{racer}")),
                PutMode::Create,
                lsm_core::store::Attributes::new(),
            )
        });
        let results = futures::future::join_all(puts).await;
        let winners = results.iter().filter(|result| result.is_ok()).count();
        conflicts += results
            .iter()
            .filter(|result| matches!(result, Err(lsm_core::store::StoreError::Conflict { .. })))
            .count();
        assert!(winners <= 1, "round {round}: {results:?}");
    }
    eprintln!("409 conflicts seen on moto: {conflicts}");
}
