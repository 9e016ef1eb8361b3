//! Put and get latency (p50, p99) and throughput of 4 KiB and 4 MiB objects on local files
//! and on the moto S3 server, one client, requests one after another.
//!
//! `cargo run --release -p stores --example store_bench [-- --rounds N]`
//! (N: 4 KiB objects per operation, default 300; 4 MiB objects get N/10.)
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use hdrhistogram::Histogram;
use lsm_core::store::{Attributes, GetRange, ObjectStore, PutMode};
use std::time::{Duration, Instant};
use stores::moto::MotoServer;
use stores::{LocalStore, StoreOptions, open_s3};

struct Figures {
    latency_us: Histogram<u64>,
    elapsed: Duration,
    bytes: u64,
}

impl Figures {
    fn row(&self, backend: &str, size: &str, op: &str) -> String {
        let ms = |quantile: f64| self.latency_us.value_at_quantile(quantile) as f64 / 1000.0;
        let seconds = self.elapsed.as_secs_f64();
        format!(
            "| {backend:<11} | {size:>5} | {op:<3} | {:>5} | {:>8.2} | {:>8.2} | {:>8.0} | {:>8.1} |",
            self.latency_us.len(),
            ms(0.50),
            ms(0.99),
            self.latency_us.len() as f64 / seconds,
            self.bytes as f64 / seconds / (1024.0 * 1024.0),
        )
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|error| panic!("{error}"))
}

async fn measure<S: ObjectStore>(
    store: &S,
    prefix: &str,
    size: usize,
    count: usize,
) -> [Figures; 2] {
    let body = Bytes::from(vec![0x5a; size]);
    let mut puts = Figures {
        latency_us: histogram(),
        elapsed: Duration::ZERO,
        bytes: 0,
    };
    let started = Instant::now();
    for index in 0..count {
        let begin = Instant::now();
        store
            .put(
                &format!("{prefix}{index:06}"),
                body.clone(),
                PutMode::Create,
                Attributes::new(),
            )
            .await
            .unwrap_or_else(|error| panic!("put: {error}"));
        puts.latency_us
            .saturating_record(begin.elapsed().as_micros() as u64);
        puts.bytes += size as u64;
    }
    puts.elapsed = started.elapsed();
    let mut gets = Figures {
        latency_us: histogram(),
        elapsed: Duration::ZERO,
        bytes: 0,
    };
    let started = Instant::now();
    for index in 0..count {
        let begin = Instant::now();
        let got = store
            .get(&format!("{prefix}{index:06}"), GetRange::Whole)
            .await
            .unwrap_or_else(|error| panic!("get: {error}"));
        gets.latency_us
            .saturating_record(begin.elapsed().as_micros() as u64);
        assert_eq!(got.bytes.len(), size);
        gets.bytes += size as u64;
    }
    gets.elapsed = started.elapsed();
    [puts, gets]
}

async fn bench<S: ObjectStore>(backend: &str, store: &S, rounds: usize) {
    for (size, label, count) in [
        (4 * 1024, "4KiB", rounds),
        (4 * 1024 * 1024, "4MiB", (rounds / 10).max(5)),
    ] {
        let [puts, gets] = measure(store, &format!("bench/{label}/"), size, count).await;
        println!("{}", puts.row(backend, label, "put"));
        println!("{}", gets.row(backend, label, "get"));
    }
}

fn rounds_from_args() -> usize {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|arg| arg == "--rounds") {
        None => 300,
        Some(index) => match args.get(index + 1).and_then(|value| value.parse().ok()) {
            Some(rounds) if rounds > 0 => rounds,
            _ => {
                eprintln!("--rounds needs a positive number");
                std::process::exit(2);
            }
        },
    }
}

#[tokio::main]
async fn main() {
    let rounds = rounds_from_args();
    println!("| backend     |  size | op  | count |  p50 ms  |  p99 ms  |   ops/s  |   MiB/s  |");
    println!("|-------------|-------|-----|-------|----------|----------|----------|----------|");
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let local = LocalStore::open(dir.path(), StoreOptions::default())
        .unwrap_or_else(|error| panic!("local store: {error}"));
    bench("local files", &local, rounds).await;
    let server = match MotoServer::start("bench") {
        Ok(server) => server,
        Err(error) => {
            eprintln!("moto: {error}");
            std::process::exit(1);
        }
    };
    let s3 = open_s3(&server.s3_config(""), StoreOptions::default())
        .unwrap_or_else(|error| panic!("s3 store: {error}"));
    bench("s3 (moto)", &s3, rounds).await;
}
