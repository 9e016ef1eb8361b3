//! Running a job: fetch its inputs (checked against the manifest's whole-object checksum),
//! merge them, upload the outputs create-if-absent. Never touches the manifest.

use super::{CompactionJob, JobError, JobOutput, Liveness, learn_liveness};
use crate::checksum::crc32c;
use crate::clock::Clock;
use crate::codec::DecodeError;
use crate::compaction::log::ShadowFilter;
use crate::compaction::{CompactionStats, ExecuteError, PlanKind, execute};
use crate::entry::WallMs;
use crate::ids::SstId;
use crate::layout::sst_path;
use crate::merge::{NoFilter, TtlFilter};
use crate::roles::create::{CreateOutcome, create_resolving};
use crate::roles::retry::retry_idempotent;
use crate::sst::{SstMeta, SstReader};
use crate::store::{GetRange, ObjectStore};
use std::collections::BTreeMap;

/// Fetches, merges and uploads: the whole of a job but its install.
pub async fn run<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
) -> Result<JobOutput, JobError> {
    let (output, _inputs) = run_cached(store, clock, job, &BTreeMap::new()).await?;
    Ok(output)
}

/// [`run`] with input readers taken from `cached` where present (a host that keeps a reader
/// cache, as the writer does); also returns the inputs' readers, for that cache.
pub async fn run_cached<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    cached: &BTreeMap<SstId, SstReader>,
) -> Result<(JobOutput, Vec<(SstMeta, SstReader)>), JobError> {
    let inputs = fetch_inputs(store, clock, job, cached).await?;
    let liveness = learn_liveness(store, clock, job, &inputs).await?;
    // The TTL filter judges by this node's wall clock as the merge runs, not by the
    // `now_ms` the job was stamped with where it was picked.
    let output = merge_inputs(job, &inputs, liveness, clock.wall_ms())?;
    upload_outputs(store, clock, job, &output).await?;
    Ok((output, inputs))
}

/// The readers of a merge's inputs, from `cached` or the store (checked against the
/// manifest's checksum of the whole object). A move or a deletion reads nothing.
pub async fn fetch_inputs<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    cached: &BTreeMap<SstId, SstReader>,
) -> Result<Vec<(SstMeta, SstReader)>, JobError> {
    if job.plan.kind != PlanKind::Merge {
        return Ok(Vec::new());
    }
    let mut inputs = Vec::with_capacity(job.inputs.len());
    for meta in &job.inputs {
        let reader = match cached.get(&meta.id) {
            Some(reader) => reader.clone(),
            None => fetch_input(store, clock, job, meta).await?,
        };
        inputs.push((meta.clone(), reader));
    }
    Ok(inputs)
}

async fn fetch_input<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    meta: &SstMeta,
) -> Result<SstReader, JobError> {
    let path = sst_path(meta.id);
    let got = retry_idempotent(clock, &job.retry, || store.get(&path, GetRange::Whole))
        .await
        .map_err(JobError::Store)?;
    let computed = crc32c(&got.bytes);
    if computed != meta.object_crc32c {
        let error = DecodeError::ChecksumMismatch {
            what: "sst object",
            offset: 0,
            stored: meta.object_crc32c,
            computed,
        };
        return Err(JobError::CorruptSst { path, error });
    }
    SstReader::open(got.bytes).map_err(|error| JobError::CorruptSst { path, error })
}

