//! The conformance suite on local files (`file://` in a temporary directory), and on two
//! handles of one directory racing each other (as two processes would).
#![allow(clippy::unwrap_used)]

use lsm_core::store::{ObjectStore, PutMode};
use stores::conformance::{assert_conforms, run_all};
use stores::{LocalStore, StoreOptions, open};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_files_conform() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let store = open(&url, StoreOptions::default()).unwrap();
    assert_conforms(&url, &run_all(&store, "suite/").await);
    // Run again on a non-empty store under another root: the cases must not interfere.
    assert_conforms(&url, &run_all(&store, "again/").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_race_conditional_updates_and_at_most_one_wins_each_round() {
    let dir = tempfile::tempdir().unwrap();
    let first = LocalStore::open(dir.path(), StoreOptions::default()).unwrap();
    let second = LocalStore::open(dir.path(), StoreOptions::default()).unwrap();
    let none = lsm_core::store::Attributes::new();
    let mut tag = first
        .put(
            "m",
            bytes::Bytes::from_static(b"0"),
            PutMode::Create,
            none.clone(),
        )
        .await
        .unwrap();
    for round in 0..50u32 {
        let body = bytes::Bytes::from(round.to_string());
        let (a, b) = tokio::join!(
            first.put(
                "m",
                body.clone(),
                PutMode::Update(tag.clone()),
                none.clone()
            ),
            second.put("m", body, PutMode::Update(tag.clone()), none.clone()),
        );
        let winners: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        tag = winners[0].clone();
        assert_eq!(second.head("m").await.unwrap().etag, tag);
    }
}
