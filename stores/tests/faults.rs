//! The fault injector: each kind does what it says to the store behind it, and the same seed
//! deals the same faults.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::store::{Attributes, GetRange, MemoryStore, ObjectStore, PutMode, StoreError};
use std::time::{Duration, Instant};
use stores::{FaultRates, FaultyStore, SystemClock};

fn rates(transient: f64, unknown_not_applied: f64, unknown_applied: f64) -> FaultRates {
    FaultRates {
        transient,
        unknown_not_applied,
        unknown_applied,
        unknown_wait: Duration::from_millis(1),
        ..FaultRates::none()
    }
}

async fn put(store: &impl ObjectStore, path: &str) -> Result<(), StoreError> {
    store
        .put(
            path,
            Bytes::from_static(b"x"),
            PutMode::Create,
            Attributes::new(),
        )
        .await
        .map(|_| ())
}

#[tokio::test]
async fn transient_faults_never_apply() {
    let store = FaultyStore::new(
        MemoryStore::new(),
        SystemClock::new(),
        rates(1.0, 0.0, 0.0),
        1,
    );
    assert!(matches!(
        put(&store, "a").await,
        Err(StoreError::Transient { .. })
    ));
    assert!(matches!(
        store.inner().head("a").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.counts().transient, 1);
}

#[tokio::test]
async fn unknown_outcomes_apply_or_not_as_dealt() {
    let not_applied = FaultyStore::new(
        MemoryStore::new(),
        SystemClock::new(),
        rates(0.0, 1.0, 0.0),
        2,
    );
    assert!(matches!(
        put(&not_applied, "a").await,
        Err(StoreError::UnknownOutcome { .. })
    ));
    assert!(not_applied.inner().head("a").await.is_err());
    let applied = FaultyStore::new(
        MemoryStore::new(),
        SystemClock::new(),
        rates(0.0, 0.0, 1.0),
        3,
    );
    assert!(matches!(
        put(&applied, "a").await,
        Err(StoreError::UnknownOutcome { .. })
    ));
    assert!(applied.inner().head("a").await.is_ok());
    assert_eq!(applied.counts().unknown_applied, 1);
}

#[tokio::test]
async fn spikes_delay_requests() {
    let spiky = FaultRates {
        spike: 1.0,
        spike_latency: Duration::from_millis(40),
        ..FaultRates::none()
    };
    let store = FaultyStore::new(MemoryStore::new(), SystemClock::new(), spiky, 4);
    let started = Instant::now();
    put(&store, "a").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(40));
    assert_eq!(store.counts().spikes, 1);
}

/// The fates a seed deals to 200 sequential requests at mixed rates.
async fn fates(seed: u64) -> (Vec<String>, stores::FaultCounts) {
    let store = FaultyStore::new(
        MemoryStore::new(),
        SystemClock::new(),
        rates(0.2, 0.1, 0.1),
        seed,
    );
    let mut seen = Vec::new();
    for index in 0..200 {
        let path = format!("k{index}");
        let outcome = match put(&store, &path).await {
            Ok(()) => "ok".to_string(),
            Err(error) => format!("{error:?}")
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string(),
        };
        let applied = store.inner().get(&path, GetRange::Whole).await.is_ok();
        seen.push(format!("{outcome}/{applied}"));
    }
    (seen, store.counts())
}

#[tokio::test]
async fn a_seed_deals_the_same_faults_and_rates_are_roughly_kept() {
    let (first, counts) = fates(9).await;
    let (again, _) = fates(9).await;
    let (other, _) = fates(10).await;
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_eq!(counts.requests, 200);
    for (count, expected) in [
        (counts.transient, 40.0),
        (counts.unknown_not_applied, 20.0),
        (counts.unknown_applied, 20.0),
    ] {
        assert!(
            (count as f64 - expected).abs() < expected * 0.6,
            "{counts:?}"
        );
    }
    // Applied exactly when the request proceeded or was an applied unknown outcome.
    let applied = first.iter().filter(|fate| fate.ends_with("/true")).count() as u64;
    assert_eq!(applied, 200 - counts.transient - counts.unknown_not_applied);
}

#[tokio::test]
async fn faults_stop_when_the_rates_are_set_to_none() {
    let store = FaultyStore::new(
        MemoryStore::new(),
        SystemClock::new(),
        rates(1.0, 0.0, 0.0),
        5,
    );
    assert!(put(&store, "a").await.is_err());
    store.set_rates(FaultRates::none());
    put(&store, "a").await.unwrap();
    assert_eq!(store.counts().requests, 2);
}
