//! The trace: same seed → same digest (across runtimes and threads), different seeds →
//! different digests; JSON lines; bounded memory with a digest over everything.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::store::{Attributes, GetRange, ObjectStore, PutMode};
use madsim::runtime::{Handle, Runtime};
use sim::clock::{ClockParams, ClockPlan, SimClock};
use sim::rng;
use sim::store::{StoreConfig, StoreFaultConfig, StoreNode};
use sim::trace::{Trace, TraceEvent, fnv1a64};
use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// A small world: a faulty store, three skewed nodes doing mixed operations.
fn scenario(seed: u64, keep_last: usize) -> Trace {
    let trace = Trace::new(keep_last);
    let recorder = trace.clone();
    let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
    runtime.block_on(async move {
        let faults = StoreFaultConfig::swarm(&mut rng::stream(seed, "store/swarm"));
        let store = StoreNode::start(StoreConfig::with_faults(faults), seed, recorder.clone())
            .await
            .unwrap();
        let mut handles = Vec::new();
        for index in 0..3u8 {
            let name = format!("node-{index}");
            let plan = ClockPlan::draw(
                &mut rng::stream(seed, &format!("clock/{name}")),
                &ClockParams::heavy(),
            );
            let clock = SimClock::new(&name, plan, recorder.clone());
            clock.spawn_driver();
            let node = Handle::current()
                .create_node()
                .name(name.clone())
                .ip(IpAddr::from([10, 0, 4, index + 2]))
                .build();
            let client = store.client(&name);
            let recorder = recorder.clone();
            handles.push(node.spawn(async move {
                let mut ops = rng::stream(seed, &format!("test/ops/{name}"));
                for i in 0..150u64 {
                    let path = format!("sst/{}", rng::uniform_u64(&mut ops, 0, 20));
                    let outcome = match rng::uniform_u64(&mut ops, 0, 3) {
                        0 => client
                            .put(
                                &path,
                                Bytes::from(vec![1; 100]),
                                PutMode::Create,
                                Attributes::new(),
                            )
                            .await
                            .map(|_| ()),
                        1 => client.get(&path, GetRange::Whole).await.map(|_| ()),
                        2 => client.delete(&path).await,
                        _ => client.list("sst/").await.map(|_| ()),
                    };
                    recorder.record(
                        &name,
                        TraceEvent::Custom {
                            kind: "client_op".into(),
                            detail: format!(
                                "{i} {path} {:?} wall={}",
                                outcome.is_ok(),
                                clock.wall_ms()
                            ),
                        },
                    );
                }
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
    });
    trace
}

/// Runs the scenario on a fresh thread, as a campaign does.
fn digest_on_fresh_thread(seed: u64) -> (u64, u64) {
    std::thread::spawn(move || {
        let trace = scenario(seed, 100);
        (trace.digest(), trace.recorded_total())
    })
    .join()
    .unwrap()
}

#[test]
fn same_seed_same_digest_different_seed_different_digest() {
    let first = digest_on_fresh_thread(11);
    let again = digest_on_fresh_thread(11);
    let in_this_thread = scenario(11, 100);
    assert_eq!(first, again);
    assert_eq!(
        first,
        (in_this_thread.digest(), in_this_thread.recorded_total())
    );
    assert!(first.1 > 1_000, "only {} events", first.1);
    let mut digests = std::collections::BTreeSet::new();
    for seed in 12..18 {
        digests.insert(digest_on_fresh_thread(seed).0);
    }
    digests.insert(first.0);
    assert_eq!(digests.len(), 7, "digests collide across seeds");
    println!("seed 11: digest {:016x} over {} events", first.0, first.1);
}

#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn digest_covers_every_event_while_memory_stays_bounded() {
    let full = scenario(21, usize::MAX);
    let bounded = scenario(21, 50);
    assert_eq!(full.digest(), bounded.digest());
    assert_eq!(bounded.kept().len(), 50);
    assert_eq!(bounded.dropped_total(), bounded.recorded_total() - 50);
    // The kept events are the last ones, with their original sequence numbers.
    assert_eq!(
        bounded.kept(),
        full.kept()[full.kept().len() - 50..].to_vec()
    );

    let mut lines = Vec::new();
    full.write_json_lines(&mut lines).unwrap();
    assert_eq!(fnv1a64(&lines), full.digest());
    let text = String::from_utf8(lines).unwrap();
    let mut types = std::collections::BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["seq"], index as u64);
        assert!(value["at_ns"].is_u64() && value["node"].is_string());
        types.insert(value["type"].as_str().unwrap().to_string());
    }
    for expected in ["store_request", "store_reply", "store_applied", "custom"] {
        assert!(types.contains(expected), "no {expected} in {types:?}");
    }
}

#[test]
fn a_sink_receives_every_line() {
    let trace = Trace::new(2);
    let sink = SharedBuffer::default();
    trace.set_sink(Box::new(sink.clone()));
    for i in 0..10 {
        trace.record_at(
            i * 1_000,
            "n",
            TraceEvent::Custom {
                kind: "k".into(),
                detail: i.to_string(),
            },
        );
    }
    trace.finish_sink().unwrap();
    let written = sink.0.lock().unwrap().clone();
    assert_eq!(fnv1a64(&written), trace.digest());
    assert_eq!(written.iter().filter(|b| **b == b'\n').count(), 10);
    let first = String::from_utf8(written)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        first,
        r#"{"seq":0,"at_ns":0,"node":"n","type":"custom","kind":"k","detail":"0"}"#
    );
}
