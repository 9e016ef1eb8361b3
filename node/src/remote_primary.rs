//! The writer as remote compaction's primary (`[lsm] compaction = "remote"`): between
//! requests it hands the workers' results to core's `RemotePrimary` (validate, copy,
//! install, purge), lets it expire and reschedule jobs, and sends new jobs round-robin to
//! the connected workers. The transport is `remote_link`; every decision is core's.

use crate::remote_link::WorkerPool;
use crate::writer_host::NodeWriter;
use lsm_core::roles::remote::{decode_result, encode_job};
use lsm_core::roles::writer::{RemoteOptions, RemotePrimary, ResultVerdict, WriterError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often a primary with nothing else to do looks at its jobs and results.
pub const REMOTE_POLL: Duration = Duration::from_millis(100);
/// Results handled per step at most (the rest wait for the next step).
const RESULTS_PER_STEP_MAX: usize = 16;

/// What outlives a writer incarnation: the workers' connections and the results queue.
pub struct RemoteLink {
    pub options: RemoteOptions,
    pub pool: Arc<WorkerPool>,
    pub results: mpsc::UnboundedReceiver<bytes::Bytes>,
}

/// One writer incarnation's remote bookkeeping.
pub struct PrimaryHost<'a> {
    primary: RemotePrimary,
    link: &'a mut RemoteLink,
}

impl<'a> PrimaryHost<'a> {
    pub fn new(link: &'a mut RemoteLink, writer: &NodeWriter) -> PrimaryHost<'a> {
        PrimaryHost {
            primary: RemotePrimary::new(link.options, writer.compactor_epoch()),
            link,
        }
    }

    /// INFO's `# Remote` section: workers, jobs in flight and this incarnation's outcomes.
    pub fn info_section(&self) -> String {
        let s = self.primary.stats();
        let fields = [
            ("remote_workers", self.link.pool.connected() as u64),
            ("remote_in_flight", self.primary.in_flight() as u64),
            ("remote_jobs_scheduled", s.jobs_scheduled),
            ("remote_jobs_succeeded", s.jobs_succeeded),
            ("remote_jobs_failed", s.jobs_failed),
            ("remote_jobs_timed_out", s.jobs_timed_out),
            ("remote_fell_back_local", s.fell_back_local),
            ("remote_rejected_stale", s.rejected_stale),
            ("remote_rejected_corrupt", s.rejected_corrupt),
        ];
        let mut text = String::from("# Remote\r\n");
        for (name, value) in fields {
            text.push_str(&format!("{name}:{value}\r\n"));
        }
        text
    }

    /// Handles waiting results, then expires, reschedules and sends jobs. Errors are the
    /// writer's (terminal ones stop the incarnation).
    pub async fn step(&mut self, writer: &mut NodeWriter) -> Result<(), WriterError> {
        for _ in 0..RESULTS_PER_STEP_MAX {
            let Ok(bytes) = self.link.results.try_recv() else {
                break;
            };
            let result = match decode_result(&bytes) {
                Ok(result) => result,
                Err(error) => {
                    eprintln!("sediment: remote result undecodable: {error}");
                    continue;
                }
            };
            let job = result.job;
            let verdict = self.primary.on_result(writer, result).await?;
            log_verdict(&job.to_string(), &verdict);
        }
        for dispatch in self.primary.poll(writer).await? {
            let job = &dispatch.job;
            let Ok(bytes) = encode_job(job) else {
                eprintln!("sediment: remote job {} could not be encoded", job.id);
                continue;
            };
            let worker = self.link.pool.send_round_robin(bytes);
            eprintln!(
                "sediment: remote job {} attempt={} inputs={} v{} -> worker {worker:?}",
                job.id,
                dispatch.attempt,
                job.plan.input_count(),
                job.manifest_version.0
            );
        }
        Ok(())
    }
}

fn log_verdict(job: &str, verdict: &ResultVerdict) {
    match verdict {
        ResultVerdict::Installed {
            stats,
            outputs,
            late,
            job_latency,
            ..
        } => eprintln!(
            "sediment: remote job {job} installed outputs={outputs} in={}B out={}B late={late} job_ms={}",
            stats.input_bytes,
            stats.output_bytes,
            job_latency.as_millis()
        ),
        other => eprintln!("sediment: remote job {job}: {other:?}"),
    }
}
