//! One compaction job, shared by the writer's embedded compactor and the standalone
//! compactor: plan → fetch inputs → merge → upload outputs ([`run`]) → install by manifest
//! CAS ([`install_job`]). One implementation, so both hosts obey the same protocol.
//!
//! A job is plain data fixed when it starts: the plan, the inputs' metadata as the manifest
//! it was picked from lists them, the block of output ids reserved for it, and everything
//! the merge needs (SST options, retry policy, the `now_ms` its outputs are stamped with). Running it
//! borrows no host state, so a host may run several at once. The TTL filter alone reads the
//! running node's clock, as the merge starts.

mod cleanup;
mod error;
mod install;
mod log_liveness;
mod run;
#[cfg(test)]
mod ttl_filter_tests;
#[cfg(feature = "bugs")]
mod unchecked;

pub use cleanup::delete_tables;
pub use error::JobError;
pub use install::{
    InputCheck, InstallError, InstallOutcome, InstallRefusal, InstallRequest, decide_install,
    install_job, install_remote_result,
};
pub use log_liveness::{Liveness, learn_liveness};
pub use run::{fetch_inputs, merge_inputs, run, run_cached, upload_outputs};

use crate::compaction::log::LogCompactionType;
use crate::compaction::{
    CompactionPlan, CompactionReason, CompactionStats, CompactionStyle, PlanError,
};
use crate::entry::WallMs;
use crate::ids::{Epoch, IdRole, SstId};
use crate::manifest::Manifest;
use crate::roles::retry::RetryPolicy;
use crate::sst::{SstMeta, SstOptions};
use bytes::Bytes;

/// The output ids a job may use: `SstId::compose(Compactor, compactor_epoch, counter)` for
/// `counter` in `first_counter..first_counter + count_max`, reserved when the job starts so
/// concurrent jobs of one incarnation never share an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputIds {
    pub compactor_epoch: Epoch,
    pub first_counter: u64,
    pub count_max: u64,
}

impl OutputIds {
    /// The `index`th id of the block; `None` past the block or the id's bit budget.
    pub fn nth(&self, index: u64) -> Option<SstId> {
        if index >= self.count_max {
            return None;
        }
        let counter = self.first_counter.checked_add(index)?;
        SstId::compose(IdRole::Compactor, self.compactor_epoch, counter)
    }
}

/// A compaction decided and ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactionJob {
    pub plan: CompactionPlan,
    /// Every input's metadata, as the manifest the plan was picked from lists it.
    pub inputs: Vec<SstMeta>,
    /// Log scan and lookup: the rest of the log (L0 tables that are not inputs, newest
    /// first) in the manifest the plan was picked from, where liveness looks. Empty
    /// otherwise.
    pub newer_segments: Vec<SstMeta>,
    pub output_ids: OutputIds,
    pub sst: SstOptions,
    pub retry: RetryPolicy,
    /// The wall clock of the host when the job started: the outputs' `created_at_ms` use
    /// it. The TTL filter judges by the clock of the node running the merge, read then
    /// ([`merge_inputs`]).
    pub now_ms: WallMs,
    /// Whether the merge runs the TTL filter ([`expires_by_ttl`]).
    pub expire_by_ttl: bool,
    /// Prefix of the write tags of this job's uploads; unique to the job.
    pub write_tag: String,
}

/// Everything about a job but its plan and inputs: where outputs go and how to build them.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSettings {
    pub output_ids: OutputIds,
    pub sst: SstOptions,
    pub retry: RetryPolicy,
    pub now_ms: WallMs,
    pub write_tag: String,
}