/// Merges `inputs` per the job's plan, naming outputs from the job's id block. Pure. A
/// move or a deletion only reports what it will change. A log scan or lookup job drops the
/// records `liveness` found shadowed and reports its cost in the stats.
/// The TTL filter (`job.expire_by_ttl`) removes puts expired by `filter_now_ms`: the wall clock
/// of the node running the merge, which the caller reads (skew there is what TTL is
/// judged by in real deployments). `job.now_ms` only stamps the outputs' `created_at_ms`,
/// so a rerun builds the same tables.
pub fn merge_inputs(
    job: &CompactionJob,
    inputs: &[(SstMeta, SstReader)],
    liveness: Option<Liveness>,
    filter_now_ms: WallMs,
) -> Result<JobOutput, JobError> {
    if job.plan.kind != PlanKind::Merge {
        return Ok(JobOutput {
            outputs: Vec::new(),
            stats: table_only_stats(job),
        });
    }
    let ids = job.output_ids;
    let mut drawn = 0u64;
    let mut next_id = || {
        let id = ids.nth(drawn);
        drawn = drawn.saturating_add(1);
        id
    };
    let (plan, now_ms, sst) = (&job.plan, job.now_ms, &job.sst);
    let log_stats = liveness.as_ref().map(|liveness| liveness.stats);
    let executed = if let Some(liveness) = liveness {
        let filter = ShadowFilter {
            shadowed: liveness.shadowed,
        };
        execute(plan, inputs, filter, now_ms, &mut next_id, sst)
    } else if job.expire_by_ttl {
        execute(
            plan,
            inputs,
            TtlFilter {
                now_ms: filter_now_ms,
            },
            now_ms,
            &mut next_id,
            sst,
        )
    } else {
        execute(plan, inputs, NoFilter, now_ms, &mut next_id, sst)
    };
    let mut output = executed.map_err(|error| match error {
        ExecuteError::OutputIdsExhausted { .. } => JobError::OutputIdsExhausted {
            compactor_epoch: ids.compactor_epoch,
            first_counter: ids.first_counter,
            count_max: ids.count_max,
        },
        error => JobError::Execute(error),
    })?;
    // Every output carries one of the job's reserved ids.
    assert!(output.outputs.len() as u64 <= ids.count_max);
    // Paired with the remote primary's `check_metadata`, which refuses a worker's outputs
    // otherwise: ids in drawing order and, at a sorted level, ranges in order.
    for pair in output.outputs.windows(2) {
        let (before, after) = (&pair[0].1, &pair[1].1);
        assert!(
            before.id < after.id,
            "outputs take the block's ids in order"
        );
        assert!(
            job.plan.output_level == 0 || before.largest_key < after.smallest_key,
            "outputs of a sorted level are ordered and do not overlap"
        );
    }
    output.stats.log = log_stats.map(|mut log| {
        log.records_copied = output.stats.merge.entries_out;
        log
    });
    Ok(JobOutput {
        outputs: output.outputs,
        stats: output.stats,
    })
}

/// Uploads every output under its new id, create-if-absent, unknown outcomes resolved by
/// reading the tag back. The id being taken by another write is a collision: ids carry the
/// compactor epoch and a counter reserved for this job.
pub async fn upload_outputs<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    output: &JobOutput,
) -> Result<(), JobError> {
    for (encoded, meta) in &output.outputs {
        let path = sst_path(meta.id);
        let tag = format!("{}-sst{}", job.write_tag, meta.id.0);
        let uploaded =
            create_resolving(store, clock, &job.retry, &path, encoded.clone(), &tag).await;
        match uploaded {
            Ok(CreateOutcome::Created) => {}
            Ok(CreateOutcome::Taken { .. }) => return Err(JobError::IdCollision { path }),
            Err(error) => return Err(JobError::Store(error)),
        }
    }
    Ok(())
}

/// Statistics of a move or a deletion, which read and write nothing.
fn table_only_stats(job: &CompactionJob) -> CompactionStats {
    let plan = &job.plan;
    let mut stats = CompactionStats::empty(plan.kind, plan.reason, plan.output_level);
    for sst in &job.inputs {
        stats.input_files += 1;
        match plan.kind {
            PlanKind::Move => {
                stats.moved_files += 1;
                stats.moved_bytes = stats.moved_bytes.saturating_add(sst.size_bytes);
            }
            PlanKind::Delete | PlanKind::Merge => {
                stats.deleted_files += 1;
                stats.deleted_bytes = stats.deleted_bytes.saturating_add(sst.size_bytes);
            }
        }
    }
    stats
}
