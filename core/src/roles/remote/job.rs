//! What travels between the primary and a worker: the job description (Schedule) and the
//! worker's result (return result). Plain data, ids and metadata only.

use crate::compaction::{CompactionPlan, CompactionStats};
use crate::entry::WallMs;
use crate::ids::{Epoch, ManifestVersion, SstId};
use crate::layout::{tmp_job_prefix, tmp_output_path};
use crate::roles::compaction_job::OutputIds;
use crate::sst::{SstMeta, SstOptions};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Names one dispatch of a remote job: the compactor epoch of the primary that scheduled it
/// and that primary's job counter. Unique without coordination (the epoch is fenced in by
/// the primary at open), and a rescheduled job gets a new id, so a late result of the first
/// dispatch is never mistaken for the second's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RemoteJobId {
    pub compactor_epoch: Epoch,
    pub counter: u64,
}

impl RemoteJobId {
    /// `tmp/<job>/`: the only place the worker writes.
    pub fn tmp_prefix(&self) -> String {
        tmp_job_prefix(self.compactor_epoch, self.counter)
    }

    /// Where output `id` of this job waits for its install.
    pub fn output_path(&self, id: SstId) -> String {
        tmp_output_path(self.compactor_epoch, self.counter, id)
    }
}

impl fmt::Display for RemoteJobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}j{}", self.compactor_epoch, self.counter)
    }
}

/// A job description: everything a worker needs to reproduce exactly the merge the primary
/// would have run locally, and nothing that lets it change the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteJob {
    pub id: RemoteJobId,
    /// The manifest version the plan was picked from; the worker opens it read-only and
    /// takes the inputs' metadata (and checksums) from it.
    pub manifest_version: ManifestVersion,
    /// Input ids, output level, bottommost flag, target file size, output time.
    pub plan: CompactionPlan,
    /// The ids the outputs must carry: a block the primary reserved under its compactor
    /// epoch, so the installed tables have ordinary, collectable ids.
    pub output_ids: OutputIds,
    /// Options that shape the merge's outputs.
    pub sst: SstOptions,
    /// The primary's wall clock at scheduling: the outputs' `created_at_ms` use it. The
    /// TTL filter does not: it judges by the clock of the worker that runs the merge.
    pub now_ms: WallMs,
    /// Whether the merge runs the TTL filter (`compaction_job::expires_by_ttl`).
    pub expire_by_ttl: bool,
    /// `tmp/<job>/`; always `id.tmp_prefix()` (checked when decoding).
    pub output_prefix: String,
}

/// What a worker reports for a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteResult {
    pub job: RemoteJobId,
    pub outcome: RemoteOutcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
// `CompactionStats` carries the log style's costs inline (it is `Copy`); one value per job.
#[allow(clippy::large_enum_variant)]
pub enum RemoteOutcome {
    /// The outputs are under the job's prefix, named by their ids, in key order; none when
    /// the merge dropped every entry.
    Compacted {
        outputs: Vec<SstMeta>,
        stats: CompactionStats,
    },
    /// The worker gave up; whatever it wrote under the prefix is garbage.
    Failed { detail: String },
}

impl RemoteResult {
    pub fn output_count(&self) -> usize {
        match &self.outcome {
            RemoteOutcome::Compacted { outputs, .. } => outputs.len(),
            RemoteOutcome::Failed { .. } => 0,
        }
    }
}