impl CompactionJob {
    /// The job running `plan`, picked by `style` from `manifest`. Fails when an input is
    /// not live in `manifest`.
    pub fn new(
        plan: CompactionPlan,
        manifest: &Manifest,
        style: &CompactionStyle,
        settings: JobSettings,
    ) -> Result<CompactionJob, PlanError> {
        let mut inputs = Vec::with_capacity(plan.input_count());
        for id in plan.input_ids() {
            let Some((_, meta)) = manifest.find_live(id) else {
                return Err(PlanError::InputNotLive { id });
            };
            inputs.push(meta.clone());
        }
        // Paired with `assert_plan_well_formed`: a plan names each input once.
        assert_eq!(inputs.len(), plan.input_count());
        let newer_segments = newer_segments(&plan, manifest);
        Ok(CompactionJob {
            plan,
            inputs,
            newer_segments,
            output_ids: settings.output_ids,
            sst: settings.sst,
            retry: settings.retry,
            now_ms: settings.now_ms,
            expire_by_ttl: expires_by_ttl(style),
            write_tag: settings.write_tag,
        })
    }

    pub fn compactor_epoch(&self) -> Epoch {
        self.output_ids.compactor_epoch
    }

    /// Scan or lookup for a log job that copies live records; `None` otherwise.
    pub fn log_strategy(&self) -> Option<LogCompactionType> {
        log_strategy(&self.plan)
    }
}

fn log_strategy(plan: &CompactionPlan) -> Option<LogCompactionType> {
    match plan.reason {
        CompactionReason::LogScan => Some(LogCompactionType::Scan),
        CompactionReason::LogLookup => Some(LogCompactionType::Lookup),
        _ => None,
    }
}

/// A job's result before install: the uploaded outputs (encoded, with metadata, in key
/// order; none for a move or a deletion) and the statistics.
#[derive(Clone, Debug)]
pub struct JobOutput {
    pub outputs: Vec<(Bytes, SstMeta)>,
    pub stats: CompactionStats,
}

impl JobOutput {
    /// The outputs' metadata, as the install edit takes it.
    pub fn output_metas(&self) -> Vec<SstMeta> {
        self.outputs.iter().map(|(_, meta)| meta.clone()).collect()
    }

    pub fn output_bytes(&self) -> u64 {
        self.outputs
            .iter()
            .fold(0u64, |sum, (_, meta)| sum.saturating_add(meta.size_bytes))
    }
}

/// The log segments a log-style plan's liveness step reads: every segment of `manifest`'s
/// log that is not a candidate (empty for every other plan).
pub(crate) fn newer_segments(plan: &CompactionPlan, manifest: &Manifest) -> Vec<SstMeta> {
    if log_strategy(plan).is_none() {
        return Vec::new();
    }
    let ids = plan.input_ids();
    let rest: Vec<SstMeta> = manifest
        .l0
        .iter()
        .filter(|sst| !ids.contains(&sst.id))
        .cloned()
        .collect();
    // The log picker takes the oldest segments, so every other one is newer: only then
    // does a key found in them shadow the candidate's version.
    let inputs_newest = manifest
        .l0
        .iter()
        .filter(|sst| ids.contains(&sst.id))
        .map(|sst| sst.largest_seq)
        .max();
    assert!(
        rest.iter()
            .all(|sst| Some(sst.largest_seq) >= inputs_newest)
    );
    rest
}

/// Whether merges of `style` run the TTL compaction filter ([`crate::merge::TtlFilter`]):
/// RocksDB's `DBWithTTL` installs its TTL compaction filter on every compaction, and here
/// every put carries its own optional expiry, so the filter is always on where a merge
/// takes a per-entry filter — leveled, universal and FIFO (whatever FIFO's `ttl_ms`, which
/// ages whole files). An expired put becomes a tombstone above the bottommost level (it
/// still shadows older versions below) and is dropped at it; a put without an expiry is
/// never removed, so a store without TTL writes the same tables as with no filter. The log
/// style's merges filter by liveness instead; there expired puts are hidden by reads only.
pub fn expires_by_ttl(style: &CompactionStyle) -> bool {
    !matches!(style, CompactionStyle::Log(_))
}
