//! `sediment compactor`: core's standalone compactor on tokio. Each round starts every job
//! the picker allows (`max_concurrent_compactions`, non-overlapping inputs), runs them on
//! their own tasks, then installs them in start order. Fenced (a newer compactor opened),
//! the process exits; the orchestrator decides whether to start another.

use crate::options::compactor_options;
use crate::role_error::RoleError;
use crate::{config::Config, options::schedule, store::open_store};
use lsm_core::roles::compactor::{Compactor, JobOutcome, run_job};
use std::time::{Duration, Instant};
use stores::{RealStore, SystemClock};

type NodeCompactor = Compactor<RealStore, SystemClock>;

const OPEN_RETRY_DELAY: Duration = Duration::from_millis(200);
const OPEN_ATTEMPTS_MAX: u32 = 300;

/// Runs for good, or with `once` until a round finds nothing to compact; then it prints
/// what it did as JSON (bytes read and written, seconds, MB/s) on stdout.
pub async fn run_compactor(
    config: &Config,
    process_tag: &str,
    once: bool,
) -> Result<(), RoleError> {
    let store = open_store(config).map_err(RoleError::Store)?;
    let clock = SystemClock::new();
    let options = compactor_options(config);
    let poll = schedule(config).compactor_poll;
    let mut compactor = open(&store, clock, options, process_tag).await?;
    eprintln!(
        "sediment: compactor {process_tag} open: epoch {}",
        compactor.epoch()
    );
    let started = Instant::now();
    loop {
        if let Err(error) = compactor.refresh().await {
            if error.is_fenced() {
                return Err(RoleError::Fenced(error.to_string()));
            }
            eprintln!("sediment: compactor refresh failed: {error}");
            tokio::time::sleep(poll).await;
            continue;
        }
        let mut running = Vec::new();
        loop {
            match compactor.start_job() {
                Ok(Some(job)) => {
                    let (store, clock) = (store.clone(), clock);
                    running.push(tokio::spawn(async move {
                        let result = run_job(&store, &clock, &job).await;
                        (job, result)
                    }));
                }
                Ok(None) => break,
                Err(error) => return Err(RoleError::Compactor(error.to_string())),
            }
        }
        if running.is_empty() {
            if once {
                println!("{:#}", summary_json(&compactor, started));
                return Ok(());
            }
            tokio::time::sleep(poll).await;
            continue;
        }
        let mut failed = false;
        for task in running {
            let (job, result) = task
                .await
                .map_err(|error| RoleError::Compactor(format!("job task died: {error}")))?;
            match compactor.finish_job(job, result).await {
                Ok(outcome) => report(&outcome, &compactor, started),
                Err(error) if error.is_fenced() => {
                    return Err(RoleError::Fenced(error.to_string()));
                }
                Err(error) => {
                    eprintln!("sediment: compaction failed: {error}");
                    failed = true;
                }
            }
        }
        if failed {
            tokio::time::sleep(poll).await;
        }
    }
}

async fn open(
    store: &RealStore,
    clock: SystemClock,
    options: lsm_core::roles::compactor::CompactorOptions,
    tag: &str,
) -> Result<NodeCompactor, RoleError> {
    let mut last_error = String::new();
    for attempt in 0..OPEN_ATTEMPTS_MAX {
        let attempt_tag = format!("{tag}/a{attempt}");
        match Compactor::open(store.clone(), clock, options.clone(), &attempt_tag).await {
            Ok(compactor) => return Ok(compactor),
            Err(error) => {
                eprintln!("sediment: compactor open {attempt_tag} failed: {error}");
                last_error = error.to_string();
                tokio::time::sleep(OPEN_RETRY_DELAY).await;
            }
        }
    }
    Err(RoleError::Compactor(format!(
        "could not open: {last_error}"
    )))
}

/// `compactor --once`: the throughput of the installed jobs, from open to the empty round.
fn summary_json(compactor: &NodeCompactor, started: Instant) -> serde_json::Value {
    let stats = compactor.stats();
    let seconds = started.elapsed().as_secs_f64().max(1e-6);
    serde_json::json!({
        "compactions_installed": stats.compactions_installed,
        "jobs_failed": stats.jobs_failed,
        "input_bytes": stats.input_bytes,
        "output_bytes": stats.output_bytes,
        "seconds": seconds,
        "read_mb_per_s": stats.input_bytes as f64 / seconds / 1e6,
        "written_mb_per_s": stats.output_bytes as f64 / seconds / 1e6,
    })
}

/// One line per install, with the compactor's throughput so far.
fn report(outcome: &JobOutcome, compactor: &NodeCompactor, started: Instant) {
    let stats = compactor.stats();
    let seconds = started.elapsed().as_secs_f64().max(1e-3);
    match outcome {
        JobOutcome::Installed {
            stats: job,
            manifest_version,
        } => eprintln!(
            "sediment: compaction {:?} to L{} inputs={} outputs={} in={}B out={}B v{} total_in={:.2}MB/s",
            job.reason,
            job.output_level,
            job.input_files,
            job.output_files,
            job.input_bytes,
            job.output_bytes,
            manifest_version.0,
            stats.input_bytes as f64 / seconds / 1e6
        ),
        JobOutcome::Stale { id } => {
            eprintln!("sediment: compaction stale: input {id} no longer live")
        }
    }
}
