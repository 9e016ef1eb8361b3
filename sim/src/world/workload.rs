//! Where the world's client operations come from: the `workloads` crate. A run either names
//! a preset (`--workload NAME`) or, without one, gets a spec built from its drawn client
//! shape (uniform keys over the key space, the drawn get and delete shares, the rest
//! puts), so every run's operations come from `workloads`.
//!
//! All clients draw from one stream (kept in [`WorkloadState`]), so inserts extend the key
//! space exactly once each and key ids stay below [`key_space_bound`], which the final
//! reader reads entirely. How the stream's operations map onto the world's KV protocol
//! (which has get, put and delete only):
//! - `Scan { start_key, .. }` is a `Get` of its start key (there is no scan on the wire);
//! - `ReadModifyWrite` is a `Get`, then a `Put` of a new value;
//! - a put's TTL becomes an absolute expiry the client sends with the put (`ttl.rs`);
//!   a run without a TTL preset may draw a share of expiring puts instead
//!   ([`super::ttl::TtlShape`]), so `ttl-series` and swarm runs exercise expiry and C7;
//! - value sizes: the wire carries value ids and the host pads every value to the run's
//!   one `value_bytes`, so a spec's sizes become one size per run (see
//!   [`world_value_bytes`]).

use super::config::{ClientShape, WorldConfig};
use super::protocol::KvCommand;
use crate::rng;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use workloads::{KeyDistribution, Mix, Op, OpStream, ValueSizes, WorkloadSpec};

/// The `name` of the spec built from a drawn client shape.
pub const DRAWN_WORKLOAD_NAME: &str = "drawn";

/// Every name `--workload` accepts.
pub fn workload_names() -> &'static [&'static str] {
    workloads::preset_names()
}

/// The preset `name` as the world runs it over `drawn_key_space` initial keys, or `None`
/// for an unknown name. `insert-random` puts each key of its key space once and then ends,
/// so in the world its key space is the run's operation count (the stream lasts the run).
pub fn world_preset(name: &str, drawn_key_space: u64, ops_total: u64) -> Option<WorkloadSpec> {
    let spec = workloads::preset(name)?;
    let key_space = match spec.keys {
        KeyDistribution::Shuffled => ops_total.max(1),
        _ => drawn_key_space.max(1),
    };
    Some(spec.with_key_space(key_space))
}

/// The spec of a run without `--workload`: uniform keys over `key_space`, `get_share`
/// gets, `delete_share` deletes and puts for the rest.
pub fn drawn_spec(
    key_space: u64,
    value_bytes: u32,
    get_share: f64,
    delete_share: f64,
) -> WorkloadSpec {
    let read = get_share.clamp(0.0, 1.0);
    let delete = delete_share.clamp(0.0, 1.0 - read);
    WorkloadSpec {
        name: DRAWN_WORKLOAD_NAME.to_string(),
        mix: Mix {
            read,
            delete,
            update: (1.0 - read - delete).max(0.0),
            ..Mix::ZERO
        },
        keys: KeyDistribution::Uniform,
        key_space: key_space.max(1),
        values: ValueSizes::Fixed {
            value_bytes: value_bytes.max(1),
        },
        scan_lengths: Default::default(),
        ttl: None,
    }
}

/// A stand-in until [`resolve`] sets the run's spec (the config is built in two steps).
pub fn placeholder() -> WorkloadSpec {
    drawn_spec(1, 1, 0.0, 0.0)
}

/// `clients` with its workload set: the preset `name` (a name [`workload_names`] lists;
/// the command line checks it first), or, without one or for an unknown one, the spec of
/// its drawn shape.
pub fn resolve(mut clients: ClientShape, name: Option<&str>) -> ClientShape {
    let preset = name.and_then(|name| world_preset(name, clients.key_space, clients.ops_total));
    let spec = preset.unwrap_or_else(|| {
        drawn_spec(
            clients.key_space,
            clients.value_bytes,
            clients.get_share,
            clients.delete_share,
        )
    });
    set_workload(&mut clients, spec);
    clients
}

