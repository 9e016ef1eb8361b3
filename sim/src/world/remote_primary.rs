//! The writer host as remote compaction's primary (topology `remote`): between requests it
//! hands results to core's `RemotePrimary` (validate, copy, install, purge), acknowledges
//! them, lets it expire and reschedule jobs, and sends new jobs to the workers round-robin.
//! Jobs and results travel as core's versioned bincode messages over madsim's network.

use super::config::WorldConfig;
use super::mailbox::Mailbox;
use super::protocol::{REMOTE_JOB_TAG, REMOTE_RESULT_TAG, remote_ack_tag, worker_address};
use super::shared::Shared;
use crate::clock::SimClock;
use bytes::Bytes;
use lsm_core::roles::remote::{decode_result, encode_job};
use lsm_core::roles::writer::{RemoteOptions, RemotePrimary, ResultVerdict, Writer, WriterError};
use madsim::net::Endpoint;
use std::net::SocketAddr;
use std::time::Duration;

/// How often a primary with nothing else to do looks at its jobs and results.
pub const REMOTE_POLL: Duration = Duration::from_millis(100);
/// Results handled per step at most (a bound; the rest wait for the next step).
const RESULTS_PER_STEP_MAX: usize = 16;

pub type ResultInbox = Mailbox<(Bytes, SocketAddr)>;

/// The remote options of this world.
pub fn remote_options(config: &WorldConfig) -> RemoteOptions {
    let remote = &config.lsm.remote;
    let timeout = Duration::from_millis(remote.job_timeout_ms);
    RemoteOptions {
        job_timeout: timeout,
        fallback: remote.fallback,
        remote_attempts_max: remote.remote_attempts_max,
        jobs_in_flight_max: remote.jobs_in_flight_max,
        abandoned_keep: timeout.saturating_mul(4),
        closed_keep: 256,
        tmp_sweep_interval: Duration::from_secs(5),
    }
}

/// Moves results from the network into the inbox for the lifetime of the process.
pub async fn receive_results(endpoint: Endpoint, inbox: ResultInbox) {
    loop {
        let Ok((payload, from)) = endpoint.recv_from_raw(REMOTE_RESULT_TAG).await else {
            return;
        };
        if let Ok(bytes) = payload.downcast::<Bytes>() {
            // A full inbox drops the result; the worker sends it again.
            let _ = inbox.push((*bytes, from));
        }
    }
}

/// One primary incarnation's remote state.
pub struct PrimaryHost {
    primary: RemotePrimary,
    next_worker: usize,
}

impl PrimaryHost {
    pub fn new<S: lsm_core::store::ObjectStore>(
        config: &WorldConfig,
        writer: &Writer<S, SimClock>,
    ) -> PrimaryHost {
        PrimaryHost {
            primary: RemotePrimary::new(remote_options(config), writer.compactor_epoch()),
            next_worker: 0,
        }
    }

    /// Handles waiting results, then expires, reschedules and sends jobs. Errors are the
    /// writer's terminal ones.
    pub async fn step<S: lsm_core::store::ObjectStore>(
        &mut self,
        shared: &Shared,
        writer: &mut Writer<S, SimClock>,
        inbox: &ResultInbox,
        endpoint: &Endpoint,
        tag: &str,
    ) -> Result<(), WriterError> {
        let stepped = self.step_inner(shared, writer, inbox, endpoint, tag).await;
        let stats = self.primary.stats();
        shared.remote(|tally| {
            tally.primaries.insert(tag.to_string(), stats);
        });
        stepped
    }

    async fn step_inner<S: lsm_core::store::ObjectStore>(
        &mut self,
        shared: &Shared,
        writer: &mut Writer<S, SimClock>,
        inbox: &ResultInbox,
        endpoint: &Endpoint,
        tag: &str,
    ) -> Result<(), WriterError> {
        for (bytes, from) in inbox.drain(RESULTS_PER_STEP_MAX) {
            let result = match decode_result(&bytes) {
                Ok(result) => result,
                Err(error) => {
                    shared.remote(|tally| tally.results_undecodable += 1);
                    shared.note(tag, "remote_result_undecodable", error.to_string());
                    continue;
                }
            };
            let job = result.job;
            let verdict = self.primary.on_result(writer, result).await?;
            // Handled (whatever the verdict): the worker may stop re-sending it.
            let _ = endpoint
                .send_to_raw(from, remote_ack_tag(job), Box::new(()))
                .await;
            if let ResultVerdict::RefusedInvalid { detail } = &verdict {
                shared.edit_refused(tag, detail.clone());
            }
            record(shared, tag, &job.to_string(), &verdict);
        }
        let dispatches = self.primary.poll(writer).await?;
        let workers = shared.config.lsm.remote.workers.max(1);
        for dispatch in dispatches {
            let Ok(bytes) = encode_job(&dispatch.job) else {
                continue;
            };
            let worker = self.next_worker % workers;
            self.next_worker = self.next_worker.wrapping_add(1);
            shared.note(
                tag,
                "remote_scheduled",
                format!(
                    "{} attempt={} worker={worker} inputs={} v{}",
                    dispatch.job.id,
                    dispatch.attempt,
                    dispatch.job.plan.input_count(),
                    dispatch.job.manifest_version.0
                ),
            );
            // A send to a dead worker is lost; the job's timeout covers it.
            let _ = endpoint
                .send_to_raw(worker_address(worker), REMOTE_JOB_TAG, Box::new(bytes))
                .await;
        }
        Ok(())
    }
}

/// Traces a verdict and records its latencies.
fn record(shared: &Shared, tag: &str, job: &str, verdict: &ResultVerdict) {
    let detail = match verdict {
        ResultVerdict::Installed {
            outputs,
            late,
            install_latency,
            job_latency,
            ..
        } => {
            let (install_ms, job_ms) = (install_latency.as_millis(), job_latency.as_millis());
            shared.remote(|tally| {
                let _ = tally.install_latency_ms.record((install_ms as u64).max(1));
                let _ = tally.job_latency_ms.record((job_ms as u64).max(1));
            });
            format!(
                "installed outputs={outputs} late={late} install_ms={install_ms} job_ms={job_ms}"
            )
        }
        other => format!("{other:?}"),
    };
    shared.note(tag, "remote_result", format!("{job} {detail}"));
}
