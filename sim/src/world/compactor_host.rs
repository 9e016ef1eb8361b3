//! The standalone compactor's nodes (topology `standalone`): the writer runs with
//! `no_compactor` and a compactor on its own node coordinates with it only through the
//! manifest, as `zerofs compactor` does on SlateDB. Two nodes exist so that a compactor
//! paused past the failover timeout is replaced by one on the other node; when the paused
//! one wakes it is a zombie whose installs the manifest refuses (compactor epoch), and it
//! exits once it notices.

use super::options::compactor_options;
use super::protocol::compactor_node_name;
use super::shared::Shared;
use crate::clock::SimClock;
use crate::store::SimStore;
use lsm_core::roles::compaction_job::{CompactionJob, JobOutput};
use lsm_core::roles::compactor::CompactorError;
use lsm_core::roles::compactor::{Compactor, CompactorOptions, JobOutcome, run_job};
use lsm_core::roles::manifest_io::ManifestIoError;
use std::sync::Arc;
use std::time::Duration;

const OPEN_ATTEMPTS_MAX: u32 = 1_000;
const OPEN_RETRY_DELAY: Duration = Duration::from_millis(200);

type HostCompactor = Compactor<SimStore, SimClock>;

/// One compactor node's life: open (fence older compactors), then pick, run and install
/// jobs until fenced; reopen if still the active node, exit otherwise.
pub async fn compactor_main(shared: Arc<Shared>, store: SimStore, clock: SimClock, index: usize) {
    let name = compactor_node_name(index);
    let options = compactor_options(&shared.config);
    let poll = Duration::from_millis(shared.config.lsm.compactor_poll_ms.max(1));
    // The log style compacts every `log_compaction_frequency_ms` on this node's clock.
    let poll = super::log_style::compaction_period(&shared.config).unwrap_or(poll);
    while shared.active_compactor() == index {
        let incarnation = shared.next_node_incarnation(&name);
        let tag = format!("{name}/i{incarnation}");
        let Some(mut compactor) = open(&shared, &store, &clock, &options, &tag).await else {
            return;
        };
        run(&shared, &store, &clock, &mut compactor, &tag, poll).await;
        shared.count(|c| c.compactors_fenced += 1);
        shared.note(&name, "compactor_fenced", tag);
    }
}

async fn open(
    shared: &Shared,
    store: &SimStore,
    clock: &SimClock,
    options: &CompactorOptions,
    tag: &str,
) -> Option<HostCompactor> {
    for attempt in 0..OPEN_ATTEMPTS_MAX {
        let attempt_tag = format!("{tag}/a{attempt}");
        let opened =
            Compactor::open(store.clone(), clock.clone(), options.clone(), &attempt_tag).await;
        match opened {
            Ok(compactor) => {
                shared.count(|c| c.compactor_opens += 1);
                shared.note(
                    tag,
                    "compactor_open",
                    format!("epoch={}", compactor.epoch()),
                );
                return Some(compactor);
            }
            Err(error) => {
                shared.count(|c| c.compactor_open_failures += 1);
                shared.note(tag, "compactor_open_failed", error.to_string());
                madsim::time::sleep(OPEN_RETRY_DELAY).await;
            }
        }
    }
    None
}

/// Runs jobs until this incarnation is fenced: each round starts every job the picker
/// allows (up to `max_concurrent_compactions`, on non-overlapping inputs), runs them at once
/// on their own tasks, then installs them one by one in start order.
async fn run(
    shared: &Shared,
    store: &SimStore,
    clock: &SimClock,
    compactor: &mut HostCompactor,
    tag: &str,
    poll: Duration,
) {
    loop {
        if let Err(error) = compactor.refresh().await {
            if error.is_fenced() {
                return;
            }
            shared.note(tag, "compactor_refresh_failed", error.to_string());
            madsim::time::sleep(poll).await;
            continue;
        }
        let running = start_jobs(shared, store, clock, compactor, tag);
        if running.is_empty() {
            madsim::time::sleep(poll).await;
            continue;
        }
        shared.count(|c| {
            c.compactor_jobs_at_once_max = c.compactor_jobs_at_once_max.max(running.len() as u64)
        });
        // The tag is `<node>/i<incarnation>`.
        let name = tag.split('/').next().unwrap_or(tag);
        shared.coverage.set_activity(name, Some("compaction"));
        clock.note_jumps();
        let jumps_before = clock.jumps_applied();
        let Some(finished) = finish_jobs(shared, compactor, tag, running).await else {
            // The node is being killed: its tasks end with it.
            return;
        };
        clock.note_jumps();
        if clock.jumps_applied() != jumps_before {
            shared.coverage.hit("clock-jump", "compaction");
        }
        shared.coverage.set_activity(name, None);
        if finished.fenced {
            return;
        }
        if finished.failed {
            madsim::time::sleep(poll).await;
        }
    }
}

type RunningJob = madsim::task::JoinHandle<(CompactionJob, Result<JobOutput, CompactorError>)>;

/// Starts every job the compactor will start now, each in its own task.
fn start_jobs(
    shared: &Shared,
    store: &SimStore,
    clock: &SimClock,
    compactor: &mut HostCompactor,
    tag: &str,
) -> Vec<RunningJob> {
    let mut running = Vec::new();
    loop {
        let job = match compactor.start_job() {
            Ok(Some(job)) => job,
            Ok(None) => return running,
            Err(error) => {
                shared.note(tag, "compactor_start_failed", error.to_string());
                return running;
            }
        };
        let (store, clock) = (store.clone(), clock.clone());
        running.push(madsim::task::spawn(async move {
            let result = run_job(&store, &clock, &job).await;
            (job, result)
        }));
    }
}

/// How one round of jobs ended.
struct Finished {
    fenced: bool,
    failed: bool,
}

/// Installs every running job's result in start order; `None` when the node is being
/// killed (its tasks end with it).
async fn finish_jobs(
    shared: &Shared,
    compactor: &mut HostCompactor,
    tag: &str,
    running: Vec<RunningJob>,
) -> Option<Finished> {
    let mut finished = Finished {
        fenced: false,
        failed: false,
    };
    for task in running {
        let Ok((job, result)) = task.await else {
            return None;
        };
        let outcome = compactor.finish_job(job, result).await;
        shared.set_compactor_stats(tag, compactor.stats());
        match outcome {
            Ok(outcome) => record_installed(shared, tag, outcome),
            Err(error) if error.is_fenced() => finished.fenced = true,
            Err(error) => {
                if let CompactorError::Manifest(ManifestIoError::Rejected(rejected)) = &error
                    && !rejected.is_fenced()
                {
                    shared.edit_refused(tag, rejected.to_string());
                }
                shared.count(|c| c.compactor_jobs_failed += 1);
                shared.note(tag, "compaction_failed", error.to_string());
                finished.failed = true;
            }
        }
    }
    Some(finished)
}

fn record_installed(shared: &Shared, tag: &str, outcome: JobOutcome) {
    match outcome {
        JobOutcome::Installed {
            stats,
            manifest_version,
        } => {
            super::log_style::record_cost(shared, &stats);
            shared.count(|c| c.compactor_output_bytes += stats.output_bytes);
            shared.note(
                tag,
                "compaction",
                format!(
                    "{:?} {:?} to L{} inputs={} outputs={} v{}",
                    stats.kind,
                    stats.reason,
                    stats.output_level,
                    stats.input_files,
                    stats.output_files,
                    manifest_version.0
                ),
            );
        }
        JobOutcome::Stale { id } => {
            shared.note(
                tag,
                "compaction_stale",
                format!("input {id} no longer live"),
            );
        }
    }
}