/// Makes `spec` the workload of `clients`: its value size becomes the run's, and the key
/// space the final reader reads becomes [`key_space_bound`]. For callers (the reports)
/// that build their own specs.
pub fn set_workload(clients: &mut ClientShape, spec: WorkloadSpec) {
    clients.value_bytes = world_value_bytes(&spec.values);
    clients.key_space = key_space_bound(&spec, clients.ops_total);
    clients.workload = spec;
}

/// Every key id a run of `spec` with `ops_total` operations can touch is below this: the
/// initial key space, plus one per operation when the mix inserts.
pub fn key_space_bound(spec: &WorkloadSpec, ops_total: u64) -> u64 {
    let inserts_max = if spec.mix.insert > 0.0 { ops_total } else { 0 };
    spec.key_space.max(1).saturating_add(inserts_max)
}

/// The one value size of a run of `values`: the fixed size, or the midpoint of a range.
pub fn world_value_bytes(values: &ValueSizes) -> u32 {
    match *values {
        ValueSizes::Fixed { value_bytes } => value_bytes,
        ValueSizes::Uniform {
            min_bytes,
            max_bytes,
        }
        | ValueSizes::Zipf {
            min_bytes,
            max_bytes,
            ..
        } => min_bytes + (max_bytes.saturating_sub(min_bytes)) / 2,
    }
    .max(8)
}

/// What a client sends for one workload operation; `next_value` gives a fresh value id
/// for each put, and `expiry` its absolute expiry from the operation's own TTL (`None`
/// when the operation has none: the run's drawn share may still give one).
pub fn commands(
    op: Op,
    mut next_value: impl FnMut() -> u64,
    mut expiry: impl FnMut(Option<u64>) -> Option<u64>,
) -> Vec<KvCommand> {
    match op {
        Op::Get { key } | Op::Scan { start_key: key, .. } => vec![KvCommand::Get { key }],
        Op::Put { key, ttl_ms, .. } => vec![KvCommand::Put {
            key,
            value: next_value(),
            expires_at_ms: expiry(ttl_ms),
        }],
        Op::Delete { key } => vec![KvCommand::Delete { key }],
        Op::ReadModifyWrite { key, .. } => vec![
            KvCommand::Get { key },
            KvCommand::Put {
                key,
                value: next_value(),
                expires_at_ms: expiry(None),
            },
        ],
    }
}

/// Client-side latency distributions, in microseconds of simulated time, of answered
/// operations (final reads excluded).
#[derive(Clone, Debug)]
pub struct Latencies {
    pub get_us: Histogram<u64>,
    pub write_us: Histogram<u64>,
}

/// The run's operation stream, shared by every client, and what the clients measured.
pub struct WorkloadState {
    stream: Mutex<Option<OpStream>>,
    key_space_bound: u64,
    latencies: Mutex<Latencies>,
    /// The absolute expiry (true wall ms) of every put sent with one, by value id.
    expiries: Mutex<BTreeMap<u64, u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Latencies up to an hour of simulated time, three significant figures.
fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .expect("1..=3.6e9 with 3 figures is a valid histogram")
}

