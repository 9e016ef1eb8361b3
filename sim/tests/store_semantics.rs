//! Fault-free, the simulated store answers exactly like `MemoryStore`, and observers see
//! every applied mutation with the state right after it.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::store::{Attributes, ETag, GetRange, MemoryStore, ObjectStore, PutMode, StoreError};
use madsim::runtime::{Handle, Runtime};
use sim::rng::{self, Stream};
use sim::store::{MutationChange, SimStore, StoreConfig, StoreNode, StoreState};
use sim::trace::Trace;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

const PATHS: [&str; 6] = ["a/1", "a/2", "a/10", "b/1", "b/22", "c"];
const PREFIXES: [&str; 6] = ["", "a", "a/", "a/1", "b/", "z"];

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

fn pick<'a>(rng: &mut Stream, items: &[&'a str]) -> &'a str {
    items[rng::uniform_u64(rng, 0, items.len() as u64 - 1) as usize]
}

/// One random operation applied to both stores; panics on the first disagreement.
async fn step(rng: &mut Stream, sim: &SimStore, memory: &MemoryStore, tags: &mut Vec<ETag>) {
    let path = pick(rng, &PATHS);
    match rng::uniform_u64(rng, 0, 9) {
        0..=2 => {
            let size = rng::uniform_u64(rng, 0, 64) as usize;
            let body = Bytes::from(vec![rng::uniform_u64(rng, 0, 255) as u8; size]);
            let mode = match rng::uniform_u64(rng, 0, 2) {
                0 => PutMode::Overwrite,
                1 => PutMode::Create,
                _ => {
                    // A tag seen before (maybe current, maybe stale) or one never issued.
                    let index = rng::uniform_u64(rng, 0, tags.len() as u64) as usize;
                    PutMode::Update(tags.get(index).cloned().unwrap_or(ETag("v999999".into())))
                }
            };
            let mut attributes = Attributes::new();
            attributes.insert("writer".into(), format!("w{}", rng::uniform_u64(rng, 0, 3)));
            let got = sim
                .put(path, body.clone(), mode.clone(), attributes.clone())
                .await;
            let want = memory.put(path, body, mode, attributes).await;
            assert_eq!(got, want, "put {path}");
            if let Ok(tag) = got {
                tags.push(tag);
            }
        }
        3..=4 => {
            let range = if rng::chance(rng, 0.5) {
                GetRange::Whole
            } else {
                let start = rng::uniform_u64(rng, 0, 70);
                let end = rng::uniform_u64(rng, 0, 70);
                GetRange::Bytes { start, end }
            };
            assert_eq!(
                sim.get(path, range).await,
                memory.get(path, range).await,
                "get {path} {range:?}"
            );
        }
        5 => assert_eq!(sim.head(path).await, memory.head(path).await, "head {path}"),
        6..=7 => {
            assert_eq!(
                sim.delete(path).await,
                memory.delete(path).await,
                "delete {path}"
            )
        }
        _ => {
            let prefix = pick(rng, &PREFIXES);
            assert_eq!(
                sim.list(prefix).await,
                memory.list(prefix).await,
                "list {prefix}"
            );
        }
    }
}

#[test]
fn fault_free_store_agrees_with_memory_store() {
    for seed in 0..12u64 {
        let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
        runtime.block_on(async move {
            let store = StoreNode::start(StoreConfig::default(), seed, Trace::default())
                .await
                .unwrap();
            let client = Handle::current()
                .create_node()
                .name("client")
                .ip(ip(2))
                .build();
            let sim = store.client("client");
            let ops = client.spawn(async move {
                let memory = MemoryStore::new();
                let mut rng = rng::stream(seed, "test/ops");
                let mut tags = Vec::new();
                for _ in 0..250 {
                    step(&mut rng, &sim, &memory, &mut tags).await;
                }
                assert_eq!(sim.list("").await, memory.list("").await);
                tags.len()
            });
            let puts_ok = ops.await.unwrap();
            assert!(puts_ok > 20, "seed {seed}: only {puts_ok} puts succeeded");
            let stats = store.stats();
            assert_eq!(stats.faults_total, 0);
            assert_eq!(stats.client_timeouts, 0);
        });
    }
}

