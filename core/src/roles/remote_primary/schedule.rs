//! Schedule: expire jobs past their timeout, sweep `tmp/`, pick new jobs up to the bound on
//! jobs in flight, and hand the host what to send. Failures are handled here too: re-send
//! the plan or compact it locally.

use super::port::PrimaryPort;
use super::{Dispatch, JobRecord, JobState, RemoteFallback, RemotePrimary};
use crate::clock::Clock;
use crate::compaction::{Busy, CompactionPlan, PlanKind};
use crate::entry::WallMs;
use crate::roles::compaction_job::expires_by_ttl;
use crate::roles::remote::{RemoteJob, RemoteJobId};
use crate::roles::writer::WriterError;
use std::time::Duration;

/// Picks per poll at most (trivial moves included), a bound on the loop.
const PICKS_PER_POLL_MAX: usize = 16;

impl RemotePrimary {
    /// Expires jobs past their timeout (re-sending or compacting locally per the fallback),
    /// closes jobs abandoned too long, sweeps `tmp/` when due, and picks new jobs while
    /// fewer than `jobs_in_flight_max` are in flight. Returns the jobs to send. Errors are
    /// only the writer's terminal ones (fenced, unresolved); anything else is counted and
    /// retried by a later poll.
    pub async fn poll<P: PrimaryPort>(
        &mut self,
        port: &mut P,
    ) -> Result<Vec<Dispatch>, WriterError> {
        port.check_running()?;
        if self.compactor_epoch.is_none() || port.options().compaction.is_none() {
            return Ok(Vec::new());
        }
        self.expire(port).await?;
        let now = port.clock().monotonic();
        if now >= self.next_sweep_at {
            self.next_sweep_at = now.saturating_add(self.options.tmp_sweep_interval);
            self.sweep_tmp(port).await;
        }
        self.pick_new(port).await?;
        self.trim_closed();
        // A reschedule replaces a job that left `InFlight`, so the bound holds throughout.
        assert!(self.in_flight() <= self.options.jobs_in_flight_max.max(1));
        Ok(std::mem::take(&mut self.queued))
    }

    /// Times out jobs past their deadline and closes jobs abandoned too long.
    async fn expire<P: PrimaryPort>(&mut self, port: &mut P) -> Result<(), WriterError> {
        let now = port.clock().monotonic();
        let mut timed_out = Vec::new();
        for (counter, record) in self.jobs.iter_mut() {
            match record.state {
                JobState::InFlight if record.deadline <= now => {
                    record.state = JobState::Abandoned { since: now };
                    timed_out.push(*counter);
                }
                JobState::Abandoned { since }
                    if now.saturating_sub(since) >= self.options.abandoned_keep =>
                {
                    record.state = JobState::Closed { expired: true };
                }
                _ => {}
            }
        }
        for counter in timed_out {
            assert!(
                matches!(self.jobs[&counter].state, JobState::Abandoned { .. }),
                "a timed-out job is abandoned until its result or its expiry"
            );
            self.stats.jobs_timed_out += 1;
            if let Some(record) = self.jobs.get(&counter).cloned() {
                self.handle_failure(port, &record).await?;
            }
        }
        Ok(())
    }

    /// Re-sends `record`'s plan or compacts it locally, unless its inputs are gone.
    pub(super) async fn handle_failure<P: PrimaryPort>(
        &mut self,
        port: &mut P,
        record: &JobRecord,
    ) -> Result<(), WriterError> {
        let state = self
            .jobs
            .get(&record.job.id.counter)
            .map(|record| record.state);
        // Retried only once it left `InFlight`, so a plan is never in flight twice.
        assert_ne!(
            state,
            Some(JobState::InFlight),
            "retrying a job still in flight"
        );
        let plan = &record.job.plan;
        if !inputs_live(port, plan) {
            return Ok(());
        }
        let attempts_max = self.options.remote_attempts_max.max(1);
        let next_attempt = record.attempt.saturating_add(1);
        if self.options.fallback == RemoteFallback::Reschedule && next_attempt < attempts_max {
            let now = port.clock().monotonic();
            if let Some(job) = self.new_job(port, plan.clone(), record.job.now_ms) {
                self.stats.jobs_rescheduled += 1;
                self.register(job, next_attempt, record.first_dispatched_at, now);
                return Ok(());
            }
        }
        self.stats.fell_back_local += 1;
        self.compact_locally(port, plan.clone(), record.job.now_ms)
            .await
    }