impl WorkloadState {
    /// The stream of `config`'s workload, seeded from the run's seed. A spec the crate
    /// refuses gives an empty stream (clients then issue nothing; the configuration shows
    /// the spec).
    pub fn new(config: &WorldConfig) -> WorkloadState {
        let seed_bytes = rng::stream_seed(config.seed, "workload");
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&seed_bytes[..8]);
        let stream = OpStream::new(&config.clients.workload, u64::from_le_bytes(seed)).ok();
        WorkloadState {
            stream: Mutex::new(stream),
            key_space_bound: config.clients.key_space.max(1),
            latencies: Mutex::new(Latencies {
                get_us: latency_histogram(),
                write_us: latency_histogram(),
            }),
            expiries: Mutex::new(BTreeMap::new()),
        }
    }

    /// Notes that the put of value id `value` was sent with `expires_at_ms`.
    pub fn record_expiry(&self, value: u64, expires_at_ms: u64) {
        let previous = lock(&self.expiries).insert(value, expires_at_ms);
        assert!(previous.is_none(), "value id {value} put twice");
    }

    /// Every put's expiry so far, by value id.
    pub fn expiries(&self) -> BTreeMap<u64, u64> {
        lock(&self.expiries).clone()
    }

    /// The run's next operation, or `None` once the stream has ended. Keys are below the
    /// key space bound by construction; the modulo only guards that promise.
    pub fn next_op(&self) -> Option<Op> {
        let op = lock(&self.stream).as_mut()?.next()?;
        let bound = self.key_space_bound;
        Some(match op {
            Op::Get { key } => Op::Get { key: key % bound },
            Op::Put {
                key,
                value_bytes,
                ttl_ms,
            } => Op::Put {
                key: key % bound,
                value_bytes,
                ttl_ms,
            },
            Op::Delete { key } => Op::Delete { key: key % bound },
            Op::Scan { start_key, len } => Op::Scan {
                start_key: start_key % bound,
                len,
            },
            Op::ReadModifyWrite { key, value_bytes } => Op::ReadModifyWrite {
                key: key % bound,
                value_bytes,
            },
        })
    }

    /// Records how long an answered command took.
    pub fn record_latency(&self, command: KvCommand, latency_ns: u64) {
        let micros = (latency_ns / 1_000).max(1);
        let mut latencies = lock(&self.latencies);
        let histogram = match command {
            KvCommand::Get { .. } => &mut latencies.get_us,
            KvCommand::Put { .. } | KvCommand::Delete { .. } => &mut latencies.write_us,
        };
        // Saturate instead of failing on a latency beyond the bound.
        let _ = histogram.record(micros.min(histogram.high()));
    }

    pub fn latencies(&self) -> Latencies {
        lock(&self.latencies).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_spec_is_valid_and_uniform() {
        let spec = drawn_spec(64, 100, 0.4, 0.1);
        assert!(spec.validate().is_ok());
        assert_eq!(key_space_bound(&spec, 10_000), 64);
        let keys: Vec<u64> = OpStream::new(&spec, 1)
            .map(|stream| stream.take(1000).map(|op| op.key()).collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 1000);
        assert!(keys.iter().all(|key| *key < 64));
    }

    #[test]
    fn every_preset_resolves_and_stays_in_bounds() {
        for name in workload_names() {
            let spec = world_preset(name, 128, 500);
            assert!(spec.is_some(), "{name}");
            let Some(spec) = spec else { continue };
            assert!(spec.validate().is_ok(), "{name}");
            if *name == "ttl-series" {
                assert!(spec.ttl.is_some(), "ttl-series keeps its TTL");
            }
            let bound = key_space_bound(&spec, 500);
            let ops: Vec<Op> = OpStream::new(&spec, 7)
                .map(|stream| stream.take(500).collect())
                .unwrap_or_default();
            assert!(!ops.is_empty(), "{name}");
            assert!(ops.iter().all(|op| op.key() < bound), "{name}");
        }
        assert!(world_preset("no-such-workload", 128, 500).is_none());
    }

    #[test]
    fn insert_random_lasts_the_run() {
        let spec = world_preset("insert-random", 64, 300);
        assert_eq!(spec.map(|spec| spec.key_space), Some(300));
    }

    #[test]
    fn read_modify_write_is_a_get_then_a_put() {
        let mut next = 10;
        let sent = commands(
            Op::ReadModifyWrite {
                key: 3,
                value_bytes: 100,
            },
            || {
                next += 1;
                next
            },
            |_| Some(99),
        );
        assert_eq!(
            sent,
            vec![
                KvCommand::Get { key: 3 },
                KvCommand::Put {
                    key: 3,
                    value: 11,
                    expires_at_ms: Some(99)
                }
            ]
        );
        let scan = commands(
            Op::Scan {
                start_key: 5,
                len: 9,
            },
            || 0,
            |_| None,
        );
        assert_eq!(scan, vec![KvCommand::Get { key: 5 }]);
    }
}
