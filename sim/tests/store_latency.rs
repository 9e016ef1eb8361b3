//! Latency of the simulated store as callers see it, in sim time: tens of ms at the median,
//! a tail reaching seconds, and size over bandwidth for large objects.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::store::{Attributes, ObjectStore, PutMode};
use madsim::runtime::{Handle, Runtime};
use madsim::time::{Duration, Instant};
use sim::store::{StoreConfig, StoreNode};
use sim::trace::Trace;
use std::net::IpAddr;

fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index].as_secs_f64() * 1_000.0
}

#[test]
fn small_request_latency_has_a_tens_of_ms_median_and_a_heavy_tail() {
    let runtime = Runtime::with_seed_and_config(3, madsim::Config::default());
    let mut latencies = runtime.block_on(async {
        let store = StoreNode::start(StoreConfig::default(), 3, Trace::new(1_000))
            .await
            .unwrap();
        let mut handles = Vec::new();
        for client in 0..10u8 {
            let name = format!("client-{client}");
            let node = Handle::current()
                .create_node()
                .name(name.clone())
                .ip(IpAddr::from([10, 0, 2, client + 2]))
                .build();
            let store = store.client(&name);
            handles.push(node.spawn(async move {
                let mut latencies = Vec::new();
                for i in 0..3_000 {
                    let start = Instant::now();
                    let _ = store.head(&format!("sst/{i}")).await;
                    latencies.push(start.elapsed());
                }
                latencies
            }));
        }
        let mut all = Vec::new();
        for handle in handles {
            all.extend(handle.await.unwrap());
        }
        assert_eq!(store.stats().client_timeouts, 0);
        let mut served: Vec<u64> = store
            .trace()
            .kept()
            .iter()
            .filter_map(|entry| match entry.event {
                sim::trace::TraceEvent::StoreReply { latency_ns, .. } => Some(latency_ns),
                _ => None,
            })
            .collect();
        served.sort();
        println!(
            "store-side latency of the last {} replies: median {:.1} ms",
            served.len(),
            served[served.len() / 2] as f64 / 1e6
        );
        all
    });
    latencies.sort();
    let median = quantile_ms(&latencies, 0.5);
    let p99 = quantile_ms(&latencies, 0.99);
    let p999 = quantile_ms(&latencies, 0.999);
    let max = quantile_ms(&latencies, 1.0);
    println!(
        "client-observed latency over {} heads: median {median:.1} ms, p99 {p99:.1} ms, \
         p99.9 {p999:.1} ms, max {max:.1} ms",
        latencies.len()
    );
    assert!((20.0..=35.0).contains(&median), "median {median} ms");
    assert!((40.0..=200.0).contains(&p99), "p99 {p99} ms");
    assert!(p999 >= 1_000.0, "p99.9 {p999} ms");
}

#[test]
fn large_puts_pay_for_their_size() {
    let runtime = Runtime::with_seed_and_config(4, madsim::Config::default());
    runtime.block_on(async {
        let store = StoreNode::start(StoreConfig::default(), 4, Trace::default())
            .await
            .unwrap();
        let node = Handle::current()
            .create_node()
            .name("w")
            .ip(IpAddr::from([10, 0, 2, 200]))
            .build();
        let client = store
            .client("w")
            .with_request_timeout(Duration::from_secs(60));
        let elapsed = node
            .spawn(async move {
                // 100 MiB at 50 MiB/s: two seconds of transfer on top of the base latency.
                let body = Bytes::from(vec![7u8; 100 * 1024 * 1024]);
                let start = Instant::now();
                client
                    .put("sst/big", body, PutMode::Overwrite, Attributes::new())
                    .await
                    .unwrap();
                start.elapsed()
            })
            .await
            .unwrap();
        assert!(
            elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(10),
            "{elapsed:?}"
        );
    });
}
