//! The real-process crash test (issue #22 item 4): `serve --no-compactor`, `compactor` and
//! `gc` on a local-files bucket; client threads issue a seeded mix over RESP, recording
//! every call and return; the writer and the compactor are SIGKILLed and restarted at
//! seeded moments; one writer is SIGSTOPped, a successor started, and the old one resumed
//! (a zombie that must neither acknowledge nor publish). Then final reads of every key, C1
//! (sim's linearizability checker), C3 (every object the newest manifest or a live
//! checkpoint references exists) and C4 (L0 under its trigger, pending deletions drained).
//!
//! `SEDIMENT_CRASH_KILLS` (default 20) and `SEDIMENT_CRASH_SEED` (default 1) size a run.
#![allow(clippy::unwrap_used)]

mod support;

use redis::Commands;
use sim::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
use sim::lincheck::{CheckOptions, Verdict, check};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::history::Recorder;
use support::{Process, connect, free_port, spawn, write_config};

const KEYS: u32 = 24;
const CLIENTS: u64 = 3;
const L0_TRIGGER: usize = 4;
const LSM: &str = "write_buffer_size = 4096\nlevel0_file_num_compaction_trigger = 4\n\
checkpoint_interval_ms = 400\ngc_interval_ms = 300\ncompactor_poll_ms = 100\nmanifest_poll_ms = 100";

/// splitmix64: the seeded choices of clients and the fault schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Shared {
    port: AtomicU16,
    stop: AtomicBool,
    next_client: AtomicU64,
    recorder: Recorder,
}

/// One client thread: a seeded mix of SET, GET and DEL on a few keys.
fn client_loop(shared: Arc<Shared>, seed: u64) {
    let mut rng = Rng(seed);
    let mut client_id = shared.next_client.fetch_add(1, Ordering::SeqCst);
    let mut connection: Option<redis::Connection> = None;
    let mut serial = 0u64;
    while !shared.stop.load(Ordering::SeqCst) {
        if connection.is_none() {
            let port = shared.port.load(Ordering::SeqCst);
            let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else {
                continue;
            };
            match client.get_connection_with_timeout(Duration::from_millis(500)) {
                Ok(c) => {
                    c.set_read_timeout(Some(Duration::from_millis(1500)))
                        .unwrap();
                    connection = Some(c);
                }
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            }
        }
        let conn = connection.as_mut().unwrap();
        let key = rng.below(u64::from(KEYS)) as u32;
        let name = format!("k{key:02}");
        let roll = rng.below(10);
        let call_ns = shared.recorder.now_ns();
        let (input, result) = if roll < 5 {
            serial += 1;
            let value = client_id * 1_000_000 + serial;
            let sent: redis::RedisResult<()> = conn.set(&name, value);
            (KvInput::Put(key, value), sent.map(|()| KvOutput::Ok))
        } else if roll < 6 {
            let sent: redis::RedisResult<i64> = conn.del(&name);
            (KvInput::Delete(key), sent.map(|_| KvOutput::Ok))
        } else {
            let got: redis::RedisResult<Option<u64>> = conn.get(&name);
            (KvInput::Get(key), got.map(KvOutput::Value))
        };
        match result {
            Ok(output) => shared.recorder.completed(client_id, call_ns, input, output),
            Err(error) => {
                let definite = error.kind()
                    == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError)
                    || error.to_string().contains("FENCED")
                    || error.to_string().contains("not applied");
                let unknown = error.to_string().contains("UNKNOWN");
                let is_write = !matches!(input, KvInput::Get(_));
                if is_write && (unknown || !definite) {
                    // Indeterminate: it may take effect at any later time.
                    shared.recorder.pending(client_id, call_ns, input);
                    client_id = shared.next_client.fetch_add(1, Ordering::SeqCst);
                }
                if !definite || unknown {
                    connection = None;
                }
            }
        }
    }
}