    /// Runs `plan` on the writer's embedded compactor, if its inputs are still live.
    /// Terminal errors stop; others are counted (the picker picks the work again).
    async fn compact_locally<P: PrimaryPort>(
        &mut self,
        port: &mut P,
        plan: CompactionPlan,
        now_ms: WallMs,
    ) -> Result<(), WriterError> {
        if !inputs_live(port, &plan) {
            return Ok(());
        }
        match port.compact_plan(plan, now_ms).await.map(|_| ()) {
            Ok(()) => Ok(()),
            Err(error @ (WriterError::Fenced { .. } | WriterError::Unresolved { .. })) => {
                Err(port.stop_if_terminal(error))
            }
            Err(WriterError::Poisoned) => Err(WriterError::Poisoned),
            Err(_) => {
                self.stats.local_failures += 1;
                Ok(())
            }
        }
    }

    /// Picks new work while there is room; moves and deletions are done at once, locally.
    async fn pick_new<P: PrimaryPort>(&mut self, port: &mut P) -> Result<(), WriterError> {
        let Some(style) = port.options().compaction.clone() else {
            return Ok(());
        };
        let in_flight_max = self.options.jobs_in_flight_max.max(1);
        for _ in 0..PICKS_PER_POLL_MAX {
            if self.in_flight() >= in_flight_max {
                return Ok(());
            }
            let now_ms = port.clock().wall_ms();
            let busy = self.busy(port);
            let Some(plan) = style.pick(port.manifest(), &busy, now_ms) else {
                return Ok(());
            };
            if let Some(cursor) = &plan.round_robin_cursor {
                self.cursors.insert(plan.start_level(), cursor.clone());
            }
            if plan.kind != PlanKind::Merge {
                self.stats.local_trivial += 1;
                self.compact_locally(port, plan, now_ms).await?;
                continue;
            }
            let Some(job) = self.new_job(port, plan, now_ms) else {
                return Ok(());
            };
            let now = port.clock().monotonic();
            self.register(job, 0, now, now);
        }
        Ok(())
    }

    /// What the picker must leave alone: every open job whose inputs are all still live
    /// (a job whose inputs are gone can never install, so it blocks nothing).
    fn busy<P: PrimaryPort>(&self, port: &P) -> Busy {
        let mut busy = Busy {
            running: Vec::new(),
            round_robin_cursors: self.cursors.clone(),
        };
        for record in self.jobs.values().filter(|record| record.is_open()) {
            if inputs_live(port, &record.job.plan) {
                let mut one = Busy::new();
                one.register(&record.job.plan, port.manifest());
                busy.running.extend(one.running);
            }
        }
        busy
    }

    /// A job description for `plan` on the writer's current manifest, with a fresh id and a
    /// fresh block of the embedded compactor's output ids; `None` when the writer has no
    /// compactor epoch or the ids ran out.
    fn new_job<P: PrimaryPort>(
        &mut self,
        port: &mut P,
        plan: CompactionPlan,
        now_ms: WallMs,
    ) -> Option<RemoteJob> {
        let compactor_epoch = self.compactor_epoch?;
        let style = port.options().compaction.clone()?;
        let output_ids = port
            .reserve_output_ids()?
            .expect("a block of output ids per remote job: 2^36 jobs before they run out");
        assert_eq!(output_ids.compactor_epoch, compactor_epoch);
        let id = RemoteJobId {
            compactor_epoch,
            counter: self.next_job_counter,
        };
        self.next_job_counter = self.next_job_counter.checked_add(1)?;
        assert!(
            !self.jobs.contains_key(&id.counter),
            "a fresh job counter has no record yet"
        );
        Some(RemoteJob {
            id,
            manifest_version: port.manifest().version,
            expire_by_ttl: expires_by_ttl(&style),
            plan,
            output_ids,
            sst: port.options().sst,
            now_ms,
            output_prefix: id.tmp_prefix(),
        })
    }

    /// Records `job` as in flight and queues it for the host.
    fn register(
        &mut self,
        job: RemoteJob,
        attempt: u32,
        first_dispatched_at: Duration,
        now: Duration,
    ) {
        self.stats.jobs_scheduled += 1;
        assert!(
            job.id.counter < self.next_job_counter,
            "a registered job's counter was handed out by new_job"
        );
        let replaced = self.jobs.insert(
            job.id.counter,
            JobRecord {
                job: job.clone(),
                attempt,
                first_dispatched_at,
                deadline: now.saturating_add(self.options.job_timeout),
                state: JobState::InFlight,
            },
        );
        assert!(
            replaced.is_none(),
            "a job counter names exactly one dispatch"
        );
        self.queued.push(Dispatch { job, attempt });
    }
}

/// True when every input of `plan` is live in the writer's manifest.
pub(super) fn inputs_live<P: PrimaryPort>(port: &P, plan: &CompactionPlan) -> bool {
    plan.input_ids()
        .iter()
        .all(|id| port.manifest().is_live(*id))
}
