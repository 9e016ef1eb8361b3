//! [`FaultyStore`]: the simulated store's fault kinds injected into any store, from a seed,
//! so the roles can be driven against real storage under faults.
//!
//! Per request, one draw decides: proceed, a transient error (not sent), an unknown outcome
//! that was not applied (not sent; the caller waits out its timeout), or an unknown outcome
//! that was applied (sent, the reply dropped). Independently, a latency spike delays the
//! request. Draws come from a ChaCha stream of the seed, in request order, so a sequential
//! caller sees the same faults for the same seed.

use bytes::Bytes;
use lsm_core::clock::Clock;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Fault rates per request (each in 0..=1; the three outcome rates sum to at most 1).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRates {
    pub transient: f64,
    pub unknown_not_applied: f64,
    pub unknown_applied: f64,
    pub spike: f64,
    /// Extra latency of a spike.
    pub spike_latency: Duration,
    /// How long a caller waits before an unknown outcome is reported (its request timeout).
    pub unknown_wait: Duration,
}

impl FaultRates {
    pub fn none() -> FaultRates {
        FaultRates {
            transient: 0.0,
            unknown_not_applied: 0.0,
            unknown_applied: 0.0,
            spike: 0.0,
            spike_latency: Duration::ZERO,
            unknown_wait: Duration::ZERO,
        }
    }

    fn assert_valid(&self) {
        for rate in [
            self.transient,
            self.unknown_not_applied,
            self.unknown_applied,
            self.spike,
        ] {
            assert!(
                (0.0..=1.0).contains(&rate),
                "fault rate {rate} outside 0..=1"
            );
        }
        let outcomes = self.transient + self.unknown_not_applied + self.unknown_applied;
        assert!(
            outcomes <= 1.0 + 1e-9,
            "outcome rates sum to {outcomes} > 1"
        );
    }
}

/// What one request was dealt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Proceed,
    Transient,
    UnknownNotApplied,
    UnknownApplied,
}

/// Faults injected so far, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub requests: u64,
    pub transient: u64,
    pub unknown_not_applied: u64,
    pub unknown_applied: u64,
    pub spikes: u64,
}

/// `inner` with faults; `clock` sleeps the spikes and the timeouts.
#[derive(Debug)]
pub struct FaultyStore<S, C> {
    inner: S,
    clock: C,
    state: Mutex<Dealer>,
}

/// The stream, the rates it deals by, and what it dealt.
#[derive(Debug)]
struct Dealer {
    rng: ChaCha8Rng,
    rates: FaultRates,
    counts: FaultCounts,
}

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    // 53 random bits → [0, 1).
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

impl<S: ObjectStore, C: Clock> FaultyStore<S, C> {
    pub fn new(inner: S, clock: C, rates: FaultRates, seed: u64) -> FaultyStore<S, C> {
        rates.assert_valid();
        FaultyStore {
            inner,
            clock,
            state: Mutex::new(Dealer {
                rng: ChaCha8Rng::seed_from_u64(seed),
                rates,
                counts: FaultCounts::default(),
            }),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    pub fn counts(&self) -> FaultCounts {
        self.lock().counts.clone()
    }

    /// Changes the rates from now on (e.g. to none, to let a run come to rest).
    pub fn set_rates(&self, rates: FaultRates) {
        rates.assert_valid();
        self.lock().rates = rates;
    }

    fn lock(&self) -> MutexGuard<'_, Dealer> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Draws one request's fate, whether it is spiked, and the rates' waits.
    fn draw(&self) -> (Fate, bool, FaultRates) {
        let mut state = self.lock();
        let Dealer { rng, rates, counts } = &mut *state;
        let outcome = unit(rng);
        let spike = unit(rng) < rates.spike;
        let fate = if outcome < rates.transient {
            Fate::Transient
        } else if outcome < rates.transient + rates.unknown_not_applied {
            Fate::UnknownNotApplied
        } else if outcome < rates.transient + rates.unknown_not_applied + rates.unknown_applied {
            Fate::UnknownApplied
        } else {
            Fate::Proceed
        };
        counts.requests += 1;
        match fate {
            Fate::Proceed => {}
            Fate::Transient => counts.transient += 1,
            Fate::UnknownNotApplied => counts.unknown_not_applied += 1,
            Fate::UnknownApplied => counts.unknown_applied += 1,
        }
        counts.spikes += u64::from(spike);
        (fate, spike, rates.clone())
    }

    async fn faulty<T, Fut>(&self, path: &str, request: Fut) -> Result<T, StoreError>
    where
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let (fate, spike, rates) = self.draw();
        if spike {
            self.clock.sleep(rates.spike_latency).await;
        }
        let unknown = || StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        match fate {
            Fate::Proceed => request.await,
            Fate::Transient => Err(StoreError::Transient {
                path: path.to_string(),
                detail: "injected 503 SlowDown".to_string(),
            }),
            Fate::UnknownNotApplied => {
                self.clock.sleep(rates.unknown_wait).await;
                Err(unknown())
            }
            Fate::UnknownApplied => {
                // Sent and applied (or refused: a lost answer hides either); the reply is lost.
                let _lost = request.await;
                self.clock.sleep(rates.unknown_wait).await;
                Err(unknown())
            }
        }
    }
}

impl<S: ObjectStore, C: Clock> ObjectStore for FaultyStore<S, C> {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        self.faulty(path, self.inner.get(path, range)).await
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        self.faulty(path, self.inner.head(path)).await
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        self.faulty(path, self.inner.put(path, bytes, mode, attributes))
            .await
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.faulty(path, self.inner.delete(path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        self.faulty(prefix, self.inner.list(prefix)).await
    }
}
