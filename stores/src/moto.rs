//! The S3 server of the S3 leg: `moto` (PyPI), installed into a virtualenv by
//! `ci/moto-venv.sh` (idempotent; the first call takes about a minute), started on
//! 127.0.0.1 on a free port with a bucket, and killed when the handle drops (also when a
//! test panics). Each test binary starts its own server on its own port, so binaries may run
//! at once. Everything that goes wrong is an error saying why: the S3 leg never skips.
//!
//! The server is moto's application behind `moto_serve.py`, which makes each writing request
//! atomic: moto's own server checks a conditional put's precondition and stores the object
//! in two steps on concurrent threads, so racing creates could both win, which S3 never lets
//! happen.

use crate::open::S3Config;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Start attempts (a free port may be taken between choosing and binding it).
const START_ATTEMPTS: u32 = 3;

/// A running moto server with one bucket. Killed on drop.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    endpoint: String,
    bucket: String,
    log: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The server: moto's application with writing requests one at a time (see the module docs).
const SERVE_SCRIPT: &str = include_str!("moto_serve.py");

/// A Python that can import moto 5: `SEDIMENT_MOTO_PYTHON` if set, else the virtualenv's that
/// `ci/moto-venv.sh` makes (or finds) under `target/`.
pub fn server_python() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var("SEDIMENT_MOTO_PYTHON") {
        return Ok(PathBuf::from(path));
    }
    let script = workspace_root().join("ci").join("moto-venv.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}); it needs python3 with venv and network access to PyPI:\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout
        .lines()
        .last()
        .ok_or_else(|| format!("{} printed no python path", script.display()))?;
    Ok(PathBuf::from(path.trim()))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|error| format!("cannot bind a local port: {error}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|error| format!("no local address: {error}"))
}

/// One plain HTTP request; the status code of the answer.
fn http_status(port: u16, method: &str, target: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    let _ = stream.shutdown(Shutdown::Both);
    let text = String::from_utf8_lossy(&head);
    text.get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl MotoServer {
    /// Installs moto if needed, starts it and creates `bucket`.
    pub fn start(bucket: &str) -> Result<MotoServer, String> {
        let python = server_python()?;
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            match MotoServer::start_on(&python, free_port()?, bucket) {
                Ok(server) => return Ok(server),
                Err(error) => last_error = error,
            }
        }
        Err(format!(
            "the moto S3 server did not start in {START_ATTEMPTS} attempts: {last_error}"
        ))
    }

    fn start_on(python: &Path, port: u16, bucket: &str) -> Result<MotoServer, String> {
        let logs = workspace_root().join("target").join("moto-logs");
        std::fs::create_dir_all(&logs)
            .map_err(|error| format!("cannot create {}: {error}", logs.display()))?;
        let log = logs.join(format!("moto-{port}.log"));
        let log_file = std::fs::File::create(&log)
            .map_err(|error| format!("cannot create {}: {error}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|error| format!("cannot share {}: {error}", log.display()))?;
        let child = Command::new(python)
            .args([
                "-c",
                SERVE_SCRIPT,
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", python.display()))?;
        let mut server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: bucket.to_string(),
            log,
        };
        server.wait_until_serving(port)?;
        Ok(server)
    }

    /// Creates the bucket as soon as the server answers (which is also the readiness probe).
    fn wait_until_serving(&mut self, port: u16) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the moto server exited ({status}) on port {port}:\n{}",
                    log_tail(&self.log)
                ));
            }
            match http_status(port, "PUT", &format!("/{}", self.bucket)) {
                Ok(200) => return Ok(()),
                Ok(status) => {
                    return Err(format!(
                        "creating bucket {} answered HTTP {status}:\n{}",
                        self.bucket,
                        log_tail(&self.log)
                    ));
                }
                Err(_) if started.elapsed() < START_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(error) => {
                    return Err(format!(
                        "the moto server on port {port} did not answer in {START_TIMEOUT:?} ({error}):\n{}",
                        log_tail(&self.log)
                    ));
                }
            }
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The S3 configuration of the bucket under `prefix` (moto accepts any credentials).
    pub fn s3_config(&self, prefix: &str) -> S3Config {
        S3Config {
            bucket: self.bucket.clone(),
            prefix: prefix.to_string(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".to_string()),
            access_key_id: Some("testing".to_string()),
            secret_access_key: Some("testing".to_string()),
            allow_http: true,
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
