//! The real-process crash test (issue #22 item 4): `serve --no-compactor`, `compactor` and
//! `gc` on a local-files bucket; client threads issue a seeded mix over RESP, recording
//! every call and return; the writer and the compactor are SIGKILLed and restarted at
//! seeded moments; one writer is SIGSTOPped, a successor started, and the old one resumed
//! (a zombie that must neither acknowledge nor publish). Then final reads of every key, C1
//! (sim's linearizability checker), C3 (every object the newest manifest or a live
//! checkpoint references exists) and C4 (L0 under its trigger, pending deletions drained).
//!
//! Three runs: the standalone topology on local files; remote compaction on local files
//! (`serve` as the primary of two `worker`s; the writer and the workers are killed); the
//! standalone topology on the S3 test server (moto, started by `stores::moto` as the store
//! suite's S3 leg does: it fails, never skips, when moto cannot start).
//! `SEDIMENT_CRASH_KILLS` (default 20) and `SEDIMENT_CRASH_SEED` (default 1) size every run.
#![allow(clippy::unwrap_used)]

mod support;

use redis::Commands;
use sim::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
use sim::lincheck::{CheckOptions, Verdict, check};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::checks::{check_c3, check_c4};
use support::history::Recorder;
use support::{
    Process, connect, count_lines, free_port, local_storage, remote_table, spawn, spawn_logged,
    write_config_with,
};

const KEYS: u32 = 24;
const CLIENTS: u64 = 3;
const L0_TRIGGER: usize = 4;
/// A remote job not answered within this is rescheduled, then compacted locally.
const JOB_TIMEOUT_MS: u64 = 1_500;
const WORKERS: usize = 2;
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
    /// Zombie episodes whose successor opened while the old writer was still stopped.
    zombies_stopped_across_takeover: AtomicU64,
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

fn signal(process: &Process, name: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(process.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Where compaction runs in a crash run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Topology {
    /// `serve --no-compactor` and `sediment compactor`.
    Standalone,
    /// `serve` with `compaction = "remote"` and `WORKERS` `sediment worker`s.
    Remote,
}

/// The processes of a run on one bucket; killed when dropped.
struct Cluster {
    dir: PathBuf,
    topology: Topology,
    config: PathBuf,
    writer: Process,
    /// The compactor, or the workers.
    background: Vec<Process>,
    _gc: Process,
    /// Worker restarts, for the logs' names.
    worker_starts: usize,
}

impl Cluster {
    fn start(dir: &Path, topology: Topology, storage: &str, port: u16) -> Cluster {
        let (lsm, extra) = match topology {
            Topology::Standalone => (LSM.to_string(), String::new()),
            Topology::Remote => (
                format!("{LSM}\ncompaction = \"remote\""),
                remote_table(free_port(), JOB_TIMEOUT_MS),
            ),
        };
        let config = write_config_with(dir, storage, port, &lsm, &extra);
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            topology,
            writer: spawn_logged(
                Cluster::writer_args(topology),
                &config,
                &dir.join("writer.log"),
            ),
            background: Vec::new(),
            _gc: spawn(&["gc"], &config),
            config,
            worker_starts: 0,
        };
        let count = if topology == Topology::Remote {
            WORKERS
        } else {
            1
        };
        for _ in 0..count {
            let process = cluster.start_background();
            cluster.background.push(process);
        }
        cluster
    }

    fn writer_args(topology: Topology) -> &'static [&'static str] {
        match topology {
            Topology::Standalone => &["serve", "--no-compactor"],
            Topology::Remote => &["serve"],
        }
    }

    /// Every writer's stderr goes to `writer.log`, for a failure's diagnosis.
    fn spawn_writer(&self, config: &Path) -> Process {
        let log = self.dir.join("writer.log");
        spawn_logged(Cluster::writer_args(self.topology), config, &log)
    }

    fn start_background(&mut self) -> Process {
        match self.topology {
            Topology::Standalone => spawn(&["compactor"], &self.config),
            Topology::Remote => {
                self.worker_starts += 1;
                let log = self.dir.join(format!("worker{}.log", self.worker_starts));
                spawn_logged(&["worker"], &self.config, &log)
            }
        }
    }

    /// SIGKILLs background process `index` and starts another in its place.
    fn restart_background(&mut self, index: usize) {
        let index = index % self.background.len();
        self.background[index].kill();
        self.background[index] = self.start_background();
    }

    /// Remote jobs the workers finished, from their logs.
    fn worker_jobs(&self) -> usize {
        (1..=self.worker_starts)
            .map(|n| count_lines(&self.dir.join(format!("worker{n}.log")), "outputs="))
            .sum()
    }
}

