//! Starting `sediment` processes on a temporary bucket, and a client for them.
#![allow(dead_code)]

pub mod checks;
pub mod history;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn sediment() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sediment"))
}

/// Ports handed out lie below Linux's ephemeral range (32768..61000): a port from that
/// range can be taken as the local port of any outgoing connection (thousands of client
/// reconnects in the crash test) before a restarted server binds it again.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A port nobody listens on right now, drawn at random below the ephemeral range.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    let state = RandomState::new();
    for attempt in 0u32..1_000 {
        let draw = state.hash_one((std::process::id(), attempt));
        let port = PORTS.start + (draw % u64::from(PORTS.end - PORTS.start)) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {PORTS:?}");
}

/// Writes a config for a file:// bucket under `dir` with `lsm` lines added.
pub fn write_config(dir: &Path, port: u16, lsm: &str) -> PathBuf {
    write_config_with(dir, &local_storage(dir), port, lsm, "")
}

/// The `[storage]` table of a file:// bucket under `dir` (created).
pub fn local_storage(dir: &Path) -> String {
    let bucket = dir.join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket directory");
    format!("[storage]\nurl = \"file://{}\"\n", bucket.display())
}

/// The `[remote]` table: remote compaction, workers connect to `port`.
pub fn remote_table(port: u16, job_timeout_ms: u64) -> String {
    format!("[remote]\nlisten = \"127.0.0.1:{port}\"\njob_timeout_ms = {job_timeout_ms}\n")
}

/// Writes `dir/sediment.toml`: `storage` (its tables), `[lsm]` with `lsm` lines, `[server]`
/// on `port`, then `extra` tables.
pub fn write_config_with(dir: &Path, storage: &str, port: u16, lsm: &str, extra: &str) -> PathBuf {
    let text =
        format!("{storage}\n[lsm]\n{lsm}\n\n[server]\nlisten = \"127.0.0.1:{port}\"\n\n{extra}");
    let path = dir.join("sediment.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

/// A child process killed when dropped.
pub struct Process(pub Child);

impl Process {
    /// SIGKILL, then wait for it (a no-op once it is gone).
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn spawn(args: &[&str], config: &Path) -> Process {
    let child = sediment()
        .args(args)
        .arg("-c")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sediment");
    Process(child)
}

/// Like [`spawn`], with stderr appended to `log`.
pub fn spawn_logged(args: &[&str], config: &Path, log: &Path) -> Process {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the log");
    let child = sediment()
        .args(args)
        .arg("-c")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("start sediment");
    Process(child)
}

/// Lines of `log` that contain `needle` (0 when there is no log).
pub fn count_lines(log: &Path, needle: &str) -> usize {
    std::fs::read_to_string(log)
        .map(|text| text.lines().filter(|line| line.contains(needle)).count())
        .unwrap_or(0)
}

/// Connects once the server answers PING.
pub fn connect(port: u16) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut connection) = client.get_connection()
            && redis::cmd("PING").query::<String>(&mut connection).is_ok()
        {
            return connection;
        }
        assert!(Instant::now() < deadline, "the server never answered PING");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `name:value` field of an INFO text.
pub fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .map(|value| value.trim().to_string())
}
