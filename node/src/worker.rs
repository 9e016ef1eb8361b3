//! `sediment worker`: a remote compaction worker (RocksDB's OpenAndCompact). It connects to
//! the primary at `[remote] listen` (reconnecting whenever the connection is lost), runs
//! core's `RemoteWorker` on each job it receives, one task per job, and sends the result
//! back on the same connection. It never touches the manifest; whatever it wrote for a job
//! whose result is lost is collected by the primary's sweep or by GC.

use crate::config::Config;
use crate::frame::{read_frame, write_frames};
use crate::options::writer_options;
use crate::role_error::RoleError;
use crate::store::open_store;
use lsm_core::roles::remote::{RemoteJob, RemoteOutcome, RemoteWorker, decode_job, encode_result};
use lsm_core::roles::retry::RetryPolicy;
use std::time::{Duration, Instant};
use stores::{RealStore, SystemClock};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Wait between attempts to reach the primary.
const CONNECT_RETRY_DELAY: Duration = Duration::from_millis(200);

/// What every job task of one worker process needs.
#[derive(Clone)]
struct JobContext {
    store: RealStore,
    clock: SystemClock,
    retry: RetryPolicy,
    tag: String,
}

pub async fn run_worker(config: &Config, process_tag: &str) -> Result<(), RoleError> {
    let context = JobContext {
        store: open_store(config).map_err(RoleError::Store)?,
        clock: SystemClock::new(),
        retry: writer_options(config, false).retry,
        tag: process_tag.to_string(),
    };
    let primary = &config.remote.listen;
    eprintln!("sediment: worker {process_tag} connecting to the primary at {primary}");
    let mut connection = 0u64;
    loop {
        match TcpStream::connect(primary).await {
            Ok(stream) => {
                connection += 1;
                eprintln!("sediment: worker connected to {primary} (connection {connection})");
                serve_primary(stream, &context, connection).await;
                eprintln!("sediment: worker lost the primary at {primary}");
            }
            Err(_) => tokio::time::sleep(CONNECT_RETRY_DELAY).await,
        }
    }
}

/// Runs the jobs of one connection; when it ends, the jobs still running are dropped (their
/// primary is gone or will time them out).
async fn serve_primary(stream: TcpStream, context: &JobContext, connection: u64) {
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let (results, frames) = mpsc::unbounded_channel();
    let sending = tokio::spawn(write_frames(writer, frames));
    let mut jobs = JoinSet::new();
    while let Ok(Some(bytes)) = read_frame(&mut reader).await {
        match decode_job(&bytes) {
            Ok(job) => {
                let (context, results) = (context.clone(), results.clone());
                let tag = format!("{}/c{connection}", context.tag);
                jobs.spawn(async move {
                    if let Some(result) = run_job(&context, &tag, &job).await {
                        let _ = results.send(result);
                    }
                });
            }
            Err(error) => eprintln!("sediment: worker got an undecodable job: {error}"),
        }
        // Reap finished tasks so the set does not grow with the connection's age.
        while jobs.try_join_next().is_some() {}
    }
    jobs.abort_all();
    sending.abort();
}

/// Compacts one job and encodes its result (a failure is a result too). `None` if it cannot
/// be encoded: the primary's timeout then covers the job.
async fn run_job(context: &JobContext, tag: &str, job: &RemoteJob) -> Option<bytes::Bytes> {
    let started = Instant::now();
    let mut worker = RemoteWorker::new(context.store.clone(), context.clock, context.retry, tag);
    let result = worker.compact(job).await;
    let seconds = started.elapsed().as_secs_f64();
    match &result.outcome {
        RemoteOutcome::Compacted { outputs, stats } => eprintln!(
            "sediment: worker job {} outputs={} in={}B out={}B in {seconds:.3}s",
            job.id,
            outputs.len(),
            stats.input_bytes,
            stats.output_bytes
        ),
        RemoteOutcome::Failed { detail } => {
            eprintln!("sediment: worker job {} failed: {detail}", job.id)
        }
    }
    encode_result(&result)
        .inspect_err(|error| eprintln!("sediment: worker job {}: {error}", job.id))
        .ok()
}