fn inspect(config: &Path) -> serde_json::Value {
    let output = support::sediment()
        .args(["inspect", "--json", "-c"])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn signal(process: &Process, name: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(process.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn crash_test_on_local_files() {
    let kills = env_u64("SEDIMENT_CRASH_KILLS", 20);
    let seed = env_u64("SEDIMENT_CRASH_SEED", 1);
    let dir = tempfile::tempdir().unwrap();
    let first_port = free_port();
    let mut config = write_config(dir.path(), first_port, LSM);
    let shared = Arc::new(Shared {
        port: AtomicU16::new(first_port),
        stop: AtomicBool::new(false),
        next_client: AtomicU64::new(1),
        recorder: Recorder::new(),
    });
    let mut writer = spawn(&["serve", "--no-compactor"], &config);
    let mut compactor = spawn(&["compactor"], &config);
    let _gc = spawn(&["gc"], &config);
    drop(connect(first_port));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let shared = shared.clone();
            std::thread::spawn(move || client_loop(shared, seed * 1000 + i))
        })
        .collect();
    let mut rng = Rng(seed);
    let mut kill_count = 0u64;
    let zombie_at = kills / 2;
    for round in 0..kills {
        std::thread::sleep(Duration::from_millis(150 + rng.below(300)));
        if round == zombie_at {
            let (successor, successor_config) = zombie_episode(&shared, &dir, writer);
            writer = successor;
            config = successor_config;
        }
        if rng.below(3) < 2 {
            drop(writer); // SIGKILL, then wait
            writer = spawn(&["serve", "--no-compactor"], &config);
        } else {
            drop(compactor);
            compactor = spawn(&["compactor"], &config);
        }
        kill_count += 1;
    }
    std::thread::sleep(Duration::from_millis(1000));
    shared.stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    // Final reads of every key, by a fresh client after everything else.
    let port = shared.port.load(Ordering::SeqCst);
    let mut final_client = connect(port);
    let reader = shared.next_client.fetch_add(1, Ordering::SeqCst);
    for key in 0..KEYS {
        let call_ns = shared.recorder.now_ns();
        let value: Option<u64> = final_client.get(format!("k{key:02}")).unwrap();
        shared
            .recorder
            .completed(reader, call_ns, KvInput::Get(key), KvOutput::Value(value));
    }
    let history = shared.recorder.history();
    let report = check(&KvRegisterModel::new(), &history, &CheckOptions::default());
    let acked = shared.recorder.acked_writes();
    println!(
        "crash test seed {seed}: {kill_count} SIGKILLs (+1 SIGSTOP zombie), {} operations, {acked} acknowledged writes, C1 {}",
        history.len(),
        report.verdict.name()
    );
    assert!(
        matches!(report.verdict, Verdict::Linearizable),
        "C1: {}",
        report.verdict
    );
    check_c4(&config);
    check_c3(dir.path());
    drop(writer);
    drop(compactor);
}

/// SIGSTOP the writer, start a successor on another port, SIGCONT the old one: its next
/// write must be refused (it must neither acknowledge nor publish), then it is killed.
fn zombie_episode(
    shared: &Shared,
    dir: &tempfile::TempDir,
    old: Process,
) -> (Process, std::path::PathBuf) {
    let old_port = shared.port.load(Ordering::SeqCst);
    signal(&old, "STOP");
    let new_port = free_port();
    let new_dir = dir.path().join("successor");
    std::fs::create_dir_all(&new_dir).unwrap();
    // The same bucket, another listen address.
    let bucket = dir.path().join("bucket");
    let text = std::fs::read_to_string(dir.path().join("sediment.toml"))
        .unwrap()
        .replace(
            &format!("127.0.0.1:{old_port}"),
            &format!("127.0.0.1:{new_port}"),
        );
    assert!(text.contains(&bucket.display().to_string()));
    let new_config = new_dir.join("sediment.toml");
    std::fs::write(&new_config, text).unwrap();
    let successor = spawn(&["serve", "--no-compactor"], &new_config);
    drop(connect(new_port));
    shared.port.store(new_port, Ordering::SeqCst);
    signal(&old, "CONT");
    let mut zombie = connect(old_port);
    zombie
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let refused: redis::RedisResult<()> = zombie.set("k00", 999_999_999u64);
    let error = refused.expect_err("a zombie writer acknowledged a write");
    assert!(error.to_string().contains("FENCED"), "{error}");
    let read: redis::RedisResult<Option<u64>> = zombie.get("k00");
    assert!(read.is_err(), "a zombie writer served a read");
    drop(old);
    (successor, new_config)
}

/// C4: with the compactor running, L0 comes under its trigger; after a checkpoint, GC
/// drains the pending deletions.
fn check_c4(config: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let report = inspect(config);
        let l0 = report["levels"][0]["files"].as_u64().unwrap() as usize;
        let pending = report["pending_deletions"].as_u64().unwrap();
        if l0 < L0_TRIGGER && pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "C4: L0 {l0}, pending {pending}: {report:#}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// C3: every table the newest manifest or a live checkpoint references exists.
fn check_c3(dir: &Path) {
    use lsm_core::layout::sst_path;
    use lsm_core::roles::checkpoint_reader::CheckpointReader;
    use lsm_core::roles::manifest_io::read_latest_manifest;
    use lsm_core::roles::retry::RetryPolicy;
    use lsm_core::store::ObjectStore;
    let url = format!("file://{}", dir.join("bucket").display());
    let store = stores::open(&url, stores::StoreOptions::default()).unwrap();
    let clock = stores::SystemClock::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let retry = RetryPolicy::default();
        let newest = read_latest_manifest(&store, &clock, &retry).await.unwrap();
        let mut referenced = newest.live_sst_ids();
        for checkpoint in &newest.checkpoints {
            let reader = CheckpointReader::open(store.clone(), clock, retry, checkpoint.id)
                .await
                .unwrap();
            referenced.extend(reader.manifest().live_sst_ids());
        }
        for id in &referenced {
            let path = sst_path(*id);
            assert!(
                store.head(&path).await.is_ok(),
                "C3: {path} is referenced but missing"
            );
        }
        println!("C3: {} referenced tables all present", referenced.len());
    });
}