#[test]
fn conditional_puts_follow_s3_semantics() {
    let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
    runtime.block_on(async {
        let store = StoreNode::start(StoreConfig::default(), 1, Trace::default())
            .await
            .unwrap();
        let node = Handle::current().create_node().name("w").ip(ip(3)).build();
        let sim = store.client("w");
        node.spawn(async move {
            let none = Attributes::new();
            let first = sim
                .put(
                    "m/1",
                    Bytes::from_static(b"1"),
                    PutMode::Create,
                    none.clone(),
                )
                .await
                .unwrap();
            assert_eq!(
                sim.put(
                    "m/1",
                    Bytes::from_static(b"2"),
                    PutMode::Create,
                    none.clone()
                )
                .await,
                Err(StoreError::AlreadyExists { path: "m/1".into() })
            );
            let second = sim
                .put(
                    "m/1",
                    Bytes::from_static(b"2"),
                    PutMode::Update(first.clone()),
                    none.clone(),
                )
                .await
                .unwrap();
            assert_ne!(first, second);
            assert_eq!(
                sim.put(
                    "m/1",
                    Bytes::from_static(b"3"),
                    PutMode::Update(first),
                    none.clone()
                )
                .await,
                Err(StoreError::PreconditionFailed { path: "m/1".into() })
            );
            assert_eq!(
                sim.put(
                    "m/2",
                    Bytes::from_static(b"3"),
                    PutMode::Update(second),
                    none
                )
                .await,
                Err(StoreError::NotFound { path: "m/2".into() })
            );
            let got = sim.get("m/1", GetRange::Whole).await.unwrap();
            assert_eq!(&got.bytes[..], b"2");
        })
        .await
        .unwrap();
    });
}

#[test]
fn observers_see_every_mutation_and_the_state_after_it() {
    let runtime = Runtime::with_seed_and_config(2, madsim::Config::default());
    runtime.block_on(async {
        let store = StoreNode::start(StoreConfig::default(), 2, Trace::default())
            .await
            .unwrap();
        let seen: Arc<Mutex<Vec<(u64, String, String)>>> = Arc::default();
        let sink = seen.clone();
        store.add_observer(Arc::new(
            move |mutation: &sim::store::AppliedMutation, state: &StoreState| {
                let what = match &mutation.change {
                    MutationChange::Put { etag, bytes, .. } => {
                        // The state handed over already holds this version.
                        let stored = state.object(&mutation.path).unwrap();
                        assert_eq!(&stored.etag, etag);
                        assert_eq!(&stored.bytes, bytes);
                        format!("put {}", etag.0)
                    }
                    MutationChange::Delete { removed } => {
                        assert!(state.object(&mutation.path).is_none());
                        format!("delete {removed:?}")
                    }
                };
                sink.lock()
                    .unwrap()
                    .push((mutation.sequence, mutation.path.clone(), what));
            },
        ));
        let node = Handle::current().create_node().name("w").ip(ip(4)).build();
        let sim = store.client("w");
        node.spawn(async move {
            let none = Attributes::new();
            sim.put(
                "sst/1",
                Bytes::from_static(b"x"),
                PutMode::Create,
                none.clone(),
            )
            .await
            .unwrap();
            // Not applied: no notification.
            let _ = sim
                .put(
                    "sst/1",
                    Bytes::from_static(b"y"),
                    PutMode::Create,
                    none.clone(),
                )
                .await;
            sim.delete("sst/1").await.unwrap();
            sim.delete("sst/1").await.unwrap();
        })
        .await
        .unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                (1, "sst/1".to_string(), "put v1".to_string()),
                (
                    2,
                    "sst/1".to_string(),
                    r#"delete Some(ETag("v1"))"#.to_string()
                ),
                (3, "sst/1".to_string(), "delete None".to_string()),
            ]
        );
        let (puts, bytes_put) = store.with_state(|s| (s.puts_applied(), s.bytes_put_total()));
        assert_eq!((puts, bytes_put), (1, 1));
        assert_eq!(store.stats().mutations_applied, 3);
    });
}
