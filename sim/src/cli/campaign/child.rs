//! One seed of a campaign in its own child process (madsim keeps global state between runs
//! in one process): `sim --seed N --json <run options>`, killed past the wall-clock limit.

use super::stop::Stop;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often a running child is polled for its exit.
const POLL: Duration = Duration::from_millis(20);
/// Bytes of a child's stderr kept for the report of a crash.
const STDERR_TAIL_BYTES: usize = 2_000;

/// A failed check (or "timeout", "crashed" for a child that did not report).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckFailure {
    pub check: String,
    pub detail: String,
}

/// One line of a campaign's JSON-lines results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    /// "pass" or "fail".
    pub verdict: String,
    pub failures: Vec<CheckFailure>,
    /// The command that replays this seed alone.
    pub replay: String,
    pub wall_time_s: f64,
    #[serde(default)]
    pub sim_time_s: f64,
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub faults: BTreeMap<String, u64>,
    #[serde(default)]
    pub coverage: BTreeMap<String, u64>,
}

impl SeedResult {
    pub fn passed(&self) -> bool {
        self.verdict == "pass"
    }

    /// Whether a named check failed (not a timeout or a crash of the child).
    pub fn caught_by_check(&self) -> bool {
        self.failures
            .iter()
            .any(|failure| failure.check != "timeout" && failure.check != "crashed")
    }

    fn failed(seed: u64, replay: String, wall_time_s: f64, check: &str, detail: String) -> Self {
        SeedResult {
            seed,
            verdict: "fail".to_string(),
            failures: vec![CheckFailure {
                check: check.to_string(),
                detail,
            }],
            replay,
            wall_time_s,
            sim_time_s: 0.0,
            digest: String::new(),
            faults: BTreeMap::new(),
            coverage: BTreeMap::new(),
        }
    }
}

/// Runs `exe --seed seed --json options...`, at most `limit` of wall time. The child stays
/// in the caller's process group, so a terminal's Ctrl-C stops it with the caller.
pub fn run_seed(
    exe: &Path,
    seed: u64,
    options: &[String],
    limit: Duration,
    replay: String,
) -> SeedResult {
    let mut command = seed_command(exe, seed, options);
    match wait_seed(&mut command, seed, limit, replay, &Stop::never()) {
        Some(result) => result,
        None => unreachable!("a run nothing stops always ends with a result"),
    }
}

/// As `run_seed`, for a campaign: the child runs in its own process group (signals go to
/// the campaign, which kills it), and a requested stop kills it and returns `None` — the
/// seed did not run, so nothing is recorded for it.
pub fn run_seed_stoppable(
    exe: &Path,
    seed: u64,
    options: &[String],
    limit: Duration,
    replay: String,
    stop: &Stop,
) -> Option<SeedResult> {
    let mut command = seed_command(exe, seed, options);
    command.process_group(0);
    wait_seed(&mut command, seed, limit, replay, stop)
}

fn seed_command(exe: &Path, seed: u64, options: &[String]) -> Command {
    let mut command = Command::new(exe);
    command
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--json")
        .args(options)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn wait_seed(
    command: &mut Command,
    seed: u64,
    limit: Duration,
    replay: String,
    stop: &Stop,
) -> Option<SeedResult> {
    let started = Instant::now();
    let exe = command.get_program().to_string_lossy().into_owned();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let detail = format!("could not start {exe}: {error}");
            return Some(SeedResult::failed(seed, replay, 0.0, "crashed", detail));
        }
    };
    // Drain both pipes on their own threads, so a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let mut stopped = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if stop.requested() || started.elapsed() > limit => {
                stopped = stop.requested();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(_) => break None,
        }
    };
    let wall_time_s = started.elapsed().as_secs_f64();
    let stdout = stdout.map(join_text).unwrap_or_default();
    let stderr = stderr.map(join_text).unwrap_or_default();
    if stopped {
        return None;
    }
    let Some(status) = status else {
        let detail = format!("killed after {:.0} s of wall time", limit.as_secs_f64());
        return Some(SeedResult::failed(
            seed,
            replay,
            wall_time_s,
            "timeout",
            detail,
        ));
    };
    Some(match parse_report(&stdout, replay.clone(), wall_time_s) {
        Some(result) => result,
        None => {
            let tail = tail(&stderr, STDERR_TAIL_BYTES);
            let detail = format!("exit status {status}, no report: {tail}");
            SeedResult::failed(seed, replay, wall_time_s, "crashed", detail)
        }
    })
}

fn drain<R: Read + Send + 'static>(mut pipe: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join_text(handle: std::thread::JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

fn tail(text: &str, bytes: usize) -> String {
    let text = text.trim();
    let start = text.len().saturating_sub(bytes);
    let start = (start..=text.len())
        .find(|index| text.is_char_boundary(*index))
        .unwrap_or(text.len());
    text[start..].to_string()
}

/// The seed's result from the child's `--json` report (its last JSON line).
fn parse_report(stdout: &str, replay: String, wall_time_s: f64) -> Option<SeedResult> {
    let line = stdout.lines().rev().find(|line| line.starts_with('{'))?;
    let report: serde_json::Value = serde_json::from_str(line).ok()?;
    let seed = report.get("seed")?.as_u64()?;
    let verdict = report.get("verdict")?.as_str()?.to_string();
    let failures = report
        .get("failures")
        .and_then(|failures| serde_json::from_value(failures.clone()).ok())
        .unwrap_or_default();
    let counts = |name: &str| -> BTreeMap<String, u64> {
        report
            .get(name)
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default()
    };
    Some(SeedResult {
        seed,
        verdict,
        failures,
        replay,
        wall_time_s,
        sim_time_s: report
            .get("sim_time_s")
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0),
        digest: report
            .get("digest")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
        faults: counts("faults"),
        coverage: counts("coverage"),
    })
}