/// A bucket of a run: its configuration tables and a way to open it for C3.
struct Bucket {
    name: &'static str,
    storage: String,
    open: Box<dyn Fn() -> stores::RealStore>,
}

fn local_bucket(dir: &Path) -> Bucket {
    let url = format!("file://{}", dir.join("bucket").display());
    Bucket {
        name: "local files",
        storage: local_storage(dir),
        open: Box::new(move || stores::open(&url, stores::StoreOptions::default()).unwrap()),
    }
}

#[test]
fn crash_test_on_local_files() {
    let dir = run_dir();
    let bucket = local_bucket(dir.path());
    crash_run(dir.path(), &bucket, Topology::Standalone);
}

#[test]
fn crash_test_remote_workers_on_local_files() {
    let dir = run_dir();
    let bucket = local_bucket(dir.path());
    crash_run(dir.path(), &bucket, Topology::Remote);
}

#[test]
fn crash_test_on_s3_moto() {
    let server =
        stores::moto::MotoServer::start("crash").unwrap_or_else(|error| panic!("S3 leg: {error}"));
    let s3 = server.s3_config("crash");
    let storage = format!(
        "[storage]\nurl = \"s3://{}/{}\"\n\n[aws]\nendpoint = \"{}\"\nregion = \"us-east-1\"\n\
access_key_id = \"testing\"\nsecret_access_key = \"testing\"\nallow_http = true\n",
        s3.bucket,
        s3.prefix,
        server.endpoint()
    );
    let bucket = Bucket {
        name: "s3 (moto)",
        storage,
        open: Box::new(move || {
            stores::RealStore::Native(
                stores::open_s3(&s3, stores::StoreOptions::default()).unwrap(),
            )
        }),
    };
    let dir = run_dir();
    crash_run(dir.path(), &bucket, Topology::Standalone);
}

/// The run's directory (bucket, configs, logs); kept with `SEDIMENT_CRASH_KEEP=1`.
fn run_dir() -> tempfile::TempDir {
    let mut dir = tempfile::Builder::new()
        .prefix("sediment-crash-")
        .tempdir()
        .unwrap();
    if std::env::var_os("SEDIMENT_CRASH_KEEP").is_some() {
        dir.disable_cleanup(true);
        eprintln!("crash run directory: {}", dir.path().display());
    }
    dir
}

fn crash_run(dir: &Path, bucket: &Bucket, topology: Topology) {
    let kills = env_u64("SEDIMENT_CRASH_KILLS", 20);
    let seed = env_u64("SEDIMENT_CRASH_SEED", 1);
    let started = Instant::now();
    let first_port = free_port();
    let mut cluster = Cluster::start(dir, topology, &bucket.storage, first_port);
    let shared = Arc::new(Shared {
        port: AtomicU16::new(first_port),
        stop: AtomicBool::new(false),
        next_client: AtomicU64::new(1),
        recorder: Recorder::new(),
        zombies_stopped_across_takeover: AtomicU64::new(0),
    });
    drop(connect(first_port));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let shared = shared.clone();
            std::thread::spawn(move || client_loop(shared, seed * 1000 + i))
        })
        .collect();
    let kill_count = inject_faults(&shared, &mut cluster, &bucket.storage, seed, kills);
    std::thread::sleep(Duration::from_millis(1000));
    shared.stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    final_reads(&shared);
    let history = shared.recorder.history();
    let report = check(&KvRegisterModel::new(), &history, &CheckOptions::default());
    let acked = shared.recorder.acked_writes();
    println!(
        "crash test [{} {}] seed {seed}: {kill_count} SIGKILLs (+1 SIGSTOP zombie, successor opened while it was stopped: {}), {} operations, {acked} acknowledged writes, C1 {}",
        bucket.name,
        topology_name(topology),
        shared
            .zombies_stopped_across_takeover
            .load(Ordering::SeqCst)
            > 0,
        history.len(),
        report.verdict.name()
    );
    assert!(
        matches!(report.verdict, Verdict::Linearizable),
        "C1: {}",
        report.verdict
    );
    let c4 = check_c4(&cluster.config, L0_TRIGGER);
    let worker_jobs = cluster.worker_jobs();
    let worker_starts = cluster.worker_starts;
    // C3 on the bucket at rest (SIGKILL: a crash leaves it as it is); with GC running, a
    // checkpoint the newest manifest lists may expire between the two reads.
    drop(cluster);
    let c3 = check_c3(&(bucket.open)());
    println!(
        "C4: L0 under {L0_TRIGGER} and pending deletions drained after {:.1}s; C3: {c3} referenced tables all present",
        c4.as_secs_f64()
    );
    if topology == Topology::Remote {
        println!("remote: {worker_jobs} jobs finished by {worker_starts} worker processes");
        assert!(worker_jobs > 0, "no worker ran a job");
    }
    println!("run took {:.1}s", started.elapsed().as_secs_f64());
}

