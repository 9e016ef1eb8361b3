//! Faults of the simulated store: racing conditional puts, unknown outcomes, transient
//! errors and throttling, requests from killed nodes, and the fault counts of a heavy run.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::store::{Attributes, ETag, GetRange, ObjectStore, PutMode, StoreError};
use madsim::runtime::{Handle, Runtime};
use madsim::time::{Duration, Instant, sleep};
use sim::rng;
use sim::store::{FaultKind, StoreConfig, StoreFaultConfig, StoreNode, WindowConfig};
use sim::trace::{Trace, TraceEvent};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 1, last])
}

fn faults(edit: impl FnOnce(&mut StoreFaultConfig)) -> StoreConfig {
    let mut faults = StoreFaultConfig::none();
    edit(&mut faults);
    StoreConfig::with_faults(faults)
}

fn body(text: &str) -> Bytes {
    Bytes::from(text.to_string())
}

/// `racers` nodes issue the same conditional put at the same instant; returns each result.
async fn race(store: &StoreNode, racers: u8, mode: PutMode) -> Vec<Result<ETag, StoreError>> {
    let mut handles = Vec::new();
    for racer in 0..racers {
        let name = format!("racer-{racer}");
        let node = Handle::current()
            .create_node()
            .name(name.clone())
            .ip(ip(10 + racer))
            .build();
        let client = store.client(&name);
        let mode = mode.clone();
        handles.push(node.spawn(async move {
            client
                .put("manifest/2", body(&name), mode, Attributes::new())
                .await
        }));
    }
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

#[test]
fn racing_conditional_puts_conflict_and_at_most_one_wins() {
    let mut conflicts_seen = 0;
    for seed in 0..10u64 {
        for probability in [1.0, 0.0] {
            let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
            let (oks, conflicts) = runtime.block_on(async move {
                let config = faults(|f| f.race_conflict_probability = probability);
                let store = StoreNode::start(config, seed, Trace::default())
                    .await
                    .unwrap();
                let setup = Handle::current()
                    .create_node()
                    .name("setup")
                    .ip(ip(2))
                    .build();
                let client = store.client("setup");
                let first = setup
                    .spawn(async move {
                        client
                            .put("manifest/2", body("v1"), PutMode::Create, Attributes::new())
                            .await
                    })
                    .await
                    .unwrap()
                    .unwrap();
                // Half the seeds race on update-if-match, half on create-if-absent.
                let mode = if seed % 2 == 0 {
                    PutMode::Update(first)
                } else {
                    PutMode::Create
                };
                if mode == PutMode::Create {
                    // Create-if-absent races on an absent object.
                    let cleaner = Handle::current()
                        .create_node()
                        .name("clean")
                        .ip(ip(3))
                        .build();
                    let client = store.client("clean");
                    cleaner
                        .spawn(async move { client.delete("manifest/2").await })
                        .await
                        .unwrap()
                        .unwrap();
                }
                let results = race(&store, 6, mode).await;
                let oks: Vec<&ETag> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
                let conflicts = results
                    .iter()
                    .filter(|r| matches!(r, Err(StoreError::Conflict { .. })))
                    .count();
                assert!(oks.len() <= 1, "seed {seed}: {results:?}");
                for result in &results {
                    assert!(
                        matches!(
                            result,
                            Ok(_)
                                | Err(StoreError::Conflict { .. })
                                | Err(StoreError::AlreadyExists { .. })
                                | Err(StoreError::PreconditionFailed { .. })
                        ),
                        "seed {seed}: {result:?}"
                    );
                }
                if probability == 0.0 {
                    assert_eq!(conflicts, 0);
                    assert_eq!(oks.len(), 1, "serialized racers: exactly one wins");
                }
                if let Some(winner) = oks.first() {
                    let stored = store.with_state(|s| s.object("manifest/2").unwrap().etag.clone());
                    assert_eq!(&stored, *winner);
                }
                assert_eq!(store.stats().faults(FaultKind::Conflict), conflicts as u64);
                (oks.len(), conflicts)
            });
            if probability == 1.0 {
                // The racers arrive within the first's latency: all later ones conflict.
                assert!(
                    conflicts >= 4,
                    "seed {seed}: {oks} ok, {conflicts} conflicts"
                );
                conflicts_seen += conflicts;
            }
        }
    }
    assert!(conflicts_seen > 0);
}

#[test]
fn unknown_outcomes_are_sometimes_applied_and_never_answered() {
    let mut applied = 0;
    let mut not_applied = 0;
    for seed in 0..24u64 {
        let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
        let was_applied = runtime.block_on(async move {
            let config = faults(|f| {
                f.unknown_outcome_probability = 1.0;
                f.unknown_applied_probability = 0.5;
            });
            let timeout_ms = config.request_timeout_ms;
            let store = StoreNode::start(config, seed, Trace::default())
                .await
                .unwrap();
            let node = Handle::current().create_node().name("w").ip(ip(2)).build();
            let client = store.client("w");
            let (result, waited) = node
                .spawn(async move {
                    let start = Instant::now();
                    let result = client
                        .put("wal/1", body("x"), PutMode::Create, Attributes::new())
                        .await;
                    (result, start.elapsed())
                })
                .await
                .unwrap();
            assert_eq!(
                result,
                Err(StoreError::UnknownOutcome {
                    path: "wal/1".into()
                })
            );
            assert!(waited >= Duration::from_millis(timeout_ms));
            let stats = store.stats();
            assert_eq!(stats.client_timeouts, 1);
            assert!(stats.replies_by_outcome.is_empty(), "no reply may be sent");
            let exists = store.with_state(|s| s.object("wal/1").is_some());
            let kind = if exists {
                FaultKind::UnknownApplied
            } else {
                FaultKind::UnknownNotApplied
            };
            assert_eq!(stats.faults(kind), 1);
            exists
        });
        if was_applied {
            applied += 1;
        } else {
            not_applied += 1;
        }
    }
    assert!(
        applied > 0 && not_applied > 0,
        "{applied} applied, {not_applied} not"
    );
}

#[test]
fn transient_errors_and_throttling_never_apply() {
    let runtime = Runtime::with_seed_and_config(7, madsim::Config::default());
    runtime.block_on(async {
        let config = faults(|f| {
            f.transient_probability = 0.3;
            f.throttle = WindowConfig {
                per_minute: 6.0,
                duration_ms_min: 2_000,
                duration_ms_max: 8_000,
                magnitude_min: 1.0,
                magnitude_max: 1.0,
            };
            f.throttle_reject_probability = 1.0;
        });
        let store = StoreNode::start(config, 7, Trace::default()).await.unwrap();
        let node = Handle::current().create_node().name("w").ip(ip(2)).build();
        let client = store.client("w");
        let results = node
            .spawn(async move {
                let mut results = Vec::new();
                for i in 0..600 {
                    let path = format!("sst/{i}");
                    let result = client
                        .put(&path, body("data"), PutMode::Overwrite, Attributes::new())
                        .await;
                    results.push((path, result));
                }
                results
            })
            .await
            .unwrap();
        let mut slow_down = 0;
        let mut transient = 0;
        for (path, result) in &results {
            let exists = store.with_state(|s| s.object(path).is_some());
            match result {
                Ok(_) => assert!(exists, "{path} acknowledged but absent"),
                Err(StoreError::Transient { detail, .. }) => {
                    assert!(!exists, "{path}: transient error but applied");
                    transient += 1;
                    if detail.contains("SlowDown") {
                        slow_down += 1;
                    }
                }
                Err(other) => panic!("{path}: unexpected {other:?}"),
            }
        }
        let stats = store.stats();
        assert!(
            slow_down > 0 && transient > slow_down,
            "{transient} transient, {slow_down} slow down"
        );
        assert_eq!(stats.faults(FaultKind::SlowDown), slow_down);
        assert_eq!(
            stats.faults(FaultKind::Transient503) + stats.faults(FaultKind::Transient500),
            transient - slow_down
        );
    });
}

#[test]
fn requests_from_killed_nodes_may_or_may_not_apply() {
    let mut applied_after_kill = 0;
    let mut lost_with_the_node = 0;
    for seed in 0..6u64 {
        for kill_once_sent in [true, false] {
            let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
            let applied = runtime.block_on(async move {
                let trace = Trace::default();
                let store = StoreNode::start(StoreConfig::default(), seed, trace.clone())
                    .await
                    .unwrap();
                let handle = Handle::current();
                let node = handle.create_node().name("doomed").ip(ip(2)).build();
                let client = store.client("doomed");
                let returned = Arc::new(AtomicBool::new(false));
                let flag = returned.clone();
                let _task = node.spawn(async move {
                    let _ = client
                        .put("sst/doomed", body("x"), PutMode::Create, Attributes::new())
                        .await;
                    flag.store(true, Ordering::SeqCst);
                });
                if kill_once_sent {
                    // Kill the moment the store has the request: it was sent, not answered.
                    for _ in 0..1_000 {
                        let arrived = trace
                            .kept()
                            .iter()
                            .any(|e| matches!(e.event, TraceEvent::StoreRequest { .. }));
                        if arrived {
                            break;
                        }
                        sleep(Duration::from_millis(1)).await;
                    }
                }
                handle.kill("doomed");
                sleep(Duration::from_secs(30)).await;
                assert!(!returned.load(Ordering::SeqCst), "the killed call returned");
                let applied = store.with_state(|s| s.object("sst/doomed").is_some());
                assert_eq!(applied, kill_once_sent, "seed {seed}");
                if applied {
                    // Fault-free: it was answered, into the void.
                    assert_eq!(store.stats().replies_by_outcome.get("ok"), Some(&1));
                }
                applied
            });
            if applied {
                applied_after_kill += 1;
            } else {
                lost_with_the_node += 1;
            }
        }
    }
    assert!(applied_after_kill > 0 && lost_with_the_node > 0);
}

#[test]
fn heavy_faults_produce_every_kind() {
    let runtime = Runtime::with_seed_and_config(42, madsim::Config::default());
    runtime.block_on(async {
        let store = StoreNode::start(
            StoreConfig::with_faults(StoreFaultConfig::heavy()),
            42,
            Trace::default(),
        )
        .await
        .unwrap();
        let mut handles = Vec::new();
        for worker in 0..4u8 {
            let name = format!("worker-{worker}");
            let node = Handle::current()
                .create_node()
                .name(name.clone())
                .ip(ip(20 + worker))
                .build();
            let client = store.client(&name);
            handles.push(node.spawn(async move {
                let mut rng = rng::stream(u64::from(worker), "test/heavy");
                for i in 0..500u64 {
                    let shared = format!("manifest/{}", i / 4);
                    let own = format!("sst/{worker}-{i}");
                    let _ = match rng::uniform_u64(&mut rng, 0, 4) {
                        0 => client
                            .put(&shared, body("m"), PutMode::Create, Attributes::new())
                            .await
                            .map(|_| ()),
                        1 => client
                            .put(&own, body("s"), PutMode::Overwrite, Attributes::new())
                            .await
                            .map(|_| ()),
                        2 => client.get(&shared, GetRange::Whole).await.map(|_| ()),
                        3 => client.list("manifest/").await.map(|_| ()),
                        _ => client.delete(&own).await,
                    };
                }
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
        let stats = store.stats();
        println!(
            "heavy run over {:?} of sim time: {}",
            sim::clock::sim_elapsed(),
            serde_json::to_string_pretty(&stats).unwrap()
        );
        for kind in [
            FaultKind::Transient503,
            FaultKind::Transient500,
            FaultKind::SlowDown,
            FaultKind::Conflict,
            FaultKind::UnknownApplied,
            FaultKind::UnknownNotApplied,
            FaultKind::LatencySpike,
        ] {
            assert!(stats.faults(kind) > 0, "no {kind:?} in a heavy run");
        }
        assert_eq!(stats.requests_total, 2_000);
    });
}