fn topology_name(topology: Topology) -> &'static str {
    match topology {
        Topology::Standalone => "standalone compactor",
        Topology::Remote => "remote workers",
    }
}

/// SIGKILLs and restarts at seeded moments: the writer two times in three, else the
/// compactor or a worker; the zombie episode halfway. Returns the SIGKILLs sent.
fn inject_faults(
    shared: &Shared,
    cluster: &mut Cluster,
    storage: &str,
    seed: u64,
    kills: u64,
) -> u64 {
    let mut rng = Rng(seed);
    let mut kill_count = 0u64;
    let zombie_at = kills / 2;
    for round in 0..kills {
        std::thread::sleep(Duration::from_millis(150 + rng.below(300)));
        if round == zombie_at {
            kill_count += zombie_episode(shared, cluster, storage);
        }
        if rng.below(3) < 2 {
            cluster.writer.kill();
            cluster.writer = cluster.spawn_writer(&cluster.config);
        } else {
            cluster.restart_background(rng.below(WORKERS as u64) as usize);
        }
        kill_count += 1;
    }
    kill_count
}

/// Final reads of every key, by a fresh client after everything else.
fn final_reads(shared: &Shared) {
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
}

/// True once the writer on `port` answers INFO (PING is answered before it opened; INFO
/// only after it has, and so fenced its predecessor), within `wait`.
fn writer_opened(port: u16, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    while Instant::now() < deadline {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(10));
        if let Ok(mut connection) = client.get_connection_with_timeout(left) {
            connection.set_read_timeout(Some(left)).unwrap();
            if let Ok(info) = redis::cmd("INFO").query::<String>(&mut connection) {
                return info.contains("writer_epoch:");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// SIGSTOP the writer, start a successor on other ports, SIGCONT the old one: its next
/// write must be refused (it must neither acknowledge nor publish), then it is killed. With
/// remote compaction the workers are restarted on the successor's address (SIGKILLs too,
/// returned).
fn zombie_episode(shared: &Shared, cluster: &mut Cluster, storage: &str) -> u64 {
    let old_port = shared.port.load(Ordering::SeqCst);
    signal(&cluster.writer, "STOP");
    let new_port = free_port();
    let new_dir = cluster.dir.join(format!("successor-{new_port}"));
    std::fs::create_dir_all(&new_dir).unwrap();
    // The same bucket, other listen addresses.
    let mut text = std::fs::read_to_string(&cluster.config).unwrap().replace(
        &format!("127.0.0.1:{old_port}\""),
        &format!("127.0.0.1:{new_port}\""),
    );
    if let Some(start) = text.find("[remote]\nlisten = \"127.0.0.1:") {
        let line_end = start + text[start..].find("\"\n").unwrap();
        let address_start = start + "[remote]\nlisten = \"".len();
        text.replace_range(
            address_start..line_end,
            &format!("127.0.0.1:{}", free_port()),
        );
    }
    assert!(text.contains(storage), "the successor uses the same bucket");
    let new_config = new_dir.join("sediment.toml");
    std::fs::write(&new_config, text).unwrap();
    let successor = cluster.spawn_writer(&new_config);
    // A writer stopped while it held one of the local-files store's lock stripes blocks
    // every other process's requests on that stripe: then the old one is resumed before
    // the successor can open. Either way the check below runs once the successor is open.
    let opened_while_stopped = writer_opened(new_port, Duration::from_secs(3));
    signal(&cluster.writer, "CONT");
    if !opened_while_stopped {
        assert!(
            writer_opened(new_port, Duration::from_secs(60)),
            "the successor never opened"
        );
    }
    shared.port.store(new_port, Ordering::SeqCst);
    shared
        .zombies_stopped_across_takeover
        .fetch_add(u64::from(opened_while_stopped), Ordering::SeqCst);
    let mut zombie = connect(old_port);
    zombie
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let refused: redis::RedisResult<()> = zombie.set("k00", 999_999_999u64);
    let error = refused.expect_err("a zombie writer acknowledged a write");
    assert!(error.to_string().contains("FENCED"), "{error}");
    let read: redis::RedisResult<Option<u64>> = zombie.get("k00");
    assert!(read.is_err(), "a zombie writer served a read");
    drop(std::mem::replace(&mut cluster.writer, successor));
    cluster.config = new_config;
    if cluster.topology != Topology::Remote {
        return 0;
    }
    for index in 0..cluster.background.len() {
        cluster.restart_background(index);
    }
    cluster.background.len() as u64
}
